"""Every table's default columns fit a 1280 px laptop: no sideways scroll in any grid, on every page and
in every tab that holds a table (issue 24 §1.1); at 800 px the sidebar starts collapsed (ui.layout) and the
Overview, Positions and Trades tables fit the ~768 px main column too. The same visit checks that no request leaves the machine
(issue 24 §1.7): a `:material/…:` page icon made the browser fetch the favicon from an external font host, which
fails offline and tells that host who reads. One visit per view checks both (each visit costs seconds).

Streamlit's grid (glide data grid) draws on a canvas inside a scroller (`.dvn-scroller`) whose scroll
width is the sum of the column widths: a grid whose scroller is wider than its box has a cut-off column.
Each lazy tab is opened by its URL (`?tab=…`, `?section=…`), so a lost tab click cannot hide a table.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import StreamlitServer, screenshot, wait_for_run
from tests.browser.visits import view_name

pytestmark = pytest.mark.browser
WIDTH = 1280
# Every page, and every lazy tab of a page (its URL), that holds a table.
VIEWS = [
    "",
    "?section=margin",
    "?section=flows",
    "?section=regimes",
    "positions",
    "positions?targets=next",
    "trades",
    "trades?tab=per_day",
    "trades?tab=by_coin",
    "trades?tab=untracked",
    "trades?tab=drilldown&coin=BTC",
    "trades?tab=orders",
    "trades?tab=orders&orders_coin=BTC",
    "trades?tab=rebalance&rebalance_day=2025-12-07",
    "tracking_error",
    "tracking_error?section=drivers",
    "tracking_error?section=model_book",
    "system_health",
    "system_health?section=prices",
    "system_health?section=data",
]

# One grid: its first headers and how far its content runs past its box (px); -1 without a scroller.
GRID = """g => {
    const s = g.querySelector('.dvn-scroller');
    const heads = [...g.querySelectorAll('table thead th, [role="columnheader"]')].map(h => h.innerText.trim());
    return {heads: heads.slice(0, 6).join(' | '), over: s ? s.scrollWidth - s.clientWidth : -1,
            width: Math.round(g.getBoundingClientRect().width)};
}"""


def grids(page) -> list[dict]:
    """Every grid shown on the page, measured once it is in view (a grid below the fold is drawn when it
    scrolls into view) and has painted."""
    found = []
    shown = page.locator('[data-testid="stDataFrame"]:visible')
    for i in range(shown.count()):
        grid = shown.nth(i)
        grid.scroll_into_view_if_needed()
        try:
            grid.locator(".dvn-scroller").wait_for(timeout=10_000)
        except PlaywrightTimeout:
            pass  # measured as it is: -1, reported as a grid without a scroller
        page.wait_for_timeout(300)  # the grid measures its columns after the first paint
        found.append(grid.evaluate(GRID))
    return found


def overflowing(found: list[dict]) -> list[dict]:
    """The grids whose content scrolls sideways (more than 1 px past their box), or that have no scroller."""
    return [g for g in found if g["over"] > 1 or g["over"] < 0]


def report(cut: list[dict]) -> str:
    return "\n".join(f"[{g['heads']}] {g['over']} px past {g['width']} px" for g in cut)


@pytest.fixture(scope="module")
def wide_server(tmp_path_factory):
    srv = StreamlitServer(
        {}, tmp_path_factory.mktemp("wide") / "streamlit.log", script="tests/browser/wide_table_app.py"
    )
    yield srv
    srv.stop()


def test_the_check_finds_a_deliberately_too_wide_table(wide_server, tabs):
    page = tabs.open(WIDTH, 900)
    try:
        page.goto(wide_server.url, wait_until="domcontentloaded")
        wait_for_run(page)
        found = grids(page)
        assert len(found) == 2
        cut = overflowing(found)
        assert [g["heads"].split(" | ")[0] for g in cut] == ["column_00"] and cut[0]["over"] > 500, found
        # the same frame through ui.tables.show fits, and names the columns it left in the menu
        assert found[1]["over"] <= 1
        assert "More columns (column_05" in page.locator('[data-testid="stCaptionContainer"]').first.inner_text()
        # ... and the grid's own Show/hide columns menu offers them
        fitted = page.locator('[data-testid="stDataFrame"]').nth(1)
        fitted.hover()
        page.get_by_role("button", name="Show/hide columns").last.click()
        menu = page.locator('[data-testid="stDataFrameColumnVisibilityMenu"]')
        menu.wait_for(timeout=10_000)
        assert "column_05" in menu.inner_text() and "column_19" in menu.inner_text()
    finally:
        tabs.release(page)


LOCAL_SCHEMES = {"data", "blob", "about"}


def foreign(urls: list[str], own: str) -> list[str]:
    """The requested URLs that go to a host other than `own` (host:port), inline data excepted."""
    return [u for u in urls if urlsplit(u).scheme not in LOCAL_SCHEMES and urlsplit(u).netloc != own]


def test_foreign_finds_another_host():
    own = "127.0.0.1:8501"
    urls = [
        "http://127.0.0.1:8501/static/js/index.js",
        "data:image/svg+xml;base64,AAAA",
        "https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/monitoring/default/24px.svg",
        "http://127.0.0.1:9999/x",
    ]
    assert foreign(urls, own) == [urls[2], urls[3]]


@pytest.mark.parametrize("view", VIEWS)
def test_no_table_scrolls_sideways_at_1280_and_no_request_leaves_the_machine(server, page_visit, view):
    own = urlsplit(server.url).netloc
    seen = page_visit(view)  # measured fresh at 1280 px; artifacts/screenshots/tables-fit-<view>-1280.png
    found = seen["grids"]
    assert found, f"no table on /{view}"
    assert overflowing(found) == [], report(overflowing(found))
    # the requests: the favicon and the late fonts have been asked for by now (the grids waited)
    requested = seen["requested"]
    assert any(urlsplit(u).netloc == own for u in requested)  # the recorder works
    favicon = seen["favicon"]
    assert favicon and all(urlsplit(h).scheme in LOCAL_SCHEMES or urlsplit(h).netloc == own for h in favicon)
    assert foreign(requested, own) == []


NARROW = 800
# The default tables of the pages a trader opens on a small laptop window: at 800 px the sidebar starts
# collapsed (ui.layout.NARROW_SIDEBAR_SCRIPT) and these grids fit the ~768 px left to them.
NARROW_VIEWS = ["", "positions", "trades", "trades?tab=per_day", "trades?tab=by_coin", "trades?tab=orders"]
SIDEBAR_COLLAPSED = """() => document.querySelector('[data-testid="stSidebar"]').getAttribute('data-collapsed')"""


def wait_for_sidebar(page, collapsed: bool) -> None:
    """Until the sidebar is collapsed (or open)."""
    state = "true" if collapsed else "false"
    page.wait_for_function(SIDEBAR_COLLAPSED.replace("() =>", f"() => '{state}' ===", 1), timeout=10_000)


@pytest.mark.parametrize("view", NARROW_VIEWS)
def test_at_800_the_sidebar_starts_collapsed_and_the_default_tables_fit(server, tabs, view):
    page = tabs.open(NARROW, 900)
    try:
        page.goto(f"{server.url}/{view}", wait_until="domcontentloaded")
        wait_for_run(page)
        wait_for_sidebar(page, collapsed=True)
        found = grids(page)
        screenshot(page, f"tables-fit-{view_name(view)}-{NARROW}")
        assert found, f"no table on /{view}"
        assert all(g["width"] >= 700 for g in found), found  # the main column got the sidebar's width
        assert overflowing(found) == [], report(overflowing(found))
    finally:
        tabs.release(page)


def test_at_800_the_reader_opens_the_sidebar_and_it_stays_open_across_pages(server, tabs):
    page = tabs.open(NARROW, 900)
    try:
        page.goto(f"{server.url}/positions", wait_until="domcontentloaded")
        wait_for_run(page)
        wait_for_sidebar(page, collapsed=True)
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        wait_for_sidebar(page, collapsed=False)
        page.locator('[data-testid="stSidebarNav"] a', has_text="Trades").click()  # a page switch: no reload
        wait_for_run(page)
        page.wait_for_timeout(1500)
        assert page.evaluate(SIDEBAR_COLLAPSED) == "false", "the sidebar collapsed again after a page switch"
        assert page.locator("h1", has_text="Trades").count() == 1
    finally:
        tabs.release(page)


def test_at_1280_the_sidebar_stays_open(server, tabs):
    page = tabs.open(WIDTH, 900)
    try:
        page.goto(f"{server.url}/trades", wait_until="domcontentloaded")
        wait_for_run(page)
        page.wait_for_timeout(1000)
        assert page.evaluate(SIDEBAR_COLLAPSED) == "false"
    finally:
        tabs.release(page)
