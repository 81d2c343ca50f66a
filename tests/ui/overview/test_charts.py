"""ui.overview.charts: valid Plotly specs with the right values, colours, UTC times and gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import polars as pl
import pytest

from lib import format as fmt
from lib.book import pnl
from tests.ui.spec_check import assert_valid, trace
from ui import plot
from ui.overview import charts

C = fmt.SERIES_COLORS
UTC = UTC
T0 = datetime(2025, 12, 5, 0, 0, tzinfo=UTC)
MS = pl.Datetime("ms", "UTC")


def _hours(n: int, start: datetime = T0) -> list[datetime]:
    return [start + timedelta(hours=i) for i in range(n)]


def _series(equity: list[float | None], flows: list[float] | None = None) -> pl.DataFrame:
    """An equity_series-shaped frame, one row per hour (the columns the equity curve reads)."""
    n = len(equity)
    ts = _hours(n)
    return pl.DataFrame(
        {
            "bucket": ts,
            "equity_ts": [t + timedelta(minutes=55) for t in ts],
            "equity": equity,
            "flows": flows or [0.0] * n,
            "n_bad_snapshots": [0] * n,
        },
        schema_overrides={"bucket": MS, "equity_ts": MS, "equity": pl.Float64},
    )


def _drawdown(index: list[float]) -> tuple[pl.DataFrame, dict]:
    """Underwater points and the summary, as lib.book.pnl builds them from SQL's per-bucket drawdown."""
    ts = [t + timedelta(minutes=55) for t in _hours(len(index))]
    peak, peaks, peak_ts = -1.0, [], []
    for t, v in zip(ts, index):
        if v >= peak:
            peak, at = v, t
        peaks.append(peak)
        peak_ts.append(at)
    dd = [v / p - 1 for v, p in zip(index, peaks)]
    frame = pl.DataFrame(
        {
            "bucket": _hours(len(index)),
            "dd_min": dd,
            "trough_ts": ts,
            "trough_peak_ts": peak_ts,
            "dd_last": dd,
            "peak_ts_last": peak_ts,
            "first_high_ts": [t if d >= 0 else None for t, d in zip(ts, dd)],
            "first_high_after_trough_ts": [None] * len(ts),
        },
        schema_overrides={
            "bucket": MS,
            "trough_ts": MS,
            "trough_peak_ts": MS,
            "peak_ts_last": MS,
            "first_high_ts": MS,
            "first_high_after_trough_ts": MS,
        },
    )
    return pnl.underwater_points(frame), pnl.drawdown_summary(frame)


def test_look_is_ui_plot_with_overview_defaults() -> None:
    spec = charts.exposure(
        pl.DataFrame(
            {
                "ts": _hours(1),
                "gross_pct": [0.5],
                "long_pct": [0.3],
                "short_pct": [0.2],
                "net_pct": [0.1],
                "gross_usd": [500.0],
                "long_usd": [300.0],
                "short_usd": [200.0],
                "net_usd": [100.0],
            },
            schema_overrides={"ts": MS},
        ),
        "hourly",
    )
    lay = spec["layout"]
    frame = plot.layout("x")
    for key in ("margin", "plot_bgcolor", "paper_bgcolor", "font", "legend", "hoverlabel"):
        assert lay[key] == frame[key], key
    assert lay["height"] == 340 and lay["hovermode"] == "x unified"
    assert lay["xaxis"]["linecolor"] == plot.AXIS_LINE and lay["xaxis"]["showgrid"] is False
    assert lay["yaxis"]["gridcolor"] == plot.GRID and lay["yaxis"]["ticksuffix"] == "%"
    assert lay["title"]["text"] == "Exposure, % of equity (hourly, UTC)"


def test_utc_text_converts_other_zones_and_keeps_nulls() -> None:
    df = pl.DataFrame(
        {"t": [datetime(2025, 12, 5, 9, 30, 15, 250000, tzinfo=UTC), None]}, schema={"t": pl.Datetime("ms", "UTC")}
    )
    tokyo = df.with_columns(pl.col("t").dt.convert_time_zone("Asia/Tokyo"))
    assert plot.utc_text(tokyo["t"]) == ["2025-12-05T09:30:15.250", None]
    assert plot.utc_text(df["t"], plot.DAY_TEXT) == ["2025-12-05", None]
    aware = datetime(2025, 12, 5, 18, 30, tzinfo=timezone(timedelta(hours=9)))
    assert plot.utc_iso(aware) == "2025-12-05T09:30:00.000"


