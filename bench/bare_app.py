"""An empty page: the benchmark's measure of Streamlit's fixed cost per render."""

import streamlit as st

st.title("bare")
