"""A ClickHouse HTTP interface on a loopback port, backed by the embedded engine.

No real ClickHouse server is installable on the test machines (Debian's
package is from 2018), so this is the closest honest stand-in for the
production transport: clickhouse-connect's real HTTP client talks to it over
a socket, and every query runs for real on the session's chdb engine.

What it speaks, as ClickHouse's HTTP handler does:
- basic auth (`Authorization: Basic`, or `X-ClickHouse-User`/`-Key`, or
  `user`/`password` URL parameters); a wrong password is HTTP 401 with
  `Code: 516 ... (AUTHENTICATION_FAILED)`;
- the query in the URL (`query=`) and/or the POST body, `database=`,
  `default_format=`, server-side parameters `param_<name>=`; every other URL
  parameter that is not a transport option is a setting, applied to a fresh
  engine handle for that request only (`SET name = value`, readonly last);
- any output format the engine writes (Arrow, ArrowStream, Native, JSON, ...);
- errors as ClickHouse writes them: the status its handler maps the code to
  (401 authentication, 403 ACCESS_DENIED/READONLY, 404 unknown table or
  database, 400 syntax, 500 otherwise), the header `X-ClickHouse-Exception-Code`
  and the body `Code: N. DB::Exception: ... (NAME) (version ...)`.

Faults, switchable while it runs (`server.mode = ...`): "ok", "hang" (read the
request, never answer), "http500" / "http502" / "http503" (a proxy's HTML
page), "reset" (close the socket without an answer). `deny("binance")` makes
every query that names that database (directly or through an
`{x:Identifier}` parameter) fail with 497 ACCESS_DENIED, as a user without
`SELECT ON binance.*` would. `stop()` closes the port (connection refused).
`server.server_version = "18.16.1.1"` makes it report another server version: `version()` in every statement
(the driver's own start-up query included) answers that string, as an old server would.

`profiles={"user": {"readonly": "1", ...}}` gives a user a settings profile: its settings are SET on the
request's handle before the URL's (readonly last), so the engine checks the URL's settings against them
as a server checks a request against the user's profile (a value equal to the profile's is no change;
any other change under readonly=1 is error 164). chdb has no writable access storage, so the profile's
CREATE SETTINGS PROFILE cannot run here; its settings can.
"""

from __future__ import annotations

import base64
import http.server
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

import chdb

VERSION = chdb.engine_version  # error bodies name the engine that answers (`SELECT version()` is answered by it too)
HANG_LIMIT_S = 60.0
# URL parameters that steer the HTTP handler itself, not settings (ClickHouse's list, abridged).
TRANSPORT = {
    "query",
    "database",
    "default_format",
    "user",
    "password",
    "quota_key",
    "query_id",
    "session_id",
    "session_timeout",
    "session_check",
    "compress",
    "decompress",
    "buffer_size",
    "wait_end_of_query",
    "enable_http_compression",
    "send_progress_in_http_headers",
    "http_headers_progress_interval_ms",
    "role",
    "client_protocol_version",
    "stacktrace",
    "with_stacktrace",
}
_CODE = re.compile(r"Code: (\d+)\.")
_NAME = re.compile(r"\(([A-Z_]{3,})\)")
STATUS = {516: 401, 192: 401, 193: 401, 194: 401, 497: 403, 164: 403, 60: 404, 81: 404, 62: 400, 36: 400, 47: 404}
MODES = ("ok", "hang", "http500", "http502", "http503", "reset")


