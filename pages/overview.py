"""Overview: the PM's first look — equity, PnL, exposure."""

import streamlit as st

from lib import format as fmt
from queries import overview
from ui.data import load
from ui.sidebar import data_as_of_line

st.title("Overview")
data_as_of_line()

eq = load(overview.latest_equity, what="latest equity")
if eq is not None and eq.height:
    row = eq.row(0, named=True)
    c1, c2, c3 = st.columns(3)
    c1.metric("Equity (AUM)", fmt.usd(row["account_value"]))
    c2.metric("Total notional", fmt.usd(row["total_ntl_pos"]))
    c3.metric("Withdrawable", fmt.usd(row["withdrawable"]))
elif eq is not None:
    st.info("No account snapshots yet.")
