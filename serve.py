"""Serve the dashboard with a session gate in front of what Streamlit leaves open.

    streamlit run serve.py        (instead of `streamlit run app.py`)

With `[auth]` configured, `streamlit run app.py` checks the sign-in inside the
script run only: Streamlit's own HTTP routes answer anyone. `/media/<id>`
(download files, images) and `/_stcore/metrics` (sessions, cache sizes) are
served without a session. This entry wraps the same app.py in Streamlit's
ASGI `App` with one middleware: those routes need the signed sign-in cookie
Streamlit itself issued, for an allow-listed e-mail; anything else gets 401.
Without `[auth]` nothing is gated (the app then has no sign-in at all and
must sit behind the desk's own access control; see docs/reverse-proxy/).
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from streamlit.starlette import App

PROTECTED_PREFIXES = ("/media/", "/_stcore/metrics")
COOKIE = "_streamlit_user"  # the sign-in cookie Streamlit sets after OIDC, signed with [auth] cookie_secret


def _secrets() -> Any:
    import streamlit as st

    try:
        return st.secrets
    except FileNotFoundError:
        return {}


def auth_configured() -> bool:
    try:
        return "auth" in _secrets()
    except (FileNotFoundError, KeyError):
        return False


def signed_in_email(cookies: dict[str, str]) -> str | None:
    """The e-mail of a valid, signed, logged-in Streamlit sign-in cookie, else None."""
    # Streamlit's own reader of its cookie (signature, chunks), as its websocket handler uses it
    from streamlit.web.server.starlette.starlette_websocket import _get_signed_cookie_with_chunks

    try:
        raw = _get_signed_cookie_with_chunks(cookies, COOKIE)
        payload = json.loads(raw.decode("utf-8")) if raw else {}
    except (ValueError, UnicodeDecodeError):
        return None
    if payload.get("is_logged_in") is not True:
        return None
    email = payload.get("email")
    return email if isinstance(email, str) else None


def allowed_here(email: str | None) -> bool:
    from ui.shell.auth import allowed

    desk = _secrets().get("desk", {}) or {}
    return allowed(email, list(desk.get("allowed_emails", [])))


class SessionGate:
    """ASGI middleware: PROTECTED_PREFIXES only for a signed-in, allow-listed user."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and self._protected(scope) and auth_configured():
            if not allowed_here(signed_in_email(dict(Request(scope).cookies))):
                response = PlainTextResponse(
                    "Sign in to the Desk Monitor first.", status_code=401, headers={"Cache-Control": "no-store"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _protected(scope: dict) -> bool:
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        return gated_route(path, _base_url_path())


def _base_url_path() -> str:
    from streamlit import config

    return str(config.get_option("server.baseUrlPath") or "")


def gated_route(path: str, base_url_path: str = "") -> bool:
    """True for Streamlit's `/media/` and `/_stcore/metrics` routes, also under `server.baseUrlPath`.

    Only the route's own prefix counts: `/static/media/` (Streamlit's fonts and images, needed to draw the
    sign-in screen) is not `/media/`. The path is also read with its dot segments resolved, so
    `/static/../media/…` is gated like `/media/…`.
    """
    base = "/" + base_url_path.strip("/") if base_url_path.strip("/") else ""
    candidates = {path, posixpath.normpath(path) if path else path}
    for candidate in list(candidates):
        if base and (candidate == base or candidate.startswith(base + "/")):
            candidates.add(candidate[len(base) :])
    return any(c.startswith(p) for c in candidates for p in PROTECTED_PREFIXES)


app = App("app.py", middleware=[Middleware(SessionGate)])
