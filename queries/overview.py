"""Equity, PnL and exposure for the Overview page."""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib import config
from queries._base import run


@st.cache_data(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def latest_equity() -> pl.DataFrame:
    """The newest account snapshot (equity = account_value, USD)."""
    return run(
        """
        SELECT ts, account, account_value, total_ntl_pos, total_margin_used, withdrawable
        FROM {account_db:Identifier}.{account_tbl:Identifier}
        ORDER BY ts DESC
        LIMIT 1
        """
    )
