-- The fills of the window [lo, hi) (whole UTC days start .. end, or an intraday window) that pass the filters, each once, enriched with
-- what the Trades page judges them by. queries/book/trades.py appends one SELECT ... FROM fills.
--
--   notional       px * sz (USD)
--   bn_symbol      the coin's Binance symbol (lib.book.symbols map); ref_px the open of the 1h
--                  candle with open_time = start of the fill's UTC hour, times the map's
--                  multiplier; NULL when that candle is missing or its open is not > 0
--   slippage_bps   side_sign * (px / ref_px - 1) * 1e4, side_sign +1 buy / -1 sell:
--                  POSITIVE IS WORSE for the desk; NULL when ref_px is NULL (never 0)
--   tracked        the fill's (account, oid) has at least one row in the orders table
--   off_window     the fill is at or after 00:00 + {window_min} minutes UTC of its day
--   pos_after      start_position + signed sz (the position right after the fill)
--   valid          px and sz finite and > 0; an invalid fill is listed but left out of every sum
--                  (notional, fee_usd and the realized sums are NULL / skipped) and counted
--   fee_usd        the fee in USD: as is in a USD token (USDC, USD, USDT); times the fill price
--                  when paid in the fill's own base token (spot); times the fee token's Binance
--                  1h open when there is one; else NULL (fee_unconverted: listed apart, never summed)
--   spot           a spot fill ('@107', 'PURR/USDC'): not a perp position, never judged against
--                  a Binance perp price (slippage NULL, not counted as unpriced)
-- Filters (an empty array means all): coins, sides ('B'/'A'), dirs, liquidity
-- ('maker' = not crossed, 'taker' = crossed, '' = both).
-- Synced duplicates are removed on (account, tid) for fills, (symbol, open_time) for candles.
-- Parameters: lo, hi (DateTime64: the window), start, end (Date: its UTC days, for the candles),
-- coins, sides, dirs (Array(String)), liquidity (String), window_min (UInt16), map_coins, map_symbols, map_mult.
WITH
    f AS
    (
        SELECT
            time, account, coin, side, px, sz, start_position, dir, closed_pnl, fee, fee_token, oid, tid, cloid,
            crossed, hash,
            transform(coin, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat(coin, 'USDT')) AS bn_symbol,
            transform(coin, {map_coins:Array(String)}, {map_mult:Array(Float64)}, 1.0) AS px_mult,
            toDateTime(toStartOfHour(time), 'UTC') AS hour,
            startsWith(coin, '@') OR position(coin, '/') > 0 AS spot,
            has(['USDC', 'USD', 'USDT'], fee_token) AS fee_in_usd,
            transform(fee_token, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat(fee_token, 'USDT'))
                AS fee_symbol,
            transform(fee_token, {map_coins:Array(String)}, {map_mult:Array(Float64)}, 1.0) AS fee_mult
        FROM {trades_db:Identifier}.{trades_tbl:Identifier}
        WHERE time >= {lo:DateTime64(3, 'UTC')} AND time < {hi:DateTime64(3, 'UTC')}
          AND (empty({coins:Array(String)}) OR has({coins:Array(String)}, coin))
          AND (empty({sides:Array(String)}) OR has({sides:Array(String)}, side))
          AND (empty({dirs:Array(String)}) OR has({dirs:Array(String)}, dir))
          AND ({liquidity:String} = '' OR crossed = ({liquidity:String} = 'taker'))
        ORDER BY synced_at DESC
        LIMIT 1 BY account, tid
    ),
    tracked_orders AS
    (
        SELECT DISTINCT account, oid
        FROM {orders_db:Identifier}.{orders_tbl:Identifier}
        WHERE oid IN (SELECT oid FROM f)
    ),
    candles AS
    (
        SELECT symbol, open_time, open
        FROM {klines_db:Identifier}.{klines_tbl:Identifier}
        WHERE open_time >= toDateTime({start:Date}, 'UTC')
          AND open_time < toDateTime({end:Date}, 'UTC') + toIntervalDay(1)
          AND (symbol, open_time) IN (SELECT DISTINCT bn_symbol, hour FROM f WHERE NOT spot)
        LIMIT 1 BY symbol, open_time
    ),
    fee_candles AS
    (
        -- the Binance price of a fee token, for the (rare) fees not paid in a USD token
        SELECT symbol, open_time, open
        FROM {klines_db:Identifier}.{klines_tbl:Identifier}
        WHERE open_time >= toDateTime({start:Date}, 'UTC')
          AND open_time < toDateTime({end:Date}, 'UTC') + toIntervalDay(1)
          AND (symbol, open_time) IN (SELECT DISTINCT fee_symbol, hour FROM f WHERE NOT fee_in_usd)
        LIMIT 1 BY symbol, open_time
    ),
    fills AS
    (
        SELECT
            f.time AS time, f.account AS account, f.coin AS coin, f.side AS side, f.px AS px, f.sz AS sz,
            f.start_position AS start_position, f.dir AS dir, f.closed_pnl + 0. AS closed_pnl, f.fee AS fee,
            f.fee_token AS fee_token, f.oid AS oid, f.tid AS tid, f.cloid AS cloid, f.crossed AS crossed,
            f.hash AS hash, f.bn_symbol AS bn_symbol,
            toBool(isFinite(f.px) AND f.px > 0 AND isFinite(f.sz) AND f.sz > 0) AS valid,
            toBool(f.spot) AS spot,
            if(valid, f.px * f.sz, NULL) AS notional,
            multiIf(NOT valid OR NOT isFinite(f.fee), NULL,
                    f.fee_in_usd, f.fee,
                    f.spot AND f.fee_token = splitByChar('/', toString(f.coin))[1], f.fee * f.px,
                    isFinite(kf.open) AND kf.open > 0, f.fee * kf.open * f.fee_mult,
                    NULL) AS fee_usd,
            toBool(valid AND f.fee != 0 AND fee_usd IS NULL) AS fee_unconverted,
            f.start_position + if(f.side = 'B', f.sz, -f.sz) AS pos_after,
            if(valid AND NOT f.spot AND isFinite(k.open) AND k.open > 0, k.open * f.px_mult, NULL) AS ref_px,
            multiIf(f.side = 'B', 1., f.side = 'A', -1., NULL) * (f.px / ref_px - 1) * 10000 AS slippage_bps,
            toBool((f.account, f.oid) IN (SELECT account, oid FROM tracked_orders)) AS tracked,
            toBool(dateDiff('millisecond', toStartOfDay(f.time), f.time) >= {window_min:UInt16} * 60000) AS off_window
        FROM f
        LEFT JOIN candles AS k ON k.symbol = f.bn_symbol AND k.open_time = f.hour
        LEFT JOIN fee_candles AS kf ON kf.symbol = f.fee_symbol AND kf.open_time = f.hour
    )
