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
            f"**{fmt.plural(t['n_invalid'], 'fill')} with a price or size that is not a positive number** (NaN, "
            f"infinite, zero or negative) {fmt.agree(t['n_invalid'], 'is', 'are')} left out of notional, fees, realized PnL, maker share and "
            "slippage, and still listed (column *Valid*).",
            icon=":material/warning:",
        )
    if t.get("n_fee_unconverted"):
        tokens = ""
        if unconverted is not None and unconverted.height:
            tokens = ": " + ", ".join(
                f"{fmt.md_text(r['fee_token'])} {r['fee_in_token']:,.6g} ({fmt.plural(r['n_fills'], 'fill')})"
                for r in unconverted.iter_rows(named=True)
            )
        st.warning(
            f"**{fmt.plural(t['n_fee_unconverted'], 'fee')} paid in a token without a known USD price** "
            f"{fmt.agree(t['n_fee_unconverted'], 'is', 'are')} not in "
            f"the Fees total{tokens}.",
            icon=":material/currency_exchange:",
        )
    if t.get("n_spot"):
        st.caption(
            f"{fmt.plural(t['n_spot'], 'spot fill')} (e.g. PURR/USDC, @107) {fmt.agree(t['n_spot'], 'is', 'are')} in "
            "the fills and the sums above, but spot, not perp: Positions and Tracking Error leave spot fills out, and "
            "no spot fill is judged against a Binance price."
        )
