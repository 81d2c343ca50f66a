"""Equity, PnL and exposure for the Overview page.

Every function returns a small, already aggregated frame: per-hour/per-day buckets,
one row per headline window, one row for a decomposition. The maths on top of them
(returns net of flows, drawdown, daily statistics, reconciliation) is lib/book/pnl.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from lib import config
from queries.book.window import Moment, window
from queries.engine import newest
from queries.engine.run import run, run_recent, sql_file
from queries.engine.scope import Recent, cached


def _with_fragments(name: str) -> str:
    """A statement with the shared fragments pasted in: the sub-period CTEs (subperiods.sql, one definition of
    a return) and the start mark (start_mark.sql, one rule for where a window's equity starts)."""
    return (
        sql_file(name)
        .replace("__SUBPERIODS__", sql_file("book/subperiods.sql"))
        .replace("__START_MARK__", sql_file("book/start_mark.sql"))
    )


EQUITY_SERIES_SQL = _with_fragments("book/equity_series.sql")
PNL_WINDOW_SQL = _with_fragments("book/pnl_window.sql")
HEADLINE_SQL = _with_fragments("book/headline.sql")
EXPOSURE_SQL = sql_file("book/exposure.sql")

BUCKETS_S = (3600, 86400)
# One positions-snapshot round: its per-coin rows lie within this of its newest row.
ROUND_MS = int(config.SNAPSHOT_ROUND_S * 1000)


def _bucket(bucket_s: int) -> int:
    if int(bucket_s) not in BUCKETS_S:
        raise ValueError(f"bucket_s must be one of {BUCKETS_S}, not {bucket_s!r}")
    return int(bucket_s)


@cached(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def headline_pnl() -> pl.DataFrame:
    """One row per window (today, 7d, 30d, all) ending at the newest usable snapshot: marks, flows, return."""
    return run(HEADLINE_SQL, future_skew_s=config.FUTURE_SKEW_S)


@cached(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def equity_now() -> pl.DataFrame:
    """One row: what the account reports at its newest snapshot, whatever it is (docs/NUMBERS.md "Equity now").

    Columns: ts (the newest account snapshot, never a row dated in the future), equity (its account_value, the
    newest sync winning; NULL when missing or not finite: a zero or negative equity is returned as it is),
    last_usable_ts / last_usable_equity (the newest snapshot with a finite equity > 0: where the PnL windows and
    returns end), unusable_since (the first snapshot after that one: since when the equity has been missing or
    at or below zero; NULL while the newest equity is usable). No account snapshot: no row.
    """
    return run_recent(
        newest.pasted(
            """
            WITH
                __NEWEST_ACCOUNT_TS__ AS now_ts,
                (
                    SELECT maxOrNull(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}
                    WHERE ts <= now_ts AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
                ) AS usable_ts,
                newest_row AS
                (
                    -- a tuple keeps a NULL equity: argMax would skip it and return an older sync's value
                    SELECT argMax(tuple(account_value), synced_at).1 AS equity
                    FROM {account_db:Identifier}.{account_tbl:Identifier}
                    WHERE ts = now_ts
                ),
                last_usable AS
                (
                    SELECT argMax(account_value, synced_at) AS equity
                    FROM {account_db:Identifier}.{account_tbl:Identifier}
                    WHERE ts = usable_ts AND account_value IS NOT NULL AND isFinite(account_value)
                      AND account_value > 0
                )
            SELECT
                toDateTime64(now_ts, 3, 'UTC') AS ts,
                if(n.equity IS NOT NULL AND isFinite(n.equity), n.equity, NULL) AS equity,
                toDateTime64(usable_ts, 3, 'UTC') AS last_usable_ts,
                if(usable_ts IS NULL, NULL, (SELECT equity FROM last_usable)) AS last_usable_equity,
                if(
                    n.equity IS NOT NULL AND isFinite(n.equity) AND n.equity > 0,
                    NULL,
                    (
                        SELECT toDateTime64(minOrNull(ts), 3, 'UTC') FROM {account_db:Identifier}.{account_tbl:Identifier}
                        WHERE ts <= now_ts AND (usable_ts IS NULL OR ts > usable_ts)
                    )
                ) AS unusable_since
            FROM newest_row AS n
            WHERE now_ts > toDateTime64('2000-01-01', 3, 'UTC')
            """
        ),
        # "all accounts": the day before the newest round, or further back to the newest usable one
        recent=Recent(newest_account=timedelta(days=1), back_to_usable=True),
        **newest.SKEW,
    )


@cached(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def latest_exposure() -> pl.DataFrame:
    """Gross/net/long/short USD, coin counts and equity at the newest positions round (one row).

    The same rule as the exposure series (exposure.sql), for the newest round: a coin the
    fills say is held but the round lacks is carried and flagged (n_missing, incomplete), not
    counted as flat. No positions row at all means no snapshot (an empty frame).
    """
    found = run(
        newest.pasted(
            """
            WITH __NEWEST_POSITIONS_TS__ AS newest_ts
            SELECT toDateTime64(max(ts), 3, 'UTC') AS newest, count() AS n
            FROM {positions_db:Identifier}.{positions_tbl:Identifier}
            WHERE ts >= newest_ts - toIntervalHour(1) AND ts <= newest_ts
            """
        ),
        **newest.SKEW,
    )
    if found.height == 0 or not found.item(0, "n"):
        return pl.DataFrame()
    day = found.item(0, "newest").date()
    return run(
        EXPOSURE_SQL,
        start=day,
        end=day,
        bucket_s=3600,
        round_ms=ROUND_MS,
        lookback_days=config.EQUITY_LOOKBACK_DAYS,
        abs_tol=config.RECON_ABS_TOL,
        rel_tol=config.RECON_REL_TOL,
    ).tail(1)


def _instants(start: Moment, end: Moment) -> dict[str, Any]:
    w = window(start, end)
    return {"t_from": w["lo"], "t_to": w["hi"]}


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def pnl_window(start: Moment, end: Moment) -> pl.DataFrame:
    """One row: the marks of the window (the UTC days [start, end], or the instants of the 24 h preset) and the
    PnL parts between them (pnl_window.sql)."""
    return run(
        PNL_WINDOW_SQL,
        **_instants(start, end),
        lookback_days=config.EQUITY_LOOKBACK_DAYS,
        pos_max_age_min=config.POSITIONS_MARK_MAX_AGE_MIN,
        round_ms=ROUND_MS,
    )


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def equity_series(start: Moment, end: Moment, bucket_s: int = 86400) -> pl.DataFrame:
    """Per hour (3600) or UTC day (86400) of the window (the UTC days [start, end], or the instants of the 24 h
    preset): last equity, previous equity, the flows between, the index and its drawdown (equity_series.sql)."""
    return run(
        EQUITY_SERIES_SQL,
        **_instants(start, end),
        bucket_s=_bucket(bucket_s),
        lookback_days=config.EQUITY_LOOKBACK_DAYS,
        **newest.SKEW,
    )


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def flows_list(start: date, end: date, limit: int = config.LEDGER_LIST_LIMIT) -> pl.DataFrame:
    """Deposits, withdrawals and other ledger movements in the UTC days [start, end], newest first."""
    return run(
        """
        SELECT toDateTime64(time, 3, 'UTC') AS time, type, usdc, hash
        FROM {ledger_db:Identifier}.{ledger_tbl:Identifier}
        WHERE time >= toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC')
          AND time < toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC')
        ORDER BY time DESC, synced_at DESC
        LIMIT 1 BY account, time, hash
        LIMIT {limit:UInt32}
        """,
        start=start,
        end=end,
        limit=int(limit),
    )


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def exposure_series(start: date, end: date, bucket_s: int = 86400) -> pl.DataFrame:
    """Gross/net/long/short per hour or UTC day, in USD and as a fraction of equity (exposure.sql)."""
    return run(
        EXPOSURE_SQL,
        start=start,
        end=end,
        bucket_s=_bucket(bucket_s),
        round_ms=ROUND_MS,
        lookback_days=config.EQUITY_LOOKBACK_DAYS,
        abs_tol=config.RECON_ABS_TOL,
        rel_tol=config.RECON_REL_TOL,
    )
