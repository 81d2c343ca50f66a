-- PnL of a window (whole UTC days, or the last 24 hours) and its parts, computed between two marks so they
-- reconcile.
--
-- One marking rule, the headline's (headline.sql): the window runs from the start instant
-- T0 (start 00:00 UTC for whole days) to the end instant T1 (end + 1 day 00:00 UTC), and
--   * the START mark t0 is start_mark.sql's (the equity series' too): the last usable account
--     snapshot at or before T0 (looked back {lookback_days} days), or the first one after T0 when
--     the data starts later;
--   * the END mark t1 is the last usable account snapshot at or before T1: the newest one
--     when the range reaches the present.
-- A usable account snapshot has a finite account_value > 0. Every flow and PnL event with
-- t0 < time <= t1 is counted (the same instants as the marks), so
--   equity_end - equity_start = flows + realized - fees + funding
--                               + (unrealized_end - unrealized_start) + residual
-- where the residual is what the tables do not explain: prices moving between a positions
-- round and its equity mark, rounding, fees in other tokens.
--   flows            ledger usdc (deposits +, withdrawals -): never PnL
--   realized, fees   sum of closed_pnl and fee over fills (fee > 0 is paid); fees in USD tokens
--                    only: a fee in another token is counted in n_fee_other_token and left to
--                    the residual (the account value already reflects it); NaN/inf values skipped
--   funding          sum of funding usdc (+ received)
--   unrealized_start/end  the sum of unrealized_pnl over the positions round nearest to
--                    t0/t1 (at most {pos_max_age_min} minutes away, never after T1, never after a
--                    fill that follows the mark and never before a fill that precedes it, so the round
--                    holds the mark's book: at 00:07 the 23:59:30 round is the book before the
--                    rebalance, not the mark's): its rows
--                    within {round_ms} ms of that row, each coin's newest; without such a
--                    round, 0 when the account reports no open notional (total_ntl_pos = 0:
--                    a flat book has no rows), else NULL. unrealized_*_ts say which round.
-- Synced duplicates are removed on each table's natural key before summing. Only the
-- sums read the whole window; the marks read a few rows around T0 and T1.
-- Parameters: t_from, t_to (DateTime64: the window), lookback_days, pos_max_age_min (UInt16), round_ms (UInt32).
WITH
    {t_from:DateTime64(3, 'UTC')} AS T0,
    {t_to:DateTime64(3, 'UTC')} AS T1,
    __START_MARK__,
    start_mark_ts AS t0,
    (
        SELECT maxOrNull(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts <= T1 AND ts >= T0 - toIntervalDay({lookback_days:UInt16})
          AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
    ) AS t1,
    (
        SELECT minOrNull(time) FROM {trades_db:Identifier}.{trades_tbl:Identifier}
        WHERE time > t0 AND time <= t0 + toIntervalMinute({pos_max_age_min:UInt16})
    ) AS fill_after_t0,
    (
        SELECT minOrNull(time) FROM {trades_db:Identifier}.{trades_tbl:Identifier}
        WHERE time > t1 AND time <= t1 + toIntervalMinute({pos_max_age_min:UInt16})
    ) AS fill_after_t1,
    (
        SELECT maxOrNull(time) FROM {trades_db:Identifier}.{trades_tbl:Identifier}
        WHERE time <= t0 AND time > t0 - toIntervalMinute({pos_max_age_min:UInt16})
    ) AS fill_before_t0,
    (
        SELECT maxOrNull(time) FROM {trades_db:Identifier}.{trades_tbl:Identifier}
        WHERE time <= t1 AND time > t1 - toIntervalMinute({pos_max_age_min:UInt16})
    ) AS fill_before_t1,
    (
        SELECT argMinOrNull(ts, abs(dateDiff('millisecond', ts, t0)))
        FROM {positions_db:Identifier}.{positions_tbl:Identifier}
        WHERE ts >= t0 - toIntervalMinute({pos_max_age_min:UInt16}) AND ts <= t0 + toIntervalMinute({pos_max_age_min:UInt16})
          AND ts <= T1 AND (ts <= t0 OR fill_after_t0 IS NULL OR ts < fill_after_t0)
          AND (ts >= t0 OR fill_before_t0 IS NULL OR ts > fill_before_t0)
    ) AS p0,
    (
        SELECT argMinOrNull(ts, abs(dateDiff('millisecond', ts, t1)))
        FROM {positions_db:Identifier}.{positions_tbl:Identifier}
        WHERE ts >= t1 - toIntervalMinute({pos_max_age_min:UInt16}) AND ts <= t1 + toIntervalMinute({pos_max_age_min:UInt16})
          AND ts <= T1 AND (ts <= t1 OR fill_after_t1 IS NULL OR ts < fill_after_t1)
          AND (ts >= t1 OR fill_before_t1 IS NULL OR ts > fill_before_t1)
    ) AS p1,
    marks AS
    (
        SELECT ts, argMax(account_value, synced_at) AS equity, argMax(total_ntl_pos, synced_at) AS total_ntl_pos
        FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts IN (t0, t1)
        GROUP BY ts
    ),
    fills AS
    (
        SELECT
            sumIf(closed_pnl, isFinite(closed_pnl)) AS realized,
            sumIf(fee, has(['USDC', 'USD', 'USDT'], fee_token) AND isFinite(fee)) AS fees,
            countIf(NOT has(['USDC', 'USD', 'USDT'], fee_token) AND fee != 0) AS n_fee_other_token,
            count() AS n_fills
        FROM
        (
            SELECT closed_pnl, fee, fee_token
            FROM {trades_db:Identifier}.{trades_tbl:Identifier}
            WHERE time > t0 AND time <= t1
            ORDER BY synced_at DESC
            LIMIT 1 BY account, tid
        )
    ),
    fund AS
    (
        SELECT sum(usdc) AS funding, count() AS n_funding
        FROM
        (
            SELECT usdc
            FROM {funding_db:Identifier}.{funding_tbl:Identifier}
            WHERE time > t0 AND time <= t1
            ORDER BY synced_at DESC
            LIMIT 1 BY account, coin, time
        )
    ),
    flows AS
    (
        SELECT sum(usdc) AS flows, sumIf(usdc, usdc > 0) AS deposits, sumIf(usdc, usdc < 0) AS withdrawals,
               count() AS n_flows
        FROM
        (
            SELECT usdc
            FROM {ledger_db:Identifier}.{ledger_tbl:Identifier}
            WHERE time > t0 AND time <= t1
            ORDER BY synced_at DESC
            LIMIT 1 BY account, time, hash
        )
    ),
    round_rows AS
    (
        -- a row near both marks (p0 and p1 in one round) counts for both sides
        SELECT
            arrayJoin(arrayFilter(x -> x >= 0, [
                if(p0 IS NOT NULL AND abs(dateDiff('millisecond', ts, assumeNotNull(p0))) <= {round_ms:UInt32}, 0, -1),
                if(p1 IS NOT NULL AND abs(dateDiff('millisecond', ts, assumeNotNull(p1))) <= {round_ms:UInt32}, 1, -1)
            ])) AS side,
            account, coin, argMax(tuple(unrealized_pnl), (ts, synced_at)).1 AS u, argMax(szi, (ts, synced_at)) AS szi
        FROM {positions_db:Identifier}.{positions_tbl:Identifier}
        WHERE (p0 IS NOT NULL AND ts >= p0 - toIntervalMillisecond({round_ms:UInt32})
                              AND ts <= p0 + toIntervalMillisecond({round_ms:UInt32}))
           OR (p1 IS NOT NULL AND ts >= p1 - toIntervalMillisecond({round_ms:UInt32})
                              AND ts <= p1 + toIntervalMillisecond({round_ms:UInt32}))
        GROUP BY side, account, coin
    ),
    upnl AS
    (
        SELECT
            sumOrNullIf(u, side = 0) AS u0,
            sumOrNullIf(u, side = 1) AS u1,
            countIf(u IS NULL AND szi != 0 AND side = 1) AS n_unrealized_null
        FROM round_rows
    )
SELECT
    T0 AS t_from,
    T1 AS t_to,
    toDateTime64(t0, 3, 'UTC') AS equity_start_ts,
    (SELECT equity FROM marks WHERE ts = t0) AS equity_start,
    toDateTime64(t1, 3, 'UTC') AS equity_end_ts,
    (SELECT equity FROM marks WHERE ts = t1) AS equity_end,
    ifNull(fl.flows, 0.) AS flows,
    ifNull(fl.deposits, 0.) AS deposits,
    ifNull(fl.withdrawals, 0.) AS withdrawals,
    ifNull(fl.n_flows, 0) AS n_flows,
    ifNull(f.realized, 0.) AS realized,
    ifNull(f.fees, 0.) AS fees,
    ifNull(f.n_fills, 0) AS n_fills,
    ifNull(f.n_fee_other_token, 0) AS n_fee_other_token,
    ifNull(fu.funding, 0.) AS funding,
    ifNull(fu.n_funding, 0) AS n_funding,
    toDateTime64(p0, 3, 'UTC') AS unrealized_start_ts,
    multiIf(t0 IS NULL, NULL, p0 IS NOT NULL, u.u0, (SELECT total_ntl_pos FROM marks WHERE ts = t0) = 0, 0., NULL)
        AS unrealized_start,
    toDateTime64(p1, 3, 'UTC') AS unrealized_end_ts,
    multiIf(t1 IS NULL, NULL, p1 IS NOT NULL, u.u1, (SELECT total_ntl_pos FROM marks WHERE ts = t1) = 0, 0., NULL)
        AS unrealized_end,
    ifNull(u.n_unrealized_null, 0) AS n_unrealized_null
FROM fills AS f
CROSS JOIN fund AS fu
CROSS JOIN flows AS fl
CROSS JOIN upnl AS u