def test_equity_curve_gaps_and_flow_markers_on_the_curve() -> None:
    s = _series([1_000_000.0, None, 1_010_000.0, 910_000.0])
    flows = pl.DataFrame(
        {
            "time": [T0 + timedelta(hours=1, minutes=10), T0 + timedelta(hours=3, minutes=5)],
            "type": ["deposit", "withdraw"],
            "usdc": [5_000.0, -100_000.0],
            "hash": ["a", "b"],
        },
        schema_overrides={"time": MS},
    )
    spec = charts.equity_curve(s, flows, "hourly")
    assert_valid(spec)
    eq = trace(spec, "Equity")
    assert eq["y"] == [1_000_000.0, None, 1_010_000.0, 910_000.0]  # the null is a gap, not 0
    assert eq["connectgaps"] is False and eq["line"]["color"] == C["equity"]
    assert eq["x"][0] == "2025-12-05 00:55"  # naive UTC text, to the minute (plot.MINUTE_TEXT)
    dep = trace(spec, "Deposit (not PnL)")
    # placed on the first mark at or after it: 01:55 has no equity (null), so no y either
    assert dep["x"] == ["2025-12-05T01:10:00.000"] and dep["y"] == [None]
    assert dep["marker"]["color"] == C["deposit"] and dep["marker"]["symbol"] == "triangle-up"
    assert dep["customdata"] == [[fmt.usd(5_000.0, signed=True), "deposit"]]
    wd = trace(spec, "Withdrawal (not PnL)")
    assert wd["y"] == [910_000.0] and wd["marker"]["color"] == C["withdraw"]
    assert wd["customdata"][0][0] == fmt.usd(-100_000.0, signed=True)
    assert spec["layout"]["yaxis"]["tickformat"] == "$,.0f"  # −$10,000: the sign before the $, as the text
    assert spec["layout"]["title"]["text"] == "Equity (USD, hourly marks, UTC)"


def test_equity_curve_without_flows_or_rows() -> None:
    spec = charts.equity_curve(_series([1.0, 2.0]), None, "daily")
    assert_valid(spec)
    assert [t["name"] for t in spec["data"]] == ["Equity"]
    empty = charts.equity_curve(_series([1.0]).clear(), None, "daily")
    assert_valid(empty)
    assert empty["data"] == []
    assert empty["layout"]["annotations"][0]["text"] == "No account snapshots in this range"
    assert empty["layout"]["xaxis"]["visible"] is False and empty["layout"]["height"] == 220


def test_underwater_values_trough_and_peak_line() -> None:
    dd, worst = _drawdown([1.0, 1.1, 0.99, 1.045, 1.21])
    spec = charts.underwater(dd, worst)
    assert_valid(spec)
    line = trace(spec, "Drawdown")
    assert line["y"] == pytest.approx([v * 100 for v in dd["drawdown"].to_list()])
    assert line["y"][2] == pytest.approx(-10.0)
    assert line["line"]["color"] == C["drawdown"] and line["fill"] == "tozeroy"
    trough = trace(spec, "Max drawdown")
    assert trough["x"] == ["2025-12-05T02:55:00.000"] and trough["y"] == [pytest.approx(-10.0)]
    assert trough["text"] == [f"max {fmt.pct(worst['max_drawdown'], signed=True)} "]
    (peak,) = spec["layout"]["shapes"]
    assert peak["x0"] == peak["x1"] == "2025-12-05T01:55:00.000"
    assert peak["yref"] == "y domain" and peak["line"]["dash"] == "dot"
    assert spec["layout"]["showlegend"] is False and spec["layout"]["height"] == 260


def test_underwater_without_drawdown_has_no_marks() -> None:
    dd, worst = _drawdown([1.0, 1.01, 1.02])
    spec = charts.underwater(dd, worst)
    assert_valid(spec)
    assert [t["name"] for t in spec["data"]] == ["Drawdown"] and spec["layout"]["shapes"] == []
    assert charts.underwater(dd.clear(), {})["data"] == []


