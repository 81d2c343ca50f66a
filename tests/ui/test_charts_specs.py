"""ui.charts (Positions, Tracking Error) and ui.tables: valid Plotly, the right values and colours."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from lib import format as fmt
from lib import tracking_error as te
from tests.ui.spec_check import assert_valid, trace
from ui import charts, plot, tables

D1, D2, D3 = date(2025, 12, 5), date(2025, 12, 6), date(2025, 12, 7)


def test_weights_vs_target_in_percent_with_gaps() -> None:
    table = pl.DataFrame({
        "sym": ["BTC", "PURR", "ETH"],
        "actual_weight": [0.0168, None, -0.0133],
        "weight_t2": [0.0150, 0.001, -0.0140],
        "category": [te.MAGNITUDE_ERROR, te.UNPRICED, te.MATCHED],
        "err_t2": [0.0018, None, 0.0007],
    })
    spec = charts.weights_vs_target(table, max_symbols=2)
    assert_valid(spec)
    actual = trace(spec, "Actual")
    assert actual["x"] == ["BTC", "PURR"]  # top 2 in the table's order
    assert actual["y"][0] == 1.68 and actual["y"][1] is None  # unpriced: no bar, not 0
    assert trace(spec, "T+2 target")["marker"]["color"] == fmt.SERIES_COLORS["target_t2"]
    assert "top 2 of 3" in spec["layout"]["title"]["text"]


def test_te_lines_two_axes_nulls_are_gaps() -> None:
    daily = pl.DataFrame({"date": [D1, D2, D3], "te": [0.0076, None, 0.0237], "ex_post_te": [None, 0.1, 0.2]})
    spec = charts.te_lines(daily, 30)
    assert_valid(spec)
    assert spec["data"][0]["y"] == [0.76, None, 2.37]
    assert spec["data"][1]["yaxis"] == "y2" and spec["layout"]["yaxis2"]["overlaying"] == "y"
    assert spec["data"][0]["connectgaps"] is False
    assert spec["layout"]["xaxis"]["range"] == ["2025-12-04T12:00:00", "2025-12-07T12:00:00"]


def test_category_stack_colours_and_order() -> None:
    by_cat = pl.DataFrame({
        "date": [D1, D1, D2],
        "category": [te.MISSING_POSITION, te.MAGNITUDE_ERROR, te.MISSING_POSITION],
        "n": [2, 30, 3],
        "sq_err": [1e-4, 2e-5, None],
    })
    spec = charts.category_stack(by_cat, "sq_err", "t", te.CATEGORIES, [D1, D2, D3], percent=True)
    assert_valid(spec)
    names = [t["name"] for t in spec["data"]]
    assert names == [c for c in te.CATEGORIES if c in (te.MISSING_POSITION, te.MAGNITUDE_ERROR)]
    missing = trace(spec, te.MISSING_POSITION)
    assert missing["marker"]["color"] == fmt.CATEGORY_COLORS[te.MISSING_POSITION]
    assert missing["y"] == [1.0, None]  # fraction^2 -> %^2, the null kept
    assert spec["layout"]["barmode"] == "stack"
    counts = charts.category_stack(by_cat, "n", "t", [te.MISSING_POSITION], [D1, D2])
    assert_valid(counts)
    assert counts["data"][0]["y"] == [2, 3]


def test_flip_share_and_heatmap() -> None:
    daily = pl.DataFrame({"date": [D1, D2], "flip_share": [0.25, None]})
    spec = charts.flip_share(daily)
    assert_valid(spec)
    assert spec["data"][0]["y"] == [25.0, None]
    matrix = pl.DataFrame({"sym": ["ARB", "BTC"], D1.isoformat(): [-0.0168, None], D2.isoformat(): [0.001, 0.002]})
    heat = charts.error_heatmap(matrix, n_total=10)
    assert_valid(heat)
    z = heat["data"][0]["z"]
    assert z == [[-1.68, 0.1], [None, 0.2]]
    assert heat["data"][0]["zmin"] == -1.68 and heat["data"][0]["zmax"] == 1.68
    assert "top 2 of 10" in heat["layout"]["title"]["text"]


def test_one_look_for_every_chart() -> None:
    lay = plot.layout("x", xaxis={"type": "date"}, yaxis={"ticksuffix": "%"}, barmode="stack")
    assert lay["xaxis"] == {**plot.AXIS_X, "type": "date"}
    assert lay["yaxis"]["gridcolor"] == plot.GRID and lay["yaxis"]["ticksuffix"] == "%"
    assert plot.merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}


def test_category_table_pills_and_percent_points() -> None:
    df = pl.DataFrame({"sym": ["A", "B"], "notional_usd": [100.0, None], "err_t2": [0.0123, None],
                       "category": [te.MATCHED, None]})
    frame, config = tables.category_table(df)
    assert frame["err_t2"].to_list() == [1.23, None]  # percent points; missing stays null
    assert frame["category"].to_list() == [[te.MATCHED], None]
    cat = config["category"]
    assert cat["type_config"]["type"] == "multiselect"
    options = {o["value"]: o.get("color") for o in cat["type_config"]["options"]}
    assert options[te.WRONG_DIRECTION] == fmt.CATEGORY_COLORS[te.WRONG_DIRECTION]
    assert config["err_t2"]["type_config"]["format"] == tables.WEIGHT_FORMAT


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

        tables.show_category_table(pl.DataFrame({"sym": ["A"], "bn_px": [None], "err_t2": [None]},
                                                schema={"sym": pl.String, "bn_px": pl.Float64, "err_t2": pl.Float64}))

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    assert at.dataframe[0].proto.placeholder == fmt.MISSING
    assert at.dataframe[0].value["bn_px"].isna().all()


def test_te_axes_tick_labels_follow_plotlys_even_steps() -> None:
    daily = pl.DataFrame({"date": [D1, D2, D3], "te": [0.0076, 0.01, 0.0237], "ex_post_te": [0.001, 0.002, 0.0035]})
    spec = charts.te_lines(daily, 14)
    # a fixed ".1f" printed 0.25-steps as 0.3, 0.5, 0.8: "~g" prints the evenly spaced values as they are
    assert spec["layout"]["yaxis"]["tickformat"] == "~g" and spec["layout"]["yaxis2"]["tickformat"] == "~g"


@pytest.mark.parametrize("counts,step", [([1, 2], 1), ([3, 4], 1), ([30, 9], 5), ([61, 1], 10)])
def test_symbol_counts_have_whole_number_ticks(counts, step) -> None:
    by_cat = pl.DataFrame({"date": [D1, D1], "category": [te.MATCHED, te.MAGNITUDE_ERROR], "n": counts})
    spec = charts.category_stack(by_cat, "n", "t", te.CATEGORIES, [D1])
    assert_valid(spec)
    y = spec["layout"]["yaxis"]
    assert y["dtick"] == step and isinstance(y["dtick"], int) and y["tickformat"] == "d"
