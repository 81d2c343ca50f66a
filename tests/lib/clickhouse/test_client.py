"""The connection layer: configuration, the read-only gate, error wording, failover."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from lib import config
from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import ClientSettings, Endpoint, endpoint_from_url, resolve_settings
from lib.clickhouse.errors import QueryFailed, classify_error
from lib.clickhouse.read_only import ensure_read_only

# ----------------------------------------------------------- configuration


def test_http_url_parsed_with_defaults_and_unquoting():
    ep = endpoint_from_url("https://desk%40ro:p%40ss@ch.example:9443/maicro_monitors")
    assert (ep.kind, ep.host, ep.port, ep.secure) == ("http", "ch.example", 9443, True)
    assert (ep.username, ep.password, ep.database) == ("desk@ro", "p@ss", "maicro_monitors")
    assert "p@ss" not in ep.label and "desk" not in ep.label
    assert endpoint_from_url("http://h").port == 8123
    assert endpoint_from_url("https://h").port == 8443


def test_chdb_url_needs_absolute_path():
    assert endpoint_from_url("chdb:///tmp/x.chdb") == Endpoint(kind="chdb", path="/tmp/x.chdb")
    with pytest.raises(config.ConfigError):
        endpoint_from_url("chdb://relative/path")
    with pytest.raises(config.ConfigError):
        endpoint_from_url("ftp://h/db")


def test_precedence_kwargs_env_secrets_default():
    secrets = {"host": "from-secrets", "port": 8123, "password": "x"}
    env = {"CLICKHOUSE_URL": "http://from-env:8123/db"}
    assert resolve_settings({}, {}).embedded_default is True
    assert resolve_settings({}, {}).primary.path == str(config.DEFAULT_DEMO_PATH)
    assert resolve_settings({}, secrets).primary.host == "from-secrets"
    assert resolve_settings(env, secrets).primary.host == "from-env"
    assert resolve_settings(env, secrets, url="http://from-kwargs/db").primary.host == "from-kwargs"
    s = resolve_settings({"CLICKHOUSE_SECONDARY_URL": "http://replica:8123/db"}, secrets)
    assert s.secondary is not None and s.secondary.host == "replica"
    s = resolve_settings({}, {**secrets, "secondary": {"host": "r2", "port": 8443, "secure": True}})
    assert s.secondary is not None and (s.secondary.host, s.secondary.secure) == ("r2", True)


def test_table_map_is_validated():
    tm = config.table_map({"trades": "other_db.fills"})
    assert tm.qualified("trades") == "other_db.fills"
    assert tm.params()["trades_db"] == "other_db" and tm.params()["trades_tbl"] == "fills"
    for bad in ("x; DROP TABLE y", "nodot", "a.b.c", "db.`t`"):
        with pytest.raises(config.ConfigError):
            config.table_map({"trades": bad})
    with pytest.raises(config.ConfigError):
        config.table_map({"tradez": "a.b"})


# --------------------------------------------------------- read-only gate


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "  with x AS (SELECT 1) SELECT * FROM x",
        "-- comment\nSELECT ';' AS semicolon_in_string",
        "(SELECT 1) UNION ALL (SELECT 2)",
        "SELECT 1;",
    ],
)
def test_read_statements_pass(sql):
    ensure_read_only(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO maicro_monitors.trades SELECT * FROM maicro_monitors.trades",
        "DROP TABLE maicro_monitors.trades",
        "ALTER TABLE t DELETE WHERE 1",
        "SELECT 1; DROP TABLE t",
        "/* hide */ TRUNCATE TABLE t",
        "SELECT 1 INTO OUTFILE '/tmp/x'",
        "SELECT 1 SETTINGS readonly = 0",
        "SYSTEM SHUTDOWN",
        "",
    ],
)
def test_write_statements_refused(sql):
    with pytest.raises(QueryFailed) as info:
        ensure_read_only(sql)
    assert info.value.kind == "readonly"


# ---------------------------------------------------------- error wording


def test_errors_are_classified_and_scrubbed():
    ep = Endpoint(kind="http", host="h", port=8123, username="u", password="hunter2", database="d")
    cases = {
        "Code: 516. DB::Exception: u: Authentication failed: password is incorrect (hunter2)": "auth",
        "Code: 60. DB::Exception: Unknown table expression identifier 'maicro_monitors.sync_log'": "missing_table",
        "Code: 159. DB::Exception: Timeout exceeded: elapsed 20.1 seconds": "timeout",
        "HTTPConnectionPool(host='h', port=8123): Max retries exceeded (Connection refused)": "unreachable",
        "Code: 62. DB::Exception: Syntax error": "query",
    }
    for text, kind in cases.items():
        err = classify_error(RuntimeError(text), ep)
        assert err.kind == kind, text
        assert "hunter2" not in str(err) and "hunter2" not in err.detail
    err = classify_error(RuntimeError("http://u:hunter2@h:8123 refused"), ep)
    assert "hunter2" not in err.detail


# ------------------------------------------------------ live engine paths


def test_queries_bind_values_server_side(desk_client, desk_url):
    client = DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))
    evil = "BTC' OR 1=1 --"
    t = client.query_arrow(
        "SELECT count() AS n FROM {trades_db:Identifier}.{trades_tbl:Identifier} WHERE coin = {coin:String}",
        {"coin": evil},
    )
    assert t.column("n")[0].as_py() == 0
    t = client.query_arrow(
        "SELECT count() AS n FROM {trades_db:Identifier}.{trades_tbl:Identifier} WHERE coin = {coin:String}",
        {"coin": "BTC"},
    )
    assert t.column("n")[0].as_py() > 0


def test_writes_refused_by_gate_and_by_server(desk_client, desk_url):
    client = DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))
    before = desk_client.query("SELECT count() FROM maicro_monitors.ledger").result_rows[0][0]
    with pytest.raises(QueryFailed) as info:
        client.query_arrow("INSERT INTO maicro_monitors.ledger SELECT * FROM maicro_monitors.ledger")
    assert info.value.kind == "readonly"
    # Even a statement that slips past the text gate meets readonly=1 on the server:
    raw = client._client_for("primary")
    with pytest.raises(Exception) as server_info:
        raw.command(
            "CREATE TABLE IF NOT EXISTS default.should_not_exist (x UInt8) ENGINE = Memory", settings=client._settings()
        )
    assert "readonly" in str(server_info.value).lower()
    after = desk_client.query("SELECT count() FROM maicro_monitors.ledger").result_rows[0][0]
    assert before == after


def test_unreachable_primary_fails_over_to_secondary(desk_url):
    port = free_port()
    settings = ClientSettings(
        primary=endpoint_from_url(f"http://u:pw@127.0.0.1:{port}/db"),
        secondary=endpoint_from_url(desk_url),
        connect_timeout_s=2,
    )
    client = DeskClient(settings)
    t = client.query_arrow("SELECT 42 AS x")
    assert t.column("x")[0].as_py() == 42
    assert client.active == "secondary"
    assert "(secondary)" in client.description


def test_unreachable_fails_fast_and_names_endpoint():
    port = free_port()
    client = DeskClient(ClientSettings(primary=endpoint_from_url(f"http://u:topsecret@127.0.0.1:{port}/db")))
    with pytest.raises(QueryFailed) as first:
        client.query_arrow("SELECT 1")
    assert first.value.kind == "unreachable"
    assert f"127.0.0.1:{port}" in str(first.value) and "topsecret" not in str(first.value)
    t0 = time.perf_counter()
    with pytest.raises(QueryFailed):
        client.query_arrow("SELECT 1")
    assert time.perf_counter() - t0 < 0.5  # back-off: no second connect attempt


def test_hanging_server_times_out_within_limit():
    """A server that accepts the connection and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                held.append(conn)
            except OSError:
                continue

    th = threading.Thread(target=accept, daemon=True)
    th.start()
    try:
        client = DeskClient(
            ClientSettings(
                primary=endpoint_from_url(f"http://127.0.0.1:{port}/db"), connect_timeout_s=1, query_time_limit_s=1
            )
        )
        t0 = time.perf_counter()
        with pytest.raises(QueryFailed) as info:
            client.query_arrow("SELECT 1")
        elapsed = time.perf_counter() - t0
        assert info.value.kind in ("timeout", "unreachable")
        assert elapsed < 15
    finally:
        stop.set()
        th.join(2)
        for c in held:
            c.close()
        srv.close()


