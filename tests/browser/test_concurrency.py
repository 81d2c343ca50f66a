"""Ten browser sessions loading pages at the same time all succeed.

Ten isolated browser contexts (separate Streamlit sessions, every page twice)
on the one server: all navigations start together, then each page is waited
for, and each must show its own page, its data and no failure. How fast is
the benchmark's question (`python -m bench.browser --sessions 10`), not this
test's; the wall time is only written to artifacts/concurrency.json.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.browser.conftest import ARTIFACTS, PAGES, wait_for_run

pytestmark = pytest.mark.browser
SESSIONS = 10
_IDLE_JS = """() => {
    const h1 = document.querySelector('h1');
    const s = document.querySelector('[data-testid="stStatusWidget"]');
    const running = s && /running/i.test(s.innerText || '');
    const stale = document.querySelector('[data-stale="true"]');
    return !!h1 && !running && !stale;
}"""


def test_ten_sessions_load_pages_at_once(server, browser):
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
        "per_session_done_s": {f"{i}:{paths[i]}": round(s, 2) for i, s in sorted(finished.items())},
    }
    (ARTIFACTS.parent / "concurrency.json").write_text(json.dumps(report, indent=2))
    print(f"\n{SESSIONS} sessions, all pages finished in {wall:.1f} s wall time")
    assert wall < 240
