"""Which accounts a statement reads: one account, or all of them summed.

The scope is applied in one place, the choke point (`queries.engine.run.run`), so
no statement can forget it: every table that carries `account` is read
through a subquery filtered to the selected account, and with "all accounts"
on a desk with several, the account table is read as one summed account per
monitor round (account_rounds.sql) and the ledger with transfers between the
desk's own accounts netted out (ledger_netted.sql). A desk with one account reads its tables
unchanged, so its numbers and statements are exactly those of a one-account
desk.

Where the scope comes from: inside a Streamlit run, the sidebar's choice
(`st.session_state`, so a fragment's rerun sees it too); elsewhere (the
command line, the benchmark, tests) `use(...)`. Every cached query keys on
it (`cached`), and so does the last-good-data store in `ui/data.py`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from lib import config
from lib.config import TableMap
from queries.engine import newest

F = TypeVar("F", bound=Callable[..., Any])

ACCOUNT_TABLES = ("trades", "positions", "account", "funding", "ledger", "orders")  # table-map keys with `account`
SESSION_KEY = "desk_account_scope"  # where the sidebar keeps the resolved scope for the session


def _fragment(name: str) -> str:
    """A subquery kept in its own file; its notes stay in the file, not in every statement."""
    text = (Path(__file__).resolve().parent / name).read_text()
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


# Where the rounds-start statement begins reading the snapshot times: this long before the instant its anchors
# give, counted from the newest snapshot as it is (queries/engine/newest.py; the newest round can end a few seconds
# before it). When the round it needs reaches back over that bound, it answers NULL and every round is read
# (account_rounds_start.sql).
_START_MARGIN_MS = 3_600_000
_RAW_NEWEST_MS = f"toUnixTimestamp64Milli({newest.NEWEST_ACCOUNT_TS})"
_ONE_ACCOUNT = "(SELECT * FROM __TABLE__ WHERE account = {desk_account:String})"  # the table as its parameters name it
_ROUNDS_SQL = _fragment("account_rounds.sql")
_ROUND_TIMES_SQL = _fragment("account_round_times.sql")
_ROUND_ENDS_SQL = _fragment("account_round_ends.sql")
_ROUNDS_START_SQL = _fragment("account_rounds_start.sql")
_LEDGER_SQL = _fragment("ledger_netted.sql")
_TABLE_REF = re.compile(r"\{(\w+):Identifier\}\.\{(\w+):Identifier\}")


@dataclass(frozen=True)
class Scope:
    """One account (`account`), or every account (`account` None), summed per round when `combined`."""

    account: str | None = None
    combined: bool = False

    @property
    def key(self) -> tuple[str | None, bool]:
        return (self.account, self.combined)


@dataclass(frozen=True)
class Recent:
    """What a statement without days reads of the summed rounds ("all accounts"): only the rounds that end at or
    after the earliest of these instants, so reading the newest hours does not sum the whole history. Each round
    is read whole (account_rounds_start.sql), so the rounds read are exactly those of the whole history from there.

      newest_account    this long before the newest round (__NEWEST_ACCOUNT_TS__)
      newest_positions  this long before the newest positions row (__NEWEST_POSITIONS_TS__)
      since             this instant
      back_to_usable    and back to the newest round with a usable equity (finite, > 0) not after the server's
                        now + FUTURE_SKEW_S, however old: when the recent rounds hold none, every round is read

    An anchor that is unknown (no snapshot) reads every round. Within the statement's own days (rounds_window)
    when it has days. Ignored for one account.
    """

    newest_account: timedelta | None = None
    newest_positions: timedelta | None = None
    since: datetime | None = None
    back_to_usable: bool = False

    def from_ms(self, newest_account_ms: str = "newest_round_ms") -> str:
        """The instant (Unix ms, SQL over account_rounds_start.sql's columns) the rounds are read from;
        `newest_account_ms`: the SQL of the newest account instant it counts back from."""
        terms = []
        if self.newest_account is not None:
            terms.append(f"{newest_account_ms} - {{desk_recent_account_ms:Int64}}")
        if self.newest_positions is not None:
            terms.append(f"toUnixTimestamp64Milli({newest.NEWEST_POSITIONS_TS}) - {{desk_recent_positions_ms:Int64}}")
        if self.since is not None:
            terms.append("toUnixTimestamp64Milli({desk_recent_since:DateTime64(3, 'UTC')})")
        if not terms:
            raise ValueError("Recent needs an anchor: newest_account, newest_positions or since")
        return terms[0] if len(terms) == 1 else f"least({', '.join(terms)})"

    def start_sql(self) -> str:
        """The statement (over the snapshots as they are) that finds where the rounds start: a round's first
        snapshot, or NULL for every round (account_rounds_start.sql). It reads the snapshot times from an hour
        (_START_MARGIN_MS) before the instant its anchors give over the raw newest snapshot, not the whole
        history (up to 3 such statements a page, 46 ms each over a year of 3 accounts)."""
        read_from = (
            f"greatest({_WINDOW_FROM}, ifNull(fromUnixTimestamp64Milli("
            f"{self.from_ms(_RAW_NEWEST_MS)} - {{desk_start_margin_ms:Int64}}, 'UTC'), {_WINDOW_FROM}))"
        )
        table = "{account_db:Identifier}.{account_tbl:Identifier}"
        return (
            _ROUNDS_START_SQL.replace("__ROUND_TIMES__", _round_times(table, read_from))
            .replace("__READ_FROM__", read_from)
            .replace("__RECENT_FROM_MS__", self.from_ms())
        )

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "desk_future_skew_s": config.FUTURE_SKEW_S,
            "desk_round_ms": _round_ms(),
            "desk_start_margin_ms": _START_MARGIN_MS,
            **newest.SKEW,
        }
        if self.newest_account is not None:
            out["desk_recent_account_ms"] = int(self.newest_account.total_seconds() * 1000)
        if self.newest_positions is not None:
            out["desk_recent_positions_ms"] = int(self.newest_positions.total_seconds() * 1000)
        if self.since is not None:
            out["desk_recent_since"] = self.since
        return out


EVERY_ACCOUNT = Scope()  # a one-account desk, or a statement that must see every row (the account list)
_forced: ContextVar[Scope | None] = ContextVar("desk_account_scope", default=None)


def current() -> Scope:
    """The scope of this statement: `use(...)`, else the session's sidebar choice, else every account."""
    forced = _forced.get()
    if forced is not None:
        return forced
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is not None:
        value = st.session_state.get(SESSION_KEY)
        if isinstance(value, Scope):
            return value
    return EVERY_ACCOUNT


@contextmanager
def use(scope: Scope) -> Iterator[Scope]:
    """Run statements in `scope` (the command line, tests, the benchmark)."""
    token = _forced.set(scope)
    try:
        yield scope
    finally:
        _forced.reset(token)


def as_stored(chosen: Scope) -> Scope:
    """The scope that reads the rows as the sync stored them: one account's own, or with "all accounts" every
    account's, never the summed rounds nor the netted ledger (inception, where the rounds start, System Health's
    counts of stored rows)."""
    return EVERY_ACCOUNT if chosen.combined else chosen


def remember(scope: Scope) -> None:
    """The sidebar's choice for the rest of this session's runs (fragments included)."""
    st.session_state[SESSION_KEY] = scope


def resolve(choice: str | None, accounts: list[str]) -> Scope:
    """The scope for a selector choice (None: all accounts) given the accounts the desk has."""
    if choice is not None:
        return Scope(account=choice)
    return Scope(combined=len(accounts) > 1)


def cached(**cache_args: Any) -> Callable[[F], F]:
    """`st.cache_data` for a query whose result depends on the scope: the scope is part of the key."""

    def decorate(fn: F) -> F:
        def in_scope(scope_key: tuple[str | None, bool], *args: Any, **kwargs: Any) -> Any:
            with use(Scope(*scope_key)):
                return fn(*args, **kwargs)

        # st.cache_data keys on module, qualified name and source: name the wrapper after the query
        in_scope.__module__, in_scope.__qualname__, in_scope.__name__ = fn.__module__, fn.__qualname__, fn.__name__
        in_scope.__doc__ = fn.__doc__
        keyed = st.cache_data(**cache_args)(in_scope)

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            return keyed(current().key, *args, **kwargs)

        call.clear = keyed.clear  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]

    return decorate


