"""The remote's columns against the data contract: System Health's table (see queries/engine/drift.py for the casts)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib import config
from lib.clickhouse import contract
from queries.engine.drift import drift_casts, forget, present_tables, remote_columns
from queries.engine.run import client

__all__ = ["contract_check", "drift_casts", "forget", "present_tables"]


@st.cache_data(ttl=config.TTL_DAILY, max_entries=4, show_spinner=False)
def contract_check() -> pl.DataFrame:
    """One row per contract column (and per extra column): table, column, expected, actual, status, note."""
    rows = contract.compare(remote_columns(client()), client().tables.tables)
    schema = {
        "table": pl.String,
        "qualified": pl.String,
        "column": pl.String,
        "expected": pl.String,
        "actual": pl.String,
        "status": pl.String,
        "note": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
