"""lib/clickhouse/contract.py: the contract parsed from schema.sql, the column verdicts, the rewrite, the messages."""

from __future__ import annotations

import pytest

from lib import config
from lib.clickhouse import contract


def test_contract_has_every_mapped_table_with_its_columns():
    exp = contract.expected()
    assert set(exp) == set(config.DEFAULT_TABLES)
    trades = dict(exp["trades"])
    assert trades["time"] == "DateTime64(3, 'UTC')"
    assert trades["fee_token"] == "LowCardinality(String)"
    assert trades["cloid"] == "Nullable(String)"
    assert "coin_idx" not in trades and "INDEX" not in trades  # the skip index is no column
    assert list(trades)[:3] == ["time", "account", "coin"] and len(trades) == 18
    assert dict(exp["klines"])["open_time"] == "DateTime('UTC')"
    assert dict(exp["targets"]) == {"date": "Date", "sym": "LowCardinality(String)", "weight": "Float64"}


@pytest.mark.parametrize(
    "expected, actual, status, cast",
    [
        ("DateTime64(3, 'UTC')", "DateTime64(3,'UTC')", contract.PRESENT, None),
        ("DateTime64(3, 'UTC')", "DateTime", contract.NORMALISED, "CAST(`c` AS DateTime64(3, 'UTC'))"),
        (
            "DateTime64(3, 'UTC')",
            "DateTime64(3, 'Asia/Kolkata')",
            contract.NORMALISED,
            "CAST(`c` AS DateTime64(3, 'UTC'))",
        ),
        (
            "DateTime64(3, 'UTC')",
            "Nullable(DateTime)",
            contract.NORMALISED,
            "CAST(`c` AS Nullable(DateTime64(3, 'UTC')))",
        ),
        ("DateTime('UTC')", "DateTime64(3, 'UTC')", contract.NORMALISED, "CAST(`c` AS DateTime('UTC'))"),
        ("Float64", "Decimal(18, 8)", contract.NORMALISED, "CAST(`c` AS Float64)"),
        ("Float64", "Nullable(Float64)", contract.NORMALISED, "ifNull(CAST(`c` AS Nullable(Float64)), nan)"),
        ("Nullable(Float64)", "Nullable(Decimal(18, 6))", contract.NORMALISED, "CAST(`c` AS Nullable(Float64))"),
        ("Float64", "Int64", contract.NORMALISED, "CAST(`c` AS Float64)"),
        (
            "LowCardinality(String)",
            "Enum8('ok' = 1, 'error' = 2)",
            contract.NORMALISED,
            "CAST(`c` AS LowCardinality(String))",
        ),
        ("LowCardinality(String)", "String", contract.NORMALISED, "CAST(`c` AS LowCardinality(String))"),
        (
            "LowCardinality(String)",
            "Nullable(String)",
            contract.NORMALISED,
            "CAST(`c` AS LowCardinality(Nullable(String)))",
        ),
        ("Bool", "UInt8", contract.NORMALISED, "CAST(`c` AS Bool)"),
        ("Date", "Date32", contract.NORMALISED, "CAST(`c` AS Date)"),
        ("Float64", "String", contract.WRONG_TYPE, None),
        ("DateTime64(3, 'UTC')", "String", contract.WRONG_TYPE, None),
        ("UInt64", "Float64", contract.WRONG_TYPE, None),  # a trade id as a float loses digits
        ("Date", "DateTime", contract.WRONG_TYPE, None),
    ],
)
def test_assess(expected, actual, status, cast):
    v = contract.assess(expected, actual)
    assert v.status == status, v
    assert (v.expression("c") if v.status == contract.NORMALISED else None) == cast
    if status == contract.WRONG_TYPE:
        assert expected in v.note


def _cols(table_db, table, cols):
    return [{"database": table_db, "table": table, "name": n, "type": t} for n, t in cols]


def test_compare_names_missing_wrong_extra_and_a_missing_table():
    tables = {"account": ("m", "acct"), "targets": ("l", "tgt")}
    acct = [(c, t) for c, t in contract.expected()["account"] if c != "withdrawable"]
    acct = [(c, "DateTime" if c == "ts" else "String" if c == "account_value" else t) for c, t in acct]
    rows = contract.compare(_cols("m", "acct", acct + [("note", "String")]), tables)
    by = {(r["table"], r["column"]): r for r in rows}
    assert by[("account", "ts")]["status"] == contract.NORMALISED
    assert by[("account", "account_value")]["status"] == contract.WRONG_TYPE
    assert by[("account", "account_value")]["actual"] == "String"
    assert by[("account", "withdrawable")]["status"] == contract.MISSING
    assert by[("account", "note")]["status"] == contract.EXTRA and by[("account", "note")]["expected"] is None
    assert by[("account", "account")]["status"] == contract.PRESENT
    assert {r["status"] for r in rows if r["table"] == "targets"} == {contract.MISSING}
    assert all(r["qualified"] == "l.tgt" for r in rows if r["table"] == "targets")
    assert len(rows) == len(contract.expected()["account"]) + 1 + 3


