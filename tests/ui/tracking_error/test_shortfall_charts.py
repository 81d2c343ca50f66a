"""The model-book section's chart specs are valid Plotly, draw what they are given, and say the band's method."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from lib.model_book import band as bands
from lib.model_book import waterfall
from tests.ui.spec_check import assert_valid, trace
from ui.tracking_error import shortfall_charts as charts

DAYS = [date(2025, 12, 1) + timedelta(days=i) for i in range(5)]


def _fall() -> waterfall.Waterfall:
    rows = []
    for d, (s, t, f) in zip(
        DAYS, [(100.0, 0.0, -40.0), (-50.0, 0.0, -35.0), (20.0, 900.0, 0.0), (0, 0, -30), (5, 0, -3)]
    ):
        gap = s + t + f
        row = {"day": d, "gap": gap, "gap_bp": gap / 1e2, "live_pnl": 500.0 + gap, "model_pnl": 500.0}
        for k in waterfall.NAMED_BARS:
            row[k] = {"sizing": s, "timing": t, "fees": f}.get(k, 0.0)
            row[f"{k}_bp"] = row[k] / 1e2
        rows.append(row)
    return waterfall.assemble(pl.DataFrame(rows))


def test_equity_curves():
    t0 = datetime(2025, 12, 1, tzinfo=UTC)
    live = pl.DataFrame({"ts": [t0 + timedelta(hours=h) for h in range(48)], "equity": [1e6 + h for h in range(48)]})
    model = live.with_columns(pl.col("equity") + 50)
    spec = charts.equity_curves(live, model, "Live and model book equity")
    assert_valid(spec)
    assert trace(spec, "Live book (account equity)")["y"][0] == 1e6
    assert trace(spec, "Model book (paper, follows the T+2 targets)")["line"]["dash"] == "dot"
    empty = charts.equity_curves(live.head(0), model.head(0), "x")
    assert_valid(empty) and empty["data"] == []


def test_active_return_with_its_band_and_method():
    days = pl.DataFrame({"day": DAYS, "gap_bp": [1.0, -2.0, 9.0, -0.3, 0.05]})
    b = bands.band(DAYS, days["gap_bp"].to_list(), [3.0, -4.0, 2.0, -1.0, 5.0, -3.0, 1.0, -2.0, 4.0, -5.0], 30, 2.0)
    spec = charts.active_return(days, b, "Cumulative active return")
    assert_valid(spec)
    line = trace(spec, "Cumulative active return (live − model)")
    assert line["y"] == [0.0, *b.cumulative_bp] and line["x"][0].startswith("2025-12-01T00:00:00")
    assert trace(spec, "±2σ√t band")["y"][1] == b.limit_bp[0]
    note = spec["layout"]["annotations"][0]["text"]
    assert "Band ±2σ√t around 0" in note and "realised TE" in note
    no_band = bands.band(DAYS, days["gap_bp"].to_list(), [], 30, 2.0)
    spec = charts.active_return(days, no_band, "x")
    assert_valid(spec) and "No band" in spec["layout"]["annotations"][0]["text"]


def test_waterfall_from_model_to_live_labels_add_up():
    fall = _fall()
    spec = charts.waterfall(fall, "From the model book's PnL to the live book's")
    fig = assert_valid(spec)
    t = spec["data"][0]
    assert t["measure"][0] == "absolute" and t["measure"][-1] == "total" and len(t["x"]) == 2 + len(fall.bars)
    assert fig.data[0].type == "waterfall"
    shown = [int(s.split("<br>")[0].replace("$", "").replace(",", "").replace("−", "-")) for s in t["text"][1:-1]]
    assert sum(shown) == round(fall.live_pnl) - round(fall.model_pnl)
    lo, hi = spec["layout"]["yaxis"]["range"]
    assert lo < min(fall.model_pnl, fall.live_pnl) and hi > max(fall.model_pnl, fall.live_pnl)  # zoomed to the gap
    assert charts.waterfall(waterfall.assemble(pl.DataFrame()), "x")["data"] == []
