"""The desk's alert rules, pure: already-loaded frames and values in, rule results out.

Nothing here queries, draws or imports Streamlit. `answers/alert_inputs.py` loads
the frames with the same `queries/` functions the pages use; this module applies
the same `lib/` maths the pages use (lib.health.rules, lib.tracking.classification, lib.tracking.snapshot,
lib.book.pnl), so an alert and a page always show the same number.

A rule evaluates to OK, FIRING or NOT_EVALUATED (its table is missing on the
remote, or the query failed: never OK by default). A multi-instance rule (one
per monitor, per synced table) returns one result per instance. `since` is when
the data says the condition began (a monitor's last beat, the newest row, the
first failed run, the deadline that passed); None when the data cannot tell.

Which "now": data rules (freshness, monitors, sync) are judged against the
server clock; day rules (tracking, execution, risk) against the newest data
(`as_of`), so a stalled feed raises "data stale" rather than a dozen alerts
about a day the data has not reached.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, overload

import polars as pl

from lib import clock, config
from lib import format as fmt
from lib.book import pnl
from lib.health import rules as health
from lib.inputs import finite_float
from lib.model_book import band as model_bands
from lib.rebalance import completion as completions
from lib.rebalance import preflight as preflights
from lib.tracking import classification as te
from lib.tracking import snapshot as te_snapshot

UTC = UTC
OK, FIRING, NOT_EVALUATED = "OK", "FIRING", "NOT_EVALUATED"
CRITICAL, WARNING = "critical", "warning"
# what `state_of` returns, i.e. the `state` of `alerts check --json`
STATE_OK, STATE_PENDING, STATE_FIRING, STATE_NOT_EVALUATED = "ok", "pending", "firing", "not evaluated"
MAX_NAMES = 8


@dataclass(frozen=True)
class RuleSpec:
    name: str
    group: str  # Data, Tracking, Execution, Risk, ClickHouse
    severity: str
    title: str  # what the rule watches, in the desk's words
    pending_key: str | None = None  # threshold key holding the pending duration (minutes)


RULES: tuple[RuleSpec, ...] = (
    RuleSpec("clickhouse", "ClickHouse", CRITICAL, "Dashboard cannot read ClickHouse", "clickhouse_pending_min"),
    RuleSpec("data_stale", "Data", CRITICAL, "Newest account / positions snapshot too old"),
    RuleSpec("monitor_down", "Data", CRITICAL, "Monitor DOWN", "monitor_down_min"),
    RuleSpec("sync_failing", "Data", CRITICAL, "Sync runs failing in a row"),
    RuleSpec("sync_lag", "Data", WARNING, "Sync latency local → remote", "sync_lag_pending_min"),
    RuleSpec("prices_missing", "Data", WARNING, "Binance prices missing for today"),
    RuleSpec("targets_missing", "Data", CRITICAL, "Model targets missing"),
    RuleSpec("targets_preflight", "Data", CRITICAL, "Next targets fail a pre-trade check", "preflight_pending_min"),
    RuleSpec("te_high", "Tracking", WARNING, "Snapshot tracking error above threshold"),
    RuleSpec("wrong_direction", "Tracking", CRITICAL, "Positions in the wrong direction"),
    RuleSpec("extra_position", "Tracking", WARNING, "Positions the model does not hold"),
    RuleSpec("missing_positions", "Tracking", WARNING, "Too many missing positions"),
    RuleSpec("no_targets_d2", "Tracking", CRITICAL, "No targets for D−2"),
    RuleSpec("rebalance_late", "Execution", CRITICAL, "Rebalance below its completion target at its deadline"),
    RuleSpec("off_window_fills", "Execution", WARNING, "Fills outside the rebalance window"),
    RuleSpec("untracked_fills", "Execution", WARNING, "Untracked fills (no order row)"),
    RuleSpec("fees_high", "Execution", WARNING, "Fees above threshold"),
    RuleSpec("daily_loss", "Risk", CRITICAL, "Daily loss beyond threshold"),
    RuleSpec("drawdown", "Risk", CRITICAL, "Drawdown beyond threshold"),
    RuleSpec("margin_used", "Risk", WARNING, "Margin used above threshold"),
    RuleSpec("liquidation_near", "Risk", CRITICAL, "Position near its liquidation price"),
    RuleSpec("equity_not_positive", "Risk", CRITICAL, "Account equity at or below zero, or missing"),
    RuleSpec(
        "model_band", "Tracking", WARNING, "Live book outside its band against the model book", "model_band_pending_min"
    ),
)
SPECS: Mapping[str, RuleSpec] = {s.name: s for s in RULES}


@dataclass(frozen=True)
class Unavailable:
    """An input that could not be loaded: the rules that need it are NOT_EVALUATED with this reason."""

    reason: str


@dataclass(frozen=True)
class RuleResult:
    rule: str
    status: str  # OK / FIRING / NOT_EVALUATED
    subject: str
    detail: str = ""
    key: str = ""  # instance: monitor, table, ... ("" for a single-instance rule)
    since: datetime | None = None  # when the data says the condition began
    pending_s: float = 0.0

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.key}" if self.key else self.rule

    @property
    def severity(self) -> str:
        return SPECS[self.rule].severity if self.rule in SPECS else WARNING

    @property
    def group(self) -> str:
        return SPECS[self.rule].group if self.rule in SPECS else ""


def thresholds(overrides: Mapping[str, Any] | None = None) -> dict[str, float]:
    """The defaults of lib.config.ALERT_THRESHOLDS with validated overrides (unknown keys refused)."""
    out = dict(config.ALERT_THRESHOLDS)
    for k, v in (overrides or {}).items():
        if k not in out:
            raise config.ConfigError(f"unknown alert threshold {k!r}; known: {', '.join(sorted(out))}")
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise config.ConfigError(f"alert threshold {k} must be a number, not {str(v)[:40]!r}") from None
        if not math.isfinite(x) or x < 0:
            raise config.ConfigError(f"alert threshold {k} must be a finite number >= 0, not {v!r}")
        out[k] = x
    return out


# ----------------------------------------------------------------- state


def state_of(r: RuleResult, now: datetime, first_seen: datetime | None = None) -> str:
    """ok / pending / firing / not evaluated: a FIRING condition is 'firing' once it has lasted its pending time.

    The pending time counts from `r.since` (what the data says), else from when
    the alert state first saw it (`first_seen`), else from `now`.
    """
    if r.status == OK:
        return STATE_OK
    if r.status == NOT_EVALUATED:
        return STATE_NOT_EVALUATED
    began = _aware(r.since) or _aware(first_seen) or _aware(now)
    return STATE_FIRING if (_aware(now) - began).total_seconds() >= r.pending_s else STATE_PENDING


# ----------------------------------------------------------------- helpers


@overload
def _aware(ts: date) -> datetime: ...
@overload
def _aware(ts: object) -> datetime | None: ...
def _aware(ts: object) -> datetime | None:
    """UTC-aware datetime (a date is its midnight UTC); None for None and anything that is not a time."""
    if ts is None:
        return None
    if isinstance(ts, datetime):
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    if isinstance(ts, date):
        return datetime(ts.year, ts.month, ts.day, tzinfo=UTC)
    return None


def _names(names: Sequence[str], limit: int = MAX_NAMES) -> str:
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, +{len(names) - limit} more"


def _minutes(m: float) -> str:
    return fmt.age(float(m) * 60)


def _pending(rule: str, t: Mapping[str, float]) -> float:
    key = SPECS[rule].pending_key
    return float(t.get(key, 0)) * 60 if key else 0.0


def not_evaluated(rule: str, reason: str) -> RuleResult:
    return RuleResult(rule, NOT_EVALUATED, f"{SPECS[rule].title}: not evaluated", reason)


def _unavailable(rules: Sequence[str], bad: Unavailable) -> list[RuleResult]:
    """Every rule of `rules` NOT_EVALUATED because an input they need could not be loaded."""
    return [not_evaluated(r, bad.reason) for r in rules]


def _single(frame: pl.DataFrame | None) -> dict | None:
    return frame.row(0, named=True) if frame is not None and frame.height else None


# --------------------------------------------------------------- data rules


def data_stale(as_of: pl.DataFrame | Unavailable, t: Mapping[str, float]) -> list[RuleResult]:
    """Newest account / positions snapshot older than stale_account_min / stale_positions_min (server clock)."""
    if isinstance(as_of, Unavailable):
        return _unavailable(["data_stale"], as_of)
    row = _single(as_of) or {}
    now = _aware(row.get("server_now"))
    out = []
    for key, col, limit_key, what in (
        ("account", "account_ts", "stale_account_min", "account snapshot"),
        ("positions", "positions_ts", "stale_positions_min", "positions snapshot"),
    ):
        limit = float(t[limit_key])
        newest = health.valid_ts(row.get(col))
        if now is None:
            out.append(
                RuleResult(
                    "data_stale",
                    NOT_EVALUATED,
                    f"{key} freshness: not evaluated",
                    "the server clock is unknown",
                    key=key,
                )
            )
        elif newest is None:
            out.append(
                RuleResult(
                    "data_stale",
                    FIRING,
                    f"No {what} at all",
                    f"the {key} table has no rows (limit {_minutes(limit)})",
                    key=key,
                )
            )
        else:
            age = (now - newest).total_seconds()
            subject = f"{what.capitalize()} data {'stale' if age > limit * 60 else 'fresh'}: newest {fmt.age(age)} old"
            out.append(
                RuleResult(
                    "data_stale",
                    FIRING if age > limit * 60 else OK,
                    subject,
                    f"newest {what} {fmt.utc(newest)}, {fmt.age(age)} before the server clock {fmt.utc(now)} "
                    f"(limit {_minutes(limit)})",
                    key=key,
                    since=newest + timedelta(minutes=limit),
                )
            )
    return out


def monitor_down(monitors: pl.DataFrame | Unavailable, t: Mapping[str, float]) -> list[RuleResult]:
    """A monitor DOWN (lib.health.rules rules) for longer than monitor_down_min: one result per monitor."""
    if isinstance(monitors, Unavailable):
        return _unavailable(["monitor_down"], monitors)
    assessed = health.assess_monitors(monitors)
    pending = _pending("monitor_down", t)
    out = []
    for r in assessed.iter_rows(named=True):
        name, status, last = r["monitor"], r["status"], health.valid_ts(r["last_ts"])
        if status == health.UNKNOWN:
            out.append(
                RuleResult(
                    "monitor_down",
                    NOT_EVALUATED,
                    f"Monitor {name}: not evaluated",
                    r["reason"] or "nothing to judge by",
                    key=name,
                )
            )
            continue
        if status != health.DOWN:
            out.append(
                RuleResult(
                    "monitor_down", OK, f"Monitor {name} {status}", r["reason"] or "", key=name, pending_s=pending
                )
            )
            continue
        if last is None:
            since = None
        elif r["last_status"] is not None and not health.is_ok_status(r["last_status"]):
            since = last  # the error beat: it has been DOWN at least since then
        else:
            since = last + timedelta(seconds=config.DOWN_FACTOR * r["interval_s"])
        msg = f"; last message: {r['last_message'][:160]}" if r.get("last_message") and since == last else ""
        out.append(
            RuleResult(
                "monitor_down",
                FIRING,
                f"Monitor {name} DOWN",
                f"{r['reason']}; last beat {fmt.utc(last) if last else 'never'}"
                + (f" on {r['host']}" if r.get("host") else "")
                + msg,
                key=name,
                since=since,
                pending_s=pending,
            )
        )
    return out


def sync_failing(streaks: pl.DataFrame | Unavailable, t: Mapping[str, float]) -> list[RuleResult]:
    """sync_failures_in_row or more failed runs of one synced table since its last success (queries.health.health.sync_streaks)."""
    if isinstance(streaks, Unavailable):
        return _unavailable(["sync_failing"], streaks)
    n = int(t["sync_failures_in_row"])
    out = []
    if streaks.height == 0:
        return [
            RuleResult("sync_failing", NOT_EVALUATED, "Sync runs: not evaluated", "no sync runs in the last 7 days")
        ]
    for r in streaks.iter_rows(named=True):
        key = f"{r['database']}.{r['table']}"
        k = int(r["failed_in_row"] or 0)
        times = [x for x in (r.get("failure_times") or []) if x is not None]
        if n >= 1 and k >= n:
            since = _aware(times[n - 1]) if len(times) >= n else None
            last_ok = health.valid_ts(r.get("last_success"))
            out.append(
                RuleResult(
                    "sync_failing",
                    FIRING,
                    f"Sync of {key} failed {k} times in a row",
                    f"last success {fmt.utc(last_ok) if last_ok else 'none in 7 days'}; last error: "
                    f"{str(r.get('last_error') or '')[:200]}",
                    key=key,
                    since=since,
                )
            )
        else:
            subject = f"Sync of {key} OK" if k == 0 else f"Sync of {key}: {k} failed in a row"
            out.append(
                RuleResult(
                    "sync_failing",
                    OK,
                    subject,
                    "the last run succeeded" if k == 0 else f"fires at {n} in a row",
                    key=key,
                )
            )
    return out


def sync_lag(stats: pl.DataFrame | Unavailable, t: Mapping[str, float]) -> list[RuleResult]:
    """Newest synced row of a table took more than sync_lag_min from ingest (local) to sync (remote)."""
    if isinstance(stats, Unavailable):
        return _unavailable(["sync_lag"], stats)
    limit = float(t["sync_lag_min"]) * 60
    pending = _pending("sync_lag", t)
    out = []
    for r in stats.iter_rows(named=True):
        key = r["table_key"]
        lag = finite_float(r.get("lat_latest_s"))
        if lag is None:
            out.append(
                RuleResult(
                    "sync_lag",
                    NOT_EVALUATED,
                    f"Sync latency of {key}: not evaluated",
                    "no synced rows with both timestamps in the 7 days before now",
                    key=key,
                )
            )
            continue
        p95 = finite_float(r.get("lat_p95_1h"))
        detail = (
            f"newest synced row took {fmt.duration(lag)} from ingest to sync (p95 over the last hour "
            f"{fmt.duration(p95)}; limit {fmt.age(limit)})"
        )
        out.append(
            RuleResult(
                "sync_lag",
                FIRING if lag > limit else OK,
                f"Sync latency of {key} {fmt.duration(lag)}",
                detail,
                key=key,
                pending_s=pending,
            )
        )
    return out


def prices_missing(
    hour_rows: pl.DataFrame | Unavailable, day: date | None, hour: int | None, t: Mapping[str, float]
) -> list[RuleResult]:
    """Held or targeted symbols without a Binance price at the newest complete hour (timeline rows of that hour)."""
    if isinstance(hour_rows, Unavailable):
        return _unavailable(["prices_missing"], hour_rows)
    if day is None or hour is None:
        return [not_evaluated("prices_missing", "no account snapshot: the newest hour is unknown")]
    when = fmt.snapshot_when(day.isoformat(), hour)
    if hour_rows.height == 0:
        return [
            RuleResult(
                "prices_missing",
                FIRING,
                f"No prices or positions at all for {when}",
                "the timeline has no row for that hour",
                since=clock.snapshot_end(day, hour),
            )
        ]
    need = (pl.col("weight_t2").fill_null(0) != 0) | (pl.col("pos_units").fill_null(0) != 0)
    missing = hour_rows.filter(need & pl.col("bn_px").is_null()).sort("sym")["sym"].cast(pl.String).to_list()
    n_need = hour_rows.filter(need).height
    if missing:
        return [
            RuleResult(
                "prices_missing",
                FIRING,
                f"{len(missing)} of {n_need} symbols have no price at {when}",
                f"no Binance candle (or a bad price) for {_names(missing)}",
                since=clock.snapshot_end(day, hour),
            )
        ]
    return [RuleResult("prices_missing", OK, f"Prices present for all {n_need} symbols at {when}")]


def targets_missing(
    newest_target: date | None, as_of: datetime | None, t: Mapping[str, float], unavailable: Unavailable | None = None
) -> list[RuleResult]:
    """The model feed: on day D the weights dated D−2 (traded today) must exist, and D−1's by targets_due_hour."""
    if unavailable is not None:
        return [not_evaluated("targets_missing", unavailable.reason)]
    as_of = _aware(as_of)
    if as_of is None:
        return [not_evaluated("targets_missing", "no account snapshot: the current day is unknown")]
    day = as_of.date()
    midnight = _aware(day)
    due = midnight + timedelta(hours=float(t["targets_due_hour"]))
    newest = "none" if newest_target is None else newest_target.isoformat()
    need_now = day - timedelta(days=config.T_PLUS_TARGET)
    need_next = day - timedelta(days=config.T_PLUS_REFERENCE)
    if newest_target is None or newest_target < need_now:
        return [
            RuleResult(
                "targets_missing",
                FIRING,
                f"No model targets dated {need_now} (traded on {day})",
                f"newest target date is {newest}",
                since=midnight,
            )
        ]
    if as_of >= due and newest_target < need_next:
        return [
            RuleResult(
                "targets_missing",
                FIRING,
                f"Model targets dated {need_next} are late",
                f"due by {fmt.utc(due)} for the {day + timedelta(days=1)} rebalance; newest is {newest}",
                since=due,
            )
        ]
    return [RuleResult("targets_missing", OK, f"Model targets present up to {newest}")]


