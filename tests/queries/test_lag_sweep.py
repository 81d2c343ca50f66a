"""The execution-lag sweep (queries/tracking/lag_sweep.sql) on the real engine, against an independent computation.

A four-day fixture with the awkward cases: no targets dated D-3 for the first
day and none dated D-0 for the last (those lags are null, not 0); two target
dates with identical weights (a tie, which goes to the scheduled lag 2); a
symbol with no candle on one day (unpriced: left out, counted); a day whose
equity is 0 (nothing can be weighed: every lag null, no best lag); a held
coin with no target at all; a 1000x contract; duplicated fills, candles,
targets and account snapshots (the sync delivers some rows twice).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib.book.symbols import price_source
from queries.engine.run import use_client
from queries.tracking.tracking_error import lag_sweep, timeline
from tests.queries.fixture_desk import ACCOUNT_COLS, KLINE_COLS, TARGET_COLS, TRADE_COLS, create_tables, fixture_client

UTC = UTC
HOUR = 2
DAYS = [date(2025, 4, 10), date(2025, 4, 11), date(2025, 4, 12), date(2025, 4, 13)]
PRICES = {"AAA": 100.0, "BBB": 50.0, "kPEPE": 0.01, "DDD": 2.0, "CCC": 3.0, "EEE": 4.0, "FFF": 5.0}
# target weights by date: none dated 04-07 (D-3 of the first day) or 04-13 (D-0 of the last)
WEIGHTS = {
    date(2025, 4, 8): {"AAA": 0.30, "BBB": -0.20, "CCC": 0.05, "kPEPE": 0.10},
    date(2025, 4, 9): {"AAA": 0.50, "BBB": -0.10, "CCC": 0.05, "kPEPE": 0.10, "EEE": 0.02},
    date(2025, 4, 10): {"AAA": 0.50, "BBB": -0.10, "CCC": 0.05, "kPEPE": 0.10, "EEE": 0.02},  # = 04-09
    date(2025, 4, 11): {"AAA": 0.20, "BBB": -0.30, "CCC": 0.0, "kPEPE": 0.05},
    date(2025, 4, 12): {"AAA": 0.10, "BBB": -0.30, "kPEPE": 0.05, "FFF": 0.04},
}
EQUITY = 100_000.0
ZERO_EQUITY_DAY = DAYS[2]
NO_CANDLE = ("BBB", DAYS[3])


def ts(d: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC)


def price(coin: str, d: date) -> float:
    return PRICES[coin] * (1 + 0.01 * (d.day - 9))


class LagFixture:
    def __init__(self) -> None:
        self.trades: list[list] = []
        self.account: list[list] = []
        self.klines: list[list] = []
        self.targets: list[list] = []
        self._tid = 5000
        self._pos: dict[str, float] = {}

    def trade_to(self, when: datetime, coin: str, units: float, dup: bool = False) -> None:
        start = self._pos.get(coin, 0.0)
        delta = units - start
        if delta == 0:
            return
        self._tid += 1
        side = "B" if delta > 0 else "A"
        row = [
            when,
            "0xlag",
            coin,
            side,
            PRICES[coin],
            abs(delta),
            start,
            "x",
            0.0,
            0.0,
            "USDC",
            self._tid,
            self._tid,
            None,
            True,
            "0xh",
            when,
            when + timedelta(seconds=30),
        ]
        self.trades.append(row)
        if dup:
            copy = list(row)
            copy[17] = row[17] + timedelta(minutes=3)
            self.trades.append(copy)
        self._pos[coin] = units

    def rebalance(self, d: date, weights: dict[str, float], dup: bool = False) -> None:
        """Trade at 00:01 to `weights` at D's snapshot price (so the 02:00 weights are exact)."""
        for coin in sorted(set(weights) | set(self._pos)):
            units = weights.get(coin, 0.0) * EQUITY / self._px(coin, d)
            self.trade_to(ts(d, 0, 1), coin, units, dup)

    @staticmethod
    def _px(coin: str, d: date) -> float:
        src = price_source(coin)
        return price(coin, d) * src.multiplier

    def build(self) -> LagFixture:
        d1, d2, d3, d4 = DAYS
        # D1 trades the D-1 targets (04-09) plus an extra DDD; D2 keeps that book (04-09 == 04-10: a tie);
        # D3's equity is 0; D4 trades its D-2 targets (04-11), and BBB has no candle that day.
        self.rebalance(d1, {**WEIGHTS[date(2025, 4, 9)], "DDD": 0.01}, dup=True)
        self.rebalance(d4, WEIGHTS[date(2025, 4, 11)])
        for d in DAYS + [d4 + timedelta(days=1)]:
            for coin in PRICES:
                src = price_source(coin)
                if (coin, d) == NO_CANDLE:
                    continue
                close = price(coin, d)
                row = [ts(d, HOUR), src.symbol, close, close, close, close, 1.0]
                self.klines.append(row)
                if coin == "AAA":
                    self.klines.append(list(row))
                for dh in (-1, 1):  # neighbouring hours, to catch an off-by-one-hour join
                    self.klines.append([ts(d, HOUR + dh), src.symbol, close * 2, close, close, close * 2, 1.0])
        t = ts(d1) - timedelta(days=1)
        while t < ts(d4, 6):
            value = 0.0 if ts(ZERO_EQUITY_DAY, 1) <= t < ts(ZERO_EQUITY_DAY, 4) else EQUITY
            self.account.append([t, "0xlag", value, None, None, None, t, t])
            t += timedelta(minutes=30)
        self.account.append(list(self.account[5]))
        for d, weights in WEIGHTS.items():
            self.targets += [[d, sym, w] for sym, w in weights.items()]
        self.targets.append([date(2025, 4, 9), "AAA", 0.50])  # duplicated target row
        return self

    def insert(self, writer, tm) -> None:
        writer.insert(tm.qualified("trades"), self.trades, column_names=TRADE_COLS)
        writer.insert(tm.qualified("account"), self.account, column_names=ACCOUNT_COLS)
        writer.insert(tm.qualified("klines"), self.klines, column_names=KLINE_COLS)
        writer.insert(tm.qualified("targets"), self.targets, column_names=TARGET_COLS)

    # --- independent truth, straight from the row lists -------------------------------------
    def expected(self) -> dict[tuple[date, int], float | None]:
        fills = {r[12]: r for r in self.trades}  # de-duplicate on tid
        targets = {(r[0], r[1]): r[2] for r in self.targets}
        target_dates = {r[0] for r in self.targets}
        candles = {(r[1], r[0]): r[5] for r in self.klines}
        out: dict[tuple[date, int], float | None] = {}
        for d in DAYS:
            end = ts(d, HOUR + 1)
            pos: dict[str, float] = {}
            for r in sorted(fills.values(), key=lambda r: (r[0], r[12])):
                if r[0] < end:
                    pos[r[2]] = r[6] + (r[5] if r[3] == "B" else -r[5])
            equity = max((r for r in self.account if r[0] < end), key=lambda r: r[0])[2]
            weights: dict[str, float | None] = {}
            for coin, units in pos.items():
                if units == 0:
                    continue
                src = price_source(coin)
                px = candles.get((src.symbol, ts(d, HOUR)))
                weights[coin] = None if px is None or equity <= 0 else units * px * src.multiplier / equity
            for lag in range(4):
                td = d - timedelta(days=lag)
                held_priced = [c for c, w in weights.items() if w is not None]
                if td not in target_dates or (weights and not held_priced):
                    out[(d, lag)] = None
                    continue
                syms = {s for (dd, s) in targets if dd == td} | set(weights)
                sq = 0.0
                for s in syms:
                    if s in weights and weights[s] is None:
                        continue  # unpriced
                    sq += (weights.get(s, 0.0) - targets.get((td, s), 0.0)) ** 2
                out[(d, lag)] = math.sqrt(sq)
        return out


