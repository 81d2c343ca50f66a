"""Freshness and liveness: what System Health, the sidebar and the Overview badge read.

Every aggregate is computed in ClickHouse; `lib/health/rules.py` applies the status
rules to the small frames returned here. Heartbeats, sync-log rows and synced
rows are de-duplicated on their natural keys (queries/schema.sql) first.
Empty aggregates come back as NULL, never as 0 (quantiles are guarded by a
count, because ClickHouse returns 0 or NaN for the quantile of nothing).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from lib import config
from lib.health import rules
from queries.engine import newest
from queries.engine.run import client, run, run_rows
from queries.engine.scope import cached

# The time column of each logical table (identifiers, bound server-side).
TIME_COLUMNS = {
    "trades": "time",
    "positions": "ts",
    "account": "ts",
    "funding": "time",
    "ledger": "time",
    "orders": "time",
    "heartbeat": "ts",
    "sync_log": "started_at",
    "targets": "date",
    "klines": "open_time",
}

SYNCED_TABLES = tuple(rules.SYNCED_KEYS)  # tables that carry ingested_at / synced_at
MAX_TIMELINE_HOURS = 7 * 24
MAX_HOURS = 14 * 24


@cached(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def data_as_of() -> pl.DataFrame:
    """Newest account and positions snapshot (the 'data as of' of every page), and the desk's inception
    (`inception_ts`: where the "all" range preset starts, queries/engine/inception.py; an older stray row never
    does).

    Rows dated after the server's now + FUTURE_SKEW_S do not count (System Health lists them).
    """
    return run(
        newest.pasted(
            """
            SELECT
                __NEWEST_ACCOUNT_TS__ AS account_ts,
                __INCEPTION_TS__ AS inception_ts,
                __NEWEST_POSITIONS_TS__ AS positions_ts,
                now64(3, 'UTC') AS server_now
            """
        ),
        **newest.SKEW,
    )


@cached(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def newest_kline() -> pl.DataFrame:
    """One row: `newest`, the open time of the newest Binance hourly candle (NULL when empty), and `server_now`."""
    return run(
        """
        SELECT toDateTime64(maxOrNull(open_time), 3, 'UTC') AS newest, now64(3, 'UTC') AS server_now
        FROM {klines_db:Identifier}.{klines_tbl:Identifier}
        """
    )


# ------------------------------------------------------------------ monitors

_HB_DEDUP = """
    SELECT ts, toString(monitor) AS monitor, toString(host) AS host, toString(status) AS status, message,
           lower(trim(toString(status))) = 'ok' AS ok
    FROM {heartbeat_db:Identifier}.{heartbeat_tbl:Identifier}
    WHERE ts >= __LO__ AND ts <= __HI__
    LIMIT 1 BY monitor, host, ts