# ----------------------------------------------------------- tracking rules

TRACKING_RULES = ("te_high", "wrong_direction", "extra_position", "missing_positions", "no_targets_d2")


def tracking(snap: te_snapshot.TeNow | Unavailable | None, t: Mapping[str, float]) -> list[RuleResult]:
    """TE above te_max, any WRONG_DIRECTION / EXTRA_POSITION, more than missing_max MISSING, no D−2 targets.

    `snap` is the pages' own answer (lib.tracking.snapshot.te_now / snapshot_view): a snapshot that has not
    closed, or a day with targets and no fills, is not classified here either (not evaluated, never all-MISSING).
    """
    if isinstance(snap, Unavailable):
        return [not_evaluated(r, snap.reason) for r in TRACKING_RULES]
    if snap is None or snap.day is None:
        return [not_evaluated(r, "no account snapshot: the snapshot day is unknown") for r in TRACKING_RULES]
    when = fmt.snapshot_when(snap.day.isoformat(), snap.hour)
    since = clock.snapshot_end(snap.day, snap.hour)
    d2 = clock.target_date(snap.day)
    view = snap.view
    if view is None:
        return [not_evaluated(r, f"no positions and no model targets for {when}") for r in TRACKING_RULES]
    if view.state == te_snapshot.NO_TARGETS:
        reason = f"no model targets dated {d2}: the {when} snapshot cannot be classified"
        return [
            RuleResult(
                "no_targets_d2", FIRING, f"No targets dated {d2} for holdings day {snap.day}", reason, since=since
            )
        ] + [not_evaluated(r, reason) for r in TRACKING_RULES[:-1]]
    if view.state is not None:
        reason = (
            f"no fills up to the {when} snapshot: the book is unknown, nothing is classified"
            if view.state == te_snapshot.NO_FILLS
            else f"the {when} snapshot has not closed yet"
        )
        return [not_evaluated(r, reason) for r in TRACKING_RULES[:-1]] + [
            RuleResult("no_targets_d2", OK, f"Targets dated {d2} present for {snap.day}")
        ]
    out = []
    level = view.te
    te_max = float(t["te_max"])
    if level is None:
        out.append(not_evaluated("te_high", f"no priced symbol in the {when} snapshot"))
    else:
        active_share = view.snapshot_te["active_share"] if view.snapshot_te else None
        out.append(
            RuleResult(
                "te_high",
                FIRING if level > te_max else OK,
                f"Tracking error {fmt.pct(level, 2)} at {when}",
                f"snapshot TE vs T+2 target {fmt.pct(level, 2)} (threshold {fmt.pct(te_max, 2)}); "
                f"active share {fmt.pct(active_share, 2)}",
                since=since,
            )
        )
    for rule, cat, limit, word in (
        ("wrong_direction", te.WRONG_DIRECTION, 0, "wrong-direction"),
        ("extra_position", te.EXTRA_POSITION, 0, "extra"),
        ("missing_positions", te.MISSING_POSITION, int(t["missing_max"]), "missing"),
    ):
        names = view.names(cat)
        n = len(names)
        subject = f"{fmt.plural(n, word + ' position')} at {when}"
        detail = (_names(names) if names else "none") + (f" (more than {limit} fires)" if limit else "")
        out.append(RuleResult(rule, FIRING if n > limit else OK, subject, detail, since=since))
    out.append(RuleResult("no_targets_d2", OK, f"Targets dated {d2} present for {snap.day}"))
    return out


