"""Fills and execution quality for the Trades page."""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib import config
from queries._base import run


@st.cache_data(ttl=config.TTL_INTRADAY, max_entries=8, show_spinner=False)
def latest_fills(limit: int = 50) -> pl.DataFrame:
    """The newest fills, each once even when the sync delivered it twice."""
    return run(
        """
        SELECT time, coin, side, px, sz, px * sz AS notional, dir, closed_pnl, fee, crossed, oid, tid
        FROM {trades_db:Identifier}.{trades_tbl:Identifier}
        ORDER BY time DESC, tid DESC
        LIMIT 1 BY account, tid
        LIMIT {limit:UInt32}
        """,
        limit=int(limit),
    )
