-- FRAGMENT (not a statement): the time-weighted sub-periods of the account's equity.
-- queries/book/overview.py pastes it, unchanged, into statements that define the WITH aliases
-- lo_ts and hi_ts (DateTime64(3, 'UTC')); it defines the CTEs sp_snaps, sp_chain, sp_flows
-- and subperiods, and ends without a trailing comma.
--
-- One sub-period runs from one usable account snapshot (account_value finite and > 0) to
-- the next, for every snapshot in [lo_ts, hi_ts]: the finest resolution the data has, the
-- same for every range, so a statistic never depends on how long the range is.
--   ts, equity            the sub-period's end snapshot
--   prev_ts, prev_equity  its start (the previous usable snapshot; NULL for the first row,
--                         the start mark at lo_ts)
--   flows                 net deposits (+) / withdrawals (-) with prev_ts < time <= ts: a
--                         ledger row belongs to the first usable snapshot at or after it
--   flows_weighted        sum of usdc * (ts - time) / (ts - prev_ts)
--   ret                   (equity - prev_equity - flows) / (prev_equity + flows_weighted):
--                         each deposit/withdrawal gets its own snapshot-to-snapshot
--                         sub-period (Dietz weighting only inside those few minutes), and
--                         the sub-periods are chained: a time-weighted return at snapshot
--                         resolution. NULL for the first row or a base <= 0.
--   growth                ln(1 + ret) (NULL with ret), summed to chain sub-periods
-- Synced duplicates are removed on each table's natural key.
sp_snaps AS
(
    SELECT ts, account_value AS equity, toUInt8(1) AS one
    FROM {account_db:Identifier}.{account_tbl:Identifier}
    WHERE ts >= lo_ts AND ts <= hi_ts
      AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
    ORDER BY synced_at DESC
    LIMIT 1 BY account, ts
),
sp_chain AS
(
    SELECT
        ts, equity, one,
        lagInFrame(toNullable(ts)) OVER w AS prev_ts,
        lagInFrame(toNullable(equity)) OVER w AS prev_equity
    FROM sp_snaps
    WINDOW w AS (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
sp_flows AS
(
    SELECT
        s.ts AS ts,
        sum(l.usdc) AS flows,
        sum(l.usdc * if(s.prev_ts IS NULL OR s.ts <= s.prev_ts, 0.5,
                        dateDiff('millisecond', l.time, s.ts) / dateDiff('millisecond', s.prev_ts, s.ts)))
            AS flows_weighted,
        count() AS n_flows
    FROM
    (
        SELECT time, usdc, toUInt8(1) AS one
        FROM {ledger_db:Identifier}.{ledger_tbl:Identifier}
        WHERE time > lo_ts AND time <= hi_ts
        ORDER BY synced_at DESC
        LIMIT 1 BY account, time, hash
    ) AS l
    ASOF INNER JOIN sp_chain AS s ON l.one = s.one AND l.time <= s.ts
    GROUP BY s.ts
),
subperiods AS
(
    SELECT
        c.ts AS ts,
        c.equity AS equity,
        c.prev_ts AS prev_ts,
        c.prev_equity AS prev_equity,
        ifNull(f.flows, 0.) AS flows,
        ifNull(f.flows_weighted, 0.) AS flows_weighted,
        ifNull(f.n_flows, 0) AS n_flows,
        if(c.prev_equity IS NULL OR c.prev_equity + ifNull(f.flows_weighted, 0.) <= 0, NULL,
           (c.equity - c.prev_equity - ifNull(f.flows, 0.)) / (c.prev_equity + ifNull(f.flows_weighted, 0.))) AS ret,
        if(ret IS NULL OR ret <= -1, NULL, ln(1 + ret)) AS growth
    FROM sp_chain AS c
    LEFT JOIN sp_flows AS f ON f.ts = c.ts
)
