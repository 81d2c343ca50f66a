"""Odd rows in a real browser (issue 25 §2): a stray 2016 snapshot, rows with NULL keys and an 18.16 server.

The desk is the demo desk in tables of its own on the session engine, served over the HTTP stand-in (which reports
version 18.16.1.1) to a real Streamlit server. System Health names all three; Overview starts "PnL since" at the real
history and Trades says which fills were left out.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from lib.demo import seed_client
from tests.browser.conftest import StreamlitServer, screenshot, wait_for_run
from tests.browser.test_tables_fit_browser import grids, overflowing
from tests.conftest import DESK_PATH
from tests.http_clickhouse import http_clickhouse
from tests.queries.fixture_desk import create_tables

pytestmark = pytest.mark.browser
PREFIX = "fxoddbr"
LC_NULL = "LowCardinality(Nullable(String))"
TYPES = {"trades.tid": "Nullable(UInt64)", "trades.account": LC_NULL, "account.account": LC_NULL}


@pytest.fixture(scope="module")
def odd_desk(engine):
    tm = create_tables(engine, PREFIX, TYPES)
    seed_client(engine, start=datetime(2025, 12, 1, tzinfo=UTC), end=datetime(2025, 12, 8, 12, tzinfo=UTC), tables=tm)
    raw = {"optimize_on_insert": 0}
    trades, account = tm.qualified("trades"), tm.qualified("account")
    engine.command(
        f"INSERT INTO {trades} SELECT * REPLACE (NULL AS tid) "  # a WHERE beside the REPLACE would see its NULL
        f"FROM (SELECT * FROM {trades} ORDER BY time DESC LIMIT 5)",
        settings=raw,
    )
    engine.command(
        f"INSERT INTO {account} SELECT * REPLACE (NULL AS account, account_value * 5 AS account_value) "
        f"FROM (SELECT * FROM {account} ORDER BY ts DESC LIMIT 2)",
        settings=raw,
    )
    engine.command(
        f"INSERT INTO {account} SELECT * REPLACE (toDateTime64('2016-01-04 08:00:00', 3, 'UTC') AS ts, "
        f"account_value * 10000 AS account_value) FROM (SELECT * FROM {account} WHERE account IS NOT NULL "
        "ORDER BY ts LIMIT 1)",
        settings=raw,
    )
    return tm


def test_system_health_overview_and_trades_name_the_odd_rows(odd_desk, tabs, tmp_path):
    tables = json.dumps({k: odd_desk.qualified(k) for k in odd_desk.tables})
    with http_clickhouse(str(DESK_PATH), users={"reader": "reader-pw"}) as remote:
        remote.server_version = "18.16.1.1"
        url = remote.url(db=f"{PREFIX}_mon")
        srv = StreamlitServer({"CLICKHOUSE_URL": url, "DESK_TABLES": tables}, tmp_path / "streamlit.log")
        page = tabs.open(1440, 1000)
        try:
            page.goto(f"{srv.url}/system_health?every=0", wait_until="domcontentloaded")
            wait_for_run(page)
            assert page.locator('[data-testid="stException"]').count() == 0
            body = page.locator('[data-testid="stMain"]').inner_text()
            assert "Untested server version 18.16.1.1." in body  # the ClickHouse tab, open by default
            # the Data quality tab is closed: its label counts the odd rows (1 before inception, 7 with an empty key)
            tab = page.get_by_role("tab", name=re.compile(r"^Data quality · "))
            assert tab.inner_text().strip() == "Data quality · schema drift · 8 odd rows"
            assert "dated before the desk's inception" not in body
            page.get_by_text("Untested server version").first.scroll_into_view_if_needed()
            screenshot(page, "odd-rows-system-health")
            tab.click()  # opened, it names them
            page.get_by_text("dated before the desk's inception").first.wait_for(timeout=60_000)
            wait_for_run(page)
            assert "section=data" in page.url
            body = page.locator('[data-testid="stMain"]').inner_text()
            assert (
                "1 row dated before the desk's inception (" in body
                and "in 1 table, the oldest" in body
                and "the oldest on 2016-01-04" in body
            )
            assert "7 rows with an empty (NULL) key left out" in body
            assert "5 fills (no tid 5)" in body and "2 account snapshots (no account 2)" in body
            page.get_by_text("dated before the desk's inception").first.scroll_into_view_if_needed()
            screenshot(page, "odd-rows-system-health-data-quality")
            # a drifted desk's contract table fits a 1280 px laptop too: its notes are under it, whole
            page.set_viewport_size({"width": 1280, "height": 1000})
            wait_for_run(page)
            assert overflowing(grids(page)) == [], grids(page)
            page.get_by_text("Notes on the columns (3)").click()  # a lazy fold: its notes come with the rerun
            fold = page.locator('[data-testid="stExpander"]', has_text="Notes on the columns")
            fold.get_by_text("Nullable key").first.wait_for(timeout=60_000)
            wait_for_run(page)
            notes = fold.inner_text().replace("\u2060", "")
            assert notes.count("Nullable key: rows with NULL here are left out") == 3, notes

            page.goto(f"{srv.url}/", wait_until="domcontentloaded")
            wait_for_run(page)
            body = page.locator('[data-testid="stMain"]').inner_text()
            assert "2016" not in body and "since 2025-12-01" in body, body[:2000]
            assert "Left out of these numbers for an empty (NULL) key" in body and "2 account snapshots" in body
            screenshot(page, "odd-rows-overview")

            page.goto(f"{srv.url}/trades?from=2025-12-01&to=2025-12-08", wait_until="domcontentloaded")
            wait_for_run(page)
            body = page.locator('[data-testid="stMain"]').inner_text()
            assert "Left out of these numbers for an empty (NULL) key: 5 fills (no tid 5)" in body
            screenshot(page, "odd-rows-trades")
        finally:
            tabs.release(page)
            srv.stop()
