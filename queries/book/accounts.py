"""The desk's accounts, for the account selector (read across every account, whatever is selected)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib import config
from queries.engine import scope
from queries.engine.run import run


@st.cache_data(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def account_list() -> pl.DataFrame:
    """One row per account in the account snapshots: `account`, `newest_ts`, `equity` (its newest
    finite value, NULL when none). Largest equity first, so the main account leads."""
    with scope.use(scope.EVERY_ACCOUNT):
        return run(
            """
            SELECT account,
                   toDateTime64(max(ts), 3, 'UTC') AS newest_ts,
                   argMaxIf(account_value, ts, isFinite(account_value)) AS equity
            FROM {account_db:Identifier}.{account_tbl:Identifier}
            GROUP BY account
            ORDER BY equity DESC NULLS LAST, account
            """
        )


def names(df: pl.DataFrame | None) -> list[str]:
    return [] if df is None else df["account"].to_list()
