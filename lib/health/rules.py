"""Status rules for System Health (and the Overview health badge), pure Python.

Everything here takes frames that `queries/health/health.py` aggregated in
ClickHouse and applies the desk's rules; nothing here queries, draws or
imports Streamlit, so the rules are tested on hand-made frames.

Monitor status (per monitor, against its expected heartbeat interval from
`lib.config.MONITOR_INTERVALS_S`):

* DOWN    — the last beat reported an error, or no beat for more than
            DOWN_FACTOR intervals, or a configured monitor never reported;
* LATE    — no beat for more than LATE_FACTOR intervals;
* OK      — otherwise;
* UNKNOWN — nothing to judge by (the heartbeat table is empty).

"Now" is always the server's clock (`now64()`), passed in by the caller, so
ages are honest even when the data itself is old.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import overload

import polars as pl

from lib import config
from lib import format as fmt

OK, LATE, DOWN, UNKNOWN = "OK", "LATE", "DOWN", "UNKNOWN"
SEVERITY: Mapping[str, int] = {OK: 0, UNKNOWN: 1, LATE: 2, DOWN: 3}
STATUS_ORDER: tuple[str, ...] = (OK, LATE, DOWN, UNKNOWN)

# A monitor seen in the heartbeat table but missing from MONITOR_INTERVALS_S is
# judged against this interval, and says so.
FALLBACK_INTERVAL_S = max(config.MONITOR_INTERVALS_S.values())

# The page's windows end "now" unless the newest data is further behind the
# server clock than this; then they end at the newest data (old demo data).
ANCHOR_MAX_BEHIND_S = 24 * 3600

# Synced tables: logical name -> natural key (queries/schema.sql), padded to
# three columns by repeating the last one so one SQL text serves every table.
SYNCED_KEYS: Mapping[str, tuple[str, str, str]] = {
    "account": ("account", "ts", "ts"),
    "positions": ("account", "ts", "coin"),
    "trades": ("account", "tid", "tid"),
    "orders": ("account", "oid", "status"),
    "funding": ("account", "coin", "time"),
    "ledger": ("account", "time", "hash"),
}

# How often a synced table is expected to gain rows, in seconds. None: the
# table is event-driven (fills, orders, cash movements) and an hour without rows
# can be normal, so it is shown but not called a gap.
TABLE_CADENCE_S: Mapping[str, int | None] = {
    "account": 300,  # 5-minute account snapshots
    "positions": 3600,  # hourly position snapshots
    "funding": 3600,
    "trades": None,
    "orders": None,
    "ledger": None,
}
SYNC_PERIOD_S = 300  # the local -> remote sync runs every 5 minutes

# a frame's column types, as pl.DataFrame(schema=...) takes them
_Schema = dict[str, pl.DataType | type[pl.DataType]]

_MIN_VALID = datetime(2000, 1, 1, tzinfo=UTC)  # older = a zero/default timestamp, i.e. missing


# ------------------------------------------------------------------ helpers


@overload
def aware(ts: datetime) -> datetime: ...
@overload
def aware(ts: datetime | None) -> datetime | None: ...
def aware(ts: datetime | None) -> datetime | None:
    """UTC-aware datetime; naive values are UTC already (Arrow drops the zone sometimes)."""
    if ts is None:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def valid_ts(ts: datetime | None) -> datetime | None:
    """None for missing and for zero/default timestamps (1970), else the aware value."""
    ts = aware(ts)
    if ts is None or ts < _MIN_VALID:
        return None
    return ts


def is_ok_status(status: str | None) -> bool:
    """A heartbeat or sync status counts as success only when it says 'ok'."""
    return status is not None and status.strip().lower() == "ok"


def worst(statuses: Iterable[str]) -> str:
    """The most severe status (DOWN > LATE > UNKNOWN > OK); UNKNOWN for none at all."""
    found = [s for s in statuses if s in SEVERITY]
    if not found:
        return UNKNOWN
    return max(found, key=lambda s: SEVERITY[s])


def age_status(
    age_s: float,
    interval_s: float,
    late_factor: float = config.LATE_FACTOR,
    down_factor: float = config.DOWN_FACTOR,
) -> str:
    """OK / LATE / DOWN for a silence of `age_s` seconds (boundaries belong to the milder status)."""
    if age_s > down_factor * interval_s:
        return DOWN
    if age_s > late_factor * interval_s:
        return LATE
    return OK


def beat_status(
    age_s: float | None,
    interval_s: float,
    last_ok: bool | None,
    late_factor: float = config.LATE_FACTOR,
    down_factor: float = config.DOWN_FACTOR,
) -> tuple[str, str]:
    """Status and the reason in words for one monitor's last beat."""
    if age_s is None:
        return DOWN, "no heartbeat recorded"
    if last_ok is False:
        return DOWN, "the last run reported an error"
    status = age_status(age_s, interval_s, late_factor, down_factor)
    if age_s < 0:
        return status, f"last beat is {_secs(-age_s)} ahead of the server clock (clock skew)"
    if status == DOWN:
        return DOWN, f"silent for {_secs(age_s)} (> {down_factor:g} × {_secs(interval_s)})"
    if status == LATE:
        return LATE, f"silent for {_secs(age_s)} (> {late_factor:g} × {_secs(interval_s)})"
    return OK, ""


