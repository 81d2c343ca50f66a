"""Small, bounded loopback servers that misbehave like a broken ClickHouse.

Each runs in a daemon thread on 127.0.0.1 only, answers every request the
same way, and is stopped (threads released, socket closed) when its context
exits. Used by tests/test_reliability.py, tests/test_security.py and
tests/lib/clickhouse/test_client.py.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

AUTH_BODY = (
    b"Code: 516. DB::Exception: reader: Authentication failed: password is incorrect, or there is no "
    b"user with such name. (AUTHENTICATION_FAILED) (version 24.8.1.1)\n"
)
TIMEOUT_BODY = (
    b"Code: 159. DB::Exception: Timeout exceeded: elapsed 20.0 seconds, maximum: 20. "
    b"(TIMEOUT_EXCEEDED) (version 24.8.1.1)\n"
)
MODES = ("auth401", "proxy401", "http500", "http502", "timeout159", "hang")
HANG_LIMIT_S = 60.0  # a hanging handler gives up after this, even if the test forgets to stop it


def free_port() -> int:
    """A loopback port nobody listens on (connections are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _handler(mode: str, stop: threading.Event, hits: list[str]):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def _reply(self) -> None:
            hits.append(self.path)
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            if mode == "hang":
                stop.wait(HANG_LIMIT_S)  # accept, read the request, never answer
                return
            status, body, headers = {
                "auth401": (401, AUTH_BODY, {"X-ClickHouse-Exception-Code": "516"}),
                "proxy401": (401, b"<html><body>401 Authorization Required</body></html>", {}),
                "http500": (500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", {}),
                "http502": (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", {}),
                "timeout159": (500, TIMEOUT_BODY, {"X-ClickHouse-Exception-Code": "159"}),
            }[mode]
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "text/plain" if status != 502 else "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _reply

    return Handler


@contextmanager
def fault_server(mode: str) -> Iterator[FaultServer]:
    if mode not in MODES:
        raise ValueError(mode)
    stop = threading.Event()
    hits: list[str] = []
    srv = _Server(("127.0.0.1", 0), _handler(mode, stop, hits))
    th = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    th.start()
    try:
        yield FaultServer(mode, srv.server_address[1], hits)
    finally:
        stop.set()
        srv.shutdown()
        srv.server_close()
        th.join(5)


class FaultServer:
    def __init__(self, mode: str, port: int, hits: list[str]):
        self.mode = mode
        self.port = port
        self.hits = hits

    def url(self, user: str = "reader", password: str = "", db: str = "maicro_monitors") -> str:
        cred = f"{user}:{password}@" if password else f"{user}@"
        return f"http://{cred}127.0.0.1:{self.port}/{db}"
