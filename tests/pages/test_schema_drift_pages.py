"""Every page on a drifted remote: compatible drift renders as usual, a broken column is named.

Before the data contract, account_snapshots.ts as DateTime raised on all five pages and
monitor_heartbeat.ts as DateTime on two; a missing or mistyped column gave a bare
ClickHouse error on each panel.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lib.clickhouse import contract
from lib.demo import seed_client
from queries.health import contract as contract_queries
from tests.apptest_support import shown
from tests.queries.fixture_desk import create_tables, table_map_for
from ui.shell import router

UTC = UTC
PAGES = [
    "pages/overview.py",
    "pages/positions.py",
    "pages/trades.py",
    "pages/tracking_error.py",
    "pages/system_health.py",
]
COMPATIBLE = {
    "account.ts": "DateTime",
    "heartbeat.ts": "DateTime",
    "positions.ts": "DateTime",
    "trades.time": "DateTime64(3, 'Asia/Kolkata')",
    "trades.px": "Decimal(18, 8)",
    "orders.status": "Enum8('open' = 1, 'filled' = 2, 'canceled' = 3, 'rejected' = 4, "
    "'partially_filled' = 5, 'triggered' = 6, 'marginCanceled' = 7)",
}


@pytest.fixture(autouse=True)
def _through_app_py(monkeypatch):
    router.use_navigation()


def _seed(engine, prefix: str, types: dict[str, str]) -> dict[str, str]:
    tm = create_tables(engine, prefix, types)
    seed_client(engine, start=datetime(2025, 12, 1, tzinfo=UTC), end=datetime(2025, 12, 8, 12, tzinfo=UTC), tables=tm)
    return {k: tm.qualified(k) for k in tm.tables}


@pytest.fixture(scope="module")
def compatible_tables(engine):
    return _seed(engine, "pgdrift_ok", COMPATIBLE)


@pytest.fixture(scope="module")
def broken_tables(engine):
    tables = _seed(engine, "pgdrift_bad", {})
    tm = table_map_for("pgdrift_bad")
    engine.command(f"ALTER TABLE {tm.qualified('trades')} DROP COLUMN fee_token")
    engine.command(f"ALTER TABLE {tm.qualified('positions')} MODIFY COLUMN szi String")
    return tables


def _texts(at) -> str:
    out = []
    for kind in ("error", "warning", "info", "success", "markdown", "caption"):
        out += [shown(str(e.value)) for e in getattr(at, kind)]
    return "\n".join(out)


@pytest.fixture
def on_tables(monkeypatch):
    def use(tables: dict[str, str]) -> None:
        monkeypatch.setenv("DESK_TABLES", json.dumps(tables))
        contract_queries.forget()

    return use


@pytest.mark.parametrize("page", PAGES)
def test_compatible_drift_renders_every_page_without_errors(app, compatible_tables, on_tables, page):
    on_tables(compatible_tables)
    at = app(page, query={"section": "data"} if page.endswith("system_health.py") else None)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    if page.endswith("system_health.py"):  # the Data quality tab, opened by the link
        assert [t.label for t in at.tabs][2] == "Data quality · :orange[schema drift]"
        frame = next(df.value for df in at.dataframe if list(df.value.columns)[:2] == ["status", "table"])
        normalised = frame[[s[0] == contract.NORMALISED for s in frame["status"]]]
        assert sorted(normalised["column"]) == sorted(c.split(".")[1] for c in COMPATIBLE)
        assert any("Compatible drift" in w.value for w in at.warning)


def test_broken_columns_are_named_with_the_type_expected(app, broken_tables, on_tables):
    on_tables(broken_tables)
    at = app("pages/trades.py")
    assert not at.exception, [e.value for e in at.exception]
    text = _texts(at)
    assert "pgdrift_bad_mon.trades.fee_token is missing (expected LowCardinality(String))" in text, text

    at = app("pages/overview.py")
    assert not at.exception, [e.value for e in at.exception]
    assert "pgdrift_bad_mon.positions_snapshots.szi is String (expected Float64)" in _texts(at)

    at = app("pages/system_health.py")
    assert not at.exception, [e.value for e in at.exception]
    # the Data quality tab is closed: its contract table is not drawn, its label says what is broken
    assert not [df for df in at.dataframe if list(df.value.columns)[:2] == ["status", "table"]]
    labels = [t.label for t in at.tabs]
    assert labels[2] == "Data quality · :red[2 columns broken]"
    at.session_state["sh_tab"] = labels[2]  # a click on it
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["section"] == "data"
    frame = next(df.value for df in at.dataframe if list(df.value.columns)[:2] == ["status", "table"])
    rows = {
        (r["table"].split(".")[1], r["column"]): (r["status"][0], r["expected"], r["actual"])
        for r in frame.to_dict("records")
    }
    assert rows[("trades", "fee_token")] == ("missing", "LowCardinality(String)", None)
    assert rows[("positions_snapshots", "szi")] == ("wrong type", "Float64", "String")
    assert [s[0] for s in frame["status"][:2]] == ["wrong type", "missing"]  # broken rows first
    assert any("2 contract columns broken" in e.value for e in at.error)


def test_the_open_tab_stays_open_when_its_label_changes(app, compatible_tables, broken_tables, on_tables):
    """A label carries its status, and a label is part of st.tabs' identity: a status that changes between two
    runs (the auto-refresh) must leave the reader on the tab they opened, never back on the first one."""
    import streamlit as st

    from lib.clickhouse.client import reset_default_client

    on_tables(compatible_tables)
    at = app("pages/system_health.py", query={"section": "data"})
    assert [t.label for t in at.tabs][2] == "Data quality · :orange[schema drift]"
    on_tables(broken_tables)  # the remote's columns break between two runs
    st.cache_resource.clear()  # the connection reads the new table map
    st.cache_data.clear()  # the contract check's TTL (a day) has run out
    reset_default_client()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.tabs][2] == "Data quality · :red[2 columns broken]"
    assert at.query_params["section"] == "data"
    frame = next(df.value for df in at.dataframe if list(df.value.columns)[:2] == ["status", "table"])
    assert [s[0] for s in frame["status"][:2]] == ["wrong type", "missing"]
    assert any("2 contract columns broken" in e.value for e in at.error)
