-- FRAGMENT (a subquery, not a statement): the ledger read as ONE account, "all", for a desk
-- with several accounts (queries/engine/scope.py puts it where a statement names the ledger).
-- A transfer between two of the desk's accounts is one transaction (one hash, one time) with
-- -x in the sender's ledger and +x in the receiver's: summed per (time, hash) it nets to
-- zero and is dropped, so it is neither a deposit nor a withdrawal of the desk, and never
-- PnL. Everything else (deposits, withdrawals, transfers to or from outside) stays as it is.
-- Synced duplicates are removed on the natural key (account, time, hash) first.
(
    SELECT l_time AS time, toLowCardinality('all') AS account, any(l_type) AS type, sum(l_usdc) AS usdc,
           l_hash AS hash, max(l_ingested) AS ingested_at, max(l_synced) AS synced_at
    FROM
    (
        SELECT time AS l_time, account AS l_account, type AS l_type, usdc AS l_usdc, hash AS l_hash,
               ingested_at AS l_ingested, synced_at AS l_synced
        FROM __LEDGER_TABLE__
        ORDER BY synced_at DESC
        LIMIT 1 BY account, time, hash
    )
    GROUP BY l_time, l_hash
    HAVING NOT (uniqExact(l_account) > 1 AND abs(sum(l_usdc)) <= 1e-9)
)
