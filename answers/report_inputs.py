"""Load the daily and weekly reports' frames with the pages' own query functions.

A table missing on the remote leaves its section empty with a note; any other
ClickHouse failure raises `QueryFailed` (the command exits 3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from answers import rebalance, shortfall
from answers.clock import desk_clock
from lib import clock, config
from lib.alerting import rules as alerts
from lib.clickhouse.errors import QueryFailed
from lib.health import odd_rows
from lib.reports import daily as daily_report
from lib.reports import rebalance as rebalance_report
from lib.reports import weekly as weekly_report
from lib.tracking import snapshot as te_snapshot
from queries.book import overview, risk, trades
from queries.health import health, odd_data
from queries.tracking import tracking_error

UTC = UTC


def _optional(fn: Callable[..., Any], *args: Any, notes: list[str], what: str, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except QueryFailed as err:
        if err.kind != "missing_table":
            raise
        notes.append(f"{what}: not available on this ClickHouse ({err.detail})")
        return None


def _null_key_note(notes: list[str]) -> None:
    """Rows every statement left out for an empty (NULL) key: a report says so, as the pages do."""
    frame = _optional(odd_data.null_key_rows, notes=notes, what="rows with an empty key")
    sentence = odd_rows.null_key_sentence(frame.iter_rows(named=True)) if frame is not None else None
    if sentence:
        notes.append(sentence)


def daily(
    day: date,
    thresholds: Mapping[str, float],
    targets: Mapping[str, float],
    history: list | None = None,
    history_note: str = "",
) -> daily_report.DailyReport:
    """Everything of `lib.reports.daily.DailyReport` for the UTC day `day`."""
    data_clock = desk_clock()
    now = data_clock.server_now or datetime.now(UTC)
    report = daily_report.DailyReport(day=day, generated_at=now)
    notes = report.notes
    _null_key_note(notes)
    hour = config.DEFAULT_SNAPSHOT_HOUR
    window = _optional(overview.pnl_window, day, day, notes=notes, what="PnL decomposition")
    daily_report.pnl_part(report, window.row(0, named=True) if window is not None and window.height else None)
    series = _optional(
        overview.equity_series,
        day - timedelta(days=config.ALERT_DRAWDOWN_LOOKBACK_DAYS),
        day,
        86400,
        notes=notes,
        what="daily equity",
    )
    daily_report.equity_part(report, series)
    tl = _optional(
        tracking_error.timeline,
        day - timedelta(days=config.TE_HISTORY_DAYS),
        day,
        hour,
        notes=notes,
        what="tracking-error timeline",
    )
    view = daily_report.tracking_part(report, tl, hour, data_clock.as_of)
    day_exec = _optional(trades.daily_execution, day, day, notes=notes, what="execution")
    untracked = _optional(trades.untracked_fills, day, day, 20, notes=notes, what="untracked fills")
    daily_report.execution_part(report, day_exec, untracked)
    progress = rebalance.completion(day, data_clock)
    report.rebalance = rebalance_report.completion_part(progress, notes)
    # tomorrow's targets as of the report's making (at 00:30 UTC: the ones the next 00:00 trades)
    report.preflight = rebalance_report.preflight_part(
        rebalance.preflight(rebalance.next_target_date(data_clock), data_clock)
    )
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = min(start + timedelta(days=1), now)  # today: up to now, never into the future
    durations = (
        _optional(health.status_seconds, start, end, notes=notes, what="monitor heartbeats") if end > start else None
    )
    sync = _optional(health.sync_summary, start + timedelta(days=1), notes=notes, what="sync runs")
    daily_report.health_part(report, durations, sync, window_s=(end - start).total_seconds())
    prev = report.te_history[-2][1] if report.classified and len(report.te_history) > 1 else None
    results = alerts.tracking(te_snapshot.TeNow(day, hour, view, prev), thresholds) if view is not None else []
    if day_exec is not None:
        results += alerts.execution(day_exec, day, end, thresholds, progress)
    results += alerts.daily_loss(
        {"ret": report.day_return, "pnl": report.pnl_total, "equity_start": report.equity_start}, day, thresholds
    )
    daily_report.alerts_part(report, results, history, history_note)
    daily_report.verdicts(report, targets, float(thresholds["rebalance_by_min"]))
    report.verdicts.append(
        daily_report.Verdict("Rebalance complete", *rebalance_report.verdict_values(report.rebalance, thresholds))
    )
    return report


def weekly(week_ending: date, thresholds: Mapping[str, float]) -> weekly_report.WeeklyReport:
    """Everything of `lib.reports.weekly.WeeklyReport` for the 7 UTC days ending `week_ending`."""
    data_clock = desk_clock()
    now = data_clock.server_now or datetime.now(UTC)
    hour = config.DEFAULT_SNAPSHOT_HOUR
    last_complete = clock.latest_complete_day(data_clock.as_of, hour) if data_clock.as_of else None
    report = weekly_report.WeeklyReport(week_ending=week_ending, generated_at=now)
    notes = report.notes
    _null_key_note(notes)
    week_start = week_ending - timedelta(days=6)
    month_start = week_ending - timedelta(days=29)
    month = _optional(overview.equity_series, month_start, week_ending, 86400, notes=notes, what="daily equity")
    week = _optional(overview.equity_series, week_start, week_ending, 86400, notes=notes, what="the week's equity")
    weekly_report.returns_part(report, month, week)
    expo = _optional(overview.exposure_series, week_start, week_ending, 3600, notes=notes, what="exposure")
    tl = _optional(
        tracking_error.timeline,
        week_start - timedelta(days=config.TE_HISTORY_DAYS),
        week_ending,
        config.DEFAULT_SNAPSHOT_HOUR,
        notes=notes,
        what="tracking-error timeline",
    )
    weekly_report.exposure_part(report, expo, tl, last_complete)
    account = _optional(
        risk.account_risk_series, week_start, week_ending, 3600, notes=notes, what="margin and leverage"
    )
    weekly_report.margin_part(report, account)
    weekly_report.tracking_part(report, tl, float(thresholds["te_max"]), last_complete)
    model = _optional(
        shortfall.shortfall,
        week_start,
        week_ending,
        notes=notes,
        what="live against the model book",
        as_of=data_clock.as_of,
    )
    weekly_report.model_part(report, model.waterfall if model else None, model.band if model else None)
    execution = _optional(trades.daily_execution, week_start, week_ending, notes=notes, what="execution")
    summary = _optional(trades.fills_summary, week_start, week_ending, notes=notes, what="the week's fills")
    weekly_report.execution_part(report, execution, float(thresholds["fee_bps_max"]), summary)
    end = datetime(week_ending.year, week_ending.month, week_ending.day, tzinfo=UTC) + timedelta(days=1)
    failures = _optional(health.sync_failures, end, 1000, notes=notes, what="sync failures")
    week_end = min(end, now)  # this week: up to now, never into the future
    durations = spans = None
    if week_end > end - timedelta(days=7):
        durations = _optional(
            health.status_seconds, end - timedelta(days=7), week_end, notes=notes, what="monitor heartbeats"
        )
        spans = _optional(health.status_spans, end - timedelta(days=7), week_end, notes=notes, what="monitor spells")
    weekly_report.health_part(report, durations, spans, failures, float(thresholds["monitor_down_min"]))
    return report
