"""One visit per view of the shared demo server, what it showed kept for every test that asks about that view.

A page load costs seconds (the server renders, Chromium lays out), and three modules asked about the same
pages: test_tables_fit_browser (the grids fit 1280 px, no request leaves the machine), test_pages_in_browser
(title, data, no exception, at 1440 px) and test_views_browser (readable at 1600, 1280 and 800 px). One visit
answers all three, in an order that keeps each question as it was asked: the grids are measured on the fresh
page at 1280 px (a grid sizes its columns on its first paint), then the page is looked at 1440 px, then resized
through the three widths. The screenshots are the ones each module saved before, under the same names.

The views are opened one after the other in one browser tab: each `goto` is a fresh load and a new Streamlit
session (a grid still sizes its columns on its first paint), but the tab's renderer keeps the front end's
compiled code, so a load costs Chromium ~2.3 CPU-s instead of ~5.5 in a new tab (measured on the 2-core
machine, 2026-12-07). The tab's requests are recorded per view.
"""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import PAGES, screenshot, wait_for_run

FIT_WIDTH = 1280  # a laptop: every table's default columns must fit
PAGE_WIDTH = 1440

FAVICONS = "() => [...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)"


def view_name(view: str) -> str:
    return (view or "overview").replace("?", "_").replace("&", "_").replace("=", "-")


def capture(page, base_url: str, view: str) -> dict[str, Any]:
    """Open `view` (a page path, with or without its query) once in the tab `page` and record what the tests
    assert on."""
    from tests.browser.test_tables_fit_browser import grids
    from tests.browser.test_views_browser import SHOT_WIDTHS, WIDTHS, _save, _settled_problems

    page.set_viewport_size({"width": FIT_WIDTH, "height": 900})
    requested: list[str] = []

    def record(request) -> None:
        requested.append(request.url)

    page.on("request", record)
    seen: dict[str, Any] = {}
    try:
        page.goto(f"{base_url}/{view}", wait_until="domcontentloaded")
        wait_for_run(page)
        seen["grids"] = grids(page)  # fresh, at 1280 px
        screenshot(page, f"tables-fit-{view_name(view)}-{FIT_WIDTH}")
        seen["favicon"] = page.evaluate(FAVICONS)
        if view in PAGES:  # a page itself: its title and data at 1440 px, then readable at every width
            page.set_viewport_size({"width": PAGE_WIDTH, "height": 1000})
            wait_for_run(page)
            main = page.locator('[data-testid="stMain"]')
            seen["h1"] = page.locator("h1").first.inner_text().strip()
            seen["exceptions"] = page.locator('[data-testid="stException"]').count()
            seen["main"] = main.inner_text()
            seen["not_found"] = page.get_by_text("Page not found").count()
            screenshot(page, f"page-{view or 'overview'}")
            seen["problems"] = {}
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 1000})
                seen["problems"][width] = _settled_problems(page)
                if width in SHOT_WIDTHS:
                    name = f"views_{view or 'overview'}_{width}"
                    _save(screenshot(page, name), name)
            seen["exceptions_after_resizing"] = page.locator('[data-testid="stException"]').count()
        seen["requested"] = list(requested)  # every request of the whole visit
    finally:
        page.remove_listener("request", record)
    return seen
