-- Book exposure per period (hour or UTC day) from the exchange's positions snapshots.
--
-- Row = one bucket of {bucket_s:UInt32} seconds in [start, end + 1 day) with a positions
-- snapshot; the bucket shows its LAST snapshot round (ts = the round's newest row). A round
-- is one monitor pass: its per-coin rows lie within {round_ms} ms of its newest row, and
-- each coin's newest row in it counts (a coin absent from the round is flat):
--   long_usd, short_usd   sum of |position_value| over szi > 0 / szi < 0 (USD, both >= 0)
--   gross_usd, net_usd    long + short, long - short
--   n_long, n_short       coins with szi > 0 / < 0
--   n_unvalued            held coins whose position_value is NULL (left out of the sums)
--   equity                account_value of the last snapshot at or before ts with a finite
--                         value (looked back {lookback_days} days); NULL if none
--   *_pct                 the USD columns as a fraction of equity; NULL when equity is
--                         NULL, zero or negative
-- Synced duplicates are removed on the natural key (account, ts, coin) before summing.
-- Parameters: start, end (Date), bucket_s, round_ms (UInt32), lookback_days (UInt16).
WITH
    pos AS
    (
        SELECT account, ts, coin, szi,
               ifNull(isFinite(position_value), false) AS valued,
               if(valued, abs(assumeNotNull(position_value)), 0.) AS pv,
               toStartOfInterval(toDateTime(ts, 'UTC'), toIntervalSecond({bucket_s:UInt32})) AS bucket
        FROM {positions_db:Identifier}.{positions_tbl:Identifier}
        WHERE ts >= toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC')
          AND ts < toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC')
        LIMIT 1 BY account, ts, coin
    ),
    round_end AS
    (
        SELECT bucket, account, max(ts) AS round_ts FROM pos GROUP BY bucket, account
    ),
    last_round AS
    (
        SELECT p.bucket AS bucket, p.account AS account, p.coin AS coin, any(r.round_ts) AS round_ts,
               argMax(p.szi, p.ts) AS szi, argMax(p.pv, p.ts) AS pv, argMax(p.valued, p.ts) AS valued
        FROM pos AS p
        INNER JOIN round_end AS r ON r.bucket = p.bucket AND r.account = p.account
        WHERE p.ts >= r.round_ts - toIntervalMillisecond({round_ms:UInt32})
        GROUP BY p.bucket, p.account, p.coin
    ),
    last_per_bucket AS
    (
        SELECT
            bucket,
            max(round_ts) AS ts,
            sumIf(pv, szi > 0) AS long_usd,
            sumIf(pv, szi < 0) AS short_usd,
            countIf(szi > 0) AS n_long,
            countIf(szi < 0) AS n_short,
            countIf(szi != 0 AND NOT valued) AS n_unvalued,
            toUInt8(1) AS one
        FROM last_round
        GROUP BY bucket
    ),
    equity AS
    (
        SELECT ts, account_value AS equity, toUInt8(1) AS one
        FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts >= toDateTime64(toDateTime({start:Date}, 'UTC') - toIntervalDay({lookback_days:UInt16}), 3, 'UTC')
          AND ts < toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC')
          AND account_value IS NOT NULL AND isFinite(account_value)
        LIMIT 1 BY account, ts
    ),
    joined AS
    (
        SELECT p.*, e.equity AS equity, e.ts AS equity_ts
        FROM last_per_bucket AS p
        ASOF LEFT JOIN equity AS e ON p.one = e.one AND p.ts >= e.ts
    )
SELECT
    toDateTime64(bucket, 0, 'UTC') AS bucket,
    toDateTime64(ts, 3, 'UTC') AS ts,
    long_usd,
    short_usd,
    long_usd + short_usd AS gross_usd,
    long_usd - short_usd AS net_usd,
    n_long,
    n_short,
    n_unvalued,
    equity,
    toDateTime64(equity_ts, 3, 'UTC') AS equity_ts,
    if(equity > 0, (long_usd + short_usd) / equity, NULL) AS gross_pct,
    if(equity > 0, (long_usd - short_usd) / equity, NULL) AS net_pct,
    if(equity > 0, long_usd / equity, NULL) AS long_pct,
    if(equity > 0, short_usd / equity, NULL) AS short_pct
FROM joined
ORDER BY bucket
