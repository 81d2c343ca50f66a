"""Rows the numbers must not trust as they are: rows dated in the future, rows dated before the desk's
inception, rows with NULL in a key column (System Health; the pages' data-quality notes).

A row dated after the server's now + FUTURE_SKEW_S comes from a bad clock or a
bad row. It never sets "data as of" or a default range (queries/health/health.py,
queries/book/overview.py clamp their "newest" to that bound); here it is counted.
A row dated before the UTC day of inception (queries/engine/inception.py) is a stray: an account snapshot
before it is never a start mark or the first day of a range; here it is counted and dated.
"""

from __future__ import annotations

import polars as pl

from lib import config
from lib.clickhouse.contract import NULL_KEYS
from queries.engine.drift import null_key_columns, present_tables
from queries.engine.inception import describe
from queries.engine.run import client, run_keeping_null_keys, run_rows
from queries.engine.scope import cached
from queries.health.health import TIME_COLUMNS

STRAY_TABLES = ("account", "positions", "trades", "funding", "ledger", "orders")  # the desk's own account rows

# One branch per table, from constants only: the table map's identifiers and the time column.
_BRANCH = """
    SELECT '{name}' AS table_key, count() AS n_future,
           toDateTime64(max({{{name}_col:Identifier}}), 3, 'UTC') AS newest_future
    FROM {{{name}_db:Identifier}}.{{{name}_tbl:Identifier}}
    WHERE {{{name}_col:Identifier}} > now64(3, 'UTC') + toIntervalSecond({{future_skew_s:UInt32}})
"""


def future_sql(names: tuple[str, ...]) -> str:
    """The counting statement over the given logical tables (names from TIME_COLUMNS only)."""
    branches = [_BRANCH.format(name=n) for n in names if n in TIME_COLUMNS]
    return (
        "SELECT table_key, n_future, if(n_future = 0, NULL, newest_future) AS newest_future, "
        "now64(3, 'UTC') AS server_now FROM (" + " UNION ALL ".join(branches) + ") ORDER BY table_key"
    )


@cached(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def future_rows() -> pl.DataFrame:
    """Per logical table present on the endpoint: rows dated after now + FUTURE_SKEW_S and the latest such date."""
    present = present_tables(client())
    names = tuple(TIME_COLUMNS) if present is None else tuple(n for n in TIME_COLUMNS if n in present)
    if not names:
        return pl.DataFrame(
            schema={
                "table_key": pl.String,
                "n_future": pl.UInt64,
                "newest_future": pl.Datetime("ms", "UTC"),
                "server_now": pl.Datetime("ms", "UTC"),
            }
        )
    return run_rows(
        future_sql(names),
        future_skew_s=config.FUTURE_SKEW_S,
        **{f"{name}_col": col for name, col in TIME_COLUMNS.items()},
    )


# One branch per table, from constants only, counting the rows dated before inception's UTC day (the desk's first
# deposit may precede its first snapshot by minutes: that is not a stray).
_STRAY_BRANCH = """
    SELECT '{name}' AS table_key, count() AS n_stray,
           toDateTime64(minOrNull({{{name}_col:Identifier}}), 3, 'UTC') AS first_stray,
           toDateTime64(maxOrNull({{{name}_col:Identifier}}), 3, 'UTC') AS last_stray
    FROM {{{name}_db:Identifier}}.{{{name}_tbl:Identifier}}
    WHERE {{{name}_col:Identifier}} < toStartOfDay(inception_at, 'UTC')
"""


def stray_sql(names: tuple[str, ...]) -> str:
    """The counting statement over the given logical tables (names from STRAY_TABLES only)."""
    branches = [_STRAY_BRANCH.format(name=n) for n in names if n in STRAY_TABLES]
    return (
        "WITH __INCEPTION_TS__ AS inception_at "
        "SELECT table_key, n_stray, first_stray, last_stray, toDateTime64(inception_at, 3, 'UTC') AS inception "
        "FROM (" + " UNION ALL ".join(branches) + ") ORDER BY table_key"
    )


def inception_rule() -> str:
    """How the endpoint in use sets inception, in words."""
    return describe(client().settings)


@cached(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def stray_rows() -> pl.DataFrame:
    """Per account-bearing table present on the endpoint: rows dated before the desk's inception (count, first and
    last date) and the inception instant itself (the same on every row; NULL without account snapshots)."""
    present = present_tables(client())
    names = tuple(STRAY_TABLES) if present is None else tuple(n for n in STRAY_TABLES if n in present)
    if "account" not in names:  # inception is read from the account snapshots
        return pl.DataFrame(
            schema={
                "table_key": pl.String,
                "n_stray": pl.UInt64,
                "first_stray": pl.Datetime("ms", "UTC"),
                "last_stray": pl.Datetime("ms", "UTC"),
                "inception": pl.Datetime("ms", "UTC"),
            }
        )
    return run_rows(stray_sql(names), **{f"{name}_col": TIME_COLUMNS[name] for name in names})


# One branch per (table, key column) and one per table for "any key NULL" (key_column ''), from constants only: the
# table map's identifiers and the contract's key column names (lib.clickhouse.contract.NULL_KEYS), bound as
# identifiers.
_NULL_BRANCH = """
    SELECT '{name}' AS table_key, '{column}' AS key_column, countIf({condition}) AS n_null
    FROM {{{name}_db:Identifier}}.{{{name}_tbl:Identifier}}
"""


def null_key_sql(keys: dict[str, tuple[str, ...]]) -> tuple[str, dict[str, str]]:
    """The counting statement over {logical table: its Nullable key columns}, and its identifier parameters."""
    branches, params = [], {}
    for name, columns in keys.items():
        names = []
        for i, column in enumerate(columns):
            param = f"{name}_key{i}"
            params[param] = column
            names.append(f"{{{param}:Identifier}}")
            branches.append(_NULL_BRANCH.format(name=name, column=column, condition=f"isNull({names[-1]})"))
        branches.append(_NULL_BRANCH.format(name=name, column="", condition=" OR ".join(f"isNull({n})" for n in names)))
    return "SELECT * FROM (" + " UNION ALL ".join(branches) + ") ORDER BY table_key, key_column", params


@cached(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def null_key_rows() -> pl.DataFrame:
    """Per table whose key columns are Nullable on the endpoint: rows with NULL in each key column (`key_column`)
    and in any of them (`key_column` ''): the rows every other statement leaves out (lib.clickhouse.contract
    NULL_KEYS). No row when every key column is non-Nullable (the contract): such rows cannot exist."""
    c = client()
    nullable = null_key_columns(c)
    by_table = {key: name for name, key in c.tables.tables.items()}
    keys = {by_table[k]: cols for k, cols in nullable.items() if k in by_table and by_table[k] in NULL_KEYS}
    if not keys:
        return pl.DataFrame(schema={"table_key": pl.String, "key_column": pl.String, "n_null": pl.UInt64})
    sql, params = null_key_sql(keys)
    return run_keeping_null_keys(sql, **params)
