"""Create the data contract (`queries/schema.sql`) in an embedded database.

This is a write path, used only to build the embedded demo desk and test
fixtures; the dashboard itself never runs it against a configured server.
"""

from __future__ import annotations

import re
from typing import Any

from lib.config import DEFAULT_TABLES, PROJECT_ROOT, TableMap

SCHEMA_PATH = PROJECT_ROOT / "queries" / "schema.sql"


def statements(tables: TableMap | None = None) -> list[str]:
    """The DDL statements, with database/table names moved to `tables`.

    Renaming is a whole-word replacement of the default `db.table` names by
    validated identifiers from the table map, so fixtures can live in their
    own databases inside the one embedded engine a process may open.
    """
    text = re.sub(r"--[^\n]*", "", SCHEMA_PATH.read_text())
    stmts = [s.strip() for s in text.split(";") if s.strip()]
    if tables is None:
        return stmts
    renames = {f"{db}.{tbl}": tables.qualified(name) for name, (db, tbl) in DEFAULT_TABLES.items()}
    out: list[str] = []
    for stmt in stmts:
        if stmt.upper().startswith("CREATE DATABASE"):
            continue
        for old, new in renames.items():
            stmt = re.sub(rf"\b{re.escape(old)}\b", new, stmt)
        out.append(stmt)
    for db in tables.databases():
        out.insert(0, f"CREATE DATABASE IF NOT EXISTS `{db}`")
    return out


def create_all(client: Any, tables: TableMap | None = None) -> None:
    """Run every DDL statement on a clickhouse-connect client."""
    for stmt in statements(tables):
        client.command(stmt)