# ---------------------------------------------- misbehaving HTTP endpoints

from tests.fault_servers import fault_server, free_port  # noqa: E402

SECRET = "S3cr3t-Pa55word"


@pytest.mark.parametrize(
    "mode,kind,words",
    [
        ("auth401", "auth", "Authentication failed"),
        ("proxy401", "auth", "401"),
        ("http500", "server_error", "HTTP status 500"),
        ("http502", "server_error", "HTTP status 502"),
        ("timeout159", "timeout", "Timeout exceeded"),
    ],
)
def test_http_faults_are_classified_named_and_scrubbed(mode, kind, words):
    with fault_server(mode) as srv:
        client = DeskClient(
            ClientSettings(
                primary=endpoint_from_url(srv.url(password=SECRET)), connect_timeout_s=2, query_time_limit_s=2
            )
        )
        t0 = time.perf_counter()
        with pytest.raises(QueryFailed) as info:
            client.query_arrow("SELECT 1")
        assert time.perf_counter() - t0 < 2
        err = info.value
        assert err.kind == kind, (err.kind, err.detail)
        assert words in err.detail
        assert f"127.0.0.1:{srv.port}" in str(err)
        assert SECRET not in str(err) and "reader" not in err.endpoint
        assert "<html>" not in err.detail and "DatabaseError" not in err.detail


