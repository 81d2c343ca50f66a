"""Every page over the production transport (HTTP), not only over `chdb://`.

The remote is tests/http_clickhouse.py: clickhouse-connect's real HTTP client
against ClickHouse's HTTP interface on a loopback port, queries run on the
session's demo desk. Pages render the same as embedded, every statement a page
runs returns the same rows over both transports, a missing grant fails only
the panels that read it, and an outage shows in the sidebar's source box.
"""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import resolve_settings
from queries.engine import run as _base
from tests.apptest_support import shown
from tests.conftest import DESK_PATH
from tests.http_clickhouse import http_clickhouse
from tests.test_reliability import PAGES, SECRET, assert_clean, run_page, texts  # noqa: F401 (fixture)

DENIED = "not permitted: grant SELECT on binance.* to the dashboard user"
# pages whose panels read binance.klines_1h (prices), and the panel that says so
READS_KLINES = {
    "pages/overview.py": "latest tracking error",
    "pages/positions.py": "hourly timeline",
    "pages/trades.py": "fill summary",
    "pages/tracking_error.py": "hourly timeline",
    "pages/system_health.py": "Exchange marks vs Binance",
}


@pytest.fixture
def remote(desk_client):
    with http_clickhouse(str(DESK_PATH), users={"reader": SECRET}) as srv:
        yield srv


def source_box(at) -> tuple[str, str]:
    """(kind, text) of the sidebar's Data source box."""
    for kind in ("error", "warning", "success", "info"):
        for el in getattr(at.sidebar, kind):
            if el.value.startswith("**Data source:**"):
                return kind, shown(el.value)
    raise AssertionError(texts(at, "sidebar"))


@pytest.mark.parametrize("page,title", list(PAGES.items()))
def test_page_over_http_renders_and_every_statement_matches_embedded(run_page, remote, desk_url, page, title):
    with _base.recording() as log:
        at, _ = run_page(page, {"CLICKHOUSE_URL": remote.url()})
    assert_clean(at, title)
    assert not at.main.error, [e.value for e in at.main.error]
    assert source_box(at)[0] == "success" and f"127.0.0.1:{remote.port}" in source_box(at)[1]
    assert "Data as of 2025-12-15" in texts(at, "main")
    assert len(log) >= 3 and len(remote.queries) >= len(log)
    over_http = DeskClient(resolve_settings({"CLICKHOUSE_URL": remote.url()}, {}))
    embedded = DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))
    for sql, params, rows in log:
        a = pl.from_arrow(over_http.query_arrow(sql, params))
        b = pl.from_arrow(embedded.query_arrow(sql, params))
        assert a.height == rows and a.schema == b.schema, sql[:200]
        if "now(" not in sql and "now64(" not in sql:  # the server clock moves between the two runs
            # same values; float sums may differ in the last bits (the engine's summation order varies)
            assert_frame_equal(a, b, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("page,title", list(PAGES.items()))
def test_missing_grant_fails_only_the_panels_that_read_it(run_page, remote, page, title):
    remote.deny("binance")
    health = page == "pages/system_health.py"
    if health:  # Prices is a closed tab: its label says it failed; opened, it says why
        at, _ = run_page(page, {"CLICKHOUSE_URL": remote.url()})
        assert [t.label for t in at.tabs][1] == "Prices · :red[failed]"
        assert not any(READS_KLINES[page] in shown(e.value) for e in at.main.error)
        # the ping, the monitors and the synced tables all answer (the ClickHouse tab is open by default)
        assert "Server version" in texts(at, "main") and len(at.main.dataframe) >= 2
    at, _ = run_page(page, {"CLICKHOUSE_URL": remote.url()}, query={"section": "prices"} if health else None)
    assert_clean(at, title)
    body = texts(at)
    assert "refused the credentials" not in body
    errors = [shown(e.value) for e in at.main.error]
    if page in READS_KLINES:
        assert errors and all(DENIED in e for e in errors), errors
        assert any(READS_KLINES[page] in e for e in errors), errors
    else:
        assert not errors, errors
    # the endpoint is not dropped: the sidebar's source box stays green and data-as-of is read
    assert source_box(at)[0] == "success"
    assert "Data as of 2025-12-15" in texts(at, "main")


def test_an_old_server_version_is_named_and_warned_about(run_page, remote):
    """Issue 25 §2: a server reporting 18.16 was accepted without a word. System Health's ClickHouse panel shows
    the version and warns that it is older than any tested server (config.OLDEST_TESTED_SERVER_VERSION)."""
    remote.server_version = "18.16.1.1"
    at, _ = run_page("pages/system_health.py", {"CLICKHOUSE_URL": remote.url()})
    assert_clean(at, "System Health")
    assert shown({m.label: m.value for m in at.metric}["Server version"]) == "18.16.1.1"
    assert [t.label for t in at.tabs][0] == "ClickHouse · :orange[untested version]"
    warn = [shown(w.value) for w in at.warning if w.value.startswith("**Untested server version")]
    assert (
        warn
        and warn[0].startswith("**Untested server version 18.16.1.1.**")
        and "ClickHouse 18.16 is older than any server the queries are tested against" in warn[0]
    ), warn
    assert "(26.9 and later)" in warn[0]
    remote.server_version = None  # the engine's own version: tested, no warning
    at, _ = run_page("pages/system_health.py", {"CLICKHOUSE_URL": remote.url()})
    assert not [w.value for w in at.warning if w.value.startswith("**Untested server version")]
    assert [t.label for t in at.tabs][0] == "ClickHouse · :green[OK]"