def reads_account(sql: str, params: Mapping[str, Any], tables: TableMap) -> bool:
    """Whether `sql` names the account table (by the table map's parameters or its own identifier parameters)."""
    all_params = {**tables.params(), **params}
    account = tables.tables["account"]
    return any(
        (str(all_params.get(m.group(1), "")), str(all_params.get(m.group(2), ""))) == account
        for m in _TABLE_REF.finditer(sql)
    )


def apply(
    sql: str, params: Mapping[str, Any], tables: TableMap, scope: Scope, rounds_start: datetime | None = None
) -> tuple[str, dict[str, Any]]:
    """`sql` with every account-bearing table read in `scope`, and the parameters that adds.

    A table is known by the (database, table) its identifier parameters name, so a
    statement that takes the table as a parameter (System Health's per-table checks)
    is scoped too. `rounds_start`: "all accounts" sums the rounds from this snapshot on (a round's first, see
    Recent), not from the start of the statement's window.
    """
    if scope.account is None and not scope.combined:
        return sql, {}
    scoped = {tables.tables[name]: name for name in ACCOUNT_TABLES}
    all_params = {**tables.params(), **params}
    account_ref: list[str] = []  # the account table as the statement names it, when it reads it

    def sub(m: re.Match) -> str:
        name = scoped.get((str(all_params.get(m.group(1), "")), str(all_params.get(m.group(2), ""))))
        if name is None:
            return m.group(0)
        if scope.account is not None:
            return _ONE_ACCOUNT.replace("__TABLE__", m.group(0))
        if name == "account":
            if not account_ref:
                account_ref.append(m.group(0))
            return ROUNDS_PLACEHOLDER
        if name == "ledger":
            return _LEDGER_SQL.replace("__LEDGER_TABLE__", m.group(0))
        return m.group(0)

    extra: dict[str, Any] = {"desk_account": scope.account} if scope.account is not None else {}
    if scope.combined:
        extra["desk_round_ms"] = _round_ms()
        extra["desk_rounds_from"], extra["desk_rounds_to"] = rounds_window(params)
    scoped_sql = _TABLE_REF.sub(sub, sql)
    if not account_ref:
        return scoped_sql, extra
    table = account_ref[0]
    columns = rounds_columns(sql, all_params)
    if set(columns) <= ROUND_ENDS_COLUMNS:  # times only: no value summed
        return with_rounds(scoped_sql, _round_ends(table, _WINDOW_FROM), columns), extra
    if rounds_start is None:
        return with_rounds(scoped_sql, _rounds(table, _WINDOW_FROM, columns), columns), extra
    extra[ROUNDS_START] = rounds_start
    return with_rounds(scoped_sql, _rounds(table, f"{{{ROUNDS_START}:DateTime64(3, 'UTC')}}", columns), columns), extra


