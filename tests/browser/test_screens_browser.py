"""Every page read in a laptop window (800 px), in Chromium: KPI rows of two tiles or more, chart text of
11 px or more, bar labels inside their plot area, tab strips that show every label whole, and a sidebar that
starts collapsed (the tables get the width) and opens and collapses again without taking anything with it.
Screenshots of every page at 800, 1280 and 1600 px go to artifacts/screenshots/screens_<page>_<w>.png.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import PAGES, screenshot, wait_for_run

pytestmark = pytest.mark.browser
RANGE = "from=2025-11-20&to=2025-12-14&every=0"

# What a reader of an 800 px window would see as wrong, measured in the page.
NARROW_PROBLEMS = """() => {
    const visible = (e) => e.getClientRects().length > 0;
    // KPI rows: a metric alone on its line while its row has more than one tile
    const lone = [];
    for (const row of document.querySelectorAll('[data-testid="stHorizontalBlock"]')) {
        const tiles = [...row.children].filter(c => c.querySelector(':scope > [data-testid="stVerticalBlock"] > '
            + '[data-testid="stElementContainer"] > [data-testid="stMetric"]'));
        if (tiles.length < 2) continue;
        const lines = {};
        for (const t of tiles) { const top = Math.round(t.getBoundingClientRect().top); lines[top] = (lines[top] || 0) + 1; }
        if (Object.values(lines).some(n => n === 1)) lone.push(tiles.map(t => t.innerText.split('\\n')[0]).join(' | '));
    }
    // chart text (ticks, labels, legends, bar values) smaller than 11 px
    const small = [];
    for (const t of document.querySelectorAll('.js-plotly-plot .main-svg text')) {
        if (!visible(t) || !t.textContent.trim()) continue;
        const px = parseFloat(getComputedStyle(t).fontSize);
        if (px < 10.99) small.push(`${t.textContent.trim().slice(0, 30)} (${px}px)`);
    }
    // tab labels cut: a tab or the tab strip narrower than its content
    const cut = [...document.querySelectorAll('[role="tablist"]')]
        .filter(l => visible(l) && l.scrollWidth > l.clientWidth + 1)
        .map(l => l.innerText.replace(/\\n/g, ' | '));
    // a metric's label, value, delta or the delta's description (a caption box) cut to "…"
    const metric = [...document.querySelectorAll('[data-testid="stMetric"] .stMarkdownEllipsis')]
        .filter(e => visible(e) && e.scrollWidth > e.clientWidth + 1).map(e => e.innerText.trim());
    // a bar's value label that runs out of its plot area sideways (over the axis labels, or past the edge)
    const spill = [];
    for (const chart of document.querySelectorAll('.js-plotly-plot')) {
        const area = chart.querySelector('.nsewdrag');
        if (!area || !visible(area)) continue;
        const a = area.getBoundingClientRect();
        for (const t of chart.querySelectorAll('.bartext')) {
            if (!visible(t) || !t.textContent.trim()) continue;
            const b = t.getBoundingClientRect();
            if (b.left < a.left - 1 || b.right > a.right + 1) spill.push(t.textContent.trim().slice(0, 30));
        }
    }
    return {lone, small: [...new Set(small)].slice(0, 20), cut, metric, spill};
}"""


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "overview" for p in PAGES])
def test_every_page_reads_at_800_px(server, tabs, path):
    page = tabs.open(800, 1000)
    name = path or "overview"
    try:
        page.goto(f"{server.url}/{path}?{RANGE}", wait_until="domcontentloaded")
        wait_for_run(page)
        page.wait_for_timeout(1500)  # charts lay out on a debounce
        problems = page.evaluate(NARROW_PROBLEMS)
        assert problems == {"lone": [], "small": [], "cut": [], "metric": [], "spill": []}, problems
        # the sidebar starts collapsed below 900 px (ui.layout): the page has the window's width
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_attribute("data-collapsed") == "true"
        main_collapsed = page.locator('[data-testid="stMain"]').bounding_box()["width"]
        assert main_collapsed >= 790
        text_collapsed = page.locator('[data-testid="stMain"]').inner_text()

        # open it: it holds everything, at most 240 px wide (not 37% of the window), and the page keeps its text
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        page.wait_for_timeout(800)
        assert sidebar.get_attribute("data-collapsed") == "false"
        assert sidebar.bounding_box()["width"] <= 240
        assert "Auto-refresh" in sidebar.inner_text()
        text_open = page.locator('[data-testid="stMain"]').inner_text()
        assert "Data as of" in text_open and len(text_open) >= 0.95 * len(text_collapsed)
        page.wait_for_timeout(1500)  # charts lay out again on a debounce
        problems = page.evaluate(NARROW_PROBLEMS)  # the page has ~536 px now
        assert problems["lone"] == [] and problems["metric"] == [] and problems["spill"] == [], problems
        # and it collapses again with its button
        sidebar.hover()  # the collapse button shows on hover
        page.locator('[data-testid="stSidebarCollapseButton"]').click()
        page.wait_for_timeout(800)
        assert sidebar.get_attribute("data-collapsed") == "true"
        assert page.locator('[data-testid="stMain"]').bounding_box()["width"] >= 790
        for width in (800, 1280, 1600):
            page.set_viewport_size({"width": width, "height": 1000})
            wait_for_run(page)
            screenshot(page, f"screens_{name}_{width}")
    finally:
        tabs.release(page)
