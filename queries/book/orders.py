"""What happened to the orders: open now, outcomes per day, fill ratio and speed, unfilled, API pressure.

The orders table logs one row per observed status of an order (natural key: account, oid, status).
An order's final status is the status of its newest row; its placement time is its first row.
Fills are matched to orders on (account, oid). The table records no reject reason: the page says so.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from lib import config
from queries.engine.run import run
from queries.engine.scope import cached

# One row per order placed in [T0, T1): placement, final status, size, and its fills (any time later).
_ORDERS_CTE = """
    status_rows AS
    (
        SELECT account, oid, status, time, coin, side, limit_px, sz, orig_sz, order_type
        FROM {orders_db:Identifier}.{orders_tbl:Identifier}
        WHERE time >= T0 - toIntervalDay(1) AND time < T1 + toIntervalDay(1)
        ORDER BY synced_at DESC
        LIMIT 1 BY account, oid, status
    ),
    orders AS
    (
        SELECT account, oid, min(time) AS placed_at, max(time) AS final_at,
               argMax(toString(status), (time, status != 'open')) AS final_status,
               any(coin) AS coin, any(side) AS side, max(orig_sz) AS orig_sz,
               argMax(sz, (time, status != 'open')) AS remaining_sz,
               argMin(limit_px, time) AS limit_px, argMin(toString(order_type), time) AS order_type
        FROM status_rows
        GROUP BY account, oid
        HAVING placed_at >= T0 AND placed_at < T1
    ),
    fills AS
    (
        SELECT account, oid, min(time) AS first_fill, sum(sz) AS filled_sz, count() AS n_fills
        FROM
        (
            SELECT account, oid, time, sz
            FROM {trades_db:Identifier}.{trades_tbl:Identifier}
            WHERE time >= T0 - toIntervalDay(1) AND time < T1 + toIntervalDay(1)
            ORDER BY synced_at DESC
            LIMIT 1 BY account, tid
        )
        GROUP BY account, oid
    ),
    joined AS
    (
        SELECT o.*, f.first_fill AS first_fill, ifNull(f.filled_sz, 0.) AS filled_sz, ifNull(f.n_fills, 0) AS n_fills,
               if(f.first_fill IS NULL, NULL, dateDiff('millisecond', o.placed_at, f.first_fill) / 1000.) AS to_fill_s
        FROM orders AS o
        LEFT JOIN fills AS f ON f.account = o.account AND f.oid = o.oid
    )
