"""queries/engine/connection.py: the client's pools are closed when Streamlit releases the connection."""

from __future__ import annotations

import streamlit as st

from lib.clickhouse.client import DeskClient
from queries.engine.connection import ClickHouseConnection


def test_releasing_the_connection_closes_the_clients_pools(desk_url, monkeypatch):
    closed: list[DeskClient] = []
    original = DeskClient.close

    def recording_close(self: DeskClient) -> None:
        closed.append(self)
        original(self)

    monkeypatch.setattr(DeskClient, "close", recording_close)
    conn = st.connection("clickhouse_release_test", type=ClickHouseConnection, url=desk_url)
    client = conn.client
    assert client.query_arrow("SELECT 1 AS one").column("one")[0].as_py() == 1
    st.cache_resource.clear()  # Streamlit drops its cached connections: the on_release hook runs
    assert closed == [client]
    # a reset (secrets changed) closes the old client too; the next use opens a new one
    again = st.connection("clickhouse_release_test", type=ClickHouseConnection, url=desk_url)
    first = again.client
    again.reset()
    assert closed == [client, first] and again.client is not first
    again.close()
