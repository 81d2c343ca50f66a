"""System Health's auto-refresh redraws its live panels in place, and Overview (one live panel, run whole:
ui/shell/refresh.py run_page) refreshes in place too, in Chromium.

A reader scrolls down, opens expanders, and waits for the 30 s refresh. The refresh must come (the
"Checked …" time moves), the scroll position and the open expanders must survive it, and nothing outside
the live panels may go stale (Streamlit marks an element being rerun with `data-stale="true"` and greys
it): the title, the data-as-of line and the whole sidebar stay as they are. A full-page rerun (the old
timer) greyed ~50 elements for seconds, the sidebar's included.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import screenshot, wait_for_run

pytestmark = pytest.mark.browser
CHECKED = re.compile(r"Checked (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")

# Records every element that is marked stale from now on, with where it is (sidebar / page head / other).
WATCH_STALE = r"""() => {
    window.__stale = [];
    const where = (el) => el.closest('[data-testid="stSidebar"]')
            ? (/^(schedule\s*)?Data as of/.test((el.innerText || '').trim()) ? 'sidebar-as-of' : 'sidebar')
        : (el.querySelector('h1') || el.closest('h1')) ? 'title'
        : /^Data as of/.test((el.innerText || '').trim()) ? 'data-as-of' : 'panel';
    const seen = (el) => {
        // a visible element only: an empty placeholder (st.empty) has nothing to grey
        if (el.nodeType === 1 && el.getAttribute('data-stale') === 'true' && el.getBoundingClientRect().height > 0) {
            window.__stale.push([where(el), (el.innerText || '').trim().slice(0, 60), el.outerHTML.slice(0, 120)]);
        }
    };
    new MutationObserver((records) => records.forEach((r) => {
        seen(r.target);
        r.addedNodes.forEach((n) => { seen(n); if (n.querySelectorAll) n.querySelectorAll('[data-stale]').forEach(seen); });
    })).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['data-stale']});
}"""
MAIN_SCROLL = """() => {
    const m = document.querySelector('[data-testid="stMain"]');
    return Math.max(m.scrollTop, document.scrollingElement.scrollTop);
}"""
OPEN_EXPANDERS = """() => [...document.querySelectorAll('[data-testid="stExpander"] details')]
    .filter(d => d.open).map(d => d.querySelector('summary').innerText.trim())"""


def _checked(page) -> str:
    m = CHECKED.search(page.locator('[data-testid="stMain"]').inner_text())
    assert m, "no 'Checked … UTC' line on System Health"
    return m.group(1)


def _open_expander(page, label_start: str) -> str:
    summary = page.locator('[data-testid="stExpander"] summary', has_text=label_start).first
    summary.scroll_into_view_if_needed()
    summary.click()
    wait_for_run(page)  # a lazy fold: its content comes with the rerun its opening starts
    return summary.inner_text().strip()


def test_refresh_keeps_scroll_expanders_and_greys_nothing_outside_the_panels(server, tabs):
    page = tabs.open(1280, 900)
    try:
        page.goto(f"{server.url}/system_health?every=30&section=prices", wait_until="domcontentloaded")
        wait_for_run(page)
        prices_tab = page.get_by_role("tab", name=re.compile(r"^Prices · "))
        assert prices_tab.get_attribute("aria-selected") == "true"  # the link opened the Prices tab
        opened = {
            _open_expander(page, "checks OK"),
            _open_expander(page, "Rows per hour"),
            _open_expander(page, "Recent failures"),
        }
        page.evaluate("""() => document.querySelector('[data-testid="stMain"]').scrollTo(0, 1500)""")
        page.wait_for_timeout(300)
        scroll_before = page.evaluate(MAIN_SCROLL)
        assert scroll_before >= 1400, "the page is too short to scroll: the test needs a long System Health"
        assert opened <= set(page.evaluate(OPEN_EXPANDERS))
        first = _checked(page)
        page.evaluate(WATCH_STALE)

        # the refresh comes 30 s after the panels' last run ended (plus the run itself)
        deadline = time.time() + 75
        while time.time() < deadline and _checked(page) == first:
            page.wait_for_timeout(500)
        assert _checked(page) != first, "System Health did not refresh on its own"
        wait_for_run(page)

        stale = page.evaluate("() => window.__stale")
        outside = [s for s in stale if s[0] not in ("panel", "sidebar-as-of")]  # the sidebar's age ticks
        assert outside == [], f"elements outside the live panels went stale (greyed): {outside[:10]}"
        assert abs(page.evaluate(MAIN_SCROLL) - scroll_before) <= 5, "the refresh moved the scroll position"
        assert opened <= set(page.evaluate(OPEN_EXPANDERS)), "the refresh closed an open expander"
        # the folds are lazy (drawn only while open): the open ones still hold their tables after the refresh
        for label in ("checks OK", "Recent failures"):
            fold = page.locator('[data-testid="stExpander"]', has_text=label).first
            assert fold.locator('[data-testid="stDataFrame"]').count() == 1, f"the open fold {label!r} is empty"
        rows_fold = page.locator('[data-testid="stExpander"]', has_text="Rows per hour").first
        assert rows_fold.locator('[data-testid="stPlotlyChart"]').count() == 1, "the open rows-per-hour fold is empty"
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "every=30" in page.url
        # the open lazy tab survives the refresh (its label may carry a new status: it is found by its name)
        assert prices_tab.get_attribute("aria-selected") == "true" and "section=prices" in page.url
        assert "Coins diverging" in page.locator('[data-testid="stMain"]').inner_text()
        screenshot(page, "system-health-after-refresh-in-place")
    finally:
        tabs.release(page)


SIDEBAR_AS_OF = r"""() => [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stCaptionContainer"],'
    + ' [data-testid="stSidebar"] [data-testid="stAlertContainer"]')].map(e => e.innerText.trim().replace(/^schedule\s*/, ''))
    .find(t => t.startsWith('Data as of')) || ''"""
PANEL_RUNS = """() => window.__panelRuns || 0"""
# Counts the page's reruns: the running-man status widget appears for each run.
WATCH_RUNS = """() => {
    window.__panelRuns = 0;
    new MutationObserver(() => {
        const s = document.querySelector('[data-testid="stStatusWidget"]');
        const running = !!(s && /running|stop/i.test(s.innerText || ''));
        if (running && !window.__running) window.__panelRuns += 1;
        window.__running = running;
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def test_overview_refreshes_in_place_keeps_scroll_and_expanders_and_the_sidebar_age_ticks(server, tabs):
    page = tabs.open(1280, 900)
    try:
        page.goto(f"{server.url}/?every=30", wait_until="domcontentloaded")
        wait_for_run(page)
        expanders = page.locator('[data-testid="stExpander"] summary')
        opened = set()
        if expanders.count():
            first = expanders.first.inner_text().strip().split("\n")[0]
            opened = {_open_expander(page, first)}
        page.evaluate("""() => document.querySelector('[data-testid="stMain"]').scrollTo(0, 1500)""")
        page.wait_for_timeout(300)
        scroll_before = page.evaluate(MAIN_SCROLL)
        assert scroll_before >= 1400, "the page is too short to scroll: the test needs a long Overview"
        as_of_before = page.evaluate(SIDEBAR_AS_OF)
        assert as_of_before.startswith("Data as of")
        page.evaluate(WATCH_STALE)
        page.evaluate(WATCH_RUNS)

        # a refresh comes 30 s after the page's last run ended: the page reruns alone
        deadline = time.time() + 75
        while time.time() < deadline and page.evaluate(PANEL_RUNS) == 0:
            page.wait_for_timeout(500)
        assert page.evaluate(PANEL_RUNS) >= 1, "Overview did not refresh on its own"
        wait_for_run(page)
        # the sidebar's "Data as of … (x ago)" is redrawn on the same timer, by a fragment of its own: it is
        # marked for its rerun (the demo desk's age, 355.9 d, does not change its text within a minute)
        deadline = time.time() + 45
        while time.time() < deadline and not any(
            s[0] == "sidebar-as-of" for s in page.evaluate("() => window.__stale")
        ):
            page.wait_for_timeout(500)
        stale = page.evaluate("() => window.__stale")
        assert any(s[0] == "sidebar-as-of" for s in stale), "the sidebar's data-as-of line was not redrawn"
        assert page.evaluate(SIDEBAR_AS_OF).startswith("Data as of")
        sidebar_stale = [s for s in stale if s[0] == "sidebar"]
        assert sidebar_stale == [], f"the sidebar went stale (greyed): {sidebar_stale[:10]}"
        assert abs(page.evaluate(MAIN_SCROLL) - scroll_before) <= 5, "the refresh moved the scroll position"
        assert opened <= set(page.evaluate(OPEN_EXPANDERS)), "the refresh closed an open expander"
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator("h1", has_text="Overview").count() == 1
        assert "every=30" in page.url
        screenshot(page, "overview-after-refresh-in-place")
    finally:
        tabs.release(page)
