"""The data contract (queries/schema.sql) against what a ClickHouse actually holds.

A remote built by hand or by an older ingestion drifts: `DateTime` where the
contract says `DateTime64(3, 'UTC')`, another timezone, `Nullable(...)`,
`Decimal` prices, an `Enum` status. This module

* parses the contract's columns and types from queries/schema.sql,
* compares them with the remote's `system.columns` rows: present, normalised
  (a compatible type the queries convert), wrong type, missing, extra,
* gives, per drifted table, the CAST that turns each compatible column back
  into the contract's type (`rewrite` puts it in front of every read of that
  table, so every query sees contract types and its numbers do not change),
* explains a failed query in terms of the broken columns it names.

Pure Python: no Streamlit, no queries import. Nothing from a user reaches the
SQL built here: column names and target types come from the contract file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lib.config import DEFAULT_TABLES, PROJECT_ROOT

SCHEMA_PATH = PROJECT_ROOT / "queries" / "schema.sql"

PRESENT, NORMALISED, WRONG_TYPE, MISSING, EXTRA = "present", "normalised", "wrong type", "missing", "extra"
STATUS_ORDER = (WRONG_TYPE, MISSING, NORMALISED, EXTRA, PRESENT)
BROKEN = (WRONG_TYPE, MISSING)
NO_TABLE = "table not found or not readable"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)\.(\w+)\s*\((.*?)\)\s*ENGINE", re.S)
_COLUMN = re.compile(r"^\s*(\w+)\s+(.+?),?\s*$")
_TIME = re.compile(r"^DateTime(64)?(\((?P<args>.*)\))?$")

NULL_READS_AS_MISSING = "Nullable: a NULL reads as missing"
NULL_KEY_LEFT_OUT = "Nullable key: rows with NULL here are left out (counted below)"
# ClickHouse error codes a query gets when a column is missing or of another type.
SCHEMA_ERROR_CODES = frozenset({16, 43, 44, 47, 53, 70, 169, 386})


@dataclass(frozen=True)
class Verdict:
    status: str
    note: str = ""
    cast_to: str | None = None  # the type to CAST the column to, for NORMALISED
    null_as_nan: bool = False  # a Nullable number on a non-Nullable contract column: NULL -> nan

    def expression(self, column: str) -> str:
        """The SQL that reads `column` as the contract's type (column is a validated identifier)."""
        cast = f"CAST(`{column}` AS {self.cast_to})"
        return f"ifNull({cast}, nan)" if self.null_as_nan else cast


def _strip_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


@lru_cache(maxsize=1)
def expected() -> dict[str, tuple[tuple[str, str], ...]]:
    """Logical table name -> ((column, type), ...) in contract order, from queries/schema.sql."""
    by_default = {f"{db}.{tbl}": name for name, (db, tbl) in DEFAULT_TABLES.items()}
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for db, tbl, body in _TABLE.findall(_strip_comments(SCHEMA_PATH.read_text())):
        name = by_default.get(f"{db}.{tbl}")
        if name is None:
            continue
        cols = []
        for line in body.split("\n"):
            if not line.strip() or line.strip().upper().startswith(("INDEX ", "PROJECTION ", "CONSTRAINT ")):
                continue
            m = _COLUMN.match(line)
            if m:
                cols.append((m.group(1), canonical(m.group(2))))
        out[name] = tuple(cols)
    return out


def canonical(type_text: str) -> str:
    """One spelling per type: `DateTime64(3,'UTC')` and `DateTime64(3, 'UTC')` are the same."""
    t = re.sub(r"\s+", " ", type_text.strip())
    t = re.sub(r"\s*,\s*", ", ", t)
    t = re.sub(r"\(\s+", "(", t)
    return re.sub(r"\s+\)", ")", t)


def _unwrap(t: str) -> tuple[str, bool, bool]:
    """(base type, nullable, low cardinality) of a ClickHouse type."""
    nullable = lowcard = False
    while True:
        m = re.match(r"^(Nullable|LowCardinality)\((.*)\)$", t)
        if not m:
            return t, nullable, lowcard
        if m.group(1) == "Nullable":
            nullable = True
        else:
            lowcard = True
        t = m.group(2)


def _family(base: str) -> str:
    if _TIME.match(base):
        return "time"
    if base in ("Date", "Date32"):
        return "date"
    if base == "Bool":
        return "bool"
    if re.match(r"^U?Int(8|16|32|64|128|256)$", base):
        return "int"
    if re.match(r"^(Float(32|64)|Decimal(32|64|128|256)?\(.*\))$", base):
        return "float"
    if base == "String" or re.match(r"^(FixedString\(\d+\)|Enum(8|16)\(.*\))$", base):
        return "string"
    return base


def _timezone(base: str) -> str | None:
    m = _TIME.match(base)
    args = (m.group("args") or "") if m else ""
    tz = re.search(r"'([^']*)'", args)
    return tz.group(1) if tz else None


