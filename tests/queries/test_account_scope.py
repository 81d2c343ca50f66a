"""Several accounts: every statement reads the selected account, and "all" sums them without double counting.

Fixtures on the real engine, built from the demo desk (one account, the main one):
* `acct_main`: the demo desk as it is (the one-account reference);
* `acct_sub`: a sub-account that is the main one scaled by 1/4 (sizes, values, fees,
  funding, deposits), its snapshots 2 s after the main account's in each round, and the
  SAME trade ids (the natural key is (account, tid): both fills count);
* `acct_two`: both accounts in one set of tables.
Independent expectations: with one account selected, every page's statement gives on
`acct_two` exactly what it gives on that account's own desk. With "all", equity, PnL and
deposits are 1.25 times the main account's and every return, drawdown and weight is the
main account's (the sub-account holds the same book at a quarter of the size).
"""

from __future__ import annotations

import math
from datetime import UTC, date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lib.demo import seed_client
from lib.demo.tables import ACCOUNT as MAIN
from queries.book import orders, overview, regimes, risk
from queries.engine import scope
from queries.engine.run import recording, use_client
from queries.health import contract as contract_queries
from queries.health import health, odd_data
from queries.tracking import tracking_error
from tests.queries.fixture_desk import (
    POSITION_COLS,
    SUB,
    K,
    create_tables,
    fixture_client,
    sub_account_select,
    t,
    table_map_for,
)
from tests.queries.test_schema_drift import CALLS, SPAN, E, S

pytestmark = pytest.mark.xdist_group("account_scope")  # one process builds the three desks once

UTC = UTC


@pytest.fixture(scope="module")
def desks(engine, desk_url):
    main = create_tables(engine, "acct_main")
    seed_client(engine, start=SPAN[0], end=SPAN[1], tables=main)
    sub, two = create_tables(engine, "acct_sub"), create_tables(engine, "acct_two")
    for name in main.tables:
        src = main.qualified(name)
        engine.command(f"INSERT INTO {two.qualified(name)} SELECT * FROM {src}", settings={"optimize_on_insert": 0})
        select = sub_account_select(name, src) if name in scope.ACCOUNT_TABLES else f"SELECT * FROM {src}"
        engine.command(f"INSERT INTO {sub.qualified(name)} {select}", settings={"optimize_on_insert": 0})
        if name in scope.ACCOUNT_TABLES:
            engine.command(f"INSERT INTO {two.qualified(name)} {select}", settings={"optimize_on_insert": 0})
    contract_queries.forget()
    return {p: fixture_client(desk_url, p) for p in ("acct_main", "acct_sub", "acct_two")}


def _run(client, chosen: scope.Scope, fn, *args):
    with use_client(client), scope.use(chosen):
        fn.clear()
        return fn(*args).drop("server_now", strict=False)


