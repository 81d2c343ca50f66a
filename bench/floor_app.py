"""A title, one small Plotly chart and one small data grid: the floor of any page that uses them.

Streamlit loads the Plotly and data-grid front-end code on the first chart and grid a
fresh browser sees (about 0.8 s and 0.6 s here); every desk page has both, so this
page is what a page costs before any content of its own.
"""

import plotly.graph_objects as go
import polars as pl
import streamlit as st

st.title("floor")
st.plotly_chart(go.Figure(go.Scatter(x=list(range(50)), y=list(range(50)))))
st.dataframe(pl.DataFrame({"a": list(range(50)), "b": [str(i) for i in range(50)]}))
