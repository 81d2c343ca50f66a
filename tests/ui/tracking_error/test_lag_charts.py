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
DAYS = pl.DataFrame(
    {
        "date": [D1, D2, D3, D4],
        "te_lag0": [0.066, 0.074, 0.086, None],
        "te_lag1": [0.048, 0.067, 0.0058, None],
        "te_lag2": [0.0058, 0.048, 0.0349, None],
        "te_lag3": [0.10, 0.0103, 0.064, None],
        "best_lag": [2, 3, 1, None],
    },
    schema_overrides={"best_lag": pl.Int8},
)


def test_lag_strip_one_trace_per_lag_seen_unknown_grey():
    spec = charts.lag_strip(DAYS, el.LAGS, el.SCHEDULED)
    assert_valid(spec)
    names = [t["name"] for t in spec["data"]]
    assert names == ["D−1", "D−2 (schedule)", "D−3", "unknown"]  # D−0 never best: no trace
    skip = trace(spec, "D−3")
    assert skip["x"] == ["2025-12-13"] and skip["marker"]["color"] == fmt.LAG_COLORS[3]
    assert skip["width"] == [charts.DAY_MS * 0.92]  # a day wide even when seen once
    assert "D−0 7.40% · D−1 6.70% · D−2 4.80% · D−3 1.03%" in skip["hovertext"][0]
    unknown = trace(spec, "unknown")
    assert unknown["marker"]["color"] == fmt.LAG_UNKNOWN_COLOR and unknown["text"] == ["?"]
    assert "D−0 — · D−1 —" in unknown["hovertext"][0]  # missing TE shows the dash, never 0
    assert spec["layout"]["xaxis"]["range"] == ["2025-12-11T12:00:00", "2025-12-15T12:00:00"]


def test_lag_share_percent_and_counts():
    shares = el.lag_shares(DAYS)
    spec = charts.lag_share(shares, el.SCHEDULED)
    assert_valid(spec)
    bars = spec["data"][0]
    assert bars["y"] == ["D−0", "D−1", "D−2 (schedule)", "D−3"]
    assert bars["x"] == pytest.approx([0.0, 100 / 3, 100 / 3, 100 / 3])
    assert bars["text"] == ["0 d", "1 d", "1 d", "1 d"]
    assert bars["marker"]["color"] == [fmt.LAG_COLORS[k] for k in range(4)]
    empty = charts.lag_share(el.lag_shares(DAYS.filter(pl.col("best_lag").is_null())), el.SCHEDULED)
    assert_valid(empty)
    assert empty["data"][0]["x"] == [None] * 4
