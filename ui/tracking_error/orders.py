"""Tracking Error, the day story's missing positions and the orders behind them: a symbol the model wanted
and the book did not hold links to its orders of that day on the Trades page's Orders tab (a rejected or
canceled order explains it; none at all means it was never sent)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib import format as fmt
from lib.tracking import classification as te
from ui import cache


@cache.section()
def missing_orders(table: pl.DataFrame, orders: pl.DataFrame, link: str) -> None:
    """One line per MISSING_POSITION symbol of the day: its orders' outcomes, linked; or 'no order'."""
    if "category" not in table.columns:
        return
    missing = table.filter(pl.col("category") == te.MISSING_POSITION)["sym"].cast(pl.String).to_list()
    if not missing:
        return
    by_coin = {str(r["coin"]): r for r in orders.iter_rows(named=True)}
    parts = []
    for sym in missing:
        r = by_coin.get(sym)
        name = fmt.md_text(sym)
        if r is None or not r["n_orders"]:
            parts.append(f"**{name}**: no order placed that day")
            continue
        outcome = ", ".join(
            f"{int(r[f'n_{s}'])} {s}" for s in ("rejected", "canceled", "filled", "open") if r.get(f"n_{s}")
        )
        parts.append(f"**[{name}]({link}{sym})**: {fmt.plural(int(r['n_orders']), 'order')}, {outcome}")
    st.markdown(
        "**Orders behind the missing positions** (the day's orders on the Trades page's Orders tab):  \n"
        + "  \n".join(parts)
    )
