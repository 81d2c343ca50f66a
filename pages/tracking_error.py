"""Tracking Error: the trend and what drives it."""

import streamlit as st

from ui.sidebar import data_as_of_line

st.title("Tracking Error")
data_as_of_line()