# ---------------------------------------------------------- execution rules

EXECUTION_RULES = ("rebalance_late", "off_window_fills", "untracked_fills", "fees_high")


def rebalance_late(
    progress: completions.Completion | Unavailable | None,
    day: date | None,
    as_of: datetime | None,
    t: Mapping[str, float],
) -> RuleResult:
    """The day's rebalance below rebalance_complete_min of its required notional done at 00:MM UTC
    (rebalance_by_min), and still below it now (`answers.rebalance.completion`, the panel's own numbers);
    the message names the symbols still open."""
    if isinstance(progress, Unavailable):
        return not_evaluated("rebalance_late", progress.reason)
    if day is None or progress is None:
        return not_evaluated("rebalance_late", "the rebalance's progress was not loaded: the trading day is unknown")
    by_min = float(t["rebalance_by_min"])
    floor = float(t["rebalance_complete_min"])
    deadline = _aware(day) + timedelta(minutes=by_min)
    when = f"{deadline:%H:%M} UTC"
    if not progress.has_targets:
        return not_evaluated("rebalance_late", "; ".join(progress.notes) or f"no targets dated {progress.target_date}")
    now = progress.progress
    if now is None:
        return not_evaluated("rebalance_late", "; ".join(progress.notes) or "no symbol could be measured (no price)")
    as_of = _aware(as_of)
    if as_of is not None and as_of < deadline:
        return RuleResult(
            "rebalance_late",
            OK,
            f"Rebalance of {day}: {fmt.pct(now, 1)} complete, judged at {when}",
            f"data as of {fmt.utc(as_of)}",
        )
    if progress.required_notional <= 0:
        return RuleResult(
            "rebalance_late", OK, f"Rebalance of {day}: nothing to trade", "the book was already on its D−2 targets"
        )
    at = progress.progress_at(int(by_min))
    if now < floor:
        open_names = [
            f"{r['sym']} ({r['state']}{'' if r['state'] != completions.PARTIAL else ' ' + fmt.pct(r['progress'], 0)})"
            for r in progress.symbols.filter(pl.col("state") != completions.DONE).iter_rows(named=True)
        ]
        return RuleResult(
            "rebalance_late",
            FIRING,
            f"Rebalance of {day} {fmt.pct(at, 1)} complete at {when} (below {fmt.pct(floor, 0)})",
            f"now {fmt.pct(now, 1)} of {fmt.usd(progress.required_notional)} required; still open: "
            + (_names(open_names) or "none"),
            since=deadline,
        )
    late = f"; {fmt.pct(at, 1)} at {when}" if at is not None and at < floor else ""
    return RuleResult(
        "rebalance_late",
        OK,
        f"Rebalance of {day} {fmt.pct(now, 1)} complete{late}",
        f"of {fmt.usd(progress.required_notional)} required (fires below {fmt.pct(floor, 0)} at {when})",
    )