def test_rewrite_only_touches_drifted_tables():
    params = {"account_db": "m", "account_tbl": "acct", "trades_db": "m", "trades_tbl": "fills"}
    sql = (
        "SELECT max(ts) FROM {account_db:Identifier}.{account_tbl:Identifier} AS a "
        "JOIN {trades_db:Identifier}.{trades_tbl:Identifier} AS t ON 1"
    )
    assert contract.rewrite(sql, params, {}) == sql
    out = contract.rewrite(sql, params, {("m", "acct"): {"ts": "CAST(`ts` AS DateTime64(3, 'UTC'))"}})
    assert out == (
        "SELECT max(ts) FROM (SELECT * REPLACE (CAST(`ts` AS DateTime64(3, 'UTC')) AS `ts`) "
        "FROM {account_db:Identifier}.{account_tbl:Identifier}) AS a "
        "JOIN {trades_db:Identifier}.{trades_tbl:Identifier} AS t ON 1"
    )


def test_explain_names_the_columns_the_error_mentions():
    rows = contract.compare(
        _cols("m", "acct", [("ts", "DateTime"), ("account", "String"), ("account_value", "String")]),
        {"account": ("m", "acct")},
    )
    msg = contract.explain("Unknown expression identifier `total_ntl_pos` in scope SELECT ...", rows, 47)
    assert msg == (
        "Schema drift: m.acct.total_ntl_pos is missing (expected Nullable(Float64)). See System Health, Data contract."
    )
    # a type error that names no column: every broken column is listed
    msg = contract.explain("Illegal types of arguments of function plus", rows, 43)
    assert "m.acct.account_value is String (expected Nullable(Float64))" in msg and "withdrawable" in msg
    assert contract.explain("Timeout exceeded", rows, 159) is None  # not a schema error
    ok = contract.compare(_cols("m", "acct", list(contract.expected()["account"])), {"account": ("m", "acct")})
    assert contract.explain("Unknown expression identifier `x`", ok, 47) is None


def test_nullable_key_columns_are_filtered_before_the_cast():
    tables = {"trades": ("m", "fills"), "account": ("m", "acct")}
    cols = [
        {"database": "m", "table": "fills", "name": "tid", "type": "Nullable(UInt64)"},
        {"database": "m", "table": "fills", "name": "account", "type": "Nullable(String)"},
        {"database": "m", "table": "fills", "name": "fee", "type": "Nullable(Float64)"},  # not a key: NaN as before
        {"database": "m", "table": "acct", "name": "account", "type": "LowCardinality(String)"},
    ]
    keys = contract.null_keys(cols, tables)
    assert keys == {("m", "fills"): ("account", "tid")}
    casts = contract.casts(cols, tables)
    # the key is read as the contract's non-Nullable type (its NULL rows are gone by then); the number as before
    assert casts[("m", "fills")]["account"] == "CAST(`account` AS LowCardinality(String))"
    assert "tid" not in casts[("m", "fills")]  # Nullable(UInt64) without its NULLs is the contract's UInt64
    assert casts[("m", "fills")]["fee"] == "ifNull(CAST(`fee` AS Nullable(Float64)), nan)"
    params = {"trades_db": "m", "trades_tbl": "fills"}
    out = contract.rewrite("SELECT count() FROM {trades_db:Identifier}.{trades_tbl:Identifier}", params, casts, keys)
    assert out == (
        "SELECT count() FROM (SELECT * REPLACE (CAST(`account` AS LowCardinality(String)) AS `account`, "
        "ifNull(CAST(`fee` AS Nullable(Float64)), nan) AS `fee`) FROM (SELECT * FROM "
        "{trades_db:Identifier}.{trades_tbl:Identifier} WHERE `account` IS NOT NULL AND `tid` IS NOT NULL))"
    )
    notes = {(r["table"], r["column"]): r["note"] for r in contract.compare(cols, tables)}
    assert notes[("trades", "tid")] == contract.NULL_KEY_LEFT_OUT  # System Health's contract table says so
    assert notes[("trades", "fee")].startswith("Nullable: a NULL number reads as NaN")
