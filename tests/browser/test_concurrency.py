"""Twenty browser sessions loading pages at the same time all succeed.

Twenty isolated browser contexts (separate Streamlit sessions) on the one
server: all navigations start together, then each page is waited for. The
wall time is printed and written to artifacts/concurrency.json (a
measurement, not an assertion beyond a generous bound).
"""

from __future__ import annotations

import json
import time

import pytest

from tests.browser.conftest import ARTIFACTS, PAGES, wait_for_run

pytestmark = pytest.mark.browser
SESSIONS = 20
_IDLE_JS = """() => {
    const h1 = document.querySelector('h1');
    const s = document.querySelector('[data-testid="stStatusWidget"]');
    const running = s && /running/i.test(s.innerText || '');
    const stale = document.querySelector('[data-stale="true"]');
    return !!h1 && !running && !stale;
}"""


def _alone(server, browser, path: str) -> float:
    """Seconds for one session on its own to finish a page (the baseline)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        p = ctx.new_page()
        t0 = time.perf_counter()
        p.goto(f"{server.url}/{path}", wait_until="commit")
        since = None
        while time.perf_counter() - t0 < 120:
            now = time.perf_counter() - t0
            if p.evaluate(_IDLE_JS):
                since = now if since is None else since
                if now - since >= 1.0:
                    return since
            else:
                since = None
            time.sleep(0.05)
        raise AssertionError(f"{path} did not finish alone within 120 s")
    finally:
        ctx.close()


def test_twenty_sessions_load_pages_at_once(server, browser):
    baseline = {path: round(_alone(server, browser, path), 2) for path in PAGES}
    paths = [list(PAGES)[i % len(PAGES)] for i in range(SESSIONS)]
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in paths]
    pages = [c.new_page() for c in contexts]
    finished: dict[int, float] = {}
    try:
        t0 = time.perf_counter()
        for p, path in zip(pages, paths):  # returns as soon as each navigation is under way
            p.goto(f"{server.url}/{path}", wait_until="commit")
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
        assert len(finished) == len(pages), f"only {len(finished)} of {len(pages)} pages finished"
        for p in pages:
            wait_for_run(p, timeout_ms=60_000)  # the harness's own check, now quick
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
        "sessions": SESSIONS,
        "wall_s": round(wall, 2),
        "single_session_s": baseline,
        "per_session_done_s": {f"{i}:{paths[i]}": round(s, 2) for i, s in sorted(finished.items())},
    }
    (ARTIFACTS.parent / "concurrency.json").write_text(json.dumps(report, indent=2))
    print(f"\n{SESSIONS} sessions, all pages finished in {wall:.1f} s wall time; one session alone: {baseline}")
    assert wall < 240
