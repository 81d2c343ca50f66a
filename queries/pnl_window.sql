-- PnL of the UTC days [start, end] and its parts, computed between two marks so they reconcile.
--
-- The window is [T0, T1) = [start 00:00, end + 1 day 00:00) UTC. Each end of it has a mark:
-- an account snapshot (equity) and, when there is one, the positions snapshot it is
-- paired with (unrealized PnL), so both are read at (nearly) the same moment:
--   * positions mark p0: the newest positions row at or before T0, not older than
--     {pos_max_age_min} minutes; p1: the newest one before T1, not older than that before
--     the last usable account snapshot before T1. The snapshot at a mark is its round: the
--     rows within {round_ms} ms of it (either side: a pass may straddle T0), each coin's
--     newest row (one monitor pass stamps its coins a moment apart; a coin absent from the
--     round is flat).
--   * equity mark t0 (t1): the usable account snapshot nearest to p0 (p1), at most
--     {pair_tol_min} minutes away; without a positions mark (or no account snapshot that
--     close), the last usable account snapshot at or before T0 (looked back
--     {lookback_days} days) or, when the data starts later, the first one after T0; at
--     the end, the last one before T1.
--   * unrealized_start/end: the sum of unrealized_pnl over the round at p0/p1; without a
--     positions mark, 0 when the account reports no open notional (total_ntl_pos = 0: a
--     flat book has no rows), else NULL.
-- A usable account snapshot has a finite account_value > 0. Every flow and PnL event with
-- t0 < time <= t1 is counted, so
--   equity_end - equity_start = flows + realized - fees + funding
--                               + (unrealized_end - unrealized_start) + residual
-- where the residual is what the tables do not explain (prices moving between paired
-- snapshots, rounding, fees in other tokens).
--   flows            ledger usdc (deposits +, withdrawals -): never PnL
--   realized, fees   sum of closed_pnl and fee over fills (fee > 0 is paid); fees in USD tokens
--                    only: a fee in another token is counted in n_fee_other_token and left to
--                    the residual (the account value already reflects it); NaN/inf values skipped
--   funding          sum of funding usdc (+ received)
-- Synced duplicates are removed on each table's natural key before summing. Only the
-- sums read the whole window; the marks read a few rows around T0 and T1.
-- Parameters: start, end (Date), lookback_days, pos_max_age_min, pair_tol_min (UInt16), round_ms (UInt32).
WITH
    toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC') AS T0,
    toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC') AS T1,
    (
        SELECT maxOrNull(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts <= T0 AND ts >= T0 - toIntervalDay({lookback_days:UInt16})
          AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
    ) AS a0_before,
    (
        SELECT minOrNull(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts > T0 AND ts < T1 AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
    ) AS a0_after,
    (
        SELECT maxOrNull(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts < T1 AND ts >= T0 - toIntervalDay({lookback_days:UInt16})
          AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
    ) AS a1,
    ifNull(a0_before, a0_after) AS a0,
    (
        SELECT maxOrNull(ts) FROM {positions_db:Identifier}.{positions_tbl:Identifier}
        WHERE ts <= T0 AND ts >= T0 - toIntervalMinute({pos_max_age_min:UInt16})
    ) AS p0,
    (
        SELECT maxOrNull(ts) FROM {positions_db:Identifier}.{positions_tbl:Identifier}
        WHERE ts < T1 AND ts >= ifNull(a1, T1) - toIntervalMinute({pos_max_age_min:UInt16})
    ) AS p1,
    (
        SELECT argMinOrNull(ts, abs(dateDiff('millisecond', ts, p0)))
        FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts >= p0 - toIntervalMinute({pair_tol_min:UInt16}) AND ts <= p0 + toIntervalMinute({pair_tol_min:UInt16})
          AND ts < T1 AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
    ) AS e0,
    (
        SELECT argMinOrNull(ts, abs(dateDiff('millisecond', ts, p1)))
        FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts >= p1 - toIntervalMinute({pair_tol_min:UInt16}) AND ts <= p1 + toIntervalMinute({pair_tol_min:UInt16})
          AND ts < T1 AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
    ) AS e1,
    ifNull(e0, a0) AS t0,
    ifNull(e1, a1) AS t1,
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
            LIMIT 1 BY account, time, hash
        )
    ),
    round_rows AS
    (
        SELECT
            if(abs(dateDiff('millisecond', ts, ifNull(p0, T0))) <= {round_ms:UInt32} AND p0 IS NOT NULL, 0, 1) AS side,
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
            countIf(u IS NULL AND szi != 0) AS n_unrealized_null
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
    if(e0 IS NOT NULL, toDateTime64(p0, 3, 'UTC'), NULL) AS unrealized_start_ts,
    multiIf(t0 IS NULL, NULL, e0 IS NOT NULL, u.u0, (SELECT total_ntl_pos FROM marks WHERE ts = t0) = 0, 0., NULL)
        AS unrealized_start,
    if(e1 IS NOT NULL, toDateTime64(p1, 3, 'UTC'), NULL) AS unrealized_end_ts,
    multiIf(t1 IS NULL, NULL, e1 IS NOT NULL, u.u1, (SELECT total_ntl_pos FROM marks WHERE ts = t1) = 0, 0., NULL)
        AS unrealized_end,
    ifNull(u.n_unrealized_null, 0) AS n_unrealized_null
FROM fills AS f
CROSS JOIN fund AS fu
CROSS JOIN flows AS fl
CROSS JOIN upnl AS u
