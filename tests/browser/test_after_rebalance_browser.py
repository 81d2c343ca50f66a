"""00:07 UTC, just after the rebalance's fills, in headless Chromium at 1280 px: no page shows a classified
snapshot that has not closed. Tracking Error says when today's 02:00 snapshot closes and stops at yesterday;
Positions opens on the latest complete snapshot and shows today's 02:00 unclassified.

Its own desk (the data ends 2025-12-09 00:07) and its own Streamlit server: chdb binds one path per process.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.browser.conftest import ROOT, StreamlitServer, screenshot, wait_for_run

pytestmark = pytest.mark.browser
MOMENT = "2025-12-09T00:07Z"


@pytest.fixture(scope="module")
def after_rebalance(tmp_path_factory):
    path = tmp_path_factory.mktemp("after_rebalance") / "desk.chdb"
    subprocess.run(
        [sys.executable, "-m", "cli", "demo", "--path", str(path), "--end", MOMENT, "--days", "40", "--coins", "35"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    srv = StreamlitServer({"CLICKHOUSE_URL": f"chdb://{path}"}, tmp_path_factory.mktemp("logs") / "streamlit.log")
    yield srv
    srv.stop()


def _open(tabs, url: str):
    page = tabs.open(1280, 1000)
    page.goto(url, wait_until="domcontentloaded")
    wait_for_run(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    return page


def test_tracking_error_stops_at_the_latest_complete_snapshot(after_rebalance, tabs):
    page = _open(tabs, f"{after_rebalance.url}/tracking_error?from=2025-11-26&to=2025-12-09")
    try:
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert "Today's 02:00 snapshot closes at 03:00 UTC (in 2 h 5" in body
        assert "showing 2025-12-08: nothing after 2025-12-08 is classified, averaged or charted yet" in body
        assert "Daily TE, 2025-12-08" in body and "24:00" not in body
        screenshot(page, "after-rebalance-tracking-error")
    finally:
        tabs.release(page)


def test_positions_opens_on_the_latest_complete_snapshot(after_rebalance, tabs):
    page = _open(tabs, f"{after_rebalance.url}/positions")
    try:
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert "Book at 2025-12-08 23:00 hour (positions as of 00:00 UTC the next day)" in body
        assert "24:00" not in body
        screenshot(page, "after-rebalance-positions")
    finally:
        tabs.release(page)
    page = _open(tabs, f"{after_rebalance.url}/positions?date=2025-12-09&hour=2")
    try:
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert "Today's 02:00 snapshot closes at 03:00 UTC" in body
        assert "nothing is classified before the hour ends" in body
        assert "Missing position" not in body  # no category metric for an open hour
        screenshot(page, "after-rebalance-positions-open-hour")
    finally:
        tabs.release(page)
