-- FRAGMENT (not a statement): the start mark of a window, ONE rule for the equity series (and so the
-- drawdown, the returns, the daily statistics) and the PnL decomposition. queries/book/overview.py pastes it,
-- unchanged, into statements that define the WITH aliases T0 and T1 (DateTime64(3, 'UTC'): the window's start
-- and end instants); it defines the alias start_mark_ts and ends without a trailing comma.
--
--   start_mark_ts   the last usable account snapshot at or before T0 (looked back {lookback_days:UInt16} days),
--                   or the first one after T0 (and at or before T1) when the data starts later; NULL when
--                   neither exists. A usable snapshot has a finite account_value > 0. Never a snapshot before
--                   the desk's inception (queries/engine/inception.py): a stray old row is not a start.
(
    SELECT ifNull(maxOrNullIf(ts, ts <= T0), minOrNullIf(ts, ts > T0))
    FROM {account_db:Identifier}.{account_tbl:Identifier}
    WHERE ts >= T0 - toIntervalDay({lookback_days:UInt16}) AND ts <= greatest(T0, T1)
      AND (__INCEPTION_TS__ IS NULL OR ts >= __INCEPTION_TS__)
      AND account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
) AS start_mark_ts
