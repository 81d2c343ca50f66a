"""The query choke point every `queries/` module goes through.

`run(sql, **params)` binds values as server-side `{name:Type}` parameters,
adds the table map's `{<name>_db:Identifier}.{<name>_tbl:Identifier}`
parameters, executes on the shared read-only client and returns a polars
DataFrame built from Arrow (no row-by-row conversion).

Inside a Streamlit run the client is the `st.connection`; elsewhere (CLI,
benchmark, tests) it is the process-wide `lib.clickhouse.client.default_client()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from lib.clickhouse.client import DeskClient, default_client
from lib.clickhouse.contract import rewrite
from queries.engine import inception, scope
from queries.engine.drift import drift_casts, null_key_columns

_override: ContextVar[DeskClient | None] = ContextVar("desk_client_override", default=None)
_recorder: list[tuple[str, dict[str, Any], int]] | None = None  # set by bench.run only
_SQL_DIR = Path(__file__).resolve().parent.parent  # the domain statements live in queries/


def sql_file(name: str) -> str:
    """SQL kept in its own file under queries/ (long statements read better there)."""
    return (_SQL_DIR / name).read_text()


@contextmanager
def recording() -> Iterator[list[tuple[str, dict[str, Any], int]]]:
    """Record (sql, params, rows) of every statement run (the benchmark replays them)."""
    global _recorder
    log: list[tuple[str, dict[str, Any], int]] = []
    _recorder = log
    try:
        yield log
    finally:
        _recorder = None


@contextmanager
def use_client(c: DeskClient) -> Iterator[DeskClient]:
    """Run queries on a specific client (tests on fixtures, the benchmark)."""
    token = _override.set(c)
    try:
        yield c
    finally:
        _override.reset(token)


def client() -> DeskClient:
    """The shared client: an explicit override, the st.connection inside a script run, else the default."""
    forced = _override.get()
    if forced is not None:
        return forced
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is not None:
        from queries.engine.connection import get_connection

        return get_connection().client
    return default_client()


def run(sql: str, **params: Any) -> pl.DataFrame:
    """Execute one read-only statement and return its rows as polars.

    `__INCEPTION_TS__` reads the inception rule (queries/engine/inception.py), computed first. Tables that carry `account`
    are read in the selected account scope (queries/engine/scope.py). A table whose remote columns drifted to
    compatible types (lib/clickhouse/contract.py) is read through a subquery that casts them back to the contract's
    types; rows with NULL in a key column (lib.clickhouse.contract.NULL_KEYS) are left out.
    """
    return _execute(sql, params, keep_null_keys=False)


def run_recent(sql: str, recent: scope.Recent, **params: Any) -> pl.DataFrame:
    """`run` for a statement of the newest hours: `recent` says which rounds of "all accounts" it reads
    (scope.Recent), so it does not sum the whole history. The same rows as `run`.

    With "all accounts" one small statement runs first, over the snapshots as they are: the first snapshot of
    the first round it needs (account_rounds_start.sql); with `back_to_usable`, a second counts the usable rounds
    from there, and none means every round. The statement then sums the rounds from that snapshot on (a
    parameter). Data arriving between them only adds newer rounds, which the statement reads too.
    """
    chosen = scope.current()
    c = client()
    if not chosen.combined or not scope.reads_account(sql, params, c.tables):  # inception is computed on its own
        return _execute(sql, params, keep_null_keys=False)
    window_from, window_to = scope.rounds_window(params)
    found = _execute_rows(  # the snapshots as they are: where the rounds start
        recent.start_sql(),
        {**recent.params(), "desk_rounds_from": window_from, "desk_rounds_to": window_to},
        keep_null_keys=False,
    )
    start = found.item() if found.height else None
    if start is not None and recent.back_to_usable:
        usable = _execute(scope.USABLE_ROUNDS_SQL, {**params, **recent.params()}, False, rounds_start=start)
        start = start if usable.item() > 0 else None
    return _execute(sql, params, keep_null_keys=False, rounds_start=start)


def run_rows(sql: str, **params: Any) -> pl.DataFrame:
    """`run` for a statement about the rows the sync stored (System Health's sync statistics, rows per hour, odd
    rows): one account reads its own rows; "all accounts" reads every account's rows as they are, never the summed
    rounds (one row a round, its duplicates gone) nor the ledger with transfers netted. Those are the desk's
    equity and cash flows, not what the sync delivered."""
    return _execute_rows(sql, params, keep_null_keys=False)


def run_keeping_null_keys(sql: str, **params: Any) -> pl.DataFrame:
    """`run_rows` for the one statement that counts the rows with a NULL key (queries.health.odd_data.null_key_rows):
    the tables are read as they are, neither cast (a CAST would turn a NULL into '') nor filtered."""
    return _execute_rows(sql, params, keep_null_keys=True)


def _execute_rows(sql: str, params: dict[str, Any], keep_null_keys: bool) -> pl.DataFrame:
    with scope.use(scope.as_stored(scope.current())):
        return _execute(sql, params, keep_null_keys)


def _execute(
    sql: str, params: dict[str, Any], keep_null_keys: bool, rounds_start: datetime | None = None
) -> pl.DataFrame:
    c = client()
    computed = None
    if inception.computed_first(sql, c.settings):  # first: one value, over the scope's snapshots as they are
        computed = _execute_rows(inception.STATEMENT, inception.statement_params(), keep_null_keys).item()
    sql, inception_params = inception.apply(sql, c.settings, computed)
    params = {**inception_params, **params}
    sql, scope_params = scope.apply(sql, params, c.tables, scope.current(), rounds_start)
    params = {**params, **scope_params}
    if not keep_null_keys:
        sql = rewrite(sql, {**c.tables.params(), **params}, drift_casts(c), null_key_columns(c))
    table = c.query_arrow(sql, params)
    if _recorder is not None:
        _recorder.append((sql, dict(params), table.num_rows))
    return pl.from_arrow(table)  # type: ignore[return-value]