"""


@cached(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def open_orders(lookback_days: int = 30, limit: int = config.ORDER_LIST_LIMIT) -> pl.DataFrame:
    """Orders whose newest status row is 'open', as of the newest orders row (looked back `lookback_days`).

    Columns: account, oid, coin, side, order_type, limit_px, sz (remaining), orig_sz, placed_at,
    age_s (to the newest orders row), as_of, n_open (the count before the limit). Oldest first.
    """
    return run(
        """
        WITH
            (SELECT max(time) FROM {orders_db:Identifier}.{orders_tbl:Identifier}) AS newest,
            per_order AS
            (
                SELECT account, oid, min(time) AS placed_at,
                       argMax(toString(status), (time, status != 'open')) AS final_status,
                       any(coin) AS coin, any(side) AS side, argMin(toString(order_type), time) AS order_type,
                       argMin(limit_px, time) AS limit_px, argMax(sz, time) AS sz, max(orig_sz) AS orig_sz
                FROM
                (
                    SELECT account, oid, status, time, coin, side, order_type, limit_px, sz, orig_sz
                    FROM {orders_db:Identifier}.{orders_tbl:Identifier}
                    WHERE time >= newest - toIntervalDay({lookback_days:UInt16})
                    ORDER BY synced_at DESC
                    LIMIT 1 BY account, oid, status
                )
                GROUP BY account, oid
                HAVING final_status = 'open'
            )
        SELECT account, oid, coin, side, order_type, limit_px, sz, orig_sz,
               toDateTime64(placed_at, 3, 'UTC') AS placed_at,
               dateDiff('second', placed_at, newest) AS age_s,
               toDateTime64(newest, 3, 'UTC') AS as_of,
               count() OVER () AS n_open
        FROM per_order
        ORDER BY placed_at, oid
        LIMIT {limit:UInt32}
        """,
        lookback_days=int(lookback_days),
        limit=int(limit),
    )


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def order_outcomes(start: date, end: date) -> pl.DataFrame:
    """Per UTC day of placement in [start, end]: orders by final status, fill ratio, time to first fill.

    Columns: day, n_orders, n_filled, n_canceled, n_rejected, n_open, n_other (any other status),
    n_with_fill (orders with at least one fill, whatever their final status), fill_ratio
    (n_with_fill / n_orders), size_fill_ratio (filled size / ordered size), p50_to_fill_s and
    p90_to_fill_s (placement to first fill, seconds; NULL without fills), n_never_filled.
    """
    return run(
        "WITH toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC') AS T0, "
        "toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC') AS T1, "
        + _ORDERS_CTE
        + """
        SELECT
            toDate(placed_at) AS day,
            count() AS n_orders,
            countIf(final_status = 'filled') AS n_filled,
            countIf(final_status = 'canceled') AS n_canceled,
            countIf(final_status = 'rejected') AS n_rejected,
            countIf(final_status = 'open') AS n_open,
            countIf(final_status NOT IN ('filled', 'canceled', 'rejected', 'open')) AS n_other,
            countIf(n_fills > 0) AS n_with_fill,
            n_with_fill / n_orders AS fill_ratio,
            if(sum(orig_sz) > 0, sum(filled_sz) / sum(orig_sz), NULL) AS size_fill_ratio,
            quantileExactOrNull(0.5)(to_fill_s) AS p50_to_fill_s,
            quantileExactOrNull(0.9)(to_fill_s) AS p90_to_fill_s,
            countIf(n_fills = 0) AS n_never_filled
        FROM joined
        GROUP BY day
        ORDER BY day
        """,
        start=start,
        end=end,
    )


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def unfilled_in_window(start: date, end: date, limit: int = config.ORDER_LIST_LIMIT) -> pl.DataFrame:
    """Orders placed in a rebalance window (00:00 + REBALANCE_WINDOW_MINUTES UTC) of [start, end] that had
    no fill before the window closed: never filled, or first filled later.

    Columns: placed_at, coin, side, order_type, orig_sz, limit_px, final_status, filled_sz, first_fill
    (NULL = never), n_unfilled (the count before the limit), oid, account. Newest first.
    """
    return run(
        "WITH toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC') AS T0, "
        "toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC') AS T1, "
        + _ORDERS_CTE
        + """
        SELECT toDateTime64(placed_at, 3, 'UTC') AS placed_at, coin, side, order_type, orig_sz, limit_px,
               final_status, filled_sz, toDateTime64(first_fill, 3, 'UTC') AS first_fill,
               count() OVER () AS n_unfilled, oid, account
        FROM joined
        WHERE placed_at < toStartOfDay(placed_at) + toIntervalMinute({window_min:UInt16})
          AND (first_fill IS NULL OR first_fill >= toStartOfDay(placed_at) + toIntervalMinute({window_min:UInt16}))
        ORDER BY placed_at DESC, oid
        LIMIT {limit:UInt32}
        """,
        start=start,
        end=end,
        window_min=config.REBALANCE_WINDOW_MINUTES,
        limit=int(limit),
    )


@cached(ttl=config.TTL_LIVE, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def api_pressure(start: date, end: date, bucket_s: int = 3600) -> pl.DataFrame:
    """HTTP 429 (rate limited) answers the monitors met, per hour or UTC day and monitor, in [start, end].

    A beat counts when its message mentions HTTP 429, whether the monitor then failed (status error)
    or succeeded after retrying (status ok, "ok after N retries: HTTP 429 ..."); retries sums the N
    (1 for a failed beat). Heartbeats are de-duplicated on (monitor, host, ts). Only buckets with a
    429 are returned; n_beats is every beat of that monitor in the bucket (the share rate limited).
    """
    if int(bucket_s) not in (3600, 86400):
        raise ValueError(f"bucket_s must be 3600 or 86400, not {bucket_s!r}")
    return run(
        """
        SELECT toDateTime64(bucket, 0, 'UTC') AS bucket, monitor, n_beats, n_429, n_429_errors, retries
        FROM
        (
            SELECT toStartOfInterval(toDateTime(ts, 'UTC'), toIntervalSecond({bucket_s:UInt32})) AS bucket,
                   toString(monitor) AS monitor,
                   count() AS n_beats,
                   countIf(limited) AS n_429,
                   countIf(limited AND status != 'ok') AS n_429_errors,
                   sumIf(if(status = 'ok', greatest(toUInt64OrZero(extract(message, 'after (\\\\d+) retr')), 1), 1), limited)
                       AS retries
            FROM
            (
                SELECT ts, monitor, status, message, match(message, '\\\\b429\\\\b') AS limited
                FROM {heartbeat_db:Identifier}.{heartbeat_tbl:Identifier}
                WHERE ts >= toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC')
                  AND ts < toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC')
                LIMIT 1 BY monitor, host, ts
            )
            GROUP BY bucket, monitor
            HAVING n_429 > 0
        )
        ORDER BY bucket, monitor
        """,
        start=start,
        end=end,
        bucket_s=int(bucket_s),
    )


_BETWEEN = "WITH {lo:DateTime64(3, 'UTC')} AS T0, {hi:DateTime64(3, 'UTC')} AS T1, "


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def orders_by_coin(lo: datetime, hi: datetime) -> pl.DataFrame:
    """Per coin, the orders placed in [lo, hi) by final status (the rebalance panel's reasons).

    Columns: coin, n_orders, n_filled, n_canceled, n_rejected, n_open, n_other, n_with_fill,
    first_placed, last_final (the newest final row), rejected_at / canceled_at (the first such order's
    final time; NULL when none). The orders table records no reject reason.
    """
    return run(
        _BETWEEN
        + _ORDERS_CTE
        + """
        SELECT toString(coin) AS coin, count() AS n_orders,
               countIf(final_status = 'filled') AS n_filled,
               countIf(final_status = 'canceled') AS n_canceled,
               countIf(final_status = 'rejected') AS n_rejected,
               countIf(final_status = 'open') AS n_open,
               countIf(final_status NOT IN ('filled', 'canceled', 'rejected', 'open')) AS n_other,
               countIf(n_fills > 0) AS n_with_fill,
               toDateTime64(min(placed_at), 3, 'UTC') AS first_placed,
               toDateTime64(max(final_at), 3, 'UTC') AS last_final,
               if(n_rejected > 0, toDateTime64(minIf(final_at, final_status = 'rejected'), 3, 'UTC'), NULL)
                   AS rejected_at,
               if(n_canceled > 0, toDateTime64(minIf(final_at, final_status = 'canceled'), 3, 'UTC'), NULL)
                   AS canceled_at
        FROM joined
        GROUP BY coin
        ORDER BY coin
        """,
        lo=lo,
        hi=hi,
    )


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def coin_orders(coin: str, start: date, end: date, limit: int = config.ORDER_LIST_LIMIT) -> pl.DataFrame:
    """One coin's orders placed in the UTC days [start, end], each with its final status and fills.

    Columns: placed_at, final_at, final_status, side, order_type, orig_sz, filled_sz, remaining_sz,
    limit_px, first_fill (NULL = never filled), n_fills, oid, account, n_orders (the count before the
    limit). Newest first. What a link from a rejected or canceled rebalance leg opens (Trades, Orders).
    """
    return run(
        "WITH toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC') AS T0, "
        "toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC') AS T1, "
        + _ORDERS_CTE
        + """
        SELECT toDateTime64(placed_at, 3, 'UTC') AS placed_at, toDateTime64(final_at, 3, 'UTC') AS final_at,
               final_status, side, order_type, orig_sz, filled_sz, remaining_sz, limit_px,
               toDateTime64(first_fill, 3, 'UTC') AS first_fill, n_fills, oid, account,
               count() OVER () AS n_orders
        FROM joined
        WHERE coin = {coin:String}
        ORDER BY placed_at DESC, oid
        LIMIT {limit:UInt32}
        """,
        coin=coin,
        start=start,
        end=end,
        limit=int(limit),
    )
