"""The read-only backstop in lib/clickhouse/client.py: one statement, reads only, inside the database.

No user input reaches SQL text (values are bound server-side), so this is
defence in depth; it is tested like the rest: the gate's verdict on crafted
statements, the same statements through the real choke point on the real
engine, and every statement the app ships passing it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import resolve_settings
from lib.clickhouse.errors import QueryFailed
from lib.clickhouse.read_only import OUTSIDE_FUNCTIONS, ensure_read_only, tokenize

ROOT = Path(__file__).resolve().parents[3]


def refused(sql: str) -> str:
    with pytest.raises(QueryFailed) as info:
        ensure_read_only(sql)
    assert info.value.kind == "readonly"
    return info.value.detail


# --------------------------------------------------------- strings before comments


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT '--'; DROP TABLE t",
        "SELECT '/*'; DROP TABLE t; -- */",
        'SELECT "--"; DROP TABLE t',
        "SELECT `/*`; DROP TABLE t",
        "SELECT 'it\\'s -- not a comment'; DROP TABLE t",
        "SELECT 'it''s -- not a comment'; DROP TABLE t",
        "SELECT 1 /* ' */; DROP TABLE t",
        "SELECT 1 -- '\n; DROP TABLE t",
    ],
)
def test_a_second_statement_hidden_behind_a_string_or_comment_is_refused(sql):
    assert "one statement" in refused(sql)


@pytest.mark.parametrize(
    "sql,why",
    [
        ("SELECT 'abc", "unterminated"),
        ("SELECT 1 /* open", "unterminated"),
        ("SELECT $$x$$", "heredoc"),
        ("SELECT $tag$ '; DROP TABLE t; $tag$", "heredoc"),
        ("", "not (empty)"),
        ("-- only a comment", "not (empty)"),
        ("/* SELECT */ DROP TABLE t", "not DROP"),
        ("(((INSERT INTO t VALUES (1))))", "not INSERT"),
    ],
)
def test_what_the_lexer_cannot_place_is_refused(sql, why):
    assert why in refused(sql)


def test_tokens_keep_strings_opaque_and_names_unquoted():
    kinds = [(t.kind, t.text) for t in tokenize("SELECT 'x -- y', `file`(1) /* c */ FROM {db:Identifier}.t")]
    assert kinds == [
        ("word", "SELECT"),
        ("string", ""),
        ("punct", ","),
        ("word", "file"),
        ("punct", "("),
        ("number", "1"),
        ("punct", ")"),
        ("word", "FROM"),
        ("param", "{db:Identifier}"),
        ("punct", "."),
        ("word", "t"),
    ]


# --------------------------------------------------------------- SETTINGS


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 SETTINGS max_execution_time = 0",
        "SELECT 1 SETTINGS max_execution_time=3600",
        "SELECT 1 SETTINGS join_use_nulls = 1, max_result_rows = 0",
        "SELECT 1 SETTINGS join_use_nulls = -1, max_memory_usage = 0",
        "SELECT 1 SETTINGS readonly = 0",
        "SELECT 1 SETTINGS `readonly` = 0",
        "SELECT 1 SETTINGS timeout_overflow_mode = 'break'",
        "SELECT 1 SETTINGS max_rows_to_read = 0",
        "SELECT * FROM (SELECT 1 SETTINGS max_execution_time = 0)",
        "SELECT 1 settings Max_Execution_Time = 0",
    ],
)
def test_settings_that_lift_limits_are_refused(sql):
    assert "SETTINGS" in refused(sql) and "not allowed" in refused(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 SETTINGS join_use_nulls = 1",
        "SELECT 1 SETTINGS join_use_nulls = 1, use_query_condition_cache = 0",
        "SELECT 'SETTINGS max_execution_time = 0' AS text",
    ],
)
def test_harmless_settings_pass(sql):
    ensure_read_only(sql)


# ---------------------------------------------------------- outside the database

OUTSIDE_CALLS = [
    "SELECT * FROM file('/etc/hostname', 'LineAsString')",
    "SELECT file('/etc/hostname')",
    "SELECT * FROM `file`('/etc/hostname', 'LineAsString')",
    "SELECT * FROM FILE ('/etc/hostname')",
    "SELECT * FROM file /* c */ ('/etc/hostname')",
    "SELECT * FROM url('http://127.0.0.1:1/x', CSV)",
    "SELECT * FROM remote('10.0.0.1', system.one)",
    "SELECT * FROM remoteSecure('10.0.0.1', system.one)",
    "SELECT * FROM s3('https://bucket/x.csv')",
    "SELECT * FROM hdfs('hdfs://h/x', CSV)",
    "SELECT * FROM mysql('h:3306', 'db', 't', 'u', 'p')",
    "SELECT * FROM postgresql('h:5432', 'db', 't', 'u', 'p')",
    "SELECT * FROM jdbc('jdbc:x', 't')",
    "SELECT * FROM odbc('dsn', 't')",
    "SELECT * FROM sqlite('/tmp/x.db', 't')",
    "SELECT * FROM mongodb('h', 'db', 'c', 'u', 'p', 'x String')",
    "SELECT * FROM redis('h:6379', 'k', 'k String')",
    "SELECT * FROM azureBlobStorage('x', 'c', 'b')",
    "SELECT * FROM gcs('https://x')",
    "SELECT * FROM cluster('default', system.one)",
    "SELECT * FROM executable('x.sh', CSV, 'a String')",
    "SELECT * FROM input('a String')",
    "SELECT * FROM Python(df)",
    "WITH x AS (SELECT * FROM url('http://h/')) SELECT * FROM x",
]


@pytest.mark.parametrize("sql", OUTSIDE_CALLS)
def test_table_functions_reaching_outside_are_refused(sql):
    assert "reaches outside the database" in refused(sql)


def test_the_list_names_the_functions_the_issue_lists():
    for name in (
        "file",
        "url",
        "remote",
        "remotesecure",
        "s3",
        "hdfs",
        "mysql",
        "postgresql",
        "jdbc",
        "odbc",
        "sqlite",
        "mongodb",
        "redis",
        "azureblobstorage",
        "gcs",
        "cluster",
        "executable",
        "input",
    ):
        assert name in OUTSIDE_FUNCTIONS


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'file(' AS x, url AS u FROM t",
        "SELECT domain('http://h/x') AS d",
        "SELECT * FROM numbers(3)",
        "SELECT {ts:DateTime64(3, 'UTC')} AS ts",
        "SELECT 'it''s' AS a, 'it\\'s' AS b, ';' AS c",
        "-- comment\nSELECT ';' AS semicolon_in_string",
        "(SELECT 1) UNION ALL (SELECT 2);",
    ],
)
def test_ordinary_reads_pass(sql):
    ensure_read_only(sql)


# ------------------------------------------------ the same, on the real engine


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM file('/etc/hostname', 'LineAsString')",
        "SELECT * FROM url('http://127.0.0.1:1/x', 'LineAsString')",
        "SELECT count() FROM numbers(10) SETTINGS max_execution_time = 0",
    ],
)
def test_the_engine_would_run_them_and_the_choke_point_does_not(desk_client, desk_url, sql):
    client = DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))
    if "file(" in sql or "SETTINGS" in sql:  # before: chdb runs these (url() would try the network)
        assert desk_client.query(sql, settings={"readonly": 2}).result_rows
    with pytest.raises(QueryFailed) as info:
        client.query_arrow(sql)
    assert info.value.kind == "readonly"


def test_string_then_drop_is_refused_at_the_choke_point_and_the_table_stays(desk_client, desk_url):
    client = DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))
    before = desk_client.query("SELECT count() FROM maicro_monitors.ledger").result_rows[0][0]
    with pytest.raises(QueryFailed) as info:
        client.query_arrow("SELECT '--'; DROP TABLE maicro_monitors.ledger")
    assert info.value.kind == "readonly"
    assert desk_client.query("SELECT count() FROM maicro_monitors.ledger").result_rows[0][0] == before


# ------------------------------------------------ every statement the app ships


_STATEMENT_START = re.compile(r"\s*\(?\s*(SELECT|WITH)\b", re.IGNORECASE)


def _shipped_statements() -> list[tuple[str, str]]:
    # schema.sql is DDL for the demo; a "-- FRAGMENT" file is pasted into a statement (which the pages
    # run through the gate), not run alone
    out = [
        (p.name, p.read_text())
        for p in sorted((ROOT / "queries").rglob("*.sql"))
        if p.name != "schema.sql" and not p.read_text().lstrip().startswith("-- FRAGMENT")
    ]
    for path in sorted((ROOT / "queries").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _STATEMENT_START.match(node.value):  # a word: "withdrawable" is a column name, not a WITH
                    out.append((f"{path.name}:{node.lineno}", node.value))
    return out


SHIPPED = _shipped_statements()


def test_the_app_ships_statements_to_check():
    assert len(SHIPPED) >= 20, [n for n, _ in SHIPPED]


@pytest.mark.parametrize("name,sql", SHIPPED, ids=[n for n, _ in SHIPPED])
def test_every_shipped_statement_passes_the_gate(name, sql):
    ensure_read_only(sql)


# ------------------------------------- every comment form ClickHouse's lexer accepts
#
# ClickHouse (src/Parsers/Lexer.cpp) reads `-- …`, `// …`, `# …` and `#!…` to the end of the line,
# nests `/* … */`, and skips Unicode spaces including the zero-width ones. Before, the gate knew
# only `--` and flat `/* */`: each statement below hid its call or its clause from it and ran on
# chdb and over HTTP (file() read a file, SETTINGS lifted the time limit, INTO OUTFILE wrote one).

HIDDEN = {
    "file_behind_hash_bang": ("SELECT * FROM file #!\n('/etc/hostname', 'LineAsString')", "file()"),
    "url_behind_hash_space": ("SELECT * FROM url # x\n('http://127.0.0.1:1/x', 'LineAsString')", "url()"),
    "settings_behind_hash_bang": ("SELECT count() FROM numbers(10) SETTINGS max_execution_time #!\n= 0", "SETTINGS"),
    "outfile_behind_hash_bang": ("SELECT 1 AS x INTO #!\nOUTFILE '{out}'", "OUTFILE"),
    "file_behind_slash_slash": ("SELECT * FROM file //\n('/etc/hostname', 'LineAsString')", "file()"),
    "file_after_nested_comment": ("SELECT 1 /* /* */ ' */ FROM file('/etc/hostname', 'LineAsString') -- '", "file()"),
    "file_behind_zero_width_space": ("SELECT * FROM file\u200b('/etc/hostname', 'LineAsString')", "file()"),
    "file_behind_byte_order_mark": ("SELECT * FROM file\ufeff('/etc/hostname', 'LineAsString')", "file()"),
}


@pytest.mark.parametrize("name", list(HIDDEN))
def test_a_call_hidden_behind_any_clickhouse_comment_or_space_is_refused(name, tmp_path):
    sql, what = HIDDEN[name]
    detail = refused(sql.format(out=tmp_path / "x.tsv"))
    assert what in detail, detail


@pytest.mark.parametrize(
    "sql",
    [
        "# a shell-style comment\nSELECT 1 AS x",
        "#!/usr/bin/env clickhouse-local\nSELECT 1 AS x",
        "SELECT 1 AS x // trailing",
        "SELECT /* outer /* inner */ still a comment */ 1 AS x",
        "SELECT\u00a01\u2003AS\u200bx",  # the spaces a copy from a word processor carries
        "SELECT 'a # b // c /* d' AS s",
    ],
)
def test_comments_and_spaces_the_server_accepts_pass(sql):
    ensure_read_only(sql)


@pytest.mark.parametrize(
    "sql,why",
    [
        ("SELECT 1 #x", "'#'"),
        ("SELECT 1 /* /* */", "unterminated comment"),
        ("SELECT 1 \u1680 AS x", "U+1680"),  # a Unicode space ClickHouse does not skip: the server would fail too
        ("SELECT 1\x00", "U+0000"),
    ],
)
def test_what_the_server_lexes_differently_is_refused(sql, why):
    assert why in refused(sql)


def test_nested_comments_are_one_token():
    assert [t.text for t in tokenize("SELECT /* a /* b */ c */ 1")] == ["SELECT", "1"]


def _ran_on_the_engine(desk_client, sql: str) -> None:
    """Before: the engine itself accepts the statement (the hidden part is code to ClickHouse)."""
    if "url" in sql:  # would open a connection: parse it only
        desk_client.query("EXPLAIN AST " + sql)
    else:
        assert desk_client.query(sql, settings={"readonly": 0}).result_rows is not None


@pytest.mark.parametrize("name", list(HIDDEN))
def test_the_engine_runs_them_and_the_embedded_choke_point_refuses(desk_client, desk_url, name, tmp_path):
    sql = HIDDEN[name][0].format(out=tmp_path / "x.tsv")
    if "OUTFILE" not in sql:
        _ran_on_the_engine(desk_client, sql)
    client = DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))
    with pytest.raises(QueryFailed) as info:
        client.query_arrow(sql)
    assert info.value.kind == "readonly"
    assert not (tmp_path / "x.tsv").exists()


@pytest.mark.parametrize("name", list(HIDDEN))
def test_over_http_the_choke_point_refuses_before_anything_is_sent(desk_client, name, tmp_path):
    from lib.clickhouse.endpoints import ClientSettings, endpoint_from_url
    from tests.conftest import DESK_PATH
    from tests.http_clickhouse import http_clickhouse

    sql = HIDDEN[name][0].format(out=tmp_path / "x.tsv")
    with http_clickhouse(str(DESK_PATH)) as srv:
        client = DeskClient(
            ClientSettings(primary=endpoint_from_url(srv.url()), connect_timeout_s=1, query_time_limit_s=5)
        )
        assert client.query_arrow("SELECT 1 AS x").column("x")[0].as_py() == 1
        with pytest.raises(QueryFailed) as info:
            client.query_arrow(sql)
        assert info.value.kind == "readonly"
        assert sql not in srv.sql_seen() and not any("hostname" in q or "OUTFILE" in q for q in srv.sql_seen())
    assert not (tmp_path / "x.tsv").exists()
