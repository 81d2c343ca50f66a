"""Shared test fixtures.

chdb binds ONE database path per process, so the whole pytest process uses a
single session-scoped engine path, set as CLICKHOUSE_URL before anything
connects. The demo desk (a short span around the playbook's reference days)
lives there under the default table names; SQL fixture tests create their own
small databases in the same engine and point a TableMap at them. The browser
test runs Streamlit in a subprocess, which opens its own engine path.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Set before any test module imports the app or the client.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="desk-tests-"))
DESK_PATH = _SESSION_DIR / "desk.chdb"
DESK_URL = f"chdb://{DESK_PATH}"
os.environ["CLICKHOUSE_URL"] = DESK_URL
os.environ.pop("CLICKHOUSE_SECONDARY_URL", None)
os.environ.pop("DESK_TABLES", None)
# One thread per embedded query: four workers and their Streamlit servers share two cores, where a query's extra
# threads only queue (a cold Overview render: 5.2 -> 4.4 CPU-s, measured 2026-12-07). Results do not depend on it.
os.environ["DESK_EMBEDDED_MAX_THREADS"] = "1"


from tests import apptest_harness  # noqa: E402

apptest_harness.lighten()  # AppTest's per-run costs that say nothing about the app (tests/apptest_harness.py)

# The demo span the tests seed: contains the playbook's Dec 5-7 2025 days.
DEMO_START = datetime(2025, 11, 20, tzinfo=UTC)
DEMO_END = datetime(2025, 12, 15, 12, 0, tzinfo=UTC)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def desk_url() -> str:
    return DESK_URL


@pytest.fixture(scope="session")
def engine():
    """A writable client on the session engine (fixtures build their own databases)."""
    import clickhouse_connect

    return clickhouse_connect.get_client(dsn=DESK_URL)


@pytest.fixture(scope="session")
def desk_client(engine):
    """The session engine, seeded once with the demo desk under the default table names."""
    from lib import demo

    if not demo.is_seeded(engine):
        demo.seed_client(engine, start=DEMO_START, end=DEMO_END)
    return engine


def _clear_caches() -> None:
    import streamlit as st

    from lib.clickhouse.client import reset_default_client
    from ui import data

    st.cache_data.clear()
    st.cache_resource.clear()
    reset_default_client()
    data.clear()


@pytest.fixture
def fresh_caches():
    """Clear Streamlit caches, the shared connection and remembered results, before and after the test."""
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture(scope="module")
def module_caches():
    """The caches of a module marked `shared_caches`: cleared when it starts and ends, kept between its tests."""
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture
def app(desk_client, request, monkeypatch):
    """Factory: an AppTest of the whole app (app.py + sidebar on every run), opened on one page.

    Each test starts with empty caches, unless its module is marked `shared_caches`: its tests read the demo desk
    as it is and only ask different questions of it, so the second render of a page reuses the first's query
    results (a cold render is 80-95 % SQL: Overview 6.1 s cold, 0.3 s warm). A test in such a module that changes
    the desk, the table map or a query asks for `fresh_caches` itself.
    """
    from streamlit.testing.v1 import AppTest

    from ui.shell import router

    request.getfixturevalue("module_caches" if request.node.get_closest_marker("shared_caches") else "fresh_caches")
    router.use_navigation()  # every run goes through app.py, as on a server

    def open_page(page: str | None = None, query: dict | None = None, timeout: float = 120):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        for k, v in (query or {}).items():
            at.query_params[k] = v
        if page:  # as a direct link: the session's first run is the page (no Overview run before it)
            at.switch_page(page)
        at.run()
        return at

    return open_page


# The browser tests in four groups of about equal time (measured with --durations), one per xdist worker
# (`make test` runs -n 4 on the 2-core machine: much of a browser test is waiting on its Streamlit server, Chromium
# or a refresh timer, and four workers keep both cores busy meanwhile). Each group's worker starts its own Streamlit
# server and Chromium (session fixtures). The shared page visits (tests/browser/visits.py) of views, tables_fit and
# pages_in_browser are in one group, on one server. A module not listed goes to the last group.
BROWSER_GROUPS = {
    "test_tables_fit_browser": 1,
    "test_pages_in_browser": 1,
    "test_views_browser": 1,
    "test_concurrency": 2,
    "test_live_demo_browser": 2,
    "test_sign_in": 2,
    "test_markup_browser": 2,
    "test_report_html_browser": 2,
    "test_te_lag_browser": 2,
    "test_model_book_browser": 2,
    "test_system_health_browser": 3,
    "test_refresh_in_place_browser": 3,
    "test_outage_sidebar": 3,
    "test_odd_rows_browser": 3,
    "test_alert_delivery_browser": 3,
    "test_after_rebalance_browser": 3,
    "test_tabs_browser": 4,
    "test_rebalance_browser": 4,
    "test_screens_browser": 4,
    "test_risk_regimes_orders_browser": 4,
}


def _xdist_group(item: pytest.Item) -> str:
    if item.get_closest_marker("browser") is not None:
        return f"browser-{BROWSER_GROUPS.get(item.module.__name__.rsplit('.', 1)[-1], 4)}"
    return item.module.__name__


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which reads the group into the node id
def pytest_collection_modifyitems(config, items):
    """Under xdist (`make test`: -n 4 --dist loadgroup --no-loadscope-reorder) keep each group of browser tests on
    one worker (they share that worker's Streamlit server and Chromium), and every other module on one worker: a
    module-scoped fixture (the two desks of test_numbers_agree, December's model book) is built once, not once per
    worker that draws one of its tests.

    The groups are handed out in the order of the items: the browser groups first (the longest, 4-7 min each, so
    none starts late and ends the run alone), then the other modules, most tests first."""
    groups = {id(item): _xdist_group(item) for item in items}
    sizes = Counter(groups.values())
    for item in items:
        item.add_marker(pytest.mark.xdist_group(groups[id(item)]))

    def rank(item: pytest.Item) -> tuple[bool, str, int]:
        group = groups[id(item)]
        browser = group.startswith("browser-")
        return (not browser, group if browser else "", -sizes[group])

    items.sort(key=rank)  # stable: a module's items stay together and in their order
