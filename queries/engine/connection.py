"""Streamlit glue: `st.connection("clickhouse", type=ClickHouseConnection)`.

It lives beside the queries that use it, so lib/ stays free of Streamlit. It
merges `[connections.clickhouse]` secrets, the environment and kwargs (kwargs
win, then CLICKHOUSE_URL, then secrets, then the embedded demo) into a
`lib.clickhouse.client.DeskClient`, which does the actual work.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st
from streamlit.connections import BaseConnection

from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import resolve_settings


class ClickHouseConnection(BaseConnection[DeskClient]):
    """Read-only ClickHouse connection shared by every session of the process."""

    def _connect(self, **kwargs: Any) -> DeskClient:
        secrets = self._secrets.to_dict() if self._secrets else {}
        return DeskClient(resolve_settings(os.environ, secrets, **kwargs))

    @property
    def client(self) -> DeskClient:
        return self._instance

    def close(self) -> None:
        """Streamlit's release hook (st.connection registers `close` as the resource cache's `on_release`):
        when the cached connection is dropped, close the client's HTTP pools and embedded handles."""
        client, self._raw_instance = self._raw_instance, None
        if client is not None:
            client.close()

    def reset(self) -> None:
        """Secrets changed (or a caller asked): close the old client; the next use builds a new one."""
        self.close()


@st.cache_resource(show_spinner=False)
def get_connection() -> ClickHouseConnection:
    """The process's connection. `st.connection` itself is cached too, but each call builds
    its cache wrapper anew (about 0.4 ms, 30 times on System Health); this lookup is one hash."""
    return st.connection("clickhouse", type=ClickHouseConnection)
