"""A demo desk with several accounts (`python -m cli demo --accounts 2`, lib/demo/accounts.py).

Two small desks (35 coins, Dec 1 - Dec 13 2025) are seeded into the session
engine under their own database names, one with the main account only and one
with a sub-account too. Checked from the rows read back: the main account's
rows are identical in both; the sub-account's equity at every 5-minute mark is
recomputed here from its own ledger, fills, funding and the candles
(independently of the generator's timeline); ids never collide; one monitor
round carries both accounts; the feeder keeps feeding both.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from lib.config import table_map
from lib.demo import ACCOUNT, DeskModel, read_state, seed_client
from lib.demo.accounts import SUB_ACCOUNTS, account_names
from lib.demo.desk import DeskState, write_state
from lib.demo.feeder import Feeder
from lib.demo.simulation.market import ms_of
from lib.demo.tables import NEVER
from tests.conftest import DEMO_END, DEMO_START

UTC = UTC
SUB = SUB_ACCOUNTS[0]
START, END = datetime(2025, 12, 1, tzinfo=UTC), datetime(2025, 12, 13, 6, 0, tzinfo=UTC)
COINS = 35
ACCOUNT_TABLES = ("trades", "orders", "funding", "ledger", "account", "positions")
KEYS = {
    "trades": ["account", "tid"],
    "positions": ["account", "ts", "coin"],
    "account": ["account", "ts"],
    "funding": ["account", "coin", "time"],
    "ledger": ["account", "time", "hash"],
    "orders": ["account", "oid", "status"],
}


def _tables(prefix: str):
    return table_map(
        {
            "trades": f"{prefix}_mon.trades",
            "positions": f"{prefix}_mon.positions_snapshots",
            "account": f"{prefix}_mon.account_snapshots",
            "funding": f"{prefix}_mon.funding",
            "ledger": f"{prefix}_mon.ledger",
            "orders": f"{prefix}_mon.orders",
            "heartbeat": f"{prefix}_mon.monitor_heartbeat",
            "sync_log": f"{prefix}_mon.sync_log",
            "targets": f"{prefix}_logs.positions_jianan_v6",
            "klines": f"{prefix}_binance.klines_1h",
            "asset_meta": f"{prefix}_hl.asset_meta",
        }
    )


ONE, TWO = _tables("acct1"), _tables("acct2")


def _canon(table) -> pl.DataFrame:
    """Generated rows in a comparable form (account/coin dictionaries as strings, every column sorted)."""
    return pl.from_arrow(table).with_columns(pl.col(pl.Categorical).cast(pl.Utf8)).sort(pl.all())


def _df(client, sql: str) -> pl.DataFrame:
    return pl.from_arrow(client.query_arrow(sql)).with_columns(pl.col(pl.Categorical).cast(pl.Utf8))


@pytest.fixture(scope="module")
def desks(engine):
    one = seed_client(engine, start=START, end=END, coins=COINS, tables=ONE, force=True)
    two = seed_client(engine, start=START, end=END, coins=COINS, tables=TWO, force=True, accounts=2)
    return one, two


class Rows:
    """One account's rows of the two-account desk, de-duplicated on the natural keys (newest sync wins)."""

    def __init__(self, client, account: str):
        self.d = {}
        for name in ACCOUNT_TABLES:
            df = _df(client, f"SELECT * FROM {TWO.qualified(name)} WHERE account = '{account}'")
            self.d[name] = df.sort("synced_at").unique(subset=KEYS[name], keep="last", maintain_order=True)
        self.klines = _df(client, f"SELECT symbol, open_time, open, close FROM {TWO.qualified('klines')}")


@pytest.fixture(scope="module")
def sub(desks, engine):
    return Rows(engine, SUB.name)


@pytest.fixture(scope="module")
def main(desks, engine):
    return Rows(engine, ACCOUNT)


# --- the main account does not change ------------------------------------------------


def test_the_summary_names_both_accounts(desks):
    one, two = desks
    assert one["accounts"] == [ACCOUNT]
    assert two["accounts"] == [ACCOUNT, f"{ACCOUNT}:sub1"] == account_names(2)


