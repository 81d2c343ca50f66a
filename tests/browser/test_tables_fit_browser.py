"""Every table's default columns fit a 1280 px laptop: no sideways scroll in any grid, on every page and
in every tab that holds a table (issue 24 §1.1).

Streamlit's grid (glide data grid) draws on a canvas inside a scroller (`.dvn-scroller`) whose scroll
width is the sum of the column widths: a grid whose scroller is wider than its box has a cut-off column.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import PAGES, wait_for_run

pytestmark = pytest.mark.browser
WIDTH = 1280

# For each grid on the page that is shown: its headers and how far its content runs past its box (px).
GRIDS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
    .filter(g => g.offsetParent !== null && g.getBoundingClientRect().width > 0)
    .map(g => {
        const s = g.querySelector('.dvn-scroller');
        const heads = [...g.querySelectorAll('table thead th, [role="columnheader"]')].map(h => h.innerText.trim());
        return {heads: heads.slice(0, 6).join(' | '), over: s ? s.scrollWidth - s.clientWidth : -1,
                width: Math.round(g.getBoundingClientRect().width)};
    })"""


def overflowing(page) -> list[dict]:
    """The grids shown whose content scrolls sideways (more than 1 px past their box)."""
    page.wait_for_timeout(800)  # the grid measures its columns after the first paint
    return [g for g in page.evaluate(GRIDS) if g["over"] > 1]


def tab_names(page) -> list[str]:
    return [t.inner_text().strip() for t in page.locator('[data-testid="stMain"] [role="tab"]').all()]


def every_tab_fits(page) -> tuple[list, int]:
    """Open each tab of the page in turn; (the cut-off grids found, the number of grids seen)."""
    cut, seen = list(overflowing(page)), len(page.evaluate(GRIDS))
    for name in tab_names(page):
        tab = page.locator('[data-testid="stMain"] [role="tab"]', has_text=name).first
        if tab.get_attribute("aria-selected") == "true" or not tab.is_visible():
            continue
        tab.click()
        wait_for_run(page)
        found = overflowing(page)
        seen += len(page.evaluate(GRIDS))
        cut += [{**g, "tab": name} for g in found]
    return cut, seen


@pytest.mark.parametrize("path", list(PAGES))
def test_no_table_scrolls_sideways_at_1280(server, browser, path):
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    try:
        page.goto(f"{server.url}/{path}", wait_until="domcontentloaded")
        wait_for_run(page)
        cut, seen = every_tab_fits(page)
        assert seen > 0, f"no table found on {path or 'overview'}"
        assert cut == [], "\n".join(
            f"{g.get('tab', '-')}: [{g['heads']}] {g['over']} px past {g['width']} px" for g in cut
        )
    finally:
        page.close()