def execution(
    day_exec: pl.DataFrame | Unavailable,
    day: date | None,
    as_of: datetime | None,
    t: Mapping[str, float],
    rebalance_progress: completions.Completion | Unavailable | None = None,
) -> list[RuleResult]:
    """The day's rebalance: complete enough by 00:MM (`rebalance_late`), in window, tracked, fees
    (`queries.book.trades.daily_execution(day, day)`)."""
    if isinstance(day_exec, Unavailable):
        return _unavailable(EXECUTION_RULES, day_exec)
    if day is None:
        return [not_evaluated(r, "no account snapshot: the trading day is unknown") for r in EXECUTION_RULES]
    row = None
    if day_exec.height:
        found = day_exec.filter(pl.col("day") == day)
        row = _single(found)
    out = [rebalance_late(rebalance_progress, day, as_of, t)]
    n_fills = int(row["n_fills"]) if row else 0
    window = config.REBALANCE_WINDOW_MINUTES
    n_off = int(row["n_off_window"]) if row else 0
    out.append(
        RuleResult(
            "off_window_fills",
            FIRING if n_off > 0 else OK,
            f"{fmt.plural(n_off, 'fill')} outside the 00:00–00:{window:02d} UTC window on {day}",
            f"of {n_fills} fills; last fill {fmt.utc(_aware(row['last_fill']), seconds=True)}"
            if row and n_fills
            else "no fills",
        )
    )
    n_untracked = int(row["n_untracked"]) if row else 0
    limit = int(t["untracked_max"])
    out.append(
        RuleResult(
            "untracked_fills",
            FIRING if n_untracked > limit else OK,
            f"{fmt.plural(n_untracked, 'untracked fill')} on {day}",
            f"fills whose order id has no row in the orders table (more than {limit} fires)",
        )
    )
    bps = finite_float(row.get("fee_bps")) if row else None
    bps_max = float(t["fee_bps_max"])
    if row is None or bps is None:
        out.append(RuleResult("fees_high", OK, f"No traded notional on {day}", "fees not applicable"))
    else:
        out.append(
            RuleResult(
                "fees_high",
                FIRING if bps > bps_max else OK,
                f"Fees {fmt.bps(bps, 2, signed=False)} on {day}",
                f"fees {fmt.usd(fmt.cost(finite_float(row.get('fees'))), signed=True)} on "
                f"{fmt.usd(finite_float(row.get('notional_usd')))} traded (threshold {bps_max:g} bp)",
            )
        )
    return out