def test_hanging_http_server_times_out_at_limit_plus_margin_then_fails_fast():
    with fault_server("hang") as srv:
        client = DeskClient(
            ClientSettings(primary=endpoint_from_url(srv.url()), connect_timeout_s=1, query_time_limit_s=1)
        )
        t0 = time.perf_counter()
        with pytest.raises(QueryFailed) as info:
            client.query_arrow("SELECT 1")
        first = time.perf_counter() - t0
        assert info.value.kind == "timeout" and info.value.code is None
        assert "no answer within the read timeout" in info.value.detail
        assert 1 <= first < 1 + DeskClient.SOCKET_MARGIN_S + 2
        t0 = time.perf_counter()
        with pytest.raises(QueryFailed):
            client.query_arrow("SELECT 1")
        assert time.perf_counter() - t0 < 0.5  # back-off: the next query does not wait again
        assert len(srv.hits) == 1


def test_server_side_timeout_does_not_take_the_endpoint_down(desk_url):
    """A query killed at max_execution_time (code 159) is that query's problem, not the server's."""
    client = DeskClient(ClientSettings(primary=endpoint_from_url(desk_url), query_time_limit_s=1))
    t0 = time.perf_counter()
    with pytest.raises(QueryFailed) as info:
        client.query_arrow("SELECT count() FROM numbers(100000000000)")
    assert info.value.kind == "timeout" and info.value.code == 159
    assert time.perf_counter() - t0 < 5
    assert client.query_arrow("SELECT 7 AS x").column("x")[0].as_py() == 7  # no back-off


def test_wrong_credentials_on_primary_fail_over_to_secondary(desk_url):
    with fault_server("auth401") as srv:
        client = DeskClient(
            ClientSettings(
                primary=endpoint_from_url(srv.url(password=SECRET)),
                secondary=endpoint_from_url(desk_url),
                connect_timeout_s=2,
            )
        )
        assert client.query_arrow("SELECT 1 AS x").column("x")[0].as_py() == 1
        assert client.active == "secondary"
        hits = len(srv.hits)
        client.query_arrow("SELECT 1 AS x")
        assert len(srv.hits) == hits  # the failed primary is not retried within the back-off


def test_url_with_unencoded_special_characters_is_refused_without_echoing_it():
    for url in ("http://reader:p@ss#word@ch.example:8123/db", "http://reader:pa@ss@ch.example:8123/db"):
        with pytest.raises(config.ConfigError) as info:
            endpoint_from_url(url)
        assert "ss#word" not in str(info.value) and "pa@ss" not in str(info.value)
        assert "percent-encode" in str(info.value)


