-- The playbook's hourly timeline at one snapshot hour per day, for a range of
-- holdings dates, computed entirely by ClickHouse.
--
-- Row = (holdings_date, sym) for every symbol with a T+2 target row or a non-zero
-- position at the snapshot. The snapshot of holdings date D is taken at the END of
-- its hour: {hour_end:UInt8} hours after D 00:00 UTC (snapshot hour h: h + 1, so hour 0
-- includes the 00:00-00:02 rebalance fills; 0 = D 00:00:00, before the rebalance).
-- ts_hour is the hour that ends there (the previous day's 23:00 for hour_end 0).
-- Conventions (the demo desk is generated to them):
--   pos_units   position after the last fill with time < ts_hour + 1h
--               (start_position + signed sz of that fill), carried forward, per account
--               and summed over the accounts read; 0 when the coin was never traded.
--   bn_px       close of the Binance 1h candle opening at ts_hour for the
--               coin's mapped symbol, times the map's multiplier; NULL when
--               the candle is missing or its price is not a positive number.
--   equity_usd  account_value of the latest account snapshot with
--               ts < ts_hour + 1h (looked back at most 7 days); NULL if none.
--   weight_t2   target weight dated date(ts_hour) - 2; weight_t1: - 1 day.
--   actual_weight  pos_units * bn_px / equity_usd; exactly 0 when flat;
--               NULL when held but unpriceable (no price, equity NULL or <= 0).
--   ret_24h     the coin's return from this snapshot to the next day's.
--   chain_open  the fills of the millisecond that set pos_units do not chain into one result
--               (start_position + signed sz): pos_units is the highest trade id's, flagged.
-- Spot fills ('@107', 'PURR/USDC') and fills whose size is not a positive number are no part
-- of the perp book.
-- Synced duplicates are removed on each table's natural key before use.
-- Parameters: start, end (Date), hour_end (UInt8, 0-24), map_coins, map_symbols, map_mult.
WITH
    hours AS
    (
        SELECT
            {start:Date} + toIntervalDay(number) AS holdings_date,
            toDateTime(holdings_date, 'UTC') + toIntervalHour({hour_end:UInt8}) - toIntervalHour(1) AS ts_hour
        FROM numbers(toUInt64(dateDiff('day', {start:Date}, {end:Date}) + 1))
    ),
    fills_ms AS
    (
        -- one row per (account, coin, millisecond): the position after that millisecond's fills is the
        -- result (start_position + signed sz) that no other fill of the millisecond starts from,
        -- so it never depends on trade-id order; when that does not single out one fill, the
        -- highest trade id's result is used and the chain is flagged open.
        SELECT
            account,
            coin,
            time,
            groupArray(start_position) AS starts,
            groupArray(start_position + if(side = 'B', sz, -sz)) AS afters,
            arrayFilter(a -> NOT arrayExists(s -> abs(s - a) <= 1e-9 * greatest(1., abs(a)), starts), afters) AS ends,
            toBool(length(ends) = 1) AS chained,
            if(chained, ends[1], argMax(start_position + if(side = 'B', sz, -sz), tid)) AS pos_end
        FROM
        (
            SELECT account, coin, time, tid, side, sz, start_position
            FROM {trades_db:Identifier}.{trades_tbl:Identifier}
            WHERE time < toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalHour({hour_end:UInt8}), 3, 'UTC')
            ORDER BY synced_at DESC
            LIMIT 1 BY account, tid
        )
        -- spot fills ('@107', 'PURR/USDC') are no perp position; a size that is not a
        -- positive number says nothing about the position (the next fill re-anchors it)
        WHERE NOT (startsWith(coin, '@') OR position(coin, '/') > 0) AND isFinite(sz) AND sz > 0
        GROUP BY account, coin, time
    ),
    fills_hourly AS
    (
        SELECT
            account,
            coin,
            toDateTime(toStartOfHour(time), 'UTC') AS hb,
            argMax(pos_end, time) AS pos_after,
            toBool(NOT argMax(chained, time)) AS chain_open
        FROM fills_ms
        GROUP BY account, coin, hb
    ),
    fill_accounts AS
    (
        -- each account's book is its own chain of fills; '' (no account) keeps the grid when nothing traded
        SELECT DISTINCT account FROM (SELECT account FROM fills_hourly UNION ALL SELECT '' AS account)
    ),
    targets AS
    (
        SELECT date, sym, weight
        FROM {targets_db:Identifier}.{targets_tbl:Identifier}
        WHERE date BETWEEN {start:Date} - 2 AND {end:Date} - 1
        LIMIT 1 BY date, sym
    ),
    target_days AS
    (
        SELECT date, count() AS n_rows FROM targets GROUP BY date
    ),
    universe AS
    (
        SELECT DISTINCT coin FROM (SELECT coin FROM fills_hourly UNION ALL SELECT sym AS coin FROM targets)
    ),
    grid AS
    (
        SELECT
            h.ts_hour AS ts_hour,
            h.holdings_date AS holdings_date,
            u.coin AS coin,
            h.holdings_date - 2 AS d_t2,
            h.holdings_date - 1 AS d_t1,
            transform(u.coin, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat(u.coin, 'USDT')) AS bn_symbol,
            transform(u.coin, {map_coins:Array(String)}, {map_mult:Array(Float64)}, 1.0) AS px_mult
        FROM hours AS h
        CROSS JOIN universe AS u
    ),
    positioned_accounts AS
    (
        SELECT g.*, f.pos_after AS pos_after, f.hb AS last_fill_hour, f.chain_open AS chain_open
        FROM (SELECT * FROM grid CROSS JOIN fill_accounts) AS g
        ASOF LEFT JOIN fills_hourly AS f ON g.account = f.account AND g.coin = f.coin AND g.ts_hour >= f.hb
    ),
    positioned AS
    (
        SELECT ts_hour, holdings_date, coin, d_t2, d_t1, bn_symbol, px_mult,
               sum(pos_after) AS pos_after, max(last_fill_hour) AS last_fill_hour, max(chain_open) AS chain_open
        FROM positioned_accounts
        GROUP BY ts_hour, holdings_date, coin, d_t2, d_t1, bn_symbol, px_mult
    ),
    candles AS
    (
        SELECT symbol, open_time, close
        FROM {klines_db:Identifier}.{klines_tbl:Identifier}
        WHERE open_time >= toDateTime({start:Date}, 'UTC') - toIntervalHour(1)
          AND open_time < toDateTime({end:Date}, 'UTC') + toIntervalDay(2)
          AND toHour(open_time) = ({hour_end:UInt8} + 23) % 24
        LIMIT 1 BY symbol, open_time
    ),
    equity AS
    (
        SELECT h.ts_hour AS ts_hour, a.account_value AS equity_usd, a.ts AS equity_ts
        FROM (SELECT ts_hour, toDateTime64(ts_hour + toIntervalHour(1), 3, 'UTC') AS ts_end, toUInt8(1) AS one FROM hours) AS h
        ASOF LEFT JOIN
        (
            SELECT ts, account_value, toUInt8(1) AS one
            FROM {account_db:Identifier}.{account_tbl:Identifier}
            WHERE account_value IS NOT NULL
              AND ts >= toDateTime64(toDateTime({start:Date}, 'UTC') - toIntervalDay(7), 3, 'UTC')
              AND ts < toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalHour({hour_end:UInt8}), 3, 'UTC')
            ORDER BY synced_at DESC
            LIMIT 1 BY account, ts
        ) AS a ON h.one = a.one AND h.ts_end > a.ts
    ),
    joined AS
    (
        SELECT
            p.ts_hour AS ts_hour,
            p.holdings_date AS holdings_date,
            p.coin AS sym,
            p.bn_symbol AS bn_symbol,
            ifNull(p.pos_after, 0.0) AS pos_units,
            p.last_fill_hour AS last_fill_hour,
            ifNull(p.chain_open, false) AS chain_open,
            if(isFinite(k.close) AND k.close > 0, k.close * p.px_mult, NULL) AS bn_px,
            if(isFinite(k2.close) AND k2.close > 0, k2.close * p.px_mult, NULL) AS bn_px_next,
            if(isFinite(e.equity_usd), e.equity_usd, NULL) AS equity_usd,
            e.equity_ts AS equity_ts,
            t2.weight AS weight_t2,
            t1.weight AS weight_t1,
            toBool(t2.sym IS NOT NULL) AS has_t2_row,
            ifNull(td.n_rows, 0) AS t2_rows_for_day
        FROM positioned AS p
        LEFT JOIN candles AS k ON k.symbol = p.bn_symbol AND k.open_time = p.ts_hour
        LEFT JOIN candles AS k2 ON k2.symbol = p.bn_symbol AND k2.open_time = p.ts_hour + toIntervalDay(1)
        LEFT JOIN equity AS e ON e.ts_hour = p.ts_hour
        LEFT JOIN targets AS t2 ON t2.sym = p.coin AND t2.date = p.d_t2
        LEFT JOIN targets AS t1 ON t1.sym = p.coin AND t1.date = p.d_t1
        LEFT JOIN target_days AS td ON td.date = p.d_t2
    )
SELECT
    toDateTime64(ts_hour, 0, 'UTC') AS ts_hour,
    holdings_date,
    sym,
    bn_symbol,
    pos_units,
    bn_px,
    equity_usd,
    equity_ts,
    weight_t2,
    weight_t1,
    has_t2_row,
    t2_rows_for_day,
    pos_units * bn_px AS notional_usd,
    multiIf(pos_units = 0, 0.0, bn_px IS NULL OR equity_usd IS NULL OR equity_usd <= 0, NULL, pos_units * bn_px / equity_usd) AS actual_weight,
    bn_px_next / bn_px - 1 AS ret_24h,
    toDateTime64(last_fill_hour, 0, 'UTC') AS last_fill_hour,
    chain_open
FROM joined
WHERE has_t2_row OR pos_units != 0
ORDER BY holdings_date, sym