"""


@cached(ttl=config.TTL_LIVE, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def monitor_beats(monitor: str, end: datetime, limit: int = 50, errors_only: bool = False) -> pl.DataFrame:
    """A monitor's newest heartbeat rows up to `end` (7 days back at most), newest first, each once;
    `errors_only`: only the beats whose status is not ok (the incident, not the 50 OK beats after it).

    Columns: ts, host, status, message, rows, duration_ms. What a support engineer reads after
    seeing the monitor DOWN: did it beat, from which host, with which error.
    """
    return run(
        """
        SELECT ts, toString(host) AS host, toString(status) AS status, message, rows, duration_ms
        FROM {heartbeat_db:Identifier}.{heartbeat_tbl:Identifier}
        WHERE monitor = {monitor:String}
          AND ts <= {end:DateTime64(3, 'UTC')} AND ts > {end:DateTime64(3, 'UTC')} - INTERVAL 7 DAY
          AND (NOT {errors_only:Bool} OR lower(trim(toString(status))) != 'ok')
        ORDER BY ts DESC, host
        LIMIT 1 BY host, ts
        LIMIT {limit:UInt32}
        """,
        monitor=monitor,
        end=end,
        limit=int(limit),
        errors_only=bool(errors_only),
    )


@cached(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def monitor_status() -> pl.DataFrame:
    """One row per monitor: its newest heartbeat, newest error, and the server clock.

    Every monitor of `lib.config.MONITOR_INTERVALS_S` is present (NULL last_ts
    when it never reported in the last 30 days of heartbeats), plus any other
    monitor found in the table. Columns: monitor, last_ts, last_status,
    last_message, last_host, last_error_ts, last_error_message, beats_24h,
    errors_24h (over the 24 h ending at the server's now, or at the newest
    beat when that is more than a day old), newest_beat, server_now.
    Feed it to `lib.health.rules.assess_monitors` / `lib.health.rules.overall_status`.
    """
    sql = """
        WITH
            now64(3, 'UTC') AS server_now,
            (SELECT max(ts) FROM {heartbeat_db:Identifier}.{heartbeat_tbl:Identifier}
             WHERE ts <= server_now + toIntervalSecond({future_skew_s:UInt32})) AS newest,
            if(dateDiff('second', newest, server_now) > {max_behind:UInt32}, newest, server_now) AS ref
        SELECT
            m.monitor AS monitor,
            a.last_ts AS last_ts,
            a.last_status AS last_status,
            a.last_message AS last_message,
            a.last_host AS last_host,
            a.last_error_ts AS last_error_ts,
            if(a.last_error_ts IS NULL, NULL, a.last_error_message) AS last_error_message,
            a.beats_24h AS beats_24h,
            a.errors_24h AS errors_24h,
            if(newest < toDateTime64('2000-01-01', 3, 'UTC'), NULL, toDateTime64(newest, 3, 'UTC')) AS newest_beat,
            server_now
        FROM
        (
            SELECT arrayJoin({monitors:Array(String)}) AS monitor
            UNION DISTINCT
            SELECT DISTINCT toString(monitor) AS monitor
            FROM {heartbeat_db:Identifier}.{heartbeat_tbl:Identifier}
            WHERE ts >= newest - INTERVAL 30 DAY
        ) AS m
        LEFT JOIN
        (
            SELECT
                monitor,
                toDateTime64(max(ts), 3, 'UTC') AS last_ts,
                argMax(status, ts) AS last_status,
                argMax(message, ts) AS last_message,
                argMax(host, ts) AS last_host,
                maxIfOrNull(ts, NOT ok) AS last_error_ts,
                argMaxIf(message, ts, NOT ok) AS last_error_message,
                countIf(ts > ref - INTERVAL 1 DAY) AS beats_24h,
                countIf(ts > ref - INTERVAL 1 DAY AND NOT ok) AS errors_24h
            FROM (__DEDUP__)
            GROUP BY monitor
        ) AS a ON a.monitor = m.monitor
        ORDER BY monitor
    """.replace("__DEDUP__", _HB_DEDUP.replace("__LO__", "newest - INTERVAL 30 DAY").replace("__HI__", "newest"))
    return run(
        sql,
        monitors=list(config.MONITOR_INTERVALS_S),
        max_behind=rules.ANCHOR_MAX_BEHIND_S,
        future_skew_s=config.FUTURE_SKEW_S,
    )


@cached(ttl=config.TTL_LIVE, max_entries=16, show_spinner=False)
def heartbeat_buckets(start: datetime, end: datetime, bucket_s: int) -> pl.DataFrame:
    """Heartbeats per monitor per `bucket_s` bucket in [start, end], for the state timeline.

    Rows: monitor, prior (true for the one row per monitor that carries the
    last beat in the day before `start`), bucket (epoch-aligned start),
    beats, errors, first_ts, last_ts, last_status, max_inner_gap_s (longest
    silence between two beats inside the bucket). `lib.health.rules.timeline_states`
    turns them into statuses.
    """
    if bucket_s not in (60, 300, 900, 3600):
        raise ValueError("bucket must be 1, 5, 15 or 60 minutes")
    if not start < end or (end - start).total_seconds() > MAX_TIMELINE_HOURS * 3600 + bucket_s:
        raise ValueError("timeline window must be positive and at most 7 days")
    sql = """
        SELECT
            monitor,
            ts < {start:DateTime64(3, 'UTC')} AS prior,
            if(prior, {start:DateTime64(3, 'UTC')},
               toDateTime64(toStartOfInterval(ts, INTERVAL {bucket_s:UInt32} SECOND), 3, 'UTC')) AS bucket,
            count() AS beats,
            countIf(NOT ok) AS errors,
            toDateTime64(min(ts), 3, 'UTC') AS first_ts,
            toDateTime64(max(ts), 3, 'UTC') AS last_ts,
            argMax(status, ts) AS last_status,
            arrayMax(arrayDifference(arraySort(groupArray(toUnixTimestamp64Milli(ts))))) / 1000.0 AS max_inner_gap_s
        FROM (__DEDUP__)
        GROUP BY monitor, prior, bucket
        ORDER BY monitor, bucket
    """.replace(
        "__DEDUP__",
        _HB_DEDUP.replace("__LO__", "{start:DateTime64(3, 'UTC')} - INTERVAL 1 DAY").replace(
            "__HI__", "{end:DateTime64(3, 'UTC')}"
        ),
    )
    return run(sql, start=start, end=end, bucket_s=bucket_s)


# The live rule between consecutive beats (any host), ONE definition for every "minutes DOWN" the desk reads:
# after an error beat the monitor is DOWN until its next beat; after an OK beat it is OK, LATE once the silence
# passes LATE_FACTOR intervals, DOWN once it passes DOWN_FACTOR intervals, until the next beat (or the window's
# end). Before its first beat (none in the day before the window) it is UNKNOWN. Unlike the timeline's buckets,
# one error beat followed a minute later by an OK beat is one minute DOWN, not a whole bucket. `parts` holds
# every DOWN / LATE / UNKNOWN interval clipped to [S, E) (seconds since the epoch); adjacent ones of the same
# status are one spell (lib.health.rules.spells merges them).
_STATUS_PARTS = """
    WITH
        toUnixTimestamp64Milli({start:DateTime64(3, 'UTC')}) / 1000 AS S,
        toUnixTimestamp64Milli({end:DateTime64(3, 'UTC')}) / 1000 AS E,
        beats AS
        (
            -- beats of several hosts in the same millisecond are one beat; an error among them wins
            SELECT monitor, toUnixTimestamp64Milli(ts) / 1000 AS t, min(ok) AS ok
            FROM (__DEDUP__)
            WHERE ts < {end:DateTime64(3, 'UTC')}
            GROUP BY monitor, t
        ),
        spans AS
        (
            SELECT
                monitor, t, ok,
                leadInFrame(t, 1, E) OVER (PARTITION BY monitor ORDER BY t
                                           ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS nxt,
                transform(monitor, {names:Array(String)}, {late_s:Array(Float64)}, {fallback_late_s:Float64})
                    AS late_after,
                transform(monitor, {names:Array(String)}, {down_s:Array(Float64)}, {fallback_down_s:Float64})
                    AS down_after
            FROM beats
        ),
        parts AS
        (
            SELECT monitor, status, s0, s1
            FROM
            (
                SELECT monitor, p.1 AS status, greatest(p.2, S) AS s0, least(p.3, E) AS s1
                FROM spans
                ARRAY JOIN [tuple('DOWN', if(ok, t + down_after, t), nxt),
                            tuple('LATE', if(ok, t + late_after, nxt), if(ok, least(nxt, t + down_after), nxt))] AS p
                UNION ALL
                SELECT monitor, 'UNKNOWN' AS status, S AS s0, least(min(t), E) AS s1
                FROM spans
                GROUP BY monitor
            )
            WHERE s1 > s0
        )
"""


def _status_params(start: datetime, end: datetime) -> dict[str, Any]:
    if not start < end or (end - start).total_seconds() > MAX_TIMELINE_HOURS * 3600:
        raise ValueError("status window must be positive and at most 7 days")
    names, late_s, down_s, fallback = rules.silence_limits()
    return {
        "start": start,
        "end": end,
        "names": names,
        "late_s": late_s,
        "down_s": down_s,
        "fallback_late_s": fallback[0],
        "fallback_down_s": fallback[1],
    }


def _status_sql(select: str) -> str:
    dedup = _HB_DEDUP.replace("__LO__", "{start:DateTime64(3, 'UTC')} - INTERVAL 1 DAY").replace(
        "__HI__", "{end:DateTime64(3, 'UTC')}"
    )
    return _STATUS_PARTS.replace("__DEDUP__", dedup) + select


@cached(ttl=config.TTL_LIVE, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def status_seconds(start: datetime, end: datetime) -> pl.DataFrame:
    """Seconds each monitor spent DOWN, LATE and UNKNOWN in [start, end), at heartbeat resolution (the rule
    above). Columns: monitor, down_s, late_s, unknown_s, beats, errors (beats in the window). Monitors without a
    beat in the window or the day before are absent."""
    return run(
        _status_sql(
            """
            SELECT
                b.monitor AS monitor,
                ifNull(p.down_s, 0.) AS down_s,
                ifNull(p.late_s, 0.) AS late_s,
                ifNull(p.unknown_s, 0.) AS unknown_s,
                b.beats AS beats,
                b.errors AS errors
            FROM
            (
                SELECT monitor, countIf(t >= S) AS beats, countIf(t >= S AND NOT ok) AS errors
                FROM beats
                GROUP BY monitor
            ) AS b
            LEFT JOIN
            (
                SELECT monitor, sumIf(s1 - s0, status = 'DOWN') AS down_s, sumIf(s1 - s0, status = 'LATE') AS late_s,
                       sumIf(s1 - s0, status = 'UNKNOWN') AS unknown_s
                FROM parts
                GROUP BY monitor
            ) AS p ON p.monitor = b.monitor
            ORDER BY monitor
            """
        ),
        **_status_params(start, end),
    )


@cached(ttl=config.TTL_LIVE, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def status_spans(start: datetime, end: datetime) -> pl.DataFrame:
    """Every DOWN / LATE / UNKNOWN interval of each monitor in [start, end), at heartbeat resolution (the rule
    above), clipped to the window: monitor, status, start, end (UTC). Adjacent intervals of one status are one
    spell: `lib.health.rules.spells` merges them (an outage of many error beats is one incident)."""
    return run(
        _status_sql(
            """
            SELECT monitor, status, toDateTime64(s0, 3, 'UTC') AS start, toDateTime64(s1, 3, 'UTC') AS end
            FROM parts
            ORDER BY monitor, start, status
            """
        ),
        **_status_params(start, end),
    )


# ------------------------------------------------------------- synced tables


def _table_params(name: str) -> dict[str, Any]:
    if name not in rules.SYNCED_KEYS:
        raise ValueError(f"{name!r} is not a synced table")
    db, tbl = client().tables.tables[name]
    k1, k2, k3 = rules.SYNCED_KEYS[name]
    return {
        "name": name,
        "db": db,
        "tbl": tbl,
        "tcol": TIME_COLUMNS[name],
        "k1": k1,
        "k2": k2,
        "k3": k3,
        "future_skew_s": config.FUTURE_SKEW_S,
    }


@cached(ttl=config.TTL_LIVE, max_entries=16, show_spinner=False)
def sync_stats(name: str, end: datetime) -> pl.DataFrame:
    """Freshness, sync latency and duplicates of one synced table, over the 7 days before `end`.

    `end` is the page's clock (the server's now, rounded up to the minute; the newest data
    only when the whole desk is far behind, lib.health.rules.window_end): "the last hour / day"
    are the hour and day before it, never the hour before a table's newest row (for a quiet
    table that hour can be weeks old). No row in a window gives n_1h / n_1d = 0 and NULL
    quantiles ("no rows in the last hour"). `newest` is the table's newest row, for freshness.
    Rows are first collapsed on the natural key (first arrival: min
    ingested_at, min synced_at; `copies` = how many times it was delivered).
    Latency = synced_at - ingested_at in seconds; rows with a zero timestamp
    or a negative latency are excluded from the quantiles and counted in
    missing_ts_1d / neg_latency_1d. Quantiles are exact (quantileExact:
    the element at floor(q * n) of the sorted values) and NULL for no rows.
    The rows as the sync stored them, every account's with "all accounts" (`run_rows`).
    """
    p = _table_params(name)
    return run_rows(
        """
        WITH
            (SELECT max({tcol:Identifier}) FROM {db:Identifier}.{tbl:Identifier}
             WHERE {tcol:Identifier} <= now64(3, 'UTC') + toIntervalSecond({future_skew_s:UInt32})) AS newest_t,
            {end:DateTime64(3, 'UTC')} AS end_t,
            toDateTime64('2000-01-01', 3, 'UTC') AS valid_from
        SELECT
            {name:String} AS table_key,
            if(newest_t < valid_from, NULL, toDateTime64(newest_t, 3, 'UTC')) AS newest,
            toDateTime64(end_t, 3, 'UTC') AS window_end,
            maxOrNull(syn) AS newest_synced,
            now64(3, 'UTC') AS server_now,
            sum(copies) AS rows_7d,
            count() AS keys_7d,
            sumIf(copies, in_1d) AS rows_1d,
            countIf(in_1d) AS keys_1d,
            sumIf(copies, in_1d) - countIf(in_1d) AS dup_rows_1d,
            sum(copies) - count() AS dup_rows_7d,
            countIf(in_1d AND NOT valid) AS missing_ts_1d,
            countIf(in_1d AND valid AND lat < 0) AS neg_latency_1d,
            if(countIf(good) = 0, NULL, argMaxIf(lat, syn, good)) AS lat_latest_s,
            countIf(good AND in_1h) AS n_1h,
            if(n_1h = 0, NULL, quantileExactIf(0.5)(lat, good AND in_1h)) AS lat_p50_1h,
            if(n_1h = 0, NULL, quantileExactIf(0.95)(lat, good AND in_1h)) AS lat_p95_1h,
            if(n_1h = 0, NULL, maxIf(lat, good AND in_1h)) AS lat_max_1h,
            countIf(good AND in_1d) AS n_1d,
            if(n_1d = 0, NULL, quantileExactIf(0.5)(lat, good AND in_1d)) AS lat_p50_1d,
            if(n_1d = 0, NULL, quantileExactIf(0.95)(lat, good AND in_1d)) AS lat_p95_1d,
            if(n_1d = 0, NULL, maxIf(lat, good AND in_1d)) AS lat_max_1d
        FROM
        (
            SELECT
                max({tcol:Identifier}) AS t,
                min(ingested_at) AS ing,
                min(synced_at) AS syn,
                count() AS copies,
                ing >= valid_from AND syn >= valid_from AS valid,
                (toUnixTimestamp64Milli(syn) - toUnixTimestamp64Milli(ing)) / 1000.0 AS lat,
                valid AND lat >= 0 AS good,
                t > end_t - INTERVAL 1 DAY AS in_1d,
                t > end_t - INTERVAL 1 HOUR AS in_1h
            FROM {db:Identifier}.{tbl:Identifier}
            WHERE {tcol:Identifier} > end_t - INTERVAL 7 DAY AND {tcol:Identifier} <= end_t
            GROUP BY {k1:Identifier}, {k2:Identifier}, {k3:Identifier}
        )
        """,
        end=end,
        **p,
    )


@cached(ttl=config.TTL_LIVE, max_entries=32, show_spinner=False)
def rows_per_hour(name: str, end: datetime, hours: int = 48) -> pl.DataFrame:
    """Distinct natural keys (and raw rows) per UTC hour, for the `hours` hours ending with `end`'s hour.

    Only hours with rows come back; `lib.health.rules.fill_hours` adds the empty ones. The rows as the sync stored
    them, every account's with "all accounts" (`run_rows`).
    """
    if not 1 <= hours <= MAX_HOURS:
        raise ValueError(f"hours must be 1..{MAX_HOURS}")
    p = _table_params(name)
    first, stop = rules.hour_window(end, hours)
    return run_rows(
        """
        SELECT
            toDateTime64(toStartOfHour({tcol:Identifier}), 3, 'UTC') AS hour,
            uniqExact({k1:Identifier}, {k2:Identifier}, {k3:Identifier}) AS keys,
            count() AS rows
        FROM {db:Identifier}.{tbl:Identifier}
        WHERE {tcol:Identifier} >= {first:DateTime64(3, 'UTC')} AND {tcol:Identifier} < {stop:DateTime64(3, 'UTC')}
        GROUP BY hour
        ORDER BY hour
        """,
        first=first,
        stop=stop,
        **p,
    )


# ------------------------------------------------------------------ sync log

_SYNC_DEDUP = """
    SELECT
        started_at, finished_at, toString(database) AS database, toString(table) AS table, rows,
        max_source_ts, toString(status) AS status, error,
        lower(trim(toString(status))) = 'ok' AS ok,
        (toUnixTimestamp64Milli(finished_at) - toUnixTimestamp64Milli(started_at)) / 1000.0 AS dur
    FROM {sync_log_db:Identifier}.{sync_log_tbl:Identifier}
    WHERE started_at <= {end:DateTime64(3, 'UTC')} AND started_at > {end:DateTime64(3, 'UTC')} - INTERVAL 7 DAY
    LIMIT 1 BY database, table, started_at
