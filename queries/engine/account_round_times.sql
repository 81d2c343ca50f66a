-- FRAGMENT (a subquery, not a statement): where the rounds of "all accounts" begin and end, from the
-- snapshot times alone (the one place that says what a round is). A round is a run of snapshots (any
-- account) each within {desk_round_ms} ms of the one before. Over the sorted distinct snapshot times t
-- (Unix ms) of [__ROUNDS_FROM__, desk_rounds_to): round_starts, each time more than {desk_round_ms} ms after
-- the one before (or the first); round_ends, each time followed by a gap of more than {desk_round_ms} ms (or
-- the last). round_starts[k] and round_ends[k] bound round k. Read by account_round_ends.sql (the rounds' times) and
-- account_rounds_start.sql (where a statement of the newest hours starts reading).
(
    SELECT arrayFilter((v, k) -> k = 1 OR v - t[k - 1] > {desk_round_ms:UInt32}, t, arrayEnumerate(t))
               AS round_starts,
           arrayFilter((v, k) -> k = length(t) OR t[k + 1] - v > {desk_round_ms:UInt32}, t, arrayEnumerate(t))
               AS round_ends
    FROM
    (
        SELECT arraySort(groupUniqArray(toUnixTimestamp64Milli(ts))) AS t
        FROM __ACCOUNT_TABLE__
        WHERE ts >= __ROUNDS_FROM__ AND ts < {desk_rounds_to:DateTime64(3, 'UTC')}
    )
)
