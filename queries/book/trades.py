"""Fills and execution quality for the Trades page.

Every fill query starts from fills.sql (the filtered, de-duplicated, enriched fills of a
UTC date range) and appends one aggregation or one bounded page. The sort column
reaches SQL only as a bound Identifier from lib.config.FILL_SORT_COLUMNS and the
direction as a bound Bool; filters are bound arrays. Nothing a user types is ever part
of the SQL text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from lib import config, inputs
from lib.book import execution, symbols
from queries.book.window import Moment, window
from queries.engine.run import run, sql_file
from queries.engine.scope import cached

FILLS_CTE = sql_file("book/fills.sql")

FILL_COLUMNS = """
    toDateTime64(time, 3, 'UTC') AS time, account, coin, side, dir, px, sz, notional, ref_px, slippage_bps,
    closed_pnl, fee, fee_token, fee_usd, crossed, tracked, off_window, start_position, pos_after, oid, tid, cloid,
    hash, valid, spot
"""

PAGE_SQL = (
    FILLS_CTE
    + """
SELECT"""
    + FILL_COLUMNS
    + """
FROM fills
ORDER BY
    if({descending:Bool}, {sort_col:Identifier}, NULL) DESC,
    if(NOT {descending:Bool}, {sort_col:Identifier}, NULL) ASC,
    time DESC, tid DESC
LIMIT {limit:UInt32} OFFSET {offset:UInt64}
"""
)

# The execution numbers of a set of fills, ONE definition for every grouping: the Trades page's range and its
# per-coin table, the per-day rows the daily report, the alerts and the weekly report read. Costs are summed as
# paid (fees > 0, slippage > 0 = worse); pages and reports show USD costs negative (lib.format.cost).
EXECUTION_AGGREGATES = """
    count() AS n_fills,
    sum(fills.notional) AS notional_usd,
    sum(fills.fee_usd) AS fees,
    if(sum(fills.notional) > 0, sum(fills.fee_usd) / sum(fills.notional) * 10000, NULL) AS fee_bps,
    sumIf(fills.closed_pnl, fills.valid) AS realized,
    sumIf(fills.slippage_bps * fills.notional, fills.slippage_bps IS NOT NULL)
        / nullIf(sumIf(fills.notional, fills.slippage_bps IS NOT NULL), 0) AS avg_slippage_bps,
    sumIf(fills.slippage_bps * fills.notional, fills.slippage_bps IS NOT NULL) / 10000 AS slippage_usd,
    quantileExactOrNull(0.5)(fills.slippage_bps) AS median_slippage_bps,
    if(sum(fills.notional) > 0, ifNull(sumIf(fills.notional, NOT fills.crossed), 0.) / sum(fills.notional), NULL)
        AS maker_share,  -- sumIf over a Nullable column is NULL when no maker fill matches: 0, not unknown
    countIf(fills.slippage_bps IS NULL AND fills.valid AND NOT fills.spot) AS n_unpriced,
    countIf(NOT fills.tracked) AS n_untracked,
    countIf(fills.off_window) AS n_off_window,
    countIf(NOT fills.valid) AS n_invalid,
    countIf(fills.fee_unconverted) AS n_fee_unconverted,
    uniqExact(fills.coin) AS n_coins
"""

SUMMARY_SQL = (
    FILLS_CTE
    + """
SELECT"""
    + EXECUTION_AGGREGATES
    + """,
    countIf(fills.spot) AS n_spot,
    countIf(fills.crossed) AS n_taker
FROM fills
"""
)

FACETS_SQL = """
WITH f AS
(
    SELECT coin, dir
    FROM {trades_db:Identifier}.{trades_tbl:Identifier}
    WHERE time >= {lo:DateTime64(3, 'UTC')} AND time < {hi:DateTime64(3, 'UTC')}
    ORDER BY synced_at DESC
    LIMIT 1 BY account, tid
)
SELECT facet, value, n
FROM
(
    SELECT 'coin' AS facet, toString(coin) AS value, count() AS n FROM f GROUP BY coin
    UNION ALL
    SELECT 'dir' AS facet, toString(dir) AS value, count() AS n FROM f GROUP BY dir
)
ORDER BY facet, n DESC, value  -- outside the UNION: inside, it would order only the last branch
"""

DAILY_SQL = (
    FILLS_CTE
    + """