def test_time_limits_from_environment_are_validated():
    s = resolve_settings({"DESK_QUERY_TIME_LIMIT_S": "3", "DESK_CONNECT_TIMEOUT_S": "2"}, {})
    assert (s.query_time_limit_s, s.connect_timeout_s) == (3, 2)
    for bad in ("0", "-1", "abc", "99999"):
        with pytest.raises(config.ConfigError):
            resolve_settings({"DESK_QUERY_TIME_LIMIT_S": bad}, {})


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO {ledger_db:Identifier}.{ledger_tbl:Identifier} SELECT * FROM {ledger_db:Identifier}.{ledger_tbl:Identifier}",
        "ALTER TABLE {ledger_db:Identifier}.{ledger_tbl:Identifier} DELETE WHERE 1",
        "TRUNCATE TABLE {ledger_db:Identifier}.{ledger_tbl:Identifier}",
        "DROP TABLE {ledger_db:Identifier}.{ledger_tbl:Identifier}",
        "OPTIMIZE TABLE {ledger_db:Identifier}.{ledger_tbl:Identifier} FINAL",
        "CREATE TABLE default.x (a UInt8) ENGINE = Memory",
        "SELECT 1; DROP TABLE {ledger_db:Identifier}.{ledger_tbl:Identifier}",
        "SELECT 1 SETTINGS readonly = 0",
        "SELECT * FROM {ledger_db:Identifier}.{ledger_tbl:Identifier} INTO OUTFILE '/tmp/leak.csv'",
        "SET readonly = 0",
        "KILL QUERY WHERE 1",
        "SYSTEM DROP DNS CACHE",
        "GRANT ALL ON *.* TO default",
    ],
)
def test_every_write_through_the_choke_point_is_refused(desk_client, desk_url, sql):
    client = DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))
    before = desk_client.query("SELECT count() FROM maicro_monitors.ledger").result_rows[0][0]
    with pytest.raises(QueryFailed) as info:
        client.query_arrow(sql)
    assert info.value.kind == "readonly"
    assert desk_client.query("SELECT count() FROM maicro_monitors.ledger").result_rows[0][0] == before
    assert desk_client.query("EXISTS TABLE default.x").result_rows[0][0] == 0


def test_server_refuses_writes_that_pass_the_text_gate(desk_client, desk_url):
    """readonly=1 on every query: a write disguised as a read still fails on the server."""
    client = DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))
    raw = client._client_for("primary")
    for stmt in ("INSERT INTO maicro_monitors.ledger SELECT * FROM maicro_monitors.ledger LIMIT 1", "SET readonly = 0"):
        with pytest.raises(Exception) as info:
            raw.command(stmt, settings=client._settings())
        assert "readonly" in str(info.value).lower() or "read-only" in str(info.value).lower()


def test_the_embedded_handle_is_read_only_for_its_life(desk_client, desk_url):
    """The embedded engine's handle holds the settings (SET once, readonly last), not each query: a
    statement on it, with no settings of its own, can neither write nor lift the time limit."""
    client = DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))
    assert client.query_arrow("SELECT getSetting('readonly') AS r").column("r")[0].as_py() == 1
    raw = client._client_for("primary")
    for stmt in (
        "CREATE TABLE default.handle_should_not_exist (x UInt8) ENGINE = Memory",
        "SELECT 1 SETTINGS max_execution_time = 0",
        "SET readonly = 0",
    ):
        with pytest.raises(Exception) as info:
            raw.command(stmt)
        assert "164" in str(info.value) or "readonly" in str(info.value).lower(), stmt
    assert desk_client.query("EXISTS TABLE default.handle_should_not_exist").result_rows[0][0] == 0


def test_the_embedded_handle_takes_its_thread_count_from_the_environment(desk_url, monkeypatch):
    """DESK_EMBEDDED_MAX_THREADS (lib.config) is set on the embedded handle before readonly; 0 leaves the engine's
    own default. The suite runs with 1 (tests/conftest.py)."""

    def handle_threads() -> int:
        client = DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))
        got = client.query_arrow("SELECT getSetting('max_threads') AS t, getSetting('readonly') AS r").to_pylist()[0]
        assert got["r"] == 1
        return int(got["t"])

    assert config.EMBEDDED_MAX_THREADS == 1
    assert handle_threads() == 1
    monkeypatch.setattr(config, "EMBEDDED_MAX_THREADS", 3)
    assert handle_threads() == 3
    monkeypatch.setattr(config, "EMBEDDED_MAX_THREADS", 0)
    assert handle_threads() != 3  # the engine's own default again: a handle's settings are its own
    assert "max_threads" not in DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))._settings()


def test_a_user_already_read_only_is_not_sent_readonly():
    from clickhouse_connect.driver.models import SettingDef

    class Server:
        server_settings = {
            "readonly": SettingDef("readonly", "2", 1),
            "max_execution_time": SettingDef("max_execution_time", "0", 0),
            "join_use_nulls": SettingDef("join_use_nulls", "0", 0),
        }

    client = DeskClient(ClientSettings(primary=endpoint_from_url("http://h/db"), query_time_limit_s=7))
    assert client._settings(Server()) == {"max_execution_time": 7, "join_use_nulls": 1}
    assert list(client._settings())[-1] == "readonly"  # a writable user: readonly=1, set last