def assess(expected_type: str, actual_type: str) -> Verdict:
    """How a remote column of `actual_type` serves a contract column of `expected_type`."""
    exp, act = canonical(expected_type), canonical(actual_type)
    if exp == act:
        return Verdict(PRESENT)
    e_base, e_null, e_lc = _unwrap(exp)
    a_base, a_null, _ = _unwrap(act)
    fe, fa = _family(e_base), _family(a_base)
    ok = fe == fa or (fe == "float" and fa == "int") or (fe == "bool" and a_base == "UInt8")
    if not ok:
        return Verdict(WRONG_TYPE, f"expected {exp}; the queries cannot read {act} as it")
    notes = []
    if fe == "time":
        tz = _timezone(a_base)
        if tz is None:
            notes.append("no timezone (the server's): converted to UTC")
        elif tz != "UTC" and tz != "Etc/UTC":
            notes.append(f"timezone {tz}: converted to UTC")
        if e_base.startswith("DateTime64") and not a_base.startswith("DateTime64("):
            notes.append("whole seconds: fills within one second keep their trade-id order")
    elif fe == "float" and (fa == "int" or a_base.startswith("Decimal")):
        notes.append("converted to Float64")
    elif fe == "string" and a_base != "String":
        notes.append("converted to String")
    if a_null and not e_null:
        notes.append(
            "Nullable: a NULL number reads as NaN (a bad value, counted)" if fe == "float" else NULL_READS_AS_MISSING
        )
    target = e_base
    if a_null and not e_null and fe == "float":
        return Verdict(NORMALISED, "; ".join(notes), f"Nullable({e_base})", null_as_nan=True)
    if (a_null or e_null) and not e_lc:
        target = f"Nullable({e_base})"
    elif e_lc:
        target = f"LowCardinality(Nullable({e_base}))" if (a_null or e_null) else f"LowCardinality({e_base})"
    if a_base == e_base and target == exp and not notes:
        notes.append("same values, other wrapper")
    return Verdict(NORMALISED, "; ".join(notes) or f"converted to {exp}", target)