SELECT
    d.day AS day,
    ifNull(p.n_fills, 0) AS n_fills,
    toDateTime64(p.first_fill, 3, 'UTC') AS first_fill,
    toDateTime64(p.last_fill, 3, 'UTC') AS last_fill,
    dateDiff('millisecond', p.first_fill, p.last_fill) / 1000 AS span_s,
    if(p.n_in_window > 0, toDateTime64(p.first_in_window, 3, 'UTC'), NULL) AS first_in_window,
    if(p.n_in_window > 0, toDateTime64(p.last_in_window, 3, 'UTC'), NULL) AS last_in_window,
    if(p.n_in_window > 0, dateDiff('millisecond', p.first_in_window, p.last_in_window) / 1000, NULL) AS window_span_s,
    ifNull(p.n_off_window, 0) AS n_off_window,
    ifNull(p.notional_usd, 0.) AS notional_usd,
    e.equity_sod AS equity_sod,
    if(e.equity_sod > 0, p.notional_usd / e.equity_sod, NULL) AS turnover,
    ifNull(p.fees, 0.) AS fees,
    p.fee_bps AS fee_bps,
    p.maker_share AS maker_share,
    if(p.n_fills > 0, p.n_maker / p.n_fills, NULL) AS maker_fill_share,
    ifNull(p.realized, 0.) AS realized,
    p.avg_slippage_bps AS avg_slippage_bps,
    ifNull(p.n_unpriced, 0) AS n_unpriced,
    ifNull(p.n_untracked, 0) AS n_untracked,
    ifNull(p.n_coins, 0) AS n_coins,
    ifNull(p.n_invalid, 0) AS n_invalid
FROM
    (
        SELECT toDate(mm.lo + off) AS day
        FROM (SELECT min(toDate(time)) AS lo, max(toDate(time)) AS hi, count() AS n FROM fills) AS mm
        ARRAY JOIN range(toUInt32(if(mm.n = 0, 0, dateDiff('day', mm.lo, mm.hi) + 1))) AS off
    ) AS d
LEFT JOIN
    (
        SELECT
            toDate(fills.time) AS day,"""
    + EXECUTION_AGGREGATES
    + """,
            min(fills.time) AS first_fill,
            max(fills.time) AS last_fill,
            minIf(fills.time, NOT fills.off_window) AS first_in_window,
            maxIf(fills.time, NOT fills.off_window) AS last_in_window,
            countIf(NOT fills.off_window) AS n_in_window,
            countIf(NOT fills.crossed) AS n_maker
        FROM fills
        GROUP BY day
    ) AS p ON p.day = d.day
LEFT JOIN
    (
        SELECT toDate(ts) + 1 AS day, argMax(account_value, ts) AS equity_sod
        FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts >= toDateTime64(toDateTime({start:Date}, 'UTC') - toIntervalDay({lookback_days:UInt16}), 3, 'UTC')
          AND ts < toDateTime64(toDateTime({end:Date}, 'UTC'), 3, 'UTC')
          AND account_value IS NOT NULL AND isFinite(account_value)
        GROUP BY toDate(ts)
    ) AS e ON e.day = d.day
ORDER BY day
"""
)

BY_COIN_SQL = (
    FILLS_CTE
    + """
SELECT
    fills.coin AS coin,"""
    + EXECUTION_AGGREGATES
    + """,
    sumIf(fills.notional, fills.side = 'B') AS buy_notional,
    sumIf(fills.notional, fills.side = 'A') AS sell_notional,
    any(fills.bn_symbol) AS bn_symbol,
    if(any(fills.spot), 'spot', 'perp') AS market
FROM fills
GROUP BY fills.coin
ORDER BY notional_usd DESC, coin
"""
)

UNCONVERTED_FEES_SQL = (
    FILLS_CTE
    + """
SELECT fills.fee_token AS fee_token, count() AS n_fills, sum(fills.fee) AS fee_in_token,
       arraySort(groupUniqArray(10)(toString(fills.coin))) AS coins
FROM fills
WHERE fills.fee_unconverted
GROUP BY fee_token
ORDER BY n_fills DESC, fee_token
"""
)

UNTRACKED_SQL = (
    FILLS_CTE
    + """
SELECT"""
    + FILL_COLUMNS
    + """
FROM fills
WHERE NOT tracked
ORDER BY time DESC, tid DESC
LIMIT {limit:UInt32}
"""
)

COIN_FILLS_SQL = (
    FILLS_CTE
    + """
SELECT"""
    + FILL_COLUMNS
    + """
FROM fills
ORDER BY time, tid
LIMIT {limit:UInt32}
"""
)

COIN_PRICES_SQL = """
-- One coin's Binance hourly candles (mapped symbol, times the map's multiplier), bucketed
-- by {bucket_s} seconds: the bucket's first open and last close.
SELECT
    toDateTime64(toStartOfInterval(open_time, toIntervalSecond({bucket_s:UInt32})), 0, 'UTC') AS bucket,
    argMin(open, open_time) * transform({coin:String}, {map_coins:Array(String)}, {map_mult:Array(Float64)}, 1.0) AS open,
    argMax(close, open_time) * transform({coin:String}, {map_coins:Array(String)}, {map_mult:Array(Float64)}, 1.0) AS close,
    count() AS n_candles