def _round_ms() -> int:
    return int(config.SNAPSHOT_ROUND_S * 1000)


def _round_times(table: str, rounds_from: str) -> str:
    """The rounds' starts and ends (account_round_times.sql) of `table`, from `rounds_from` (SQL) on."""
    return _ROUND_TIMES_SQL.replace("__ACCOUNT_TABLE__", table).replace("__ROUNDS_FROM__", rounds_from)


def _round_ends(table: str, rounds_from: str) -> str:
    """The rounds' times only (account_round_ends.sql) of `table`, from `rounds_from` (SQL) on."""
    return _ROUND_ENDS_SQL.replace("__ROUND_TIMES__", _round_times(table, rounds_from))


# The values account_rounds.sql sums, and when one account's value makes the round's sum NULL: an equity also
# when it is not finite (a round is complete only with every equity finite), the others when missing.
ROUND_VALUES = {
    "account_value": "row.{i} IS NULL OR NOT isFinite(row.{i})",
    "total_ntl_pos": "row.{i} IS NULL",
    "total_margin_used": "row.{i} IS NULL",
    "withdrawable": "row.{i} IS NULL",
}


def _rounds(table: str, rounds_from: str, columns: tuple[str, ...]) -> str:
    """The summed rounds (account_rounds.sql) of `table`, from `rounds_from` (SQL) on, with only the values among
    `columns` summed: a statement that reads the equity does not carry the margin through the sums (a year of
    three accounts: 0.27 s with all four values, 0.18 s with one)."""
    values = [value for value in ROUND_VALUES if value in columns]
    row = f"argMax(tuple({', '.join(f's.{v}' for v in values)}), s.newest) AS row," if values else ""
    sums = " ".join(
        f"countIf({ROUND_VALUES[v].format(i=i)}) AS r_bad_{v}, sum(ifNull(row.{i}, 0.)) AS r_{v},"
        for i, v in enumerate(values, 1)
    )
    value_columns = " ".join(f"if(r_complete AND r_bad_{v} = 0, r_{v}, NULL) AS {v}," for v in values)
    return (
        _ROUNDS_SQL.replace("__VALUE_ROW__", row)
        .replace("__VALUE_SUMS__", sums)
        .replace("__VALUE_COLUMNS__", value_columns)
        .replace("__ROUND_ENDS__", _round_ends(table, rounds_from))
        .replace("__ACCOUNT_TABLE__", table)
        .replace("__ROUNDS_FROM__", rounds_from)
    )


