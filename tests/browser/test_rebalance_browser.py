"""The rebalance desk in Chromium at 800 and 1600 px: Positions with the trades-to-target ticket (the next
targets, with their checks beside), Overview with today's rebalance panel (on the session's desk, ending
2025-12-15, nothing had to change; on a desk ending 2025-12-07 12:00, the reference day's rebalance with ARB,
WLD and BCH open), and the Trades Rebalance tab on 2025-12-07. Each is saved under artifacts/screenshots/ as rebalance_<view>_<width>.png
(a whole page) and rebalance_<view>_<width>_section.png (the section alone), and checked: no exception, no cut
metric, no chart legend over its title."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import ARTIFACTS, ROOT, StreamlitServer, screenshot, wait_for_run
from tests.browser.test_views_browser import CLEAN, _settled_problems

pytestmark = pytest.mark.browser
WIDTHS = (1600, 800)
VIEWS = {
    # name: (path and query, the section's heading, the heading after it)
    "positions_ticket": ("positions?targets=next", "Trades to target", "Reconciliation"),
    "overview_panel": ("", "Today's rebalance", "Risk"),
    "overview_panel_dec7": ("", "Today's rebalance", "Risk"),
    "trades_rebalance": (
        "trades?tab=rebalance&rebalance_day=2025-12-07&from=2025-12-01&to=2025-12-10",
        "Rebalance of",
        None,
    ),
}


def section_shot(page, heading: str, next_heading: str | None, name: str) -> Path:
    """A screenshot of the page from `heading` to `next_heading` (or 1400 px below it)."""
    top = page.get_by_text(heading, exact=False).first
    top.scroll_into_view_if_needed()
    box = top.bounding_box()
    bottom = page.get_by_role("heading", name=next_heading).first.bounding_box() if next_heading else None
    height = (bottom["y"] - box["y"]) if bottom else 1400
    out = ARTIFACTS / f"{name}_section.png"
    width = page.viewport_size["width"]
    page.screenshot(
        path=str(out), full_page=True, clip={"x": 0, "y": max(box["y"] - 10, 0), "width": width, "height": height}
    )
    return out


@pytest.fixture(scope="module")
def dec7_server(tmp_path_factory):
    """The demo desk ending 2025-12-07 12:00 UTC: today's rebalance is the playbook's reference day."""
    path = tmp_path_factory.mktemp("dec7") / "desk.chdb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "demo",
            "--path",
            str(path),
            "--start",
            "2025-11-20",
            "--end",
            "2025-12-07T12:00",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    srv = StreamlitServer({"CLICKHOUSE_URL": f"chdb://{path}"}, tmp_path_factory.mktemp("logs-dec7") / "streamlit.log")
    yield srv
    srv.stop()


SIDEBAR_OPEN_JS = "() => document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().width > 150"
SIDEBAR_STATE_JS = """() => { const s = document.querySelector('[data-testid="stSidebar"]');
    return {collapsed: s.getAttribute('data-collapsed'), width: s.getBoundingClientRect().width,
            window: window.innerWidth, checked: !!window.__deskSidebarChecked}; }"""


def _check_and_save(page, view: str, width: int) -> None:
    path, heading, next_heading = VIEWS[view]
    assert page.locator('[data-testid="stException"]').count() == 0
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert heading in body and "Traceback" not in body
    problems = _settled_problems(page)
    assert problems == CLEAN, (view, width, problems)
    if view == "positions_ticket":
        assert "Checked before they trade" in body and "Every check passed" in body
    if view == "overview_panel_dec7":
        assert "The 2025-12-07 00:00 UTC rebalance" in body and "symbols not done" in body
    if view == "trades_rebalance":
        assert "4 symbols not done (orders rejected or canceled 1, partial 3, done 34)" in body
    name = f"rebalance_{view}_{width}"
    whole = screenshot(page, name)
    part = section_shot(page, heading, next_heading, name)
    assert whole.stat().st_size > 10_000 and part.stat().st_size > 5_000


@pytest.mark.parametrize("view", list(VIEWS))
def test_rebalance_views_render_and_are_saved(request, tabs, view):
    """One load a view: opened in an 800 px window (the sidebar starts collapsed there), then the same page
    widened to 1600 px with its sidebar opened, as a reader who maximises the window and opens it sees it."""
    server = request.getfixturevalue("dec7_server" if view.endswith("dec7") else "server")
    narrow, wide = sorted(WIDTHS)
    page = tabs.open(narrow, 1000)
    try:
        page.goto(f"{server.url}/{VIEWS[view][0]}", wait_until="domcontentloaded")
        wait_for_run(page)
        _check_and_save(page, view, narrow)
        page.set_viewport_size({"width": wide, "height": 1000})
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        sidebar = page.locator('[data-testid="stSidebar"]')
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stSidebar\"]').getAttribute('data-collapsed') === 'false'"
        )
        wait_for_run(page)
        # the page is measured beside the open sidebar: wait for it to have its width (once, under CI's load, it
        # was 0 px 1.5 s after data-collapsed turned false; not reproduced alone or in its module, 5 runs)
        try:
            page.wait_for_function(SIDEBAR_OPEN_JS, timeout=15_000)
        except PlaywrightTimeout:
            state = page.evaluate(SIDEBAR_STATE_JS)
            raise AssertionError(f"the sidebar did not open to its width: {state}") from None
        assert sidebar.bounding_box()["width"] > 150
        _check_and_save(page, view, wide)
    finally:
        tabs.release(page)
