-- FRAGMENT (a subquery, not a statement): the account table read as ONE account, "all",
-- for a desk with several accounts. queries/engine/scope.py computes it once per statement (one
-- scalar array of these rows, `desk_rounds_rows`) and reads it back where the statement names the
-- account table, so every statement that reads equity, notional or margin sums accounts
-- the same way, none of them needs to know, and none sums the rounds twice.
--
-- The desk's monitor snapshots every account in one round, a few seconds apart. A round is
-- a run of snapshots (any account) each within {desk_round_ms} ms of the one before: its end,
-- the round's time, comes from the sorted snapshot times alone (account_round_ends.sql, pasted
-- as __ROUND_ENDS__), and each snapshot joins the first round end at or after it (ASOF), with
-- no window function over the rows. Per round and account the newest row counts (its newest
-- ts, and of that ts the newest sync: synced duplicates removed on (account, ts)); the
-- round's row is the sum over accounts, at the round's last ts.
-- Truthful sums: a round is complete only when every account that has started reporting
-- (its first snapshot is at or before the round) is in it with a finite equity; otherwise
-- its account_value is NULL, so it is skipped and counted as a bad snapshot, never read as
-- a fall in equity. Each other sum is NULL when any account's value of it is NULL.
-- Only the values the statement reads are summed (queries/engine/scope.py fills __VALUE_ROW__,
-- __VALUE_SUMS__ and __VALUE_COLUMNS__ per value: `r_bad_<v>`, `r_<v>`, then
-- `if(r_complete AND r_bad_<v> = 0, r_<v>, NULL) AS <v>`); each value's sum and NULL rule is
-- its own, so leaving one out changes no other.
-- Only the snapshots of [__ROUNDS_FROM__, desk_rounds_to) are combined: the statement's own days
-- with a margin (queries/engine/scope.py), so a page does not sum the whole history to read a month;
-- for a statement of the newest hours, from the start of a round (account_rounds_start.sql).
-- Deposits and withdrawals stay in the ledger per account: an internal transfer is -x in one
-- account and +x in the other and nets to zero in "all"; it is never PnL.
(
    WITH
        (SELECT groupArray(first_ts) FROM (SELECT min(ts) AS first_ts FROM __ACCOUNT_TABLE__ GROUP BY account))
            AS first_snapshots
    SELECT
        toDateTime64(r_ts, 3, 'UTC') AS ts,
        toLowCardinality('all') AS account,
        __VALUE_COLUMNS__
        r_ingested AS ingested_at,
        r_synced AS synced_at
    FROM
    (
        SELECT
            round,
            max(a_ts) AS r_ts,
            count() >= arrayCount(f -> f <= r_ts, first_snapshots) AS r_complete,
            __VALUE_SUMS__
            max(a_ingested) AS r_ingested,
            max(a_synced) AS r_synced
        FROM
        (
            -- the account's newest snapshot in the round, of its newest sync (a NULL value stays NULL: no
            -- older one stands in): __VALUE_ROW__ is `argMax(tuple(s.<value>, ...), s.newest) AS row,`
            SELECT r.round_end AS round, s.account AS account, max(s.ts) AS a_ts,
                   __VALUE_ROW__
                   max(s.ingested_at) AS a_ingested, max(s.synced_at) AS a_synced
            FROM
            (
                SELECT account, ts, account_value, total_ntl_pos, total_margin_used, withdrawable, ingested_at,
                       synced_at, toUInt8(1) AS one,
                       -- (ts, synced_at) as one number, in the same order: ts_ms * 2^64 + (synced_ms + 2^63)
                       toInt128(toUnixTimestamp64Milli(ts)) * toInt128('18446744073709551616')
                           + (toInt128(toUnixTimestamp64Milli(synced_at)) + toInt128('9223372036854775808')) AS newest
                FROM __ACCOUNT_TABLE__
                WHERE ts >= __ROUNDS_FROM__ AND ts < {desk_rounds_to:DateTime64(3, 'UTC')}
            ) AS s
            ASOF INNER JOIN (SELECT ts AS round_end, toUInt8(1) AS one FROM __ROUND_ENDS__) AS r
                ON s.one = r.one AND s.ts <= r.round_end
            GROUP BY round, account
        )
        GROUP BY round
    )
)
