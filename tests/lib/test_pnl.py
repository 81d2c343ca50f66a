"""lib.pnl against hand-computed examples."""

from __future__ import annotations

import math
from datetime import date, datetime, timezone

import polars as pl
import pytest

from lib import pnl

UTC = timezone.utc


def T(day: int, hour: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, tzinfo=UTC)


def periods(rows: list[tuple]) -> pl.DataFrame:
    """rows of (prev_equity, equity, flows, flows_weighted)."""
    return pl.DataFrame(
        {
            "prev_equity": [r[0] for r in rows],
            "equity": [r[1] for r in rows],
            "flows": [r[2] for r in rows],
            "flows_weighted": [r[3] for r in rows],
        },
        schema={c: pl.Float64 for c in pnl.PERIOD_COLUMNS},
    )


# --- period returns ------------------------------------------------------------
def test_plain_period_return():
    out = pnl.period_returns(periods([(100.0, 110.0, 0.0, 0.0)])).row(0, named=True)
    assert out["pnl"] == pytest.approx(10.0)
    assert out["ret"] == pytest.approx(0.10)


def test_deposit_is_not_pnl_and_makes_no_jump():
    # 50 deposited mid-period, no market move: equity 100 -> 150
    out = pnl.period_returns(periods([(100.0, 150.0, 50.0, 25.0)])).row(0, named=True)
    assert out["pnl"] == pytest.approx(0.0)
    assert out["ret"] == pytest.approx(0.0)


def test_deposit_mid_period_with_a_gain_uses_modified_dietz():
    # +5 on top of a 50 deposit half-way: 5 / (100 + 0.5 * 50)
    out = pnl.period_returns(periods([(100.0, 155.0, 50.0, 25.0)])).row(0, named=True)
    assert out["pnl"] == pytest.approx(5.0)
    assert out["ret"] == pytest.approx(5.0 / 125.0)


def test_withdrawal_at_start_of_period():
    out = pnl.period_returns(periods([(200.0, 105.0, -100.0, -100.0)])).row(0, named=True)
    assert out["pnl"] == pytest.approx(5.0)
    assert out["ret"] == pytest.approx(0.05)


@pytest.mark.parametrize("prev,cur", [(0.0, 100.0), (None, 100.0), (100.0, None), (100.0, 0.0), (-5.0, 100.0),
                                      (float("nan"), 100.0)])
def test_unknown_or_zero_equity_gives_null_not_zero(prev, cur):
    out = pnl.period_returns(periods([(prev, cur, 0.0, 0.0)])).row(0, named=True)
    assert out["pnl"] is None and out["ret"] is None


def test_null_flows_mean_no_flow():
    out = pnl.period_returns(periods([(100.0, 101.0, None, None)])).row(0, named=True)
    assert out["ret"] == pytest.approx(0.01)


def test_period_returns_requires_columns():
    with pytest.raises(ValueError):
        pnl.period_returns(pl.DataFrame({"equity": [1.0]}))


# --- windows -------------------------------------------------------------------
def test_window_pnl_and_return():
    assert pnl.window_pnl(1_000.0, 1_600.0, 500.0) == pytest.approx(100.0)
    # flow weight defaults to mid-window
    assert pnl.window_return(1_000.0, 1_600.0, 500.0) == pytest.approx(100.0 / 1_250.0)
    assert pnl.window_return(1_000.0, 1_600.0, 500.0, 500.0) == pytest.approx(100.0 / 1_500.0)
    assert pnl.window_pnl(None, 1_600.0, 0.0) is None
    assert pnl.window_return(0.0, 10.0, 0.0) is None


def test_chart_bucket():
    assert pnl.chart_bucket_seconds(date(2025, 1, 1), date(2025, 1, 31)) == 3600
    assert pnl.chart_bucket_seconds(date(2025, 1, 1), date(2025, 3, 1)) == 86400


# --- index and drawdown ------------------------------------------------------------
def test_equity_index_carries_level_through_null():
    assert pnl.equity_index([0.1, None, -0.5]) == pytest.approx([1.1, 1.1, 0.55])


