"""The hourly timeline at the snapshot hour, for Positions and Tracking Error.

One SQL statement (timeline.sql) per request: ClickHouse de-duplicates,
carries positions forward, joins prices, equity and T+2/T+1 targets; Python
receives one row per (day, symbol) and classifies them with lib.tracking_error.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from lib import config, symbols
from queries._base import run, sql_file

TIMELINE_SQL = sql_file("timeline.sql")


@st.cache_data(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def timeline(start: date, end: date, hour: int = config.DEFAULT_SNAPSHOT_HOUR) -> pl.DataFrame:
    """Per (holdings day, symbol) at `hour` UTC: units, price, equity, weights, 24h return."""
    return run(TIMELINE_SQL, start=start, end=end, hour=int(hour), **symbols.sql_params())


@st.cache_data(ttl=config.TTL_LIVE, max_entries=2, show_spinner=False)
def newest_target_date() -> pl.DataFrame:
    """One row: `newest`, the latest date of the model's targets (NULL when the table is empty).

    The alert rules judge the model feed by it (lib.alerts.targets_missing).
    """
    return run("SELECT maxOrNull(date) AS newest FROM {targets_db:Identifier}.{targets_tbl:Identifier}")