"""


@cached(ttl=config.TTL_LIVE, max_entries=8, show_spinner=False)
def sync_summary(end: datetime) -> pl.DataFrame:
    """Per synced table (database, table): last run, last success, failures and durations.

    Looks back 7 days from `end`; the 24 h counts are the day ending at `end`.
    Durations (finished_at - started_at, seconds) exclude unfinished runs
    (NULL finished_at, counted in `unfinished`) and negative ones (counted in
    `bad_duration`).
    """
    return run(
        """
        SELECT
            database,
            table,
            toDateTime64(max(started_at), 3, 'UTC') AS last_run,
            argMax(status, started_at) AS last_status,
            maxIfOrNull(started_at, ok) AS last_success,
            maxIfOrNull(started_at, NOT ok) AS last_failure,
            if(last_failure IS NULL, NULL, argMaxIf(error, started_at, NOT ok)) AS last_error,
            countIf(day) AS runs_24h,
            countIf(day AND NOT ok) AS failures_24h,
            sumIf(rows, day AND ok) AS rows_24h,
            countIf(day AND dur >= 0) AS timed_24h,
            if(timed_24h = 0, NULL, quantileExactIf(0.5)(dur, day AND dur >= 0)) AS dur_p50_s,
            if(timed_24h = 0, NULL, quantileExactIf(0.95)(dur, day AND dur >= 0)) AS dur_p95_s,
            if(timed_24h = 0, NULL, maxIf(dur, day AND dur >= 0)) AS dur_max_s,
            countIf(finished_at IS NULL) AS unfinished,
            countIf(dur < 0) AS bad_duration,
            argMax(max_source_ts, started_at) AS last_max_source_ts,
            {end:DateTime64(3, 'UTC')} AS window_end,
            now64(3, 'UTC') AS server_now
        FROM
        (
            SELECT *, started_at > {end:DateTime64(3, 'UTC')} - INTERVAL 1 DAY AS day
            FROM (__DEDUP__)
        )
        GROUP BY database, table
        ORDER BY database, table
        """.replace("__DEDUP__", _SYNC_DEDUP),
        end=end,
    )


@cached(ttl=config.TTL_LIVE, max_entries=8, show_spinner=False)
def sync_failures(end: datetime, limit: int = 50) -> pl.DataFrame:
    """The most recent failed sync runs (7 days back from `end`), newest first."""
    if not 1 <= limit <= 1000:
        raise ValueError("limit must be 1..1000")
    return run(
        """
        SELECT started_at, finished_at, database, table, dur AS duration_s, rows, status, error
        FROM (__DEDUP__)
        WHERE NOT ok
        ORDER BY started_at DESC, database, table
        LIMIT {limit:UInt32}
        """.replace("__DEDUP__", _SYNC_DEDUP),
        end=end,
        limit=limit,
    )


@cached(ttl=config.TTL_LIVE, max_entries=8, show_spinner=False)
def sync_durations(end: datetime, hours: int = 24) -> pl.DataFrame:
    """Per hour and synced table: runs, failures, median and max duration (s)."""
    if not 1 <= hours <= MAX_HOURS:
        raise ValueError(f"hours must be 1..{MAX_HOURS}")
    return run(
        """
        SELECT
            toDateTime64(toStartOfHour(started_at), 3, 'UTC') AS hour,
            concat(database, '.', table) AS target,
            count() AS runs,
            countIf(NOT ok) AS failures,
            countIf(dur >= 0) AS timed,
            if(timed = 0, NULL, quantileExactIf(0.5)(dur, dur >= 0)) AS dur_p50_s,
            if(timed = 0, NULL, maxIf(dur, dur >= 0)) AS dur_max_s
        FROM (__DEDUP__)
        WHERE started_at > {end:DateTime64(3, 'UTC')} - INTERVAL {hours:UInt32} HOUR
        GROUP BY hour, target
        ORDER BY hour, target
        """.replace("__DEDUP__", _SYNC_DEDUP),
        end=end,
        hours=hours,
    )


# ----------------------------------------------------------------- the server


@cached(ttl=5, max_entries=2, show_spinner=False)
def server_info() -> dict[str, Any]:
    """Version, round-trip time and endpoint of the ClickHouse in use (DeskClient.ping()).

    Cached for 5 s only, so twenty sessions refreshing together send one ping.
    """
    return client().ping()


@cached(ttl=config.TTL_LIVE, max_entries=8, show_spinner=False)
def sync_streaks(end: datetime) -> pl.DataFrame:
    """Per synced table: failed runs since its last success (7 days back from `end`), for the alert rules.

    Columns: database, table, last_run, last_success (NULL: none in 7 days),
    failed_in_row (runs that failed after the last success), failure_times (their
    start times, oldest first, at most 100), last_error.
    """
    return run(
        """
        SELECT
            r.database AS database,
            r.table AS table,
            toDateTime64(max(r.started_at), 3, 'UTC') AS last_run,
            any(s.last_success) AS last_success,
            countIf(NOT r.ok AND (s.last_success IS NULL OR r.started_at > s.last_success)) AS failed_in_row,
            arraySlice(arraySort(groupArrayIf(toDateTime64(r.started_at, 3, 'UTC'),
                NOT r.ok AND (s.last_success IS NULL OR r.started_at > s.last_success))), 1, 100) AS failure_times,
            argMax(r.error, r.started_at) AS last_error
        FROM (__DEDUP__) AS r
        LEFT JOIN
        (
            SELECT database, table, toDateTime64(maxIfOrNull(started_at, ok), 3, 'UTC') AS last_success
            FROM (__DEDUP__)
            GROUP BY database, table
        ) AS s ON s.database = r.database AND s.table = r.table
        GROUP BY r.database, r.table
        ORDER BY database, table
        """.replace("__DEDUP__", _SYNC_DEDUP),
        end=end,
    )