@pytest.mark.parametrize("name", ACCOUNT_TABLES)
def test_main_account_rows_are_identical_with_one_or_two_accounts(desks, engine, name):
    """Every column of every main-account row (duplicates, ingestion and sync times included)."""
    sql = "SELECT * FROM {t} WHERE account = '{a}'"
    a = _df(engine, sql.format(t=ONE.qualified(name), a=ACCOUNT))
    b = _df(engine, sql.format(t=TWO.qualified(name), a=ACCOUNT))
    assert a.height > 0
    assert a.sort(pl.all()).equals(b.sort(pl.all())), name
    other = _df(engine, f"SELECT count() AS n FROM {TWO.qualified(name)} WHERE account = '{SUB.name}'")["n"][0]
    assert other > 0, name  # ... and the sub-account has rows of its own in the same table


@pytest.mark.parametrize("name", ["klines", "targets"])
def test_market_tables_are_identical(desks, engine, name):
    sql = "SELECT count() AS n, sum(cityHash64(*)) AS h FROM {t}"
    assert (
        _df(engine, sql.format(t=ONE.qualified(name))).rows() == _df(engine, sql.format(t=TWO.qualified(name))).rows()
    )


def test_main_rows_identical_on_the_playbook_span_in_the_generator():
    """The session desk's span and coins (where tests/lib/demo/test_desk.py checks the Dec 5-7 playbook days
    exactly): the main account's rows of every table do not depend on the sub-account."""
    first, last = DEMO_START.date(), DEMO_END.date()
    hi = ms_of(DEMO_END)
    r1 = DeskModel(first, last, 60, 7, accounts=1).rows(NEVER, hi)
    r2 = DeskModel(first, last, 60, 7, accounts=2).rows(NEVER, hi)
    for name in ACCOUNT_TABLES:
        a, b = _canon(r1[name]), _canon(r2[name])
        assert a.equals(b.filter(pl.col("account") == ACCOUNT)), name
        assert b.filter(pl.col("account") == SUB.name).height > 0, name
    for name in ("klines", "targets"):
        assert _canon(r1[name]).equals(_canon(r2[name])), name


# --- the sub-account's numbers add up ----------------------------------------------------


def _price(rows: Rows, coin: str, t: datetime) -> float | None:
    """The mark at t: linear between the open and the close of t's hourly candle (the desk's convention)."""
    hour = t.replace(minute=0, second=0, microsecond=0)
    k = rows.klines.filter((pl.col("symbol") == f"{coin}USDT") & (pl.col("open_time") == int(hour.timestamp())))
    if k.is_empty():
        return None
    o, c = float(k["open"][0]), float(k["close"][0])
    return o + (c - o) * (t - hour).total_seconds() / 3600


def _average_cost(fills: pl.DataFrame) -> tuple[dict[str, tuple[float, float]], float]:
    """Position and average entry per coin, and the realised PnL, replaying the fills (average cost)."""
    book: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    realised = 0.0
    for r in fills.sort("time", "tid").iter_rows(named=True):
        pos, entry = book[r["coin"]]
        d = r["sz"] if r["side"] == "B" else -r["sz"]
        if pos == 0 or np.sign(d) == np.sign(pos):
            entry = (abs(pos) * entry + abs(d) * r["px"]) / abs(pos + d)
        else:
            closed = min(abs(d), abs(pos))
            realised += closed * (r["px"] - entry) * np.sign(pos)
            if abs(d) > abs(pos):
                entry = r["px"]
        pos = round(pos + d, 10)
        book[r["coin"]] = [pos, entry if pos != 0 else 0.0]
    return {c: (p, e) for c, (p, e) in book.items()}, realised


def test_sub_account_equity_is_its_deposits_plus_its_pnl_at_every_mark(sub):
    """account_value = deposits + realised + unrealised - fees + funding, all from its own rows;
    every 5-minute mark whose held coins have a candle (the price source) is checked."""
    acc = sub.d["account"].sort("ts")
    checked = 0
    for ts, value in zip(acc["ts"].to_list(), acc["account_value"].to_list()):
        mark = ts.replace(minute=ts.minute - ts.minute % 5, second=0, microsecond=0)
        assert ts - mark < timedelta(seconds=6)
        if ts.hour % 3 or ts.minute % 15:  # every 15 minutes of every third hour: ~400 marks, fast enough
            continue
        fills = sub.d["trades"].filter(pl.col("time") <= mark)
        deposits = sub.d["ledger"].filter(pl.col("time") <= mark)["usdc"].sum()
        funding = sub.d["funding"].filter(pl.col("time") <= mark)["usdc"].sum()
        book, realised = _average_cost(fills)
        unrealised = 0.0
        for coin, (pos, entry) in book.items():
            if pos:
                px = _price(sub, coin, mark)
                if px is None:
                    break
                unrealised += pos * (px - entry)
        else:
            expected = deposits + realised + unrealised - fills["fee"].sum() + funding
            assert value == pytest.approx(expected, abs=0.05, rel=1e-9), ts
            assert fills["closed_pnl"].sum() == pytest.approx(realised, abs=0.01)
            checked += 1
    assert checked > 300