def _secs(s: float) -> str:
    return fmt.age(abs(float(s)))


def interval_for(monitor: str, intervals: Mapping[str, int] = config.MONITOR_INTERVALS_S) -> tuple[int, bool]:
    """Expected interval of a monitor and whether it is configured."""
    if monitor in intervals:
        return int(intervals[monitor]), True
    if monitor in config.OPTIONAL_MONITOR_INTERVALS_S:  # e.g. the demo feeder: known, not expected everywhere
        return int(config.OPTIONAL_MONITOR_INTERVALS_S[monitor]), True
    return FALLBACK_INTERVAL_S, False


def silence_limits(
    intervals: Mapping[str, int] = config.MONITOR_INTERVALS_S,
) -> tuple[list[str], list[float], list[float], tuple[float, float]]:
    """Per known monitor the silence (s) after which it is LATE and DOWN, and the fallback pair, for SQL."""
    names = list(dict.fromkeys([*intervals, *config.OPTIONAL_MONITOR_INTERVALS_S]))
    seconds = [float(interval_for(n, intervals)[0]) for n in names]
    return (
        names,
        [config.LATE_FACTOR * s for s in seconds],
        [config.DOWN_FACTOR * s for s in seconds],
        (float(config.LATE_FACTOR * FALLBACK_INTERVAL_S), float(config.DOWN_FACTOR * FALLBACK_INTERVAL_S)),
    )


# ----------------------------------------------------------- monitor table

MONITOR_COLUMNS = [
    "monitor",
    "status",
    "reason",
    "last_ts",
    "age_s",
    "interval_s",
    "configured",
    "last_status",
    "last_message",
    "host",
    "last_error_ts",
    "last_error_message",
    "beats_24h",
    "errors_24h",
]


def assess_monitors(
    latest: pl.DataFrame,
    now: datetime | None = None,
    intervals: Mapping[str, int] = config.MONITOR_INTERVALS_S,
    late_factor: float = config.LATE_FACTOR,
    down_factor: float = config.DOWN_FACTOR,
) -> pl.DataFrame:
    """One row per monitor with its status, from `queries.health.health.monitor_status()`.

    `latest` has one row per monitor (configured ones included, with NULL
    last_ts when they never reported) and the server clock in `server_now`.
    """
    if now is None and latest.height and "server_now" in latest.columns:
        now = latest.item(0, "server_now")
    now = aware(now)
    rows = {r["monitor"]: r for r in latest.iter_rows(named=True)} if latest.height else {}
    names = list(dict.fromkeys([*intervals.keys(), *sorted(rows)]))
    table_empty = not any(valid_ts(r.get("last_ts")) for r in rows.values())
    out = []
    for name in names:
        r = rows.get(name, {})
        interval, configured = interval_for(name, intervals)
        last_ts = valid_ts(r.get("last_ts"))
        last_status = r.get("last_status")
        age_s = (now - last_ts).total_seconds() if (last_ts is not None and now is not None) else None
        if now is None:
            status, reason = UNKNOWN, "server time unknown"
        elif table_empty:
            status, reason = UNKNOWN, "the heartbeat table has no rows"
        else:
            status, reason = beat_status(
                age_s, interval, None if last_ts is None else is_ok_status(last_status), late_factor, down_factor
            )
            if last_ts is None and r.get("last_ts") is not None:
                reason = "last beat has a zero/invalid timestamp"
        if not configured:
            reason = "; ".join(x for x in (reason, f"interval not configured, judged against {interval} s") if x)
        out.append(
            {
                "monitor": name,
                "status": status,
                "reason": reason,
                "last_ts": last_ts,
                "age_s": age_s,
                "interval_s": interval,
                "configured": configured,
                "last_status": last_status,
                "last_message": r.get("last_message"),
                "host": r.get("last_host"),
                "last_error_ts": valid_ts(r.get("last_error_ts")),
                "last_error_message": r.get("last_error_message"),
                "beats_24h": r.get("beats_24h"),
                "errors_24h": r.get("errors_24h"),
            }
        )
    schema: _Schema = {
        "monitor": pl.String,
        "status": pl.String,
        "reason": pl.String,
        "last_ts": pl.Datetime("ms", "UTC"),
        "age_s": pl.Float64,
        "interval_s": pl.Int64,
        "configured": pl.Boolean,
        "last_status": pl.String,
        "last_message": pl.String,
        "host": pl.String,
        "last_error_ts": pl.Datetime("ms", "UTC"),
        "last_error_message": pl.String,
        "beats_24h": pl.Int64,
        "errors_24h": pl.Int64,
    }
    return pl.DataFrame(out, schema=schema, orient="row") if out else pl.DataFrame(schema=schema)


