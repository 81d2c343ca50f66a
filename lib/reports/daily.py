"""The desk's daily report, pure: frames in (loaded by answers/report_inputs.py), a `DailyReport` out.

Every number comes from the same lib/ maths the pages use: the PnL decomposition
(lib.book.pnl.decompose on queries.book.overview.pnl_window), the chained time-weighted return
(each interval between account snapshots net of its deposits and withdrawals, chained over the day:
queries.book.overview.equity_series) and the drawdown with its peak (lib.book.pnl), the tracking-error
snapshot and its story (lib.tracking.snapshot.snapshot_view: never an open hour, a day without targets or
fills; lib.tracking.story.day_story, history from lib.tracking.daily), the rebalance
(queries.book.trades.daily_execution), the monitors' day at heartbeat resolution
(queries.health.health.status_seconds) and the day-scoped alert rules (lib.alerting.rules). Missing is None
and printed as "—", never 0.

Renderers: `to_text` (plain text, PASS/FAIL marks), `to_json` and, in
lib/reports/html.py, the HTML e-mail (its charts as PNG images).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from lib import clock, config
from lib import format as fmt
from lib.alerting import rules as alerts
from lib.book import pnl
from lib.health import rules as health
from lib.inputs import finite_float
from lib.reports import rebalance as rebalance_report
from lib.tracking import classification as te
from lib.tracking import daily as te_daily
from lib.tracking import snapshot as te_snapshot
from lib.tracking import story as stories

UTC = UTC


@dataclass(frozen=True)
class Verdict:
    criterion: str
    ok: bool | None  # None: cannot be judged (data missing)
    value: str
    target: str


@dataclass
class DailyReport:
    day: date
    generated_at: datetime
    # PnL
    equity_start: float | None = None
    equity_end: float | None = None
    equity_end_ts: datetime | None = None
    flows: float | None = None
    pnl_total: float | None = None
    components: dict[str, float | None] = field(default_factory=dict)
    day_return: float | None = None
    drawdown_current: float | None = None
    drawdown_peak_ts: datetime | None = None  # the peak the current drawdown is measured from
    drawdown_max: float | None = None
    drawdown_max_peak_ts: datetime | None = None
    drawdown_lookback_days: int = config.ALERT_DRAWDOWN_LOOKBACK_DAYS
    equity_curve: list[tuple[date, float | None]] = field(default_factory=list)
    # tracking error
    snapshot_hour: int = config.DEFAULT_SNAPSHOT_HOUR
    has_targets: bool = False  # the D−2 target set exists
    classified: bool = False  # the snapshot is classified (lib.tracking.snapshot.day_state is None)
    te_note: str = ""  # why it is not, in words
    te: float | None = None
    te_target: float | None = None
    active_share: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)
    story_headline: str = ""
    story_bullets: list[str] = field(default_factory=list)
    te_history: list[tuple[date, float | None]] = field(default_factory=list)
    # execution
    n_fills: int | None = None
    first_fill: datetime | None = None
    last_in_window: datetime | None = None
    window_span_s: float | None = None
    n_off_window: int | None = None
    notional: float | None = None
    fees: float | None = None
    fee_bps: float | None = None
    slippage_bps: float | None = None
    maker_share: float | None = None
    n_untracked: int | None = None
    untracked: list[str] = field(default_factory=list)
    # the rebalance desk (lib/reports/rebalance.py): the day's rebalance to completion, the next targets' checks
    rebalance: dict[str, Any] | None = None
    preflight: dict[str, Any] | None = None
    # health
    monitors: list[dict] = field(default_factory=list)  # monitor, ok_share, down_min, late_min
    sync: list[dict] = field(default_factory=list)  # table, runs, failures
    # alerts
    day_alerts: list[dict] = field(default_factory=list)  # the day's rules that fire
    history: list[dict] = field(default_factory=list)  # what the alert state recorded that day
    history_note: str = ""
    verdicts: list[Verdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for v in self.verdicts if v.ok)

    @property
    def failed(self) -> int:
        return sum(1 for v in self.verdicts if v.ok is False)


def _aware(ts: Any) -> datetime | None:
    return health.aware(ts) if isinstance(ts, datetime) else None


def pnl_part(report: DailyReport, window: Mapping[str, Any] | None) -> None:
    """Equity and PnL decomposition of the day (`queries.book.overview.pnl_window(day, day)` row)."""
    if not window:
        report.notes.append("no account snapshot for the day: PnL unknown")
        return
    parts = pnl.decompose(dict(window))
    report.equity_start, report.equity_end = parts["equity_start"], parts["equity_end"]
    report.equity_end_ts = _aware(window.get("equity_end_ts"))
    report.flows, report.pnl_total = parts["flows"], parts["total"]
    report.components = {k: parts[k] for k in (*pnl.COMPONENTS, "residual")}


def equity_part(report: DailyReport, series: pl.DataFrame | None) -> None:
    """The day's time-weighted return, drawdowns and the 30-day curve (`equity_series(.., 86400)`).

    Returns and drawdowns are SQL's per-snapshot chain (lib.book.pnl module docstring); a day is the
    bucket (00:00, 24:00], so its last snapshot may carry the next midnight's timestamp.
    """
    if series is None or series.height == 0:
        return
    days = series.with_columns(pl.col("bucket").dt.date().alias("_day"))
    today = days.filter(pl.col("_day") == report.day)
    if today.height:
        report.day_return = finite_float(today.item(0, "ret"))
    upto = days.filter(pl.col("_day") <= report.day)
    dd = pnl.drawdown_summary(upto)
    report.drawdown_current, report.drawdown_max = dd["current_drawdown"], dd["max_drawdown"]
    report.drawdown_peak_ts, report.drawdown_max_peak_ts = _aware(dd["current_peak_ts"]), _aware(dd["peak_ts"])
    last30 = days.filter((pl.col("_day") <= report.day) & (pl.col("_day") > report.day - timedelta(days=30)))
    report.equity_curve = [(d, finite_float(e)) for d, e in last30.select("_day", "equity").iter_rows()]


def tracking_part(
    report: DailyReport,
    timeline: pl.DataFrame | None,
    hour: int,
    as_of: datetime | None = None,
) -> te_snapshot.SnapshotView | None:
    """Classify the day's snapshot (the pages' one rule: closed, with targets, with fills) and tell its story with
    the previous TE_HISTORY_DAYS as history. `as_of` is the data's clock (lib.clock): an open hour is not
    classified."""
    report.snapshot_hour = hour
    if timeline is None or timeline.height == 0:
        report.notes.append("no positions or targets at the snapshot hour")
        return None
    rows = timeline.filter(pl.col("holdings_date") == report.day)
    complete = clock.is_complete(report.day, hour, as_of, now=report.generated_at)
    view = te_snapshot.snapshot_view(rows, complete=complete)
    prev = timeline.filter(pl.col("holdings_date") < report.day)
    start = report.day - timedelta(days=config.TE_HISTORY_DAYS)
    history = te_daily.daily_te(
        te_snapshot.classify_days(prev), te_daily.calendar(start, report.day - timedelta(days=1))
    )
    report.te_history = [(d, finite_float(v)) for d, v in history.select("date", "te").iter_rows()]
    report.has_targets = te_snapshot.has_targets(rows)
    report.classified = view.state is None
    if view.state is not None:
        report.te_note = _why_not(report.day, hour, view.state, as_of, report.generated_at)
        report.notes.append(f"{report.te_note}: the day is not classified")
        return view
    story = stories.day_story(report.day, view.rows, history=history.select("date", "te"))
    report.te = view.te
    report.active_share = view.snapshot_te["active_share"] if view.snapshot_te else None
    report.counts = dict(view.counts or {})
    report.names = {c: view.names(c) for c in te.PROBLEM_CATEGORIES if report.counts.get(c)}
    report.story_headline, report.story_bullets = story.headline, list(story.bullets)
    report.te_history.append((report.day, report.te))
    return view


def _why_not(day: date, hour: int, state: str, as_of: datetime | None, now: datetime) -> str:
    if state == te_snapshot.PENDING:
        return clock.pending_note(day, hour, as_of, now=now) or "the snapshot has not closed yet"
    if state == te_snapshot.NO_TARGETS:
        return f"no model targets dated {clock.target_date(day)}"
    return f"no fills up to {fmt.snapshot_when(day, hour)}: the book is unknown"


def execution_part(report: DailyReport, day_exec: pl.DataFrame | None, untracked: pl.DataFrame | None) -> None:
    row = None
    if day_exec is not None and day_exec.height:
        found = day_exec.filter(pl.col("day") == report.day)
        row = found.row(0, named=True) if found.height else None
    if row is None:
        report.n_fills = 0
        report.notes.append("no fills on the day")
    else:
        report.n_fills = int(row["n_fills"])
        report.first_fill = _aware(row["first_fill"])
        report.last_in_window = _aware(row["last_in_window"])
        report.window_span_s = finite_float(row["window_span_s"])
        report.n_off_window = int(row["n_off_window"])
        report.notional = finite_float(row["notional_usd"])
        report.fees = fmt.cost(finite_float(row["fees"]))  # as it acts on PnL: negative (lib.format.cost)
        report.fee_bps = finite_float(row["fee_bps"])  # bp of traded notional, a cost
        report.slippage_bps = finite_float(row["avg_slippage_bps"])
        report.maker_share = finite_float(row["maker_share"])
        report.n_untracked = int(row["n_untracked"])
    if untracked is not None and untracked.height:
        report.untracked = [
            f"{r['coin']} {fmt.side(r['side'])} {fmt.usd(finite_float(r['notional']))} at {fmt.utc(_aware(r['time']))}"
            for r in untracked.iter_rows(named=True)
        ]


def health_part(
    report: DailyReport,
    durations: pl.DataFrame | None,
    sync: pl.DataFrame | None,
    monitors: Sequence[str] | None = None,
    window_s: float = 86400.0,
) -> None:
    """Each monitor's day (share OK, minutes DOWN/LATE at heartbeat resolution) and each table's sync runs.

    `durations` is `queries.health.health.status_seconds` over the day (`window_s` long: up to now for today):
    one error beat followed a minute later by an OK beat is one minute DOWN. A known monitor without a row
    never beat: the whole window UNKNOWN.
    """
    if durations is not None:
        day_s = max(float(window_s), 1.0)
        rows = {r["monitor"]: r for r in durations.iter_rows(named=True)}
        names = list(monitors) if monitors is not None else list(dict.fromkeys([*config.MONITOR_INTERVALS_S, *rows]))
        for name in names:
            r = rows.get(name)
            down, late, unknown = (
                (float(r["down_s"] or 0.0), float(r["late_s"] or 0.0), float(r["unknown_s"] or 0.0))
                if r
                else (0.0, 0.0, day_s)
            )
            report.monitors.append(
                {
                    "monitor": name,
                    "ok_share": max(0.0, day_s - down - late - unknown) / day_s,
                    "down_s": down,
                    "down_min": _minutes(down),
                    "late_min": _minutes(late),
                    "unknown_min": _minutes(unknown),
                }
            )
    if sync is not None:
        for r in sync.iter_rows(named=True):
            report.sync.append(
                {
                    "table": f"{r['database']}.{r['table']}",
                    "runs": int(r["runs_24h"] or 0),
                    "failures": int(r["failures_24h"] or 0),
                }
            )


def _minutes(seconds: float) -> float:
    """Whole minutes, or tenths under ten minutes (a 20-second outage is 0.3, not 0)."""
    minutes = round(seconds / 60, 1 if seconds < 600 else None)
    return int(minutes) if minutes == int(minutes) else minutes


def alerts_part(
    report: DailyReport, results: Sequence[alerts.RuleResult], history: Sequence[Any] | None, history_note: str = ""
) -> None:
    report.day_alerts = [
        {"rule": r.id, "severity": r.severity, "subject": r.subject, "detail": r.detail}
        for r in results
        if r.status == alerts.FIRING
    ]
    if history is not None:
        report.history = [
            {"at": e.at, "kind": e.kind, "rule": e.id, "severity": e.severity, "subject": e.subject} for e in history
        ]
    report.history_note = history_note


def verdicts(report: DailyReport, targets: Mapping[str, float], deadline_min: float) -> list[Verdict]:
    """One PASS/FAIL line per criterion, against lib.config.REPORT_TARGETS (or their overrides)."""
    out = []
    te_max = float(targets["te_max"])
    report.te_target = te_max
    out.append(
        Verdict(
            "Tracking error",
            None if report.te is None else report.te <= te_max,
            fmt.pct(report.te, 2),
            f"≤ {fmt.pct(te_max, 2)}",
        )
    )
    n_missing = report.counts.get(te.MISSING_POSITION) if report.classified else None
    m_max = int(targets["missing_max"])
    names = report.names.get(te.MISSING_POSITION, [])
    shown = f" ({', '.join(names[:5])}{', …' if len(names) > 5 else ''})" if names else ""
    out.append(
        Verdict(
            "Missing positions",
            None if n_missing is None else n_missing <= m_max,
            "—" if n_missing is None else f"{n_missing}{shown}",
            f"≤ {m_max}",
        )
    )
    w_max = float(targets["window_max_s"])
    start = datetime(report.day.year, report.day.month, report.day.day, tzinfo=UTC)
    if not report.n_fills:
        out.append(Verdict("Rebalance window", False, "no fills", f"filled within {fmt.age(w_max)} of 00:00 UTC"))
    else:
        done = report.last_in_window
        on_time = report.first_fill is not None and report.first_fill <= start + timedelta(minutes=deadline_min)
        span = (done - start).total_seconds() if done else None
        ok = bool(on_time and span is not None and span <= w_max and not report.n_off_window)
        value = (f"00:00 → {done:%H:%M:%S}" if done else "no fill in the window") + (
            f", {report.n_off_window} off-window" if report.n_off_window else ""
        )
        out.append(Verdict("Rebalance window", ok, value, f"filled within {fmt.age(w_max)} of 00:00 UTC"))
    f_max = float(targets["fee_bps_max"])
    out.append(
        Verdict(
            "Fees",
            None if report.fee_bps is None else report.fee_bps <= f_max,
            fmt.bps(report.fee_bps, 2, signed=False),
            f"≤ {f_max:g} bp",
        )
    )
    fresh_max = float(targets["freshness_max_min"])
    end_of_day = start + timedelta(days=1)
    ref = min(end_of_day, report.generated_at)
    if report.equity_end_ts is None:
        out.append(Verdict("Data freshness", False, "no account snapshot", f"within {_mins(fresh_max)} of day end"))
    else:
        gap = (ref - report.equity_end_ts).total_seconds()
        out.append(
            Verdict(
                "Data freshness",
                gap <= fresh_max * 60,
                f"last snapshot {report.equity_end_ts:%H:%M} UTC",
                f"within {_mins(fresh_max)} of {'day end' if ref == end_of_day else 'now'}",
            )
        )
    report.verdicts = out
    return out


def _mins(m: float) -> str:
    return fmt.age(m * 60)


# ------------------------------------------------------------------ output

CATEGORY_WORDS = {
    te.MISSING_POSITION: "Missing",
    te.EXTRA_POSITION: "Extra",
    te.WRONG_DIRECTION: "Wrong direction",
    te.MAGNITUDE_ERROR: "Magnitude error",
    te.UNPRICED: "Unpriced",
}


def mark(ok: bool | None) -> str:
    return "PASS" if ok else ("FAIL" if ok is False else "N/A ")


def to_text(r: DailyReport) -> str:
    c = r.components
    lines = [
        f"Desk daily report · {r.day.isoformat()} (UTC day) · generated {fmt.utc(r.generated_at)}",
        f"Verdict: {r.passed} of {len(r.verdicts)} criteria met" + (f", {r.failed} failed" if r.failed else ""),
        "",
    ]
    lines += [f"  {mark(v.ok)}  {v.criterion:<18} {v.value:<28} target {v.target}" for v in r.verdicts]
    lines += [
        "",
        "PnL",
        f"  Equity         {fmt.usd(r.equity_start)} → {fmt.usd(r.equity_end)}"
        + (f" (flows {fmt.usd(r.flows, signed=True)}, not PnL)" if r.flows else ""),
        f"  PnL            {fmt.usd(r.pnl_total, signed=True)}   return {fmt.pct(r.day_return, 2, signed=True)}",
        f"    realized {fmt.usd(c.get('realized'), signed=True)} · fees {fmt.usd(c.get('fees'), signed=True)} · "
        f"funding {fmt.usd(c.get('funding'), signed=True)} · change in unrealized "
        f"{fmt.usd(c.get('unrealized_change'), signed=True)} · residual {fmt.usd(c.get('residual'), signed=True)}",
        f"  Drawdown       current {fmt.drawdown(r.drawdown_current, r.drawdown_peak_ts)} · max "
        f"{fmt.drawdown(r.drawdown_max, r.drawdown_max_peak_ts)} (within the {r.drawdown_lookback_days} days "
        f"to {r.day}, deposit-adjusted)",
        "",
        f"Tracking error · snapshot {fmt.snapshot_when(r.day, r.snapshot_hour)} vs T+2 targets",
    ]
    if r.classified:
        lines.append(f"  TE {fmt.pct(r.te, 2)} · active share {fmt.pct(r.active_share, 2)}")
        for cat, names in r.names.items():
            lines.append(f"  {CATEGORY_WORDS.get(cat, cat)} ({len(names)}): {', '.join(names)}")
        lines += ["", f"  {r.story_headline}"] + [f"  - {b}" for b in r.story_bullets]
    else:
        lines.append(f"  not classified: {r.te_note}")
    lines += [
        "",
        "Execution",
        f"  Rebalance      first fill {fmt.utc(r.first_fill, seconds=True)}, last in window "
        f"{fmt.utc(r.last_in_window, seconds=True)} ({r.n_fills or 0} fills, {r.n_off_window or 0} off-window)",
        f"  Notional       {fmt.usd(r.notional)} · fees {fmt.usd(r.fees, signed=True)} = "
        f"{fmt.bps(r.fee_bps, 2, signed=False)} of notional · slippage "
        f"{fmt.bps(r.slippage_bps, 2)} · "
        f"maker share {fmt.pct(r.maker_share, 1)}",
        f"  Untracked      {'— fills' if r.n_untracked is None else fmt.plural(r.n_untracked, 'fill')}"
        + (": " + "; ".join(r.untracked) if r.untracked else ""),
        "",
        *rebalance_report.completion_text(r.rebalance),
        "",
        *rebalance_report.preflight_text(r.preflight),
        "",
        "Health",
    ]
    bad = [m for m in r.monitors if m["down_min"] or m["late_min"]]
    if r.monitors:
        lines.append(
            f"  Monitors       {len(r.monitors) - len(bad)} of {len(r.monitors)} OK all day"
            + (
                "; " + "; ".join(f"{m['monitor']} DOWN {m['down_min']} min, LATE {m['late_min']} min" for m in bad)
                if bad
                else ""
            )
        )
    failing = [s for s in r.sync if s["failures"]]
    if r.sync:
        lines.append(
            f"  Sync           {fmt.plural(sum(s['runs'] for s in r.sync), 'run')}, "
            f"{sum(s['failures'] for s in r.sync):,} failed"
            + ("; " + ", ".join(f"{s['table']} {s['failures']}" for s in failing) if failing else "")
        )
    lines += ["", "Alerts for the day"]
    if r.day_alerts:
        lines += [f"  FIRING [{a['severity']}] {a['subject']} — {a['detail']}" for a in r.day_alerts]
    else:
        lines.append("  none of the day's rules fire")
    if r.history:
        lines += [f"  {e['at']:%H:%M} UTC {e['kind']:<8} {e['subject']}" for e in r.history]
    elif r.history_note:
        lines.append(f"  {r.history_note}")
    if r.notes:
        lines += ["", "Notes"] + [f"  - {n}" for n in r.notes]
    return "\n".join(lines)


def to_json(r: DailyReport) -> dict:
    d = asdict(r)
    d["verdicts"] = [{"criterion": v.criterion, "ok": v.ok, "value": v.value, "target": v.target} for v in r.verdicts]
    return fmt.json_value(d)
