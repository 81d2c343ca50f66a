-- The statement run before a statement of the newest hours (queries/engine/scope.py Recent) with "all
-- accounts", over the snapshots as they are: where that statement starts reading the account table,
-- the first snapshot of the first round that ends at or after the instant __RECENT_FROM_MS__ (Unix ms;
-- NULL when its anchor is unknown). A value, so the statement's own read of the rounds is bounded by a
-- parameter (a WITH alias as the bound was not used to skip rows: 2-3 times slower).
-- Rounds are runs of snapshots each within {desk_round_ms} ms of the one before: their starts and ends
-- come from the snapshot times alone (account_round_times.sql, pasted as __ROUND_TIMES__ over the
-- statement's window), so a round is never cut in two, and the
-- rounds summed from this start are exactly those the whole history gives from there on. NULL when
-- the instant is unknown or no round ends after it: then every round is read.
-- newest_round_ms: the newest round's end not after the server's now + {desk_future_skew_s} s (the
-- newest account snapshot of queries/engine/newest.py, in "all accounts"); NULL without one.
-- The times are read from __READ_FROM__ (an hour before the instant, queries/engine/scope.py), not the whole
-- history: the round ends from there are the whole history's, and so are the starts but the first one, which
-- may be a round cut by the bound. When that first round is the one needed and a snapshot lies within
-- {desk_round_ms} ms before it (before_ms), the answer is NULL: every round is read. An anchor unknown in the
-- times read (the newest round ending before the bound) is NULL too: every round.
SELECT rounds_start FROM
(
    SELECT if(from_ms IS NULL OR first_round = 0
                  OR (first_round = 1 AND before_ms IS NOT NULL AND starts[1] - before_ms <= {desk_round_ms:UInt32}),
              NULL, fromUnixTimestamp64Milli(starts[first_round], 'UTC'))
               AS rounds_start
    FROM
    (
        SELECT starts, __RECENT_FROM_MS__ AS from_ms, arrayFirstIndex(e -> e >= from_ms, ends) AS first_round,
               (
                   SELECT maxOrNull(toUnixTimestamp64Milli(ts)) FROM {account_db:Identifier}.{account_tbl:Identifier}
                   WHERE ts < __READ_FROM__ AND ts >= {desk_rounds_from:DateTime64(3, 'UTC')}
               ) AS before_ms
        FROM
        (
            SELECT starts, ends, if(newest = 0, NULL, ends[newest]) AS newest_round_ms
            FROM
            (
                SELECT round_starts AS starts, round_ends AS ends,
                       arrayLastIndex(
                           e -> e <= toUnixTimestamp64Milli(now64(3, 'UTC') + toIntervalSecond({desk_future_skew_s:UInt32})),
                           ends
                       ) AS newest
                FROM __ROUND_TIMES__
            )
        )
    )
)