@dataclass(frozen=True)
class HealthSummary:
    """What the Overview badge shows: the worst monitor status and why."""

    status: str
    counts: Mapping[str, int]
    problems: tuple[str, ...] = ()
    newest_beat: datetime | None = None
    server_now: datetime | None = None
    behind_s: float | None = None  # server now - newest beat
    monitors: int = 0

    @property
    def color(self) -> str:
        from lib.format import STATUS_COLORS

        return STATUS_COLORS.get(self.status, STATUS_COLORS["UNKNOWN"])

    @property
    def label(self) -> str:
        n = self.counts
        if self.status == OK:
            return f"All {self.monitors} monitors OK"
        if self.status == UNKNOWN and not n.get(DOWN) and not n.get(LATE):
            return "Monitor status unknown"
        parts = [f"{n[s]} {s}" for s in (DOWN, LATE, UNKNOWN) if n.get(s)]
        return f"{self.status}: " + ", ".join(parts) + f" of {self.monitors} monitors"


def summarize(assessed: pl.DataFrame, now: datetime | None = None) -> HealthSummary:
    """Worst status over monitors (output of `assess_monitors`)."""
    statuses = assessed["status"].to_list() if assessed.height else []
    counts = {s: statuses.count(s) for s in STATUS_ORDER if statuses.count(s)}
    bad = [r for r in assessed.iter_rows(named=True) if r["status"] in (DOWN, LATE)] if assessed.height else []
    bad.sort(key=lambda r: (-SEVERITY[r["status"]], r["monitor"]))
    problems = tuple(f"{r['monitor']} {r['status']}" + (f": {r['reason']}" if r["reason"] else "") for r in bad)
    beats = [
        b for b in (valid_ts(t) for t in (assessed["last_ts"].to_list() if assessed.height else [])) if b is not None
    ]
    newest = max(beats) if beats else None
    now = aware(now)
    behind = (now - newest).total_seconds() if (now is not None and newest is not None) else None
    return HealthSummary(
        status=worst(statuses),
        counts=counts,
        problems=problems,
        newest_beat=newest,
        server_now=now,
        behind_s=behind,
        monitors=len(statuses),
    )


def overall_status(latest: pl.DataFrame) -> HealthSummary:
    """For the Overview badge: `summarize(assess_monitors(monitor_status()))` in one call."""
    now = latest.item(0, "server_now") if latest.height and "server_now" in latest.columns else None
    return summarize(assess_monitors(latest, now), now)


# ------------------------------------------------------------- anchoring


def window_end(server_now: datetime | None, newest: Iterable[datetime | None]) -> tuple[datetime | None, float | None]:
    """Where the page's time windows end, and how far the newest data lags the server clock.

    Returns (None, lag) when the windows should end at the server's now
    (newest data within ANCHOR_MAX_BEHIND_S), else (newest data rounded up to
    the minute, lag) so an old data set still shows its last day.
    """
    now = aware(server_now)
    found = [v for v in (valid_ts(x) for x in newest) if v is not None]
    if now is None or not found:
        return None, None
    newest_ts = max(found)
    lag = (now - newest_ts).total_seconds()
    if lag <= ANCHOR_MAX_BEHIND_S:
        return None, lag
    return ceil_minute(newest_ts), lag


