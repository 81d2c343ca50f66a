"""ui.plot's one look and ui.tables' coloured, percent, dash-for-missing tables."""

from __future__ import annotations

import polars as pl
import pytest

from lib import format as fmt
from lib.tracking import classification as te
from ui import plot, tables


def test_one_look_for_every_chart() -> None:
    lay = plot.layout("x", xaxis={"type": "date"}, yaxis={"ticksuffix": "%"}, barmode="stack")
    # every time axis gets the one date-label style ("Dec 05"; "14:00 / Dec 05" within a day)
    assert lay["xaxis"] == {**plot.AXIS_X, "type": "date", "tickformatstops": plot.DATE_TICKS}
    assert plot.layout("x", xaxis={"type": "date", "tickformat": "%H:%M"})["xaxis"]["tickformat"] == "%H:%M"
    assert "tickformatstops" in plot.layout("x", xaxis2={"type": "date"})["xaxis2"]
    # the title is pinned to the top; the legend under it keeps a blank band for it
    assert lay["title"]["yref"] == "container" and lay["legend"]["title"]["text"].count("<br>") == 1
    assert "title" not in plot.layout(None)["legend"]
    assert lay["yaxis"]["gridcolor"] == plot.GRID and lay["yaxis"]["ticksuffix"] == "%"
    assert plot.merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}


def test_category_table_pills_and_percent_points() -> None:
    df = pl.DataFrame(
        {"sym": ["A", "B"], "notional_usd": [100.0, None], "err_t2": [0.0123, None], "category": [te.MATCHED, None]}
    )
    frame, config = tables.category_table(df)
    assert frame["err_t2"].to_list() == [1.23, None]  # percent points; missing stays null
    assert frame["category"].to_list() == [[te.MATCHED], None]
    cat = config["category"]
    assert cat["type_config"]["type"] == "multiselect"
    options = {o["value"]: o.get("color") for o in cat["type_config"]["options"]}
    assert options[te.WRONG_DIRECTION] == fmt.CATEGORY_COLORS[te.WRONG_DIRECTION]
    assert config["err_t2"]["type_config"]["format"] == tables.ERROR_FORMAT


def test_flip_is_a_word_not_a_checkbox_that_looks_editable() -> None:
    df = pl.DataFrame({"sym": ["A", "B", "C"], "flip_explained": [True, False, None]})
    frame, config = tables.category_table(df)
    assert frame["flip_explained"].to_list() == [tables.FLIP_TEXT, "", None]  # unknown stays null (the dash)
    assert config["flip_explained"]["type_config"]["type"] == "text"
    assert config["flip_explained"]["label"] == "Flip"


def test_weights_shown_never_read_minus_zero() -> None:
    shown = tables.weights_in_percent(pl.DataFrame({"err_t2": [-1e-7, -4e-5, 0.0123456, None, -0.02]}))
    values = shown["err_t2"].to_list()
    assert values == [0.0, 0.0, 1.23, None, -2.0]
    assert all(str(v) != "-0.0" for v in values)  # "%+.2f%%" would print -0.00%


def test_category_table_missing_is_the_dash() -> None:
    """Missing numbers show lib.format.MISSING, never 'None' or 0 (the grid's placeholder)."""

    def script() -> None:
        import polars as pl

        from ui import tables

        tables.show_category_table(
            pl.DataFrame(
                {"sym": ["A"], "bn_px": [None], "err_t2": [None]},
                schema={"sym": pl.String, "bn_px": pl.Float64, "err_t2": pl.Float64},
            )
        )

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    assert at.dataframe[0].proto.placeholder == fmt.MISSING
    assert at.dataframe[0].value["bn_px"].isna().all()


def test_spec_figure_goes_through_the_real_plotly_chart() -> None:
    """`plot.show` hands st.plotly_chart a SpecFigure: the browser receives exactly the spec."""

    def script() -> None:
        from ui import plot

        spec = plot.spec(
            [{"type": "scatter", "x": ["2025-12-05", "2025-12-06"], "y": [1.5, None], "name": "TE"}],
            plot.layout("Daily TE", height=300, yaxis={"ticksuffix": "%"}),
        )
        plot.show(spec, key="te_chart")

    import json

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    chart = at.get("plotly_chart")[0].proto
    sent = json.loads(chart.spec)
    assert sent["data"] == [{"type": "scatter", "x": ["2025-12-05", "2025-12-06"], "y": [1.5, None], "name": "TE"}]
    assert sent["layout"]["title"]["text"] == "Daily TE" and sent["layout"]["height"] == 300
    assert sent["layout"]["yaxis"]["ticksuffix"] == "%"
    assert json.loads(chart.config)["displaylogo"] is False


def test_a_price_column_keeps_its_trailing_zeros_when_its_rows_share_a_magnitude() -> None:
    # one coin (or coins of like prices): the decimals lib.format.price writes, fixed: 70,468.00 and 0.500000
    assert tables.price_format(pl.Series([70468.0, 70100.5])) == "%,.2f"
    assert fmt.price(70468.0) == "70,468.00"
    assert tables.price_format(pl.Series([0.5, 0.4283])) == "%,.6f" and fmt.price(0.5) == "0.500000"
    # a price band apart (209.77 writes 3 decimals, 13.649 four): the larger, one zero more than the text
    assert tables.price_format(pl.Series([13.649, 209.77])) == "%,.4f"
    # BTC beside PUMP: fixed decimals would print 70,468.0000000, so the column trims its zeros
    assert tables.price_format(pl.Series([0.0038887, 70468.0])) == tables.NUMBER_FORMAT
    # nothing to measure (all missing or zero): the trimming format
    assert tables.price_format(pl.Series([None, 0.0], dtype=pl.Float64)) == tables.NUMBER_FORMAT


