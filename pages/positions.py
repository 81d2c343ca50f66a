"""Positions: where the book stands against the model right now."""

import streamlit as st

from queries import positions
from ui.data import empty_note, load
from ui.sidebar import data_as_of_line

st.title("Positions")
data_as_of_line()

pos = load(positions.latest_positions, what="latest positions")
if pos is not None and not empty_note(pos, "the latest positions snapshot"):
    st.subheader(f"Latest snapshot · {pos.height} coins")
    st.dataframe(pos, hide_index=True)
