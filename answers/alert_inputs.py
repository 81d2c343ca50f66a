"""Load what the alert rules read, with the same query functions the pages use.

`gather()` returns a `lib.alerting.rules.LiveInputs`: every frame the rules need, or an
`Unavailable` marker where the table is missing on this ClickHouse (those rules
report "not evaluated"). Any other failure (unreachable, credentials, timeout,
configuration) stops the loading: the remaining inputs are Unavailable and
`clickhouse_error` carries the reason, which the ClickHouse rule turns into the
firing alert "dashboard cannot read ClickHouse".

Used by `python -m cli alerts`, the daily report and the System Health Alerts panel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from answers import book, rebalance, shortfall, tracking
from lib import clock, config
from lib.alerting import rules as alerts
from lib.book import pnl
from lib.clickhouse.errors import QueryFailed
from lib.config import ConfigError
from lib.health import rules
from queries.book import overview, risk, trades
from queries.health import health
from queries.tracking import tracking_error

UTC = UTC
# failures that mean the dashboard cannot read ClickHouse at all (lib.clickhouse.errors.QueryFailed.kind)
FATAL_KINDS = frozenset({"unreachable", "auth", "timeout", "server_error", "config"})


def fatal_reason(err: QueryFailed | ConfigError) -> str | None:
    """The "dashboard cannot read ClickHouse" text for a failure that stops every read, else None."""
    if isinstance(err, ConfigError):
        return f"ClickHouse configuration error: {err}"
    return f"{err.headline}: {err.detail}" if err.kind in FATAL_KINDS else None


def outage(reason: str) -> alerts.LiveInputs:
    """The inputs when ClickHouse could not be read before anything was loaded (the command line could not
    even list the accounts): the ClickHouse rule fires with `reason`, every other rule is not evaluated."""
    gone = alerts.Unavailable(f"not loaded: {reason}")
    return alerts.LiveInputs(
        as_of_frame=gone,
        monitors=gone,
        sync_streaks=gone,
        sync_stats=gone,
        hour=None,
        hour_rows=gone,
        newest_target=gone,
        snapshot=gone,
        day=None,
        day_exec=gone,
        today_pnl=gone,
        equity_daily=gone,
        account_risk=gone,
        position_risk=gone,
        clickhouse_error=reason,
        model_band=gone,
    )


class Loader:
    """Calls query functions; a missing table becomes Unavailable, the first real failure stops the rest."""

    def __init__(self) -> None:
        self.error: str | None = None

    def __call__(self, fn: Callable[..., Any], *args: Any, what: str) -> Any:
        if self.error is not None:
            return alerts.Unavailable(f"not loaded: {self.error}")
        try:
            return fn(*args)
        except QueryFailed as err:
            if err.kind == "missing_table":
                return alerts.Unavailable(f"{what}: not available on this ClickHouse — {err.detail}")
            self.error = fatal_reason(err)
            if self.error is None:  # this statement failed; the server still answers the others
                return alerts.Unavailable(f"{what}: {err.headline}: {err.detail}")
            return alerts.Unavailable(f"{what}: {self.error}")
        except ConfigError as err:
            self.error = fatal_reason(err)
            return alerts.Unavailable(f"{what}: {self.error}")


def _frame(x: Any) -> pl.DataFrame | None:
    return x if isinstance(x, pl.DataFrame) else None


def gather() -> alerts.LiveInputs:
    """Every input of `lib.alerting.rules.evaluate`, loaded now."""
    load = Loader()
    as_of_frame = load(health.data_as_of, what="data as of")
    as_of_rows = _frame(as_of_frame)
    row = as_of_rows.row(0, named=True) if as_of_rows is not None and as_of_rows.height else {}
    desk_clock = clock.from_data_as_of(row)  # the pages' clock: the newest account snapshot, never after the server's
    server_now, account_ts, as_of = desk_clock.server_now, rules.valid_ts(row.get("account_ts")), desk_clock.as_of

    monitors = load(health.monitor_status, what="monitor heartbeats")
    newest_beat = None
    if _frame(monitors) is not None and monitors.height and "newest_beat" in monitors.columns:
        newest_beat = monitors.item(0, "newest_beat")
    # sync windows end at the server's now, or at the newest data when it is more than a day old (as System Health)
    anchored, _ = rules.window_end(server_now, [account_ts, newest_beat])
    end = anchored or (rules.ceil_minute(server_now) if server_now else None)
    if end is None:
        streaks = alerts.Unavailable(load.error or "the server clock is unknown")
    else:
        streaks = load(health.sync_streaks, end, what="sync runs (sync_log)")

    stats = []
    reason = None
    for name in health.SYNCED_TABLES:
        if end is None:  # latency windows are measured back from now: without a clock there is none
            reason = load.error or "the server clock is unknown"
            break
        got = load(health.sync_stats, name, end, what=f"sync statistics of {name}")
        if isinstance(got, pl.DataFrame):
            stats.append(got)
        else:
            reason = got.reason
    sync_stats = pl.concat(stats, how="diagonal_relaxed") if stats else alerts.Unavailable(reason or "no synced table")

    no_day = alerts.Unavailable(
        f"not loaded: {load.error}" if load.error else "no account snapshot: the current day is unknown"
    )
    hour = clock.latest_complete(as_of) if as_of else None
    hour_rows = (
        load(tracking_error.timeline, hour[0], hour[0], hour[1], what="prices at the newest hour") if hour else no_day
    )

    targets = load(tracking_error.newest_target_date, what="model targets")
    if isinstance(targets, pl.DataFrame):
        newest_target = targets.item(0, "newest") if targets.height else None
    else:
        newest_target = targets

    # the latest complete snapshot at the playbook hour, classified as Overview's TE metric classifies it
    snapshot: Any = load(tracking.te_now, as_of, what="tracking-error snapshot") if as_of else no_day

    day = as_of.date() if as_of else None
    day_exec = load(trades.daily_execution, day, day, what="the day's execution") if day else no_day
    head = load(overview.headline_pnl, what="headline PnL")
    today_pnl = pnl.headline(head).get("today") if isinstance(head, pl.DataFrame) else head
    equity_daily = (
        load(
            overview.equity_series,
            day - timedelta(days=config.ALERT_DRAWDOWN_LOOKBACK_DAYS),
            day,
            86400,
            what="daily equity",
        )
        if day
        else no_day
    )
    account_risk = load(book.account_risk_now, what="latest account snapshot")
    position_risk = load(risk.position_risk, what="latest positions")
    progress = load(rebalance.completion, day, desk_clock, what="today's rebalance") if day else no_day
    next_check = (
        load(rebalance.preflight, rebalance.next_target_date(desk_clock), desk_clock, what="next targets' checks")
        if as_of
        else no_day
    )
    model_band = load(model_book_band, as_of, what="live against the model book") if as_of else no_day
    return alerts.LiveInputs(
        as_of_frame=as_of_frame,
        monitors=monitors,
        sync_streaks=streaks,
        sync_stats=sync_stats,
        hour=hour,
        hour_rows=hour_rows,
        newest_target=newest_target,
        snapshot=snapshot,
        day=day,
        day_exec=day_exec,
        today_pnl=today_pnl,
        equity_daily=equity_daily,
        account_risk=account_risk,
        position_risk=position_risk,
        as_of=as_of,
        clickhouse_error=load.error,
        rebalance=progress,
        preflight=next_check,
        model_band=model_band,
    )


def model_book_band(as_of: datetime) -> Any:
    """The live book against the model book over the last config.MODEL_ALERT_DAYS complete days, and its band."""
    last = clock.latest_complete_day(as_of, shortfall.DAY_CLOSE_HOUR)
    return shortfall.model_book(last - timedelta(days=config.MODEL_ALERT_DAYS - 1), last, as_of=as_of).band


def checked_at(inputs: alerts.LiveInputs) -> datetime:
    """The server's clock when it answered, else this machine's (ClickHouse down)."""
    frame = _frame(inputs.as_of_frame)
    if frame is not None and frame.height:
        now = rules.aware(frame.item(0, "server_now"))
        if now is not None:
            return now
    return datetime.now(UTC)


def evaluate_now(thresholds: dict[str, float] | None = None) -> tuple[datetime, list[alerts.RuleResult]]:
    """Load and evaluate every rule: (checked_at, results)."""
    inputs = gather()
    return checked_at(inputs), alerts.evaluate(inputs, thresholds or alerts.thresholds())


__all__ = ["gather", "evaluate_now", "checked_at", "Loader", "outage", "fatal_reason"]
