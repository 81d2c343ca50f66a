"""One rule for where the desk's history starts (inception), so one stray old row cannot become "the start".

Inception is, in this order:
1. the configured date (`DESK_INCEPTION=2025-03-01`, or `inception = 2025-03-01` in `[connections.clickhouse]`):
   00:00 UTC of that day;
2. else the first account snapshot of the continuous history: the first snapshot of the first UTC day from
   which no two consecutive days holding account snapshots lie more than `config.INCEPTION_MAX_GAP_DAYS` days
   apart, up to the newest snapshot (rows dated after the server's now + FUTURE_SKEW_S do not count). With
   no such gap it is simply the first snapshot.

An account snapshot before inception is a stray row: it is never a PnL window's start mark, never the first day
of the "All" range preset, never the start of "PnL since inception"; System Health counts and dates every row
before inception (queries.health.odd_data.stray_rows).

A statement writes `__INCEPTION_TS__` where it needs the instant (a scalar DateTime64(3, 'UTC'); NULL when the
account table has no row). The choke point (`queries.engine.run.run`) computes the rule FIRST, as its own small
statement (`STATEMENT`), and binds the instant as a parameter:
- in one account's scope, over that account's snapshots; with "all accounts", over every account's snapshots as
  they are, not the summed rounds: the desk's first snapshot is where its history starts, and a round ends at or
  after its first snapshot, so every round from there on is read, the same rounds as before. It costs one
  groupUniqArray less: 42 → 12 ms over a year of 3 accounts, once per statement that reads inception. (The
  instant is the first snapshot, 00:00:03.036, where the summed rounds gave its round's end, 00:00:04.011.)
- pasted instead, the rule cost more than it read: ClickHouse resolves a WITH alias again at every reference,
  and the PnL window and the equity series reference the start mark (start_mark.sql), which reads inception,
  dozens of times: the PnL window's query tree was 111k lines for one account, and in "all accounts" each copy
  resolved the summed rounds again (PnL window 0.44 s pasted, 0.28 s bound).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lib import config
from lib.clickhouse.endpoints import ClientSettings

PLACEHOLDER = "__INCEPTION_TS__"

# The start of the last run of snapshot days without a gap longer than {inception_gap_days} days.
COMPUTED = """(
    SELECT toDateTime64(argMaxIfOrNull(first_ts, d, run_start), 3, 'UTC')
    FROM
    (
        SELECT d, first_ts,
               dateDiff('day', lagInFrame(d, 1, toDate('1970-01-01')) OVER (ORDER BY d ROWS BETWEEN 1 PRECEDING
                        AND CURRENT ROW), d) > {inception_gap_days:UInt16} AS run_start
        FROM
        (
            SELECT toDate(ts) AS d, min(ts) AS first_ts
            FROM {account_db:Identifier}.{account_tbl:Identifier}
            WHERE ts <= now64(3, 'UTC') + toIntervalSecond({future_skew_s:UInt32})
            GROUP BY d
        )
    )
)"""
CONFIGURED = "toDateTime64({desk_inception:Date}, 3, 'UTC')"
STATEMENT = f"SELECT {COMPUTED} AS inception"  # the computed rule on its own: one row, one value (NULL: no snapshot)
_BOUND = "{desk_inception_ts:Nullable(DateTime64(3, 'UTC'))}"
_COMPUTED_PARAMS = {"inception_gap_days": config.INCEPTION_MAX_GAP_DAYS, "future_skew_s": config.FUTURE_SKEW_S}


def computed_first(sql: str, settings: ClientSettings) -> bool:
    """Whether `sql` reads inception and the endpoint does not configure it: run STATEMENT first."""
    return PLACEHOLDER in sql and settings.inception is None


def statement_params() -> dict[str, Any]:
    """STATEMENT's parameters."""
    return dict(_COMPUTED_PARAMS)


def apply(sql: str, settings: ClientSettings, computed: datetime | None = None) -> tuple[str, dict[str, Any]]:
    """`sql` reading inception where it says `__INCEPTION_TS__`, and the parameters that adds: the configured
    date, else `computed` (STATEMENT's value)."""
    if PLACEHOLDER not in sql:
        return sql, {}
    if settings.inception is not None:
        return sql.replace(PLACEHOLDER, CONFIGURED), {"desk_inception": settings.inception}
    return sql.replace(PLACEHOLDER, _BOUND), {"desk_inception_ts": computed}


def describe(settings: ClientSettings) -> str:
    """How inception is set, in words (System Health, the README)."""
    if settings.inception is not None:
        return f"configured: {settings.inception.isoformat()} (DESK_INCEPTION or [connections.clickhouse] inception)"
    return (
        f"the first account snapshot after which no {config.INCEPTION_MAX_GAP_DAYS}-day gap separates two days "
        "with snapshots (set DESK_INCEPTION to fix a date)"
    )
