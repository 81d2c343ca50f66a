"""System Health: is the data flowing and how late is it?"""

import polars as pl
import streamlit as st

from queries import health
from ui.data import load
from ui.sidebar import data_as_of_line

st.title("System Health")
data_as_of_line()

rows = []
for name in health.TIME_COLUMNS:
    df = load(health.table_freshness, name, what=f"freshness of {name}")
    if df is not None:
        rows.append(df)
if rows:
    st.subheader("Table freshness")
    st.dataframe(pl.concat(rows, how="vertical_relaxed"), hide_index=True)