def test_sub_account_equity_changes_by_price_pnl_funding_and_cash_between_marks(sub):
    """Across one rebalance (23:55 -> 00:15): equity moves by the held positions' price PnL, minus fees, plus
    funding (and the fills' own slippage against the mark), nothing else: no hidden cash."""
    acc = sub.d["account"].sort("ts")
    for day in (date(2025, 12, 4), date(2025, 12, 9)):
        a, b = (
            datetime.combine(day, datetime.min.time(), UTC) - timedelta(minutes=5),
            datetime.combine(day, datetime.min.time(), UTC) + timedelta(minutes=15),
        )
        ea = acc.filter(pl.col("ts").dt.truncate("5m") == a)["account_value"][0]
        eb = acc.filter(pl.col("ts").dt.truncate("5m") == b)["account_value"][0]
        before, _ = _average_cost(sub.d["trades"].filter(pl.col("time") <= a))
        fills = sub.d["trades"].filter((pl.col("time") > a) & (pl.col("time") <= b))
        assert fills.height >= 5  # the rebalance
        price_pnl = 0.0
        for coin in set(before) | set(fills["coin"].to_list()):
            pos = before.get(coin, (0.0, 0.0))[0]
            own = fills.filter(pl.col("coin") == coin)
            signed = own.select(pl.when(pl.col("side") == "B").then(pl.col("sz")).otherwise(-pl.col("sz"))).to_series()
            # a position held through the window gains mark(b) - mark(a); a fill gains mark(b) - its price
            price_pnl += pos * (_price(sub, coin, b) - _price(sub, coin, a))
            price_pnl += float((signed * (_price(sub, coin, b) - own["px"])).sum())
        funding = sub.d["funding"].filter((pl.col("time") > a) & (pl.col("time") <= b))["usdc"].sum()
        assert funding != 0
        assert eb - ea == pytest.approx(price_pnl - fills["fee"].sum() + funding, abs=0.05)


def test_sub_account_positions_snapshots_match_its_fills(sub):
    ps = sub.d["positions"]
    for h in range(5, 12 * 24, 11):
        mark = START + timedelta(hours=h, minutes=59, seconds=30)
        rows = ps.filter((pl.col("ts") >= mark) & (pl.col("ts") < mark + timedelta(seconds=5)))
        book, _ = _average_cost(sub.d["trades"].filter(pl.col("time") <= mark))
        held = {c: p for c, (p, _) in book.items() if p}
        assert dict(zip(rows["coin"].to_list(), rows["szi"].to_list())) == pytest.approx(held, rel=1e-9)
        for r in rows.iter_rows(named=True):
            assert r["entry_px"] == pytest.approx(book[r["coin"]][1], rel=1e-7)
            assert r["position_value"] == pytest.approx(abs(r["szi"]) * _price(sub, r["coin"], mark), rel=1e-9)


def test_sub_account_funding_is_paid_on_its_own_positions(sub):
    fu = sub.d["funding"]
    for r in fu.filter(pl.col("time").dt.hour() == 7).head(20).iter_rows(named=True):
        book, _ = _average_cost(sub.d["trades"].filter(pl.col("time") <= r["time"]))
        assert r["szi"] == pytest.approx(book[r["coin"]][0], rel=1e-9)
        assert r["usdc"] == pytest.approx(-r["szi"] * _price(sub, r["coin"], r["time"]) * r["funding_rate"], abs=1e-5)


def test_sub_account_ledger_has_its_own_deposits(sub):
    le = sub.d["ledger"].sort("time")
    got = list(zip(le["time"].to_list(), le["type"].to_list(), le["usdc"].to_list()))
    assert got == [
        (START, "deposit", SUB.initial_deposit),
        (datetime(2025, 12, 3, 10, 26, 51, tzinfo=UTC), "deposit", 50_000.0),
        (datetime(2025, 12, 12, 15, 8, 19, tzinfo=UTC), "withdraw", -75_000.0),
    ]


# --- the two accounts side by side ----------------------------------------------------------


