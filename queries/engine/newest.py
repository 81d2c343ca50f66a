"""One rule for "newest": the newest account snapshot and the newest positions round never come from a row dated
in the future (a bad clock or a bad row, after the server's now + config.FUTURE_SKEW_S).

Each is ONE scalar subquery, pasted where a statement reads its "newest" (`__NEWEST_ACCOUNT_TS__`,
`__NEWEST_POSITIONS_TS__`) and bound with `SKEW`. The statements that answer "the newest account snapshot"
(queries.book.risk.latest_account_risk, queries.health.health.data_as_of) and "the newest positions round"
(queries.book.risk.position_risk, Overview's latest exposure, System Health's price check) all read it, so
one row dated 2099 cannot take over the risk panel, the Positions risk table or System Health's ages; System
Health counts such rows (queries.health.odd_data.future_rows).
"""

from __future__ import annotations

from lib import config

NOT_AFTER = "now64(3, 'UTC') + toIntervalSecond({future_skew_s:UInt32})"
NEWEST_ACCOUNT_TS = (
    "(SELECT max(ts) FROM {account_db:Identifier}.{account_tbl:Identifier} WHERE ts <= " + NOT_AFTER + ")"
)
NEWEST_POSITIONS_TS = (
    "(SELECT max(ts) FROM {positions_db:Identifier}.{positions_tbl:Identifier} WHERE ts <= " + NOT_AFTER + ")"
)
SKEW = {"future_skew_s": config.FUTURE_SKEW_S}


def pasted(sql: str) -> str:
    """`sql` with the newest-snapshot placeholders replaced by the one rule."""
    return sql.replace("__NEWEST_ACCOUNT_TS__", NEWEST_ACCOUNT_TS).replace(
        "__NEWEST_POSITIONS_TS__", NEWEST_POSITIONS_TS
    )
