-- FRAGMENT (not a statement): the model book day by day, and the live book's marks it is read against.
-- queries/tracking/model_book.py pastes it, unchanged, at the head of a WITH list (model_book.sql,
-- shortfall.sql); it defines the aliases md_first, md_lo, md_hi and the CTEs md_*, and ends without a
-- trailing comma.
--
-- The model book is a paper portfolio that follows the model exactly:
--   * holdings: at each holdings day D's 00:00 UTC it holds the T+2 targets (dated D-2; when that day
--     has none, the newest targets at most {targets_max_age_days} days older, said by target_date),
--     sized on its own equity;
--   * prices: Binance hourly closes. B(coin, T) is the close of the candle opening at T - 1 h (the
--     coin's mapped symbol, times the map's multiplier); a missing or non-positive close is replaced by
--     the newest valid close at most {price_max_age_h} hours older; none: NULL. A leg whose price is
--     NULL at either end of its day is held as cash that day (counted in n_model_unpriced);
--   * start: the live book's equity at the first day's mark (below), M(start) = E(start);
--   * flows: the live book's deposits and withdrawals, on the same days (ledger rows between the marks);
--   * costs: none, or with {fee_on} the desk's own fee rate c = fees / traded notional of the live
--     book's fills between the range's first and last mark, on the model's turnover:
--       turnover(D) = sum |w(D) - w~(D)| with w~ yesterday's holdings drifted to today's 00:00
--       (w(D-1) * (1 + R(D-1)) / (1 + g(D-1))), and fee(D) = c * turnover(D) * M(D), paid at 00:00.
-- Day by day (R = B(T+1)/B(T) - 1, g = sum of w * R over the day's priced legs):
--       M(D+1) = (M(D) - fee(D)) * (1 + g(D)) + flows(D)
-- computed in closed form (window sums of ln growth), so the statement never loops over days.
--
-- The live book's mark at an instant T (each 00:00 UTC): the usable account snapshot (finite equity > 0,
-- synced duplicates removed with the newest synced_at winning) nearest T within {mark_max_age_s}
-- seconds and never after the first fill that follows T (so it holds the book going into the
-- rebalance); ties go to the earlier one. Without one, the last usable snapshot at or before T (looked
-- back {lookback_days} days), its age said by mark_age_s. Every flow, fill and funding payment is
-- counted between two marks' snapshot times, (t0, t1], the same instants the equity is read at.
--
-- Days: md_first = start - {history_days} (the band's look-back) .. end. Columns of md_book (one row per
-- day): see model_book.sql. Parameters: start, end (Date), history_days, lookback_days,
-- targets_max_age_days (UInt16), mark_max_age_s (UInt32), price_max_age_h (UInt16), fee_on (Bool),
-- map_coins, map_symbols, map_mult.
toDate({start:Date} - toIntervalDay({history_days:UInt16})) AS md_first,
toDateTime64(toDateTime(md_first, 'UTC'), 3, 'UTC') AS md_lo,
toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC') AS md_hi,
(
    -- the desk's own fee rate over the range's days (perp fills; fees in USD tokens): fees / traded notional
    SELECT if({fee_on:Bool},
              sumIf(fee, fee_token IN ('USDC', 'USD', 'USDT') AND isFinite(fee))
                  / nullIf(sumIf(px * sz, isFinite(px) AND px > 0 AND isFinite(sz) AND sz > 0), 0),
              0.)
    FROM
    (
        SELECT px, sz, fee, fee_token
        FROM {trades_db:Identifier}.{trades_tbl:Identifier}
        WHERE time >= toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC') AND time < md_hi
          AND NOT (startsWith(coin, '@') OR position(coin, '/') > 0)
        ORDER BY synced_at DESC
        LIMIT 1 BY account, tid
    )
) AS md_fee_rate,
md_instants AS
(
    SELECT toDateTime64(toDateTime(md_first, 'UTC') + toIntervalDay(number), 3, 'UTC') AS T, toUInt8(1) AS one
    FROM numbers(toUInt64(dateDiff('day', md_first, {end:Date}) + 2))
),
md_fill_times AS
(
    SELECT DISTINCT time, toUInt8(1) AS one
    FROM {trades_db:Identifier}.{trades_tbl:Identifier}
    WHERE time > md_lo AND time <= md_hi + toIntervalDay(1)
),
md_next_fill AS
(
    SELECT i.T AS T, i.one AS one, f.time AS next_fill
    FROM md_instants AS i
    ASOF LEFT JOIN md_fill_times AS f ON i.one = f.one AND f.time > i.T
),
md_snaps AS
(
    SELECT ts, argMax(tuple(account_value), synced_at).1 AS equity, toUInt8(1) AS one
    FROM {account_db:Identifier}.{account_tbl:Identifier}
    WHERE ts >= md_lo - toIntervalDay({lookback_days:UInt16})
      AND ts <= md_hi + toIntervalSecond({mark_max_age_s:UInt32})
    GROUP BY account, ts
    HAVING equity IS NOT NULL AND isFinite(equity) AND equity > 0
),
md_marks AS
(
    SELECT
        n.T AS T,
        n.next_fill AS next_fill,
        b.ts AS ts_before,
        b.equity AS eq_before,
        a.ts AS ts_after,
        a.equity AS eq_after,
        a.ts IS NOT NULL AND a.ts <= n.T + toIntervalSecond({mark_max_age_s:UInt32})
            AND (n.next_fill IS NULL OR a.ts < n.next_fill) AS after_ok,
        b.ts IS NOT NULL AND b.ts >= n.T - toIntervalDay({lookback_days:UInt16}) AS before_ok,
        after_ok AND (b.ts IS NULL OR b.ts < n.T - toIntervalSecond({mark_max_age_s:UInt32})
                      OR dateDiff('millisecond', n.T, a.ts) < dateDiff('millisecond', b.ts, n.T)) AS use_after,
        if(use_after, a.ts, if(before_ok, b.ts, NULL)) AS mark_ts,
        if(use_after, a.equity, if(before_ok, b.equity, NULL)) AS equity
    FROM md_next_fill AS n
    ASOF LEFT JOIN md_snaps AS b ON n.one = b.one AND b.ts <= n.T
    ASOF LEFT JOIN md_snaps AS a ON n.one = a.one AND a.ts > n.T
),
md_ledger AS
(
    SELECT time, argMax(usdc, synced_at) AS usdc, toUInt8(1) AS one
    FROM {ledger_db:Identifier}.{ledger_tbl:Identifier}
    WHERE time > md_lo - toIntervalDay({lookback_days:UInt16}) AND time <= md_hi + toIntervalDay(1)
    GROUP BY account, time, hash
),
md_candles AS
(
    SELECT symbol, open_time, close
    FROM {klines_db:Identifier}.{klines_tbl:Identifier}
    WHERE open_time >= toDateTime(md_first, 'UTC') - toIntervalDay(2) - toIntervalHour({price_max_age_h:UInt16})
      AND open_time < toDateTime(md_hi) + toIntervalDay(1)
      AND isFinite(close) AND close > 0
    LIMIT 1 BY symbol, open_time
),
md_targets AS
(
    SELECT date, sym, weight
    FROM {targets_db:Identifier}.{targets_tbl:Identifier}
    WHERE date >= md_first - 3 - {targets_max_age_days:UInt16} AND date <= {end:Date} - 2
    LIMIT 1 BY date, sym
),
md_days AS
(
    -- the day before md_first too: the holdings the first day rebalances from
    SELECT toDate(md_first - 1 + number) AS day, toUInt8(1) AS one
    FROM numbers(toUInt64(dateDiff('day', md_first, {end:Date}) + 2))
),
md_day_targets AS
(
    SELECT d.day AS day, if(t.date >= d.day - 2 - {targets_max_age_days:UInt16}, t.date, NULL) AS target_date
    FROM md_days AS d
    ASOF LEFT JOIN (SELECT DISTINCT date, toUInt8(1) AS one FROM md_targets) AS t ON d.one = t.one AND t.date <= d.day - 2
),
md_held AS
(
    SELECT
        d.day AS day,
        t.sym AS coin,
        t.weight AS w,
        transform(t.sym, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat(t.sym, 'USDT')) AS bn_symbol,
        transform(t.sym, {map_coins:Array(String)}, {map_mult:Array(Float64)}, 1.0) AS px_mult
    FROM md_day_targets AS d
    INNER JOIN md_targets AS t ON t.date = d.target_date
),
md_day_points AS
(
    SELECT DISTINCT bn_symbol AS symbol, toDateTime(toDateTime(day, 'UTC') + toIntervalDay(k), 'UTC') AS at
    FROM md_held
    ARRAY JOIN [0, 1] AS k
),
md_day_prices AS
(
    SELECT p.symbol AS symbol, p.at AS at,
           if(c.open_time >= p.at - toIntervalHour(1) - toIntervalHour({price_max_age_h:UInt16}), c.close, NULL) AS close
    FROM md_day_points AS p
    ASOF LEFT JOIN md_candles AS c ON c.symbol = p.symbol AND c.open_time <= p.at - toIntervalHour(1)
),
md_legs AS
(
    -- one row per (day, coin) the model holds: weight, the day's two Binance prices, its return
    SELECT
        h.day AS day,
        h.coin AS coin,
        h.bn_symbol AS bn_symbol,
        h.px_mult AS px_mult,
        h.w AS w,
        p0.close * h.px_mult AS p0,
        p1.close * h.px_mult AS p1,
        p1 / p0 - 1 AS r,
        if(r IS NULL, 0., h.w) AS w_held,
        sum(w_held * ifNull(r, 0.)) OVER (PARTITION BY h.day) AS g
    FROM md_held AS h
    LEFT JOIN md_day_prices AS p0 ON p0.symbol = h.bn_symbol AND p0.at = toDateTime(h.day, 'UTC')
    LEFT JOIN md_day_prices AS p1 ON p1.symbol = h.bn_symbol AND p1.at = toDateTime(h.day + 1, 'UTC')
),
md_model_days AS
(
    -- per day: the gross return g, the turnover against yesterday's holdings drifted to today's 00:00 (as a
    -- fraction of the equity before flows), the legs held as cash, and per coin (coin, Binance symbol,
    -- multiplier, weight held, 00:00 price, turnover) for the hourly curve and the per-symbol split
    SELECT
        day,
        max(g_in) AS g,
        sum(turnover) AS day_turnover,
        sum(unpriced) AS n_unpriced,
        groupArrayIf((coin, bn_symbol, px_mult, held, p0, turnover), held != 0 OR turnover != 0) AS legs
    FROM
    (
        SELECT on_day AS day, coin, any(bn_symbol) AS bn_symbol, any(px_mult) AS px_mult, anyIf(g_today, today = 1) AS g_in,
               sum(w_in) AS held, sum(w_out) AS drifted, abs(held - drifted) AS turnover,
               sum(is_unpriced) AS unpriced, anyIf(p0_in, today = 1 AND w_in != 0) AS p0
        FROM
        (
            SELECT x.1 AS on_day, coin, bn_symbol, px_mult, x.2 AS w_in, x.3 AS w_out, x.4 AS g_today,
                   x.5 AS is_unpriced, x.6 AS today, p0 AS p0_in
            FROM md_legs
            ARRAY JOIN [
                (day, w_held, 0., g, toUInt32(r IS NULL AND w != 0), toUInt8(1)),
                (day + 1, 0., w_held * (1 + ifNull(r, 0.)) / (1 + g), 0., toUInt32(0), toUInt8(0))
            ] AS x
        )
        WHERE on_day <= {end:Date}
        GROUP BY on_day, coin
    )
    GROUP BY day
),
md_marked AS
(
    -- each day's mark and the next day's, the flows between them
    SELECT
        toDate(T) AS day,
        T,
        mark_ts AS t0,
        equity,
        leadInFrame(mark_ts) OVER w AS t1,
        leadInFrame(equity) OVER w AS equity_next,
        (SELECT groupArray((time, usdc)) FROM md_ledger) AS ledger,
        arrayFilter(x -> t0 IS NOT NULL AND x.1 > t0 AND (t1 IS NULL OR x.1 <= t1), ledger) AS day_flows,
        arraySum(x -> x.2, day_flows) AS flows,
        length(day_flows) AS n_flows
    FROM md_marks
    WINDOW w AS (ORDER BY T ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)
),
md_daily AS
(
    SELECT
        m.day AS day,
        m.T AS T,
        m.t0 AS t0,
        m.equity AS equity,
        m.t1 AS t1,
        m.equity_next AS equity_next,
        m.flows AS flows,
        m.n_flows AS n_flows,
        m.ledger AS ledger,
        dt.target_date AS target_date,
        ifNull(md.g, 0.) AS g,
        ifNull(md.n_unpriced, 0) AS n_model_unpriced,
        ifNull(md.day_turnover, 0.) AS turnover,
        md.legs AS legs,
        ifNull(md_fee_rate, 0.) AS fee_rate_used,
        (1 - fee_rate_used * turnover) * (1 + g) AS growth,
        m.equity_next - m.equity - m.flows AS live_pnl,
        toBool(m.day >= {start:Date}) AS in_range,
        -- within the range: ln of each day's growth (nan for a growth <= 0: the model is unknown from there)
        if(in_range, if(growth > 0, ln(growth), nan), 0.) AS ln_growth
    FROM md_marked AS m
    LEFT JOIN md_day_targets AS dt ON dt.day = m.day
    LEFT JOIN md_model_days AS md ON md.day = m.day
    WHERE m.day <= {end:Date}
),
md_chain AS
(
    SELECT *,
           sum(ln_growth) OVER (ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_ln,
           argMinIf(tuple(equity), day, in_range) OVER () AS start_mark
    FROM md_daily
),
md_scaled AS
(
    SELECT *,
           start_mark.1 AS model_start,
           exp(cum_ln - ln_growth) AS a_before,
           ifNull(sum(if(in_range, flows / exp(cum_ln), 0.))
                      OVER (ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0.) AS flows_discounted
    FROM md_chain
),
md_book AS
(
    -- M(D) = prod(growth before D) * (M(start) + sum over earlier days of flows / prod(growth through that day))
    SELECT *,
           if(in_range AND isFinite(a_before * (model_start + flows_discounted)),
              a_before * (model_start + flows_discounted), NULL) AS model_equity,
           fee_rate_used * turnover * model_equity AS model_fee,
           model_equity * growth + flows AS model_equity_next,
           model_equity_next - model_equity - flows AS model_pnl
    FROM md_scaled
)
