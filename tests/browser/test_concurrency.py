"""Six browser sessions loading pages at the same time all succeed.

Six isolated browser contexts (separate Streamlit sessions: every page, and
Overview, the page of most statements, twice, so two sessions compute the
same cached queries at once) on the one server: all navigations start
together, then each page is waited for, and each must show its own page, its
data and no failure. How fast is the benchmark's question
(`python -m bench.browser --sessions 10`), not this test's; the wall time is
only written to artifacts/concurrency.json.

The pages open with the refresh timer off (`every=0`): on a slow machine the
sessions' timed reruns (every 60 s after a run's end) overlap the last loads,
and "settled" would depend on when the next rerun comes. Refresh has tests of
its own (test_refresh_in_place_browser, test_system_health_browser).
"""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import ARTIFACTS, PAGES, wait_for_run

pytestmark = pytest.mark.browser
PATHS = [*PAGES, ""]  # every page, Overview twice
_IDLE_JS = """() => {
    const h1 = document.querySelector('h1');
    const s = document.querySelector('[data-testid="stStatusWidget"]');
    const running = s && /running/i.test(s.innerText || '');
    const stale = document.querySelector('[data-stale="true"]');
    return !!h1 && !running && !stale;
}"""


_BUSY_JS = """() => {
    const s = document.querySelector('[data-testid="stStatusWidget"]');
    return {status: s ? s.innerText : null,
            stale: document.querySelectorAll('[data-stale="true"]').length,
            spinners: document.querySelectorAll('[data-testid="stSpinner"]').length,
            skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length};
}"""


def test_sessions_load_pages_at_once(server, browser):
    paths = PATHS
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in paths]
    pages = [c.new_page() for c in contexts]
    finished: dict[int, float] = {}
    try:
        t0 = time.perf_counter()
        for p, path in zip(pages, paths):  # returns as soon as each navigation is under way
            p.goto(f"{server.url}/{path}?every=0", wait_until="commit")
        # poll every page in turn (non-blocking) so each finish time is seen when it happens
        idle_since: dict[int, float] = {}
        deadline = t0 + 240
        while len(finished) < len(pages) and time.perf_counter() < deadline:
            for i, p in enumerate(pages):
                if i in finished:
                    continue
                now = time.perf_counter() - t0
                if p.evaluate(_IDLE_JS):
                    idle_since.setdefault(i, now)
                    if now - idle_since[i] >= 1.0:  # idle for a second: the run is over
                        finished[i] = idle_since[i]
                else:
                    idle_since.pop(i, None)
            time.sleep(0.1)
        assert len(finished) == len(pages), f"only {len(finished)} of {len(pages)} pages finished: {sorted(finished)}"
        unsettled = []
        for i, (p, path) in enumerate(zip(pages, paths)):
            try:
                wait_for_run(p, timeout_ms=60_000)  # the harness's own check, now quick
            except PlaywrightTimeout:
                unsettled.append(f"{i} {path or 'overview'}: {p.evaluate(_BUSY_JS)}")
        assert not unsettled, unsettled
        wall = max(finished.values())
        failures = []
        for i, (p, path) in enumerate(zip(pages, paths)):
            title = PAGES[path]
            h1 = p.locator("h1").first.inner_text().strip()
            body = p.locator('[data-testid="stMain"]').inner_text()
            if not h1.startswith(title):
                failures.append(f"{i} {path}: title {h1!r}")
            if p.locator('[data-testid="stException"]').count():
                failures.append(f"{i} {path}: exception box")
            if "Traceback" in body or "Data as of" not in body:
                failures.append(f"{i} {path}: bad body")
            side = p.locator('[data-testid="stSidebar"]').inner_text()
            if "ClickHouse unreachable" in body or "ClickHouse unreachable" in side:
                failures.append(f"{i} {path}: said unreachable")
        assert not failures, failures
    finally:
        for c in contexts:
            c.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report = {
        "sessions": len(paths),
        "wall_s": round(wall, 2),
        "per_session_done_s": {f"{i}:{paths[i]}": round(s, 2) for i, s in sorted(finished.items())},
    }
    (ARTIFACTS.parent / "concurrency.json").write_text(json.dumps(report, indent=2))
    print(f"\n{len(paths)} sessions, all pages finished in {wall:.1f} s wall time")
    assert wall < 240
