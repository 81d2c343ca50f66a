"""The model book and the shortfall statements (queries/tracking/model_book.py) on the real engine, against the
independent pandas recomputation (tests/model_book/reference.py) on a small hand-made desk with the awkward cases:

* synced duplicates whose newer copy differs (a fill's price, an equity snapshot, a ledger row, funding, a
  positions row): the newest synced_at wins everywhere;
* gaps: a Binance candle missing at a 00:00 instant and one whose close is 0 (the newest valid close stands in);
* nulls: an equity snapshot without a value next to a mark, a positions row without a position value;
* zero equity: the 00:00 snapshot of the third day says 0 (unusable: the mark is the one before);
* a coin with no Binance price at all (PPP, held by hand): its PnL is the residual, counted as unpriced;
* a fee paid in another token (counted, left to the residual), a deposit in the middle of a day, a leg filled
  at 13:20 (timing), the 1000x contract kPEPE, and every account summed ("all accounts" with a sub-account
  at a quarter of the size gives the same bp and 1.25x the dollars).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import polars as pl
import pytest

from queries.engine import scope
from queries.engine.run import use_client
from queries.tracking import model_book as statements
from tests.model_book import reference
from tests.queries.fixture_desk import (
    ACCOUNT_COLS,
    KLINE_COLS,
    SUB,
    TARGET_COLS,
    TRADE_COLS,
    add_sub_account,
    create_tables,
    fixture_client,
)

PREFIX = "mbfx"
ACCT = "0xmodelbook"
DAYS = (date(2025, 5, 10), date(2025, 5, 11), date(2025, 5, 12))
START, END = DAYS[0], DAYS[-1]
BASE = {"AAAUSDT": 10.0, "BBBUSDT": 50.0, "1000PEPEUSDT": 0.01, "CCCUSDT": 3.0}
COIN_SYMBOL = {"AAA": "AAAUSDT", "BBB": "BBBUSDT", "kPEPE": "1000PEPEUSDT", "CCC": "CCCUSDT"}
T0 = datetime(2025, 5, 8, tzinfo=UTC)


def at(d: date, h: int = 0, m: int = 0, s: float = 0.0) -> datetime:
    return datetime(d.year, d.month, d.day, h, m, tzinfo=UTC) + timedelta(seconds=s)


def close(symbol: str, open_time: datetime) -> float:
    k = (open_time - T0).total_seconds() / 3600
    return BASE[symbol] * (1 + 0.002 * k + 0.01 * math.sin(k / 3 + len(symbol)))


class Desk:
    def __init__(self) -> None:
        self.trades: list[list] = []
        self.account: list[list] = []
        self.klines: list[list] = []
        self.targets: list[list] = []
        self.ledger: list[list] = []
        self.funding: list[list] = []
        self.positions: list[list] = []
        self.pos: dict[str, float] = {}
        self.tid = 7000
        self.build()

    def fill(self, when, coin, units, px, fee_token="USDC", dup_px=None):
        start = self.pos.get(coin, 0.0)
        self.tid += 1
        row = [when, ACCT, coin, "B" if units > 0 else "A", px, abs(units), start, "x", 0.0,
               abs(px * units) * 0.00045, fee_token, self.tid, self.tid, None, True, "0xh",
               when + timedelta(seconds=1), when + timedelta(seconds=20)]  # fmt: skip
        self.trades.append(row)
        if dup_px is not None:  # re-synced later with another price: the newest copy is the fill
            copy = list(row)
            copy[4], copy[17] = dup_px, row[17] + timedelta(minutes=3)
            self.trades.append(copy)
        self.pos[coin] = start + units

    def build(self) -> None:
        # hourly candles 05-08 .. 05-13 02:00; BBB's 05-10 23:00 candle missing, AAA's 05-11 23:00 close 0
        h = T0
        while h <= at(date(2025, 5, 13), 2):
            for sym in BASE:
                c = close(sym, h)
                if sym == "BBBUSDT" and h == at(DAYS[0], 23):
                    continue
                if sym == "AAAUSDT" and h == at(DAYS[1], 23):
                    c = 0.0
                self.klines.append([h, sym, c, c, c, c, 1.0])
            h += timedelta(hours=1)
        self.klines.append(list(self.klines[5]))  # a duplicated candle
        weights = {
            date(2025, 5, 7): {"AAA": 0.5, "BBB": -0.3, "kPEPE": 0.1},
            date(2025, 5, 8): {"AAA": 0.4, "BBB": -0.3, "kPEPE": 0.2, "CCC": 0.05},
            date(2025, 5, 9): {"AAA": 0.45, "BBB": -0.25, "kPEPE": 0.2},
            date(2025, 5, 10): {"AAA": 0.45, "BBB": -0.2, "kPEPE": 0.15, "CCC": 0.1},
        }
        for d, ws in weights.items():
            self.targets += [[d, s, w] for s, w in ws.items()]
        self.targets.append([date(2025, 5, 9), "AAA", 0.45])  # a duplicated target row
        # the book: built on 05-08, rebalanced each 00:00, a leg at 13:20, a hand-held coin without a price
        self.fill(at(date(2025, 5, 8), 0, 0, 40), "AAA", 400, 10.0)
        self.fill(at(date(2025, 5, 8), 0, 0, 41), "BBB", -60, 50.0)
        self.fill(at(date(2025, 5, 8), 0, 0, 42), "kPEPE", 200_000, 0.01)
        self.fill(at(DAYS[0], 0, 0, 45), "CCC", 166, 3.01)
        self.fill(at(DAYS[1], 0, 0, 50), "AAA", 50, 10.4, dup_px=10.5)
        self.fill(at(DAYS[1], 0, 0, 51), "BBB", 10, 51.0, fee_token="HYPE")
        self.fill(at(DAYS[1], 0, 0, 52), "CCC", -166, 3.05)
        self.fill(at(DAYS[1], 13, 20, 5), "kPEPE", -50_000, 0.0102)
        self.fill(at(DAYS[2], 0, 1), "BBB", 10, 50.5)
        self.fill(at(DAYS[2], 0, 1, 2), "CCC", 333, 3.0)
        self.fill(at(DAYS[2], 0, 1, 3), "PPP", 100, 2.0)
        # equity every 5 minutes (+2 s); a NULL one before the 05-11 mark, the 05-11 00:00 one re-synced with
        # another value (newest wins), the 05-12 00:00 one 0 (unusable)
        t = at(date(2025, 5, 9))
        while t <= at(date(2025, 5, 13), 1):
            snap = t + timedelta(seconds=2)
            value: float | None = 10_000 + (t - at(date(2025, 5, 9))).total_seconds() / 300
            if t >= at(DAYS[1], 9, 45):
                value += 5_000  # the deposit
            if t == at(DAYS[0], 23, 55):
                value = None
            if t == at(DAYS[2]):
                value = 0.0
            self.account.append([snap, ACCT, value, None, None, None, snap, snap])
            if t == at(DAYS[1]):
                self.account.append([snap, ACCT, 10_555.0, None, None, None, snap, snap + timedelta(minutes=4)])
            t += timedelta(minutes=5)
        # a deposit in the middle of 05-11, delivered twice
        self.ledger.append(
            [at(DAYS[1], 9, 41, 33), ACCT, "deposit", 5_000.0, "0xdep", at(DAYS[1], 9, 42), at(DAYS[1], 9, 43)]
        )
        self.ledger.append(
            [at(DAYS[1], 9, 41, 33), ACCT, "deposit", 5_000.0, "0xdep", at(DAYS[1], 9, 42), at(DAYS[1], 9, 50)]
        )
        # funding at every whole hour on AAA and BBB, one row re-synced with another amount
        t = at(date(2025, 5, 9))
        while t <= at(date(2025, 5, 13), 1):
            for coin, usdc in (("AAA", -0.10), ("BBB", 0.05)):
                self.funding.append(
                    [t, ACCT, coin, usdc, 1.0, 1e-5, t + timedelta(seconds=30), t + timedelta(seconds=40)]
                )
            t += timedelta(hours=1)
        self.funding.append([at(DAYS[1], 5), ACCT, "AAA", -0.30, 1.0, 1e-5, at(DAYS[1], 5, 1), at(DAYS[1], 5, 9)])
        # positions rounds at hh:59:30 on the held coins, marks 10 bp over Binance; a NULL value, a re-synced row
        t = at(date(2025, 5, 9), 20, 59, 30)
        while t <= at(date(2025, 5, 13), 0, 59, 30):
            for coin, units in self._held_at(t).items():
                sym = COIN_SYMBOL.get(coin)
                value = None if sym is None else abs(units) * close(sym, t.replace(minute=0, second=0)) * 1.001
                if coin == "kPEPE" and t == at(DAYS[1], 23, 59, 30):
                    value = None
                self.positions.append([t, ACCT, coin, units, None, value, None, None, None, None, t, t])
            t += timedelta(hours=1)
        self.positions.append([at(DAYS[0], 23, 59, 30), ACCT, "AAA", 400.0, None, 4_321.0, None, None, None, None,
                               at(DAYS[0], 23, 59, 30), at(DAYS[0], 23, 59, 31)])  # fmt: skip

    def _held_at(self, t: datetime) -> dict[str, float]:
        held: dict[str, float] = {}
        for r in sorted(self.trades, key=lambda r: (r[0], r[11], r[17])):
            if r[0] <= t:
                held[r[2]] = r[6] + (r[5] if r[3] == "B" else -r[5])
        return {c: u for c, u in held.items() if u != 0}

    def insert(self, writer, tm) -> None:
        settings = {"optimize_on_insert": 0}
        writer.insert(tm.qualified("trades"), self.trades, column_names=TRADE_COLS, settings=settings)
        writer.insert(tm.qualified("account"), self.account, column_names=ACCOUNT_COLS, settings=settings)
        writer.insert(tm.qualified("klines"), self.klines, column_names=KLINE_COLS, settings=settings)
        writer.insert(tm.qualified("targets"), self.targets, column_names=TARGET_COLS, settings=settings)
        writer.insert(tm.qualified("ledger"), self.ledger,
                      column_names=["time", "account", "type", "usdc", "hash", "ingested_at", "synced_at"],
                      settings=settings)  # fmt: skip
        writer.insert(tm.qualified("funding"), self.funding,
                      column_names=["time", "account", "coin", "usdc", "szi", "funding_rate", "ingested_at", "synced_at"],
                      settings=settings)  # fmt: skip
        writer.insert(tm.qualified("positions"), self.positions,
                      column_names=["ts", "account", "coin", "szi", "entry_px", "position_value", "unrealized_pnl",
                                    "leverage", "liquidation_px", "margin_used", "ingested_at", "synced_at"],
                      settings=settings)  # fmt: skip


@pytest.fixture(scope="module")
def desk(engine, desk_url):
    d = Desk()
    tm = create_tables(engine, PREFIX)
    d.insert(engine, tm)
    frames = {
        name: engine.query_df(f"SELECT * FROM {tm.qualified(name)}")
        for name in ("trades", "account", "positions", "funding", "ledger", "targets", "klines")
    }
    return {"client": fixture_client(desk_url, PREFIX), "raw": reference.from_frames(frames), "tm": tm}


def _product(client, fees: bool = False):
    with use_client(client):
        statements.model_book.clear()
        statements.shortfall.clear()
        book = statements.model_book(START, END, fees, True, 0)
        fall = statements.shortfall(START, END, fees, (), (), 0)
    return book, fall


@pytest.mark.parametrize("fees", [False, True])
def test_the_model_book_and_every_bar_match_the_recomputation(desk, fees):
    book, fall = _product(desk["client"], fees)
    ref = reference.recompute(desk["raw"], START, END, fees=fees, history=0, lags={})
    days = ref["days"].set_index("day")
    got = book.filter(pl.col("kind") == "day").sort("day")
    assert got["day"].to_list() == list(DAYS)
    np.testing.assert_allclose(got["model_equity"].to_numpy(), days.model_equity.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(got["live_pnl"].to_numpy(), days.live_pnl.to_numpy(), atol=1e-6)
    bars = fall.filter((pl.col("kind") == "day") & pl.col("in_range")).sort("day")
    for name in (*reference.BARS, "gap", "residual"):
        np.testing.assert_allclose(bars[name].to_numpy(), days[name].to_numpy(), atol=1e-6, err_msg=name)
    np.testing.assert_allclose(bars["gap_bp"].to_numpy(), days.gap_bp.to_numpy(), atol=1e-9)
    assert bars["n_unpriced"].to_list() == days.n_unpriced.tolist() == [0, 0, 1]  # PPP on the third day
    assert bars["n_fee_other"].to_list() == days.n_fee_other.tolist() == [0, 1, 0]  # the HYPE fee
    assert set(bars["unpriced_coins"][2]) == {"PPP"}
    # the hourly model equity: 23 hours a day between the day's 00:00 points
    hours = book.filter(pl.col("kind") == "hour")
    assert hours.height == 3 * 23
    one = hours.filter(pl.col("ts") == at(DAYS[1], 13)).row(0, named=True)
    assert one["model_equity"] == pytest.approx(reference.hourly_model(ref, desk["raw"], DAYS[1], 13), rel=1e-12)
    if fees:
        rate = bars.filter(pl.col("day") == DAYS[1])["fee_rate"].item()
        assert rate == pytest.approx(ref["fee_rate"], rel=1e-12) and rate > 0


def test_the_awkward_rows_are_read_as_the_contract_says(desk):
    book, fall = _product(desk["client"])
    days = {r["day"]: r for r in book.filter(pl.col("kind") == "day").iter_rows(named=True)}
    # the deposit counts once, on its day, and is no PnL for either book
    assert days[DAYS[1]]["flows"] == pytest.approx(5_000.0)
    assert days[DAYS[0]]["flows"] == 0 and days[DAYS[2]]["flows"] == 0
    # 05-11's mark: the 00:00:02 snapshot as last re-synced (10,555), not its first copy
    assert days[DAYS[1]]["equity"] == pytest.approx(10_555.0)
    # 05-12's 00:00 snapshot is 0: the mark is the snapshot before it (4 min 58 s earlier)
    assert days[DAYS[2]]["t0"] == at(DAYS[1], 23, 55, 2)
    assert days[DAYS[2]]["mark_age_s"] == pytest.approx(298.0)
    # 05-11's flows are (t0, t1] and the mark before 05-11 00:00 skipped the NULL 23:55 snapshot
    assert days[DAYS[0]]["t1"] == at(DAYS[1], 0, 0, 2)
    # the re-synced fill's newer price is the fill: execution of 05-11 uses 10.5 for AAA
    symbols = fall.filter(pl.col("kind") == "symbol")
    assert set(symbols["sym"].to_list()) >= {"AAA", "BBB", "kPEPE", "CCC", "PPP"}
    ppp = symbols.filter(pl.col("sym") == "PPP").row(0, named=True)
    assert ppp["sizing"] is None and ppp["timing"] is None and ppp["n_unpriced"] == 1  # unknown, never 0
    # the leg at 13:20 is timing (price move from the 00:00 close to the start of its hour), not execution
    raw = desk["raw"]
    p0 = reference.price(raw, "kPEPE", reference.midnight(DAYS[1]))
    pref = reference.price(raw, "kPEPE", reference.midnight(DAYS[1]) + pd.Timedelta(hours=13))
    kpepe_day = reference.recompute(raw, START, END, history=0, lags={})["days"].set_index("day")
    assert kpepe_day.loc[DAYS[1], "per_symbol"]["kPEPE"]["timing"] == pytest.approx(50_000 * (pref - p0))


def test_all_accounts_sum_the_books(desk, engine, desk_url):
    """A sub-account at a quarter of the size: 'all accounts' is 1.25x the dollars and the same bp."""
    tm = desk["tm"]
    add_sub_account(engine, tm)
    try:
        with scope.use(scope.Scope(combined=True)):
            book_all, fall_all = _product(desk["client"])
        with scope.use(scope.Scope(account=ACCT)):
            _book_one, fall_one = _product(desk["client"])
    finally:
        for name in ("trades", "positions", "account", "funding", "ledger", "orders"):
            engine.command(f"ALTER TABLE {tm.qualified(name)} DELETE WHERE account = '{SUB}'")
    one = fall_one.filter((pl.col("kind") == "day") & pl.col("in_range")).sort("day")
    both = fall_all.filter((pl.col("kind") == "day") & pl.col("in_range")).sort("day")
    np.testing.assert_allclose(both["gap"].to_numpy(), 1.25 * one["gap"].to_numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(both["gap_bp"].to_numpy(), one["gap_bp"].to_numpy(), atol=1e-6)
    for name in ("sizing", "timing", "execution", "fees", "funding"):
        np.testing.assert_allclose(both[name].to_numpy(), 1.25 * one[name].to_numpy(), rtol=1e-6, atol=1e-6)
    assert book_all.filter(pl.col("kind") == "day")["model_equity"][0] == pytest.approx(
        1.25 * one["equity"][0], rel=1e-9
    )