def _same(a: pl.DataFrame, b: pl.DataFrame, what: str) -> None:
    assert a.schema == b.schema, what
    assert_frame_equal(a.sort(a.columns), b.sort(b.columns), check_exact=False, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("account,own_desk", [(MAIN, "acct_main"), (SUB, "acct_sub")])
def test_one_account_reads_exactly_its_own_desk(desks, account, own_desk):
    """Every page's statement, on the two-account desk with one account selected, equals that account alone."""
    compared = 0
    for name, fn, args in CALLS:
        want = _run(desks[own_desk], scope.EVERY_ACCOUNT, fn, *args)
        got = _run(desks["acct_two"], scope.Scope(account=account), fn, *args)
        _same(got, want, f"{name} for {account}")
        compared += want.height > 0
    assert compared >= len(CALLS) - 5


def _scaled(got, want, factor: float) -> bool:
    """got == want * factor (both missing counts as equal: missing stays missing)."""
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(got, want * factor, rel_tol=1e-9, abs_tol=1e-6)


def _pnl(window: dict) -> float:
    return window["equity_end"] - window["equity_start"] - window["flows"]


def test_without_a_scope_two_accounts_would_be_read_as_one(desks):
    """The reason the scope exists: chaining two accounts' snapshots as one series is nonsense."""
    two = _run(desks["acct_two"], scope.EVERY_ACCOUNT, overview.equity_series, S, E, 86400)
    main = _run(desks["acct_main"], scope.EVERY_ACCOUNT, overview.equity_series, S, E, 86400)
    assert sum(two["n_snapshots"][1:]) == 2 * sum(main["n_snapshots"][1:])  # each account's snapshot as a "period"
    # each day's "equity" is whichever account snapshotted last: the sub-account's quarter
    assert two["equity"].to_list() == pytest.approx([v * K for v in main["equity"]], rel=1e-9)


ALL = scope.Scope(combined=True)


def test_all_accounts_sum_equity_pnl_and_deposits(desks):
    main = _run(desks["acct_main"], scope.EVERY_ACCOUNT, overview.pnl_window, S, E).row(0, named=True)
    both = _run(desks["acct_two"], ALL, overview.pnl_window, S, E).row(0, named=True)
    assert main["equity_start"] and main["realized"] and main["unrealized_end"]  # the window has things to sum
    for col in (
        "equity_start",
        "equity_end",
        "flows",
        "deposits",
        "withdrawals",
        "realized",
        "fees",
        "funding",
        "unrealized_start",
        "unrealized_end",
    ):
        assert _scaled(both[col], main[col], 1 + K), col
    assert _pnl(both) == pytest.approx(_pnl(main) * (1 + K), rel=1e-9)
    assert both["n_fills"] == 2 * main["n_fills"]  # the same trade id in two accounts is two fills


@pytest.mark.parametrize("bucket", [86400, 3600])
def test_all_accounts_equity_series(desks, bucket):
    main = _run(desks["acct_main"], scope.EVERY_ACCOUNT, overview.equity_series, S, E, bucket)
    both = _run(desks["acct_two"], ALL, overview.equity_series, S, E, bucket)
    assert both.height == main.height > 0
    assert both["bucket"].to_list() == main["bucket"].to_list()
    for col, factor in (
        ("equity", 1 + K),
        ("pnl", 1 + K),
        ("flows", 1 + K),
        ("ret", 1),
        ("index", 1),
        ("dd_min", 1),
        ("dd_last", 1),
    ):
        assert all(_scaled(b, m, factor) for b, m in zip(both[col], main[col])), col
    assert both["n_snapshots"].to_list() == main["n_snapshots"].to_list()  # one summed row per round
    # the round's time is its last snapshot: the sub-account's, 2 s after the main one
    assert all(b - m == timedelta(seconds=2) for b, m in zip(both["equity_ts"], main["equity_ts"]))


def test_all_accounts_tracking_error_is_the_books(desks):
    """Weights are the summed notional over the summed equity: the same book at 1.25x has the same TE."""
    main = _run(desks["acct_main"], scope.EVERY_ACCOUNT, tracking_error.timeline, S, E, 2)
    both = _run(desks["acct_two"], ALL, tracking_error.timeline, S, E, 2)
    assert both.height == main.height > 0
    for col in [c for c in main.columns if "weight" in c]:
        assert both[col].to_list() == pytest.approx(main[col].to_list(), rel=1e-9, abs=1e-12), col


# --- a hand-made desk for the awkward cases ---------------------------------------------


def _account_row(ts, account, value, synced=None):
    return [ts, account, value, None if value is None else value * 2, 1.0, value, ts, synced or ts]


@pytest.fixture(scope="module")
def awkward(engine, desk_url):
    """Two accounts over one day, snapshots every 5 minutes from 00:00:01 (A) and 00:00:03 (B):
    * B opens at 06:00 with an external deposit of 1,000 (its first snapshot, 06:00:03, shows it);
    * at 12:00:00 A sends 500 to B (internal transfer: -500 in A's ledger, +500 in B's, same instant);
    * B's 15:00 snapshot is missing (a round without B), A's 16:00 one is NULL;
    * every A snapshot is synced twice; A earns +1 per round, B +0.5 per round after it opened;
    * an external withdrawal of 100 from A at 18:00:00.
    """
    tm = create_tables(engine, "acct_awk")
    rows, ledger = [], []
    a, b = 10_000.0, None
    day = t(2025, 6, 1)
    for i in range(24 * 12):
        mark = day + timedelta(minutes=5 * i)
        if mark == day + timedelta(hours=12):
            a -= 500
            b += 500
        if mark == day + timedelta(hours=18):
            a -= 100
        if i > 0:
            a += 1
            if b is not None:
                b += 0.5
        if mark == day + timedelta(hours=6):
            b = 1000.0
        ta, tb = mark + timedelta(seconds=1), mark + timedelta(seconds=3)
        a_value = None if mark == day + timedelta(hours=16) else a
        rows.append(_account_row(ta, "A", a_value))
        rows.append(_account_row(ta, "A", a_value, synced=ta + timedelta(minutes=1)))  # a synced duplicate
        if b is not None and mark != day + timedelta(hours=15):
            rows.append(_account_row(tb, "B", b))
    ledger = [
        [day + timedelta(hours=5, minutes=59), "B", "deposit", 1000.0, "h1", day, day],
        [day + timedelta(hours=12), "A", "internalTransfer", -500.0, "h2", day, day],
        [day + timedelta(hours=12), "B", "internalTransfer", 500.0, "h2", day, day],
        [day + timedelta(hours=12), "B", "internalTransfer", 500.0, "h2", day, day],  # synced twice
        [day + timedelta(hours=18), "A", "withdraw", -100.0, "h3", day, day],
    ]
    engine.insert(
        tm.qualified("account"),
        rows,
        column_names=[
            "ts",
            "account",
            "account_value",
            "total_ntl_pos",
            "total_margin_used",
            "withdrawable",
            "ingested_at",
            "synced_at",
        ],
        settings={"optimize_on_insert": 0},
    )
    engine.insert(
        tm.qualified("ledger"),
        ledger,
        column_names=["time", "account", "type", "usdc", "hash", "ingested_at", "synced_at"],
        settings={"optimize_on_insert": 0},
    )
    contract_queries.forget()
    return fixture_client(desk_url, "acct_awk")


D = date(2025, 6, 1)


def test_awkward_all_accounts(awkward):
    hourly = _run(awkward, ALL, overview.equity_series, D, D, 3600)
    by_hour = {r["bucket"].hour: r for r in hourly.iter_rows(named=True)}
    # an internal transfer is neither PnL nor a deposit in "all"; B's opening deposit is a deposit
    window = _run(awkward, ALL, overview.pnl_window, D, D).row(0, named=True)
    rounds_a = 24 * 12 - 1  # A earns 1 per round after the first
    rounds_b = 18 * 12 - 1  # B earns 0.5 per round after it opened at 06:00
    # the start mark is the first complete round (00:00); the end mark is the last one (23:55)
    assert window["flows"] == pytest.approx(1000 - 100)
    assert window["deposits"] == pytest.approx(1000) and window["withdrawals"] == pytest.approx(-100)
    assert _pnl(window) == pytest.approx(rounds_a * 1 + rounds_b * 0.5)
    # equity at the end of the day: A and B summed at their last round
    assert by_hour[23]["equity"] == pytest.approx((10_000 + rounds_a - 500 - 100) + (1000 + rounds_b * 0.5 + 500))
    # the round without B (15:00) and the NULL A (16:00) are counted as bad, not read as a fall in equity
    assert by_hour[15]["n_bad_snapshots"] == 1 and by_hour[16]["n_bad_snapshots"] == 1
    assert sum(hourly["n_bad_snapshots"]) == 2
    assert min(hourly["dd_min"]) == pytest.approx(0.0, abs=1e-12)  # equity only rises: no drawdown anywhere
    # before B opened, "all" is A alone (B had not started reporting): rounds at 00:00-05:55 are complete
    assert by_hour[1]["n_snapshots"] == 12 and by_hour[1]["equity"] == pytest.approx(10_000 + 23)  # the 01:55 round


def test_awkward_one_account(awkward):
    window_a = _run(awkward, scope.Scope(account="A"), overview.pnl_window, D, D).row(0, named=True)
    window_b = _run(awkward, scope.Scope(account="B"), overview.pnl_window, D, D).row(0, named=True)
    assert window_a["flows"] == pytest.approx(-500 - 100)  # for one account, the transfer is a withdrawal
    assert window_b["flows"] == pytest.approx(500)  # B's first snapshot already holds its opening deposit
    both = _run(awkward, ALL, overview.pnl_window, D, D).row(0, named=True)
    # B's PnL is counted from its first snapshot (06:00:03); in "all" from the same round on
    assert _pnl(both) == pytest.approx(_pnl(window_a) + _pnl(window_b))


def test_scope_filters_with_a_server_side_parameter():
    tables = table_map_for("x")
    sql = "SELECT count() FROM {trades_db:Identifier}.{trades_tbl:Identifier} WHERE 1"
    out, params = scope.apply(sql, {}, tables, scope.Scope(account="x'; DROP TABLE t --"))
    assert "DROP" not in out and params == {"desk_account": "x'; DROP TABLE t --"}
    assert "WHERE account = {desk_account:String}" in out
    assert scope.apply(sql, {}, tables, scope.EVERY_ACCOUNT) == (sql, {})
    klines = "SELECT 1 FROM {klines_db:Identifier}.{klines_tbl:Identifier}"
    assert scope.apply(klines, {}, tables, scope.Scope(account="A"))[0] == klines  # no account column: as it is
    # a table named by parameters is known by the table it names
    generic = "SELECT 1 FROM {db:Identifier}.{tbl:Identifier}"
    db, tbl = tables.tables["ledger"]
    assert "desk_account" in scope.apply(generic, {"db": db, "tbl": tbl}, tables, scope.Scope(account="A"))[0]


EXTRA_CALLS = [
    ("headline_pnl", overview.headline_pnl, ()),
    ("latest_account_risk", risk.latest_account_risk, ()),
    ("account_risk_series", risk.account_risk_series, (S, E)),
    ("position_risk", risk.position_risk, ()),
    ("pnl_buckets", regimes.pnl_buckets, (S, E)),
    ("lag_sweep", tracking_error.lag_sweep, (S, E, 2)),
    ("order_outcomes", orders.order_outcomes, (S, E)),
    ("api_pressure", orders.api_pressure, (S, E)),
    ("equity_now", overview.equity_now, ()),
    ("stray_rows", odd_data.stray_rows, ()),
]
LISTS = {"fills_page", "coin_fills", "untracked_fills", "flows_list", "heartbeat_buckets"}
RATIO_COLUMNS: dict[str, float] = {}  # columns whose name does not say they are a share of equity
RATIO = ("ret", "weight", "te", "lev", "ratio", "dd", "share", "pct", "index")
SIZE = (
    "equity",
    "notional",
    "pnl",
    "ntl",
    "margin_used",
    "value",
    "realized",
    "fees",
    "funding",
    "flows",
    "deposits",
    "withdrawals",
)


def test_all_accounts_every_statement(desks):
    """Every page's statement runs on "all"; ratios are the main account's and sizes 1.25 times them."""
    checked = set()
    for name, fn, args in CALLS + EXTRA_CALLS:
        main = _run(desks["acct_main"], scope.EVERY_ACCOUNT, fn, *args)
        both = _run(desks["acct_two"], ALL, fn, *args)
        assert both.schema == main.schema, name
        if both.height != main.height or name in LISTS or name.startswith(("sync_", "rows_per_hour", "monitor")):
            continue  # lists of rows (each account's rows are listed), row counts of the sync: nothing to scale
        for col, dtype in main.schema.items():
            if not dtype.is_float():
                continue
            factor = RATIO_COLUMNS.get(
                f"{name}.{col}", 1.0 if any(k in col for k in RATIO) else 1 + K if any(k in col for k in SIZE) else None
            )
            if factor is None:
                continue
            bad = [(b, m) for b, m in zip(both[col], main[col]) if not _scaled(b, m, factor)]
            assert not bad, (name, col, factor, bad[:3])
            checked.add(f"{name}.{col}")
    assert len(checked) >= 40, sorted(checked)


def test_all_accounts_positions_are_each_accounts_against_the_desks_equity(desks):
    main = _run(desks["acct_main"], scope.EVERY_ACCOUNT, risk.position_risk)
    both = _run(desks["acct_two"], ALL, risk.position_risk)
    assert both.height == 2 * main.height > 0 and set(both["account"]) == {MAIN, SUB}
    desk_equity = _run(desks["acct_two"], ALL, risk.latest_account_risk)
    for account, share in ((MAIN, 1 / (1 + K)), (SUB, K / (1 + K))):
        mine = both.filter(pl.col("account") == account).sort("coin")
        ref = main.sort("coin")
        assert all(_scaled(g, w, share) for g, w in zip(mine["notional_pct"], ref["notional_pct"]))
        assert all(_scaled(g, w, 1.0) for g, w in zip(mine["liq_distance_pct"], ref["liq_distance_pct"]))
        assert mine["notional_pct"].null_count() == ref["notional_pct"].null_count() < ref.height
    assert desk_equity.height == 1


# --- the rounds computed once per statement (issue 24 §2.3) ---------------------------------


def _inlined(sql: str, subquery: str, _columns, prelude=None) -> str:
    """The definition before: the rounds subquery pasted in place of the account table at every reference."""
    assert not prelude
    return sql.replace(scope.ROUNDS_PLACEHOLDER, subquery)


_REFERENCE = "\n".join(
    line
    for line in (Path(__file__).parent / "rounds_reference.sql").read_text().splitlines()
    if not line.lstrip().startswith("--")
)


def _every_round(patched) -> None:
    """The definition before: every round of the statement's days summed with window functions over the rows
    (rounds_reference.sql; no Recent, no times-only fragment), pasted at every reference."""
    apply = scope.apply
    patched.setattr(scope, "with_rounds", _inlined)
    patched.setattr(scope, "ROUND_ENDS_COLUMNS", frozenset())
    patched.setattr(
        scope, "apply", lambda sql, params, tables, chosen, rounds_start=None: apply(sql, params, tables, chosen)
    )
    patched.setattr(
        scope,
        "_rounds",
        lambda table, rounds_from, _columns: _REFERENCE.replace("__ACCOUNT_TABLE__", table).replace(
            "__ROUNDS_FROM__", rounds_from
        ),  # every value summed, whatever the statement reads
    )


def _old_and_new(client, fn, *args, monkeypatch) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    with recording() as log:
        new = _run(client, ALL, fn, *args)
    with monkeypatch.context() as patched:
        _every_round(patched)
        old = _run(client, ALL, fn, *args)
    return old, new, [sql for sql, _params, _rows in log]


AWKWARD_CALLS = [
    ("equity_series day", overview.equity_series, (D, D, 86400)),
    ("equity_series hour", overview.equity_series, (D, D, 3600)),
    ("pnl_window", overview.pnl_window, (D, D)),
    ("flows_list", overview.flows_list, (D, D)),
    ("headline_pnl", overview.headline_pnl, ()),
    ("latest_account_risk", risk.latest_account_risk, ()),
    ("account_risk_series", risk.account_risk_series, (D, D, 3600)),
]


@pytest.mark.parametrize("name,fn,args", AWKWARD_CALLS, ids=[c[0] for c in AWKWARD_CALLS])
def test_rounds_once_give_the_inlined_answer_on_the_awkward_desk(awkward, monkeypatch, name, fn, args):
    """Duplicates, an account that joins late, a round with a NULL equity, a round without an account and a
    transfer between the accounts: the statement reading the summed rounds once (a MATERIALIZED CTE) answers
    exactly what it answered with the rounds pasted at every reference."""
    old, new, sqls = _old_and_new(awkward, fn, *args, monkeypatch=monkeypatch)
    assert new.height > 0, name
    _same(new, old, name)
    if name == "flows_list":
        return  # the ledger only: transfers netted, no rounds
    reads_account = [sql for sql in sqls if f"arrayJoin({scope.ROUNDS_ROWS})" in sql]
    assert reads_account and all(sql.count(f"AS {scope.ROUNDS_ROWS}") == 1 for sql in reads_account), name


def test_rounds_once_give_the_inlined_answer_for_every_statement(desks, monkeypatch):
    """Every page's statement in "all" on the two-account demo desk: the same rows either way."""
    once = 0
    for name, fn, args in CALLS + EXTRA_CALLS:
        old, new, sqls = _old_and_new(desks["acct_two"], fn, *args, monkeypatch=monkeypatch)
        _same(new, old, name)
        once += any(f"arrayJoin({scope.ROUNDS_ROWS})" in sql for sql in sqls)
    assert once >= 12


def test_the_rounds_go_first_in_the_statements_with_clause():
    tables = table_map_for("x")
    ref, rows = "{account_db:Identifier}.{account_tbl:Identifier}", scope.ROUNDS_ROWS
    read = scope.rounds_read(("ts",))  # the statements name no other column of the account table
    cases = [  # (statement, its start kept as it is, what follows the rounds' definition)
        (
            f"-- notes\n/* more */\nWITH (SELECT max(ts) FROM {ref}) AS hi SELECT hi, count() FROM {ref}",
            "-- notes\n/* more */\n",
            f") AS {rows},\n (SELECT max(ts) FROM {read}) AS hi SELECT hi, count() FROM {read}",
        ),
        (
            f"SELECT ts FROM {ref} AS a UNION ALL SELECT ts FROM {ref}",
            "",
            f") AS {rows}\nSELECT ts FROM {read} AS a UNION ALL SELECT ts FROM {read}",
        ),
        (
            f"  with x AS (SELECT ts FROM {ref}) SELECT ts FROM x",
            "  ",
            f") AS {rows},\n x AS (SELECT ts FROM {read}) SELECT ts FROM x",
        ),
    ]
    for sql, head, tail in cases:
        out, params = scope.apply(sql, {}, tables, ALL)
        assert out.startswith(f"{head}WITH (SELECT groupArray(tuple(ts)) FROM (\n"), out
        assert out.endswith(tail), out
        assert out.count(f"AS {rows}") == 1 and out.count(ref) == 1  # times only: the round ends, one read
        assert params["desk_round_ms"] > 0
    summed, _ = scope.apply(f"SELECT max(ts), argMax(account_value, ts) FROM {ref}", {}, tables, ALL)
    assert summed.count(f"AS {rows}") == 1 and summed.count(ref) == 3  # first snapshots, round ends, snapshots
    # only the values it reads are summed: the equity, not the margin, the notional or the withdrawable
    assert "r_account_value" in summed and not any(
        f"r_{v}" in summed for v in scope.ROUND_VALUES if v != "account_value"
    )
    # the columns a statement names are the ones summed; `*` reads them all
    every = tuple(col for col, _how in scope.ROUNDS_COLUMNS)
    assert scope.rounds_columns(f"SELECT max(ts), argMax(account_value, ts) FROM {ref}", {}) == ("ts", "account_value")
    assert scope.rounds_columns(f"SELECT {{c:Identifier}} FROM {ref}", {"c": "withdrawable"}) == ("ts", "withdrawable")
    assert scope.rounds_columns(f"SELECT a.* FROM {ref} AS a", {}) == every
    assert scope.rounds_columns(f"SELECT *, 1 FROM {ref}", {}) == every
    assert scope.rounds_columns(f"SELECT 2 * account_value FROM {ref}", {}) == ("ts", "account_value")
    # one account: the table filtered in place
    one, _ = scope.apply(f"SELECT ts FROM {ref}", {}, tables, scope.Scope(account="A"))
    assert rows not in one and "account = {desk_account:String}" in one


# --- statements of the newest hours read only the recent rounds (issue 24 §2.3, second pass) ------------------


def _silent_desk(engine, desk_url, prefix, *, hours, b_stops_before_end_h=None, newest_null=False, future=False):
    """Accounts A (snapshots at :01 every 5 minutes) and B (:03) for `hours` hours ending 2025-07-10 12:00, with
    positions every hour. B stops `b_stops_before_end_h` hours before the end (its snapshots and its positions);
    `newest_null`: A's newest snapshot has no equity; `future`: one A row dated 2099 (a bad clock)."""
    tm = create_tables(engine, prefix)
    end = t(2025, 7, 10, 12)
    first = end - timedelta(hours=hours)
    b_stop = None if b_stops_before_end_h is None else end - timedelta(hours=b_stops_before_end_h)
    rows, positions = [], []
    mark = first
    while mark < end:
        last = mark + timedelta(minutes=5) >= end
        ta, tb = mark + timedelta(seconds=1), mark + timedelta(seconds=3)
        rows.append(_account_row(ta, "A", None if newest_null and last else 10_000.0 + (mark - first).seconds / 60))
        if b_stop is None or mark < b_stop:
            rows.append(_account_row(tb, "B", 2_000.0))
        if mark.minute == 0:
            for account, at, size in (("A", ta, 2.0), ("B", tb, -1.0)):
                if account == "A" or b_stop is None or mark < b_stop:
                    positions.append([at, account, "BTC", size, 100.0, abs(size) * 110, 10.0, 3.0, 50.0, 70.0, at, at])
        mark += timedelta(minutes=5)
    if future:
        rows.append(_account_row(t(2099, 1, 1), "A", 1.0))
    names = ["ts", "account", "account_value", "total_ntl_pos", "total_margin_used", "withdrawable"]
    engine.insert(tm.qualified("account"), rows, column_names=[*names, "ingested_at", "synced_at"])
    engine.insert(
        tm.qualified("positions"),
        positions,
        column_names=POSITION_COLS,
    )
    contract_queries.forget()
    return fixture_client(desk_url, prefix), end, b_stop


RECENT_END = t(2025, 7, 10, 12)
RECENT_CALLS = [
    ("equity_now", overview.equity_now, ()),
    ("latest_account_risk", risk.latest_account_risk, ()),
    ("position_risk", risk.position_risk, ()),
    ("data_as_of", health.data_as_of, ()),
    ("headline_pnl", overview.headline_pnl, ()),
]  # System Health's sync statistics and odd rows read the stored rows, not the rounds (the test after this one)
RECENT_NAMES = {"equity_now", "latest_account_risk", "position_risk"}
SILENT_DESKS = {  # prefix: (hours of history, B silent for the last N hours, A's newest equity NULL, a 2099 row)
    "acct_silent": (96, 72, False, False),  # B silent for 3 days: longer than every window
    "acct_null": (96, None, True, True),  # the newest round has no equity; a row dated in the future
    "acct_young": (2, None, False, False),  # a desk younger than the windows
    "acct_young_null": (2, 1, True, False),
}


@pytest.fixture(scope="module")
def silent_desks(engine, desk_url):
    return {
        prefix: _silent_desk(engine, desk_url, prefix, hours=h, b_stops_before_end_h=b, newest_null=n, future=f)
        for prefix, (h, b, n, f) in SILENT_DESKS.items()
    }


@pytest.mark.parametrize("prefix", list(SILENT_DESKS))
def test_recent_rounds_give_every_rounds_answer(silent_desks, monkeypatch, prefix):
    """Each statement of the newest hours answers in "all accounts" exactly what it answered when every round
    of the history was summed, on desks where the windows cannot see everything: an account silent for 3 days,
    a newest round without equity, a row dated 2099, a desk 2 hours old."""
    client, _end, _b_stop = silent_desks[prefix]
    for name, fn, args in RECENT_CALLS:
        old, new, sqls = _old_and_new(client, fn, *args, monkeypatch=monkeypatch)
        assert new.height > 0, (prefix, name)
        _same(new, old, f"{prefix} {name}")
        if name in RECENT_NAMES:  # where the rounds start (the snapshots as they are), [usable rounds,] the statement
            assert "rounds_start" in sqls[0] and "first_snapshots" not in sqls[0], name
            assert len(sqls) == 2 + (name == "equity_now") and "first_snapshots" in sqls[-1], name
        elif name != "headline_pnl":  # since inception: every round, summed
            *first, sql = sqls
            assert "round_ends" in sql and "first_snapshots" not in sql, name  # times only: nothing summed
            if name == "data_as_of":  # inception first, over the snapshots as they are
                (inception_sql,) = first
                assert "inception_gap_days" in inception_sql and scope.ROUNDS_ROWS not in inception_sql, name
            else:
                assert not first, name


def test_equity_now_reaches_back_past_the_window(silent_desks, monkeypatch):
    """B went silent 3 days ago: every round since is incomplete, so "all" has had no usable equity for 3 days.
    The recent rounds hold no usable one: the statement reads every round, and says since when."""
    client, end, b_stop = silent_desks["acct_silent"]
    with recording() as log:
        now = _run(client, ALL, overview.equity_now).row(0, named=True)
    b_last = b_stop - timedelta(minutes=5) + timedelta(seconds=3)  # B's last snapshot: its round ends there
    assert now["equity"] is None and now["ts"] == end - timedelta(minutes=5) + timedelta(seconds=1)
    assert now["last_usable_ts"] == b_last and now["last_usable_equity"] == pytest.approx(
        10_000 + (b_last - timedelta(seconds=3) - (end - timedelta(hours=96))).total_seconds() / 60 + 2_000
    )
    assert now["unusable_since"] == b_last + timedelta(minutes=5) - timedelta(seconds=2)  # A alone, 5 min later
    _start, usable, sql = ((sql, params) for sql, params, _r in log)
    assert usable[1].get(scope.ROUNDS_START) is not None  # the rounds of the day before the newest: none usable
    assert scope.ROUNDS_START not in sql[0] and scope.ROUNDS_START not in sql[1]  # so every round
    # with one account, B's own equity is usable and A's is too
    b_now = _run(client, scope.Scope(account="B"), overview.equity_now).row(0, named=True)
    assert b_now["equity"] == pytest.approx(2_000) and b_now["unusable_since"] is None


def test_recent_rounds_read_only_the_newest_hours(awkward):
    """On a day of rounds, the account risk reads the rounds from a round start before its 26 h: all of them
    here; the round ends for the times-only statements are the summed rounds' times."""
    with recording() as log:
        _run(awkward, ALL, risk.latest_account_risk)
        _run(awkward, ALL, health.data_as_of)
    start_sql, risk_sql, inception_sql, as_of_sql = (sql for sql, _p, _r in log)
    assert "first_snapshots" not in start_sql and scope.ROUNDS_START in risk_sql and "first_snapshots" in risk_sql
    assert "round_ends" in as_of_sql and "first_snapshots" not in as_of_sql
    # inception first, over every account's snapshots as they are (queries/engine/inception.py), then bound
    assert "inception_gap_days" in inception_sql and scope.ROUNDS_ROWS not in inception_sql
    assert "desk_inception_ts" in as_of_sql and "inception_gap_days" not in as_of_sql
    every = _run(awkward, ALL, overview.equity_series, D, D, 3600)
    newest = _run(awkward, ALL, health.data_as_of).row(0, named=True)
    assert newest["account_ts"] == max(every["equity_ts"])  # the newest round: B's snapshot at 23:55:03
    assert newest["account_ts"] == t(2025, 6, 1, 23, 55, 3)
    # inception in "all": the desk's first snapshot (every account's, as they are), not its round's end
    raw = _run(awkward, scope.EVERY_ACCOUNT, health.data_as_of).row(0, named=True)
    assert newest["inception_ts"] == raw["inception_ts"] < min(every["equity_ts"])


def test_a_round_longer_than_the_read_margin_is_read_whole(engine, desk_url, monkeypatch):
    """The rounds-start statement reads the snapshot times from an hour before its instant, not the whole history.
    On a desk where A snapshots every 10 s for 28 hours (one round, never a 30 s gap) and B only in its first hour,
    the round the account risk needs (26 h back) is cut by that bound, and B's rows with it: the statement says so
    (NULL) and every round is read, with the whole history's answer (A's newest plus B's)."""
    tm = create_tables(engine, "acct_chain")
    end = t(2025, 7, 10, 12)
    rows = [_account_row(end - timedelta(seconds=10 * i), "A", 1_000.0 + i) for i in range(28 * 360)]
    rows += [_account_row(end - timedelta(seconds=10 * i + 5), "B", 500.0) for i in range(27 * 360, 28 * 360)]
    names = ["ts", "account", "account_value", "total_ntl_pos", "total_margin_used", "withdrawable"]
    engine.insert(tm.qualified("account"), rows, column_names=[*names, "ingested_at", "synced_at"])
    contract_queries.forget()
    client = fixture_client(desk_url, "acct_chain")
    old, new, sqls = _old_and_new(client, risk.latest_account_risk, monkeypatch=monkeypatch)
    _same(new, old, "latest_account_risk")
    start_sql, risk_sql = sqls
    assert "before_ms" in start_sql and scope.ROUNDS_START not in risk_sql  # cut, so every round
    assert new.item(0, "equity") == 1_000.0 + 500.0
    overview.equity_now.clear()  # cached per scope, not per client: another desk's "all" answer may be there
    with use_client(client), scope.use(ALL), recording() as log:
        assert overview.equity_now().item(0, "equity") == old.item(0, "equity")
    assert scope.ROUNDS_START not in log[-1][0]


def test_sync_statistics_run_alone_over_the_rows_as_they_are(silent_desks):
    """System Health's sync statistics in "all accounts", on desks the rounds' windows cannot see whole: one
    statement per table, over every account's rows, the answer of a desk read unchanged."""
    for prefix in SILENT_DESKS:
        client, end, _b_stop = silent_desks[prefix]
        for name, fn, args in (
            ("sync_stats account", health.sync_stats, ("account", end)),
            ("sync_stats positions", health.sync_stats, ("positions", end)),
            ("rows_per_hour", health.rows_per_hour, ("account", end, 48)),
            ("future_rows", odd_data.future_rows, ()),
        ):
            with recording() as log:
                got = _run(client, ALL, fn, *args)
            assert len(log) == 1 and scope.ROUNDS_ROWS not in log[0][0], (prefix, name)
            _same(got, _run(client, scope.EVERY_ACCOUNT, fn, *args), f"{prefix} {name}")


def test_recent_needs_an_anchor():
    with pytest.raises(ValueError):
        scope.Recent().from_ms()
    both = scope.Recent(newest_account=timedelta(hours=1), since=t(2025, 1, 1))
    assert both.from_ms().startswith("least(") and both.params()["desk_recent_account_ms"] == 3_600_000


# --- System Health's statements about the stored rows read them as they are ------------------------------------


def test_system_health_counts_the_rows_the_sync_stored_in_all_accounts(awkward):
    """Sync statistics, rows per hour and the odd-rows checks are about the rows the sync stored. With "all
    accounts" they count every account's rows as they are, A's duplicate syncs and the ledger's twice-synced
    transfer included: never the summed rounds (one row a round, duplicates gone) or the netted ledger."""
    end = t(2025, 6, 2)
    # the fixture's rows, counted from its description: A every 5 minutes synced twice, B from 06:00 but 15:00
    a_keys, b_keys = 24 * 12, 18 * 12 - 1
    account = _run(awkward, ALL, health.sync_stats, "account", end).row(0, named=True)
    assert (account["rows_7d"], account["keys_7d"], account["dup_rows_7d"]) == (
        2 * a_keys + b_keys,
        a_keys + b_keys,
        a_keys,
    )
    ledger = _run(awkward, ALL, health.sync_stats, "ledger", end).row(0, named=True)
    assert (ledger["rows_7d"], ledger["keys_7d"], ledger["dup_rows_7d"]) == (5, 4, 1)
    per_hour = _run(awkward, ALL, health.rows_per_hour, "account", end, 24)
    assert per_hour["rows"].sum() == 2 * a_keys + b_keys and per_hour["keys"].sum() == a_keys + b_keys
    assert per_hour.row(0, named=True)["rows"] == 24  # 00:00-01:00: A's 12 snapshots, each twice; B not open yet
    # the same rows as a desk that reads its tables unchanged, and no statement sums a round or nets the ledger
    with recording() as log:
        for fn, args in (
            (health.sync_stats, ("account", end)),
            (health.sync_stats, ("ledger", end)),
            (health.rows_per_hour, ("account", end, 24)),
            (odd_data.future_rows, ()),
            (odd_data.stray_rows, ()),
            (odd_data.null_key_rows, ()),
        ):
            _same(_run(awkward, ALL, fn, *args), _run(awkward, scope.EVERY_ACCOUNT, fn, *args), fn.__name__)
    assert log and not any(scope.ROUNDS_ROWS in sql or "l_usdc" in sql for sql, _p, _r in log)  # l_usdc: netted
