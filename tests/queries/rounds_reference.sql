-- The summed rounds as queries/engine/account_rounds.sql defined them before issue 24's second pass (window
-- functions over the rows: lagInFrame, a running sum): the reference the tests compare the new definition with.
-- FRAGMENT (a subquery, not a statement): the account table read as ONE account, "all",
-- for a desk with several accounts. queries/engine/scope.py computes it once per statement (one
-- scalar array of these rows, `desk_rounds_rows`) and reads it back where the statement names the
-- account table, so every statement that reads equity, notional or margin sums accounts
-- the same way, none of them needs to know, and none sums the rounds twice.
--
-- The desk's monitor snapshots every account in one round, a few seconds apart. A round is
-- a run of snapshots (any account) each within {desk_round_ms} ms of the one before. Per
-- round and account the newest row counts (synced duplicates removed on (account, ts), the
-- newest sync winning); the round's row is the sum over accounts, at the round's last ts.
-- Truthful sums: a round is complete only when every account that has started reporting
-- (its first snapshot is at or before the round) is in it with a finite equity; otherwise
-- its account_value is NULL, so it is skipped and counted as a bad snapshot, never read as
-- a fall in equity. Each other sum is NULL when any account's value of it is NULL.
-- Only the snapshots of [desk_rounds_from, desk_rounds_to) are combined: the statement's own days
-- with a margin (queries/engine/scope.py), so a page does not sum the whole history to read a month.
-- Deposits and withdrawals stay in the ledger per account: an internal transfer is -x in one
-- account and +x in the other and nets to zero in "all"; it is never PnL.
(
    WITH
        (SELECT groupArray(first_ts) FROM (SELECT min(ts) AS first_ts FROM __ACCOUNT_TABLE__ GROUP BY account))
            AS first_snapshots
    SELECT
        toDateTime64(r_ts, 3, 'UTC') AS ts,
        toLowCardinality('all') AS account,
        if(r_complete AND r_bad = 0, r_value, NULL) AS account_value,
        if(r_complete AND r_null_ntl = 0, r_ntl, NULL) AS total_ntl_pos,
        if(r_complete AND r_null_margin = 0, r_margin, NULL) AS total_margin_used,
        if(r_complete AND r_null_withdrawable = 0, r_withdrawable, NULL) AS withdrawable,
        r_ingested AS ingested_at,
        r_synced AS synced_at
    FROM
    (
        SELECT
            round,
            max(a_ts) AS r_ts,
            count() >= arrayCount(f -> f <= r_ts, first_snapshots) AS r_complete,
            countIf(row.1 IS NULL OR NOT isFinite(row.1)) AS r_bad,
            sum(ifNull(row.1, 0.)) AS r_value,
            countIf(row.2 IS NULL) AS r_null_ntl,
            sum(ifNull(row.2, 0.)) AS r_ntl,
            countIf(row.3 IS NULL) AS r_null_margin,
            sum(ifNull(row.3, 0.)) AS r_margin,
            countIf(row.4 IS NULL) AS r_null_withdrawable,
            sum(ifNull(row.4, 0.)) AS r_withdrawable,
            max(a_ingested) AS r_ingested,
            max(a_synced) AS r_synced
        FROM
        (
            -- the account's newest snapshot in the round (a NULL value stays NULL: no older one stands in)
            SELECT round, account, max(ts) AS a_ts, argMax(values, ts) AS row,
                   max(ingested) AS a_ingested, max(synced) AS a_synced
            FROM
            (
                SELECT *, sum(toUInt32(new_round)) OVER (ORDER BY ts, account ROWS UNBOUNDED PRECEDING) AS round
                FROM
                (
                    SELECT *,
                           dateDiff('millisecond', lagInFrame(ts, 1, ts) OVER (ORDER BY ts, account), ts)
                               > {desk_round_ms:UInt32} AS new_round
                    FROM
                    (
                        SELECT account, ts,
                               argMax(tuple(account_value, total_ntl_pos, total_margin_used, withdrawable),
                                      synced_at) AS values,
                               max(ingested_at) AS ingested,
                               max(synced_at) AS synced
                        FROM __ACCOUNT_TABLE__
                        WHERE ts >= {desk_rounds_from:DateTime64(3, 'UTC')} AND ts < {desk_rounds_to:DateTime64(3, 'UTC')}
                        GROUP BY account, ts
                    )
                )
            )
            GROUP BY round, account
        )
        GROUP BY round
    )
)
