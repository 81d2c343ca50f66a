-- When the book makes or loses money: PnL of the UTC days [start, end] by hour of day, weekday,
-- rebalance window and market regime, each split into price PnL, funding and fees.
--
-- The unit is one interval between consecutive usable account snapshots of an account
-- (account_value finite and > 0; ~5 minutes apart): its PnL is the equity change minus the
-- deposits/withdrawals in it, so every interval is additive and deposits are never PnL.
-- An event (fee, funding payment, ledger flow) belongs to the interval of the first usable
-- snapshot at or after its time, the same rule as the equity curve's flows, so
--   pnl = price_pnl + funding - fees       (fees > 0 are paid)
-- holds per interval; price_pnl is what is left: realized and unrealized price moves.
-- An interval counts in the range when its closing snapshot lies in [start, end + 1 day);
-- it is placed in time at its midpoint (hour of day, weekday, regime hour, window).
--
-- Buckets (column `dim`, then `bucket`):
--   hour     '00'..'23'      UTC hour of day
--   weekday  '1'..'7'        ISO weekday, Monday = 1
--   window   'rebalance' / 'rest'   midpoint within {window_min} minutes after 00:00 UTC
--   trend    'up' / 'flat' / 'down' / 'unknown'   the regime coin's return over the 24 hours
--            ending at the close of the interval's hour vs {trend_up} / {trend_down}
--   vol      'low' / 'mid' / 'high' / 'unknown'   realised vol (stddev of the 24 hourly log
--            returns ending at that close, at least {min_returns} of them), in terciles of
--            the range's hours, split evenly: 'low' the ⌈n/3⌉ lowest, 'mid' up to the ⌈2n/3⌉-th
--            (an interval straddling the range's start takes its own hour's)
--   regime   '<trend> / <vol>'
-- 'unknown' = the candles needed are missing, zero or the hour has no candle: never guessed.
-- n_intervals, n_hours (distinct UTC hours), n_days count what each bucket rests on.
-- Synced duplicates are removed on each table's natural key.
-- Parameters: start, end (Date), lookback_days (UInt16), window_min (UInt16), regime_symbol
-- (String), trend_up, trend_down (Float64), min_returns (UInt8).
WITH
    toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC') AS T0,
    toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC') AS T1,
    T0 - toIntervalDay({lookback_days:UInt16}) AS T_LOOK,
    snaps AS
    (
        SELECT account, ts, account_value AS equity
        FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts >= T_LOOK AND ts < T1
          AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
        LIMIT 1 BY account, ts
    ),
    -- with "all accounts" the snapshots are the desk's summed ones (account 'all', queries/engine/scope.py):
    -- every account's fees and funding belong to them
    (SELECT groupUniqArray(account) FROM snaps) AS snap_accounts,
    chained AS
    (
        SELECT account, ts, equity,
               lagInFrame(toNullable(ts)) OVER w AS prev_ts,
               lagInFrame(toNullable(equity)) OVER w AS prev_equity
        FROM snaps
        WINDOW w AS (PARTITION BY account ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    spans AS
    (
        SELECT account, ts, equity - prev_equity AS d_equity,
               fromUnixTimestamp64Milli(intDiv(toUnixTimestamp64Milli(assumeNotNull(prev_ts)) + toUnixTimestamp64Milli(ts), 2), 'UTC') AS mid
        FROM chained
        WHERE prev_ts IS NOT NULL AND ts >= T0
    ),
    events AS
    (
        SELECT account, time, 0. AS flow, fee, 0. AS funding
        FROM (SELECT account, time, fee FROM {trades_db:Identifier}.{trades_tbl:Identifier}
              WHERE time >= T_LOOK AND time < T1 LIMIT 1 BY account, tid)
        UNION ALL
        SELECT account, time, 0. AS flow, 0. AS fee, usdc AS funding
        FROM (SELECT account, time, usdc FROM {funding_db:Identifier}.{funding_tbl:Identifier}
              WHERE time >= T_LOOK AND time < T1 LIMIT 1 BY account, coin, time)
        UNION ALL
        SELECT account, time, usdc AS flow, 0. AS fee, 0. AS funding
        FROM (SELECT account, time, usdc FROM {ledger_db:Identifier}.{ledger_tbl:Identifier}
              WHERE time >= T_LOOK AND time < T1 LIMIT 1 BY account, time, hash)
    ),
    placed AS
    (
        SELECT s.account AS account, s.ts AS ts, sum(e.flow) AS flows, sum(e.fee) AS fees, sum(e.funding) AS funding
        FROM events AS e
        ASOF INNER JOIN (SELECT account, ts FROM snaps) AS s
            ON if(has(snap_accounts, e.account), e.account, 'all') = s.account AND e.time <= s.ts
        WHERE s.ts >= T0
        GROUP BY s.account, s.ts
    ),
    candles AS
    (
        SELECT toUInt32(open_time) AS t, close
        FROM {klines_db:Identifier}.{klines_tbl:Identifier}
        WHERE symbol = {regime_symbol:String}
          AND open_time >= toDateTime(T_LOOK) - toIntervalDay(2) AND open_time < toDateTime(T1)
          AND isFinite(close) AND close > 0
        LIMIT 1 BY symbol, open_time
    ),
    returns AS
    (
        SELECT t, close,
               if(lagInFrame(toNullable(t)) OVER w = t - 3600, log(close / lagInFrame(close) OVER w), NULL) AS r
        FROM candles
        WINDOW w AS (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    vols AS
    (
        SELECT t, close,
               count(r) OVER v AS n_returns,
               stddevSampOrNull(r) OVER v AS vol
        FROM returns
        WINDOW v AS (ORDER BY t RANGE BETWEEN 82800 PRECEDING AND CURRENT ROW)
    ),
    regime_hours AS
    (
        SELECT
            toDateTime(c.t, 'UTC') AS hour,
            c.close / p.close - 1 AS ret_24h,
            if(c.n_returns >= {min_returns:UInt8}, c.vol, NULL) AS vol
        FROM vols AS c
        LEFT JOIN candles AS p ON p.t = c.t - 86400
        WHERE c.t >= toUInt32(toDateTime(T0)) - 86400 AND c.t < toUInt32(toDateTime(T1))
    ),
    -- tercile bounds: the ⌈n/3⌉-th and ⌈2n/3⌉-th smallest of the range's n hourly vols, so `<= q[1]` holds the
    -- lowest third exactly (720 hours: 240 / 240 / 240); quantilesExact takes element ⌊q·n⌋ (0-based), one more
    (SELECT arraySort(groupArray(vol)) FROM regime_hours WHERE vol IS NOT NULL AND hour >= toDateTime(T0))
        AS sorted_vols,
    if(empty(sorted_vols), [],
       [sorted_vols[toUInt64(ceil(length(sorted_vols) / 3))], sorted_vols[toUInt64(ceil(2 * length(sorted_vols) / 3))]])
        AS q,
    labelled AS
    (
        SELECT
            s.mid AS mid,
            s.d_equity - ifNull(pl.flows, 0.) AS iv_pnl,
            ifNull(pl.fees, 0.) AS iv_fees,
            ifNull(pl.funding, 0.) AS iv_funding,
            multiIf(rh.ret_24h IS NULL, 'unknown', rh.ret_24h > {trend_up:Float64}, 'up',
                    rh.ret_24h < {trend_down:Float64}, 'down', 'flat') AS trend,
            multiIf(rh.vol IS NULL OR length(q) < 2, 'unknown', rh.vol <= q[1], 'low', rh.vol <= q[2], 'mid', 'high')
                AS vol_bucket,
            if(toUnixTimestamp64Milli(s.mid) % 86400000 < {window_min:UInt16} * 60000, 'rebalance', 'rest') AS win
        FROM spans AS s
        LEFT JOIN placed AS pl ON pl.account = s.account AND pl.ts = s.ts
        LEFT JOIN regime_hours AS rh ON rh.hour = toStartOfHour(toDateTime(s.mid, 'UTC'))
    )
SELECT
    kv.1 AS dim,
    kv.2 AS bucket,
    count() AS n_intervals,
    uniqExact(toStartOfHour(toDateTime(mid, 'UTC'))) AS n_hours,
    uniqExact(toDate(mid)) AS n_days,
    sum(iv_pnl) AS pnl,
    sum(iv_pnl - iv_funding + iv_fees) AS price_pnl,
    sum(iv_funding) AS funding,
    sum(iv_fees) AS fees
FROM labelled
ARRAY JOIN [
    ('hour', leftPad(toString(toHour(mid)), 2, '0')),
    ('weekday', toString(toDayOfWeek(mid))),
    ('window', win),
    ('trend', trend),
    ('vol', vol_bucket),
    ('regime', concat(trend, ' / ', vol_bucket))
] AS kv
GROUP BY dim, bucket
ORDER BY dim, bucket