def exception_body(code: int, message: str, name: str) -> bytes:
    return f"Code: {code}. DB::Exception: {message}. ({name}) (version {VERSION})\n".encode()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class HttpClickHouse:
    """One loopback server; `url(...)` is a CLICKHOUSE_URL for the dashboard."""

    def __init__(
        self,
        engine_path: str,
        users: dict[str, str] | None = None,
        port: int = 0,
        profiles: dict[str, dict[str, str]] | None = None,
    ):
        self.engine_path = engine_path
        self.users = dict(users or {"reader": "reader-pw"})
        self.profiles = dict(profiles or {})
        self.mode = "ok"
        self.denied: set[str] = set()
        self.server_version: str | None = None  # None: version() is the engine's own
        self.queries: list[tuple[str, str, dict[str, str]]] = []  # (user, sql, settings) of every query run
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()  # open client connections, cut by stop()
        self._srv = _Server(("127.0.0.1", port), self._handler())
        self.port = self._srv.server_address[1]
        self._thread = threading.Thread(target=self._srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ control
    def url(self, user: str = "reader", password: str | None = None, db: str = "maicro_monitors") -> str:
        pw = self.users.get(user, "") if password is None else password
        return f"http://{user}:{pw}@127.0.0.1:{self.port}/{db}"

    def deny(self, *databases: str) -> None:
        self.denied.update(databases)

    def stop(self) -> None:
        """Close the port: later connections are refused."""
        self._stop.set()
        self._srv.shutdown()
        self._srv.server_close()
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._sockets.clear()
        self._thread.join(5)

    def sql_seen(self) -> list[str]:
        with self._lock:
            return [q for _, q, _ in self.queries]

    # ------------------------------------------------------------ request handling
    def _auth(self, headers, params: dict[str, str]) -> tuple[str, str]:
        header = headers.get("Authorization") or ""
        if header.startswith("Basic "):
            user, _, pw = base64.b64decode(header[6:]).decode().partition(":")
            return user, pw
        if headers.get("X-ClickHouse-User"):
            return headers["X-ClickHouse-User"], headers.get("X-ClickHouse-Key") or ""
        return params.get("user", "default"), params.get("password", "")

    def _denied_database(self, sql: str, params: dict[str, str]) -> str | None:
        for db in self.denied:
            if db == params.get("database"):
                return db
            used = re.findall(r"\{\s*(\w+)\s*:\s*Identifier\s*\}", sql)
            if any(params.get(f"param_{name}") == db for name in used):
                return db  # a table map identifier ({x_db:Identifier}) the statement uses
            if re.search(rf"(?<![\w.]){re.escape(db)}\s*\.|`{re.escape(db)}`\s*\.", sql):
                return db
        return None

    @staticmethod
    def _set(conn, settings: dict[str, str]) -> None:
        for name in sorted(settings, key=lambda n: n == "readonly"):  # readonly last, as the server checks it
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise RuntimeError(f"Code: 115. DB::Exception: Unknown setting {name[:40]}. (UNKNOWN_SETTING)")
            value = str(settings[name]).replace("\\", "\\\\").replace("'", "\\'")
            conn.query(f"SET {name} = '{value}'", "TabSeparated")

    def _execute(self, sql: str, params: dict[str, str], user: str = "") -> tuple[bytes, str]:
        fmt = params.get("default_format") or "TabSeparated"
        settings = {k: v for k, v in params.items() if k not in TRANSPORT and not k.startswith("param_")}
        bind = {k[len("param_") :]: v for k, v in params.items() if k.startswith("param_")}
        if self.server_version is not None:  # an older server: version() answers what it is told (a plain literal)
            literal = "'" + re.sub(r"[^0-9.]", "", self.server_version) + "'"
            sql = re.sub(r"\bversion\(\s*\)", literal, sql, flags=re.I)
        conn = chdb.connect(self.engine_path)  # a fresh handle: settings live for this request only
        try:
            if params.get("database"):
                conn.query(f"USE `{params['database'].replace('`', '')}`", "TabSeparated")
            self._set(conn, self.profiles.get(user, {}))
            self._set(conn, settings)
            result = conn.query(sql, fmt, params=bind)
            return result.bytes(), fmt
        finally:
            conn.close()

    def _handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server._sockets.add(self.connection)

            def finish(self) -> None:
                with server._lock:
                    server._sockets.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def _send(
                self,
                status: int,
                body: bytes,
                headers: dict[str, str] | None = None,
                ctype: str = "text/plain; charset=UTF-8",
            ) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, code: int, message: str, name: str) -> None:
                self._send(
                    STATUS.get(code, 500),
                    exception_body(code, message, name),
                    {"X-ClickHouse-Exception-Code": str(code)},
                )

            def _reply(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode() if n else ""
                mode = server.mode
                if mode == "hang":
                    server._stop.wait(HANG_LIMIT_S)
                    self.close_connection = True
                    return
                if mode == "reset":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if mode.startswith("http5"):
                    status = int(mode[4:])
                    self._send(
                        status, f"<html><body><h1>{status} Bad Gateway</h1></body></html>".encode(), ctype="text/html"
                    )
                    return
                url = urlsplit(self.path)
                if url.path.rstrip("/") in ("/ping", ""):
                    if url.path == "/ping" or (not url.query and not body):
                        self._send(200, b"Ok.\n")
                        return
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                user, pw = server._auth(self.headers, params)
                if server.users.get(user) != pw or user not in server.users:
                    self._error(
                        516,
                        f"{user}: Authentication failed: password is incorrect, or there is no user with such name",
                        "AUTHENTICATION_FAILED",
                    )
                    return
                sql = "\n".join(p for p in (params.get("query", ""), body) if p).strip()
                denied = server._denied_database(sql, params)
                if denied:
                    self._error(
                        497,
                        f"{user}: Not enough privileges. To execute this query, it's necessary to "
                        f"have the grant SELECT ON {denied}.*",
                        "ACCESS_DENIED",
                    )
                    return
                with server._lock:
                    server.queries.append(
                        (
                            user,
                            sql,
                            {k: v for k, v in params.items() if k not in TRANSPORT and not k.startswith("param_")},
                        )
                    )
                try:
                    data, fmt = server._execute(sql, params, user)
                except Exception as exc:  # the engine's own error, passed on as the server would
                    text = str(exc)
                    m = _CODE.search(text)
                    code = int(m.group(1)) if m else 1001
                    msg = text.split("DB::Exception: ", 1)[-1]
                    msg = _NAME.sub("", msg.split(". Stack trace")[0]).strip().rstrip(".")
                    nm = _NAME.search(text)
                    self._error(code, msg, nm.group(1) if nm else "STD_EXCEPTION")
                    return
                self._send(
                    200,
                    data,
                    {
                        "X-ClickHouse-Format": fmt,
                        "X-ClickHouse-Server-Display-Name": "fixture",
                        "X-ClickHouse-Query-Id": "fixture",
                        "X-ClickHouse-Timezone": "UTC",
                    },
                    ctype="application/octet-stream",
                )

            do_GET = do_POST = _reply

        return Handler


@contextmanager
def http_clickhouse(engine_path: str, **kwargs) -> Iterator[HttpClickHouse]:
    srv = HttpClickHouse(engine_path, **kwargs)
    try:
        yield srv
    finally:
        if not srv._stop.is_set():
            srv.stop()