def test_the_sub_account_is_smaller_and_trades_its_own_coins(main, sub):
    marked = [
        r.d["account"].select(pl.col("ts").dt.truncate("5m").alias("mark"), "account_value", "total_ntl_pos")
        for r in (main, sub)
    ]
    both = marked[0].join(marked[1], on="mark", suffix="_sub")
    ratio = both["account_value_sub"] / both["account_value"]
    assert 0.15 < ratio.min() and ratio.max() < 0.4
    assert set(sub.d["positions"]["coin"].to_list()) <= set(SUB.coins)
    assert len(set(sub.d["trades"]["coin"].to_list())) >= 6
    assert sub.d["trades"].height < 0.4 * main.d["trades"].height
    held = both.filter(pl.col("total_ntl_pos") > 0)  # from the first rebalance on
    assert held.height > both.height - 20
    ntl = held["total_ntl_pos_sub"] / held["total_ntl_pos"]
    assert 0.1 < ntl.min() and ntl.max() < 0.4


def test_ids_never_collide_across_accounts(desks, engine):
    for name, key in (
        ("trades", "tid"),
        ("orders", "oid"),
        ("trades", "oid"),
        ("ledger", "hash"),
        ("trades", "hash"),
        ("orders", "cloid"),
    ):
        shared = _df(
            engine,
            f"SELECT {key} FROM {TWO.qualified(name)} WHERE {key} IS NOT NULL "
            f"GROUP BY {key} HAVING uniqExact(account) > 1",
        )
        assert shared.is_empty(), (name, key, shared.head(3))
    tids = _df(
        engine,
        f"SELECT account, min(tid) AS lo, max(tid) AS hi, uniqExact(tid) AS n, count() AS rows "
        f"FROM (SELECT * FROM {TWO.qualified('trades')} LIMIT 1 BY account, tid) GROUP BY account",
    )
    assert sorted(tids["account"].to_list()) == [ACCOUNT, SUB.name]
    assert (tids["n"] == tids["rows"]).all()
    lo, hi = (dict(zip(tids["account"].to_list(), tids[c].to_list())) for c in ("lo", "hi"))
    assert hi[ACCOUNT] < 2**50 <= lo[SUB.name]  # disjoint ranges, not just no collision so far
    # the sub-account's oids come from the same exchange-wide sequence: they increase with time too
    oids = _df(
        engine,
        f"SELECT oid, min(time) AS t FROM {TWO.qualified('orders')} WHERE account = '{SUB.name}' "
        f"GROUP BY oid ORDER BY t, oid",
    )
    assert oids["oid"].is_sorted()


def test_one_monitor_round_carries_both_accounts(main, sub):
    """Each 5-minute mark has both accounts or (in an account-monitor outage) neither; the sub-account
    is written right after the main account, within a couple of seconds."""
    m = main.d["account"].select(mark=pl.col("ts").dt.truncate("5m"), ts=pl.col("ts"))
    s = sub.d["account"].select(mark=pl.col("ts").dt.truncate("5m"), ts_sub=pl.col("ts"))
    assert m.height == s.height and m["mark"].n_unique() == m.height
    both = m.join(s, on="mark", how="full", coalesce=True)
    assert both.null_count().sum_horizontal().item() == 0
    gap = (both["ts_sub"] - both["ts"]).dt.total_milliseconds()
    assert gap.min() >= 300 and gap.max() <= 1_200
    assert ((both["ts_sub"] - both["mark"]).dt.total_milliseconds() < 5_500).all()


# --- the desk state and the feeder ------------------------------------------------------------


def test_the_state_records_the_number_of_accounts(desks, engine):
    assert read_state(engine, ONE).accounts == 1
    assert read_state(engine, TWO).accounts == 2


def test_a_state_table_from_before_accounts_reads_as_one_account(engine):
    tables = _tables("oldstate15")
    engine.command("CREATE DATABASE IF NOT EXISTS oldstate15_mon")
    q = "oldstate15_mon.demo_desk_state"
    engine.command(f"DROP TABLE IF EXISTS {q}")
    engine.command(
        f"CREATE TABLE {q} (end_ms Int64, generator UInt32, seed Int64, coins UInt32, start Date, "
        f"written_at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY end_ms"
    )
    engine.command(f"INSERT INTO {q} VALUES (1000, 2, 7, 35, '2025-12-01', now64())")
    assert read_state(engine, tables) == DeskState(1000, 2, 7, 35, date(2025, 12, 1), 1)
    write_state(engine, tables, DeskState(2000, 2, 7, 35, date(2025, 12, 1), 2))  # the column is added
    assert read_state(engine, tables).accounts == 2


