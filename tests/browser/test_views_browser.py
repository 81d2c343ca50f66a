"""Views people use, in Chromium: readable at 800, 1280 and 1600 px, a copied link reproduces the view
in a fresh browser, a heatmap cell opens its day.

Screenshots at 800 and 1600 px of every page go to artifacts/screenshots/ (and to $DESK_SHOTS_DIR when
set, e.g. /work/coord/shots) as views_<page>_<width>.png.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import PAGES, wait_for_run

pytestmark = pytest.mark.browser
WIDTHS = (1600, 1280, 800)
SHOT_WIDTHS = (1600, 800)

# Every part of a metric (value, label, delta and the delta's description, each in an ellipsis box) that does not
# fit its box, and every chart whose legend runs into its title (the title text and a legend entry intersect).
LAYOUT_PROBLEMS = """() => {
    const cut = [...document.querySelectorAll('[data-testid="stMetricValue"], [data-testid="stMetric"] .stMarkdownEllipsis')]
        .filter(e => e.offsetParent !== null)
        .filter(e => [e, ...e.querySelectorAll('*')].some(c => c.scrollWidth > c.clientWidth + 1))
        .map(e => e.innerText);
    const overlaps = [];
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {
        const title = plot.querySelector('.g-gtitle text');
        if (!title) continue;
        const a = title.getBoundingClientRect();
        for (const item of plot.querySelectorAll('.legend .traces')) {
            const b = item.getBoundingClientRect();
            if (a.width && b.width && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
                overlaps.push(title.textContent);
                break;
            }
        }
    }
    const squeezed = [...document.querySelectorAll('[data-testid="stWidgetLabel"]')]
        .filter(e => e.offsetParent !== null && e.innerText.trim().length > 3 && e.clientWidth < 40)
        // a collapsed sidebar (the default below 900 px, ui.layout) is 0 px wide: its labels are not shown
        .filter(e => !e.closest('[data-testid="stSidebar"][data-collapsed="true"]'))
        .map(e => e.innerText);
    return {cut, overlaps, squeezed};
}"""


CLEAN = {"cut": [], "overlaps": [], "squeezed": []}


def _settled_problems(page, attempts: int = 8) -> dict:
    """LAYOUT_PROBLEMS once the page has re-laid out after a resize (charts redraw on a debounce)."""
    problems = CLEAN
    for _ in range(attempts):
        page.wait_for_timeout(600)
        problems = page.evaluate(LAYOUT_PROBLEMS)
        if problems == CLEAN:
            break
    return problems


def _save(path: Path, name: str) -> None:
    target = os.environ.get("DESK_SHOTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / f"{name}.png")


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_is_readable_at_every_width(page_visit, path):
    """Resized through WIDTHS after its first paint (tests/browser/visits.py); screenshots at SHOT_WIDTHS."""
    seen = page_visit(path)
    for width in WIDTHS:
        assert seen["problems"][width] == CLEAN, (path or "overview", width, seen["problems"][width])
    assert seen["exceptions_after_resizing"] == 0


def _fresh(browser, url: str):
    """The copied link opened in a new browser context (no cookies, no session)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    wait_for_run(page)
    return context, page


def _wait_url(page, text: str) -> None:
    page.wait_for_function(f"() => decodeURIComponent(location.search).includes({text!r})", timeout=20_000)
    wait_for_run(page)