def test_drawdown_peak_trough_recovery():
    frame = pl.DataFrame(
        {
            "prev_equity_ts": [T(1), T(2), T(3), T(4)],
            "equity_ts": [T(2), T(3), T(4), T(5)],
            "ret": [0.10, -0.20, 0.05, 0.20],
        }
    )
    dd = pnl.drawdown_series(frame)
    assert dd["index"].to_list() == pytest.approx([1.0, 1.1, 0.88, 0.924, 1.1088])
    assert dd["drawdown"].to_list() == pytest.approx([0.0, 0.0, -0.2, -0.16, 0.0])
    m = pnl.max_drawdown(dd)
    assert m["max_drawdown"] == pytest.approx(-0.2)
    assert m["peak_ts"] == T(2) and m["trough_ts"] == T(3) and m["recovered_ts"] == T(5)
    assert m["current_drawdown"] == pytest.approx(0.0) and m["current_peak_ts"] == T(5)


def test_loss_in_first_period_is_a_drawdown_from_the_start_mark():
    frame = pl.DataFrame({"prev_equity_ts": [T(1)], "equity_ts": [T(2)], "ret": [-0.05]})
    m = pnl.max_drawdown(pnl.drawdown_series(frame))
    assert m["max_drawdown"] == pytest.approx(-0.05)
    assert m["peak_ts"] == T(1) and m["trough_ts"] == T(2) and m["recovered_ts"] is None


def test_deposit_neither_hides_nor_creates_a_drawdown():
    # equity 100 -> 90 (a 10% loss) -> 190 (a 100 deposit, no market move) -> 171 (a 10% loss)
    raw = periods([(100.0, 90.0, 0.0, 0.0), (90.0, 190.0, 100.0, 50.0), (190.0, 171.0, 0.0, 0.0)])
    frame = pnl.period_returns(raw).with_columns(
        pl.Series("prev_equity_ts", [T(1), T(2), T(3)]), pl.Series("equity_ts", [T(2), T(3), T(4)])
    )
    assert frame["ret"].to_list() == pytest.approx([-0.1, 0.0, -0.1])
    m = pnl.max_drawdown(pnl.drawdown_series(frame))
    # raw equity would say "new high at 190"; the deposit-adjusted index is still 19% under water
    assert m["max_drawdown"] == pytest.approx(0.9 * 0.9 - 1)
    assert m["current_drawdown"] == pytest.approx(0.9 * 0.9 - 1)
    assert m["peak_ts"] == T(1) and m["trough_ts"] == T(4) and m["recovered_ts"] is None


def test_withdrawal_is_not_a_drawdown():
    raw = periods([(100.0, 50.0, -50.0, -50.0), (50.0, 51.0, 0.0, 0.0)])
    frame = pnl.period_returns(raw).with_columns(
        pl.Series("prev_equity_ts", [T(1), T(2)]), pl.Series("equity_ts", [T(2), T(3)])
    )
    m = pnl.max_drawdown(pnl.drawdown_series(frame))
    assert m["max_drawdown"] == 0.0 and m["peak_ts"] is None and m["trough_ts"] is None
    assert m["current_drawdown"] == 0.0