def ceil_minute(ts: datetime) -> datetime:
    """`ts` rounded up to the whole minute (stable cache keys for windows ending 'now')."""
    ts = aware(ts)
    out = ts.replace(second=0, microsecond=0)
    return out if out == ts else out + timedelta(minutes=1)


def window_start(end: datetime, hours: int, bucket_s: int) -> datetime:
    """Start of a `hours` window ending at `end`, floored to a bucket boundary (epoch-aligned, like SQL)."""
    end = aware(end)
    raw = end - timedelta(hours=hours)
    epoch = int(raw.timestamp())
    return datetime.fromtimestamp(epoch - epoch % bucket_s, tz=UTC)


# -------------------------------------------------------- monitor timeline


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_STATES_SCHEMA: _Schema = {
    "monitor": pl.String,
    "bucket_start": pl.Datetime("ms", "UTC"),
    "bucket_end": pl.Datetime("ms", "UTC"),
    "status": pl.String,
    "beats": pl.Int64,
    "errors": pl.Int64,
    "max_silence_s": pl.Float64,
}


def _us(ts: datetime) -> int:
    """Microseconds since the epoch of an aware datetime, exactly (differences / 10**6 equal total_seconds())."""
    return (ts - _EPOCH) // _US


def timeline_states(
    buckets: pl.DataFrame,
    start: datetime,
    end: datetime,
    bucket_s: int,
    monitors: Sequence[str] | None = None,
    intervals: Mapping[str, int] = config.MONITOR_INTERVALS_S,
    late_factor: float = config.LATE_FACTOR,
    down_factor: float = config.DOWN_FACTOR,
) -> pl.DataFrame:
    """The worst status each monitor had in each bucket of [start, end).

    `buckets` (from `queries.health.health.heartbeat_buckets`) holds, per monitor and
    bucket with beats: beats, errors, first_ts, last_ts, last_status,
    max_inner_gap_s; plus per monitor one `prior` row (prior = true) with the
    last beat before `start`. Buckets without beats are filled here. Within a
    bucket the status is the worst the live rule would have shown at any
    moment: an error beat, or a silence (before the first beat, between beats,
    or after the last beat up to the bucket end) longer than LATE/DOWN.

    Times are handled as integer microseconds since the epoch (exact), and the
    bucket grid, shared by every monitor, is built once: a day of 1-minute
    buckets for every monitor is thousands of rows.
    """
    start, end = aware(start), aware(end)
    # monitor -> bucket start (µs) -> (beats, errors, first beat (µs), last beat (µs), last status, inner gap (s))
    by_monitor: dict[str, dict[int, tuple[int, int, int, int, str | None, float | None]]] = {}
    prior: dict[str, dict] = {}
    if buckets.height:
        is_prior = pl.col("prior").cast(pl.Boolean).fill_null(False) if "prior" in buckets.columns else pl.lit(False)
        for r in buckets.filter(is_prior).iter_rows(named=True):
            prior[r["monitor"]] = r
        live = buckets.filter(~is_prior)
        gap_col = pl.col("max_inner_gap_s") if "max_inner_gap_s" in live.columns else pl.lit(None, pl.Float64)
        for m, b, beats, errors, first, last, status, inner in live.select(
            "monitor",
            pl.col("bucket").dt.epoch("us"),
            "beats",
            "errors",
            pl.col("first_ts").dt.epoch("us"),
            pl.col("last_ts").dt.epoch("us"),
            "last_status",
            gap_col,
        ).iter_rows():
            by_monitor.setdefault(m, {})[b] = (beats, errors, first, last, status, inner)
    names = (
        list(monitors)
        if monitors is not None
        else list(dict.fromkeys([*intervals.keys(), *sorted(by_monitor), *sorted(prior)]))
    )
    # the bucket grid [b, b_end) over [start, end), the last bucket cut at `end`
    step = timedelta(seconds=bucket_s)
    grid: list[tuple[datetime, datetime]] = []
    b = start
    while b < end:
        grid.append((b, min(b + step, end)))
        b += step
    if not names or not grid:
        return pl.DataFrame(schema=_STATES_SCHEMA)
    grid_us = [(_us(a), _us(z)) for a, z in grid]
    # statuses as severities (SEVERITY) while scanning: the worst of a bucket is their max
    sev_ok, sev_unknown, sev_late, sev_down = SEVERITY[OK], SEVERITY[UNKNOWN], SEVERITY[LATE], SEVERITY[DOWN]
    ok_memo: dict[str | None, bool] = {}
    sev_col: list[int] = []
    beats_col: list[int] = []
    errors_col: list[int] = []
    silence_col: list[float | None] = []
    for name in names:
        interval, _ = interval_for(name, intervals)
        late_s, down_s = late_factor * interval, down_factor * interval
        p = prior.get(name)
        prev = valid_ts(p["last_ts"]) if p else None
        prev_us = _us(prev) if prev is not None else None
        prev_ok = is_ok_status(p["last_status"]) if p else True
        rows = by_monitor.get(name, {})
        for b_us, end_us in grid_us:
            bucket = rows.get(b_us)
            if bucket is not None and bucket[0]:
                beats, errors, first_us, last_us, last_status, inner_gap = bucket
                # the silences of this bucket: since the previous beat, between beats, after the last one
                inner = float(inner_gap or 0.0)
                sev = sev_down if errors else sev_ok
                gap = inner if inner > 0.0 else 0.0
                if prev_us is not None:
                    silence = (first_us - prev_us) / 1_000_000
                    if silence > gap:
                        gap = silence
                    if not prev_ok or silence > down_s:
                        sev = sev_down
                    elif silence > late_s and sev < sev_late:
                        sev = sev_late
                elif first_us > b_us and sev < sev_unknown:
                    sev = sev_unknown  # nothing known before this bucket's first beat
                if inner > down_s:
                    sev = sev_down
                elif inner > late_s and sev < sev_late:
                    sev = sev_late
                prev_us = last_us
                last_ok = ok_memo.get(last_status)
                if last_ok is None:
                    last_ok = ok_memo[last_status] = is_ok_status(last_status)
                prev_ok = last_ok
                tail = (end_us - last_us) / 1_000_000
                if tail > gap:
                    gap = tail
                if not prev_ok or tail > down_s:
                    sev = sev_down
                elif tail > late_s and sev < sev_late:
                    sev = sev_late
                sev_col.append(sev)
                beats_col.append(int(beats))
                errors_col.append(int(errors))
                silence_col.append(gap)
            elif prev_us is None:
                sev_col.append(sev_unknown)
                beats_col.append(0)
                errors_col.append(0)
                silence_col.append(None)
            else:
                silence = (end_us - prev_us) / 1_000_000
                sev_col.append(
                    sev_down if (not prev_ok or silence > down_s) else sev_late if silence > late_s else sev_ok
                )
                beats_col.append(0)
                errors_col.append(0)
                silence_col.append(silence)
    by_severity = {v: k for k, v in SEVERITY.items()}
    status_col = [by_severity[v] for v in sev_col]
    n = len(names)
    starts = pl.Series([a for a, _ in grid], dtype=pl.Datetime("ms", "UTC"))
    ends = pl.Series([z for _, z in grid], dtype=pl.Datetime("ms", "UTC"))
    return pl.DataFrame(
        {
            "monitor": pl.Series([m for m in names for _ in grid], dtype=pl.String),
            "bucket_start": pl.concat([starts] * n) if n > 1 else starts,
            "bucket_end": pl.concat([ends] * n) if n > 1 else ends,
            "status": pl.Series(status_col, dtype=pl.String),
            "beats": pl.Series(beats_col, dtype=pl.Int64),
            "errors": pl.Series(errors_col, dtype=pl.Int64),
            "max_silence_s": pl.Series(silence_col, dtype=pl.Float64),
        }
    )