def test_decomposition_waterfall_adds_up_and_skips_unknown_parts() -> None:
    parts = pnl.decompose(
        {
            "equity_start": 1_000_000.0,
            "equity_end": 1_012_000.0,
            "flows": 0.0,
            "realized": 10_000.0,
            "fees": 500.0,
            "funding": 1_000.0,
            "unrealized_start": None,
            "unrealized_end": 2_000.0,
        }
    )
    spec = charts.decomposition(parts)
    assert_valid(spec)
    (wf,) = spec["data"]
    assert wf["type"] == "waterfall"
    assert wf["x"] == ["Realized (closed PnL)", "Fees", "Funding", "Total PnL"]  # unknown change in unrealized left out
    assert wf["y"] == [10_000.0, -500.0, 1_000.0, 12_000.0]
    assert wf["measure"] == ["relative", "relative", "relative", "total"]
    assert wf["text"][-1] == fmt.usd(12_000.0, signed=True)
    assert wf["increasing"]["marker"]["color"] == C["long"]
    assert wf["decreasing"]["marker"]["color"] == C["short"]
    assert wf["totals"]["marker"]["color"] == C["total"]
    assert spec["layout"]["hovermode"] == "closest" and spec["layout"]["height"] == 320
    unknown = charts.decomposition(pnl.decompose({"equity_start": None, "equity_end": 1.0}))
    assert_valid(unknown)
    assert unknown["data"] == [] and "Total PnL unknown" in unknown["layout"]["annotations"][0]["text"]


def test_daily_returns_bars_coloured_by_sign_days_without_return_left_out() -> None:
    days = [T0 + timedelta(days=i) for i in range(4)]
    daily = pl.DataFrame(
        {"bucket": days, "ret": [None, 0.012, -0.005, 0.0], "pnl": [None, 12_000.0, -5_100.0, 0.0]},
        schema_overrides={"bucket": MS},
    )
    spec = charts.daily_returns(daily)
    assert_valid(spec)
    bars = trace(spec, "Daily return")
    assert bars["x"] == ["2025-12-06", "2025-12-07", "2025-12-08"]
    assert bars["y"] == pytest.approx([1.2, -0.5, 0.0])
    assert bars["marker"]["color"] == [C["long"], C["short"], C["short"]]
    assert bars["customdata"] == [fmt.usd(v, signed=True) for v in (12_000.0, -5_100.0, 0.0)]
    assert spec["layout"]["xaxis"]["type"] == "date" and spec["layout"]["xaxis"]["tickformatstops"] == plot.DATE_TICKS
    none = charts.daily_returns(daily.head(1))
    assert_valid(none)
    assert none["data"] == []


def test_exposure_short_is_negative_and_nulls_stay_gaps() -> None:
    expo = pl.DataFrame(
        {
            "ts": _hours(3)[::-1],  # unsorted on purpose
            "gross_pct": [0.9, None, 1.0],
            "long_pct": [0.5, None, 0.6],
            "short_pct": [0.4, None, 0.4],
            "net_pct": [0.1, None, 0.2],
            "gross_usd": [900.0, 800.0, 1000.0],
            "long_usd": [500.0, 400.0, 600.0],
            "short_usd": [400.0, None, 400.0],
            "net_usd": [100.0, 0.0, 200.0],
        },
        schema_overrides={"ts": MS},
    )
    spec = charts.exposure(expo, "daily")
    assert_valid(spec)
    assert [t["name"] for t in spec["data"]] == ["Gross", "Long", "Short", "Net"]
    short = trace(spec, "Short")
    assert short["x"] == ["2025-12-05 00:00", "2025-12-05 01:00", "2025-12-05 02:00"]  # plot.MINUTE_TEXT
    assert short["y"] == [-40.0, None, -40.0]  # sorted by time; the null hour a gap
    assert short["customdata"] == [fmt.usd(-400.0), fmt.MISSING, fmt.usd(-400.0)]
    assert trace(spec, "Gross")["y"] == [100.0, None, 90.0]
    for key, name in (("gross", "Gross"), ("long", "Long"), ("short", "Short"), ("net", "Net")):
        assert trace(spec, name)["line"]["color"] == C[key]
        assert trace(spec, name)["connectgaps"] is False
    assert trace(spec, "Net")["line"]["dash"] == "dot"
    assert charts.exposure(expo.clear(), "daily")["data"] == []


def test_text_helpers() -> None:
    assert charts.category_text([("MATCHED_ZERO", 3), ("MATCHED", 59)]) == "3 matched zero · 59 matched"
    assert charts.short_utc(datetime(2025, 12, 5, 19, 55, tzinfo=timezone(timedelta(hours=1)))) == "Dec 05 18:55"
    assert charts.short_utc(None) == fmt.MISSING
    assert charts.mark_text(None, 0) == "flat book" and charts.mark_text(None, None) == "none"