def targets_preflight(check: preflights.Preflight | Unavailable | None, t: Mapping[str, float]) -> list[RuleResult]:
    """The next rebalance's targets fail a pre-trade check (`answers.rebalance.preflight`): fires as soon as
    the date lands, and on every run up to the rebalance (the final check from PREFLIGHT_FINAL_CHECK_MIN
    minutes before it)."""
    if isinstance(check, Unavailable):
        return _unavailable(["targets_preflight"], check)
    pending = _pending("targets_preflight", t)
    if check is None:
        return [not_evaluated("targets_preflight", "the next targets' checks were not loaded")]
    if not check.has_targets:
        return [RuleResult("targets_preflight", OK, f"No targets dated {check.target_date} to check yet", check.note)]
    failed = check.failed
    skipped = [c.title for c in check.checks if c.status == "not evaluated"]
    if failed:
        return [
            RuleResult(
                "targets_preflight",
                FIRING,
                f"Targets dated {check.target_date} fail {fmt.plural(len(failed), 'pre-trade check')} "
                f"({check.stage}, the {check.trade_day} rebalance)",
                "; ".join(f"{c.title}: {_names(list(c.names))}" for c in failed),
                pending_s=pending,
            )
        ]
    return [
        RuleResult(
            "targets_preflight",
            OK,
            f"Targets dated {check.target_date} pass the pre-trade checks ({check.stage})",
            f"not evaluated: {', '.join(skipped)}" if skipped else f"{len(check.checks)} checks passed",
            pending_s=pending,
        )
    ]


