"""Trades: what the fill sums leave out, said next to the headline (never a silent change).

Invalid fills (a price or size that is not a positive number) are listed but left
out of every sum; fees in a token without a known USD price are listed apart and
kept out of the USD fee sum; spot fills are no perp position (queries/book/fills.sql).
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from lib import format as fmt


def notes(t: dict[str, Any], unconverted: pl.DataFrame | None) -> None:
    """One warning per kind of odd fill in the range, with its count."""
    if t.get("n_invalid"):
        st.warning(
            f"**{t['n_invalid']:,} fill(s) with a price or size that is not a positive number** (NaN, "
            "infinite, zero or negative) are left out of notional, fees, realized PnL, maker share and "
            "slippage; they are still listed (column *Valid*).",
            icon=":material/warning:",
        )
    if t.get("n_fee_unconverted"):
        tokens = ""
        if unconverted is not None and unconverted.height:
            tokens = ": " + ", ".join(
                f"{fmt.md_text(r['fee_token'])} {r['fee_in_token']:,.6g} ({r['n_fills']} fills)"
                for r in unconverted.iter_rows(named=True)
            )
        st.warning(
            f"**{t['n_fee_unconverted']:,} fee(s) paid in a token without a known USD price** are not in "
            f"the Fees total{tokens}.",
            icon=":material/currency_exchange:",
        )
    if t.get("n_spot"):
        st.caption(
            f"{t['n_spot']:,} spot fill(s) (e.g. PURR/USDC, @107) are in the fills and the sums above, "
            "but are no perp position: Positions and Tracking Error leave them out, and they are not "
            "judged against a Binance price."
        )
