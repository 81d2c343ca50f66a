"""Can we trust the prices? The exchange's marks against Binance, and the candles themselves.

Both checks look back a number of hours from the newest row of their own table, so they read a
bounded slice whatever the history, and return one row per coin / per problem.
"""

from __future__ import annotations

import polars as pl

from lib import config
from lib.book import symbols
from queries.engine import newest
from queries.engine.run import run
from queries.engine.scope import cached


@cached(ttl=config.TTL_LIVE, max_entries=8, show_spinner=False)
def price_divergence(
    hours: int = config.PRICE_SANITY_HOURS, threshold_bp: float = config.PRICE_DIVERGENCE_BP
) -> pl.DataFrame:
    """Per coin held in the last `hours` hours of positions snapshots: exchange mark vs Binance close.

    Per (coin, hour) the mark is the hour's newest snapshot's position_value / |szi| (synced
    duplicates removed on (account, ts, coin)); it is compared with the close of the Binance candle
    of the same hour, through the symbol map (x multiplier). divergence_bp = (mark / close - 1) x 10^4.
    Per coin: n_hours (hours with a mark), n_compared, n_no_candle (a mark but no usable candle:
    missing, zero or unmapped), n_flagged (|divergence| > threshold_bp), last_hour compared and its
    divergence (last_bp), max_abs_bp, median_abs_bp, and drift_bp = last_bp minus the coin's
    median divergence (a stale candle drifts away while a missing multiplier is off from the start).
    Largest |divergence| first, coins never compared last.
    """
    return run(
        newest.pasted(
            """
        WITH
            __NEWEST_POSITIONS_TS__ AS newest,
            marks AS
            (
                SELECT coin, toDateTime(toStartOfHour(ts), 'UTC') AS hour,
                       argMax(if(szi != 0 AND isFinite(position_value), abs(position_value) / abs(szi), NULL), ts) AS mark
                FROM
                (
                    SELECT account, ts, coin, szi, position_value
                    FROM {positions_db:Identifier}.{positions_tbl:Identifier}
                    WHERE ts > newest - toIntervalHour({hours:UInt16}) AND ts <= newest AND szi != 0
                    ORDER BY synced_at DESC
                    LIMIT 1 BY account, ts, coin
                )
                GROUP BY coin, hour
            ),
            mapped AS
            (
                SELECT coin, hour, mark,
                       transform(coin, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat(coin, 'USDT')) AS bn_symbol,
                       transform(coin, {map_coins:Array(String)}, {map_mult:Array(Float64)}, 1.0) AS px_mult
                FROM marks
            ),
            candles AS
            (
                SELECT symbol, open_time, close
                FROM {klines_db:Identifier}.{klines_tbl:Identifier}
                WHERE open_time >= toDateTime(newest - toIntervalHour({hours:UInt16} + 1))
                LIMIT 1 BY symbol, open_time
            ),
            compared AS
            (
                SELECT m.coin AS coin, m.bn_symbol AS bn_symbol, m.hour AS hour, m.mark AS mark,
                       if(isFinite(k.close) AND k.close > 0, k.close * m.px_mult, NULL) AS bn_close,
                       if(m.mark > 0 AND bn_close > 0, 10000 * (m.mark / bn_close - 1), NULL) AS bp
                FROM mapped AS m
                LEFT JOIN candles AS k ON k.symbol = m.bn_symbol AND k.open_time = m.hour
            ),
            per_coin AS
            (
                SELECT coin, any(bn_symbol) AS bn_symbol, count() AS n_hours, count(bp) AS n_compared,
                       countIf(bp IS NULL) AS n_no_candle,
                       countIf(abs(bp) > {threshold_bp:Float64}) AS n_flagged,
                       maxIf(hour, bp IS NOT NULL) AS last_hour_raw,
                       argMaxIf(bp, hour, bp IS NOT NULL) AS last_bp_raw,
                       argMaxIf(mark, hour, bp IS NOT NULL) AS last_mark_raw,
                       argMaxIf(bn_close, hour, bp IS NOT NULL) AS last_close_raw,
                       max(abs(bp)) AS max_abs_bp,
                       median(abs(bp)) AS median_abs_bp,
                       median(bp) AS median_bp
                FROM compared
                GROUP BY coin
            )
        SELECT coin, bn_symbol, n_hours, n_compared, n_no_candle, n_flagged,
               if(n_compared > 0, toDateTime64(last_hour_raw, 0, 'UTC'), NULL) AS last_hour,
               if(n_compared > 0, last_mark_raw, NULL) AS last_mark,
               if(n_compared > 0, last_close_raw, NULL) AS last_close,
               if(n_compared > 0, last_bp_raw, NULL) AS last_bp,
               if(n_compared > 0, max_abs_bp, NULL) AS max_abs_bp,
               if(n_compared > 0, median_abs_bp, NULL) AS median_abs_bp,
               if(n_compared > 0, last_bp_raw - median_bp, NULL) AS drift_bp
        FROM per_coin
        ORDER BY n_compared = 0, max_abs_bp DESC, coin
        """
        ),
        **newest.SKEW,
        hours=int(hours),
        threshold_bp=float(threshold_bp),
        **symbols.sql_params(),
    )