def compare(actual: Iterable[Mapping[str, Any]], tables: Mapping[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """One row per contract column (and per extra remote column) with its status.

    `actual` holds system.columns rows (database, table, name, type) of the
    mapped tables; `tables` is the table map (logical name -> (db, table)).
    """
    found: dict[tuple[str, str], dict[str, str]] = {}
    for r in actual:
        found.setdefault((str(r["database"]), str(r["table"])), {})[str(r["name"])] = canonical(str(r["type"]))
    rows: list[dict[str, Any]] = []
    for name, cols in expected().items():
        if name not in tables:
            continue
        db, tbl = tables[name]
        remote = found.get((db, tbl))
        for col, typ in cols:
            base = {"table": name, "qualified": f"{db}.{tbl}", "column": col, "expected": typ}
            if remote is None:
                rows.append({**base, "actual": None, "status": MISSING, "note": NO_TABLE})
            elif col not in remote:
                rows.append({**base, "actual": None, "status": MISSING, "note": "no such column"})
            else:
                v = assess(typ, remote[col])
                note = v.note
                if col in NULL_KEYS.get(name, ()) and _unwrap(canonical(remote[col]))[1]:
                    note = note.replace(NULL_READS_AS_MISSING, NULL_KEY_LEFT_OUT)
                rows.append({**base, "actual": remote[col], "status": v.status, "note": note})
        known = {c for c, _ in cols}
        for col, typ in (remote or {}).items():
            if col not in known:
                rows.append(
                    {
                        "table": name,
                        "qualified": f"{db}.{tbl}",
                        "column": col,
                        "expected": None,
                        "actual": typ,
                        "status": EXTRA,
                        "note": "not read by the dashboard",
                    }
                )
    return rows


# The columns statements key on (join, group, de-duplicate, scope by), per logical table. The contract makes them
# non-Nullable; a remote whose column is Nullable can hold NULLs there, which would silently merge rows (NULL tids
# collapse into one fill), drop them, or make a phantom account. `rewrite` reads such a table without those rows
# (and the column as the contract's non-Nullable type); System Health and the pages count them
# (queries.health.odd_data.null_key_rows).
NULL_KEYS: Mapping[str, tuple[str, ...]] = {
    "trades": ("time", "account", "coin", "tid"),
    "positions": ("ts", "account", "coin"),
    "account": ("ts", "account"),
    "funding": ("time", "account", "coin"),
    "ledger": ("time", "account"),
    "orders": ("time", "account", "coin"),
    "targets": ("date", "sym"),
    "klines": ("open_time", "symbol"),
}


def _not_nullable(t: str) -> str:
    """`t` without its Nullable wrapper (LowCardinality(Nullable(String)) -> LowCardinality(String))."""
    return re.sub(r"Nullable\((.*)\)", r"\1", canonical(t), count=1)


def _remote(actual: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, str]]:
    found: dict[tuple[str, str], dict[str, str]] = {}
    for r in actual:
        found.setdefault((str(r["database"]), str(r["table"])), {})[str(r["name"])] = str(r["type"])
    return found


def null_keys(
    actual: Iterable[Mapping[str, Any]], tables: Mapping[str, tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, ...]]:
    """(db, table) -> the key columns (NULL_KEYS) the remote declares Nullable, for every table with any."""
    found = _remote(actual)
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for name, keys in NULL_KEYS.items():
        if name not in tables:
            continue
        remote = found.get(tuple(tables[name]), {})  # type: ignore[arg-type]
        nullable = tuple(c for c in keys if c in remote and _unwrap(canonical(remote[c]))[1] and _IDENT.match(c))
        if nullable:
            out[(tables[name][0], tables[name][1])] = nullable
    return out


def casts(
    actual: Iterable[Mapping[str, Any]], tables: Mapping[str, tuple[str, str]]
) -> dict[tuple[str, str], dict[str, str]]:
    """(db, table) -> {column: SQL reading it as the contract's type} for every compatible drifted column.

    A Nullable key column (NULL_KEYS) is read as the contract's non-Nullable type: `rewrite` leaves its NULL rows
    out before the CAST."""
    found = _remote(actual)
    out: dict[tuple[str, str], dict[str, str]] = {}
    for name, cols in expected().items():
        if name not in tables:
            continue
        db, tbl = tables[name]
        key = (db, tbl)
        remote = found.get(key, {})
        for col, typ in cols:
            if col in remote:
                remote_type = _not_nullable(remote[col]) if col in NULL_KEYS.get(name, ()) else remote[col]
                v = assess(typ, remote_type)
                if v.status == NORMALISED and v.cast_to and _IDENT.match(col):
                    out.setdefault(key, {})[col] = v.expression(col)
    return out


_TABLE_REF = re.compile(r"\{(\w+):Identifier\}\.\{(\w+):Identifier\}")


def rewrite(
    sql: str,
    params: Mapping[str, Any],
    drift: Mapping[tuple[str, str], Mapping[str, str]],
    null_keys: Mapping[tuple[str, str], tuple[str, ...]] | None = None,
) -> str:
    """Read every drifted table through a subquery that CASTs its drifted columns to the contract.

    `SELECT * REPLACE (CAST(col AS T) AS col)` keeps every other column as it is,
    and CAST keeps the primary key usable for a range on the column (a
    toDateTime64() wrapper would not). A table whose key columns are Nullable on the
    remote (`null_keys`) is read without the rows holding NULL in any of them, filtered
    in an inner subquery so the CAST never sees a NULL. A table that matches the
    contract is read as before, so the statement is unchanged on a conforming remote.
    """
    null_keys = null_keys or {}
    if not drift and not null_keys:
        return sql

    def sub(m: re.Match) -> str:
        key = (str(params.get(m.group(1), "")), str(params.get(m.group(2), "")))
        cols, keys = drift.get(key), null_keys.get(key)
        if not cols and not keys:
            return m.group(0)
        source = m.group(0)
        if keys:
            where = " AND ".join(f"`{c}` IS NOT NULL" for c in keys)
            source = f"(SELECT * FROM {source} WHERE {where})"
        if not cols:
            return source
        repl = ", ".join(f"{expr} AS `{c}`" for c, expr in cols.items())
        return f"(SELECT * REPLACE ({repl}) FROM {source})"

    return _TABLE_REF.sub(sub, sql)


def explain(detail: str, rows: Iterable[Mapping[str, Any]], code: int | None = None) -> str | None:
    """A sentence naming the broken contract columns a failed query ran into, or None.

    A column counts when the error text names it (quoted or qualified, as ClickHouse
    writes identifiers); when the error is a schema error but names none of them,
    every broken column of an existing table is listed.
    """
    # a table that is not there at all is named by the error itself ("Unknown table ...")
    broken = [r for r in rows if r["status"] in BROKEN and r["note"] != NO_TABLE]
    if not broken:
        return None
    low = detail or ""
    # ClickHouse quotes identifiers (`fee_token`, 'fee_token') or qualifies them (__table1.szi)
    named = [r for r in broken if re.search(rf"[`'\".]{re.escape(str(r['column']))}(?![\w])", low)]
    if not named:
        if code not in SCHEMA_ERROR_CODES:
            return None
        named = broken
    parts = []
    for r in named[:6]:
        where = f"{r['qualified']}.{r['column']}"
        if r["status"] == MISSING:
            parts.append(f"{where} is missing (expected {r['expected']})")
        else:
            parts.append(f"{where} is {r['actual']} (expected {r['expected']})")
    more = f" and {len(named) - 6} more" if len(named) > 6 else ""
    return "Schema drift: " + "; ".join(parts) + more + ". See System Health, Data contract."