FROM
(
    SELECT open_time, open, close
    FROM {klines_db:Identifier}.{klines_tbl:Identifier}
    WHERE symbol = transform({coin:String}, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat({coin:String}, 'USDT'))
      AND open_time >= toDateTime({start:Date}, 'UTC')
      AND open_time < toDateTime({end:Date}, 'UTC') + toIntervalDay(1)
      AND isFinite(open) AND open > 0 AND isFinite(close) AND close > 0
    LIMIT 1 BY symbol, open_time
)
GROUP BY bucket
ORDER BY bucket
"""


def _filters(
    coins: tuple[str, ...] = (), sides: tuple[str, ...] = (), dirs: tuple[str, ...] = (), liquidity: str = ""
) -> dict[str, Any]:
    if liquidity not in ("", *config.LIQUIDITY_LABELS):
        raise ValueError(f"liquidity must be '', 'maker' or 'taker', not {liquidity!r}")
    return {
        "coins": [str(c) for c in coins],
        "sides": [str(s) for s in sides],
        "dirs": [str(d) for d in dirs],
        "liquidity": liquidity,
        "window_min": config.REBALANCE_WINDOW_MINUTES,
        **symbols.sql_params(),
    }


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def fills_page(
    start: Moment,
    end: Moment,
    coins: tuple[str, ...] = (),
    sides: tuple[str, ...] = (),
    dirs: tuple[str, ...] = (),
    liquidity: str = "",
    sort: str = execution.DEFAULT_SORT,
    descending: bool = True,
    page: int = 1,
    page_size: int = config.FILLS_PAGE_SIZE,
) -> pl.DataFrame:
    """One page (1-based) of the filtered fills, sorted by an allow-listed column."""
    sort = inputs.parse_sort(sort)
    page = max(1, int(page))
    size = max(1, min(int(page_size), config.FILLS_PAGE_SIZE))
    return run(
        PAGE_SQL,
        **window(start, end),
        sort_col=sort,
        descending=bool(descending),
        limit=size,
        offset=(page - 1) * size,
        **_filters(coins, sides, dirs, liquidity),
    )


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def fills_summary(
    start: Moment,
    end: Moment,
    coins: tuple[str, ...] = (),
    sides: tuple[str, ...] = (),
    dirs: tuple[str, ...] = (),
    liquidity: str = "",
) -> pl.DataFrame:
    """One row: count, notional, fees, realized, weighted slippage and flag counts of the filtered fills."""
    return run(SUMMARY_SQL, **window(start, end), **_filters(coins, sides, dirs, liquidity))


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def fill_facets(start: Moment, end: Moment) -> pl.DataFrame:
    """The coins and dirs that occur in the range, with fill counts (for the filter widgets)."""
    return run(FACETS_SQL, **window(start, end))


@cached(ttl=config.TTL_INTRADAY, max_entries=4, show_spinner=False)
def fills_export(
    start: Moment,
    end: Moment,
    coins: tuple[str, ...] = (),
    sides: tuple[str, ...] = (),
    dirs: tuple[str, ...] = (),
    liquidity: str = "",
    sort: str = execution.DEFAULT_SORT,
    descending: bool = True,
    cap: int = config.FILLS_EXPORT_MAX_ROWS,
) -> pl.DataFrame:
    """The filtered fills for the CSV download: at most `cap` + 1 rows (one more says it was capped)."""
    sort = inputs.parse_sort(sort)
    cap = max(1, min(int(cap), config.FILLS_EXPORT_MAX_ROWS))
    return run(
        PAGE_SQL,
        **window(start, end),
        sort_col=sort,
        descending=bool(descending),
        limit=cap + 1,
        offset=0,
        **_filters(coins, sides, dirs, liquidity),
    )


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def daily_execution(start: Moment, end: Moment) -> pl.DataFrame:
    """Per UTC day from the first to the last day with fills: rebalance window, volume, fees, slippage, flags."""
    return run(DAILY_SQL, **window(start, end), lookback_days=config.EQUITY_LOOKBACK_DAYS, **_filters())


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def coin_execution(start: Moment, end: Moment) -> pl.DataFrame:
    """Per coin: fills, notional, realized PnL, fees, notional-weighted slippage and flag counts."""
    return run(BY_COIN_SQL, **window(start, end), **_filters())


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def unconverted_fees(start: Moment, end: Moment) -> pl.DataFrame:
    """Fees paid in a token without a known USD price, per token (kept out of every USD fee sum)."""
    return run(UNCONVERTED_FEES_SQL, **window(start, end), **_filters())


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def untracked_fills(start: Moment, end: Moment, limit: int = config.UNTRACKED_LIST_LIMIT) -> pl.DataFrame:
    """The newest fills whose order id has no row in the orders table (count them with fills_summary)."""
    return run(UNTRACKED_SQL, **window(start, end), limit=int(limit), **_filters())


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def coin_fills(coin: str, start: Moment, end: Moment, limit: int = config.DRILLDOWN_MAX_FILLS) -> pl.DataFrame:
    """One coin's fills in time order (position after each = pos_after), at most `limit`."""
    return run(COIN_FILLS_SQL, **window(start, end), limit=int(limit), **_filters(coins=(coin,)))


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def coin_prices(coin: str, start: date, end: date, bucket_s: int = 3600) -> pl.DataFrame:
    """One coin's Binance price per hour (or day): first open and last close of each bucket."""
    if int(bucket_s) not in (3600, 86400):
        raise ValueError("bucket_s must be 3600 or 86400")
    return run(COIN_PRICES_SQL, coin=coin, start=start, end=end, bucket_s=int(bucket_s), **symbols.sql_params())