@cached(ttl=config.TTL_LIVE, max_entries=8, show_spinner=False)
def candle_problems(
    hours: int = config.PRICE_SANITY_HOURS,
    stale_hours: int = config.STALE_CANDLE_HOURS,
    limit: int = config.CANDLE_PROBLEM_LIMIT,
) -> pl.DataFrame:
    """Hourly candles that are missing, zero, or repeat the previous close, in the last `hours` hours.

    The window ends at the newest candle of any symbol (a feed-wide outage is the ohlcv monitor's
    story on System Health; this lists what is wrong within the data). Problems, one row each:
      missing      hours without a candle between two candles of the symbol (first_hour..last_hour)
      no recent    the symbol's candles stop before the newest candle of the feed
      zero         a candle whose open/high/low/close is zero, negative or not finite
      stale        the close repeats the previous close for >= stale_hours hours in a row
      no candles   a coin held in the window (positions snapshots) whose symbol has no candle at all
    Columns: symbol, coin (held coins only), problem, first_hour, last_hour, hours, n_problems
    (the total, before the limit). Newest first.
    """
    return run(
        newest.pasted(
            """
        WITH
            (SELECT max(open_time) FROM {klines_db:Identifier}.{klines_tbl:Identifier}) AS newest,
            toInt64(newest_t) - 3600 * (toInt64({hours:UInt16}) - 1) AS first_t,
            toInt64(toUInt32(newest)) AS newest_t,
            k AS
            (
                SELECT symbol, toInt64(toUInt32(open_time)) AS t, open, high, low, close
                FROM {klines_db:Identifier}.{klines_tbl:Identifier}
                WHERE open_time >= toDateTime(toUInt32(first_t), 'UTC') - toIntervalHour({stale_hours:UInt16})
                LIMIT 1 BY symbol, open_time
            ),
            seq AS
            (
                SELECT symbol, t, close,
                       NOT (isFinite(open) AND isFinite(high) AND isFinite(low) AND isFinite(close)
                            AND open > 0 AND high > 0 AND low > 0 AND close > 0) AS bad,
                       lagInFrame(toNullable(t)) OVER w AS prev_t,
                       lagInFrame(toNullable(close)) OVER w AS prev_close
                FROM k
                WINDOW w AS (PARTITION BY symbol ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            ),
            runs AS
            (
                SELECT symbol, t, close, bad, prev_t,
                       NOT bad AND prev_t = t - 3600 AND close = prev_close AS repeats,
                       sum(if(repeats, 0, 1)) OVER r AS run_id
                FROM seq
                WINDOW r AS (PARTITION BY symbol ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            ),
            stale AS
            (
                SELECT symbol, 'stale' AS problem, minIf(t, repeats) AS first_t_, max(t) AS last_t_, countIf(repeats) AS n
                FROM runs
                GROUP BY symbol, run_id
                HAVING n >= {stale_hours:UInt16} AND max(t) >= first_t
            ),
            missing AS
            (
                SELECT symbol, 'missing' AS problem, greatest(assumeNotNull(prev_t) + 3600, first_t) AS first_t_,
                       t - 3600 AS last_t_, intDiv(last_t_ - first_t_, 3600) + 1 AS n
                FROM seq
                WHERE prev_t IS NOT NULL AND t - prev_t > 3600 AND t > first_t
            ),
            zero AS
            (
                SELECT symbol, 'zero' AS problem, t AS first_t_, t AS last_t_, toInt64(1) AS n FROM seq WHERE bad AND t >= first_t
            ),
            tail AS
            (
                SELECT symbol, 'no recent' AS problem, max(t) + 3600 AS first_t_, newest_t AS last_t_,
                       intDiv(newest_t - max(t), 3600) AS n
                FROM k
                GROUP BY symbol
                HAVING max(t) < newest_t AND max(t) >= first_t - 3600 * {stale_hours:UInt16}
            ),
            held AS
            (
                SELECT DISTINCT coin,
                       transform(coin, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat(coin, 'USDT')) AS symbol
                FROM {positions_db:Identifier}.{positions_tbl:Identifier}
                WHERE ts >= __NEWEST_POSITIONS_TS__ - toIntervalHour({hours:UInt16})
                  AND ts <= __NEWEST_POSITIONS_TS__ AND szi != 0
            ),
            absent AS
            (
                SELECT symbol, 'no candles' AS problem, first_t AS first_t_, newest_t AS last_t_,
                       toInt64({hours:UInt16}) AS n
                FROM held
                WHERE symbol NOT IN (SELECT symbol FROM k WHERE t >= first_t)
            ),
            problems AS
            (
                SELECT symbol, problem, first_t_, last_t_, toInt64(n) AS n FROM stale
                UNION ALL SELECT symbol, problem, first_t_, last_t_, toInt64(n) FROM missing
                UNION ALL SELECT symbol, problem, first_t_, last_t_, toInt64(n) FROM zero
                UNION ALL SELECT symbol, problem, first_t_, last_t_, toInt64(n) FROM tail
                UNION ALL SELECT symbol, problem, first_t_, last_t_, toInt64(n) FROM absent
            )
        SELECT p.symbol AS symbol, h.coin AS coin, p.problem AS problem,
               toDateTime64(toDateTime(toUInt32(p.first_t_), 'UTC'), 0, 'UTC') AS first_hour,
               toDateTime64(toDateTime(toUInt32(p.last_t_), 'UTC'), 0, 'UTC') AS last_hour,
               p.n AS hours, count() OVER () AS n_problems
        FROM problems AS p
        LEFT JOIN held AS h ON h.symbol = p.symbol
        ORDER BY last_hour DESC, symbol, problem
        LIMIT {limit:UInt32}
        """
        ),
        **newest.SKEW,
        hours=int(hours),
        stale_hours=int(stale_hours),
        limit=int(limit),
        **symbols.sql_params(),
    )
