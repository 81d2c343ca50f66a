"""Layout pieces that stay readable from a laptop window (800 px) to a wide screen.

`st.columns(n)` gives each metric 1/n of the row whatever its value, so at
800 px a headline value is cut to "$1…". `metric_row(n)` returns n slots in a
horizontal container that wraps: each slot is as wide as its content, and a
slot that does not fit moves to the next line, so a value is never truncated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st


def metric_row(n: int) -> list[Any]:
    """n slots for metrics (and their captions) that wrap onto more lines on a narrow screen."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width="content", gap=None) for _ in range(n)]


def chart_row(n: int, width: int = 460) -> list[Any]:
    """n chart slots side by side, `width` px at least each, that stack on a narrow screen (st.columns keeps
    two charts side by side down to 640 px, where each is too narrow to read)."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width=width, gap=None) for _ in range(n)]


def control_row(slots: int | Sequence[int], width: int = 200) -> list[Any]:
    """Slots for inputs, `width` px each (or one width per slot), wrapping on a narrow screen so
    labels are never squeezed to a letter."""
    widths = [width] * slots if isinstance(slots, int) else list(slots)
    row = st.container(horizontal=True, gap="medium", vertical_alignment="bottom")
    return [row.container(width=w, gap=None) for w in widths]


def beside(main_width: int = 660, side_width: int = 420) -> list[Any]:
    """A main slot and a side slot next to it on a wide screen (both fit beside the sidebar at 1600 px), the side
    one below it on a narrower one (the row wraps), so neither is squeezed to a ribbon (st.columns keeps both side
    by side down to 640 px)."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width=main_width), row.container(width=side_width)]