# --------------------------------------------------------------- risk rules


def daily_loss(window: dict | Unavailable | None, day: date | None, t: Mapping[str, float]) -> list[RuleResult]:
    """The day's PnL (pnl.headline, time-weighted return from SQL: deposits are not PnL) below −daily_loss_max of its start equity."""
    if isinstance(window, Unavailable):
        return _unavailable(["daily_loss"], window)
    if not window or window.get("ret") is None:
        return [not_evaluated("daily_loss", "the day's start or end equity is unknown")]
    ret, value = window["ret"], window.get("pnl")
    limit = float(t["daily_loss_max"])
    return [
        RuleResult(
            "daily_loss",
            FIRING if ret < -limit else OK,
            f"PnL {fmt.usd(value, signed=True)} ({fmt.pct(ret, 2, signed=True)}) on {day}",
            f"from {fmt.usd(window.get('equity_start'))} start equity (fires below {fmt.pct(-limit, 2, signed=True)})",
        )
    ]


def drawdown(
    series: pl.DataFrame | Unavailable,
    t: Mapping[str, float],
    window: str = f"the {config.ALERT_DRAWDOWN_LOOKBACK_DAYS} days to today",
) -> list[RuleResult]:
    """Current deposit-adjusted drawdown (pnl.drawdown_summary over `equity_series`, the Overview's definition)
    beyond drawdown_max; `window` names the look-back the running peak is searched in."""
    if isinstance(series, Unavailable):
        return [not_evaluated("drawdown", series.reason)]
    if series.height == 0:
        return [not_evaluated("drawdown", "no account snapshots in the look-back window")]
    dd = pnl.drawdown_summary(series)
    cur = dd["current_drawdown"]
    if cur is None:
        return [not_evaluated("drawdown", "no usable equity")]
    limit = float(t["drawdown_max"])
    peak = _aware(dd.get("current_peak_ts"))
    return [
        RuleResult(
            "drawdown",
            FIRING if cur < -limit else OK,
            f"Drawdown {fmt.drawdown(cur, peak)}",
            f"deposit-adjusted, measured within {window} (peak {fmt.utc(peak)}); worst in that window "
            f"{fmt.drawdown(dd['max_drawdown'], _aware(dd.get('peak_ts')))} (fires beyond "
            f"{fmt.pct(-limit, 2, signed=True)})",
            since=_beyond_since(series, -limit, peak) if cur < -limit else None,
        )
    ]


def _beyond_since(series: pl.DataFrame, floor: float, peak: datetime | None) -> datetime | None:
    """When the current drawdown went beyond `floor`, at the series' bucket resolution: the first bucket after the
    current peak of the trailing run whose close (dd_last) is beyond it, at that bucket's trough (the one time in
    it the series keeps, beyond too), or at its close when the trough came before the peak. Without it the
    dashboard, which keeps no alert state, could not say since when the book has been this far down."""
    first = None
    for row in reversed(series.sort("bucket").select("dd_last", "trough_ts", "equity_ts").to_dicts()):
        close = _aware(row["equity_ts"])
        after_peak = peak is None or close is None or close > peak
        if row["dd_last"] is None or row["dd_last"] >= floor or not after_peak:
            break
        first = row
    if first is None:
        return None
    trough, close = _aware(first["trough_ts"]), _aware(first["equity_ts"])
    return trough if trough is not None and (peak is None or trough > peak) else close


def margin_used(totals: dict | Unavailable | None, t: Mapping[str, float]) -> list[RuleResult]:
    """Margin used / equity at the newest account snapshot (lib.book.risk.account_totals, Overview's number,
    summed over the accounts in scope) above margin_used_max."""
    if isinstance(totals, Unavailable):
        return [not_evaluated("margin_used", totals.reason)]
    totals = totals or {}
    share = finite_float(totals.get("margin_pct"))
    if share is None:
        return [not_evaluated("margin_used", "no account snapshot with equity and margin in the last day")]
    limit = float(t["margin_used_max"])
    accounts = int(totals.get("n_accounts") or 1)
    return [
        RuleResult(
            "margin_used",
            FIRING if share > limit else OK,
            f"Margin used {fmt.pct(share, 1)} of equity",
            f"{fmt.usd(finite_float(totals.get('margin_used')))} of {fmt.usd(finite_float(totals.get('equity')))} at "
            f"{fmt.utc(_aware(totals.get('ts')))}"
            + (f", {accounts} accounts summed" if accounts > 1 else "")
            + f" (threshold {fmt.pct(limit, 0)})",
        )
    ]


