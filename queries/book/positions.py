"""Exchange positions snapshots for the Positions page: the one at a snapshot hour (the newest round is
queries.book.risk.position_risk)."""

from __future__ import annotations

from datetime import date

import polars as pl

from lib import config
from queries.engine.run import run
from queries.engine.scope import cached
from queries.tracking.tracking_error import snapshot_hour_end


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def exchange_positions_at(day: date, hour: int) -> pl.DataFrame:
    """The exchange's positions at the end of snapshot hour `hour` of `day` (UTC; -1: at 00:00:00), one row per coin.

    A snapshot is one monitor round: its per-coin rows carry timestamps a moment
    apart. Per account, the round is the newest `positions_snapshots` row before
    `day hour:00 + 1h` (looked back at most 7 days) and every row up to
    SNAPSHOT_ROUND_S seconds older; within it each coin's newest row counts (rows
    de-duplicated on (account, ts, coin), the newest sync winning). A coin absent
    from the round is flat on the exchange. Summed over accounts per coin.
    Columns: `coin, szi, snapshot_ts` (the coin's row time). An empty frame means
    no snapshot in the look-back window (not "flat").
    """
    return run(
        """
        WITH
            toDateTime64(toDateTime({day:Date}, 'UTC') + toIntervalHour({hour_end:UInt8}), 3, 'UTC') AS t_end,
            rows AS
            (
                SELECT account, ts, coin, argMax(szi, synced_at) AS szi
                FROM {positions_db:Identifier}.{positions_tbl:Identifier}
                WHERE ts < t_end AND ts >= t_end - toIntervalDay(7)
                GROUP BY account, ts, coin
            ),
            latest AS
            (
                SELECT account, max(ts) AS snap_ts FROM rows GROUP BY account
            ),
            per_coin AS
            (
                SELECT r.account AS account, r.coin AS coin, argMax(r.szi, r.ts) AS szi, max(r.ts) AS ts
                FROM rows AS r
                INNER JOIN latest AS l ON r.account = l.account
                WHERE r.ts >= l.snap_ts - toIntervalMillisecond({round_ms:UInt32})
                GROUP BY r.account, r.coin
            )
        SELECT coin, sum(szi) AS szi, toDateTime64(max(ts), 3, 'UTC') AS snapshot_ts
        FROM per_coin
        GROUP BY coin
        ORDER BY coin
        """,
        day=day,
        hour_end=snapshot_hour_end(hour),
        round_ms=int(config.SNAPSHOT_ROUND_S * 1000),
    )
