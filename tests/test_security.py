"""Credentials never leave the configuration; sign-in allow-list.

A password configured through the environment or through secrets must not
appear on any page, in any log record or on stdout/stderr, whatever failure
the connection meets. (Writes being refused is tested in
tests/lib/clickhouse/test_client.py, at the one query choke point.)
"""

from __future__ import annotations

import base64
import logging
import time
from pathlib import Path

import pytest

from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import ClientSettings, endpoint_from_url, resolve_settings
from lib.clickhouse.errors import QueryFailed
from tests.fault_servers import fault_server, free_port
from tests.test_reliability import PAGES, texts
from ui.shell import router

ROOT = Path(__file__).resolve().parent.parent
SECRET = "Hunter2-S3cr3t-Pa55"
B64 = base64.b64encode(f"reader:{SECRET}".encode()).decode()
LOGGERS = ("", "streamlit", "clickhouse_connect", "urllib3", "lib", "queries", "ui")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted is still inspected raw
            self.lines.append(f"{record.msg!r} {record.args!r}")


@pytest.fixture
def logs():
    handler = _Collect()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(exc_info)s"))
    saved = []
    for name in LOGGERS:
        lg = logging.getLogger(name)
        own = [h for h in lg.handlers if isinstance(h, logging.StreamHandler)]
        saved.append((lg, lg.level, own))
        for h in own:  # their streams may be pytest's, closed by now: collect instead of printing
            lg.removeHandler(h)
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield handler
    for lg, level, own in saved:
        lg.removeHandler(handler)
        for h in own:
            lg.addHandler(h)
        lg.setLevel(level)