def test_account_counts_the_desk_cannot_build_are_refused():
    with pytest.raises(ValueError, match="1 to 3 accounts"):
        DeskModel(START.date(), START.date(), COINS, accounts=4)
    with pytest.raises(ValueError, match="1 to 3 accounts"):
        account_names(0)


class FakeClock:
    def __init__(self, t: datetime):
        self.t = t.timestamp()

    def __call__(self) -> float:
        return self.t


def _counts(engine, tables, lo: datetime, hi: datetime) -> dict[tuple[str, str], int]:
    out = {}
    for name, col in (
        ("trades", "time"),
        ("account", "ts"),
        ("positions", "ts"),
        ("funding", "time"),
        ("orders", "time"),
    ):
        df = _df(
            engine,
            f"SELECT account, count() AS n FROM {tables.qualified(name)} "
            f"WHERE {col} > toDateTime64('{lo:%Y-%m-%d %H:%M:%S}', 3, 'UTC') GROUP BY account",
        )
        out.update({(name, a): n for a, n in df.rows()})
    return out


def test_the_feeder_keeps_feeding_both_accounts(engine):
    """Seeded with two accounts before midnight, a tick after the 00:00 rebalance appends rows for both;
    a restarted feeder that is not told a count keeps the desk's two; one told 1 rebuilds it."""
    tables = _tables("feedacct")
    t0 = datetime(2025, 12, 9, 23, 40, tzinfo=UTC)
    clock = FakeClock(t0)
    first = Feeder(
        engine,
        tables=tables,
        clock=clock,
        start=datetime(2025, 12, 6, tzinfo=UTC),
        coins=COINS,
        accounts=2,
        host="test-host",
    )
    assert first.prepare() == "seeded" and read_state(engine, tables).accounts == 2
    t1 = datetime(2025, 12, 10, 0, 12, tzinfo=UTC)
    clock.t = t1.timestamp()
    assert first.tick() > 0, first.status.last_error
    new = _counts(engine, tables, t0, t1)
    for name in ("trades", "account", "positions", "funding", "orders"):
        assert new.get((name, ACCOUNT), 0) > 0 and new.get((name, SUB.name), 0) > 0, (name, new)
    clock.t = datetime(2025, 12, 10, 1, 3, tzinfo=UTC).timestamp()
    again = Feeder(engine, tables=tables, clock=clock, start=datetime(2025, 12, 6, tzinfo=UTC), coins=COINS)
    assert again.prepare() == "caught up" and again.state.accounts == 2
    snaps = _df(engine, f"SELECT account, max(ts) AS t FROM {tables.qualified('account')} GROUP BY account")
    assert len(set(snaps["t"].to_list())) == 2 and all(t > t1 for t in snaps["t"].to_list())
    fewer = Feeder(engine, tables=tables, clock=clock, start=datetime(2025, 12, 6, tzinfo=UTC), coins=COINS, accounts=1)
    assert fewer.prepare() == "rebuilt" and read_state(engine, tables).accounts == 1
    left = _df(engine, f"SELECT DISTINCT account FROM {tables.qualified('trades')}")
    assert left["account"].to_list() == [ACCOUNT]


def test_windows_compose_exactly_with_two_accounts():
    """rows(-inf, t1) + rows(t1, t2) from models built through different days == rows(-inf, t2):
    what keeps a fed two-account desk equal to a fresh one (sub-account oids included)."""
    first = date(2025, 12, 6)
    t1 = ms_of(datetime(2025, 12, 9, 23, 59, 59, 999000, tzinfo=UTC))
    t2 = ms_of(datetime(2025, 12, 10, 0, 20, tzinfo=UTC))
    early, late = (
        DeskModel(first, date(2025, 12, 9), COINS, accounts=2),
        DeskModel(first, date(2025, 12, 10), COINS, accounts=2),
    )
    whole, a, b = late.rows(NEVER, t2), early.rows(NEVER, t1), late.rows(t1, t2)
    for name in ACCOUNT_TABLES:
        joined = pl.concat([_canon(a[name]), _canon(b[name])]).sort(pl.all())
        assert _canon(whole[name]).equals(joined), name
    assert _canon(b["trades"]).filter(pl.col("account") == SUB.name).height > 0
