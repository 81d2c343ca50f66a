-- Headline PnL windows. One marking rule for every window (and for the range breakdown,
-- pnl_window.sql): the END mark is the newest usable account snapshot; the START mark is the
-- last usable snapshot at or before the window's start instant (the first snapshot when the
-- data starts later):
--   today  start instant 00:00 UTC of the end mark's day       ("today (UTC day)")
--   7d     start instant end mark - 7 x 24 h                    ("last 7 x 24 h")
--   30d    start instant end mark - 30 x 24 h                   ("last 30 x 24 h")
--   all    the first usable snapshot at or after the desk's inception ("since <its date>";
--          queries/engine/inception.py: a stray old row before a long gap is not the start)
-- A usable snapshot has account_value finite and > 0.
--   flows  net deposits (+) / withdrawals (-) reflected after the start mark and at or
--          before the end mark (the sub-periods of subperiods.sql in the window)
--   ret    the time-weighted return: the window's sub-periods chained, prod(1 + ret) - 1,
--          the same number the equity index and the drawdown chain (equity_series.sql)
-- Reads every usable snapshot once (the since-start return chains all of them). Rows dated
-- after the server's now + {future_skew_s} seconds are left out (a bad clock or row).
WITH
    __INCEPTION_TS__ AS inception_ts,
    (
        SELECT min(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
          AND (inception_ts IS NULL OR ts >= inception_ts)
    ) AS lo_ts,
    (
        SELECT max(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}
        WHERE account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
          AND ts <= now64(3, 'UTC') + toIntervalSecond({future_skew_s:UInt32})
    ) AS hi_ts,
    __SUBPERIODS__,
    windows AS
    (
        SELECT
            w.1 AS ord,
            w.2 AS window,
            multiIf(w.2 = 'today', toDateTime64(toStartOfDay(toDateTime(hi_ts, 'UTC')), 3, 'UTC'),
                    w.2 = '7d', hi_ts - toIntervalDay(7),
                    w.2 = '30d', hi_ts - toIntervalDay(30),
                    lo_ts) AS t_from,
            toUInt8(1) AS one
        FROM (SELECT arrayJoin([(1, 'today'), (2, '7d'), (3, '30d'), (4, 'all')]) AS w)
    ),
    marks AS
    (
        SELECT w.ord AS ord, w.window AS window, w.t_from AS t_from,
               ifNull(s.ts, lo_ts) AS t0,
               if(s.ts IS NULL, (SELECT equity FROM sp_snaps ORDER BY ts LIMIT 1), s.equity) AS e0
        FROM windows AS w
        ASOF LEFT JOIN sp_snaps AS s ON w.one = s.one AND w.t_from >= s.ts
    ),
    agg AS
    (
        SELECT
            m.window AS window,
            sumIf(p.flows, p.ts > m.t0) AS flows,
            sumIf(p.n_flows, p.ts > m.t0) AS n_flows,
            sumIf(p.growth, p.ts > m.t0 AND p.growth IS NOT NULL) AS growth,
            countIf(p.ts > m.t0 AND p.ret IS NOT NULL) AS n_returns,
            countIf(p.ts > m.t0) AS n_periods
        FROM marks AS m
        CROSS JOIN subperiods AS p
        GROUP BY m.window
    )
SELECT
    m.ord AS ord,
    m.window AS window,
    toDateTime64(m.t_from, 3, 'UTC') AS t_from,
    toDateTime64(m.t0, 3, 'UTC') AS equity_start_ts,
    m.e0 AS equity_start,
    toDateTime64(hi_ts, 3, 'UTC') AS equity_end_ts,
    (SELECT equity FROM sp_snaps ORDER BY ts DESC LIMIT 1) AS equity_end,
    ifNull(a.flows, 0.) AS flows,
    ifNull(a.n_flows, 0) AS n_flows,
    multiIf(ifNull(a.n_periods, 0) = 0, 0., ifNull(a.n_returns, 0) = 0, NULL, exp(a.growth) - 1) AS ret,
    ifNull(a.n_returns, 0) AS n_returns,
    ifNull(a.n_periods, 0) AS n_periods
FROM marks AS m
LEFT JOIN agg AS a ON a.window = m.window
WHERE m.t0 IS NOT NULL
ORDER BY ord