# The summed rounds, computed ONCE per statement. ClickHouse pastes a subquery (and a CTE, MATERIALIZED ones
# included as far as scalar subqueries go: chdb 26.9) at every reference, and the statements read the account
# table 2-8 times each (the newest snapshot, inception, the start mark, lo/hi, the sub-periods): each read
# re-summed every round of the window. Instead the statement gets one scalar, `desk_rounds_rows`, the rounds as an
# array of tuples (a scalar subquery is evaluated once per statement, wherever it is referenced, nested scalar
# subqueries included), and every reference reads that array back as rows: the same rows and types, no re-summing.
ROUNDS_ROWS = "desk_rounds_rows"
ROUNDS_START = "desk_rounds_start"  # the parameter: where a Recent statement's rounds start
ROUND_ENDS_COLUMNS = frozenset({"ts", "account"})  # what account_round_ends.sql gives
_WINDOW_FROM = "{desk_rounds_from:DateTime64(3, 'UTC')}"
# Run in "all accounts" from a Recent start: the usable rounds (finite equity > 0) not dated in the future.
USABLE_ROUNDS_SQL = """
    SELECT count() AS n FROM {account_db:Identifier}.{account_tbl:Identifier}
    WHERE account_value IS NOT NULL AND isFinite(account_value) AND account_value > 0
      AND ts <= now64(3, 'UTC') + toIntervalSecond({desk_future_skew_s:UInt32})
"""
ROUNDS_PLACEHOLDER = "__DESK_ROUNDS__"  # where the statement names the account table, until with_rounds
ROUNDS_COLUMNS = (  # (column, how it is read back from the tuple: the types of account_rounds.sql)
    ("ts", "{}"),
    ("account", "toLowCardinality({})"),
    ("account_value", "{}"),
    ("total_ntl_pos", "{}"),
    ("total_margin_used", "{}"),
    ("withdrawable", "{}"),
    ("ingested_at", "{}"),
    ("synced_at", "{}"),
)
_SELECT_STAR = re.compile(r"(?:\bSELECT|,|\.)\s*\*", re.IGNORECASE)
_WORD = re.compile(r"\w+")


def rounds_columns(sql: str, params: Mapping[str, Any]) -> tuple[str, ...]:
    """The rounds' columns a statement can read: those it names (in its text or as an identifier parameter),
    every one when it selects `*`. The others are not computed: reading the newest ts (every page's "data as of")
    does not sum equities. A column left out that the statement did read would fail the statement (unknown
    identifier), never change a number."""
    if _SELECT_STAR.search(sql):
        return tuple(col for col, _how in ROUNDS_COLUMNS)
    named = set(_WORD.findall(sql)) | {v for v in params.values() if isinstance(v, str)}
    return tuple(col for col, _how in ROUNDS_COLUMNS if col == "ts" or col in named)


def rounds_read(columns: tuple[str, ...]) -> str:
    """The rows of `desk_rounds_rows` (its tuples hold `columns`, in ROUNDS_COLUMNS order)."""
    how = dict(ROUNDS_COLUMNS)
    picked = ", ".join(
        f"{how[col].format(f'tupleElement(desk_round, {i})')} AS {col}" for i, col in enumerate(columns, 1)
    )
    return f"(SELECT {picked} FROM (SELECT arrayJoin({ROUNDS_ROWS}) AS desk_round))"


_LEADING_COMMENTS = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)
_WITH = re.compile(r"WITH\b", re.IGNORECASE)


def with_rounds(sql: str, subquery: str, columns: tuple[str, ...]) -> str:
    """`sql` reading `subquery` (the rounds) through ONE scalar: `(SELECT groupArray(tuple(columns)) FROM
    subquery) AS desk_rounds_rows` first in its WITH clause (one added when it has none), and every
    ROUNDS_PLACEHOLDER read back from it. A WITH alias is seen by every nested subquery, CTE and branch of a
    top-level UNION."""
    definition = f"(SELECT groupArray(tuple({', '.join(columns)})) FROM {subquery}) AS {ROUNDS_ROWS}"
    sql = sql.replace(ROUNDS_PLACEHOLDER, rounds_read(columns))
    head = _LEADING_COMMENTS.match(sql)
    body_at = head.end() if head else 0
    if _WITH.match(sql, body_at):
        return f"{sql[:body_at]}WITH {definition},\n{sql[body_at + 4 :]}"
    return f"{sql[:body_at]}WITH {definition}\n{sql[body_at:]}"


_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def rounds_window(params: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """The snapshots a statement over the UTC days [start, end] can read: from `start` minus its look-back
    (`lookback_days`, at least the 7 days every as-of read looks back) and a day of margin, to two days
    after `end`. A statement over a window of instants (`t_from`, `t_to`: queries/book/window.py) reads the days
    they touch. A statement without days (the newest values, since inception) combines everything."""
    start, end = params.get("start", params.get("t_from")), params.get("end", params.get("t_to"))
    lo, hi = _EARLIEST, _LATEST
    if isinstance(start, date):
        back = max(int(params.get("lookback_days") or 0), 7) + 1
        lo = datetime.combine(
            start if not isinstance(start, datetime) else start.date(), time(0), tzinfo=UTC
        ) - timedelta(days=back)
    if isinstance(end, date):
        hi = datetime.combine(end if not isinstance(end, datetime) else end.date(), time(0), tzinfo=UTC) + timedelta(
            days=3
        )
    return lo, hi