def segments(states: pl.DataFrame) -> pl.DataFrame:
    """Merge consecutive buckets of one monitor with the same status into segments."""
    schema: _Schema = {
        "monitor": pl.String,
        "status": pl.String,
        "start": pl.Datetime("ms", "UTC"),
        "end": pl.Datetime("ms", "UTC"),
        "beats": pl.Int64,
        "errors": pl.Int64,
    }
    if states.height == 0:
        return pl.DataFrame(schema=schema)
    new_run = (
        pl.col("monitor").ne_missing(pl.col("monitor").shift())
        | pl.col("status").ne_missing(pl.col("status").shift())
        | pl.col("bucket_start").ne_missing(pl.col("bucket_end").shift())
    )
    return (
        states.with_columns(new_run.cum_sum().alias("_run"))
        .group_by("_run", maintain_order=True)
        .agg(
            pl.col("monitor").first(),
            pl.col("status").first(),
            pl.col("bucket_start").first().alias("start"),
            pl.col("bucket_end").last().alias("end"),
            pl.col("beats").sum(),
            pl.col("errors").sum(),
        )
        .drop("_run")
        .cast(pl.Schema(schema))  # a Schema: cast() keys its mapping by str | selector | dtype
    )


def time_in_status(states: pl.DataFrame) -> pl.DataFrame:
    """Share of the window each monitor spent in each status (uptime summary)."""
    if states.height == 0:
        return pl.DataFrame(schema={"monitor": pl.String, **{s: pl.Float64 for s in STATUS_ORDER}})
    secs = (pl.col("bucket_end") - pl.col("bucket_start")).dt.total_milliseconds() / 1000.0
    wide = states.group_by("monitor", maintain_order=True).agg(
        [secs.filter(pl.col("status") == s).sum().alias(s) for s in STATUS_ORDER]
    )
    total = sum(pl.col(s) for s in STATUS_ORDER)
    return wide.select("monitor", *[(pl.col(s) / total).alias(s) for s in STATUS_ORDER])