@pytest.fixture(scope="module")
def fx(engine, desk_url):
    f = LagFixture().build()
    tm = create_tables(engine, "fxlag")
    f.insert(engine, tm)
    with use_client(fixture_client(desk_url, "fxlag")):
        lag_sweep.clear()
        timeline.clear()
        sweep = lag_sweep(DAYS[0], DAYS[-1], HOUR)
        tl = timeline(DAYS[0], DAYS[-1], HOUR)
    lag_sweep.clear()
    timeline.clear()
    return f, sweep, tl


def test_every_day_and_lag_matches_independent_computation(fx):
    f, sweep, _ = fx
    expected = f.expected()
    assert sweep.height == len(DAYS) * 4
    got = {(r["holdings_date"], r["lag"]): r["te"] for r in sweep.iter_rows(named=True)}
    assert set(got) == set(expected)
    for key, exp in expected.items():
        if exp is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(exp, rel=1e-9, abs=1e-12), key


def test_missing_target_dates_are_null_not_zero(fx):
    _, sweep, _ = fx
    row = {(r["holdings_date"], r["lag"]): r for r in sweep.iter_rows(named=True)}
    assert row[(DAYS[0], 3)]["te"] is None and row[(DAYS[0], 3)]["has_targets"] is False
    assert row[(DAYS[-1], 0)]["te"] is None and row[(DAYS[-1], 0)]["has_targets"] is False
    assert row[(DAYS[0], 2)]["has_targets"] is True


def test_best_lag_and_tie_goes_to_the_schedule(fx):
    _, sweep, _ = fx
    best = dict(sweep.select("holdings_date", "best_lag").unique().iter_rows())
    assert best[DAYS[0]] == 1  # traded the D-1 weights
    # D2 kept the book: the targets dated D-1 and D-2 are identical, both TEs are the smallest -> 2
    d2 = sweep.filter(pl.col("holdings_date") == DAYS[1]).sort("lag")["te"].to_list()
    assert d2[1] == pytest.approx(d2[2], abs=1e-15) and d2[1] < min(d2[0], d2[3])
    assert best[DAYS[1]] == 2
    assert best[ZERO_EQUITY_DAY] is None  # nothing could be weighed
    assert best[DAYS[3]] == 2


def test_zero_equity_day_is_unknown_and_unpriced_symbol_counted(fx):
    _, sweep, _ = fx
    z = sweep.filter(pl.col("holdings_date") == ZERO_EQUITY_DAY)
    assert z["te"].null_count() == 4 and set(z["n_unpriced"].to_list()) == {6}  # AAA BBB CCC kPEPE EEE DDD held
    last = sweep.filter(pl.col("holdings_date") == DAYS[3])
    assert set(last["n_unpriced"].to_list()) == {1}  # BBB: no candle


def test_scheduled_lag_is_the_daily_te(fx):
    """At lag 2 the sweep is the page's daily TE (lib.tracking.snapshot on the timeline), on days with equity."""
    from lib.tracking import daily as te_daily
    from lib.tracking import snapshot as te_snapshot

    _, sweep, tl = fx
    daily = te_daily.daily_te(te_snapshot.classify_days(tl), DAYS)
    at2 = sweep.filter(pl.col("lag") == 2).select("holdings_date", pl.col("te").alias("sweep_te"))
    joined = daily.join(at2, left_on="date", right_on="holdings_date").filter(pl.col("date") != ZERO_EQUITY_DAY)
    assert joined.height == 3
    for r in joined.iter_rows(named=True):
        assert r["sweep_te"] == pytest.approx(r["te"], rel=1e-12)