def liquidation_near(positions: pl.DataFrame | Unavailable, t: Mapping[str, float]) -> list[RuleResult]:
    """Positions whose mark is within liquidation_distance_min of their liquidation price, at the newest positions
    round (queries.book.risk.position_risk: its `liq_distance_pct`, the distance Overview and Positions show)."""
    if isinstance(positions, Unavailable):
        return [not_evaluated("liquidation_near", positions.reason)]
    if positions.height == 0:
        return [RuleResult("liquidation_near", OK, "No open positions in the newest snapshot")]
    limit = float(t["liquidation_distance_min"])
    several = "account" in positions.columns and positions["account"].n_unique() > 1
    known = []
    for r in positions.iter_rows(named=True):
        d = finite_float(r.get("liq_distance_pct"))
        if d is not None:
            who = f"{r['coin']} ({fmt.account_label(r['account'])})" if several else str(r["coin"])
            known.append((d / 100.0, who))
    known.sort()
    near = [(d, c) for d, c in known if d < limit]
    if near:
        names = [f"{c} {fmt.pct(d, 1)}" for d, c in near]
        return [
            RuleResult(
                "liquidation_near",
                FIRING,
                f"{fmt.plural(len(near), 'position')} within {fmt.pct(limit, 0)} of liquidation",
                _names(names),
            )
        ]
    closest = known[0] if known else None
    return [
        RuleResult(
            "liquidation_near",
            OK,
            "No position near liquidation",
            f"closest {closest[1]} {fmt.pct(closest[0], 1)} away" if closest else "no liquidation price reported",
        )
    ]


def equity_not_positive(now: pnl.EquityNow | Unavailable | None, t: Mapping[str, float]) -> list[RuleResult]:
    """The equity at the newest account snapshot (lib.book.pnl.equity_now, Overview's "Equity (AUM)") at or
    below zero, or missing; `since` is the first snapshot after the last positive one."""
    if isinstance(now, Unavailable):
        return [not_evaluated("equity_not_positive", now.reason)]
    if now is None or now.ts is None:
        return [not_evaluated("equity_not_positive", "no account snapshot")]
    last = (
        f"last positive equity {fmt.usd(now.last_usable_equity)} at {fmt.utc(now.last_usable_ts)}"
        if now.last_usable_ts is not None
        else "no positive equity in the account snapshots"
    )
    if now.usable:
        return [RuleResult("equity_not_positive", OK, f"Equity {fmt.usd(now.equity)} at {fmt.utc(now.ts)}")]
    subject = (
        f"The newest account snapshot has no equity ({fmt.utc(now.ts)})"
        if now.equity is None
        else f"Account equity {fmt.usd(now.equity)} at {fmt.utc(now.ts)}"
    )
    since = now.since or now.ts
    return [
        RuleResult(
            "equity_not_positive",
            FIRING,
            subject,
            f"{now.state} since {fmt.utc(since)}; {last}; returns and PnL end there",
            since=since,
        )
    ]


# ---------------------------------------------------------- model book rule


def model_band(band: model_bands.Band | Unavailable | None, t: Mapping[str, float]) -> list[RuleResult]:
    """Live − model over the last config.MODEL_ALERT_DAYS complete days beyond ±model_band_sigmas·σ·√days (σ: the
    desk's own daily active returns before those days, lib.model_book.band); `since` is the close of the first day
    of the run outside, on the side it is on now."""
    if isinstance(band, Unavailable):
        return [not_evaluated("model_band", band.reason)]
    i = band.last if band is not None else None
    if band is None or i is None:
        return [not_evaluated("model_band", "no complete day with both the live book and the model book")]
    k = float(t["model_band_sigmas"])
    scaled = model_bands.Band(
        band.days,
        band.cumulative_bp,
        tuple(None if x is None else x * k / band.k for x in band.limit_bp),
        band.sigma_bp,
        band.n_history,
        band.window_days,
        k,
    )
    if scaled.sigma_bp is None:
        return [not_evaluated("model_band", scaled.method)]
    cum, status = scaled.cumulative_bp[i], scaled.status(i)
    first = scaled.outside_since()
    since = datetime(first.year, first.month, first.day, tzinfo=UTC) + timedelta(days=1) if first else None
    days = f"{fmt.plural(i + 1, 'day')} ({scaled.days[0].isoformat()} – {scaled.days[i].isoformat()})"
    return [
        RuleResult(
            "model_band",
            FIRING if status != model_bands.INSIDE else OK,
            f"Live {fmt.bps(cum)} against the model book over {days}",
            scaled.sentence() + f" σ = {scaled.sigma_bp:.1f} bp a day over the {scaled.n_history} days before.",
            since=since,
            pending_s=_pending("model_band", t),
        )
    ]


# ------------------------------------------------------------- all at once


