"""Positions: fills that do not chain into one position (queries/tracking/timeline.sql, chain_open)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib import format as fmt


def open_chains(timeline: pl.DataFrame | None) -> None:
    """Positions whose last millisecond of fills does not chain into one result (queries/tracking/timeline.sql)."""
    if timeline is None or "chain_open" not in timeline.columns:
        return
    bad = timeline.filter(pl.col("chain_open"))["sym"].unique().sort().to_list()
    if bad:
        names = ", ".join(fmt.md_text(s) for s in bad[:15]) + (f", +{len(bad) - 15} more" if len(bad) > 15 else "")
        st.warning(
            f"**{fmt.plural(len(bad), 'position')} from fills that {fmt.agree(len(bad), 'does', 'do')} not chain** "
            f"(several fills in one millisecond whose start positions and sizes do not lead to one result): {names}. The highest trade id's "
            "result is used; check these against the exchange snapshot below.",
            icon=":material/link_off:",
        )
