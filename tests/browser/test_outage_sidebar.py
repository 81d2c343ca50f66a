"""System Health's auto-refresh shows an outage in the sidebar's source box, like every other page.

The sidebar is drawn by full runs only; System Health re-runs its panels as a
fragment on a timer. A real server over the HTTP ClickHouse fixture (this
test process serves the demo desk on a loopback port): the page loads green,
the endpoint goes away, and within one refresh the source box turns red
without anyone touching the page.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import StreamlitServer, screenshot, wait_for_run
from tests.conftest import DESK_PATH
from tests.http_clickhouse import http_clickhouse

pytestmark = pytest.mark.browser


def source_box(page):
    return page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]').filter(has_text="Data source").first


def test_system_health_refresh_turns_the_source_box_red(desk_client, tabs, tmp_path):
    with http_clickhouse(str(DESK_PATH), users={"reader": "reader-pw"}) as remote:
        srv = StreamlitServer(
            # a healthy first load on a loaded machine is not timed out (the break below is an HTTP error, not a hang)
            {"CLICKHOUSE_URL": remote.url(), "DESK_QUERY_TIME_LIMIT_S": "30", "DESK_CONNECT_TIMEOUT_S": "1"},
            tmp_path / "streamlit.log",
        )
        page = tabs.open(1440, 900)
        try:
            page.goto(f"{srv.url}/system_health?every=30", wait_until="domcontentloaded")
            wait_for_run(page)
            box = source_box(page)
            assert "ClickHouse unreachable" not in box.inner_text()
            assert box.locator('[data-testid="stAlertContentSuccess"]').count() == 1, box.inner_html()[:500]
            remote.mode = "http502"  # the endpoint breaks; nobody clicks anything
            page.wait_for_function(
                """() => [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stAlert"]')]
                       .some(a => a.innerText.includes('Data source')
                                  && a.querySelector('[data-testid="stAlertContentError"]'))""",
                polling=500,
                timeout=75_000,
            )
            text = source_box(page).inner_text().replace("\u2060", "")  # the word joiners that stop autolinks
            assert "HTTP error" in text and f"127.0.0.1:{remote.port}" in text, text
            screenshot(page, "system-health-outage-sidebar")
        finally:
            tabs.release(page)
            srv.stop()