@pytest.fixture
def open_page(desk_client, fresh_caches, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    router.use_navigation()
    monkeypatch.setenv("DESK_QUERY_TIME_LIMIT_S", "1")
    monkeypatch.setenv("DESK_CONNECT_TIMEOUT_S", "1")

    def run(page: str, env: dict | None = None, secrets: dict | None = None):
        for k, v in (env or {}).items():
            if v is None:
                monkeypatch.delenv(k, raising=False)
            else:
                monkeypatch.setenv(k, v)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        for k, v in (secrets or {}).items():
            at.secrets[k] = v
        at.run()
        if page != "pages/overview.py":
            st.cache_resource.clear()
            st.cache_data.clear()
            at.switch_page(page)
            at.run()
        return at

    return run


KINDS = ["unreachable", "auth401", "proxy401", "http500", "http502", "timeout159", "hang"]


def _url(kind: str, srv) -> str:
    if kind == "unreachable":
        return f"http://reader:{SECRET}@127.0.0.1:{free_port()}/maicro_monitors"
    return srv.url(password=SECRET)


def _assert_no_secret(at, logs, capfd) -> None:
    out, err = capfd.readouterr()
    body = texts(at)
    exceptions = " ".join(str(getattr(e, "value", e)) for e in at.exception)
    for blob, where in (
        (body, "page"),
        ("\n".join(logs.lines), "logs"),
        (out + err, "stdout/stderr"),
        (exceptions, "exception box"),
    ):
        assert SECRET not in blob, where
        assert B64 not in blob, where


@pytest.mark.parametrize("kind", KINDS)
def test_password_from_environment_never_shown_or_logged(open_page, logs, capfd, kind):
    for page in PAGES:
        if kind == "unreachable":
            at = open_page(page, {"CLICKHOUSE_URL": _url(kind, None)})
        else:
            with fault_server(kind) as srv:
                at = open_page(page, {"CLICKHOUSE_URL": _url(kind, srv)})
        assert not at.exception, page
        assert "127.0.0.1" in texts(at)  # it did fail, and said where
        _assert_no_secret(at, logs, capfd)


def test_password_from_secrets_never_shown_or_logged(open_page, logs, capfd, monkeypatch):
    from streamlit.runtime.secrets import AttrDict

    from queries.engine.connection import ClickHouseConnection

    with fault_server("auth401") as srv:
        section = {
            "host": "127.0.0.1",
            "port": srv.port,
            "username": "reader",
            "password": SECRET,
            "database": "maicro_monitors",
        }
        # what st.connection reads from [connections.clickhouse] in .streamlit/secrets.toml
        monkeypatch.setattr(ClickHouseConnection, "_secrets", property(lambda self: AttrDict(section)))
        for page in PAGES:
            at = open_page(page, {"CLICKHOUSE_URL": None})
            assert not at.exception, page
            assert "ClickHouse refused the credentials" in texts(at)
            _assert_no_secret(at, logs, capfd)
    assert srv.hits, "the secrets endpoint was never contacted"


def test_system_health_shows_endpoints_without_credentials(open_page, desk_url, logs, capfd):
    at = open_page(
        "pages/system_health.py",
        {
            "CLICKHOUSE_URL": f"http://reader:{SECRET}@127.0.0.1:{free_port()}/maicro_monitors",
            "CLICKHOUSE_SECONDARY_URL": desk_url,
        },
    )
    assert not at.exception
    body = texts(at)
    assert "(secondary)" in body and f"secondary: embedded chdb:{desk_url[len('chdb://') :]}" in body
    assert "reader@" not in body and "reader:" not in body  # the user name is not shown either
    _assert_no_secret(at, logs, capfd)


def test_reprs_and_errors_hold_no_password():
    ep = endpoint_from_url(f"https://reader:{SECRET}@ch.example:8443/db")
    settings = ClientSettings(primary=ep, secondary=ep)
    client = DeskClient(settings)
    for text in (repr(ep), str(ep), repr(settings), ep.label, client.description):
        assert SECRET not in text
    err = QueryFailed("auth", ep.label, f"password={SECRET}")
    assert SECRET in err.detail  # QueryFailed carries what it is given; classify_error scrubs (below)
    from lib.clickhouse.errors import classify_error

    for raw in (
        f"Code: 516. bad password {SECRET}",
        f"http://reader:{SECRET}@ch.example:8443 refused",
        f"password={SECRET} rejected",
    ):
        assert SECRET not in str(classify_error(RuntimeError(raw), ep))


def test_environment_beats_secrets_and_neither_leaks_into_settings_repr():
    s = resolve_settings(
        {"CLICKHOUSE_URL": f"http://env:{SECRET}@e:8123/db"}, {"host": "s", "password": "other-secret"}
    )
    assert s.primary.host == "e" and SECRET not in repr(s) and "other-secret" not in repr(s)


def test_hang_leaks_nothing_quickly():
    with fault_server("hang") as srv:
        client = DeskClient(
            ClientSettings(
                primary=endpoint_from_url(srv.url(password=SECRET)), connect_timeout_s=1, query_time_limit_s=1
            )
        )
        t0 = time.perf_counter()
        with pytest.raises(QueryFailed) as info:
            client.query_arrow("SELECT 1")
        assert time.perf_counter() - t0 < 6
        assert SECRET not in str(info.value)


# ------------------------------------------------------------------ sign-in


@pytest.mark.parametrize(
    "email,allow,expected",
    [
        ("pm@desk.example", ["pm@desk.example"], True),
        ("  PM@Desk.Example ", ["pm@desk.example"], True),  # case and spaces do not matter
        ("pm@desk.example", [" pm@desk.example "], True),
        ("intruder@desk.example", ["pm@desk.example"], False),
        ("pm@desk.example.evil.com", ["pm@desk.example"], False),  # no prefix/suffix matching
        ("desk.example", ["pm@desk.example"], False),
        ("", ["pm@desk.example"], False),
        (None, ["pm@desk.example"], False),
        ("pm@desk.example", [], False),  # an empty allow-list lets nobody in
        ("pm@desk.example", ["", "  "], False),
        ("*", ["*"], True),  # a literal entry, not a wildcard: only the address "*" matches
        ("anyone@desk.example", ["*"], False),
    ],
)
def test_allow_list(email, allow, expected):
    from ui.shell.auth import allowed

    assert allowed(email, allow) is expected


@pytest.mark.parametrize(
    "path,root_path,expected",
    [
        ("/media/0123abcd.csv", "", True),
        ("/_stcore/metrics", "", True),
        ("/static/media/SourceSansVF-Upright.ttf.woff2", "", False),  # Streamlit's own fonts: for everyone
        ("/static/media/KaTeX_Main-Regular.woff2", "", False),
        ("/static/js/index.js", "", False),
        ("/_stcore/health", "", False),  # the load balancer's check
        ("/", "", False),
        ("/static/../media/0123abcd.csv", "", True),  # dot segments resolved
        ("/desk/media/0123abcd.csv", "/desk", True),  # behind a proxy that sets root_path
        ("/desk/static/media/font.woff2", "/desk", False),
    ],
)
def test_serve_py_gates_media_and_metrics_but_not_streamlit_static_media(path, root_path, expected):
    """`/static/media/` is where Streamlit serves its fonts: a signed-out visitor needs them for the sign-in
    screen. Only Streamlit's `/media/` route (download files) and the metrics are gated."""
    from serve import SessionGate

    assert SessionGate._protected({"path": path, "root_path": root_path}) is expected


def test_serve_py_gate_follows_the_base_url_path():
    from serve import gated_route

    assert gated_route("/desk/media/x.csv", "desk") and gated_route("/desk/_stcore/metrics", "/desk/")
    assert not gated_route("/desk/static/media/x.woff2", "desk")
    assert gated_route("/media/x.csv", "desk")  # a route without the prefix is still gated
