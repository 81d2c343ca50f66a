"""First start on the embedded engine: build the demo desk, with progress shown.

Only the embedded default is ever written to; a configured server is
read-only to the dashboard.
"""

from __future__ import annotations

import threading

import streamlit as st

from lib.ch_client import DeskClient, QueryFailed

_seed_lock = threading.Lock()


def _seeded(client: DeskClient) -> bool:
    db, tbl = client.tables.tables["account"]
    df = client.query_arrow(
        "SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {tbl:String}",
        {"db": db, "tbl": tbl},
    )
    if df.column("n")[0].as_py() == 0:
        return False
    rows = client.query_arrow("SELECT count() AS n FROM {account_db:Identifier}.{account_tbl:Identifier}")
    return rows.column("n")[0].as_py() > 0


def ensure_demo(client: DeskClient) -> None:
    """Seed the embedded demo desk once per database path."""
    if not client.settings.embedded_default:
        return
    try:
        if _seeded(client):
            return
    except QueryFailed as err:
        st.error(f"**Embedded demo database could not be opened.** {err.detail}")
        st.stop()
    from lib import demo

    with _seed_lock:
        if _seeded(client):
            return
        with st.status("Building the embedded demo desk (first start only)…", expanded=True) as status:
            bar = st.progress(0.0)

            def progress(frac: float, text: str) -> None:
                bar.progress(min(max(frac, 0.0), 1.0), text=text)

            summary = demo.seed(client.settings.primary.path, progress=progress)
            status.update(label=f"Demo desk ready ({summary.get('seconds', 0):.0f} s)", state="complete")
    st.cache_data.clear()
