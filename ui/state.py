"""Selections that live in the URL, so a link reproduces the view.

Values are read from `st.query_params`, validated by `lib.inputs`, and
written back when a widget changes. A bad value shows a clear message and
falls back to the default; it never reaches a query.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Callable, TypeVar

import streamlit as st

from lib.inputs import InputError, parse_range

T = TypeVar("T")


def url_value(name: str, parse: Callable[[str], T], default: T) -> T:
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except InputError as err:
        st.warning(f"Ignored URL parameter `{name}`: {err}. Using {default}.", icon=":material/warning:")
        return default


def set_url(**values: object) -> None:
    for name, value in values.items():
        if value is None:
            st.query_params.pop(name, None)
        else:
            text = value.isoformat() if isinstance(value, date) else str(value)
            if st.query_params.get(name) != text:
                st.query_params[name] = text


def global_range(latest: date) -> tuple[date, date]:
    """The sidebar date range (UTC days, inclusive), default the last 30 days."""
    default = (latest - timedelta(days=29), latest)
    raw_from, raw_to = st.query_params.get("from"), st.query_params.get("to")
    start, end = default
    if raw_from or raw_to:
        try:
            start, end = parse_range(raw_from or default[0], raw_to or default[1])
        except InputError as err:
            st.sidebar.warning(f"Ignored the date range in the URL: {err}.", icon=":material/warning:")
    picked = st.sidebar.date_input(
        "Date range (UTC)",
        value=(start, end),
        max_value=max(latest, end),
        key="global_range",
        help="Applies to Overview, Trades and Tracking Error. Days are UTC.",
    )
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        try:
            start, end = parse_range(picked[0], picked[1])
        except InputError as err:
            st.sidebar.error(str(err))
    set_url(**{"from": start, "to": end})
    return start, end
