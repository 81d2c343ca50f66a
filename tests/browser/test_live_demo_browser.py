"""The live embedded demo in a real browser: nothing configured, the desk keeps flowing.

The app starts with no ClickHouse configured (CLICKHOUSE_URL unset; DESK_DEMO_PATH
only moves the embedded demo into a temporary directory). Its demo desk was
built 40 minutes ago, so the first page run catches it up (progress shown);
then the feeder extends it every DESK_DEMO_TICK_S = 5 s (20 s by default: only
the write cadence is faster, desk time is wall time). The test watches System
Health for one heartbeat interval (60 s): the shortest honest window in which
every monitor must beat again. A stopped desk would show the same statuses for
that minute, so it compares last-beat times, not just colours; the minute is
spent rendering the other pages on the live desk.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.conftest import PAGES, ROOT, StreamlitServer, screenshot, wait_for_run

pytestmark = pytest.mark.browser
AGE = re.compile(r"Data as of: (\d{4}-\d\d-\d\d \d\d:\d\d) UTC \(([^)]*) ago\)")
POLLING = ("account", "positions", "trades", "orders", "funding", "ledger", "ohlcv", "sync")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("live") / "demo.chdb"
    end = (datetime.now(UTC) - timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%MZ")
    subprocess.run(
        [sys.executable, "-m", "cli", "demo", "--path", str(path), "--days", "2", "--coins", "35", "--end", end],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(path.parent)},
    )
    srv = StreamlitServer(
        {"DESK_DEMO_PATH": str(path), "DESK_DEMO_TICK_S": "5"},
        tmp_path_factory.mktemp("live-logs") / "streamlit.log",
        unset=("CLICKHOUSE_URL", "CLICKHOUSE_SECONDARY_URL", "DESK_TABLES"),
    )
    yield srv
    srv.stop()


def _monitors(page) -> dict[str, dict[str, str]]:
    """The Monitors table, from the grid's accessible table: monitor -> {Status, Last beat (UTC), ...}."""
    for grid in page.locator('[data-testid="stDataFrame"]').all():
        rows = [[c.inner_text() for c in r.locator("td,th").all()] for r in grid.locator("table tr").all()]
        if rows and rows[0][:1] == ["Monitor"]:
            return {r[0]: dict(zip(rows[0], r)) for r in rows[1:] if r}
    raise AssertionError("no Monitors table on the page")


def _age_s(page) -> float:
    side = page.locator('[data-testid="stSidebar"]').inner_text()
    m = AGE.search(side)
    assert m, side
    text = m.group(2)
    n = float(re.match(r"[\d.]+", text).group(0))
    return n * {"s": 1, "min": 60, "h": 3600, "d": 86400}[re.search(r"(s|min|h|d)\b", text).group(1)]


def test_live_demo_keeps_flowing(live_server, browser, tabs):
    page = tabs.open(1440, 1000)
    try:
        page.goto(f"{live_server.url}/system_health?every=0", wait_until="domcontentloaded")
        wait_for_run(page)
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert "Demo desk caught up to" in main  # the 40 missing minutes, generated before the page
        assert page.locator('[data-testid="stException"]').count() == 0
        side = page.locator('[data-testid="stSidebar"]').inner_text()
        assert "embedded demo desk (live, simulated)" in side
        assert _age_s(page) <= 6 * 60  # account snapshots every 5 min, synced within a minute
        first, t_first = _monitors(page), time.time()
        assert set(POLLING) | {"demo_feeder"} <= set(first)
        assert first["demo_feeder"]["Status"] == "OK"
        assert sum(first[m]["Status"] == "DOWN" for m in POLLING) <= 2, first  # scripted outages aside

        # the minute of waiting does useful work: every other page renders on the live desk
        other = browser.new_page(viewport={"width": 1440, "height": 1000})  # a second tab, open beside the first
        try:
            for path, title in PAGES.items():
                if path != "system_health":
                    other.goto(f"{live_server.url}/{path}", wait_until="domcontentloaded")
                    wait_for_run(other)
                    assert other.locator("h1").first.inner_text().strip() == title
                    assert other.locator('[data-testid="stException"]').count() == 0, title
        finally:
            other.close()
        advanced: set[str] = set()
        deadline = t_first + 100

        def waiting() -> bool:  # every monitor beat again, or a heartbeat interval passed for most
            if len(advanced) == len(POLLING):
                return False
            return time.time() < deadline and not (len(advanced) >= 6 and time.time() > t_first + 65)

        while True:  # at least one look: on a slow machine the other pages alone can outlast the deadline
            page.reload(wait_until="domcontentloaded")
            wait_for_run(page)
            now = _monitors(page)
            advanced |= {m for m in POLLING if now[m]["Last beat (UTC)"] > first[m]["Last beat (UTC)"]}
            if not waiting():
                break
            page.wait_for_timeout(5_000)
        assert len(advanced) >= 6, (first, now)
        assert now["demo_feeder"]["Last beat (UTC)"] > first["demo_feeder"]["Last beat (UTC)"]
        assert now["demo_feeder"]["Status"] == "OK"
        assert sum(now[m]["Status"] == "OK" for m in POLLING) >= 6, now
        assert _age_s(page) <= 6 * 60
        screenshot(page, "live-demo-system-health")
    finally:
        tabs.release(page)
