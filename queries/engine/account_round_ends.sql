-- FRAGMENT (a subquery, not a statement): the rounds of "all accounts" (account_rounds.sql) for a
-- statement that reads only their times (and the account, 'all'): the newest snapshot, inception,
-- the rows dated in the future or before inception, the rows per hour. A round's time is its last
-- snapshot: among the sorted distinct snapshot times of [__ROUNDS_FROM__, desk_rounds_to), every
-- one followed by a gap of more than {desk_round_ms} ms (or by none). The same times as
-- account_rounds.sql gives (one row per round, complete or not, whatever its values; it joins its
-- snapshots to these ends), without summing a single value.
(
    SELECT fromUnixTimestamp64Milli(arrayJoin(round_ends), 'UTC') AS ts, toLowCardinality('all') AS account
    FROM
    (
        SELECT arrayFilter((v, k) -> k = length(t) OR t[k + 1] - v > {desk_round_ms:UInt32}, t, arrayEnumerate(t))
                   AS round_ends
        FROM
        (
            SELECT arraySort(groupUniqArray(toUnixTimestamp64Milli(ts))) AS t
            FROM __ACCOUNT_TABLE__
            WHERE ts >= __ROUNDS_FROM__ AND ts < {desk_rounds_to:DateTime64(3, 'UTC')}
        )
    )
)
