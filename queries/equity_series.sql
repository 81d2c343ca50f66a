-- Equity per period (hour or UTC day) with the deposits/withdrawals that fall in it,
-- for the equity curve, the deposit-adjusted returns and the daily statistics.
--
-- Row = one bucket of {bucket_s:UInt32} seconds (3600 or 86400, epoch-aligned, so a
-- day bucket is a UTC day) in [start, end + 1 day) that has a usable account snapshot.
--   equity, equity_ts          the bucket's last usable snapshot (account_value finite
--                              and > 0; null/zero/negative snapshots are skipped and
--                              counted in n_bad_snapshots)
--   prev_equity, prev_equity_ts  the previous bucket's last usable snapshot (looked back
--                              {lookback_days} days before start); NULL if none
--   flows                      net deposits (+) / withdrawals (-) reflected in this
--                              bucket's equity and not in the previous one: a ledger row
--                              belongs to the first usable snapshot at or after its time
--   flows_weighted             sum of usdc * (equity_ts - time) / (equity_ts - prev_equity_ts),
--                              the Modified Dietz weight (lib/pnl.py)
--   deposits, withdrawals      the positive and negative parts of flows
-- Synced duplicates are removed on each table's natural key before use.
-- Parameters: start, end (Date), bucket_s (UInt32), lookback_days (UInt16).
WITH
    raw AS
    (
        SELECT ts, account_value, toUInt8(1) AS one,
               account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0 AS usable
        FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts >= toDateTime64(toDateTime({start:Date}, 'UTC') - toIntervalDay({lookback_days:UInt16}), 3, 'UTC') AND ts < toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC')
        LIMIT 1 BY account, ts
    ),
    buckets AS
    (
        SELECT
            toStartOfInterval(toDateTime(ts, 'UTC'), toIntervalSecond({bucket_s:UInt32})) AS bucket,
            maxIf(ts, usable) AS equity_ts,
            argMaxIf(account_value, ts, usable) AS equity,
            countIf(usable) AS n_snapshots,
            countIf(NOT usable) AS n_bad
        FROM raw
        GROUP BY bucket
        HAVING n_snapshots > 0
    ),
    chained AS
    (
        SELECT
            bucket, equity_ts, equity, n_snapshots, n_bad,
            lagInFrame(toNullable(equity_ts)) OVER w AS prev_equity_ts,
            lagInFrame(toNullable(equity)) OVER w AS prev_equity
        FROM buckets
        WINDOW w AS (ORDER BY bucket ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ),
    ledger AS
    (
        SELECT time, usdc, toUInt8(1) AS one
        FROM {ledger_db:Identifier}.{ledger_tbl:Identifier}
        WHERE time >= toDateTime64(toDateTime({start:Date}, 'UTC') - toIntervalDay({lookback_days:UInt16}), 3, 'UTC') AND time < toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC')
        LIMIT 1 BY account, time, hash
    ),
    placed AS
    (
        SELECT l.time AS time, l.usdc AS usdc, s.ts AS reflected_ts
        FROM ledger AS l
        ASOF LEFT JOIN (SELECT ts, one FROM raw WHERE usable) AS s ON l.one = s.one AND l.time <= s.ts
    ),
    flows AS
    (
        SELECT
            c.bucket AS bucket,
            sum(p.usdc) AS flows,
            sum(p.usdc * if(c.prev_equity_ts IS NULL OR c.equity_ts <= c.prev_equity_ts, 0.5,
                greatest(0., least(1., dateDiff('millisecond', p.time, c.equity_ts)
                                      / dateDiff('millisecond', c.prev_equity_ts, c.equity_ts))))) AS flows_weighted,
            sumIf(p.usdc, p.usdc > 0) AS deposits,
            sumIf(p.usdc, p.usdc < 0) AS withdrawals,
            count() AS n_flows
        FROM placed AS p
        INNER JOIN chained AS c ON c.bucket = toStartOfInterval(toDateTime(p.reflected_ts, 'UTC'), toIntervalSecond({bucket_s:UInt32}))
        WHERE p.reflected_ts IS NOT NULL
        GROUP BY c.bucket
    )
SELECT
    toDateTime64(c.bucket, 0, 'UTC') AS bucket,
    toDateTime64(c.equity_ts, 3, 'UTC') AS equity_ts,
    c.equity AS equity,
    toDateTime64(c.prev_equity_ts, 3, 'UTC') AS prev_equity_ts,
    c.prev_equity AS prev_equity,
    ifNull(f.flows, 0.) AS flows,
    ifNull(f.flows_weighted, 0.) AS flows_weighted,
    ifNull(f.deposits, 0.) AS deposits,
    ifNull(f.withdrawals, 0.) AS withdrawals,
    ifNull(f.n_flows, 0) AS n_flows,
    c.n_snapshots AS n_snapshots,
    c.n_bad AS n_bad_snapshots
FROM chained AS c
LEFT JOIN flows AS f ON f.bucket = c.bucket
WHERE c.equity_ts >= toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC')
ORDER BY bucket
