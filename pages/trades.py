"""Trades: the execution record."""

import streamlit as st

from queries import trades
from ui.data import empty_note, load
from ui.sidebar import data_as_of_line

st.title("Trades")
data_as_of_line()

fills = load(trades.latest_fills, 50, what="latest fills")
if fills is not None and not empty_note(fills, "fills"):
    st.subheader("Latest fills")
    st.dataframe(fills, hide_index=True)
