-- Where the difference between the live book and the model book went: each holdings day of the range
-- split, per symbol, into the waterfall's bars, in $ (the model book and the live marks are defined in
-- model_days.sql, pasted at the head of the WITH list).
--
-- For a day D with live marks t0, t1 (its 00:00 and the next), live equity E, the model's equity after its
-- fee N = M - fee, and per coin: P0 = B(00:00), P1 = B(next 00:00) (Binance closes, model_days.sql),
-- R = P1 / P0 - 1, w the model's weight, wL the targets dated D - L where L is the day's timing lag
-- ({lag_days} / {lag_values}: a day the lag sweep calls a slip, D-2 on every other day), the live units
-- q0 going into the day (the position after the last fill at or before t0, summed over the accounts read)
-- and its fills in (t0, t1] (signed units dq, price px, Pref = B at the start of the fill's hour):
--   live trading PnL on Binance prices = q0 (P1 - P0) + sum dq (P1 - px), and exactly
--     = q1 P0 R + execution + late, with q1 = q0 + sum dq, so that
--   sizing     (q1 P0 - E wL) R + (E - N) w R: the live $ position against the model's, times the return
--              (missing legs, partial fills, wrong sizes; the model's own equity differing from live's)
--   timing     E (wL - w) R (a rebalance traded on the wrong day's targets: on the lag sweep's slip days,
--              for each coin whose live weight q1 P0 / E is closer to wL than to w; wL = w otherwise)
--              + late = - sum dq (Pref - P0) (legs filled after the 00:00 hour, against the 00:00 close);
--              hourly resolution: a leg filled within the 00:00 hour is execution
--   execution  - sum dq (px - Pref): fill prices against Binance at the start of the fill's hour (the
--              00:00 close for the rebalance burst)
--   fees       - live fees (USD tokens) + the model's fee (with fees on); a fee in another token is left to
--              the residual and counted
--   funding    the live book's funding (usdc, + received); the model pays none
--   basis      exchange marks against Binance: szi (mark - B) at the positions round nearest each 00:00
--              (within {pos_max_age_s} s, never after the first fill that follows it), next day's minus
--              this day's
--   residual   the day's gap (model_book.sql: live_pnl - model_pnl) minus the bars above: what the tables
--              do not explain (a coin without a Binance price, fees in other tokens, the seconds between
--              a positions round and an account snapshot, fills the exchange does not show)
-- so that for every day: sizing + timing + execution + fees + funding + basis + residual = gap, exactly.
-- A coin without a Binance price at one end of the day has no sizing/timing/execution (NULL, counted in
-- n_unpriced): its PnL is in the residual.
-- Positions going into the range come from the fills of the {fills_lookback_days} days before it (a coin
-- not traded since: the start of its first later fill, else the positions round at the range's start).
--
-- Row = kind 'day' (every day of start - {history_days} .. end: model_book.sql's day columns, and the
-- day's bars for the range's days) or kind 'symbol' (one per coin over the range: its bars, $ and bp, bp
-- summing each day's $ over that day's live equity). Parameters: those of model_days.sql, lag_days
-- (Array(Date)), lag_values (Array(UInt8)), fills_lookback_days (UInt16), pos_max_age_s, round_ms (UInt32).
WITH
__MODEL_DAYS__,
(
    -- md_book once (a scalar: a CTE would be computed again wherever it is named), expanded below
    SELECT groupArray((day, t0, t1, equity, equity_next, flows, live_pnl, model_equity, model_pnl, model_fee,
                       growth, fee_rate_used, in_range, legs))
    FROM md_book
) AS sf_book,
sf_all_days AS
(
    SELECT b.1 AS day, b.2 AS t0, b.3 AS t1, b.4 AS equity, b.5 AS equity_next, b.6 AS flows, b.7 AS live_pnl,
           b.8 AS model_equity, b.9 AS model_pnl, b.10 AS model_fee, b.11 AS growth, b.12 AS fee_rate_used,
           b.13 AS in_range, b.14 AS legs
    FROM (SELECT arrayJoin(sf_book) AS b)
),
sf_days AS
(
    -- the range's days with both marks: what the bars are computed for
    SELECT day, assumeNotNull(t0) AS t0, assumeNotNull(t1) AS t1, equity, model_equity,
           model_equity - model_fee AS sizing_equity, fee_rate_used, toUInt8(1) AS one
    FROM sf_all_days
    WHERE in_range AND t0 IS NOT NULL AND t1 IS NOT NULL
),
sf_legs AS
(
    SELECT day, leg FROM sf_all_days ARRAY JOIN legs AS leg WHERE in_range
),
sf_fills AS
(
    SELECT account, coin, time, tid, if(side = 'B', sz, -sz) AS dq, px, start_position,
           start_position + dq AS pos_after,
           if(fee_token IN ('USDC', 'USD', 'USDT') AND isFinite(fee), fee, NULL) AS fee_usd,
           toBool(fee != 0 AND fee_usd IS NULL) AS fee_other,
           toDateTime(toStartOfHour(time), 'UTC') AS hour,
           transform(coin, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat(coin, 'USDT')) AS bn_symbol,
           transform(coin, {map_coins:Array(String)}, {map_mult:Array(Float64)}, 1.0) AS px_mult,
           toUInt8(1) AS one
    FROM
    (
        SELECT account, coin, time, tid, side, sz, px, start_position, fee, fee_token
        FROM {trades_db:Identifier}.{trades_tbl:Identifier}
        WHERE time > md_lo - toIntervalDay({history_days:UInt16}) - toIntervalDay({fills_lookback_days:UInt16})
          AND time <= md_hi + toIntervalDay(1)
        ORDER BY synced_at DESC
        LIMIT 1 BY account, tid
    )
    -- spot fills are no part of the perp book; a size or price that is not a positive number says nothing
    WHERE NOT (startsWith(coin, '@') OR position(coin, '/') > 0)
      AND isFinite(sz) AND sz > 0 AND isFinite(px) AND px > 0
),
sf_chain AS
(
    -- per (account, coin, time): the position after the millisecond's fills (highest trade id last) and before
    SELECT account, coin, time, argMax(pos_after, tid) AS pos_after, argMin(start_position, tid) AS pos_before
    FROM sf_fills
    GROUP BY account, coin, time
),
sf_pos_times AS
(
    SELECT DISTINCT ts, toUInt8(1) AS one
    FROM {positions_db:Identifier}.{positions_tbl:Identifier}
    WHERE ts >= toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC') - toIntervalSecond({pos_max_age_s:UInt32})
      AND ts <= md_hi + toIntervalSecond({pos_max_age_s:UInt32})
),
sf_rounds AS
(
    -- the positions round of each 00:00 from the range's start to its end: nearest within pos_max_age_s, never
    -- after the first fill that follows it
    SELECT
        n.T AS T,
        a.ts IS NOT NULL AND a.ts <= n.T + toIntervalSecond({pos_max_age_s:UInt32})
            AND (n.next_fill IS NULL OR a.ts < n.next_fill) AS after_ok,
        b.ts IS NOT NULL AND b.ts >= n.T - toIntervalSecond({pos_max_age_s:UInt32}) AS before_ok,
        multiIf(after_ok AND (NOT before_ok OR dateDiff('millisecond', n.T, a.ts) < dateDiff('millisecond', b.ts, n.T)),
                a.ts, before_ok, b.ts, NULL) AS round_ts
    FROM (SELECT * FROM md_next_fill WHERE T >= toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC')) AS n
    ASOF LEFT JOIN sf_pos_times AS b ON n.one = b.one AND b.ts <= n.T
    ASOF LEFT JOIN sf_pos_times AS a ON n.one = a.one AND a.ts > n.T
),
sf_round_rows AS
(
    -- each (account, coin) of a round: its newest row within round_ms of the round (synced copies: newest wins)
    SELECT r.T AS T, p.account AS account, p.coin AS coin,
           argMax(p.szi, (p.ts, p.synced_at)) AS szi,
           argMax(tuple(p.position_value), (p.ts, p.synced_at)).1 AS position_value
    FROM {positions_db:Identifier}.{positions_tbl:Identifier} AS p
    INNER JOIN (SELECT T, round_ts FROM sf_rounds WHERE round_ts IS NOT NULL) AS r
        ON p.ts >= r.round_ts - toIntervalMillisecond({round_ms:UInt32})
       AND p.ts <= r.round_ts + toIntervalMillisecond({round_ms:UInt32})
    WHERE p.ts >= toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC') - toIntervalSecond({pos_max_age_s:UInt32})
          - toIntervalMillisecond({round_ms:UInt32})
      AND p.ts <= md_hi + toIntervalSecond({pos_max_age_s:UInt32}) + toIntervalMillisecond({round_ms:UInt32})
    GROUP BY r.T, p.account, p.coin
),
sf_pairs AS
(
    -- every (account, coin) the live book may hold in the range, with its units at the range's first round
    SELECT account, coin, sum(szi_start) AS szi_start, toUInt8(1) AS one
    FROM
    (
        SELECT DISTINCT account, coin, 0. AS szi_start FROM sf_fills
        UNION ALL
        SELECT account, coin, szi AS szi_start FROM sf_round_rows
        WHERE T = toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC')
    )
    GROUP BY account, coin
),
sf_held AS
(
    -- units going into each day (at its mark t0): the last fill at or before t0, else the position the next
    -- fill starts from, else the exchange's units at the range's first round, else flat
    SELECT d.day AS day, p.account AS account, p.coin AS coin,
           coalesce(f_before.pos_after, f_after.pos_before, if(p.szi_start != 0, p.szi_start, NULL), 0.) AS q0
    FROM (SELECT day, t0, one FROM sf_days) AS d
    INNER JOIN sf_pairs AS p ON p.one = d.one
    ASOF LEFT JOIN sf_chain AS f_before
        ON f_before.account = p.account AND f_before.coin = p.coin AND f_before.time <= d.t0
    ASOF LEFT JOIN sf_chain AS f_after
        ON f_after.account = p.account AND f_after.coin = p.coin AND f_after.time > d.t0
),
sf_fill_prices AS
(
    SELECT p.symbol AS symbol, p.at AS at,
           if(c.open_time >= p.at - toIntervalHour(1) - toIntervalHour({price_max_age_h:UInt16}), c.close, NULL) AS close
    FROM (SELECT DISTINCT bn_symbol AS symbol, hour AS at FROM sf_fills
          WHERE time > toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC') - toIntervalDay(1)) AS p
    ASOF LEFT JOIN md_candles AS c ON c.symbol = p.symbol AND c.open_time <= p.at - toIntervalHour(1)
),
sf_day_fills AS
(
    -- the fills of each day, (t0, t1]
    SELECT d.day AS day, f.coin AS coin,
           sum(f.dq) AS dq,
           sum(f.dq * f.px) AS dq_px,
           sum(f.dq * fp.close * f.px_mult) AS dq_pref,
           countIf(fp.close IS NULL) AS n_no_pref,
           sumIf(f.dq, fp.close IS NULL) AS dq_no_pref,
           sum(ifNull(f.fee_usd, 0.)) AS fees,
           countIf(f.fee_other) AS n_fee_other
    FROM sf_fills AS f
    ASOF INNER JOIN (SELECT day, t0, t1, one FROM sf_days) AS d ON d.one = f.one AND d.t0 < f.time
    LEFT JOIN sf_fill_prices AS fp ON fp.symbol = f.bn_symbol AND fp.at = f.hour
    WHERE f.time <= d.t1
    GROUP BY d.day, f.coin
),
sf_funding AS
(
    SELECT d.day AS day, fu.coin AS coin, sum(fu.usdc) AS funding
    FROM
    (
        SELECT account, coin, time, argMax(usdc, synced_at) AS usdc, toUInt8(1) AS one
        FROM {funding_db:Identifier}.{funding_tbl:Identifier}
        WHERE time > toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC') - toIntervalDay(1)
          AND time <= md_hi + toIntervalDay(1)
        GROUP BY account, coin, time
    ) AS fu
    ASOF INNER JOIN (SELECT day, t0, t1, one FROM sf_days) AS d ON d.one = fu.one AND d.t0 < fu.time
    WHERE fu.time <= d.t1
    GROUP BY d.day, fu.coin
),
sf_lag_targets AS
(
    -- the targets dated D - L of each day whose timing lag L is not the schedule's
    SELECT d.day AS day, t.sym AS coin, t.weight AS w_lag
    FROM
    (
        SELECT day, toUInt8(transform(day, {lag_days:Array(Date)}, {lag_values:Array(UInt8)}, toUInt8(2))) AS lag
        FROM sf_days
        WHERE lag != 2
    ) AS d
    INNER JOIN
    (
        SELECT date, sym, weight
        FROM {targets_db:Identifier}.{targets_tbl:Identifier}
        WHERE date >= {start:Date} - 3 AND date <= {end:Date}
        LIMIT 1 BY date, sym
    ) AS t ON t.date = d.day - d.lag
),
sf_basis AS
(
    -- per (00:00, coin): exchange units x (exchange mark - Binance close), summed over accounts; it enters the
    -- day that ends at that 00:00 (+) and the day that starts there (-)
    SELECT rr.T AS T, toString(rr.coin) AS coin,
           sum(rr.szi * (rr.position_value / abs(rr.szi) - bp.close * bp.px_mult)) AS basis,
           countIf(rr.position_value IS NULL OR bp.close IS NULL) AS n_unknown
    FROM sf_round_rows AS rr
    LEFT JOIN
    (
        SELECT p.coin AS coin, p.T AS T, p.px_mult AS px_mult,
               if(c.open_time >= toDateTime(p.T) - toIntervalHour(1) - toIntervalHour({price_max_age_h:UInt16}),
                  c.close, NULL) AS close
        FROM
        (
            SELECT DISTINCT coin, T,
                   transform(coin, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat(coin, 'USDT')) AS symbol,
                   transform(coin, {map_coins:Array(String)}, {map_mult:Array(Float64)}, 1.0) AS px_mult
            FROM sf_round_rows
        ) AS p
        ASOF LEFT JOIN md_candles AS c ON c.symbol = p.symbol AND c.open_time <= toDateTime(p.T) - toIntervalHour(1)
    ) AS bp ON bp.coin = rr.coin AND bp.T = rr.T
    WHERE rr.szi != 0
    GROUP BY rr.T, rr.coin
),
sf_coin_days AS
(
    -- every (day, coin) with a model leg, a live position or fill, funding, lag targets or a basis
    SELECT day, coin,
           sum(q0) AS q0, sum(w_held) AS w, sum(turnover) AS turnover, sum(w_lag) AS w_lag,
           sum(dq) AS dq, sum(dq_px) AS dq_px, sum(dq_pref) AS dq_pref, sum(n_no_pref) AS n_no_pref,
           sum(dq_no_pref) AS dq_no_pref, sum(fees) AS fees, sum(n_fee_other) AS n_fee_other, sum(funding) AS funding,
           sum(basis) AS basis, sum(n_basis_unknown) AS n_basis_unknown
    FROM
    (
        SELECT day, toString(coin) AS coin, q0, 0. AS w_held, 0. AS turnover, 0. AS w_lag, 0. AS dq,
               0. AS dq_px, 0. AS dq_pref, toUInt64(0) AS n_no_pref, 0. AS dq_no_pref, 0. AS fees,
               toUInt64(0) AS n_fee_other, 0. AS funding, 0. AS basis, toUInt64(0) AS n_basis_unknown
        FROM sf_held
        UNION ALL
        SELECT day, toString(leg.1), 0., leg.4, leg.6, 0., 0., 0., 0., 0, 0., 0., 0, 0., 0., 0 FROM sf_legs
        UNION ALL
        SELECT day, toString(coin), 0., 0., 0., w_lag, 0., 0., 0., 0, 0., 0., 0, 0., 0., 0 FROM sf_lag_targets
        UNION ALL
        SELECT day, toString(coin), 0., 0., 0., 0., dq, dq_px, dq_pref, n_no_pref, dq_no_pref, fees, n_fee_other, 0.,
               0., 0
        FROM sf_day_fills
        UNION ALL
        SELECT day, toString(coin), 0., 0., 0., 0., 0., 0., 0., 0, 0., 0., 0, funding, 0., 0 FROM sf_funding
        UNION ALL
        SELECT x.1, coin, 0., 0., 0., 0., 0., 0., 0., 0, 0., 0., 0, 0., x.2 * basis, n_unknown
        FROM sf_basis
        ARRAY JOIN [(toDate(T) - 1, 1.), (toDate(T), -1.)] AS x
        UNION ALL
        -- a placeholder per day, so every day of the range has its row in the day totals
        SELECT day, '', 0., 0., 0., 0., 0., 0., 0., 0, 0., 0., 0, 0., 0., 0 FROM sf_days
    )
    GROUP BY day, coin
),
sf_prices AS
(
    -- Binance at every 00:00 of the range for every symbol with candles, and at the next 00:00 (lead)
    SELECT symbol, toDate(at) AS day, close AS c0,
           leadInFrame(close) OVER (PARTITION BY symbol ORDER BY at ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS c1
    FROM
    (
        SELECT p.symbol AS symbol, p.at AS at,
               if(c.open_time >= p.at - toIntervalHour(1) - toIntervalHour({price_max_age_h:UInt16}), c.close, NULL)
                   AS close
        FROM
        (
            SELECT s.symbol AS symbol, toDateTime(toDateTime({start:Date}, 'UTC') + toIntervalDay(k), 'UTC') AS at
            FROM (SELECT DISTINCT symbol FROM md_candles) AS s
            ARRAY JOIN range(toUInt32(dateDiff('day', {start:Date}, {end:Date}) + 2)) AS k
        ) AS p
        ASOF LEFT JOIN md_candles AS c ON c.symbol = p.symbol AND c.open_time <= p.at - toIntervalHour(1)
    )
),
sf_bars AS
(
    SELECT
        cd.day AS day,
        cd.coin AS coin,
        d.equity AS equity,
        px.c0 * cd.px_mult AS p0,
        px.c1 * cd.px_mult AS p1,
        p1 / p0 - 1 AS r,
        toBool(cd.coin != '' AND r IS NULL AND (cd.q0 != 0 OR cd.dq != 0 OR cd.w != 0)) AS unpriced,
        cd.q0 + cd.dq AS q1,
        transform(cd.day, {lag_days:Array(Date)}, {lag_values:Array(UInt8)}, toUInt8(2)) != 2 AS slip_day,
        -- on a slip day, a coin whose live weight (00:00 prices) is closer to the targets the book matched
        -- than to D-2's followed the wrong day: its gap to D-2 up to those targets is timing
        q1 * p0 / d.equity AS live_weight,
        slip_day AND abs(live_weight - cd.w_lag) < abs(live_weight - cd.w) AS followed_lag,
        if(followed_lag, cd.w_lag, cd.w) AS w_ref,
        -- the fills without a Binance price at their hour are read at the 00:00 close (counted)
        cd.dq_pref + cd.dq_no_pref * p0 AS dq_ref,
        cd.q0 * (p1 - p0) + cd.dq * p1 - cd.dq_px AS live_trading,
        d.sizing_equity * cd.w * r AS model_trading,
        (q1 * p0 - d.equity * w_ref) * r + (d.equity - d.sizing_equity) * cd.w * r AS sizing,
        d.equity * (w_ref - cd.w) * r - (dq_ref - cd.dq * p0) AS timing,
        -(cd.dq_px - dq_ref) AS execution,
        -cd.fees + d.fee_rate_used * cd.turnover * d.model_equity AS fees,
        cd.funding AS funding,
        cd.basis AS basis,
        cd.n_basis_unknown AS n_basis_unknown,
        cd.n_no_pref AS n_no_pref,
        cd.n_fee_other AS n_fee_other
    FROM
    (
        SELECT *,
               transform(coin, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat(coin, 'USDT')) AS symbol,
               transform(coin, {map_coins:Array(String)}, {map_mult:Array(Float64)}, 1.0) AS px_mult
        FROM sf_coin_days
    ) AS cd
    INNER JOIN sf_days AS d ON d.day = cd.day
    LEFT JOIN sf_prices AS px ON px.symbol = cd.symbol AND px.day = cd.day
),
sf_sums AS
(
    -- per day and per coin at once (one pass over sf_bars); $ and bp (each day's $ over its live equity)
    SELECT
        grouping(coin) = 1 AS is_day,
        day,
        coin,
        sumIf(live_trading, NOT unpriced) AS s_live_trading,
        sumIf(model_trading, NOT unpriced) AS s_model_trading,
        sumIf(sizing, NOT unpriced) AS s_sizing,
        sumIf(timing, NOT unpriced) AS s_timing,
        sumIf(execution, NOT unpriced) AS s_execution,
        sum(fees) AS s_fees,
        sum(funding) AS s_funding,
        sum(basis) AS s_basis,
        sumIf(live_trading / equity, NOT unpriced) * 1e4 AS s_live_trading_bp,
        sumIf(model_trading / equity, NOT unpriced) * 1e4 AS s_model_trading_bp,
        sumIf(sizing / equity, NOT unpriced) * 1e4 AS s_sizing_bp,
        sumIf(timing / equity, NOT unpriced) * 1e4 AS s_timing_bp,
        sumIf(execution / equity, NOT unpriced) * 1e4 AS s_execution_bp,
        sum(fees / equity) * 1e4 AS s_fees_bp,
        sum(funding / equity) * 1e4 AS s_funding_bp,
        sum(basis / equity) * 1e4 AS s_basis_bp,
        countIf(unpriced) AS s_n_unpriced,
        groupUniqArrayIf(coin, unpriced) AS s_unpriced_coins,
        sum(n_basis_unknown) AS s_n_basis_unknown,
        sum(n_no_pref) AS s_n_no_pref,
        sum(n_fee_other) AS s_n_fee_other,
        uniqExactIf(day, coin != '' AND (unpriced OR abs(ifNull(sizing, 0.)) + abs(ifNull(timing, 0.))
                                         + abs(ifNull(execution, 0.)) + abs(fees) + abs(funding) + abs(basis) > 0))
            AS s_n_days
    FROM sf_bars
    GROUP BY GROUPING SETS ((day), (coin))
    HAVING is_day OR coin != ''
)
SELECT
    if(ifNull(s.is_day, true), 'day', 'symbol') AS kind,
    if(kind = 'day', b.day, NULL) AS day,
    if(kind = 'symbol', s.coin, NULL) AS sym,
    toDateTime64(b.t0, 3, 'UTC') AS t0, toDateTime64(b.t1, 3, 'UTC') AS t1, b.equity AS equity,
    b.equity_next AS equity_next, b.flows AS flows, b.live_pnl AS live_pnl, b.model_equity AS model_equity,
    b.model_pnl AS model_pnl, b.model_fee AS model_fee,
    b.live_pnl - b.model_pnl AS gap, gap / b.equity * 1e4 AS gap_bp,
    (b.live_pnl / b.equity - (b.growth - 1)) * 1e4 AS active_rebased_bp,
    ifNull(b.in_range, true) AS in_range,
    if({fee_on:Bool}, md_fee_rate, 0.) AS fee_rate,
    s.s_live_trading AS live_trading, s.s_model_trading AS model_trading,
    s.s_sizing AS sizing, s.s_timing AS timing, s.s_execution AS execution, s.s_fees AS fees, s.s_funding AS funding,
    s.s_basis AS basis,
    if(kind = 'day' AND b.in_range, gap - (s.s_sizing + s.s_timing + s.s_execution + s.s_fees + s.s_funding + s.s_basis), NULL)
        AS residual,
    s.s_sizing_bp AS sizing_bp, s.s_timing_bp AS timing_bp, s.s_execution_bp AS execution_bp, s.s_fees_bp AS fees_bp,
    s.s_funding_bp AS funding_bp, s.s_basis_bp AS basis_bp, s.s_live_trading_bp AS live_trading_bp,
    s.s_model_trading_bp AS model_trading_bp,
    if(kind = 'day' AND b.in_range, gap_bp - (s.s_sizing_bp + s.s_timing_bp + s.s_execution_bp + s.s_fees_bp + s.s_funding_bp
                                              + s.s_basis_bp), NULL) AS residual_bp,
    if(kind = 'day', toUInt8(transform(b.day, {lag_days:Array(Date)}, {lag_values:Array(UInt8)}, toUInt8(2))), NULL)
        AS timing_lag,
    s.s_n_unpriced AS n_unpriced, s.s_unpriced_coins AS unpriced_coins, s.s_n_basis_unknown AS n_basis_unknown,
    s.s_n_no_pref AS n_no_pref, s.s_n_fee_other AS n_fee_other, s.s_n_days AS n_days
FROM sf_all_days AS b
FULL OUTER JOIN sf_sums AS s ON s.day = b.day
ORDER BY kind, day, abs(ifNull(sizing, 0.)) + abs(ifNull(timing, 0.)) + abs(ifNull(execution, 0.)) DESC, sym
