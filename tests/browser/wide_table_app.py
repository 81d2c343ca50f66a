"""Two tables for tests/browser/test_tables_fit_browser.py: one deliberately too wide for a 1280 px window
(20 columns of long numbers), one drawn from the same frame by ui.tables.show with the columns that fit,
so the test proves its check finds a cut-off column and that the shared mechanism avoids one."""

import sys
from pathlib import Path

import polars as pl
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ui import tables  # noqa: E402

st.set_page_config(layout="wide")
st.title("Tables")
frame = pl.DataFrame({f"column_{i:02d}": [123456.789 * (i + 1), -98765.4321] for i in range(20)})
config = {c: st.column_config.NumberColumn(c, format=tables.UNITS_FORMAT) for c in frame.columns}
st.dataframe(frame, hide_index=True, column_config=config, key="too_wide")
tables.show(frame, config, [f"column_{i:02d}" for i in range(5)], key="fitted")
