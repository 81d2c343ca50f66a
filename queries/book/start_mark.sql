-- FRAGMENT (not a statement): the start mark of a window, ONE rule for the equity series (and so the
-- drawdown, the returns, the daily statistics) and the PnL decomposition. queries/book/overview.py pastes it,
-- unchanged, into statements that define the WITH aliases T0 and T1 (DateTime64(3, 'UTC'): the window's start
-- and end instants); it defines the alias start_mark_ts and ends without a trailing comma.
--
--   start_mark_ts   the last usable account snapshot at or before T0 (looked back {lookback_days:UInt16} days),
--                   or the first one after T0 (and at or before T1) when the data starts later; NULL when
--                   neither exists. A usable snapshot has a finite account_value > 0. Never a snapshot before
--                   the desk's inception (queries/engine/inception.py): a stray old row is not a start.
__INCEPTION_TS__ AS start_mark_inception,
(
    SELECT maxOrNull(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}
    WHERE ts <= T0 AND ts >= T0 - toIntervalDay({lookback_days:UInt16})
      AND (start_mark_inception IS NULL OR ts >= start_mark_inception)
      AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
) AS start_mark_before,
(
    SELECT minOrNull(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}
    WHERE ts > T0 AND ts <= T1 AND (start_mark_inception IS NULL OR ts >= start_mark_inception)
      AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
) AS start_mark_after,
ifNull(start_mark_before, start_mark_after) AS start_mark_ts
