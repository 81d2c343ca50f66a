-- The model book beside the live book: one row per holdings day (kind 'day') from start - {history_days}
-- to end, and, with {hourly}, the model's equity at every whole hour of the range (kind 'hour').
-- The model book and the marks are defined in model_days.sql (pasted at the head of the WITH list).
--
-- kind 'day' (every day of md_first .. end; the model's columns NULL before start):
--   day, t0 / t1           the live marks' snapshot times at the day's 00:00 and the next day's
--   equity / equity_next   the live book's equity at those marks (E)
--   mark_age_s             |t0 - 00:00| in seconds (a mark is normally seconds away)
--   flows, n_flows         deposits (+) / withdrawals (-) in (t0, t1]: never PnL, the model gets the same
--   live_pnl               equity_next - equity - flows
--   target_date            the targets the model holds (D-2; an older date when D-2 has none; NULL: none)
--   model_return           the model's return of the day, net of its fee: growth - 1
--   turnover, fee_rate     sum |w - drifted w| and the fee rate applied (0 without fees; NULL: the range has
--                          no traded notional to take the desk's rate from, so the model paid none)
--   model_equity / model_equity_next, model_fee, model_pnl   M(D), M(D+1), its fee and its PnL (ex flows)
--   gap                    live_pnl - model_pnl ($): the day's active return in dollars
--   gap_bp                 gap / equity * 1e4: the day's active return in bp of the live book's equity
--   active_rebased_bp      (live_pnl / equity - model_return) * 1e4: the same with the model re-based to the
--                          live equity each day (defined before the range starts too: the band's history)
--   n_model_unpriced       target legs held as cash that day (no Binance price at one end)
--   in_range               the day is one of the range's (the others are the band's look-back)
-- kind 'hour' (with {hourly}): ts (every whole hour from start 00:00 to end + 1 day 00:00), model_equity:
--   (M(D) - fee(D)) * (1 + sum of w * (B(ts) / B(00:00) - 1)) + the day's flows up to ts; ts = 00:00 is
--   M(D) before the rebalance. n_stale counts legs without a price at ts (carried at the 00:00 price).
-- Parameters: those of model_days.sql, and hourly (Bool).
WITH
__MODEL_DAYS__,
hour_returns AS
(
    -- the model's return from each day's 00:00 to every whole hour of it (legs from md_model_days)
    SELECT l.day AS day, l.k AS k,
           sumIf(l.leg.4 * (c.close * l.leg.3 / l.leg.5 - 1), c.close IS NOT NULL
                 AND c.open_time >= l.at - toIntervalHour(1) - toIntervalHour({price_max_age_h:UInt16})) AS r,
           countIf(NOT (c.close IS NOT NULL
                        AND c.open_time >= l.at - toIntervalHour(1) - toIntervalHour({price_max_age_h:UInt16})))
               AS n_stale
    FROM
    (
        SELECT day, k, toDateTime(toDateTime(day, 'UTC') + toIntervalHour(k), 'UTC') AS at, leg
        FROM md_model_days
        ARRAY JOIN arrayFilter(x -> x.4 != 0, legs) AS leg
        ARRAY JOIN range(1, 24) AS k
        WHERE {hourly:Bool} AND day >= {start:Date}
    ) AS l
    ASOF LEFT JOIN md_candles AS c ON c.symbol = l.leg.2 AND c.open_time <= l.at - toIntervalHour(1)
    GROUP BY l.day, l.k
),
points AS
(
    SELECT b.*, k, toDateTime64(toDateTime(b.day, 'UTC') + toIntervalHour(k), 3, 'UTC') AS ts
    FROM md_book AS b
    ARRAY JOIN if({hourly:Bool} AND b.in_range, range(0, 24), [0]) AS k
)
SELECT
    if(p.k = 0, 'day', 'hour') AS kind,
    p.day AS day,
    p.ts AS ts,
    if(p.k = 0, toDateTime64(p.t0, 3, 'UTC'), NULL) AS t0,
    if(p.k = 0, toDateTime64(p.t1, 3, 'UTC'), NULL) AS t1,
    if(p.k = 0, p.equity, NULL) AS equity,
    if(p.k = 0, p.equity_next, NULL) AS equity_next,
    if(p.k = 0, abs(dateDiff('millisecond', p.T, p.t0)) / 1000, NULL) AS mark_age_s,
    if(p.k = 0, p.flows, arraySum(x -> x.2, arrayFilter(x -> x.1 > p.t0 AND x.1 <= p.ts, p.ledger))) AS flows,
    if(p.k = 0, p.n_flows, NULL) AS n_flows,
    if(p.k = 0, p.live_pnl, NULL) AS live_pnl,
    if(p.k = 0, p.target_date, NULL) AS target_date,
    if(p.k = 0 AND p.in_range, p.growth - 1, NULL) AS model_return,
    if(p.k = 0, p.turnover, NULL) AS turnover,
    if(p.k = 0, if({fee_on:Bool}, md_fee_rate, 0.), NULL) AS fee_rate,
    if(p.k = 0, p.model_equity,
       (p.model_equity - p.model_fee) * (1 + ifNull(h.r, 0.)) + flows) AS model_equity,
    if(p.k = 0, p.model_equity_next, NULL) AS model_equity_next,
    if(p.k = 0, p.model_fee, NULL) AS model_fee,
    if(p.k = 0, p.model_pnl, NULL) AS model_pnl,
    if(p.k = 0, p.live_pnl - p.model_pnl, NULL) AS gap,
    if(p.k = 0, gap / p.equity * 1e4, NULL) AS gap_bp,
    if(p.k = 0, (p.live_pnl / p.equity - (p.growth - 1)) * 1e4, NULL) AS active_rebased_bp,
    if(p.k = 0, p.n_model_unpriced, NULL) AS n_model_unpriced,
    p.in_range AS in_range,
    toUInt32(ifNull(h.n_stale, 0)) AS n_stale
FROM points AS p
LEFT JOIN hour_returns AS h ON h.day = p.day AND h.k = p.k
ORDER BY ts, kind
