"""Live positions (exchange snapshots) for the Positions page."""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib import config
from queries._base import run


@st.cache_data(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def latest_positions() -> pl.DataFrame:
    """Every coin of the newest positions snapshot, one row per coin even if synced twice."""
    return run(
        """
        WITH (SELECT max(ts) FROM {positions_db:Identifier}.{positions_tbl:Identifier}) AS last_ts
        SELECT ts, coin, szi, entry_px, position_value, unrealized_pnl, leverage, liquidation_px
        FROM {positions_db:Identifier}.{positions_tbl:Identifier}
        WHERE ts = last_ts
        ORDER BY abs(position_value) DESC, coin
        LIMIT 1 BY coin
        """
    )