@dataclass
class LiveInputs:
    """Everything the rules read, as loaded by answers/alert_inputs.py (Unavailable where a load failed)."""

    as_of_frame: pl.DataFrame | Unavailable
    monitors: pl.DataFrame | Unavailable
    sync_streaks: pl.DataFrame | Unavailable
    sync_stats: pl.DataFrame | Unavailable
    hour: tuple[date, int] | None
    hour_rows: pl.DataFrame | Unavailable
    newest_target: date | None | Unavailable
    snapshot: te_snapshot.TeNow | Unavailable | None
    day: date | None
    day_exec: pl.DataFrame | Unavailable
    today_pnl: dict | Unavailable | None
    equity_daily: pl.DataFrame | Unavailable
    account_risk: dict | Unavailable | None  # lib.book.risk.account_totals at the newest account snapshot
    position_risk: pl.DataFrame | Unavailable  # queries.book.risk.position_risk: the newest positions round
    as_of: datetime | None = None
    clickhouse_error: str | None = None
    model_band: Any = None  # lib.model_book.band.Band of the last MODEL_ALERT_DAYS days (or Unavailable)
    equity_now: pnl.EquityNow | Unavailable | None = None  # lib.book.pnl.equity_now: the newest account snapshot
    rebalance: completions.Completion | Unavailable | None = None  # today's rebalance (answers.rebalance.completion)
    preflight: preflights.Preflight | Unavailable | None = None  # the next targets' checks


def evaluate(inputs: LiveInputs, t: Mapping[str, float]) -> list[RuleResult]:
    """Every rule once, in RULES order; the ClickHouse rule fires when a query failed outright."""
    out: list[RuleResult] = []
    if inputs.clickhouse_error:
        out.append(
            RuleResult(
                "clickhouse",
                FIRING,
                "Dashboard cannot read ClickHouse",
                inputs.clickhouse_error,
                pending_s=_pending("clickhouse", t),
            )
        )
    else:
        out.append(RuleResult("clickhouse", OK, "Dashboard reads ClickHouse", pending_s=_pending("clickhouse", t)))
    out += data_stale(inputs.as_of_frame, t)
    out += monitor_down(inputs.monitors, t)
    out += sync_failing(inputs.sync_streaks, t)
    out += sync_lag(inputs.sync_stats, t)
    day, hour = inputs.hour if inputs.hour else (None, None)
    out += prices_missing(inputs.hour_rows, day, hour, t)
    if isinstance(inputs.newest_target, Unavailable):
        out += targets_missing(None, inputs.as_of, t, inputs.newest_target)
    else:
        out += targets_missing(inputs.newest_target, inputs.as_of, t)
    out += targets_preflight(inputs.preflight, t)
    out += tracking(inputs.snapshot, t)
    out += execution(inputs.day_exec, inputs.day, inputs.as_of, t, inputs.rebalance)
    out += daily_loss(inputs.today_pnl, inputs.day, t)
    out += drawdown(inputs.equity_daily, t)
    out += margin_used(inputs.account_risk, t)
    out += liquidation_near(inputs.position_risk, t)
    out += equity_not_positive(inputs.equity_now, t)
    out += model_band(inputs.model_band, t)
    return out


def firing(
    results: Iterable[RuleResult], now: datetime, first_seen: Mapping[str, datetime] | None = None
) -> list[RuleResult]:
    """The results whose state is 'firing' now."""
    seen = first_seen or {}
    return [r for r in results if state_of(r, now, seen.get(r.id)) == STATE_FIRING]


def to_json(
    results: Sequence[RuleResult],
    checked_at: datetime,
    first_seen: Mapping[str, datetime] | None = None,
    acks: Mapping[str, Mapping[str, str]] | None = None,
) -> dict:
    """`alerts check --json`: {"checked_at", "alerts": [{"rule", "severity", "state", "since", "subject", "detail",
    "ack"}]}.

    `rule` is the rule id (`monitor_down:ohlcv` for one instance of a multi-instance rule);
    `since` is when the data says the condition began (or when the alert state first saw
    it), ISO UTC, null when neither knows; `ack` is the acknowledgement in force
    ({"by", "at", "comment"}, from `alerts ack`), null when none.
    """
    seen = first_seen or {}
    alerts = []
    for r in results:
        since = _aware(r.since) if r.status == FIRING else None
        if r.status == FIRING and since is None:
            since = _aware(seen.get(r.id))
        alerts.append(
            {
                "rule": r.id,
                "severity": r.severity,
                "state": state_of(r, checked_at, seen.get(r.id)),
                "since": since.isoformat().replace("+00:00", "Z") if since else None,
                "subject": r.subject,
                "detail": r.detail,
                "ack": dict(acks[r.id]) if acks and r.id in acks else None,
            }
        )
    return {"checked_at": _aware(checked_at).isoformat().replace("+00:00", "Z"), "alerts": alerts}


__all__ = [
    "RULES",
    "SPECS",
    "RuleResult",
    "Unavailable",
    "LiveInputs",
    "evaluate",
    "state_of",
    "to_json",
    "thresholds",
    "tracking",
    "execution",
    "daily_loss",
    "drawdown",
    "margin_used",
    "liquidation_near",
    "equity_not_positive",
    "model_band",
    "data_stale",
    "monitor_down",
    "sync_failing",
    "sync_lag",
    "prices_missing",
    "targets_missing",
    "targets_preflight",
    "rebalance_late",
    "firing",
    "not_evaluated",
]
