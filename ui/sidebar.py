"""The shared sidebar: data source, data as of, refresh, global date range.

`render()` draws it and returns what the pages need as a `Selection` (the
range, the data-as-of time). app.py holds that value for the page's run
(`selected`); a page reads it with `selection()`. A page's fragment receives
it as an argument, since a fragment rerun does not run app.py.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterator

import streamlit as st

from lib import format as fmt
from lib import health as health_rules
from lib.ch_client import DeskClient
from queries import health
from ui.data import load
from ui.state import global_range


@dataclass(frozen=True)
class Selection:
    """What the sidebar decided for this run."""

    start: date  # first UTC day of the global range
    end: date  # last UTC day of the global range (inclusive)
    as_of: datetime | None  # newest account snapshot, None when unknown or unreadable


_current: ContextVar[Selection | None] = ContextVar("desk_sidebar_selection", default=None)


@contextmanager
def selected(value: Selection) -> Iterator[Selection]:
    """Hold the sidebar's selection while app.py runs the page."""
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def selection() -> Selection:
    """The sidebar's selection for this run (a page run outside app.py gets today and no data-as-of)."""
    value = _current.get()
    if value is None:
        today = datetime.now(timezone.utc).date()
        return Selection(today, today, None)
    return value


def _as_of() -> datetime | None | bool:
    """Newest account snapshot; False when the query itself failed (already explained)."""
    df = load(health.data_as_of, what="data as of", where=st.sidebar)
    if df is None:
        return False
    if df.height == 0:
        return None
    ts = df.item(0, "account_ts")
    if ts is None or (hasattr(ts, "year") and ts.year < 2000):  # max() over an empty table is epoch
        return None
    return ts


def source_status(client: DeskClient) -> str:
    """What the source box shows: down (the latest query met an endpoint failure), secondary, or ok."""
    if client.outage is not None:
        return "down"
    return "secondary" if client.active == "secondary" else "ok"


def follow_source_status(client: DeskClient) -> None:
    """For a fragment that re-runs on a timer (System Health): the sidebar is drawn only by full
    runs, so when the endpoint's state changed since it was drawn, rerun the whole app once."""
    drawn = st.session_state.get("_source_status")
    if st.session_state.pop("_sidebar_this_run", False):
        return  # the sidebar was drawn in this very run; the next tick compares again
    if drawn is not None and drawn != source_status(client):
        st.rerun(scope="app")


def render(client: DeskClient) -> Selection:
    """Draw the sidebar and return the global UTC date range and the data-as-of time."""
    sb = st.sidebar
    source_box = sb.container()
    as_of = _as_of()
    status = source_status(client)
    st.session_state["_source_status"] = status
    st.session_state["_sidebar_this_run"] = True
    src = client.description
    with source_box:
        if as_of is False or status == "down":
            reason = f" — {client.outage.headline.split(' — ')[0]}" if client.outage is not None else ""
            st.error(f"**Data source:** {src}{reason}", icon=":material/cloud_off:")
        elif status == "secondary":
            st.warning(f"**Data source:** {src} — the primary endpoint is not answering.", icon=":material/swap_horiz:")
        elif client.settings.embedded_default:
            st.info(f"**Data source:** {src} (`{client.settings.primary.path}`)", icon=":material/science:")
        else:
            st.success(f"**Data source:** {src}", icon=":material/database:")

    if as_of is False:
        as_of = None
    elif as_of is None:
        sb.error("**Data as of:** unknown — the account snapshot table is empty.")
    else:
        age_s = (datetime.now(timezone.utc) - as_of).total_seconds()
        text = f"**Data as of:** {fmt.utc(as_of)} ({fmt.age(age_s)} ago)"
        status, why = health_rules.data_as_of_status(age_s)
        if status == health_rules.OK:
            sb.caption(text)
        else:  # the same rule that makes System Health call the account table LATE / DOWN
            sb.warning(f"{text} — account snapshots {status}: {why}.", icon=":material/schedule:")

    if sb.button("↻ Refresh data", help="Clear cached query results and reload from ClickHouse"):
        st.cache_data.clear()
        st.rerun()

    latest = (as_of or datetime.now(timezone.utc)).date()
    start, end = global_range(latest)
    sb.caption("All times are UTC.")
    return Selection(start, end, as_of)


def data_as_of_line(as_of: datetime | None) -> None:
    """The 'data as of' caption every page shows under its title."""
    if as_of is None:
        st.caption("Data as of: unknown (no account snapshot readable)")
    else:
        st.caption(f"Data as of {fmt.utc(as_of)} · {fmt.age_since(as_of)} ago · all times UTC")
