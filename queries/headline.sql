-- Headline PnL windows, all ending at the newest usable account snapshot ("now"):
--   today  from the last mark at or before 00:00 UTC of now's day
--   7d     from the last mark at or before now - 7 days
--   30d    from the last mark at or before now - 30 days
--   all    from the first usable snapshot in the data
-- A window whose start lies before the data starts begins at the first snapshot.
-- A usable snapshot has account_value finite and > 0. flows = net deposits (+) and
-- withdrawals (-) with equity_start_ts < time <= equity_end_ts; flows_weighted weights each
-- by the fraction of the window left after it (Modified Dietz, lib/pnl.py).
-- Reads the newest 30 + lookback days of snapshots, the first few days of them and the
-- ledger (deposits/withdrawals are rare rows), so its cost does not grow with history.
-- Rows dated after the server's now + {future_skew_s} seconds are left out (a bad clock or row).
-- Parameters: lookback_days (UInt16), future_skew_s (UInt32).
WITH
    (SELECT max(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}
     WHERE ts <= now64(3, 'UTC') + toIntervalSecond({future_skew_s:UInt32})) AS newest_raw,
    (SELECT min(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}) AS oldest_raw,
    recent AS
    (
        SELECT ts, account_value AS equity, toUInt8(1) AS one
        FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts >= newest_raw - toIntervalDay(30 + {lookback_days:UInt16}) AND ts <= newest_raw
          AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
        LIMIT 1 BY account, ts
    ),
    first_mark AS
    (
        SELECT ts, account_value AS equity
        FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE ts >= oldest_raw AND ts < oldest_raw + toIntervalDay(30 + {lookback_days:UInt16})
          AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
        ORDER BY ts
        LIMIT 1
    ),
    last_mark AS
    (
        SELECT ts, equity FROM recent ORDER BY ts DESC LIMIT 1
    ),
    windows AS
    (
        SELECT
            w.1 AS ord,
            w.2 AS window,
            multiIf(w.2 = 'today', toDateTime64(toStartOfDay(toDateTime((SELECT ts FROM last_mark), 'UTC')), 3, 'UTC'),
                    w.2 = '7d', (SELECT ts FROM last_mark) - toIntervalDay(7),
                    w.2 = '30d', (SELECT ts FROM last_mark) - toIntervalDay(30),
                    (SELECT ts FROM first_mark)) AS t_from,
            toUInt8(1) AS one
        FROM (SELECT arrayJoin([(1, 'today'), (2, '7d'), (3, '30d'), (4, 'all')]) AS w)
    ),
    anchored AS
    (
        SELECT w.ord AS ord, w.window AS window, w.t_from AS t_from, r.ts AS r_ts, r.equity AS r_equity
        FROM windows AS w
        ASOF LEFT JOIN recent AS r ON w.one = r.one AND w.t_from >= r.ts
    ),
    marks AS
    (
        SELECT
            a.ord AS ord,
            a.window AS window,
            a.t_from AS t_from,
            if(a.window != 'all' AND a.r_ts IS NOT NULL AND a.r_ts >= fm.ts, a.r_ts, fm.ts) AS t0,
            if(a.window != 'all' AND a.r_ts IS NOT NULL AND a.r_ts >= fm.ts, a.r_equity, fm.equity) AS e0,
            lm.ts AS t1,
            lm.equity AS e1
        FROM anchored AS a
        CROSS JOIN first_mark AS fm
        CROSS JOIN last_mark AS lm
    ),
    ledger AS
    (
        SELECT time, usdc
        FROM {ledger_db:Identifier}.{ledger_tbl:Identifier}
        WHERE time <= (SELECT ts FROM last_mark)
        LIMIT 1 BY account, time, hash
    ),
    flows AS
    (
        SELECT
            m.window AS window,
            sumIf(l.usdc, l.time > m.t0 AND l.time <= m.t1) AS flows,
            sumIf(l.usdc * if(m.t1 > m.t0, dateDiff('millisecond', l.time, m.t1) / dateDiff('millisecond', m.t0, m.t1), 0.5),
                  l.time > m.t0 AND l.time <= m.t1) AS flows_weighted,
            countIf(l.time > m.t0 AND l.time <= m.t1) AS n_flows
        FROM marks AS m
        CROSS JOIN ledger AS l
        GROUP BY m.window
    )
SELECT
    m.ord AS ord,
    m.window AS window,
    toDateTime64(m.t_from, 3, 'UTC') AS t_from,
    toDateTime64(m.t0, 3, 'UTC') AS equity_start_ts,
    m.e0 AS equity_start,
    toDateTime64(m.t1, 3, 'UTC') AS equity_end_ts,
    m.e1 AS equity_end,
    ifNull(f.flows, 0.) AS flows,
    ifNull(f.flows_weighted, 0.) AS flows_weighted,
    ifNull(f.n_flows, 0) AS n_flows
FROM marks AS m
LEFT JOIN flows AS f ON f.window = m.window
ORDER BY ord
