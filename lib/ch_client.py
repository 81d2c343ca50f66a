"""The one way the dashboard talks to ClickHouse.

`DeskClient` owns endpoint configuration (primary, optional secondary, or the
embedded chdb engine), lazy connection with fail-fast after an outage,
failover, and the single query choke point that accepts only read statements
and runs them with read-only settings and a time limit. It has no Streamlit
dependency so the CLI report, the benchmark and the tests use the same path as
the app; `queries/connection.py` wraps it as an `st.connection`.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import unquote, urlparse

import pyarrow as pa

from lib import chdb_lock, config

# ---------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class Endpoint:
    """Where one ClickHouse lives. `password` never appears in `label`."""

    kind: str  # "http" or "chdb"
    host: str = ""
    port: int = 0
    username: str = "default"
    password: str = field(default="", repr=False)
    database: str = "default"
    secure: bool = False
    path: str = ""  # chdb only

    @property
    def label(self) -> str:
        if self.kind == "chdb":
            return f"embedded chdb:{self.path}"
        scheme = "https" if self.secure else "http"
        return f"{scheme}://{self.host}:{self.port}/{self.database}"


def endpoint_from_url(url: str) -> Endpoint:
    """Parse `http(s)://user:pass@host:port/db` or `chdb:///absolute/path`."""
    url = url.strip()
    parsed = urlparse(url)
    if parsed.scheme == "chdb":
        path = unquote(parsed.path or "")
        if parsed.netloc or not path.startswith("/"):
            raise config.ConfigError("chdb URL must be chdb:///absolute/path")
        return Endpoint(kind="chdb", path=path)
    if parsed.scheme not in ("http", "https", "clickhouse", "clickhouses"):
        raise config.ConfigError(
            "CLICKHOUSE_URL must start with http://, https:// or chdb:/// "
            f"(got scheme {parsed.scheme or 'none'!r})"
        )
    secure = parsed.scheme in ("https", "clickhouses")
    if parsed.fragment or "@" in parsed.path or "@" in parsed.query or (parsed.netloc.count("@") > 1):
        # an unencoded @ # / ? in the password would move part of it into the host or path
        raise config.ConfigError(
            "CLICKHOUSE_URL could not be parsed: percent-encode special characters "
            "(@ # / ? :) in the user name and password"
        )
    if not parsed.hostname:
        raise config.ConfigError("CLICKHOUSE_URL has no host")
    try:
        port = parsed.port or (8443 if secure else 8123)
    except ValueError:
        raise config.ConfigError("CLICKHOUSE_URL has an invalid port") from None
    database = unquote(parsed.path.lstrip("/").split("/")[0]) or "default"
    return Endpoint(
        kind="http",
        host=parsed.hostname,
        port=port,
        username=unquote(parsed.username or "default"),
        password=unquote(parsed.password or ""),
        database=database,
        secure=secure,
    )


def endpoint_from_mapping(values: Mapping[str, Any]) -> Endpoint:
    """An endpoint from a secrets table: url=..., or host/port/username/...."""
    if values.get("url"):
        return endpoint_from_url(str(values["url"]))
    if values.get("path"):
        return Endpoint(kind="chdb", path=str(Path(str(values["path"])).resolve()))
    if not values.get("host"):
        raise config.ConfigError("[connections.clickhouse] needs url, host or path")
    secure = str(values.get("secure", "false")).lower() in ("1", "true", "yes")
    try:
        port = int(values.get("port") or (8443 if secure else 8123))
    except (TypeError, ValueError):
        raise config.ConfigError("[connections.clickhouse] port must be a number") from None
    return Endpoint(
        kind="http",
        host=str(values["host"]),
        port=port,
        username=str(values.get("username") or values.get("user") or "default"),
        password=str(values.get("password") or ""),
        database=str(values.get("database") or "default"),
        secure=secure,
    )


@dataclass(frozen=True)
class ClientSettings:
    primary: Endpoint
    secondary: Endpoint | None = None
    embedded_default: bool = False  # nothing configured: the demo desk
    query_time_limit_s: int = config.QUERY_TIME_LIMIT_S
    connect_timeout_s: int = config.CONNECT_TIMEOUT_S
    table_overrides: Mapping[str, str] = field(default_factory=dict)


def resolve_settings(
    env: Mapping[str, str],
    secrets: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> ClientSettings:
    """Merge kwargs > environment > secrets > the embedded demo default."""
    secrets = dict(secrets or {})
    primary: Endpoint | None = None
    secondary: Endpoint | None = None

    if kwargs.get("url"):
        primary = endpoint_from_url(str(kwargs["url"]))
    elif env.get("CLICKHOUSE_URL"):
        primary = endpoint_from_url(env["CLICKHOUSE_URL"])
    elif any(k in secrets for k in ("url", "host", "path")):
        primary = endpoint_from_mapping(secrets)

    if kwargs.get("secondary_url"):
        secondary = endpoint_from_url(str(kwargs["secondary_url"]))
    elif env.get("CLICKHOUSE_SECONDARY_URL"):
        secondary = endpoint_from_url(env["CLICKHOUSE_SECONDARY_URL"])
    elif isinstance(secrets.get("secondary"), Mapping):
        secondary = endpoint_from_mapping(secrets["secondary"])
    elif secrets.get("secondary_url"):
        secondary = endpoint_from_url(str(secrets["secondary_url"]))

    embedded = primary is None
    if primary is None:
        primary = Endpoint(kind="chdb", path=str(config.DEFAULT_DEMO_PATH))

    def _int(name: str, default: int) -> int:
        raw = kwargs.get(name) or env.get(f"DESK_{name.upper()}") or secrets.get(name)
        try:
            value = int(raw) if raw else default
        except (TypeError, ValueError):
            raise config.ConfigError(f"{name} must be a whole number of seconds") from None
        if not 1 <= value <= 3600:
            raise config.ConfigError(f"{name} must be between 1 and 3600 seconds")
        return value

    tables = secrets.get("tables") or {}
    return ClientSettings(
        primary=primary,
        secondary=secondary,
        embedded_default=embedded,
        query_time_limit_s=_int("query_time_limit_s", config.QUERY_TIME_LIMIT_S),
        connect_timeout_s=_int("connect_timeout_s", config.CONNECT_TIMEOUT_S),
        table_overrides=dict(tables) if isinstance(tables, Mapping) else {},
    )


# ------------------------------------------------------------------- errors


class QueryFailed(RuntimeError):
    """A query that did not return data, in words a desk user can act on."""

    def __init__(self, kind: str, endpoint: str, detail: str, code: int | None = None):
        self.kind = kind
        self.endpoint = endpoint
        self.detail = detail
        self.code = code  # ClickHouse error code, None for transport-level failures
        super().__init__(f"{KIND_TEXT.get(kind, kind)} ({endpoint}): {detail}")

    @property
    def headline(self) -> str:
        return f"{KIND_TEXT.get(self.kind, self.kind)} — {self.endpoint}"


KIND_TEXT = {
    "unreachable": "ClickHouse unreachable",
    "timeout": "ClickHouse query timed out",
    "auth": "ClickHouse refused the credentials",
    "missing_table": "Table or column missing on ClickHouse",
    "readonly": "Refused: the dashboard is read-only",
    "server_error": "ClickHouse endpoint answered with an HTTP error",
    "config": "ClickHouse configuration error",
    "locked": "Embedded database in use by another process",
    "query": "ClickHouse query failed",
}

_AUTH_CODES = {192, 193, 194, 195, 516, 497}
_TIMEOUT_CODES = {159, 160, 209, 210}
_MISSING_CODES = {60, 81, 16, 47}
_READONLY_CODES = {164}
_CODE = re.compile(r"Code: (\d+)")


_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")\]]+")
_DB_EXC = re.compile(r"Code: (\d+)\. DB::Exception: (.+?)(?: \(([A-Z_]+)\))?(?:\. Stack trace|$)", re.S)


_HTTP_STATUS = re.compile(r"HTTP status (\d{3})", re.I)
_TAGS = re.compile(r"<[^>]{0,200}>")


def _scrub(text: str, ep: Endpoint) -> str:
    """The reason a user can act on, without credentials or driver noise."""
    if ep.password:
        text = text.replace(ep.password, "***")
    text = re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)
    text = re.sub(r"(?i)(password[=:]\s*)\S+", r"\1***", text)
    text = re.sub(r"\?query_id=[0-9a-f-]+", "", text)
    text = re.sub(r"^[A-Za-z_.]*(Error|Exception): ", "", text.strip())  # the driver's class name
    text = re.sub(r"\s+", " ", _TAGS.sub(" ", text)).strip()
    m = _ERRNO.search(text)
    if m:
        return m.group(0).strip()
    low = text.lower()
    if "read timed out" in low or "read timeout" in low:
        return "no answer within the read timeout"
    if "connect timeout" in low or "connecttimeout" in low:
        return "no connection within the connect timeout"
    m = _DB_EXC.search(text)
    if m:
        name = f" ({m.group(3)})" if m.group(3) else ""
        return f"{m.group(2).strip()[:300]}{name}"
    return text[:300]


_UNREACHABLE = ("connection refused", "failed to establish", "name or service not known",
                "max retries exceeded", "connection reset", "remote end closed",
                "no route to host", "temporary failure in name resolution",
                "cannot connect", "connection aborted", "connect timeout", "connecttimeout",
                "network is unreachable", "nodename nor servname")


def classify_error(exc: BaseException, ep: Endpoint) -> QueryFailed:
    """Turn a driver exception into a QueryFailed with a user-facing kind.

    Kinds: auth, timeout (server-side limit, with a code; or no answer on the
    socket, without one), missing_table, readonly, unreachable (no
    connection), server_error (an HTTP error status without a ClickHouse
    error code: a proxy or a broken server), query (anything else).
    """
    if isinstance(exc, QueryFailed):
        return exc
    text = f"{type(exc).__name__}: {exc}"
    low = text.lower()
    m = _CODE.search(text) or re.search(r"exception, code: (\d+)", text, re.I)
    code = int(m.group(1)) if m else None
    hs = _HTTP_STATUS.search(text)
    http_status = int(hs.group(1)) if hs else None
    if code in _AUTH_CODES or "authentication failed" in low or http_status in (401, 403) \
            or " 401" in low or " 403" in low:
        kind = "auth"
    elif code in _MISSING_CODES or "unknown table" in low or "unknown_table" in low or "unknown database" in low:
        kind = "missing_table"
    elif code in _READONLY_CODES:
        kind = "readonly"
    elif code is None and any(s in low for s in _UNREACHABLE):
        kind = "unreachable"
    elif code in _TIMEOUT_CODES or "timed out" in low or "timeout" in low:
        kind = "timeout"
    elif code is None and http_status is not None and http_status >= 500:
        kind = "server_error"
    elif code is None and re.search(r"\b(50[0-4])\b", low) and "http" in low:
        kind = "server_error"
    else:
        kind = "query"
    return QueryFailed(kind, ep.label, _scrub(text, ep), code)


def endpoint_is_down(err: QueryFailed) -> bool:
    """True when the endpoint itself failed (try the other one, back off), not the statement."""
    if err.kind in ("unreachable", "server_error"):
        return True
    return err.kind == "timeout" and err.code is None  # no answer at all, not a server-side time limit


# ------------------------------------------------------------ read-only gate

_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")
_READ_START = re.compile(r"^\s*\(?\s*(SELECT|WITH)\b", re.I)
_FORBIDDEN = re.compile(r"\bINTO\s+OUTFILE\b|\bSETTINGS\b[^;]*\breadonly\b", re.I)


def ensure_read_only(sql: str) -> None:
    """Refuse anything but a single SELECT/WITH statement.

    Defence in depth: the server also runs every query with readonly=2, so a
    statement that slipped past this check is refused there as well.
    """
    code = _STRING.sub("''", _COMMENT.sub(" ", sql))
    body = code.strip().rstrip(";").strip()
    if ";" in body:
        raise QueryFailed("readonly", "-", "only one statement per query is allowed")
    if not _READ_START.match(body):
        first = body.split(None, 1)[0].upper() if body else "(empty)"
        raise QueryFailed("readonly", "-", f"only SELECT/WITH statements may run, not {first}")
    if _FORBIDDEN.search(body):
        raise QueryFailed("readonly", "-", "INTO OUTFILE and readonly overrides are not allowed")


# ------------------------------------------------------------------ client


@dataclass
class _EndpointState:
    client: Any = None
    failed_at: float = 0.0
    last_error: QueryFailed | None = None


class DeskClient:
    """Thread-safe, lazily connected, read-only ClickHouse access with failover."""

    RETRY_AFTER_S = 15.0  # after a connection failure, fail fast for this long
    SOCKET_MARGIN_S = 2  # socket read timeout = query time limit + this

    def __init__(self, settings: ClientSettings):
        self.settings = settings
        self.tables = config.table_map(settings.table_overrides)
        self._lock = threading.Lock()
        self._state = {"primary": _EndpointState(), "secondary": _EndpointState()}
        self.active: str = "primary"
        self.last_success_at: datetime | None = None

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

    def _settings(self, client: Any = None) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "readonly": 2,
            "max_execution_time": self.settings.query_time_limit_s,
            "join_use_nulls": 1,
        }
        # The query condition cache returned a wrong result for a repeated query with a
        # CTE read under a filter and its negation (seen on chdb 26.9); correctness first.
        if client is not None and "use_query_condition_cache" in (getattr(client, "server_settings", None) or {}):
            settings["use_query_condition_cache"] = 0
        return settings

    def _open(self, ep: Endpoint) -> Any:
        import clickhouse_connect

        if ep.kind == "chdb":
            return clickhouse_connect.get_client(dsn=f"chdb://{ep.path}")
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

    def _drop(self, role: str, err: QueryFailed) -> None:
        with self._lock:
            st = self._state[role]
            st.client, st.last_error, st.failed_at = None, err, time.monotonic()

    def query_arrow(self, sql: str, parameters: Mapping[str, Any] | None = None) -> pa.Table:
        """Run one read statement; table identifiers come from the table map.

        The primary is tried first (unless it failed within RETRY_AFTER_S and
        a secondary exists); when the endpoint itself fails (refused, no
        answer, HTTP 5xx, wrong credentials) the secondary is tried. A failed
        endpoint is dropped and not retried for RETRY_AFTER_S (fail fast).
        Statement errors (missing table, server-side timeout, syntax) are
        raised at once: the other endpoint would fail the same way.
        """
        ensure_read_only(sql)
        params = {**self.tables.params(), **dict(parameters or {})}
        roles = ["primary", "secondary"] if self.settings.secondary else ["primary"]
        if self.active == "secondary":
            # keep using the secondary, but give the primary a chance once its back-off expires
            pst = self._state["primary"]
            if pst.client is None and time.monotonic() - pst.failed_at < self.RETRY_AFTER_S:
                roles = ["secondary"]
        last: QueryFailed | None = None
        for role in roles:
            ep = self.settings.primary if role == "primary" else self.settings.secondary
            assert ep is not None
            try:
                client = self._client_for(role)
                table = client.query_arrow(sql, parameters=params, settings=self._settings(client))
            except QueryFailed as err:
                last = err
                if endpoint_is_down(err) or err.kind == "auth":
                    continue
                raise
            except Exception as exc:  # driver errors are classified, never swallowed
                err = classify_error(exc, ep)
                if endpoint_is_down(err) or err.kind == "auth":
                    self._drop(role, err)
                    last = err
                    continue
                raise err from None
            self.active = role
            self.last_success_at = datetime.now(timezone.utc)
            return table
        assert last is not None
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
