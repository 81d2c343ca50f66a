"""Every tab click opens its tab, in Chromium with real mouse clicks.

The lazy tabs (Overview's, Tracking Error's and System Health's lower tabs, every Trades tab) once lost every second click: the open tab went to
the URL, the URL became the tabs' `default`, and `default` is part of a keyed st.tabs widget's identity, so
the widget was re-created with the old tab selected and the click that had just switched it was dropped.
These tests click several tabs in a row, with pauses like a reader's, and check each one opened.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import wait_for_run

pytestmark = pytest.mark.browser

# a label is the tab's name, or its name and a status after " · " (System Health: "Prices · 2 problems")
SELECTED_PANEL = """(label) => {
    const tab = [...document.querySelectorAll('[role="tab"]')]
        .find(t => t.innerText.trim() === label || t.innerText.trim().startsWith(label + ' · '));
    if (!tab || tab.getAttribute('aria-selected') !== 'true') return null;
    const panel = document.getElementById(tab.getAttribute('aria-controls'));
    return panel ? panel.innerText.trim() : '';
}"""


def _click_tab(page, label: str) -> None:
    """A real mouse click (move, press, release) in the middle of the tab's label."""
    tab = page.get_by_role("tab", name=re.compile(f"^{re.escape(label)}( · .*)?$"))
    tab.scroll_into_view_if_needed()  # Overview's tabs are below the fold; a click outside the viewport is lost
    box = tab.bounding_box()
    assert box is not None, f"no tab {label!r}"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.up()


def _opened(page, label: str) -> str:
    """The content of tab `label` once it is selected and drawn ('' or None when it is not)."""
    return page.evaluate(SELECTED_PANEL, label)


SELECTED_TAB = (
    """() => [...document.querySelectorAll('[role="tab"][aria-selected="true"]')].map(t => t.innerText.trim())"""
)


def _click_through(page, labels: list[str], pause_ms: int) -> list[str]:
    """Click each tab in turn; the labels whose click did not open the tab with content, with the tabs that were
    selected instead. A lazy tab's content comes with the rerun its click starts: on a loaded machine that can
    end after the page looked idle, so the content is waited for (up to 20 s) before the click counts as lost."""
    missed = []
    for label in labels:
        _click_tab(page, label)
        wait_for_run(page)
        page.wait_for_timeout(pause_ms)
        for _ in range(40):
            if _opened(page, label):
                break
            page.wait_for_timeout(500)
        else:
            missed.append(f"{label} (selected: {page.evaluate(SELECTED_TAB)})")
    return missed


@pytest.mark.parametrize(
    ("path", "labels"),
    [
        (
            "/trades",
            ["Per day", "By coin", "Untracked fills", "Orders", "Fills", "By coin", "Per day"],
        ),
        (
            "/",
            ["Margin and leverage", "Deposits and withdrawals", "PnL windows and market regimes", "Exposure"],
        ),
        (
            "/tracking_error",
            ["What drives the TE", "Live against the model book", "Day story", "What drives the TE"],
        ),
        # inside System Health's live panel (a fragment); the labels carry a status after the name
        ("/system_health", ["Prices", "Data quality", "ClickHouse", "Prices", "Data quality"]),
    ],
    ids=["trades", "overview", "tracking_error", "system_health"],
)
def test_every_tab_click_opens_its_tab(server, tabs, path, labels):
    page = tabs.open(1440, 1000)
    try:
        page.goto(f"{server.url}{path}?from=2025-12-01&to=2025-12-14", wait_until="domcontentloaded")
        wait_for_run(page)
        missed = _click_through(page, labels, pause_ms=1500)
        assert missed == [], f"clicks that did not open their tab: {missed}"
        # the open tab is in the URL and a reload opens it again
        page.reload(wait_until="domcontentloaded")
        wait_for_run(page)
        assert _opened(page, labels[-1]), "a reload did not reopen the tab in the URL"
    finally:
        tabs.release(page)
