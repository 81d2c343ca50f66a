"""Chart specs of the regime, risk-trend and orders panels (regimes, risk trend, order outcomes, API pressure): valid Plotly, right values,
thin buckets faded, missing values as gaps, empty frames as a titled note."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib import config
from lib.book import regimes
from tests.ui.spec_check import assert_valid, trace
from ui.overview import regimes as regime_panel
from ui.overview import risk as risk_panel
from ui.trades import orders as orders_panel

UTC = UTC


def _buckets() -> pl.DataFrame:
    rows = [
        ("hour", "00", 12, 12, 12, -50.0, 10.0, 0.0, 60.0),
        ("hour", "13", 12, 12, 12, 30.0, 29.0, 1.0, 0.0),
        ("weekday", "1", 24, 24, 1, -20.0, 0.0, 0.0, 20.0),
        ("window", "rebalance", 1, 1, 1, -50.0, 10.0, 0.0, 60.0),
        ("window", "rest", 23, 23, 1, 30.0, 29.0, 1.0, 0.0),
        ("trend", "up", 30, 30, 2, 40.0, 50.0, 2.0, 12.0),
        ("trend", "unknown", 2, 2, 1, -1.0, -1.0, 0.0, 0.0),
        ("vol", "low", 10, 10, 1, 5.0, 5.0, 0.0, 0.0),
        ("regime", "up / low", 10, 10, 1, 5.0, 5.0, 0.0, 0.0),
        ("regime", "unknown / high", 2, 2, 1, -1.0, -1.0, 0.0, 0.0),
    ]
    return pl.DataFrame(
        rows,
        schema=["dim", "bucket", "n_intervals", "n_hours", "n_days", "pnl", "price_pnl", "funding", "fees"],
        orient="row",
    )


def test_hour_dimension_has_24_buckets_with_gaps_for_empty_hours():
    hours = regimes.dimension(_buckets(), "hour")
    assert hours["bucket"].to_list() == [f"{h:02d}" for h in range(24)]
    assert hours["pnl"][1] is None and hours["n_intervals"][1] == 0  # no interval at 01: unknown, not 0
    spec = regime_panel.components_chart(hours, "PnL by hour", "hour")
    assert_valid(spec)
    assert trace(spec, "Fees")["y"][0] == -60.0  # fees drawn as a cost
    assert trace(spec, "PnL")["y"][13] == 30.0


def test_thin_regime_buckets_are_faded_and_flagged():
    table = regimes.regime_table(_buckets())
    assert table.filter(pl.col("bucket") == "up")["thin"][0] is (30 < config.REGIME_THIN_HOURS)
    assert table.filter(pl.col("bucket") == "unknown")["thin"][0] is True
    trend = table.filter(pl.col("dimension") == "trend")
    spec = regime_panel.components_chart(trend, "per regime", "regime")
    assert_valid(spec)
    opacity = trace(spec, "Price PnL")["marker"]["opacity"]
    assert opacity == [regime_panel.THIN_OPACITY if t else 1.0 for t in trend["thin"].to_list()]
    assert "thin" in trace(spec, "Price PnL")["customdata"][1]


def test_regime_heatmap_cells_and_empty():
    grid = regimes.regime_grid(_buckets())
    assert grid[0] == ["up", "unknown"] and grid[1] == ["low", "high"]
    assert grid[2] == [[5.0, None], [None, -1.0]] and grid[3] == [[10, 0], [0, 2]]
    assert_valid(regime_panel.regime_heatmap(grid))
    empty = regime_panel.regime_heatmap(([], [], [], []))
    assert_valid(empty)
    assert empty["data"] == []
    with pytest.raises(ValueError):
        regimes.dimension(_buckets(), "month")


def test_risk_chart_keeps_missing_ratios_as_gaps():
    ts = [datetime(2025, 12, 5, tzinfo=UTC) + timedelta(hours=h) for h in range(3)]
    series = pl.DataFrame(
        {"ts": ts, "margin_pct": [0.3, None, 0.0], "leverage": [1.2, None, 1.1]},
        schema_overrides={"ts": pl.Datetime("ms", "UTC")},
    )
    spec = risk_panel.risk_chart(series, "hourly")
    assert_valid(spec)
    assert trace(spec, "Margin used (% equity)")["y"] == [30.0, None, 0.0]  # zero margin is 0 %, missing is a gap
    assert trace(spec, "Leverage (x)")["x"][0] == "2025-12-05T00:00:00.000"
    assert_valid(risk_panel.risk_chart(series.clear(), "hourly"))


def test_orders_and_pressure_charts():
    outcomes = pl.DataFrame(
        {
            "day": [date(2025, 12, 5), date(2025, 12, 6)],
            "n_orders": [4, 2],
            "n_filled": [3, 1],
            "n_canceled": [1, 0],
            "n_rejected": [0, 1],
            "n_open": [0, 0],
            "n_other": [0, 0],
            "fill_ratio": [0.75, 0.5],
        }
    )
    spec = orders_panel.outcomes_chart(outcomes)
    assert_valid(spec)
    assert [t["name"] for t in spec["data"]] == ["filled", "canceled", "rejected", "Fill ratio"]
    assert trace(spec, "Fill ratio")["y"] == [75.0, 50.0]
    pressure = pl.DataFrame(
        {
            "bucket": [datetime(2025, 12, 5, tzinfo=UTC)] * 2,
            "monitor": ["orders", "trades"],
            "n_beats": [60, 60],
            "n_429": [2, 1],
            "n_429_errors": [0, 1],
            "retries": [5, 1],
        },
        schema_overrides={"bucket": pl.Datetime("ms", "UTC")},
    )
    spec = orders_panel.pressure_chart(pressure, "hourly")
    assert_valid(spec)
    assert trace(spec, "orders")["y"] == [2] and trace(spec, "trades")["customdata"] == ["1 beat, 1 retry"]
    assert trace(spec, "orders")["customdata"] == ["2 beats, 5 retries"]
    assert_valid(orders_panel.pressure_chart(pressure.clear(), "hourly"))
    assert_valid(orders_panel.outcomes_chart(outcomes.clear()))
