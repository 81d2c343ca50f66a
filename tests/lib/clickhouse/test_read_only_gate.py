"""The read-only backstop in lib/clickhouse/client.py: one statement, reads only, inside the database.

No user input reaches SQL text (values are bound server-side), so this is
defence in depth; it is tested like the rest: the gate's verdict on crafted
statements, the same statements through the real choke point on the real
engine, and every statement the app ships passing it.
"""

from __future__ import annotations

import ast
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
                text = node.value.strip()
                if text[:6].upper() in ("SELECT", "WITH  ", "(SELEC") or text[:4].upper() == "WITH":
                    out.append((f"{path.name}:{node.lineno}", node.value))
    return out


SHIPPED = _shipped_statements()


def test_the_app_ships_statements_to_check():
    assert len(SHIPPED) >= 20, [n for n, _ in SHIPPED]


@pytest.mark.parametrize("name,sql", SHIPPED, ids=[n for n, _ in SHIPPED])
def test_every_shipped_statement_passes_the_gate(name, sql):
    ensure_read_only(sql)
