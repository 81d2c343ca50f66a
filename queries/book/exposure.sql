-- Book exposure per period (hour or UTC day) from the exchange's positions snapshots.
--
-- Row = one bucket of {bucket_s:UInt32} seconds in [start, end + 1 day) with a positions
-- snapshot; the bucket shows its LAST snapshot round (ts = the round's newest row). A round
-- is one monitor pass: its per-coin rows lie within {round_ms} ms of its newest row, and
-- each coin's newest row in it counts.
-- Missing is not flat: a coin ABSENT from the round although the fills say it is held (the
-- position after its last fill before the round, start_position + signed sz, is not 0) is
-- carried at that fills-implied size, valued at its last known mark (position_value / |szi|
-- of its newest earlier row, looked back {lookback_days} days; unvalued without one), and
-- the round is flagged incomplete:
--   long_usd, short_usd   sum of |position_value| over szi > 0 / szi < 0 (USD, both >= 0)
--   gross_usd, net_usd    long + short, long - short
--   n_long, n_short       coins with szi > 0 / < 0 (carried coins included)
--   n_unvalued            held coins without a value (left out of the sums)
--   n_missing, missing_usd, missing_coins   coins carried from the fills, their value, names
--   incomplete            1 when n_missing > 0
--   equity                account_value of the last snapshot at or before ts with a finite
--                         value (looked back {lookback_days} days); NULL if none
--   *_pct                 the USD columns as a fraction of equity; NULL when equity is
--                         NULL, zero or negative
-- Synced duplicates are removed on the natural keys (account, ts, coin) and (account, tid).
-- Parameters: start, end (Date), bucket_s, round_ms (UInt32), lookback_days (UInt16),
-- abs_tol, rel_tol (Float64: a fills-implied size within them of 0 is flat).
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
        ORDER BY synced_at DESC
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
    fills AS
    (
        -- each coin's position after every fill in the range, and after its last fill before it
        SELECT account, coin, time, start_position + if(side = 'B', sz, -sz) AS pos_after, start_position
        FROM {trades_db:Identifier}.{trades_tbl:Identifier}
        WHERE time >= toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC')
          AND time < toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC')
        ORDER BY synced_at DESC
        LIMIT 1 BY account, tid
        UNION ALL
        SELECT account, coin, max(t) AS time, argMax(pa, (t, tid)) AS pos_after, argMax(sp, (t, tid)) AS start_position
        FROM
        (
            SELECT account, coin, time AS t, tid, start_position + if(side = 'B', sz, -sz) AS pa, start_position AS sp
            FROM {trades_db:Identifier}.{trades_tbl:Identifier}
            WHERE time < toDateTime64(toDateTime({start:Date}, 'UTC'), 3, 'UTC')
            ORDER BY synced_at DESC
            LIMIT 1 BY account, tid
        )
        GROUP BY account, coin
    ),
    expected AS
    (
        SELECT r.bucket AS bucket, r.account AS account, r.round_ts AS round_ts, c.coin AS coin,
               r.round_ts - toIntervalMillisecond({round_ms:UInt32}) AS round_start
        FROM round_end AS r
        INNER JOIN (SELECT DISTINCT account, coin FROM fills) AS c ON c.account = r.account
    ),
    implied AS
    (
        SELECT e.bucket AS bucket, e.account AS account, e.coin AS coin, e.round_ts AS round_ts,
               e.round_start AS round_start, f.pos_after AS implied_szi, f.start_position AS before_szi
        FROM expected AS e
        ASOF INNER JOIN fills AS f ON e.account = f.account AND e.coin = f.coin AND e.round_start >= f.time
    ),
    absent AS
    (
        SELECT i.bucket AS bucket, i.account AS account, i.coin AS coin, i.round_ts AS round_ts,
               i.round_start AS round_start, i.implied_szi AS szi
        FROM implied AS i
        LEFT ANTI JOIN last_round AS l ON l.bucket = i.bucket AND l.account = i.account AND l.coin = i.coin
        WHERE abs(i.implied_szi) > greatest({abs_tol:Float64}, {rel_tol:Float64} * abs(i.before_szi))
    ),
    marks AS
    (
        SELECT account, coin, ts, abs(assumeNotNull(position_value)) / abs(szi) AS px
        FROM {positions_db:Identifier}.{positions_tbl:Identifier}
        WHERE ts >= toDateTime64(toDateTime({start:Date}, 'UTC') - toIntervalDay({lookback_days:UInt16}), 3, 'UTC')
          AND ts < toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC')
          AND szi != 0 AND ifNull(isFinite(position_value), false)
        ORDER BY synced_at DESC
        LIMIT 1 BY account, ts, coin
    ),
    carried AS
    (
        SELECT a.bucket AS bucket, a.account AS account, a.coin AS coin, a.round_ts AS round_ts, a.szi AS szi,
               m.px IS NOT NULL AS valued, if(valued, abs(a.szi) * assumeNotNull(m.px), 0.) AS pv
        FROM absent AS a
        ASOF LEFT JOIN marks AS m ON a.account = m.account AND a.coin = m.coin AND a.round_start > m.ts
    ),
    book AS
    (
        SELECT bucket, account, toString(coin) AS coin, round_ts, szi, pv, valued, toUInt8(0) AS is_carried
        FROM last_round
        UNION ALL
        SELECT bucket, account, toString(coin) AS coin, round_ts, szi, pv, valued, toUInt8(1) AS is_carried
        FROM carried
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
            countIf(is_carried = 1) AS n_missing,
            sumIf(pv, is_carried = 1) AS missing_usd,
            arraySort(groupArrayIf(coin, is_carried = 1)) AS missing_coins,
            toUInt8(1) AS one
        FROM book
        GROUP BY bucket
    ),
    equity AS
    (
        SELECT ts, account_value AS equity, toUInt8(1) AS one
        FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts >= toDateTime64(toDateTime({start:Date}, 'UTC') - toIntervalDay({lookback_days:UInt16}), 3, 'UTC')
          AND ts < toDateTime64(toDateTime({end:Date}, 'UTC') + toIntervalDay(1), 3, 'UTC')
          AND account_value IS NOT NULL AND isFinite(account_value)
        ORDER BY synced_at DESC
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
    n_missing,
    missing_usd,
    missing_coins,
    toUInt8(n_missing > 0) AS incomplete,
    equity,
    toDateTime64(equity_ts, 3, 'UTC') AS equity_ts,
    if(equity > 0, (long_usd + short_usd) / equity, NULL) AS gross_pct,
    if(equity > 0, (long_usd - short_usd) / equity, NULL) AS net_pct,
    if(equity > 0, long_usd / equity, NULL) AS long_pct,
    if(equity > 0, short_usd / equity, NULL) AS short_pct
FROM joined
ORDER BY bucket
