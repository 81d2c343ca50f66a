-- FRAGMENT (a subquery, not a statement): the rounds of "all accounts" (account_rounds.sql) for a
-- statement that reads only their times (and the account, 'all'): the newest snapshot, inception,
-- the rows dated in the future or before inception, the rows per hour. A round's time is its last
-- snapshot: among the sorted distinct snapshot times of [desk_rounds_from, desk_rounds_to), every
-- one followed by a gap of more than {desk_round_ms} ms (or by none). The same times as
-- account_rounds.sql gives (one row per round, complete or not, whatever its values), without
-- summing a single value: sorting one column instead of the per-account, per-round aggregation.
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
            WHERE ts >= {desk_rounds_from:DateTime64(3, 'UTC')} AND ts < {desk_rounds_to:DateTime64(3, 'UTC')}
        )
    )
)
