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

A statement reads the instant (a scalar DateTime64(3, 'UTC'); NULL when the account table has no row) in one
of two ways, both the same rule, in the statement's account scope:
- `__INCEPTION_TS__`: the choke point (`queries.engine.run.run`) pastes the rule as a scalar subquery. For a
  statement that reads it once (data as of, stray rows, the headline).
- `__INCEPTION_TS_BOUND__`: the choke point computes the rule first, as its own small statement (`STATEMENT`),
  and binds the instant as a parameter. For the start mark (start_mark.sql), which the PnL window and the
  equity series reference through their aliases dozens of times: ClickHouse resolves a WITH alias again at
  every reference, so the pasted rule made the PnL window's query tree 111k lines for one account, and in
  "all accounts" each copy re-resolved the summed rounds (PnL window 0.44 s pasted, 0.28 s bound).
  Bound, it costs one statement more; read once, pasting is cheaper.
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
BOUND = "__INCEPTION_TS_BOUND__"
STATEMENT = f"SELECT {COMPUTED} AS inception"  # the computed rule on its own: one row, one value (NULL: no snapshot)
_BOUND_PARAM = "{desk_inception_ts:Nullable(DateTime64(3, 'UTC'))}"
_COMPUTED_PARAMS = {"inception_gap_days": config.INCEPTION_MAX_GAP_DAYS, "future_skew_s": config.FUTURE_SKEW_S}


def computed_first(sql: str, settings: ClientSettings) -> bool:
    """Whether `sql` reads inception bound and the endpoint does not configure it: run STATEMENT first."""
    return BOUND in sql and settings.inception is None


def statement_params() -> dict[str, Any]:
    """STATEMENT's parameters."""
    return dict(_COMPUTED_PARAMS)


def apply(sql: str, settings: ClientSettings, computed: datetime | None = None) -> tuple[str, dict[str, Any]]:
    """`sql` reading inception where it says `__INCEPTION_TS__` (the rule pasted) or `__INCEPTION_TS_BOUND__`
    (`computed`, STATEMENT's value), and the parameters that adds. A configured date is bound in both."""
    if PLACEHOLDER not in sql and BOUND not in sql:
        return sql, {}
    if settings.inception is not None:
        return sql.replace(BOUND, CONFIGURED).replace(PLACEHOLDER, CONFIGURED), {"desk_inception": settings.inception}
    out: dict[str, Any] = {}
    if PLACEHOLDER in sql:
        sql, out = sql.replace(PLACEHOLDER, COMPUTED), statement_params()
    if BOUND in sql:
        sql, out = sql.replace(BOUND, _BOUND_PARAM), {**out, "desk_inception_ts": computed}
    return sql, out


def describe(settings: ClientSettings) -> str:
    """How inception is set, in words (System Health, the README)."""
    if settings.inception is not None:
        return f"configured: {settings.inception.isoformat()} (DESK_INCEPTION or [connections.clickhouse] inception)"
    return (
        f"the first account snapshot after which no {config.INCEPTION_MAX_GAP_DAYS}-day gap separates two days "
        "with snapshots (set DESK_INCEPTION to fix a date)"
    )
