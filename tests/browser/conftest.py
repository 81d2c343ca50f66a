"""Real-browser harness: `streamlit run app.py` in a subprocess, driven by headless Chromium.

The Streamlit subprocess opens its own chdb path (chdb binds one path per
process), seeded by `python -m cli demo` in another subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.chromium import CHROMIUM_FLAGS, chromium_path
from tests.fault_servers import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
PAGES = {
    "": "Overview",  # the default page lives at the root URL
    "positions": "Positions",
    "trades": "Trades",
    "tracking_error": "Tracking Error",
    "system_health": "System Health",
}


@pytest.fixture(scope="session")
def chromium():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run must install it (scripts/ensure_chromium.sh)")
        pytest.skip("system chromium not installed (run scripts/ensure_chromium.sh)")
    return path


class StreamlitServer:
    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        unset: tuple[str, ...] = (),
        script: str = "app.py",
        args: tuple[str, ...] = (),
        port: int | None = None,
    ):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / script),
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                *args,
            ],
            cwd=ROOT,
            env={**{k: v for k, v in os.environ.items() if k not in unset}, **env},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def desk_seed(tmp_path_factory) -> Path:
    """A demo desk built once per process and never served itself: servers get copies (`desk_copy`)."""
    path = tmp_path_factory.mktemp("browser") / "seed.chdb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "demo",
            "--path",
            str(path),
            "--start",
            "2025-11-20",
            "--end",
            "2025-12-15T12:00",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return path


@pytest.fixture(scope="session")
def desk_copy(desk_seed, tmp_path_factory):
    """`desk_copy()` -> the URL of a new copy of the demo desk, for one more Streamlit server: chdb binds a
    database directory to one process, and a running app keeps its desk live (writes to it)."""

    def make() -> str:
        path = tmp_path_factory.mktemp("browser-desk") / "desk.chdb"
        shutil.copytree(desk_seed, path, symlinks=True)  # the relative links of ClickHouse's Atomic databases
        return f"chdb://{path}"

    return make


@pytest.fixture(scope="session")
def browser_db(desk_copy) -> str:
    """A demo desk in its own engine path, for the shared Streamlit subprocess."""
    return desk_copy()


@pytest.fixture(scope="session")
def server(browser_db, tmp_path_factory):
    srv = StreamlitServer({"CLICKHOUSE_URL": browser_db}, tmp_path_factory.mktemp("logs") / "streamlit.log")
    yield srv
    srv.stop()


class Tabs:
    """This worker's one reusable browser tab. A page load in a tab that has loaded the app before costs Chromium
    about 2 CPU-s; in a new tab, 5.5 (the four pages, warm server, measured 2026-12-07): most of what the browser
    tests cost. A test that needs its own cookies, JavaScript off, listeners or a second tab at once opens its own
    context or page instead."""

    def __init__(self, browser) -> None:
        self._browser = browser
        self._page = None

    def open(self, width: int, height: int):
        """The tab, at this size: blank after the last test, or new if that one left it unusable."""
        if self._page is None or self._page.is_closed():
            self._page = self._browser.new_page()
        self._page.set_viewport_size({"width": width, "height": height})
        return self._page

    def release(self, page) -> None:
        """Leave the tab as a new one would be: no cookies, nothing stored by the page (Streamlit keeps the
        sidebar's open or closed state in the tab's storage), and at about:blank, which ends its Streamlit session
        (and any refresh timer) as closing it would. A tab that cannot get there is closed, and the next test
        starts in a new one."""
        from playwright.sync_api import Error as PlaywrightError

        try:
            if page.url.startswith("http"):
                page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
            page.context.clear_cookies()
            page.goto("about:blank", timeout=10_000)
        except PlaywrightError:
            page.close()

    def close(self) -> None:
        if self._page is not None and not self._page.is_closed():
            self._page.close()


@pytest.fixture(scope="session")
def tabs(browser):
    """`tabs.open(width, height)` ... `tabs.release(page)`: the worker's reusable tab (Tabs)."""
    pool = Tabs(browser)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def page_visit(server, tabs):
    """`page_visit(view)` -> what the one visit of `view` on the shared server showed (tests/browser/visits.py):
    the modules that ask about the same page share its load instead of loading it once each, in one tab."""
    from tests.browser import visits

    seen: dict[str, dict | Exception] = {}

    def visit(view: str) -> dict:
        if view not in seen:
            page = tabs.open(visits.FIT_WIDTH, 900)
            try:
                seen[view] = visits.capture(page, server.url, view)
            except Exception as err:  # every test that asks about this view fails with it, not only the first
                seen[view] = err
                page.close()  # the next view starts in a new tab, not in whatever state this one failed
            else:
                tabs.release(page)
        got = seen[view]
        if isinstance(got, Exception):
            raise got
        return got

    return visit


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS), headless=True)
        yield b
        b.close()


def wait_for_run(page, timeout_ms: int = 120_000) -> None:
    """Wait until Streamlit has finished running the script and the page has settled."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_selector("h1", timeout=timeout_ms)
    # idle = no running indicator, no stale element, no spinner/skeleton, for ~1.5 s in a row
    page.wait_for_function(
        """() => {
            const s = document.querySelector('[data-testid="stStatusWidget"]');
            const running = s && /running|stop/i.test(s.innerText || '');
            const busy = document.querySelector(
                '[data-stale="true"], [data-testid="stSpinner"], [data-testid="stSkeleton"]');
            if (running || busy) { window.__idle = 0; return false; }
            window.__idle = (window.__idle || 0) + 1;
            return window.__idle > 6;
        }""",
        polling=250,
        timeout=timeout_ms,
    )


def screenshot(page, name: str) -> Path:
    """A screenshot of the whole page: Streamlit scrolls inside its main container,
    so the viewport is grown to the content's height first."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    height = page.evaluate(
        """() => {
            const m = document.querySelector('[data-testid="stMain"]');
            const inner = m && m.firstElementChild;
            return Math.max(m ? m.scrollHeight : 0, inner ? inner.scrollHeight : 0, document.body.scrollHeight);
        }"""
    )
    width = page.viewport_size["width"] if page.viewport_size else 1440
    page.set_viewport_size({"width": width, "height": int(min(max(height + 40, 900), 9000))})
    page.wait_for_timeout(1200)  # charts and grids re-layout client-side
    page.screenshot(path=str(out), full_page=True)
    return out
