"""ui.tracking_error.charts: valid Plotly, the right values and colours."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from lib import format as fmt
from lib.tracking import classification as te
from tests.ui.spec_check import assert_valid, trace
from ui.tracking_error import charts

D1, D2, D3 = date(2025, 12, 5), date(2025, 12, 6), date(2025, 12, 7)


def test_te_lines_two_axes_nulls_are_gaps() -> None:
    daily = pl.DataFrame({"date": [D1, D2, D3], "te": [0.0076, None, 0.0237], "ex_post_te": [None, 0.1, 0.2]})
    spec = charts.te_lines(daily, 30)
    assert_valid(spec)
    assert spec["data"][0]["y"] == [0.76, None, 2.37]
    assert spec["data"][1]["yaxis"] == "y2" and spec["layout"]["yaxis2"]["overlaying"] == "y"
    assert spec["data"][0]["connectgaps"] is False
    assert spec["layout"]["xaxis"]["range"] == ["2025-12-04T12:00:00", "2025-12-07T12:00:00"]
    # one scale on both axes, so a 20% ex-post line is drawn higher than a 2.37% daily one, and vice versa
    y, y2 = spec["layout"]["yaxis"], spec["layout"]["yaxis2"]
    assert y["range"] == y2["range"] == [0, pytest.approx(20 * 1.08)]


def test_category_stack_colours_and_order() -> None:
    by_cat = pl.DataFrame(
        {
            "date": [D1, D1, D2],
            "category": [te.MISSING_POSITION, te.MAGNITUDE_ERROR, te.MISSING_POSITION],
            "n": [2, 30, 3],
            "sq_err": [1e-4, 2e-5, None],
        }
    )
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
    # whole-number ticks stepped for the bars drawn (at most 3 missing), not the 30 magnitude errors left out
    assert counts["layout"]["yaxis"]["dtick"] == 1 and counts["layout"]["yaxis"]["tickformat"] == "d"


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
    # one invisible, clickable marker per cell with a value (Streamlit reports no heatmap click)
    cells = heat["data"][1]
    assert list(zip(cells["x"], cells["y"], cells["customdata"])) == [
        (D1.isoformat(), "ARB", -1.68),
        (D2.isoformat(), "ARB", 0.1),
        (D2.isoformat(), "BTC", 0.2),
    ]
    assert cells["marker"]["opacity"] == 0 and heat["layout"]["hoverdistance"] == -1


def test_te_axes_tick_labels_follow_plotlys_even_steps() -> None:
    daily = pl.DataFrame({"date": [D1, D2, D3], "te": [0.0076, 0.01, 0.0237], "ex_post_te": [0.001, 0.002, 0.0035]})
    spec = charts.te_lines(daily, 14)
    # a fixed ".1f" printed 0.25-steps as 0.3, 0.5, 0.8: "~g" prints the evenly spaced values as they are
    assert spec["layout"]["yaxis"]["tickformat"] == "~g" and spec["layout"]["yaxis2"]["tickformat"] == "~g"
    # the right axis has its own rounded ticks, not Plotly's "sync" ticks at the left axis's gridlines
    # (which read 0.192764%, 1.33894%)
    assert spec["layout"]["yaxis2"]["tickmode"] == "auto"


@pytest.mark.parametrize("counts,step", [([1, 2], 1), ([3, 4], 1), ([30, 9], 5), ([61, 1], 10)])
def test_symbol_counts_have_whole_number_ticks(counts, step) -> None:
    by_cat = pl.DataFrame({"date": [D1, D1], "category": [te.MATCHED, te.MAGNITUDE_ERROR], "n": counts})
    spec = charts.category_stack(by_cat, "n", "t", te.CATEGORIES, [D1])
    assert_valid(spec)
    y = spec["layout"]["yaxis"]
    assert y["dtick"] == step and isinstance(y["dtick"], int) and y["tickformat"] == "d"


def test_heatmap_weekly_labels_are_dates_a_reader_can_read() -> None:
    weeks = [(D1 + timedelta(weeks=k)).isoformat() for k in range(60)]
    matrix = pl.DataFrame({"sym": ["ARB"], **{w: [0.01] for w in weeks}})
    heat = charts.error_heatmap(matrix, n_total=1, weekly=True)
    assert_valid(heat)
    x = heat["layout"]["xaxis"]
    assert x["tickvals"] == weeks[::6]  # 60 columns: every 6th labelled, 10 labels at most
    assert x["ticktext"][0] == datetime.fromisoformat(weeks[0]).strftime("%b %d<br>%Y")
    assert x["ticktext"][1] == datetime.fromisoformat(weeks[6]).strftime("%b %d")
    assert x["tickfont"]["size"] >= 11 and heat["layout"]["yaxis"]["tickfont"]["size"] >= 11
    assert "week" in heat["layout"]["title"]["text"] and "week of" in heat["data"][1]["hovertemplate"]
    assert "worst day's story" in heat["data"][1]["hovertemplate"]  # a click opens the day the cell shows
    daily = charts.error_heatmap(matrix.select("sym", *weeks[:20]), n_total=1)
    assert (
        daily["layout"]["xaxis"]["tickvals"] == weeks[:20:2] and "by symbol and day" in daily["layout"]["title"]["text"]
    )
