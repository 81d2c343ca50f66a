"""ui.tracking_error.charts: the effective-lag strip and the share of days per lag (valid Plotly, values, colours)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from lib import format as fmt
from lib.tracking import lag as el
from tests.ui.spec_check import assert_valid, trace
from ui.tracking_error import charts

D1, D2, D3, D4 = date(2025, 12, 12), date(2025, 12, 13), date(2025, 12, 14), date(2025, 12, 15)
D5 = date(2025, 12, 16)
DAYS = pl.DataFrame(
    {
        "date": [D1, D2, D3, D4, D5],
        "te_lag0": [0.066, 0.074, 0.086, None, 0.08],
        "te_lag1": [0.048, 0.067, 0.0058, None, 0.05],
        "te_lag2": [0.0058, 0.048, 0.0349, None, 0.031],
        "te_lag3": [0.10, 0.0103, 0.064, None, 0.029],
        "best_lag": [2, 3, 1, None, 3],  # D5: D-3 smallest, but not clearly below D-2
        "effective_lag": [2, 3, 1, None, None],
        "kind": [el.ON_TIME, el.SKIPPED_REBALANCE, el.ONE_DAY_SLIP, el.UNKNOWN, el.NO_CLEAR_LAG],
    },
    schema_overrides={"best_lag": pl.Int8, "effective_lag": pl.Int8},
)


def test_lag_strip_one_trace_per_lag_seen_unknown_grey():
    spec = charts.lag_strip(DAYS, el.LAGS, el.SCHEDULED)
    assert_valid(spec)
    names = [t["name"] for t in spec["data"]]
    assert names == ["D−1", "D−2 (schedule)", "D−3", "no clear lag", "unknown"]  # D−0 never best: no trace
    unclear = trace(spec, "no clear lag")  # painted as its verdict says, never as a skipped rebalance
    assert unclear["x"] == ["2025-12-16"] and unclear["marker"]["color"] == fmt.LAG_NO_CLEAR_COLOR
    assert "no clear lag (smallest TE at D−3" in unclear["hovertext"][0]
    assert trace(spec, "D−3")["x"] == ["2025-12-13"]
    skip = trace(spec, "D−3")
    assert skip["x"] == ["2025-12-13"] and skip["marker"]["color"] == fmt.LAG_COLORS[3]
    assert skip["width"] == [charts.DAY_MS * 0.92]  # a day wide even when seen once
    assert "D−0 7.40% · D−1 6.70% · D−2 4.80% · D−3 1.03%" in skip["hovertext"][0]
    unknown = trace(spec, "unknown")
    assert unknown["marker"]["color"] == fmt.LAG_UNKNOWN_COLOR and unknown["text"] == ["?"]
    assert "D−0 — · D−1 —" in unknown["hovertext"][0]  # missing TE shows the dash, never 0
    assert spec["layout"]["xaxis"]["range"] == ["2025-12-11T12:00:00", "2025-12-16T12:00:00"]


def test_lag_share_percent_and_counts():
    shares = el.lag_shares(DAYS)
    spec = charts.lag_share(shares, el.SCHEDULED)
    assert_valid(spec)
    bars = spec["data"][0]
    assert bars["y"] == ["D−0", "D−1", "D−2 (schedule)", "D−3", "no clear lag"]
    assert bars["x"] == pytest.approx([0.0, 25.0, 25.0, 25.0, 25.0])
    assert bars["text"] == ["0 d", "1 d", "1 d", "1 d", "1 d"]
    assert bars["marker"]["color"] == [fmt.LAG_COLORS[k] for k in range(4)] + [fmt.LAG_NO_CLEAR_COLOR]
    # the day counts sit beside their bars (a one-day bar is narrower than its label), inside the x range
    assert bars["textposition"] == "outside" and spec["layout"]["xaxis"]["range"][1] > 100
    xaxis = spec["layout"]["xaxis"]
    assert (xaxis["dtick"], xaxis["ticksuffix"]) == (20, "%") and xaxis["range"][1] < 120  # ticks 0% … 100%
    empty = charts.lag_share(el.lag_shares(DAYS.filter(pl.col("best_lag").is_null())), el.SCHEDULED)
    assert_valid(empty)
    assert empty["data"][0]["x"] == [None] * 5
