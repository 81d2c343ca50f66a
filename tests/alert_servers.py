"""Real receivers on loopback for the channel tests: an SMTP server (aiosmtpd) and an HTTP receiver.

Both record what they received so tests assert the content. Faults on demand: the HTTP
receiver answers 500 for the next N requests (a webhook that is down) or answers only after
`delay_s` (a slow one); the SMTP server can answer DATA late (`data_delay_s`: the message is
in, the 250 comes after the client gave up) or answer QUIT with an error (`quit_reply`).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.fault_servers import free_port


class _Mailbox:
    def __init__(self, data_delay_s: float = 0.0, quit_reply: str | None = None) -> None:
        self.messages: list = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.auth: list[tuple[str, str]] = []
        self.data_delay_s, self.quit_reply = data_delay_s, quit_reply

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.data_delay_s:
            await asyncio.sleep(self.data_delay_s)  # the message is in; the client stops waiting for the 250
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):  # aiosmtpd handler hook
        return self.quit_reply or "221 Bye"


@contextmanager
def smtp_server(
    auth: tuple[str, str] | None = None, data_delay_s: float = 0.0, quit_reply: str | None = None
) -> Iterator[tuple[int, _Mailbox]]:
    """An SMTP server on 127.0.0.1:<free port>; with `auth` it requires AUTH LOGIN/PLAIN (allowed without TLS
    on loopback for the test)."""
    box = _Mailbox(data_delay_s, quit_reply)
    port = free_port()
    kwargs = {}
    if auth is not None:
        from aiosmtpd.smtp import AuthResult

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (auth_data.login.decode(), auth_data.password.decode()) == auth
            if ok:
                box.auth.append(auth)
            return AuthResult(success=ok)

        kwargs = {"authenticator": authenticator, "auth_require_tls": False}
    ctl = Controller(box, hostname="127.0.0.1", port=port, **kwargs)
    ctl.start()
    try:
        yield port, box
    finally:
        ctl.stop()


class Receiver:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail_next = 0
        self.delay_s = 0.0  # answer only after this long (the request is recorded first)
        self.lock = threading.Lock()

    def keys(self) -> list[str | None]:
        """The Idempotency-Key header of every request, in order."""
        return [r["headers"].get("Idempotency-Key") for r in self.requests]


@contextmanager
def http_receiver() -> Iterator[tuple[str, Receiver]]:
    """An HTTP server on 127.0.0.1 recording JSON POSTs; `receiver.fail_next = n` answers 500 n times."""
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with rec.lock:
                failing = rec.fail_next > 0
                if failing:
                    rec.fail_next -= 1
                rec.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "failed": failing,
                        "json": json.loads(body or b"null"),
                    }
                )
            if rec.delay_s:
                time.sleep(rec.delay_s)
            try:
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": false}' if failing else b'{"id": "m1"}')
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped waiting (a delayed answer)

        def log_message(self, *args):  # keep test output quiet
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True  # a delayed answer nobody waits for does not hold up the test
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", rec
    finally:
        srv.shutdown()
        srv.server_close()


def email_parts(message) -> tuple[str, str, dict[str, tuple[str, bytes]]]:
    """A received e-mail's text part, HTML part and its related parts by Content-ID (without <>)."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    related = {}
    for part in message.walk():
        cid = part.get("Content-ID")
        if cid:
            related[cid.strip().strip("<>")] = (part.get_content_type(), part.get_payload(decode=True))
    return text, html, related


def resolve_cids(html: str, related: dict[str, tuple[str, bytes]]) -> str:
    """The HTML with every `cid:` image as a data URI, as a mail client shows the message."""
    import base64

    for cid, (mime, data) in related.items():
        html = html.replace(f'src="cid:{cid}"', f'src="data:{mime};base64,{base64.b64encode(data).decode()}"')
    return html