def test_category_table_formats_its_price_column_from_its_rows() -> None:
    one_coin = pl.DataFrame({"sym": ["BTC", "BTC"], "bn_px": [70468.0, 70500.25]})
    _, config = tables.category_table(one_coin)
    assert config["bn_px"]["type_config"]["format"] == "%,.2f"
    mixed = pl.DataFrame({"sym": ["BTC", "PUMP"], "bn_px": [70468.0, 0.0038887]})
    _, config = tables.category_table(mixed)
    assert config["bn_px"]["type_config"]["format"] == tables.NUMBER_FORMAT


def test_money_in_grids_is_numeric_with_the_sign_before_the_dollar() -> None:
    # lib.format.GRID_MONEY: a printf "$%…" format writes $-1,234 (the sign after the $) and "localized" drops
    # the $; money columns use the grid's "dollar" format (numeric, sorts by value, -$1,234)
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bad = [
        f"{path.relative_to(root)}: {m.group(0)}"
        for path in sorted((root / "ui").rglob("*.py")) + sorted((root / "pages").rglob("*.py"))
        for m in re.finditer(r"""format\s*=\s*["'](\$%[^"']*|localized)["']""", path.read_text())
    ]
    assert bad == []
    column = tables.money_column("PnL")
    assert column["type_config"]["format"] == fmt.GRID_MONEY == "dollar" and column["type_config"]["step"] == 1
    assert tables.money_column("Fee", decimals=4)["type_config"]["step"] == 0.0001
    assert tables.money_column("Fee", cents=True)["type_config"]["step"] == 0.01


def test_whole_dollars_has_no_negative_zero():
    import math

    frame = pl.DataFrame({"a": [-0.4, 0.3, -1.6, None], "b": [-0.49, 2.5, -0.0, 7.0]})
    out = tables.whole_dollars(frame, ("a", "b"))
    assert out["a"].to_list() == [0.0, 0.0, -2.0, None] and out["b"].to_list() == [0.0, 2.0, 0.0, 7.0]
    zeros = [v for c in ("a", "b") for v in out[c].to_list() if v == 0]
    assert zeros and all(math.copysign(1.0, v) == 1.0 for v in zeros)  # no −0.0: the grid would print "-$0"


def test_a_money_grid_gets_what_it_shows_as_zero_unsigned() -> None:
    """tables.show sends a value each money_column shows as zero as +0.0: a −0.40 in a whole-dollar column and a
    −0.004 in a cents column (the grid would print "-$0", "-$0.00"). Every other value and column is left whole."""
    import math

    def script() -> None:
        import polars as pl

        from ui import tables

        frame = pl.DataFrame(
            {
                "sym": ["A", "B", "C"],
                "pnl": [-0.4, -0.5, None],
                "fee": [-0.004, -0.006, 0.126],
                "units": [-0.4, 2.0, 3.0],
            }
        )
        config = {"pnl": tables.money_column("PnL"), "fee": tables.money_column("Fee", cents=True)}
        tables.show(frame, config, ("sym", "pnl", "fee", "units"))

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    sent = at.dataframe[0].value
    assert sent["pnl"].tolist()[:2] == [0.0, -0.5] and math.isnan(sent["pnl"].tolist()[2])  # −0.5 shows "-$1"
    assert math.copysign(1.0, sent["pnl"].tolist()[0]) == 1.0
    assert sent["fee"].tolist() == [0.0, -0.006, 0.126] and math.copysign(1.0, sent["fee"].tolist()[0]) == 1.0
    assert sent["units"].tolist() == [-0.4, 2.0, 3.0]


def test_percent_columns_keep_their_decimals():
    """A share column shows the same decimals on every row (17.6%, 16.8%, 0.0%): the grid's percent format trims
    them by value unless the column has a step, so every percent column goes through tables.percent_column."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bare = [
        f"{path.relative_to(root)}: {m.group(0)}"
        for path in sorted((root / "ui").rglob("*.py")) + sorted((root / "pages").rglob("*.py"))
        if path.name != "tables.py"
        for m in re.finditer(r"""format\s*=\s*["']percent["']""", path.read_text())
    ]
    assert bare == []
    column = tables.percent_column("Turnover")["type_config"]
    assert column["format"] == "percent" and column["step"] == pytest.approx(0.001)  # one decimal: 17.6%
    assert tables.percent_column("Share", decimals=2)["type_config"]["step"] == pytest.approx(0.0001)


def test_as_costs_gives_the_sign_lib_format_cost_gives():
    paid = pl.DataFrame({"fees": [3788.0, -12.5, 0.0, None], "other": [1.0, 2.0, 3.0, 4.0]})
    shown = tables.as_costs(paid, ("fees", "absent"))
    assert shown["fees"].to_list() == [fmt.cost(v) for v in paid["fees"].to_list()] == [-3788.0, 12.5, 0.0, None]
    assert str(shown["fees"][2]) == "0.0"  # never -0.0 (a grid would print -$0.00)
    assert shown["other"].to_list() == paid["other"].to_list()
