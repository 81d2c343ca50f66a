"""Desk Monitor: page config, navigation and the shared sidebar."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# The tab icon is a file of the app, sent inline: a :material/…: page icon makes the browser fetch it from
# an external font host, which fails offline (and tells that host who reads the desk).
st.set_page_config(
    page_title="Desk Monitor",
    page_icon=str(Path(__file__).parent / "ui" / "shell" / "icon.svg"),
    layout="wide",
    initial_sidebar_state="expanded",
)

from lib.config import ConfigError, check_environment  # noqa: E402  (set_page_config must come first)
from queries.engine.connection import get_connection  # noqa: E402
from ui import data, layout  # noqa: E402
from ui.shell import auth, bootstrap, preload, refresh, sidebar  # noqa: E402

# url_path = the file's stem: on a fresh server Streamlit's legacy pages/ mode
# resolves a direct link by file stem before app.py has run (see ui/shell/router.py).
PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),  # at /
    st.Page("pages/positions.py", title="Positions", icon=":material/balance:", url_path="positions"),
    st.Page("pages/trades.py", title="Trades", icon=":material/receipt_long:", url_path="trades"),
    st.Page("pages/tracking_error.py", title="Tracking Error", icon=":material/target:", url_path="tracking_error"),
    st.Page("pages/system_health.py", title="System Health", icon=":material/monitor_heart:", url_path="system_health"),
]

data.begin_run()
layout.narrow_screen_style()
# the navigation first, hidden until signed in: a signed-out visitor sees no page list
# (without it Streamlit would show its legacy pages/ menu beside the sign-in screen)
page = st.navigation(PAGES, position="sidebar" if auth.signed_in() else "hidden")
auth.require_login()

try:
    check_environment()  # a bad DESK_* number: say which and what it expects, run nothing else
    conn = get_connection()
except ConfigError as err:
    st.error(f"**ClickHouse configuration error.** {err}")
    st.stop()

bootstrap.ensure_demo(conn.client)
in_place = page.url_path in refresh.IN_PLACE_PAGES  # its live panels refresh themselves, the page stays put
charts = preload.first_view_draws_charts(page.url_path, st.query_params)  # else its code waits for a chart
with sidebar.selected(sidebar.render(conn.client, in_place, charts)) as chosen, sidebar.timed_run(chosen.refresh_s):
    if page.url_path in refresh.WHOLE_PAGES:
        refresh.run_page(page, chosen)  # the page is one live panel: its refresh reruns it alone
    else:
        page.run()  # System Health's own panels refresh in place
