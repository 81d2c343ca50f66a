-- FRAGMENT (a subquery, not a statement): the rounds of "all accounts" (account_rounds.sql) for a
-- statement that reads only their times (and the account, 'all'): the newest snapshot (System
-- Health's counts of stored rows read the rows as they are: queries.engine.run.run_rows). A round's time is its last
-- snapshot (its end in account_round_times.sql, pasted as __ROUND_TIMES__). The same times as
-- account_rounds.sql gives (one row per round, complete or not, whatever its values; it joins its
-- snapshots to these ends), without summing a single value.
(
    SELECT fromUnixTimestamp64Milli(arrayJoin(round_ends), 'UTC') AS ts, toLowCardinality('all') AS account
    FROM __ROUND_TIMES__
)
