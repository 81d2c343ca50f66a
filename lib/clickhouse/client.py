"""The one way the dashboard talks to ClickHouse.

`DeskClient` owns endpoint configuration (primary, optional secondary, or the
embedded chdb engine), lazy connection with fail-fast after an outage,
failover, and the single query choke point that accepts only read statements
and runs them with read-only settings and a time limit. It has no Streamlit
dependency so the CLI report, the benchmark and the tests use the same path as
the app; `queries/engine/connection.py` wraps it as an `st.connection`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from lib import config
from lib.clickhouse import embedded_lock as chdb_lock
from lib.clickhouse.endpoints import ClientSettings, Endpoint, resolve_settings
from lib.clickhouse.errors import QueryFailed, classify_error, endpoint_is_down
from lib.clickhouse.read_only import ensure_read_only

# ------------------------------------------------------------------ client


@dataclass
class _EndpointState:
    client: Any = None
    failed_at: float = 0.0
    last_error: QueryFailed | None = None
    probing: bool = False  # a background probe of this endpoint is running

    @property
    def open_circuit(self) -> bool:
        """Failed and not known to be back: no user query is sent here."""
        return self.client is None and self.last_error is not None


class DeskClient:
    """Thread-safe, lazily connected, read-only ClickHouse access with failover.

    With a secondary configured, a failed primary is a half-open circuit:
    queries go to the secondary, and once the back-off expires one background
    thread probes the primary (`SELECT 1`); only when the probe answers do
    queries return to it. A hung primary therefore never holds up a user's
    rerun after the first failure.
    """

    RETRY_AFTER_S = 15.0  # after a connection failure, fail fast for this long
    SOCKET_MARGIN_S = 2  # socket read timeout = query time limit + this

    def __init__(self, settings: ClientSettings):
        self.settings = settings
        self.tables = config.table_map(settings.table_overrides)
        self._lock = threading.Lock()
        self._state = {"primary": _EndpointState(), "secondary": _EndpointState()}
        self.active: str = "primary"
        self.last_success_at: datetime | None = None
        # the endpoint-level failure of the latest query (unreachable, hung, 5xx, credentials),
        # None once any endpoint answers again; the sidebar's source box shows it
        self.outage: QueryFailed | None = None

    # -- description, never with credentials
    @property
    def endpoint(self) -> Endpoint:
        ep = self.settings.secondary if self.active == "secondary" else self.settings.primary
        return ep or self.settings.primary

    @property
    def description(self) -> str:
        if self.settings.embedded_default:
            return "embedded demo desk (live, simulated)"
        suffix = " (secondary)" if self.active == "secondary" else ""
        return self.endpoint.label + suffix

    def _settings(self, client: Any = None, label: str = "-") -> dict[str, Any]:
        """The settings every query runs with: the time limit, NULL for unmatched join columns, and
        `readonly = 1` from a user that is not read-only already, set LAST.

        readonly=1 (not 2) also stops a statement's own SETTINGS clause from changing anything on the
        server, whatever the gate lets through. A server checks every setting of a request against the
        user's settings before applying any, but the embedded engine applies them in order, so readonly
        goes last. A user whose profile is readonly already (the README's `desk_dashboard`)
        cannot change readonly, nor any setting not made CHANGEABLE_IN_READONLY: a value equal to the
        profile's is not a change; a time limit the profile already holds at or below ours is kept; any
        other difference is a configuration error that says what to change, not a failed query.
        """
        server = getattr(client, "server_settings", None) or {}
        wanted: dict[str, Any] = {
            "max_execution_time": self.settings.query_time_limit_s,
            "join_use_nulls": 1,
        }
        # The query condition cache returned a wrong result for a repeated query with a
        # CTE read under a filter and its negation (seen on chdb 26.9); correctness first.
        if "use_query_condition_cache" in server:
            wanted["use_query_condition_cache"] = 0
        settings: dict[str, Any] = {}
        for name, value in wanted.items():
            have = server.get(name)
            if have is None or str(have.value) == str(value) or not have.readonly:
                settings[name] = value
            elif name == "max_execution_time" and 0 < float(have.value) <= float(value):
                continue  # the profile's own limit is at least as strict
            else:
                raise QueryFailed(
                    "config",
                    label,
                    f"the dashboard's user may not set {name} = {value} (its profile holds {have.value} and "
                    "is read-only): give it the settings profile of README, Configuration",
                )
        readonly = server.get("readonly")
        if readonly is None or str(readonly.value) == "0":
            settings["readonly"] = 1
        return settings

    def _query_settings(self, client: Any, ep: Endpoint) -> dict[str, Any]:
        """Settings sent with each query: none to the embedded engine, whose handle holds them (see _open)."""
        return {} if ep.kind == "chdb" else self._settings(client, ep.label)

    def _open(self, ep: Endpoint) -> Any:
        import clickhouse_connect

        if ep.kind == "chdb":
            # The embedded handle holds the settings for its life (SET, readonly last, so it can never
            # write): per-query settings would cost chdb a snapshot, SET and restore of each, every query.
            client = clickhouse_connect.get_client(dsn=f"chdb://{ep.path}")
            threads = {"max_threads": config.EMBEDDED_MAX_THREADS} if config.EMBEDDED_MAX_THREADS else {}
            for name, value in {**threads, **self._settings(client, ep.label)}.items():
                client.set_client_setting(name, value)
            return client
        return clickhouse_connect.get_client(
            host=ep.host,
            port=ep.port,
            username=ep.username,
            password=ep.password,
            database=ep.database,
            secure=ep.secure,
            connect_timeout=self.settings.connect_timeout_s,
            # the server stops a query at max_execution_time; the socket gives up 2 s later
            send_receive_timeout=self.settings.query_time_limit_s + self.SOCKET_MARGIN_S,
            autogenerate_session_id=False,  # one client shared by Streamlit's threads
            query_retries=0,
        )

    def _client_for(self, role: str) -> Any:
        ep = self.settings.primary if role == "primary" else self.settings.secondary
        if ep is None:
            raise QueryFailed("config", "-", "no secondary endpoint configured")
        st = self._state[role]
        with self._lock:
            if st.client is not None:
                return st.client
            if st.last_error and time.monotonic() - st.failed_at < self.RETRY_AFTER_S:
                raise st.last_error
        try:
            client = self._open(ep)
        except Exception as exc:  # any driver/transport failure becomes a QueryFailed
            err = classify_error(exc, ep)
            pid = chdb_lock.holder(ep.path) if ep.kind == "chdb" else None
            if pid is not None:  # not unreachable: another process has the directory open
                err = QueryFailed("locked", ep.label, chdb_lock.locked_message(ep.path, pid), err.code)
            elif err.kind == "query":
                err = QueryFailed("unreachable", ep.label, err.detail, err.code)
            with self._lock:
                st.last_error, st.failed_at = err, time.monotonic()
            raise err from None
        with self._lock:
            if st.client is None:
                st.client = client
                st.last_error = None
            return st.client

    def _discard(self, role: str) -> None:
        with self._lock:
            st = self._state[role]
            client, st.client = st.client, None
        if client is not None:
            client.close()

    def _drop(self, role: str, err: QueryFailed) -> None:
        with self._lock:
            st = self._state[role]
            st.client, st.last_error, st.failed_at = None, err, time.monotonic()

    def _roles(self) -> list[str]:
        """Endpoints to try for the next query, in order."""
        if not self.settings.secondary:
            return ["primary"]  # nowhere else to go: after the back-off the query itself retries it
        pst = self._state["primary"]
        if pst.open_circuit:
            if time.monotonic() - pst.failed_at >= self.RETRY_AFTER_S:
                self._probe_in_background("primary")
            return ["secondary"]
        return ["primary", "secondary"]

    def _probe_in_background(self, role: str) -> None:
        with self._lock:
            st = self._state[role]
            if st.probing:
                return
            st.probing = True
        threading.Thread(target=self._probe, args=(role,), daemon=True, name=f"desk-probe-{role}").start()

    def _probe(self, role: str) -> None:
        """Half-open: one `SELECT 1` on a fresh connection; closes the circuit only if it answers."""
        ep = self.settings.primary if role == "primary" else self.settings.secondary
        assert ep is not None
        st = self._state[role]
        client = None
        try:
            client = self._open(ep)
            client.query_arrow("SELECT 1 AS probe", settings=self._query_settings(client, ep))
        except Exception as exc:  # the probe's failure is the endpoint's state, kept for the next probe
            err = classify_error(exc, ep)
            if client is not None:
                try:
                    client.close()
                except Exception:  # a dead connection need not close cleanly
                    pass
            with self._lock:
                st.last_error, st.failed_at, st.probing = err, time.monotonic(), False
            return
        with self._lock:
            if st.client is None:
                st.client, st.last_error = client, None
            st.probing = False

    def query_arrow(self, sql: str, parameters: Mapping[str, Any] | None = None) -> pa.Table:
        """Run one read statement; table identifiers come from the table map.

        The primary is tried first; when the endpoint itself fails (refused,
        no answer, HTTP 5xx, wrong credentials) the secondary is tried. A
        failed endpoint is dropped: without a secondary it is not retried for
        RETRY_AFTER_S (fail fast); with one, queries stay on the secondary
        until a background probe finds the primary answering again.
        Statement errors (missing table, ACCESS_DENIED, server-side timeout,
        syntax) are raised at once: the other endpoint would fail the same way.
        """
        ensure_read_only(sql)
        params = {**self.tables.params(), **dict(parameters or {})}
        last: QueryFailed | None = None
        for role in self._roles():
            ep = self.settings.primary if role == "primary" else self.settings.secondary
            assert ep is not None
            try:
                client = self._client_for(role)
                table = client.query_arrow(sql, parameters=params, settings=self._query_settings(client, ep))
            except QueryFailed as err:
                last = err
                if endpoint_is_down(err) or err.kind == "auth":
                    continue
                self.outage = None  # the endpoint answered; the statement failed
                raise
            except Exception as exc:  # driver errors are classified, never swallowed
                failure = classify_error(exc, ep)
                if endpoint_is_down(failure) or failure.kind == "auth":
                    self._drop(role, failure)
                    last = failure
                    continue
                if ep.kind == "chdb" and failure.kind == "timeout":
                    # chdb 4.4 answers the next call on a handle whose query timed out with a stale,
                    # unreadable result: the next query gets a fresh handle (no back-off, nothing is down)
                    self._discard(role)
                self.outage = None
                raise failure from None
            self.active = role
            self.outage = None
            self.last_success_at = datetime.now(UTC)
            return table
        assert last is not None
        self.outage = last
        raise last

    def ping(self) -> dict[str, Any]:
        """Round-trip time and server version of the endpoint in use."""
        t0 = time.perf_counter()
        tbl = self.query_arrow("SELECT version() AS version, now64(3, 'UTC') AS server_now")
        rtt = time.perf_counter() - t0
        return {
            "version": tbl.column("version")[0].as_py(),
            "rtt_s": rtt,
            "endpoint": self.description,
            "role": self.active,
            "server_now": tbl.column("server_now")[0].as_py(),
            "last_success_at": self.last_success_at,
        }

    def close(self) -> None:
        with self._lock:
            for st in self._state.values():
                if st.client is not None:
                    try:
                        st.client.close()
                    except Exception:  # closing a dead connection is not an error worth surfacing
                        pass
                    st.client = None


_DEFAULT: DeskClient | None = None
_DEFAULT_LOCK = threading.Lock()


def default_client(secrets: Mapping[str, Any] | None = None) -> DeskClient:
    """Process-wide client from the environment (CLI, benchmark, tests)."""
    global _DEFAULT
    import os

    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = DeskClient(resolve_settings(os.environ, secrets))
        return _DEFAULT


def set_default_client(client: DeskClient) -> None:
    """Make `client` the process-wide default (the CLI reading a snapshot of a running demo)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is not None and _DEFAULT is not client:
            _DEFAULT.close()
        _DEFAULT = client


def reset_default_client() -> None:
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is not None:
            _DEFAULT.close()
        _DEFAULT = None
