"""What the trades-to-target ticket and the pre-trade checks read besides the book: the model's weights of
one date, the exchange's asset metadata and the newest Binance close of each coin.

The book itself (the newest positions round, its marks and equity) comes from the pages' own statements:
`queries.book.risk.position_risk` and `queries.book.overview.latest_equity`.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from lib import config
from lib.book import symbols
from queries.engine.run import run
from queries.engine.scope import cached


@cached(ttl=config.TTL_DAILY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def targets_on(day: date) -> pl.DataFrame:
    """The model's weights dated `day`, one row per symbol: `sym, weight` (duplicated rows counted once).

    An empty frame means no target file for that date (not "all flat").
    """
    return run(
        """
        SELECT toString(sym) AS sym, weight
        FROM {targets_db:Identifier}.{targets_tbl:Identifier}
        WHERE date = {day:Date}
        ORDER BY sym
        LIMIT 1 BY date, sym
        """,
        day=day,
    )


@cached(ttl=config.TTL_DAILY, max_entries=4, show_spinner=False)
def asset_meta() -> pl.DataFrame:
    """The exchange's trading rules per coin as of its newest poll (queries/schema.sql hyperliquid.asset_meta).

    One row per coin: sz_decimals, max_leverage, only_isolated, is_delisted of the coin's newest row (rows of
    one (coin, updated_at) delivered twice count once, the newest sync winning), `updated_at` (that row's
    poll) and `newest_poll` (the newest poll of any coin: a coin absent from it is no longer listed). Rows
    dated after the server's now + FUTURE_SKEW_S are ignored. Raises QueryFailed (missing_table) where the
    table does not exist.
    """
    return run(
        """
        WITH rows AS
            (
                SELECT coin, updated_at AS poll,
                       argMax(tuple(sz_decimals, max_leverage, only_isolated, is_delisted), synced_at) AS v
                FROM {asset_meta_db:Identifier}.{asset_meta_tbl:Identifier}
                WHERE updated_at <= now64(3, 'UTC') + toIntervalSecond({future_skew_s:UInt32})
                GROUP BY coin, updated_at
            )
        SELECT toString(coin) AS coin,
               toUInt8(argMax(v.1, poll)) AS sz_decimals,
               toUInt16(argMax(v.2, poll)) AS max_leverage,
               toBool(argMax(v.3, poll)) AS only_isolated,
               toBool(argMax(v.4, poll)) AS is_delisted,
               toDateTime64(max(poll), 3, 'UTC') AS updated_at,
               toDateTime64((SELECT max(poll) FROM rows), 3, 'UTC') AS newest_poll
        FROM rows
        GROUP BY coin
        ORDER BY coin
        """,
        future_skew_s=config.FUTURE_SKEW_S,
    )


@cached(ttl=config.TTL_LIVE, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def newest_closes(coins: tuple[str, ...], as_of: datetime) -> pl.DataFrame:
    """The newest Binance close of each coin at `as_of` (UTC), looked back PRICE_LOOKBACK_H hours.

    One row per coin asked for: `coin, bn_symbol` (the symbol map), `price` (close x the map's multiplier;
    NULL without a usable candle: none in the look-back, or a price that is not a positive number) and
    `close_ts` (the end of that candle's hour, when its close was the price). Candles de-duplicated on
    (symbol, open_time).
    """
    return run(
        """
        WITH
            toDateTime({as_of:DateTime64(3, 'UTC')}, 'UTC') AS t_end,
            wanted AS
            (
                SELECT coin,
                       transform(coin, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat(coin, 'USDT')) AS bn_symbol,
                       transform(coin, {map_coins:Array(String)}, {map_mult:Array(Float64)}, 1.0) AS px_mult
                FROM (SELECT arrayJoin({coins:Array(String)}) AS coin)
            ),
            candles AS
            (
                SELECT symbol, argMax(close, open_time) AS last_close, max(open_time) AS last_open
                FROM
                (
                    SELECT symbol, open_time, close
                    FROM {klines_db:Identifier}.{klines_tbl:Identifier}
                    WHERE open_time >= t_end - toIntervalHour({lookback_h:UInt16} + 1)
                      AND open_time + toIntervalHour(1) <= t_end
                      AND symbol IN (SELECT bn_symbol FROM wanted)
                      AND isFinite(close) AND close > 0
                    LIMIT 1 BY symbol, open_time
                )
                GROUP BY symbol
            )
        SELECT w.coin AS coin, w.bn_symbol AS bn_symbol,
               if(c.last_close IS NULL, NULL, c.last_close * w.px_mult) AS price,
               if(c.last_open IS NULL, NULL, toDateTime64(c.last_open + toIntervalHour(1), 3, 'UTC')) AS close_ts
        FROM wanted AS w
        LEFT JOIN candles AS c ON c.symbol = w.bn_symbol
        ORDER BY coin
        """,
        coins=list(coins),
        as_of=as_of,
        lookback_h=config.PRICE_LOOKBACK_H,
        **symbols.sql_params(),
    )
