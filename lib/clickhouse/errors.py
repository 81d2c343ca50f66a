"""ClickHouse failures in words a desk user can act on: every driver or server error becomes a
`QueryFailed` with a kind (unreachable, auth, timeout, missing table, ...), credentials scrubbed."""

from __future__ import annotations

import re

from lib.clickhouse.endpoints import Endpoint


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
    "denied": "ClickHouse refused access",
    "missing_table": "Table or column missing on ClickHouse",
    "readonly": "Refused: the dashboard is read-only",
    "server_error": "ClickHouse endpoint answered with an HTTP error",
    "config": "ClickHouse configuration error",
    "locked": "Embedded database in use by another process",
    "query": "ClickHouse query failed",
}

# Authentication (the endpoint is unusable with these credentials): UNKNOWN_USER,
# WRONG_PASSWORD, REQUIRED_PASSWORD, IP_ADDRESS_NOT_ALLOWED, AUTHENTICATION_FAILED.
_AUTH_CODES = {192, 193, 194, 195, 516}
# Authorisation (this statement reads something the user may not): ACCESS_DENIED.
# The endpoint stays in use; only the panels that read that table fail.
_DENIED_CODES = {497}
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


_UNREACHABLE = (
    "connection refused",
    "failed to establish",
    "name or service not known",
    "max retries exceeded",
    "connection reset",
    "remote end closed",
    "no route to host",
    "temporary failure in name resolution",
    "cannot connect",
    "connection aborted",
    "connect timeout",
    "connecttimeout",
    "network is unreachable",
    "nodename nor servname",
)


_GRANT_NEEDED = re.compile(r"necessary to have (?:the )?grant ([^.]{1,200}?(?:\.[^.\s(]+)?)(?:\.\s|\.?$)", re.I)
_GRANT_DB = re.compile(r"\bON\s+`?([A-Za-z0-9_]+)`?\s*\.", re.I)


def _denied_detail(text: str) -> str:
    """What to grant, from ClickHouse's '... necessary to have the grant SELECT(a, b) ON binance.klines_1h'."""
    m = _GRANT_NEEDED.search(text)
    needed = m.group(1).strip() if m else ""
    db = _GRANT_DB.search(needed)
    if needed.upper().startswith("SELECT") and db:
        return f"not permitted: grant SELECT on {db.group(1)}.* to the dashboard user"
    if needed:
        return f"not permitted: the dashboard user needs the grant {needed[:120]}"
    return "not permitted: the dashboard user lacks a grant this panel needs (ACCESS_DENIED)"


def classify_error(exc: BaseException, ep: Endpoint) -> QueryFailed:
    """Turn a driver exception into a QueryFailed with a user-facing kind.

    Kinds: auth (wrong credentials: the endpoint is unusable), denied (code
    497: this statement reads a table the user has no grant on), timeout
    (server-side limit, with a code; or no answer on the
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
    if code in _DENIED_CODES:
        return QueryFailed("denied", ep.label, _denied_detail(text), code)
    if (
        code in _AUTH_CODES
        or "authentication failed" in low
        or http_status == 401
        or (code is None and (http_status == 403 or " 401" in low or " 403" in low))
    ):
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