# ------------------------------------------------------------ synced tables


def table_status(name: str, age_s: float | None) -> tuple[str, str]:
    """Freshness status of a synced table: continuous tables only; event tables are N/A."""
    cadence = TABLE_CADENCE_S.get(name)
    if age_s is None:
        return UNKNOWN, "no rows"
    if cadence is None:
        return "N/A", "event-driven table: a quiet period is not an outage"
    expected = cadence + SYNC_PERIOD_S
    status = age_status(age_s, expected)
    if status == OK:
        return OK, ""
    factor = config.DOWN_FACTOR if status == DOWN else config.LATE_FACTOR
    return status, f"newest row {_secs(age_s)} old (> {factor} × {_secs(expected)})"


def data_as_of_status(age_s: float | None) -> tuple[str, str]:
    """The one staleness rule for "data as of": the account table's freshness status.

    The sidebar turns amber exactly when System Health calls the account table LATE or
    DOWN (newest snapshot older than LATE_FACTOR x (snapshot cadence + sync period)).
    """
    return table_status("account", age_s)


def assess_tables(stats: pl.DataFrame) -> pl.DataFrame:
    """Add freshness age/status and data-quality flags to `queries.health.health.sync_stats` rows."""
    out = []
    for r in stats.iter_rows(named=True):
        now = aware(r["server_now"])
        newest = valid_ts(r["newest"])
        age_s = (now - newest).total_seconds() if (now and newest) else None
        status, reason = table_status(r["table_key"], age_s)
        flags = []
        if r.get("dup_rows_1d"):
            flags.append(f"{r['dup_rows_1d']} duplicated rows in the last day of data")
        if r.get("neg_latency_1d"):
            flags.append(f"{r['neg_latency_1d']} rows synced before they were ingested (clock skew; excluded)")
        if r.get("missing_ts_1d"):
            flags.append(f"{r['missing_ts_1d']} rows without ingested_at/synced_at (excluded)")
        if newest is not None and age_s is not None and age_s < -60:
            flags.append("newest row is in the future")
        rows_1d, keys_1d = r.get("rows_1d"), r.get("keys_1d")
        dup_share = (rows_1d - keys_1d) / rows_1d if rows_1d else None
        out.append(
            {
                **r,
                "age_s": age_s,
                "status": status,
                "reason": reason,
                "dup_share_1d": dup_share,
                "flags": "; ".join(flags),
            }
        )
    if not out:
        return stats.with_columns(
            pl.lit(None, pl.Float64).alias("age_s"),
            pl.lit(None, pl.String).alias("status"),
            pl.lit(None, pl.String).alias("reason"),
            pl.lit(None, pl.Float64).alias("dup_share_1d"),
            pl.lit(None, pl.String).alias("flags"),
        )
    return pl.DataFrame(out, infer_schema_length=None)


def hour_window(end: datetime, hours: int) -> tuple[datetime, datetime]:
    """[first, stop) of the `hours` whole UTC hours ending with the hour that contains `end`.

    A window ending exactly on the hour does not include the hour that starts there.
    """
    end = aware(end)
    stop = end.replace(minute=0, second=0, microsecond=0)
    if stop < end:
        stop += timedelta(hours=1)
    return stop - timedelta(hours=hours), stop