def _main(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def test_a_copied_link_reproduces_the_view(server, browser, tabs):
    """One setting per page, changed in the browser; the copied URL shows the same in a fresh context."""
    page = tabs.open(1280, 1000)
    try:
        # Overview: a range preset
        page.goto(f"{server.url}/", wait_until="domcontentloaded")
        wait_for_run(page)
        page.locator('[data-testid="stSidebar"]').get_by_text("7 d", exact=True).click()
        _wait_url(page, "range=7d")
        assert "PnL 2025-12-09 – 2025-12-15" in _main(page)
        context, fresh = _fresh(browser, page.url)
        assert "PnL 2025-12-09 – 2025-12-15" in _main(fresh)
        context.close()

        # Positions: a threshold typed in (the recipient sees the same counts)
        page.goto(f"{server.url}/positions?date=2025-12-06&hour=2", wait_until="domcontentloaded")
        wait_for_run(page)
        box = page.get_by_role("spinbutton", name="MAG_EPS: magnitude error above")
        box.fill("0.0050")
        box.press("Enter")
        _wait_url(page, "mag_eps=0.005")
        counts = page.locator('[data-testid="stMetric"]').all_inner_texts()[:7]
        context, fresh = _fresh(browser, page.url)
        assert fresh.get_by_role("spinbutton", name="MAG_EPS: magnitude error above").input_value() == "0.0050"
        assert fresh.locator('[data-testid="stMetric"]').all_inner_texts()[:7] == counts
        context.close()

        # Trades: a coin filter and the sort
        page.goto(f"{server.url}/trades", wait_until="domcontentloaded")
        wait_for_run(page)
        page.get_by_label("Sort by").locator("..").click()
        page.get_by_role("option", name="Notional", exact=True).click()
        _wait_url(page, "sort=notional")
        caption = re.search(r"Fills 1–\d+ of \S+ matching", _main(page)).group(0)
        context, fresh = _fresh(browser, page.url)
        assert caption in _main(fresh) and "sorted by Notional" in _main(fresh)
        context.close()

        # Tracking Error: the magnitude rule
        page.goto(f"{server.url}/tracking_error?from=2025-12-01&to=2025-12-10", wait_until="domcontentloaded")
        wait_for_run(page)
        page.get_by_text("relative: |actual − target| > MAG_EPS × |target|").click()
        _wait_url(page, "rule=relative")
        context, fresh = _fresh(browser, page.url)
        assert fresh.get_by_role("radio", name=re.compile("^relative")).is_checked()
        assert "MAG_EPS 0.02 of |target| (relative rule)" in _main(fresh)
        context.close()

        # System Health: the timeline resolution
        page.goto(f"{server.url}/system_health", wait_until="domcontentloaded")
        wait_for_run(page)
        page.locator('[data-testid="stMain"]').get_by_text("1 min", exact=True).click()
        _wait_url(page, "res=1")
        context, fresh = _fresh(browser, page.url)
        assert fresh.locator('[data-testid="stMain"]').get_by_role("radio", name="1 min").is_checked()
        context.close()
    finally:
        tabs.release(page)


def test_a_heatmap_cell_opens_that_day(server, tabs):
    page = tabs.open(1440, 1000)
    try:
        # the heatmap is in the "What drives the TE" tab; a click on a cell opens the Day story tab on its day
        page.goto(
            f"{server.url}/tracking_error?from=2025-12-01&to=2025-12-10&section=drivers", wait_until="domcontentloaded"
        )
        wait_for_run(page)
        heatmap = page.locator(".js-plotly-plot").filter(has=page.locator(".hm")).first
        heatmap.scroll_into_view_if_needed()
        page.wait_for_timeout(800)
        # the cell of the top symbol on the third day of the range
        spot = heatmap.evaluate("""gd => {
            const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
            const days = gd.data[0].x, n = days.length, rows = gd.data[0].y.length;
            return {x: r.left + (2.5 / n) * r.width, y: r.top + (0.5 / rows) * r.height, day: days[2]};
        }""")
        assert spot["day"] == "2025-12-03"
        page.mouse.click(spot["x"], spot["y"])
        _wait_url(page, "day=2025-12-03")
        page.get_by_text("2025-12-03 02:00 hour", exact=False).first.wait_for(timeout=60_000)
        wait_for_run(page)
        assert "2025-12-03 —" in _main(page) and "2025-12-03 02:00 hour" in _main(page)  # its story and table
        assert "section=" not in page.url  # the Day story tab (the first) is open
        selected = page.get_by_role("tab", name="Day story", exact=True).get_attribute("aria-selected")
        assert selected == "true"
    finally:
        tabs.release(page)


def test_a_date_typed_in_the_date_box_applies_on_enter(server, tabs):
    page = tabs.open(1280, 1000)
    try:
        page.goto(f"{server.url}/", wait_until="domcontentloaded")
        wait_for_run(page)
        start = page.locator('[data-testid="stSidebar"] [data-range-field="start"] [role="spinbutton"]')
        start.nth(2).click()  # the day of the start date
        page.keyboard.type("01")
        page.keyboard.press("Enter")  # no click elsewhere, no Tab: Enter alone applies it
        _wait_url(page, "from=2025-11-01")
        assert "PnL 2025-11-01 – 2025-12-15" in _main(page)
    finally:
        tabs.release(page)
