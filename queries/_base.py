"""The query choke point every `queries/` module goes through.

`run(sql, **params)` binds values as server-side `{name:Type}` parameters,
adds the table map's `{<name>_db:Identifier}.{<name>_tbl:Identifier}`
parameters, executes on the shared read-only client and returns a polars
DataFrame built from Arrow (no row-by-row conversion).

Inside a Streamlit run the client is the `st.connection`; elsewhere (CLI,
benchmark, tests) it is the process-wide `lib.ch_client.default_client()`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from lib.ch_client import DeskClient, default_client


def client() -> DeskClient:
    """The shared client: the st.connection inside a script run, else the default."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is not None:
        from lib.connection import get_connection

        return get_connection().client
    return default_client()


def run(sql: str, **params: Any) -> pl.DataFrame:
    """Execute one read-only statement and return its rows as polars."""
    table = client().query_arrow(sql, params)
    return pl.from_arrow(table)  # type: ignore[return-value]


def scalar(sql: str, **params: Any) -> Any:
    df = run(sql, **params)
    if df.height == 0:
        return None
    return df.item(0, 0)