HOUR_IN_FLIGHT_S = 300  # an hour that ended this recently may still be receiving rows through the sync


def fill_hours(per_hour: pl.DataFrame, end: datetime, hours: int, name: str) -> pl.DataFrame:
    """Every hour of the window, zero-row hours included and flagged.

    `per_hour` has hour (start of hour), keys (distinct natural keys) and rows.
    The window is the `hours` hours ending with the hour containing `end`.
    `gap` is True for an empty hour of a continuous table (TABLE_CADENCE_S
    not None); `empty` is True for any hour without rows. The hour still under
    way at `end` (or ended less than HOUR_IN_FLIGHT_S before it) is `partial`:
    it is never called empty or a gap, its rows are still arriving.
    """
    first, stop = hour_window(end, hours)
    last = stop - timedelta(hours=1)
    have = {aware(r["hour"]): r for r in per_hour.iter_rows(named=True)} if per_hour.height else {}
    continuous = TABLE_CADENCE_S.get(name) is not None
    # the hour under way at `end`, or one that ended less than HOUR_IN_FLIGHT_S before it (its last rows
    # may still be on their way through the sync)
    in_flight_after = aware(end) - timedelta(seconds=HOUR_IN_FLIGHT_S)
    out = []
    h = first
    while h <= last:
        r = have.get(h)
        keys = int(r["keys"]) if r else 0
        rows = int(r["rows"]) if r else 0
        partial = h + timedelta(hours=1) > in_flight_after
        out.append(
            {
                "table_key": name,
                "hour": h,
                "keys": keys,
                "rows": rows,
                "empty": keys == 0 and not partial,
                "gap": continuous and keys == 0 and not partial,
                "partial": partial,
            }
        )
        h += timedelta(hours=1)
    schema: _Schema = {
        "table_key": pl.String,
        "hour": pl.Datetime("ms", "UTC"),
        "keys": pl.Int64,
        "rows": pl.Int64,
        "empty": pl.Boolean,
        "gap": pl.Boolean,
        "partial": pl.Boolean,
    }
    return pl.DataFrame(out, schema=schema, orient="row")


def gap_runs(filled: pl.DataFrame) -> list[tuple[datetime, datetime]]:
    """Consecutive empty hours as [start, end) ranges (for highlighting)."""
    runs: list[tuple[datetime, datetime]] = []
    for r in filled.iter_rows(named=True):
        if not r["empty"]:
            continue
        h = aware(r["hour"])
        if runs and runs[-1][1] == h:
            runs[-1] = (runs[-1][0], h + timedelta(hours=1))
        else:
            runs.append((h, h + timedelta(hours=1)))
    return runs


# ----------------------------------------------------------------- sync log


def assess_sync(summary: pl.DataFrame) -> pl.DataFrame:
    """Per synced table: status of the sync from `queries.health.health.sync_summary` rows.

    DOWN when the last run failed or no success for DOWN_FACTOR sync periods,
    LATE after LATE_FACTOR periods, against the server clock (or the window
    end, when the page looks at old data).
    """
    out = []
    for r in summary.iter_rows(named=True):
        ref = aware(r.get("window_end")) or aware(r.get("server_now"))
        last_ok = valid_ts(r.get("last_success"))
        since_ok = (ref - last_ok).total_seconds() if (ref and last_ok) else None
        if last_ok is None:
            status, reason = DOWN, "no successful run in the window"
        elif not is_ok_status(r.get("last_status")):
            status, reason = DOWN, "the last run failed"
        elif since_ok is None:
            status, reason = UNKNOWN, "no window end or server time to judge the last success against"
        else:
            status = age_status(since_ok, SYNC_PERIOD_S)
            reason = "" if status == OK else f"last success {_secs(since_ok)} before the window end"
        if r.get("unfinished"):
            reason = "; ".join(x for x in (reason, f"{r['unfinished']} runs never finished") if x)
        out.append({**r, "status": status, "reason": reason, "since_success_s": since_ok})
    if not out:
        return summary.with_columns(
            pl.lit(None, pl.String).alias("status"),
            pl.lit(None, pl.String).alias("reason"),
            pl.lit(None, pl.Float64).alias("since_success_s"),
        )
    return pl.DataFrame(out, infer_schema_length=None)
