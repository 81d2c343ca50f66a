-- Equity, the time-weighted equity index and its drawdown, computed at EVERY usable account
-- snapshot (subperiods.sql) and only then grouped into chart buckets, so the drawdown, its
-- peak/trough/recovery and the returns are the same whatever bucket the chart draws.
--
-- The index is 1.0 at the start mark (start_mark.sql, the decomposition's too): the last usable
-- snapshot at or before the window's start instant T0 (start 00:00 UTC for whole days; looked back
-- {lookback_days} days), or the first one after T0 when the data starts later. It is chained through
-- every snapshot up to the window's end instant T1 (end + 1 day 00:00 UTC for whole days). At each snapshot:
--   index       exp(sum of growth) = prod(1 + ret) since the start mark
--   peak        running max of index; peak_ts the last time the index stood at it
--   dd          index / peak - 1 (<= 0; exactly 0 at a new high)
-- Row = one bucket (b, b + {bucket_s}] (3600 or 86400 s, epoch-aligned; a snapshot exactly at
-- a boundary closes the bucket before it: "at or before the instant"). The start mark's
-- bucket comes first (start_mark = 1; it may lie before T0).
--   equity_ts, equity, index      the bucket's last snapshot
--   prev_equity_ts, prev_equity   the previous bucket's last snapshot (the start mark for the first)
--   flows, deposits, withdrawals, n_flows   ledger rows reflected in the bucket's snapshots
--   pnl                           equity - prev_equity - flows
--   ret                           the bucket's chained return, prod(1 + ret) - 1 over its
--                                 sub-periods; NULL when it has none
--   complete                      the bucket's end instant is at or before the newest usable
--                                 snapshot in the table (an unfinished day is 0; a row dated after the
--                                 server's now + {future_skew_s} s does not count)
--   dd_min, trough_ts, trough_peak_ts   the bucket's deepest drawdown, when, and its peak
--   dd_last, peak_ts_last         drawdown and peak time at the bucket's last snapshot
--   first_high_ts                 first snapshot in the bucket at a running high (dd = 0)
--   first_high_after_trough_ts    ... after the bucket's own trough (recovery inside it)
--   n_snapshots, n_bad_snapshots  usable snapshots; null/zero/negative ones skipped
-- Parameters: t_from, t_to (DateTime64: the window [T0, T1]), bucket_s (UInt32), lookback_days (UInt16),
-- future_skew_s (UInt32).
WITH
    {t_from:DateTime64(3, 'UTC')} AS T0,
    {t_to:DateTime64(3, 'UTC')} AS T1,
    __START_MARK__,
    start_mark_ts AS lo_ts,
    T1 AS hi_ts,
    (
        SELECT max(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts >= lo_ts AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
          AND ts <= now64(3, 'UTC') + toIntervalSecond({future_skew_s:UInt32})
    ) AS newest_ts,
    __SUBPERIODS__,
    indexed AS
    (
        SELECT *, exp(sum(ifNull(growth, 0.)) OVER (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
                  AS index
        FROM subperiods
    ),
    peaked AS
    (
        SELECT *,
               max(index) OVER w AS peak,
               argMax(ts, tuple(index, ts)) OVER w AS peak_ts,
               index / peak - 1 AS dd,
               toStartOfInterval(toDateTime(ts - toIntervalMillisecond(1), 'UTC'), toIntervalSecond({bucket_s:UInt32}))
                   AS bucket
        FROM indexed
        WINDOW w AS (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    points AS
    (
        SELECT *, argMin(ts, tuple(dd, ts)) OVER (PARTITION BY bucket) AS bucket_trough_ts
        FROM peaked
    ),
    bad AS
    (
        SELECT
            toStartOfInterval(toDateTime(ts - toIntervalMillisecond(1), 'UTC'), toIntervalSecond({bucket_s:UInt32}))
                AS bucket,
            count() AS n_bad
        FROM
        (
            SELECT ts FROM {account_db:Identifier}.{account_tbl:Identifier}
            WHERE ts > lo_ts AND ts <= hi_ts
              AND NOT (account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0)
            ORDER BY synced_at DESC
            LIMIT 1 BY account, ts
        )
        GROUP BY bucket
    ),
    buckets AS
    (
        SELECT
            bucket,
            max(ts) AS b_equity_ts,
            argMax(equity, ts) AS b_equity,
            argMax(index, ts) AS b_index,
            minOrNull(prev_ts) AS b_prev_ts,
            argMinIf(prev_equity, ts, prev_ts IS NOT NULL) AS b_prev_equity,
            countIf(prev_ts IS NOT NULL) AS b_periods,
            sum(flows) AS b_flows,
            sumIf(flows, flows > 0) AS b_deposits,
            sumIf(flows, flows < 0) AS b_withdrawals,
            sum(n_flows) AS b_n_flows,
            countIf(ret IS NOT NULL) AS b_returns,
            sumIf(growth, growth IS NOT NULL) AS b_growth,
            min(dd) AS b_dd_min,
            argMin(ts, tuple(dd, ts)) AS b_trough_ts,
            argMin(peak_ts, tuple(dd, ts)) AS b_trough_peak_ts,
            argMax(dd, ts) AS b_dd_last,
            argMax(peak_ts, ts) AS b_peak_ts_last,
            minOrNullIf(ts, dd >= 0) AS b_first_high_ts,
            minOrNullIf(ts, dd >= 0 AND ts > bucket_trough_ts) AS b_first_high_after,
            count() AS b_snapshots,
            max(ts = lo_ts) AS b_start_mark
        FROM points
        GROUP BY bucket
    )
SELECT
    toDateTime64(b.bucket, 0, 'UTC') AS bucket,
    toDateTime64(b.b_equity_ts, 3, 'UTC') AS equity_ts,
    b.b_equity AS equity,
    if(b.b_periods = 0, NULL, toDateTime64(b.b_prev_ts, 3, 'UTC')) AS prev_equity_ts,
    if(b.b_periods = 0, NULL, b.b_prev_equity) AS prev_equity,
    b.b_flows AS flows,
    b.b_deposits AS deposits,
    b.b_withdrawals AS withdrawals,
    b.b_n_flows AS n_flows,
    if(b.b_periods = 0, NULL, b.b_equity - b.b_prev_equity - b.b_flows) AS pnl,
    if(b.b_returns = 0, NULL, exp(b.b_growth) - 1) AS ret,
    b.b_index AS index,
    toDateTime64(b.bucket, 0, 'UTC') + toIntervalSecond({bucket_s:UInt32}) <= newest_ts AS complete,
    b.b_dd_min AS dd_min,
    toDateTime64(b.b_trough_ts, 3, 'UTC') AS trough_ts,
    toDateTime64(b.b_trough_peak_ts, 3, 'UTC') AS trough_peak_ts,
    b.b_dd_last AS dd_last,
    toDateTime64(b.b_peak_ts_last, 3, 'UTC') AS peak_ts_last,
    toDateTime64(b.b_first_high_ts, 3, 'UTC') AS first_high_ts,
    toDateTime64(b.b_first_high_after, 3, 'UTC') AS first_high_after_trough_ts,
    b.b_snapshots AS n_snapshots,
    ifNull(x.n_bad, 0) AS n_bad_snapshots,
    toUInt8(b.b_start_mark) AS start_mark
FROM buckets AS b
LEFT JOIN bad AS x ON x.bucket = b.bucket
ORDER BY bucket
