"""Rows the numbers must not trust as they are: rows dated in the future (System Health).

A row dated after the server's now + FUTURE_SKEW_S comes from a bad clock or a
bad row. It never sets "data as of" or a default range (queries/health/health.py,
queries/book/overview.py clamp their "newest" to that bound); here it is counted.
"""

from __future__ import annotations

import polars as pl

from lib import config
from queries.engine.drift import present_tables
from queries.engine.run import client, run
from queries.engine.scope import cached
from queries.health.health import TIME_COLUMNS

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
    return run(
        future_sql(names),
        future_skew_s=config.FUTURE_SKEW_S,
        **{f"{name}_col": col for name, col in TIME_COLUMNS.items()},
    )
