"""The Overview's line on the live book against the model book, and the link to its section on Tracking Error.

One answer (`answers.shortfall.model_book`, daily: no hourly curve, no waterfall) over the sidebar's range.
"""

from __future__ import annotations

import streamlit as st

from answers import shortfall as answers
from lib import format as fmt
from ui import cache
from ui.data import load
from ui.shell.sidebar import Selection


def line(book: answers.ModelBook) -> str:
    """'Live −$3,040 (−23.4 bp) against the model book over 2025-12-01 – 2025-12-31, within its ±2σ band (±158 bp).'"""
    window, band = book.window, book.band
    if window.end is None or book.gap_usd is None:
        return "Live against the model book: no complete day in this range yet."
    i = band.last
    where = ""
    if i is not None and band.limit_bp[i] is not None:
        lim = band.limit_bp[i] or 0.0
        status = band.status(i)
        where = (
            f", within its ±{band.k:g}σ band (±{lim:.0f} bp)"
            if status == "inside"
            else f", **outside** its ±{band.k:g}σ band (±{lim:.0f} bp)"
        )
    return (
        f"**Live against the model book:** {fmt.md_text(fmt.usd(book.gap_usd, signed=True))} "
        f"({fmt.md_text(fmt.bps(book.gap_bp))}) over {window.start.isoformat()} – {window.end.isoformat()}"
        f"{where}."
    )


@cache.section()
def _draw(text: str, pending: str | None) -> None:
    st.markdown(text)
    if pending:
        st.caption(f"Not in the numbers yet: {fmt.md_text(pending)}.")


def show(sidebar: Selection) -> None:
    """One line (live − model over the range, in $ and bp, and the band) and a link to the Tracking Error section."""
    book = load(answers.model_book, sidebar.start, sidebar.end, as_of=sidebar.as_of, what="live against the model book")
    if book is None:
        return
    _draw(line(book), book.window.pending)
    st.page_link(
        "pages/tracking_error.py",
        label="Where the difference went: Tracking Error, live against the model book",
        icon=":material/arrow_forward:",
        query_params=sidebar.link_params(section="model_book"),
    )
