"""The short data-quality note a page shows when rows its numbers would read were left out for an empty (NULL)
key (lib.clickhouse.contract.NULL_KEYS; System Health lists them in full)."""

from __future__ import annotations

import streamlit as st

from lib.health import odd_rows
from queries.health import odd_data
from ui.data import load_optional


def null_key_note(tables: tuple[str, ...]) -> None:
    """A caption naming the rows of `tables` (logical names) left out, nothing when there are none."""
    frame = load_optional(odd_data.null_key_rows, what="Rows with an empty key")
    if frame is None or frame.height == 0:
        return
    sentence = odd_rows.null_key_sentence(frame.iter_rows(named=True), tables)
    if sentence:
        st.caption(":material/filter_alt_off: " + sentence)
