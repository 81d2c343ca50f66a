"""lib.book.pnl against hand-computed examples."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib.book import pnl

UTC = UTC


def T(day: int, hour: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, tzinfo=UTC)


def buckets(rows: list[dict]) -> pl.DataFrame:
    """equity_series-shaped bucket rows (only the drawdown columns lib.book.pnl reads)."""
    cols = {
        "bucket": pl.Datetime("ms", "UTC"),
        "dd_min": pl.Float64,
        "trough_ts": pl.Datetime("ms", "UTC"),
        "trough_peak_ts": pl.Datetime("ms", "UTC"),
        "dd_last": pl.Float64,
        "peak_ts_last": pl.Datetime("ms", "UTC"),
        "first_high_ts": pl.Datetime("ms", "UTC"),
        "first_high_after_trough_ts": pl.Datetime("ms", "UTC"),
        "complete": pl.UInt8,
    }
    return pl.DataFrame([{k: r.get(k) for k in cols} for r in rows], schema=cols)


# --- windows -------------------------------------------------------------------
def test_window_pnl():
    assert pnl.window_pnl(1_000.0, 1_600.0, 500.0) == pytest.approx(100.0)
    assert pnl.window_pnl(None, 1_600.0, 0.0) is None
    assert pnl.window_pnl(0.0, 10.0, 0.0) is None


def test_window_labels_say_what_the_window_is():
    assert pnl.window_label("today") == "today (UTC day)"
    assert pnl.window_label("7d") == "last 7 × 24 h"
    assert pnl.window_label("30d") == "last 30 × 24 h"
    assert pnl.window_label("all", T(1)) == "since 2025-06-01"


def test_chart_bucket():
    assert pnl.chart_bucket_seconds(date(2025, 1, 1), date(2025, 1, 31)) == 3600
    assert pnl.chart_bucket_seconds(date(2025, 1, 1), date(2025, 3, 1)) == 86400


# --- drawdown from per-snapshot SQL aggregates ---------------------------------------
def test_drawdown_summary_trough_in_one_bucket_recovery_in_a_later_one():
    rows = [
        {
            "bucket": T(1),
            "dd_min": 0.0,
            "trough_ts": T(1),
            "trough_peak_ts": T(1),
            "dd_last": 0.0,
            "peak_ts_last": T(1),
            "first_high_ts": T(1),
        },
        {
            "bucket": T(2),
            "dd_min": -0.2,
            "trough_ts": T(2, 5),
            "trough_peak_ts": T(1, 3),
            "dd_last": -0.1,
            "peak_ts_last": T(1, 3),
        },
        {
            "bucket": T(3),
            "dd_min": -0.15,
            "trough_ts": T(3, 1),
            "trough_peak_ts": T(1, 3),
            "dd_last": 0.0,
            "peak_ts_last": T(3, 9),
            "first_high_ts": T(3, 9),
        },
    ]
    m = pnl.drawdown_summary(buckets(rows))
    assert m["max_drawdown"] == pytest.approx(-0.2)
    assert m["peak_ts"] == T(1, 3) and m["trough_ts"] == T(2, 5) and m["recovered_ts"] == T(3, 9)
    assert m["current_drawdown"] == 0.0 and m["current_peak_ts"] == T(3, 9)


def test_drawdown_summary_recovery_inside_the_trough_bucket_and_ties():
    rows = [
        {
            "bucket": T(1),
            "dd_min": -0.1,
            "trough_ts": T(1, 2),
            "trough_peak_ts": T(1, 1),
            "dd_last": -0.05,
            "peak_ts_last": T(1, 6),
            "first_high_ts": T(1, 1),
            "first_high_after_trough_ts": T(1, 6),
        },
        {
            "bucket": T(2),
            "dd_min": -0.1,
            "trough_ts": T(2, 2),
            "trough_peak_ts": T(1, 6),
            "dd_last": -0.1,
            "peak_ts_last": T(1, 6),
        },
    ]
    m = pnl.drawdown_summary(buckets(rows))
    assert m["trough_ts"] == T(1, 2) and m["recovered_ts"] == T(1, 6)  # the first of equal troughs
    assert m["current_drawdown"] == pytest.approx(-0.1)


def test_no_drawdown_and_empty():
    flat = buckets(
        [
            {
                "bucket": T(1),
                "dd_min": 0.0,
                "trough_ts": T(1),
                "trough_peak_ts": T(1),
                "dd_last": 0.0,
                "peak_ts_last": T(1),
                "first_high_ts": T(1),
            }
        ]
    )
    m = pnl.drawdown_summary(flat)
    assert m["max_drawdown"] == 0.0 and m["peak_ts"] is None and m["trough_ts"] is None
    assert pnl.drawdown_summary(flat.head(0))["max_drawdown"] is None


def test_underwater_points_and_complete_days():
    rows = buckets(
        [
            {"bucket": T(1), "dd_min": 0.0, "trough_ts": T(1, 23), "complete": 1},
            {"bucket": T(2), "dd_min": -0.1, "trough_ts": T(2, 5), "complete": 1},
            {"bucket": T(3), "dd_min": -0.2, "trough_ts": T(3, 4), "complete": 0},
        ]
    )
    pts = pnl.underwater_points(rows)
    assert pts["ts"].to_list() == [T(1, 23), T(2, 5), T(3, 4)] and pts["drawdown"].to_list() == [0.0, -0.1, -0.2]
    days = pnl.complete_days(rows, date(2025, 6, 2))
    assert [b.date() for b in days["bucket"]] == [date(2025, 6, 2)]  # start mark's day and unfinished day out


# --- daily statistics -------------------------------------------------------------
def test_daily_stats_by_hand():
    days = [date(2025, 6, d) for d in range(1, 6)]
    rets = [0.01, -0.02, 0.03, None, 0.0]
    s = pnl.daily_stats(days, rets, pnl=[10.0, -20.0, 30.0, None, 0.0])
    assert s["n_days"] == 4 and s["n_missing"] == 1
    assert s["mean_return"] == pytest.approx(0.005)
    assert s["win_rate"] == pytest.approx(0.5)  # a flat day is not a win
    assert s["n_up"] == 2 and s["n_down"] == 1
    assert s["best_day"] == date(2025, 6, 3) and s["best_return"] == pytest.approx(0.03)
    assert s["worst_day"] == date(2025, 6, 2) and s["worst_return"] == pytest.approx(-0.02)
    sd = math.sqrt((0.005**2 + 0.025**2 + 0.025**2 + 0.005**2) / 3)
    assert s["vol_ann"] == pytest.approx(sd * math.sqrt(365))
    assert s["sharpe_ann"] == pytest.approx(0.005 / sd * math.sqrt(365))
    assert s["compounded"] == pytest.approx(1.01 * 0.98 * 1.03 * 1.0 - 1)
    assert s["total_pnl"] == pytest.approx(20.0)


def test_daily_stats_edge_cases():
    empty = pnl.daily_stats([], [])
    assert empty["n_days"] == 0 and empty["mean_return"] is None and empty["total_pnl"] is None
    one = pnl.daily_stats([date(2025, 6, 1)], [0.02])
    assert one["mean_return"] == pytest.approx(0.02) and one["vol_ann"] is None and one["sharpe_ann"] is None
    flat = pnl.daily_stats([date(2025, 6, 1), date(2025, 6, 2)], [0.01, 0.01])
    assert flat["vol_ann"] == pytest.approx(0.0) and flat["sharpe_ann"] is None
    with pytest.raises(ValueError):
        pnl.daily_stats([date(2025, 6, 1)], [0.1, 0.2])


# --- decomposition ----------------------------------------------------------------
def test_decomposition_reconciles_by_hand():
    parts = pnl.decompose(
        {
            "equity_start": 1_000.0,
            "equity_end": 1_600.0,
            "flows": 500.0,
            "realized": 80.0,
            "fees": 5.0,
            "funding": -3.0,
            "unrealized_start": 10.0,
            "unrealized_end": 40.0,
        }
    )
    assert parts["total"] == pytest.approx(100.0)  # the 500 deposit is not PnL
    assert parts["fees"] == pytest.approx(-5.0)
    assert parts["unrealized_change"] == pytest.approx(30.0)
    assert parts["explained"] == pytest.approx(102.0)
    assert parts["residual"] == pytest.approx(-2.0)
    frame = pnl.decomposition_frame(parts)
    assert frame["component"].to_list() == ["realized", "fees", "funding", "unrealized_change", "residual"]
    assert frame["usd"].sum() == pytest.approx(parts["total"])


def test_decomposition_unknowns_stay_unknown():
    parts = pnl.decompose(
        {
            "equity_start": None,
            "equity_end": 1_600.0,
            "flows": 0.0,
            "realized": 1.0,
            "fees": 0.0,
            "funding": 0.0,
            "unrealized_start": None,
            "unrealized_end": 5.0,
        }
    )
    assert parts["total"] is None and parts["unrealized_change"] is None
    assert parts["explained"] is None and parts["residual"] is None
    assert parts["realized"] == 1.0


def test_exposure_pct():
    assert pnl.exposure_pct(50.0, 200.0) == pytest.approx(0.25)
    assert pnl.exposure_pct(50.0, 0.0) is None
    assert pnl.exposure_pct(None, 100.0) is None


def test_headline_windows():
    frame = pl.DataFrame(
        {
            "window": ["today", "all"],
            "equity_start": [100.0, None],
            "equity_end": [103.0, 103.0],
            "flows": [2.0, 0.0],
            "ret": [0.0099, None],
            "equity_start_ts": [T(1), None],
            "equity_end_ts": [T(2), T(2)],
        }
    )
    h = pnl.headline(frame)
    assert h["today"]["pnl"] == pytest.approx(1.0) and h["today"]["ret"] == pytest.approx(0.0099)  # SQL's
    assert h["today"]["label"] == "today (UTC day)" and h["all"]["label"] == "since start"
    assert h["all"]["pnl"] is None and h["all"]["ret"] is None


def test_a_window_longer_than_the_history_says_where_its_data_starts():
    """On a 26-day desk the 30 × 24 h window's start mark is the first snapshot: the tile names that day."""
    end = datetime(2025, 12, 15, 11, 45, tzinfo=UTC)
    first = datetime(2025, 11, 20, 0, 0, tzinfo=UTC)
    assert pnl.data_from("30d", first, end) == first  # 25.5 days of data in a 30-day window
    assert pnl.data_from("7d", end - timedelta(days=7, minutes=5), end) is None  # a full week: the mark before
    assert pnl.data_from("7d", end - timedelta(days=7) + timedelta(minutes=30), end) is None  # snapshot jitter
    assert pnl.data_from("7d", end - timedelta(days=6), end) == end - timedelta(days=6)
    assert pnl.data_from("all", first, end) is None and pnl.data_from("today", first, end) is None
    assert pnl.data_from("30d", None, end) is None
