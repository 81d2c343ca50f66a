"""The production transport: DeskClient over clickhouse-connect's real HTTP client.

The server is tests/http_clickhouse.py (ClickHouse's HTTP interface on a
loopback port, queries run on the session's chdb engine): the statements, the
parameters, the settings in the URL, the Arrow results and the error bodies
all cross a real socket. Grants (497) are per statement; only authentication
(516 / HTTP 401) takes an endpoint down; a hung primary is probed in the
background while the secondary answers.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc
import pytest

from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import ClientSettings, endpoint_from_url, resolve_settings
from lib.clickhouse.errors import QueryFailed
from tests.conftest import DESK_PATH
from tests.http_clickhouse import HttpClickHouse, http_clickhouse

SQL = (
    "SELECT coin, count() AS n, max(time) AS last FROM {trades_db:Identifier}.{trades_tbl:Identifier} "
    "WHERE coin = {coin:String} AND time < {before:DateTime64(3, 'UTC')} GROUP BY coin"
)
PARAMS = {"coin": "BTC", "before": datetime(2025, 12, 10, tzinfo=UTC)}


@pytest.fixture
def remote(desk_client):
    with http_clickhouse(str(DESK_PATH)) as srv:
        yield srv


def http_client(srv: HttpClickHouse, limit: int = 2, **kwargs) -> DeskClient:
    return DeskClient(
        ClientSettings(primary=endpoint_from_url(srv.url(**kwargs)), connect_timeout_s=1, query_time_limit_s=limit)
    )


# ------------------------------------------------------------- the protocol


def test_same_statement_same_rows_over_http_and_embedded(remote, desk_url):
    over_http = http_client(remote).query_arrow(SQL, PARAMS)
    embedded = DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {})).query_arrow(SQL, PARAMS)
    assert over_http.num_rows == 1 and over_http.column("n")[0].as_py() > 0
    assert over_http.to_pylist() == embedded.to_pylist()
    user, sql, settings = remote.queries[-1]
    assert user == "reader" and "{coin:String}" in sql  # bound on the server, never spliced
    # the dashboard's limits travel as settings in the URL
    assert settings["readonly"] == "1" and settings["max_execution_time"] == "2" and settings["join_use_nulls"] == "1"
    assert list(settings)[-1] == "readonly"  # last: the embedded engine applies a SETTINGS clause in order


def test_arrowstream_and_error_bodies_are_clickhouse_shaped(remote):
    import base64

    auth = {"Authorization": "Basic " + base64.b64encode(b"reader:reader-pw").decode()}
    req = urllib.request.Request(
        f"http://127.0.0.1:{remote.port}/?default_format=ArrowStream&param_n=3",
        data=b"SELECT number AS x FROM numbers({n:UInt8})",
        headers=auth,
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        table = pa.ipc.open_stream(r.read()).read_all()
    assert table.column("x").to_pylist() == [0, 1, 2]
    req = urllib.request.Request(f"http://127.0.0.1:{remote.port}/", data=b"SELECT * FROM no_such_db.t", headers=auth)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    body = info.value.read().decode()
    assert info.value.code == 404 and info.value.headers["X-ClickHouse-Exception-Code"] == "81"
    assert body.startswith("Code: 81. DB::Exception: ") and "(UNKNOWN_DATABASE)" in body


def test_readonly_is_enforced_by_the_server_over_http(remote, desk_client):
    client = http_client(remote)
    raw = client._client_for("primary")
    with pytest.raises(Exception) as info:
        raw.command("CREATE TABLE default.http_should_not_exist (x UInt8) ENGINE = Memory", settings=client._settings())
    assert "164" in str(info.value) or "readonly" in str(info.value).lower()
    assert desk_client.query("EXISTS TABLE default.http_should_not_exist").result_rows[0][0] == 0


def test_server_side_time_limit_over_http_keeps_the_endpoint(remote):
    client = http_client(remote, limit=1)
    with pytest.raises(QueryFailed) as info:
        client.query_arrow("SELECT count() FROM numbers(100000000000)")
    assert info.value.kind == "timeout" and info.value.code == 159
    assert client.query_arrow("SELECT 7 AS x").column("x")[0].as_py() == 7
    assert client.outage is None


# ------------------------------------------------------ grants and credentials


def test_access_denied_fails_the_statement_not_the_endpoint(remote):
    remote.deny("binance")
    client = http_client(remote)
    with pytest.raises(QueryFailed) as info:
        client.query_arrow("SELECT count() AS n FROM {klines_db:Identifier}.{klines_tbl:Identifier}")
    err = info.value
    assert err.kind == "denied" and err.code == 497
    assert err.detail == "not permitted: grant SELECT on binance.* to the dashboard user"
    assert "refused the credentials" not in str(err)
    # the endpoint stays up: the next statement (another database) runs at once
    t0 = time.perf_counter()
    assert client.query_arrow(SQL, PARAMS).num_rows == 1
    assert time.perf_counter() - t0 < 1
    assert client.outage is None and client._state["primary"].client is not None
    assert client.ping()["version"]


def test_access_denied_with_a_secondary_does_not_fail_over(remote, desk_url):
    remote.deny("binance")
    client = DeskClient(
        ClientSettings(
            primary=endpoint_from_url(remote.url()), secondary=endpoint_from_url(desk_url), connect_timeout_s=1
        )
    )
    with pytest.raises(QueryFailed) as info:
        client.query_arrow("SELECT count() FROM {klines_db:Identifier}.{klines_tbl:Identifier}")
    assert info.value.kind == "denied"
    assert client.active == "primary" and not client._state["primary"].open_circuit


def test_wrong_password_is_authentication_and_takes_the_endpoint_down(remote):
    client = http_client(remote, password="wrong-pw")
    with pytest.raises(QueryFailed) as info:
        client.query_arrow("SELECT 1")
    assert info.value.kind == "auth" and info.value.code == 516
    assert "wrong-pw" not in str(info.value)
    hits = len(remote.queries)
    t0 = time.perf_counter()
    with pytest.raises(QueryFailed):
        client.query_arrow("SELECT 1")
    assert time.perf_counter() - t0 < 0.5 and len(remote.queries) == hits  # fail fast, nothing sent
    assert client.outage is not None and client.outage.kind == "auth"


def test_system_users_then_select_2_on_chdb(desk_url):
    """Before: 497 was classed as credentials, so the endpoint was dropped and its cached error
    replayed for 15 s; `SELECT 2` failed "refused the credentials" without reaching the engine."""
    client = DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))
    with pytest.raises(QueryFailed) as info:
        client.query_arrow("SELECT name FROM system.users")
    assert info.value.kind == "denied" and "SHOW USERS" in info.value.detail
    assert client.query_arrow("SELECT 2 AS x").column("x")[0].as_py() == 2


# ------------------------------------------------------------------ faults


@pytest.mark.parametrize(
    "mode,kind", [("http502", "server_error"), ("http503", "server_error"), ("reset", "unreachable")]
)
def test_fixture_faults_are_classified(remote, mode, kind):
    client = http_client(remote)
    assert client.query_arrow("SELECT 1 AS x").num_rows == 1
    remote.mode = mode
    with pytest.raises(QueryFailed) as info:
        client.query_arrow("SELECT 1 AS x")
    assert info.value.kind == kind, info.value.detail
    assert client.outage is info.value


def test_refused_after_stop(remote):
    client = http_client(remote)
    assert client.query_arrow("SELECT 1 AS x").num_rows == 1
    remote.stop()
    client._state["primary"].client = None  # a new connection, as after the pool's idle timeout
    with pytest.raises(QueryFailed) as info:
        client.query_arrow("SELECT 1 AS x")
    assert info.value.kind == "unreachable"


def test_hung_primary_is_probed_in_the_background_while_the_secondary_answers(desk_client):
    with http_clickhouse(str(DESK_PATH)) as primary, http_clickhouse(str(DESK_PATH)) as secondary:
        client = DeskClient(
            ClientSettings(
                primary=endpoint_from_url(primary.url()),
                secondary=endpoint_from_url(secondary.url()),
                connect_timeout_s=1,
                query_time_limit_s=1,
            )
        )
        client.RETRY_AFTER_S = 0.3
        assert client.query_arrow("SELECT 1 AS x").num_rows == 1 and client.active == "primary"
        primary.mode = "hang"
        t0 = time.perf_counter()
        client.query_arrow("SELECT 1 AS x")  # the first query meets the hang once: limit + margin
        assert client.active == "secondary" and time.perf_counter() - t0 >= 1
        time.sleep(0.4)  # the back-off has expired: before, the next query retried the primary inline
        slowest = 0.0
        for _ in range(6):
            t0 = time.perf_counter()
            client.query_arrow("SELECT 1 AS x")
            slowest = max(slowest, time.perf_counter() - t0)
            time.sleep(0.1)
        assert slowest < 0.5, slowest  # no user query waits on the hung primary
        assert client.active == "secondary"
        assert client._state["primary"].probing or client._state["primary"].failed_at  # a probe went out
        primary.mode = "ok"
        deadline = time.monotonic() + 15
        while client.active != "primary" and time.monotonic() < deadline:
            client.query_arrow("SELECT 1 AS x")
            time.sleep(0.2)
        assert client.active == "primary"  # the probe closed the circuit; queries are back
        assert any("probe" in q for q in primary.sql_seen())


# ------------------------------------------------------- the README's dashboard user
#
# The README recommends a user whose settings profile is readonly = 1 holding the dashboard's own
# values. Its settings are read from the README itself and given to the stand-in's user, which the
# engine then checks every request against (chdb cannot run CREATE SETTINGS PROFILE: no writable
# access storage). Before, the app sent readonly=2 with every query: on such a user every query failed.

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()


def readme_profile() -> dict[str, str]:
    block = re.search(r"CREATE SETTINGS PROFILE desk_dashboard_profile SETTINGS(.*?);", README, re.S)
    assert block, "README lost its CREATE SETTINGS PROFILE"
    body = re.sub(r"--[^\n]*", "", block.group(1))
    pairs = [p.strip() for p in body.split(",") if p.strip()]
    return dict(re.fullmatch(r"(\w+)\s*=\s*(\w+)", p).groups() for p in pairs)  # type: ignore[union-attr]


def profile_client(srv: HttpClickHouse, limit: int = 20) -> DeskClient:
    return DeskClient(
        ClientSettings(
            primary=endpoint_from_url(srv.url("desk_dashboard")), connect_timeout_s=1, query_time_limit_s=limit
        )
    )


@pytest.fixture
def as_dashboard_user(desk_client):
    profile = readme_profile()
    users = {"reader": "reader-pw", "desk_dashboard": "dash-pw"}
    with http_clickhouse(str(DESK_PATH), users=users, profiles={"desk_dashboard": profile}) as srv:
        yield srv, profile


def test_the_readme_profile_is_readonly_1_and_holds_the_apps_settings():
    profile = readme_profile()
    assert profile["readonly"] == "1"  # not 2: a query must not be able to change its limits
    assert "CHANGEABLE_IN_READONLY" not in README[README.index("CREATE SETTINGS PROFILE") :][:400]
    client = DeskClient(ClientSettings(primary=endpoint_from_url("http://h/db"), query_time_limit_s=20))
    sent = client._settings()
    assert {k: str(v) for k, v in sent.items() if k != "readonly"} == {
        k: v for k, v in profile.items() if k in sent and k != "readonly"
    }


def test_the_app_runs_as_the_readme_user_and_changes_no_setting(as_dashboard_user):
    srv, profile = as_dashboard_user
    client = profile_client(srv)
    table = client.query_arrow(SQL, PARAMS)
    assert table.num_rows == 1 and table.column("n")[0].as_py() > 0
    for _user, _sql, sent in srv.queries:
        assert "readonly" not in sent  # a read-only profile's readonly cannot be changed, not even tightened
        assert all(profile.get(k, v) == v for k, v in sent.items()), sent  # nothing differs from the profile


def test_as_the_readme_user_the_server_refuses_what_the_gate_would(as_dashboard_user):
    srv, _ = as_dashboard_user
    raw = profile_client(srv)._client_for("primary")
    for statement in (
        "SELECT count() FROM numbers(10) SETTINGS max_execution_time = 0",
        "SELECT 1 SETTINGS readonly = 0",
        "CREATE TABLE default.profile_should_not_exist (x UInt8) ENGINE = Memory",
    ):
        with pytest.raises(Exception) as info:
            raw.query(statement)
        assert "164" in str(info.value) or "readonly" in str(info.value).lower(), statement


def test_before_the_app_sent_readonly_2_which_that_user_refuses(as_dashboard_user):
    srv, _ = as_dashboard_user
    raw = profile_client(srv)._client_for("primary")
    with pytest.raises(Exception) as info:
        raw.query_arrow("SELECT 1 AS x", settings={"readonly": 2})
    assert "readonly" in str(info.value).lower()


def test_a_stricter_profile_limit_is_kept(desk_client):
    profile = {**readme_profile(), "max_execution_time": "5"}
    with http_clickhouse(str(DESK_PATH), users={"d": "pw"}, profiles={"d": profile}) as srv:
        client = DeskClient(ClientSettings(primary=endpoint_from_url(srv.url("d")), query_time_limit_s=20))
        assert client.query_arrow("SELECT 3 AS x").column("x")[0].as_py() == 3
        assert "max_execution_time" not in srv.queries[-1][2]


@pytest.mark.parametrize(
    "change,setting",
    [({"join_use_nulls": "0"}, "join_use_nulls"), ({"max_execution_time": "0"}, "max_execution_time")],
)
def test_a_profile_the_app_cannot_use_is_a_configuration_error_naming_the_setting(desk_client, change, setting):
    profile = {**readme_profile(), **change}
    with http_clickhouse(str(DESK_PATH), users={"d": "pw"}, profiles={"d": profile}) as srv:
        client = DeskClient(ClientSettings(primary=endpoint_from_url(srv.url("d")), query_time_limit_s=20))
        with pytest.raises(QueryFailed) as info:
            client.query_arrow("SELECT 3 AS x")
        assert info.value.kind == "config" and setting in info.value.detail and "README" in info.value.detail
        assert not any(q == "SELECT 3 AS x" for q in srv.sql_seen())