def test_drawdown_without_start_mark_and_empty():
    frame = pl.DataFrame({"prev_equity_ts": [None, T(2)], "equity_ts": [T(2), T(3)], "ret": [None, -0.1]},
                         schema={"prev_equity_ts": pl.Datetime("ms", "UTC"), "equity_ts": pl.Datetime("ms", "UTC"),
                                 "ret": pl.Float64})
    dd = pnl.drawdown_series(frame)
    assert dd.height == 2 and dd["drawdown"].to_list() == pytest.approx([0.0, -0.1])
    empty = pnl.drawdown_series(frame.head(0))
    assert empty.height == 0 and pnl.max_drawdown(empty)["max_drawdown"] is None


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
    parts = pnl.decompose({
        "equity_start": 1_000.0, "equity_end": 1_600.0, "flows": 500.0, "realized": 80.0, "fees": 5.0,
        "funding": -3.0, "unrealized_start": 10.0, "unrealized_end": 40.0,
    })
    assert parts["total"] == pytest.approx(100.0)  # the 500 deposit is not PnL
    assert parts["fees"] == pytest.approx(-5.0)
    assert parts["unrealized_change"] == pytest.approx(30.0)
    assert parts["explained"] == pytest.approx(102.0)
    assert parts["residual"] == pytest.approx(-2.0)
    frame = pnl.decomposition_frame(parts)
    assert frame["component"].to_list() == ["realized", "fees", "funding", "unrealized_change", "residual"]
    assert frame["usd"].sum() == pytest.approx(parts["total"])


def test_decomposition_unknowns_stay_unknown():
    parts = pnl.decompose({"equity_start": None, "equity_end": 1_600.0, "flows": 0.0, "realized": 1.0,
                           "fees": 0.0, "funding": 0.0, "unrealized_start": None, "unrealized_end": 5.0})
    assert parts["total"] is None and parts["unrealized_change"] is None
    assert parts["explained"] is None and parts["residual"] is None
    assert parts["realized"] == 1.0


def test_exposure_pct():
    assert pnl.exposure_pct(50.0, 200.0) == pytest.approx(0.25)
    assert pnl.exposure_pct(50.0, 0.0) is None
    assert pnl.exposure_pct(None, 100.0) is None


def test_headline_windows():
    frame = pl.DataFrame({
        "window": ["today", "all"], "equity_start": [100.0, None], "equity_end": [103.0, 103.0],
        "flows": [2.0, 0.0], "flows_weighted": [1.0, 0.0],
        "equity_start_ts": [T(1), None], "equity_end_ts": [T(2), T(2)],
    })
    h = pnl.headline(frame)
    assert h["today"]["pnl"] == pytest.approx(1.0) and h["today"]["ret"] == pytest.approx(1.0 / 101.0)
    assert h["all"]["pnl"] is None and h["all"]["ret"] is None


def test_latest_snapshot_day():
    assert pnl.latest_snapshot_day(datetime(2025, 12, 15, 11, 45, tzinfo=UTC), 2) == date(2025, 12, 15)
    assert pnl.latest_snapshot_day(datetime(2025, 12, 15, 2, 59, tzinfo=UTC), 2) == date(2025, 12, 14)
    assert pnl.latest_snapshot_day(datetime(2025, 12, 15, 3, 0, tzinfo=UTC), 2) == date(2025, 12, 15)
    assert pnl.latest_snapshot_day(None, 2) is None


def test_te_headline_from_two_days_of_timeline():
    d1, d2 = date(2025, 12, 6), date(2025, 12, 7)
    tl = pl.DataFrame({
        "holdings_date": [d1, d1, d2, d2, d2],
        "sym": ["AAA", "BBB", "AAA", "BBB", "CCC"],
        "actual_weight": [0.10, -0.05, 0.10, 0.0, 0.03],
        "weight_t2": [0.10, -0.05, 0.13, -0.05, None],
        "weight_t1": [0.10, -0.05, 0.10, -0.05, None],
        "t2_rows_for_day": [2, 2, 2, 2, 2],  # both days have their D-2 targets
    })
    h = pnl.te_headline(tl, d2)
    assert h["te_prev"] == pytest.approx(0.0)
    assert h["te"] == pytest.approx(math.sqrt(0.03**2 + 0.05**2 + 0.03**2))
    assert h["delta"] == pytest.approx(h["te"])
    assert dict(h["counts"]) == {"MAGNITUDE_ERROR": 1, "MISSING_POSITION": 1, "EXTRA_POSITION": 1}
    assert dict(h["problems"]) == dict(h["counts"])
    empty = pnl.te_headline(None, d2)
    assert empty["te"] is None and empty["counts"] == []
