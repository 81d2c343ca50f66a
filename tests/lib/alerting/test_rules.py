"""Every alert rule at its threshold (OK) and just past it (FIRING), on hand-made frames; not-evaluated paths."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib import config
from lib.alerting import rules as alerts
from lib.book import risk
from lib.config import ConfigError
from lib.tracking import snapshot as te_snapshot

UTC = UTC
NOW = datetime(2025, 12, 7, 12, 0, tzinfo=UTC)
T = alerts.thresholds()
EPS = 1e-6


def one(results, rule=None, key=""):
    found = [r for r in results if (rule is None or r.rule == rule) and r.key == key]
    assert len(found) == 1, results
    return found[0]


# ------------------------------------------------------------------ data


def as_of(account_age_min, positions_age_min=1.0):
    return pl.DataFrame(
        {
            "account_ts": [NOW - timedelta(minutes=account_age_min)],
            "positions_ts": [NOW - timedelta(minutes=positions_age_min)],
            "server_now": [NOW],
        }
    )


def test_data_stale_at_and_past_the_limit():
    at = alerts.data_stale(as_of(15.0, 90.0), T)
    assert [r.status for r in at] == [alerts.OK, alerts.OK]
    past = alerts.data_stale(as_of(15.0 + EPS, 90.0 + EPS), T)
    assert [(r.key, r.status) for r in past] == [("account", alerts.FIRING), ("positions", alerts.FIRING)]
    acc = past[0]
    assert acc.since == NOW - timedelta(minutes=15.0 + EPS) + timedelta(minutes=15)  # newest row + the limit
    assert "15 min" in acc.detail and "stale" in acc.subject
    # pending counts from the data: an outage that began an hour ago is firing on the first check
    assert alerts.state_of(one(alerts.data_stale(as_of(75), T), key="account"), NOW) == alerts.STATE_FIRING


def test_data_stale_empty_and_missing_table():
    empty = pl.DataFrame(
        {"account_ts": [None], "positions_ts": [None], "server_now": [NOW]},
        schema={
            "account_ts": pl.Datetime("ms", "UTC"),
            "positions_ts": pl.Datetime("ms", "UTC"),
            "server_now": pl.Datetime("ms", "UTC"),
        },
    )
    assert all(r.status == alerts.FIRING and "No " in r.subject for r in alerts.data_stale(empty, T))
    r = one(alerts.data_stale(alerts.Unavailable("account: not available on this ClickHouse"), T))
    assert r.status == alerts.NOT_EVALUATED and "not available" in r.detail
    assert alerts.state_of(r, NOW) == alerts.STATE_NOT_EVALUATED


def monitors(age_s, status="ok", monitor="ohlcv"):
    names = list(config.MONITOR_INTERVALS_S)
    return pl.DataFrame(
        {
            "monitor": names,
            "last_ts": [NOW - timedelta(seconds=age_s if m == monitor else 5) for m in names],
            "last_status": [status if m == monitor else "ok" for m in names],
            "last_message": ["HTTP 429" if m == monitor else "" for m in names],
            "last_host": ["h1"] * len(names),
            "last_error_ts": [None] * len(names),
            "last_error_message": [None] * len(names),
            "beats_24h": [1000] * len(names),
            "errors_24h": [0] * len(names),
            "server_now": [NOW] * len(names),
        },
        schema_overrides={"last_error_ts": pl.Datetime("ms", "UTC"), "last_error_message": pl.String},
    )


def test_monitor_down_pending_duration_from_the_last_beat():
    interval = config.MONITOR_INTERVALS_S["ohlcv"]
    down_after = config.DOWN_FACTOR * interval
    ok = one(alerts.monitor_down(monitors(down_after), T), key="ohlcv")
    assert ok.status == alerts.OK  # LATE, not DOWN
    r = one(alerts.monitor_down(monitors(down_after + 1), T), key="ohlcv")
    assert r.status == alerts.FIRING and r.since == NOW - timedelta(seconds=1)
    assert r.pending_s == T["monitor_down_min"] * 60
    assert alerts.state_of(r, NOW) == alerts.STATE_PENDING  # DOWN 1 s: not yet N min
    # DOWN for exactly monitor_down_min: firing; a second less: still pending
    limit = T["monitor_down_min"] * 60
    at = one(alerts.monitor_down(monitors(down_after + limit), T), key="ohlcv")
    assert alerts.state_of(at, NOW) == alerts.STATE_FIRING
    before = one(alerts.monitor_down(monitors(down_after + limit - 1), T), key="ohlcv")
    assert alerts.state_of(before, NOW) == alerts.STATE_PENDING
    assert [r.status for r in alerts.monitor_down(monitors(down_after + 1), T) if r.key != "ohlcv"] == [alerts.OK] * (
        len(config.MONITOR_INTERVALS_S) - 1
    )


def test_monitor_down_error_beat_counts_from_the_beat():
    r = one(alerts.monitor_down(monitors(30, status="error"), T), key="ohlcv")
    assert r.status == alerts.FIRING and r.since == NOW - timedelta(seconds=30)
    assert "HTTP 429" in r.detail and "h1" in r.detail


def streaks(n_failed, n_ok=1):
    times = [NOW - timedelta(minutes=5 * (n_failed - i)) for i in range(n_failed)]
    return pl.DataFrame(
        {
            "database": ["maicro_monitors"],
            "table": ["trades"],
            "last_run": [NOW],
            "last_success": [NOW - timedelta(hours=1) if n_ok else None],
            "failed_in_row": [n_failed],
            "failure_times": [times],
            "last_error": ["Code: 210. refused"],
        },
        schema_overrides={"last_success": pl.Datetime("us", "UTC")},
    )


def test_sync_failing_at_and_past_n_in_a_row():
    n = int(T["sync_failures_in_row"])
    assert one(alerts.sync_failing(streaks(n - 1), T), key="maicro_monitors.trades").status == alerts.OK
    r = one(alerts.sync_failing(streaks(n), T), key="maicro_monitors.trades")
    assert r.status == alerts.FIRING and f"failed {n} times in a row" in r.subject
    assert r.since == NOW - timedelta(minutes=5 * (n - (n - 1)))  # the n-th failure of the streak
    assert "Code: 210" in r.detail
    assert one(alerts.sync_failing(streaks(0).clear(), T)).status == alerts.NOT_EVALUATED


def test_sync_lag_at_and_past_the_limit():
    limit = T["sync_lag_min"] * 60
    frame = pl.DataFrame(
        {
            "table_key": ["trades", "account", "ledger"],
            "lat_latest_s": [float(limit), limit + 0.5, None],
            "lat_p95_1h": [10.0, 20.0, None],
        }
    )
    res = {r.key: r for r in alerts.sync_lag(frame, T)}
    assert res["trades"].status == alerts.OK and res["account"].status == alerts.FIRING
    assert res["ledger"].status == alerts.NOT_EVALUATED
    assert alerts.state_of(res["account"], NOW, first_seen=NOW) == alerts.STATE_PENDING  # sync_lag_pending_min


def hour_rows(missing=("PURR",)):
    syms = ["BTC", "ETH", "PURR", "DOGE"]
    return pl.DataFrame(
        {
            "sym": syms,
            "weight_t2": [0.1, -0.1, 0.0, 0.0],
            "pos_units": [1.0, -2.0, 5.0, 0.0],
            "bn_px": [None if s in missing else 10.0 for s in syms],
        }
    )


def test_prices_missing():
    day = NOW.date()
    ok = one(alerts.prices_missing(hour_rows(missing=("DOGE",)), day, 10, T))  # DOGE neither held nor targeted
    assert ok.status == alerts.OK and "3 symbols" in ok.subject
    r = one(alerts.prices_missing(hour_rows(missing=("PURR", "ETH")), day, 10, T))
    assert r.status == alerts.FIRING and "ETH, PURR" in r.detail and "2 of 3" in r.subject
    assert r.since == datetime(2025, 12, 7, 11, tzinfo=UTC)


def test_targets_missing_deadlines():
    t = dict(T, targets_due_hour=23)
    day = date(2025, 12, 7)
    before_due = datetime(2025, 12, 7, 22, 59, tzinfo=UTC)
    assert one(alerts.targets_missing(date(2025, 12, 5), before_due, t)).status == alerts.OK
    at_due = datetime(2025, 12, 7, 23, 0, tzinfo=UTC)
    late = one(alerts.targets_missing(date(2025, 12, 5), at_due, t))
    assert late.status == alerts.FIRING and "2025-12-06" in late.subject and late.since == at_due
    assert one(alerts.targets_missing(date(2025, 12, 6), at_due, t)).status == alerts.OK
    gone = one(alerts.targets_missing(date(2025, 12, 4), before_due, t))
    assert gone.status == alerts.FIRING and "2025-12-05" in gone.subject and gone.since.date() == day
    assert (
        one(alerts.targets_missing(None, None, t, alerts.Unavailable("no targets table"))).status
        == alerts.NOT_EVALUATED
    )


# -------------------------------------------------------------- tracking


def snapshot_rows(actual, target, t2_rows=None, fills=True):
    syms = [f"S{i}" for i in range(len(actual))]
    return pl.DataFrame(
        {
            "holdings_date": [NOW.date()] * len(syms),
            "sym": syms,
            "bn_symbol": [f"{s}USDT" for s in syms],
            "pos_units": [a * 1000.0 for a in actual],
            "bn_px": [1.0] * len(syms),
            "equity_usd": [1000.0] * len(syms),
            "actual_weight": actual,
            "weight_t2": target,
            "weight_t1": target,
            "t2_rows_for_day": [t2_rows if t2_rows is not None else len(syms)] * len(syms),
            "last_fill_hour": [NOW if fills else None] * len(syms),
        }
    )


def snap_of(rows: pl.DataFrame, complete: bool = True) -> te_snapshot.TeNow:
    """The tracking rules' input, as answers.tracking.te_now builds it: the pages' SnapshotView of the day."""
    return te_snapshot.TeNow(NOW.date(), 2, te_snapshot.snapshot_view(rows, complete=complete), None)


def test_te_threshold():
    te_max = T["te_max"]
    at = snap_of(snapshot_rows([0.10 + te_max], [0.10]))  # one error of exactly te_max
    assert one(alerts.tracking(at, T), "te_high").status == alerts.OK
    past = snap_of(snapshot_rows([0.10 + te_max + 1e-4], [0.10]))
    r = one(alerts.tracking(past, T), "te_high")
    assert r.status == alerts.FIRING and "3.01%" in r.subject
    assert r.subject.endswith("at 2025-12-07 02:00 hour (positions as of 03:00 UTC)")  # named at its end


def test_wrong_direction_extra_and_missing_counts():
    m = int(T["missing_max"])
    clean = snap_of(snapshot_rows([0.05] * 4, [0.05] * 4))
    assert {r.rule: r.status for r in alerts.tracking(clean, T)} == {r: alerts.OK for r in alerts.TRACKING_RULES}
    wrong = snap_of(snapshot_rows([-0.05, 0.05], [0.05, 0.05]))
    assert one(alerts.tracking(wrong, T), "wrong_direction").status == alerts.FIRING
    extra = snap_of(snapshot_rows([0.05, 0.05], [0.0, 0.05]))
    r = one(alerts.tracking(extra, T), "extra_position")
    assert r.status == alerts.FIRING and "S0" in r.detail
    at = snap_of(snapshot_rows([0.0] * m + [0.05], [0.05] * m + [0.05]))
    assert one(alerts.tracking(at, T), "missing_positions").status == alerts.OK
    past = snap_of(snapshot_rows([0.0] * (m + 1) + [0.05], [0.05] * (m + 1) + [0.05]))
    r = one(alerts.tracking(past, T), "missing_positions")
    assert r.status == alerts.FIRING and f"{m + 1} missing" in r.subject


def test_targets_and_no_fills_is_not_all_missing():
    """A day with targets and no fill up to the snapshot: the book is unknown (the pages' one day rule), so the
    alert does not call every symbol MISSING (it was TE 11.2% and te_high firing) — not evaluated instead."""
    snap = snap_of(snapshot_rows([0.0, 0.0], [0.05, 0.10], fills=False))
    res = {r.rule: r for r in alerts.tracking(snap, T)}
    assert {res[r].status for r in ("te_high", "wrong_direction", "extra_position", "missing_positions")} == {
        alerts.NOT_EVALUATED
    }
    assert "no fills up to the 2025-12-07 02:00 hour (positions as of 03:00 UTC) snapshot" in res["te_high"].detail
    assert res["no_targets_d2"].status == alerts.OK
    # a snapshot whose hour has not closed is not judged either
    pending = {r.rule: r for r in alerts.tracking(snap_of(snapshot_rows([0.0], [0.05]), complete=False), T)}
    assert pending["te_high"].status == alerts.NOT_EVALUATED and "has not closed" in pending["te_high"].detail


def test_no_targets_d2_leaves_the_other_tracking_rules_not_evaluated():
    snap = snap_of(snapshot_rows([0.05], [None], t2_rows=0))
    res = {r.rule: r for r in alerts.tracking(snap, T)}
    assert res["no_targets_d2"].status == alerts.FIRING and "2025-12-05" in res["no_targets_d2"].subject
    assert {res[r].status for r in ("te_high", "wrong_direction", "extra_position", "missing_positions")} == {
        alerts.NOT_EVALUATED
    }


# ------------------------------------------------------------- execution


def day_exec(first_fill_s=42, n_off=0, n_untracked=0, fee_bps=4.0):
    d = NOW.date()
    midnight = datetime(d.year, d.month, d.day, tzinfo=UTC)
    return pl.DataFrame(
        {
            "day": [d],
            "n_fills": [50],
            "first_fill": [midnight + timedelta(seconds=first_fill_s)],
            "last_fill": [midnight + timedelta(seconds=first_fill_s + 90)],
            "window_span_s": [90.0],
            "n_off_window": [n_off],
            "n_untracked": [n_untracked],
            "fee_bps": [fee_bps],
            "fees": [100.0],
            "notional_usd": [250_000.0],
        }
    )


def progress(done_by_deadline: bool, done_now: bool, nothing: bool = False, day=None):
    """Today's rebalance (lib.rebalance.completion.build) of two symbols: A fills at 00:00:50; B at 00:10
    (before the 00:15 deadline) or at 00:30 (after it), or never."""
    from lib.rebalance import completion

    d = day or NOW.date()
    t0 = datetime(d.year, d.month, d.day, tzinfo=UTC)
    pre = pl.DataFrame(
        {
            "holdings_date": [d, d],
            "sym": ["A", "B"],
            "pos_units": [50.0, 40.0] if nothing else [0.0, 0.0],
            "bn_px": [100.0, 100.0],
            "equity_usd": [100_000.0, 100_000.0],
            "weight_t2": [0.05, 0.04],
            "has_t2_row": [True, True],
        }
    )
    fills = [("A", t0 + timedelta(seconds=50), 50.0)]
    if done_by_deadline:
        fills.append(("B", t0 + timedelta(minutes=10), 40.0))
    elif done_now:
        fills.append(("B", t0 + timedelta(minutes=30), 40.0))
    steps = pl.DataFrame([] if nothing else fills, schema=["coin", "time", "d_units"], orient="row")
    orders = pl.DataFrame(schema={"coin": pl.String, "n_orders": pl.Int64})
    return completion.build(d, NOW, pre, steps, orders, None, None)


def test_rebalance_below_its_floor_at_the_deadline_names_the_open_symbols():
    day = NOW.date()
    late = one(alerts.execution(day_exec(), day, NOW, T, progress(False, False)), "rebalance_late")
    assert late.status == alerts.FIRING and late.since == datetime(2025, 12, 7, 0, 15, tzinfo=UTC)
    assert late.subject == "Rebalance of 2025-12-07 55.6% complete at 00:15 UTC (below 95%)"  # 5,000 of 9,000
    assert "still open: B (not started)" in late.detail
    ok = one(alerts.execution(day_exec(), day, NOW, T, progress(True, True)), "rebalance_late")
    assert ok.status == alerts.OK and ok.subject == "Rebalance of 2025-12-07 100.0% complete"
    caught_up = one(alerts.execution(day_exec(), day, NOW, T, progress(False, True)), "rebalance_late")
    assert caught_up.status == alerts.OK and "55.6% at 00:15 UTC" in caught_up.subject  # done later: resolved
    floor = {**T, "rebalance_complete_min": 0.5}
    assert (
        one(alerts.execution(day_exec(), day, NOW, floor, progress(False, False)), "rebalance_late").status == alerts.OK
    )
    nothing = one(alerts.execution(day_exec(), day, NOW, T, progress(False, False, nothing=True)), "rebalance_late")
    assert nothing.status == alerts.OK and nothing.subject == "Rebalance of 2025-12-07: nothing to trade"
    early = datetime(2025, 12, 7, 0, 10, tzinfo=UTC)  # before the deadline nothing can be said yet
    assert (
        one(alerts.execution(day_exec(), day, early, T, progress(False, False)), "rebalance_late").status == alerts.OK
    )
    unknown = one(alerts.execution(day_exec(), day, NOW, T), "rebalance_late")
    assert unknown.status == alerts.NOT_EVALUATED


def test_targets_preflight_fires_on_a_failing_check_naming_it():
    from lib.rebalance import checks, preflight

    good = checks.Check("weights", "Weights within the mandate", checks.PASS, "gross 130%")
    bad = checks.Check("listed", "Listed on Hyperliquid", checks.FAIL, "1 not listed", ("NOPE (not on the exchange)",))
    at = datetime(2025, 12, 7, 12, 0, tzinfo=UTC)
    fired = alerts.targets_preflight(
        preflight.Preflight(date(2025, 12, 6), date(2025, 12, 8), at, True, (good, bad)), T
    )
    r = one(fired, "targets_preflight")
    assert r.status == alerts.FIRING and r.severity == alerts.CRITICAL
    assert r.subject == "Targets dated 2025-12-06 fail 1 pre-trade check (on landing, the 2025-12-08 rebalance)"
    assert r.detail == "Listed on Hyperliquid: NOPE (not on the exchange)"
    passed = alerts.targets_preflight(preflight.Preflight(date(2025, 12, 6), date(2025, 12, 8), at, True, (good,)), T)
    assert one(passed).status == alerts.OK
    none = alerts.targets_preflight(preflight.Preflight(date(2025, 12, 6), date(2025, 12, 8), at, False, ()), T)
    assert one(none).status == alerts.OK and one(none).subject == "No targets dated 2025-12-06 to check yet"
    assert one(alerts.targets_preflight(alerts.Unavailable("down"), T)).status == alerts.NOT_EVALUATED


def test_off_window_untracked_and_fees():
    res = {r.rule: r.status for r in alerts.execution(day_exec(), NOW.date(), NOW, T, progress(True, True))}
    assert res == {r: alerts.OK for r in alerts.EXECUTION_RULES}
    assert one(alerts.execution(day_exec(n_off=1), NOW.date(), NOW, T), "off_window_fills").status == alerts.FIRING
    u = int(T["untracked_max"])
    assert one(alerts.execution(day_exec(n_untracked=u), NOW.date(), NOW, T), "untracked_fills").status == alerts.OK
    assert (
        one(alerts.execution(day_exec(n_untracked=u + 1), NOW.date(), NOW, T), "untracked_fills").status
        == alerts.FIRING
    )
    f = T["fee_bps_max"]
    assert one(alerts.execution(day_exec(fee_bps=f), NOW.date(), NOW, T), "fees_high").status == alerts.OK
    r = one(alerts.execution(day_exec(fee_bps=f + 0.01), NOW.date(), NOW, T), "fees_high")
    assert r.status == alerts.FIRING and "5.01 bp" in r.subject


# ------------------------------------------------------------------ risk


def test_daily_loss():
    limit = T["daily_loss_max"]
    assert (
        one(alerts.daily_loss({"ret": -limit, "pnl": -30_000, "equity_start": 1e6}, NOW.date(), T)).status == alerts.OK
    )
    r = one(alerts.daily_loss({"ret": -limit - 1e-6, "pnl": -30_001, "equity_start": 1e6}, NOW.date(), T))
    assert r.status == alerts.FIRING and "−3.00%" in r.subject
    assert one(alerts.daily_loss({"ret": None}, NOW.date(), T)).status == alerts.NOT_EVALUATED


def equity_days(values, flows=None):
    """equity_series-shaped daily rows for one snapshot a day, chained as SQL chains them (subperiods.sql)."""
    flows = flows or [0.0] * len(values)
    days = [datetime(2025, 12, 1, 23, 55, tzinfo=UTC) + timedelta(days=i) for i in range(len(values))]
    rows, index, peak, peak_ts = [], 1.0, 1.0, days[0]
    for i, (ts, e) in enumerate(zip(days, values)):
        if i:
            index *= 1 + (e - values[i - 1] - flows[i]) / values[i - 1]
        if index >= peak:
            peak, peak_ts = index, ts
        dd = index / peak - 1
        rows.append(
            {
                "bucket": ts.replace(hour=0, minute=0),
                "equity_ts": ts,
                "equity": e,
                "index": index,
                "dd_min": dd,
                "trough_ts": ts,
                "trough_peak_ts": peak_ts,
                "dd_last": dd,
                "peak_ts_last": peak_ts,
                "first_high_ts": ts if dd >= 0 else None,
                "first_high_after_trough_ts": None,
            }
        )
    return pl.DataFrame(rows)


def test_drawdown():
    limit = T["drawdown_max"]
    assert one(alerts.drawdown(equity_days([100.0, 110.0, 110.0 * (1 - limit)]), T)).status == alerts.OK
    r = one(alerts.drawdown(equity_days([100.0, 110.0, 110.0 * (1 - limit) - 0.01]), T))
    assert r.status == alerts.FIRING and "−10.01%" in r.subject and "beyond −10.00%" in r.detail
    # a withdrawal is not a drawdown
    f = equity_days([100.0, 110.0, 50.0], flows=[0.0, 0.0, -60.0])
    assert one(alerts.drawdown(f, T)).status == alerts.OK


def test_drawdown_says_since_when_it_has_been_beyond_the_limit():
    """The dashboard keeps no alert state, so the firing drawdown says from the data since when it has been beyond:
    the first day of the trailing run of closes beyond the limit (its trough), not an earlier dip that came back."""
    limit = T["drawdown_max"]
    beyond, inside = 110.0 * (1 - limit) - 1, 110.0 * (1 - limit) + 1
    days = equity_days([100.0, 110.0, beyond, inside, beyond, beyond - 2])
    r = one(alerts.drawdown(days, T))
    assert r.status == alerts.FIRING
    assert r.since == datetime(2025, 12, 5, 23, 55, tzinfo=UTC)  # the 5th day's close; the 3rd came back inside
    first_day = datetime(2025, 12, 3, 23, 55, tzinfo=UTC)
    assert one(alerts.drawdown(equity_days([100.0, 110.0, beyond]), T)).since == first_day
    assert one(alerts.drawdown(equity_days([100.0, 110.0, inside]), T)).since is None
    # a new peak between two falls: the fall after it is the one that counts
    again = equity_days([100.0, 110.0, beyond, 120.0, 120.0 * (1 - limit) - 1])
    assert one(alerts.drawdown(again, T)).since == datetime(2025, 12, 5, 23, 55, tzinfo=UTC)


def test_margin_used():
    """The alert reads Overview's number: lib.book.risk.account_totals over the newest snapshot of every account."""
    limit = T["margin_used_max"]

    def totals(*used):
        return risk.account_totals(
            pl.DataFrame(
                {
                    "ts": [NOW] * len(used),
                    "equity": [1000.0] * len(used),
                    "margin_used": list(used),
                    "total_ntl": [0.0] * len(used),
                    "withdrawable": [0.0] * len(used),
                    "prev_margin_pct": [None] * len(used),
                    "prev_leverage": [None] * len(used),
                }
            )
        )

    assert one(alerts.margin_used(totals(1000.0 * limit), T)).status == alerts.OK
    r = one(alerts.margin_used(totals(1000.0 * limit + 0.01), T))
    assert r.status == alerts.FIRING and r.subject == "Margin used 60.0% of equity"
    # two accounts: summed, then divided (0.7 of 2000), never one account's share
    two = one(alerts.margin_used(totals(1000.0, 400.0), T))
    assert two.status == alerts.FIRING and "70.0%" in two.subject and "2 accounts summed" in two.detail
    assert one(alerts.margin_used(totals(None), T)).status == alerts.NOT_EVALUATED
    assert one(alerts.margin_used({}, T)).status == alerts.NOT_EVALUATED


def test_liquidation_near_reads_the_pages_distance():
    """The alert reads queries.book.risk.position_risk's liq_distance_pct (percent of the mark), the distance the
    Overview and Positions tables show: one definition."""
    limit = T["liquidation_distance_min"]
    frame = lambda *pct: pl.DataFrame({"coin": ["BTC", "ETH", "SOL"][: len(pct)], "liq_distance_pct": list(pct)})
    assert one(alerts.liquidation_near(frame(limit * 100, 30.0, None), T)).status == alerts.OK
    r = one(alerts.liquidation_near(frame(limit * 100 - 0.01, 5.0, None), T))
    assert r.status == alerts.FIRING and r.subject.startswith("2 ") and r.detail == "ETH 5.0%, BTC 10.0%"
    ok = one(alerts.liquidation_near(frame(40.0, 25.0), T))
    assert ok.detail == "closest ETH 25.0% away"
    none = one(alerts.liquidation_near(frame(None), T))
    assert none.status == alerts.OK and none.detail == "no liquidation price reported"


# ----------------------------------------------------------------- shape


def test_thresholds_refuse_unknown_and_bad_values():
    assert alerts.thresholds({"te_max": "0.05"})["te_max"] == 0.05
    with pytest.raises(ConfigError, match="unknown alert threshold"):
        alerts.thresholds({"te_maxx": 1})
    with pytest.raises(ConfigError, match="must be a number"):
        alerts.thresholds({"te_max": "abc"})
    with pytest.raises(ConfigError, match=">= 0"):
        alerts.thresholds({"te_max": -1})


def test_json_shape_and_states():
    res = [
        alerts.RuleResult("te_high", alerts.FIRING, "TE 4%", "detail", since=NOW - timedelta(hours=1)),
        alerts.RuleResult("sync_lag", alerts.FIRING, "lag", key="trades", pending_s=300),
        alerts.RuleResult("margin_used", alerts.OK, "fine"),
        alerts.not_evaluated("drawdown", "no table"),
    ]
    out = alerts.to_json(res, NOW, {"sync_lag:trades": NOW - timedelta(minutes=10)})
    assert set(out) == {"checked_at", "alerts"} and out["checked_at"] == "2025-12-07T12:00:00Z"
    assert [set(a) for a in out["alerts"]] == [{"rule", "severity", "state", "since", "subject", "detail", "ack"}] * 4
    assert [(a["rule"], a["state"]) for a in out["alerts"]] == [
        ("te_high", "firing"),
        ("sync_lag:trades", "firing"),
        ("margin_used", "ok"),
        ("drawdown", "not evaluated"),
    ]
    assert out["alerts"][0]["since"] == "2025-12-07T11:00:00Z"
    assert out["alerts"][1]["since"] == "2025-12-07T11:50:00Z"  # first seen by the state
    assert out["alerts"][0]["severity"] == "warning" and out["alerts"][1]["severity"] == "warning"


def test_every_rule_is_covered_by_evaluate():
    empty = alerts.Unavailable("ClickHouse unreachable")
    inputs = alerts.LiveInputs(
        as_of_frame=empty,
        monitors=empty,
        sync_streaks=empty,
        sync_stats=empty,
        hour=None,
        hour_rows=empty,
        newest_target=empty,
        snapshot=empty,
        day=None,
        day_exec=empty,
        today_pnl=empty,
        equity_daily=empty,
        account_risk=empty,
        position_risk=empty,
        clickhouse_error="ClickHouse unreachable — http://db:8123: refused",
    )
    res = alerts.evaluate(inputs, T)
    assert {r.rule for r in res} == set(alerts.SPECS)
    ch = one(res, "clickhouse")
    assert ch.status == alerts.FIRING and ch.subject == "Dashboard cannot read ClickHouse"
    assert {r.status for r in res if r.rule != "clickhouse"} == {alerts.NOT_EVALUATED}  # never OK by default
