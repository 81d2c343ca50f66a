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
    """Per (holdings day, symbol) at the END of snapshot hour `hour` UTC (-1: 00:00:00, before the
    rebalance): units, price, equity, weights, 24h return."""
    return run(TIMELINE_SQL, start=start, end=end, hour_end=snapshot_hour_end(hour), **symbols.sql_params())


def snapshot_hour_end(hour: int) -> int:
    """Hours after 00:00 UTC at which snapshot hour `hour` is read (config.SNAPSHOT_HOURS)."""
    if int(hour) not in config.SNAPSHOT_HOURS:
        raise ValueError(f"hour must be one of {config.SNAPSHOT_HOURS}, not {hour!r}")
    return int(hour) + 1
