"""System Health in a real browser: renders, auto-refreshes, pauses, keeps the sidebar on navigation."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import screenshot, wait_for_run

pytestmark = pytest.mark.browser
CHECKED = re.compile(r"Checked (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")


def _checked(page) -> str:
    text = page.locator('[data-testid="stMain"]').inner_text()
    m = CHECKED.search(text)
    assert m, text[:1500]
    return m.group(1)


def test_system_health_full_page_auto_refresh_and_pause(server, tabs):
    """The sidebar's auto-refresh (30 s here) reruns the page; off stops it; selections survive both."""
    page = tabs.open(1440, 1000)
    try:
        page.goto(f"{server.url}/system_health?every=30&res=1", wait_until="domcontentloaded")
        wait_for_run(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        body = page.locator('[data-testid="stMain"]').inner_text()
        for head in ("Monitors", "Synced tables", "Sync runs", "ClickHouse"):
            assert head in body
        assert "behind the server clock" in body  # the demo data is old
        assert "Sync lag" in body and "Binance prices (1h klines)" in body and "Model targets" in body
        assert "DOWN: account" in body  # the DOWN monitors by name
        # the monitor timeline is drawn; rows per hour and sync durations are folds, drawn on a click
        assert page.locator(".js-plotly-plot").count() == 1
        for label in ("Rows per hour · 2 d · ", "Sync durations · 24 h · longest run "):
            page.locator('[data-testid="stExpander"] summary', has_text=label).first.click()
            wait_for_run(page)
        page.locator(".js-plotly-plot").nth(2).wait_for(timeout=30_000)
        assert page.locator(".js-plotly-plot").count() == 3  # timeline, rows per hour, sync durations
        page.wait_for_timeout(1500)  # let plotly finish drawing before the screenshot
        screenshot(page, "system-health-full")
        first = _checked(page)
        # the next run starts 30 s after this one ENDED (plus at most one 5 s timer tick), then runs
        deadline = time.time() + 75
        while time.time() < deadline and _checked(page) == first:
            page.wait_for_timeout(1000)
        assert _checked(page) != first, "the page did not re-run on its own"
        assert "res=1" in page.url and "every=30" in page.url  # the rerun kept the URL
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "Data source" in page.locator('[data-testid="stSidebar"]').inner_text()

        page.locator('[data-testid="stSidebar"]').get_by_text("off", exact=True).click()
        page.wait_for_function("() => location.search.includes('every=0')", timeout=20_000)
        page.locator('[data-testid="stMain"]').get_by_text("auto-refresh paused", exact=False).first.wait_for(
            timeout=60_000
        )  # the URL changes early in the run: wait for the paused page itself
        wait_for_run(page)
        assert "res=1" in page.url  # the selection survived
        paused = _checked(page)
        page.wait_for_timeout(33_000)
        assert _checked(page) == paused, "a paused page kept refreshing"
        screenshot(page, "system-health-paused")
    finally:
        tabs.release(page)


def test_system_health_sidebar_survives_navigation(server, tabs):
    page = tabs.open(1440, 1000)
    try:
        page.goto(f"{server.url}/", wait_until="domcontentloaded")  # the default page lives at /
        wait_for_run(page)
        try:
            page.locator('[data-testid="stSidebarNav"] a[href$="system_health"]').click(timeout=20_000)
        except Exception:
            screenshot(page, "debug-nav-click")
            raise
        page.wait_for_url(re.compile(r"/system_health"))
        wait_for_run(page)
        side = page.locator('[data-testid="stSidebar"]').inner_text()
        assert "Data source" in side and "Data as of" in side
        assert page.locator("h1").first.inner_text().strip() == "System Health"
    finally:
        tabs.release(page)
