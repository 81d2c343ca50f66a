"""Freshness and liveness: what System Health and the sidebar read."""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib import config
from queries._base import client, run

# The time column of each logical table (identifiers, bound server-side).
TIME_COLUMNS = {
    "trades": "time",
    "positions": "ts",
    "account": "ts",
    "funding": "time",
    "ledger": "time",
    "orders": "time",
    "heartbeat": "ts",
    "sync_log": "started_at",
    "targets": "date",
    "klines": "open_time",
}


@st.cache_data(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def data_as_of() -> pl.DataFrame:
    """Newest account and positions snapshot: the 'data as of' of every page."""
    return run(
        """
        SELECT
            (SELECT max(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}) AS account_ts,
            (SELECT max(ts) FROM {positions_db:Identifier}.{positions_tbl:Identifier}) AS positions_ts,
            now64(3, 'UTC') AS server_now
        """
    )


@st.cache_data(ttl=config.TTL_LIVE, max_entries=16, show_spinner=False)
def table_freshness(name: str) -> pl.DataFrame:
    """Newest row and row count of one logical table (raw rows, duplicates included)."""
    if name not in TIME_COLUMNS:
        raise ValueError(f"unknown table {name!r}")
    db, tbl = client().tables.tables[name]
    return run(
        """
        SELECT
            {name:String} AS table_key,
            toDateTime64(max({col:Identifier}), 3, 'UTC') AS newest,
            count() AS rows,
            now64(3, 'UTC') AS server_now
        FROM {db:Identifier}.{tbl:Identifier}
        """,
        name=name,
        col=TIME_COLUMNS[name],
        db=db,
        tbl=tbl,
    )
