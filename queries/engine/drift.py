"""The casts every read uses when the remote's columns drifted to compatible types, and the Nullable key columns
whose NULL rows every read leaves out.

`remote_columns` reads `system.columns` for the mapped tables. `drift_casts`
keeps, per client and endpoint, the CASTs `queries.engine.run.run` puts in front
of each drifted table (lib/contract.rewrite), refreshed every DRIFT_TTL_S.
If `system.columns` cannot be read, queries run unchanged. It stands apart
from queries/health/contract.py (System Health's table) because the choke point
itself needs it.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from lib.clickhouse import contract
from lib.clickhouse.client import DeskClient
from lib.clickhouse.errors import QueryFailed

DRIFT_TTL_S = 300.0
DRIFT_RETRY_S = 60.0

COLUMNS_SQL = """
SELECT database, table, name, type
FROM system.columns
WHERE has({dbs:Array(String)}, database) AND has({tbls:Array(String)}, table)
ORDER BY database, table, position
"""

_lock = threading.Lock()
_drift: weakref.WeakKeyDictionary[DeskClient, tuple[str, float, dict, frozenset | None, dict]] = (
    weakref.WeakKeyDictionary()
)


def remote_columns(c: DeskClient) -> list[dict[str, Any]]:
    pairs = list(c.tables.tables.values())
    tbl = c.query_arrow(COLUMNS_SQL, {"dbs": sorted({d for d, _ in pairs}), "tbls": sorted({t for _, t in pairs})})
    wanted = set(pairs)
    return [r for r in tbl.to_pylist() if (r["database"], r["table"]) in wanted]


def _listing(c: DeskClient) -> tuple[dict, frozenset | None, dict]:
    """(casts, mapped tables present, Nullable key columns) of this client's endpoint, cached; ({}, None, {}) when
    unknown."""
    now = time.monotonic()
    with _lock:
        hit = _drift.get(c)
        if hit is not None and hit[0] == c.active and hit[1] > now:
            return hit[2], hit[3], hit[4]
    try:
        cols = remote_columns(c)
        casts = contract.casts(cols, c.tables.tables)
        keys = contract.null_keys(cols, c.tables.tables)
        present: frozenset | None = frozenset((r["database"], r["table"]) for r in cols)
        expires = now + DRIFT_TTL_S
    except QueryFailed:
        casts, keys, present, expires = {}, {}, None, now + DRIFT_RETRY_S
    with _lock:
        _drift[c] = (c.active, expires, casts, present, keys)
    return casts, present, keys


def drift_casts(c: DeskClient) -> dict[tuple[str, str], dict[str, str]]:
    """(db, table) -> {column: SQL reading it as the contract's type} of this client's endpoint ({} when unknown)."""
    return _listing(c)[0]


def null_key_columns(c: DeskClient) -> dict[tuple[str, str], tuple[str, ...]]:
    """(db, table) -> its key columns the remote declares Nullable (their NULL rows are left out of every read)."""
    return _listing(c)[2]


def present_tables(c: DeskClient) -> list[str] | None:
    """The logical tables the endpoint holds (None when system.columns could not be read)."""
    present = _listing(c)[1]
    if present is None:
        return None
    return [name for name, key in c.tables.tables.items() if tuple(key) in present]


def forget() -> None:
    """Read the remote's columns again on the next query (the Refresh button, tests)."""
    with _lock:
        _drift.clear()
