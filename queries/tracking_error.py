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
