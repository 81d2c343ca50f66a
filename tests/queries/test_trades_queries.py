"""Trades SQL (page, summary, per day, per coin, untracked, drill-down) on chdb vs plain Python."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from lib import config
from lib.book import execution
from queries.book import trades
from queries.engine.run import use_client
from tests.queries.fixture_desk import (
    ACCOUNT_COLS,
    KLINE_COLS,
    TRADE_COLS,
    create_tables,
    fixture_client,
    t,
)

PREFIX = "fxtr"
ACCT = "0xtr"
UTC = UTC
START, END = date(2025, 5, 6), date(2025, 5, 7)
ORDER_COLS = [
    "time",
    "account",
    "oid",
    "cloid",
    "coin",
    "side",
    "limit_px",
    "sz",
    "orig_sz",
    "order_type",
    "status",
    "ingested_at",
    "synced_at",
]
MAP = {"kPEPE": ("1000PEPEUSDT", 1.0)}


@dataclass
class TradesFixture:
    trades: list[list] = field(default_factory=list)
    orders: list[list] = field(default_factory=list)
    klines: list[list] = field(default_factory=list)
    account: list[list] = field(default_factory=list)

    def build(self) -> TradesFixture:
        tid = iter(range(9000, 9100))
        position: dict[str, float] = {}

        def fill(ts, coin, side, px, sz, *, maker=False, untracked=False, dup=False, pnl_=0.0, dir_=None):
            n = next(tid)
            start = position.get(coin, 0.0)
            position[coin] = start + (sz if side == "B" else -sz)
            d = dir_ or ("Open Long" if side == "B" else "Open Short")
            fee = px * sz * (0.00015 if maker else 0.00045)
            row = [
                ts,
                ACCT,
                coin,
                side,
                px,
                sz,
                start,
                d,
                pnl_,
                fee,
                "USDC",
                n,
                n,
                None,
                not maker,
                "0xh",
                ts,
                ts + timedelta(seconds=20),
            ]
            self.trades.append(row)
            if dup:
                copy = list(row)
                copy[17] = row[17] + timedelta(minutes=9)
                self.trades.append(copy)
            if not untracked:
                self.orders.append(
                    [ts - timedelta(seconds=2), ACCT, n, None, coin, side, px, sz, sz, "Limit", "open", ts, ts]
                )
                self.orders.append([ts, ACCT, n, None, coin, side, px, 0.0, sz, "Limit", "filled", ts, ts])

        fill(t(2025, 5, 5, 0, 1), "AAA", "B", 100.0, 1.0)  # before the range
        # day 1
        fill(t(2025, 5, 6, 0, 0, 10), "AAA", "B", 101.0, 2.0, dup=True)  # synced twice
        fill(t(2025, 5, 6, 0, 1), "kPEPE", "A", 0.0100, 50_000.0, maker=True)
        fill(t(2025, 5, 6, 0, 4, 59), "AAA", "A", 99.0, 0.5, pnl_=-0.5, dir_="Close Long")
        fill(t(2025, 5, 6, 0, 5, 0), "NOPX", "B", 3.0, 10.0)  # exactly at 00:05: off-window; no candle
        fill(t(2025, 5, 6, 13, 20), "AAA", "B", 104.0, 1.0, untracked=True)  # late and untracked
        # day 2
        fill(t(2025, 5, 7, 0, 2), "AAA", "A", 103.0, 3.5, pnl_=7.0, dir_="Close Long", maker=True)
        fill(t(2025, 5, 7, 0, 2, 30), "kPEPE", "B", 0.0098, 20_000.0, untracked=True)
        fill(t(2025, 5, 7, 0, 3), "NOPX", "A", 3.1, 10.0, pnl_=1.0, dir_="Close Long")
        fill(t(2025, 5, 7, 23, 59, 59), "kPEPE", "B", 0.0097, 30_000.0, dup=True)
        fill(t(2025, 5, 8, 0, 1), "AAA", "B", 103.0, 1.0)  # after the range
        self.orders.append(list(self.orders[3]))  # a duplicated order row

        # candles: the fill hours, plus neighbours with a different open to catch an hour slip
        for day in (5, 6, 7, 8):
            for hour in range(24):
                ts = t(2025, 5, day, hour)
                self.klines.append([ts, "AAAUSDT", 100.0 + day + hour / 100.0, 0, 0, 100.0, 1.0])
                self.klines.append([ts, "1000PEPEUSDT", 0.0099 + hour / 1e6, 0, 0, 0.0099, 1.0])
        self.klines.append(list(self.klines[2 * 24 + 1]))  # a duplicated candle
        self.klines.append([t(2025, 5, 6, 0), "PEPEUSDT", 50.0, 0, 0, 50.0, 1.0])  # the unmapped symbol: unused

        for day in range(3, 9):
            for hour in (6, 22):
                ts = t(2025, 5, day, hour)
                self.account.append([ts, ACCT, 10_000.0 + 100 * day + hour, None, None, None, ts, ts])
        return self

    def insert(self, writer, tm) -> None:
        writer.insert(tm.qualified("trades"), self.trades, column_names=TRADE_COLS)
        writer.insert(tm.qualified("orders"), self.orders, column_names=ORDER_COLS)
        writer.insert(tm.qualified("klines"), self.klines, column_names=KLINE_COLS)
        writer.insert(tm.qualified("account"), self.account, column_names=ACCOUNT_COLS)

    # ------------------------------------------------------------- independent truth
    def fills(self, start: date = START, end: date = END) -> list[dict]:
        t0 = datetime(start.year, start.month, start.day, tzinfo=UTC)
        t1 = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
        unique = {(r[1], r[12]): r for r in self.trades}
        candles = {(r[1], r[0]): r[2] for r in self.klines}
        tracked = {(r[1], r[2]) for r in self.orders}
        out = []
        for r in sorted(unique.values(), key=lambda r: (r[0], r[12])):
            if not (t0 <= r[0] < t1):
                continue
            sym, mult = MAP.get(r[2], (r[2] + "USDT", 1.0))
            hour = r[0].replace(minute=0, second=0, microsecond=0)
            ref = candles.get((sym, hour))
            ref = ref * mult if ref is not None and ref > 0 else None
            out.append(
                {
                    "time": r[0],
                    "coin": r[2],
                    "side": r[3],
                    "px": r[4],
                    "sz": r[5],
                    "notional": r[4] * r[5],
                    "dir": r[7],
                    "closed_pnl": r[8],
                    "fee": r[9],
                    "crossed": r[14],
                    "tid": r[12],
                    "ref_px": ref,
                    "slippage_bps": execution.slippage_bps(r[3], r[4], ref),
                    "tracked": (r[1], r[11]) in tracked,
                    "off_window": (r[0] - r[0].replace(hour=0, minute=0, second=0, microsecond=0))
                    >= timedelta(minutes=5),
                    "pos_after": r[6] + (r[5] if r[3] == "B" else -r[5]),
                }
            )
        return out


@pytest.fixture(scope="module")
def fx(engine, desk_url):
    f = TradesFixture().build()
    tm = create_tables(engine, PREFIX)
    f.insert(engine, tm)
    return f, fixture_client(desk_url, PREFIX)


def _run(client, fn, *args, **kwargs):
    fn.clear()
    with use_client(client):
        return fn(*args, **kwargs)


def _close(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (datetime, str, bool)):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def test_every_fill_matches_python(fx):
    f, client = fx
    df = _run(client, trades.fills_page, START, END, sort="time", descending=False)
    exp = f.fills()
    assert df.height == len(exp) == 9  # duplicates once, nothing outside the range
    for row, e in zip(df.iter_rows(named=True), exp):
        for k, v in e.items():
            assert _close(row[k], v), (k, row[k], v, e["time"])


def test_slippage_signs_and_missing_price(fx):
    _f, client = fx
    df = _run(client, trades.fills_page, START, END, sort="time", descending=False)
    first = df.row(0, named=True)  # AAA buy at 101 vs the 00:00 open of day 6 (106.0)
    assert first["ref_px"] == pytest.approx(106.0)
    assert first["slippage_bps"] == pytest.approx((101.0 / 106.0 - 1) * 1e4)
    pepe = df.filter(df["coin"] == "kPEPE").row(0, named=True)  # sold at 0.0100 vs open 0.0099
    assert pepe["ref_px"] == pytest.approx(0.0099)
    assert pepe["slippage_bps"] == pytest.approx(-(0.0100 / 0.0099 - 1) * 1e4)  # sold above: better
    nopx = df.filter(df["coin"] == "NOPX")
    assert nopx["slippage_bps"].null_count() == 2 and nopx["ref_px"].null_count() == 2


def test_summary_counts(fx):
    f, client = fx
    row = _run(client, trades.fills_summary, START, END).row(0, named=True)
    exp = f.fills()
    priced = [e for e in exp if e["slippage_bps"] is not None]
    assert row["n_fills"] == 9
    assert row["notional_usd"] == pytest.approx(sum(e["notional"] for e in exp))
    assert row["fees"] == pytest.approx(sum(e["fee"] for e in exp))
    assert row["realized"] == pytest.approx(sum(e["closed_pnl"] for e in exp))
    assert row["n_unpriced"] == 2
    assert row["avg_slippage_bps"] == pytest.approx(
        sum(e["slippage_bps"] * e["notional"] for e in priced) / sum(e["notional"] for e in priced)
    )
    assert row["n_untracked"] == 2
    assert row["n_off_window"] == sum(1 for e in exp if e["off_window"]) == 3
    assert row["n_coins"] == 3


def test_daily_execution_matches_python(fx):
    f, client = fx
    df = _run(client, trades.daily_execution, START, END)
    assert df["day"].to_list() == [START, END]
    snaps = sorted((r[0], r[2]) for r in f.account)
    for row in df.iter_rows(named=True):
        d = row["day"]
        fills = [e for e in f.fills() if e["time"].date() == d]
        inside = [e for e in fills if not e["off_window"]]
        ntl = sum(e["notional"] for e in fills)
        priced = [e for e in fills if e["slippage_bps"] is not None]
        sod = [v for ts, v in snaps if ts < datetime(d.year, d.month, d.day, tzinfo=UTC)][-1]
        assert row["n_fills"] == len(fills)
        assert row["first_fill"] == fills[0]["time"] and row["last_fill"] == fills[-1]["time"]
        assert row["span_s"] == pytest.approx((fills[-1]["time"] - fills[0]["time"]).total_seconds())
        assert row["last_in_window"] == inside[-1]["time"]
        assert row["n_off_window"] == len(fills) - len(inside)
        assert row["notional_usd"] == pytest.approx(ntl)
        assert row["equity_sod"] == pytest.approx(sod)
        assert row["turnover"] == pytest.approx(ntl / sod)
        assert row["fee_bps"] == pytest.approx(sum(e["fee"] for e in fills) / ntl * 1e4)
        assert row["maker_share"] == pytest.approx(sum(e["notional"] for e in fills if not e["crossed"]) / ntl)
        assert row["avg_slippage_bps"] == pytest.approx(
            sum(e["slippage_bps"] * e["notional"] for e in priced) / sum(e["notional"] for e in priced)
        )
        assert row["n_unpriced"] == sum(1 for e in fills if e["slippage_bps"] is None)
        assert row["n_untracked"] == sum(1 for e in fills if not e["tracked"])
    day1 = df.row(0, named=True)
    assert day1["n_off_window"] == 2  # 00:05:00.000 exactly and 13:20
    assert day1["last_in_window"] == t(2025, 5, 6, 0, 4, 59)


def test_daily_execution_fills_gap_days_with_zero_fills(fx):
    _f, client = fx
    df = _run(client, trades.daily_execution, date(2025, 5, 5), date(2025, 5, 8))
    assert df["day"].to_list() == [date(2025, 5, d) for d in (5, 6, 7, 8)]
    empty = _run(client, trades.daily_execution, date(2024, 5, 5), date(2024, 5, 8))
    assert empty.height == 0


def test_by_coin_matches_python(fx):
    f, client = fx
    df = _run(client, trades.coin_execution, START, END)
    exp = f.fills()
    assert df["coin"].to_list() == sorted(
        {e["coin"] for e in exp}, key=lambda c: -sum(e["notional"] for e in exp if e["coin"] == c)
    )
    for row in df.iter_rows(named=True):
        fills = [e for e in exp if e["coin"] == row["coin"]]
        priced = [e for e in fills if e["slippage_bps"] is not None]
        assert row["n_fills"] == len(fills)
        assert row["realized"] == pytest.approx(sum(e["closed_pnl"] for e in fills))
        assert row["notional_usd"] == pytest.approx(sum(e["notional"] for e in fills))
        if priced:
            assert row["avg_slippage_bps"] == pytest.approx(
                sum(e["slippage_bps"] * e["notional"] for e in priced) / sum(e["notional"] for e in priced)
            )
        else:
            assert row["avg_slippage_bps"] is None  # no price: unknown, not 0
        assert row["n_unpriced"] == len(fills) - len(priced)
    assert df.filter(df["coin"] == "kPEPE")["bn_symbol"].item() == "1000PEPEUSDT"


def test_untracked_fills_listed(fx):
    _f, client = fx
    df = _run(client, trades.untracked_fills, START, END)
    assert df["tid"].to_list() == [9007, 9005]
    assert not any(df["tracked"].to_list())


@pytest.mark.parametrize("sort", list(config.FILL_SORT_COLUMNS))
@pytest.mark.parametrize("descending", [True, False])
def test_sorting_and_paging(fx, sort, descending):
    f, client = fx
    exp = f.fills()

    known = [e for e in exp if e[sort] is not None]
    if descending:  # key descending, ties newest first
        known.sort(key=lambda e: (e[sort], e["time"], e["tid"]), reverse=True)
    else:  # key ascending, ties newest first
        known.sort(key=lambda e: (e[sort], -e["time"].timestamp(), -e["tid"]))
    unknown = sorted([e for e in exp if e[sort] is None], key=lambda e: (e["time"], e["tid"]), reverse=True)
    expected = [e["tid"] for e in known + unknown]  # NULL (no price) sorts last either way
    pages = [
        _run(client, trades.fills_page, START, END, sort=sort, descending=descending, page=p, page_size=4)
        for p in (1, 2, 3, 4)
    ]
    got = [tid for p in pages for tid in p["tid"].to_list()]
    assert [p.height for p in pages] == [4, 4, 1, 0]
    assert got == expected


def test_filters(fx):
    f, client = fx
    exp = f.fills()
    cases = [
        (dict(coins=("AAA",)), lambda e: e["coin"] == "AAA"),
        (dict(sides=("A",)), lambda e: e["side"] == "A"),
        (dict(liquidity="maker"), lambda e: not e["crossed"]),
        (dict(liquidity="taker", coins=("kPEPE", "NOPX")), lambda e: e["crossed"] and e["coin"] in ("kPEPE", "NOPX")),
        (dict(dirs=("Close Long",)), lambda e: e["dir"] == "Close Long"),
        (dict(coins=("AAA'; DROP TABLE x--",)), lambda e: False),
    ]
    for kwargs, pred in cases:
        df = _run(client, trades.fills_page, START, END, sort="time", descending=False, **kwargs)
        assert df["tid"].to_list() == [e["tid"] for e in exp if pred(e)], kwargs
        n = _run(client, trades.fills_summary, START, END, **kwargs).item(0, "n_fills")
        assert n == sum(1 for e in exp if pred(e)), kwargs


def test_bad_sort_and_liquidity_are_refused_before_sql(fx):
    _f, client = fx
    from lib.inputs import InputError

    with pytest.raises(InputError):
        _run(client, trades.fills_page, START, END, sort="time DESC; DROP TABLE x")
    with pytest.raises(ValueError):
        _run(client, trades.fills_summary, START, END, liquidity="both")


def test_export_cap(fx):
    _f, client = fx
    df = _run(client, trades.fills_export, START, END, cap=5)
    assert df.height == 6  # cap + 1 tells the page the export was capped
    full = _run(client, trades.fills_export, START, END)
    assert full.height == 9


def test_facets(fx):
    _f, client = fx
    df = _run(client, trades.fill_facets, START, END)
    coins = dict(df.filter(df["facet"] == "coin").select("value", "n").iter_rows())
    assert coins == {"AAA": 4, "kPEPE": 3, "NOPX": 2}
    dirs = dict(df.filter(df["facet"] == "dir").select("value", "n").iter_rows())
    assert dirs == {"Open Long": 5, "Open Short": 1, "Close Long": 3}
    # the filter lists are in this order: facet, most fills first, then by name (in both branches of the union)
    assert df.select("facet", "value").rows() == [
        ("coin", "AAA"),
        ("coin", "kPEPE"),
        ("coin", "NOPX"),
        ("dir", "Open Long"),
        ("dir", "Close Long"),
        ("dir", "Open Short"),
    ]


def test_coin_drilldown(fx):
    f, client = fx
    df = _run(client, trades.coin_fills, "kPEPE", START, END)
    exp = [e for e in f.fills() if e["coin"] == "kPEPE"]
    assert df["pos_after"].to_list() == pytest.approx([e["pos_after"] for e in exp])
    assert df["pos_after"].to_list() == pytest.approx([-50_000.0, -30_000.0, 0.0])
    prices = _run(client, trades.coin_prices, "kPEPE", START, END, 3600)
    assert prices.height == 48 and prices["open"][0] == pytest.approx(0.0099)
    daily = _run(client, trades.coin_prices, "kPEPE", START, END, 86400)
    assert daily.height == 2 and daily["n_candles"].to_list() == [24, 24]
    none = _run(client, trades.coin_prices, "NOPX", START, END, 3600)
    assert none.height == 0


def test_repeated_runs_agree(fx):
    """chdb's query condition cache once returned a different answer on a second run: guard it."""
    _f, client = fx
    a = _run(client, trades.daily_execution, START, END)
    b = _run(client, trades.daily_execution, START, END)
    assert a.equals(b)
    c = _run(client, trades.fills_summary, START, END)
    d = _run(client, trades.fills_summary, START, END)
    assert c.equals(d)


def test_intraday_window_reads_only_its_fills(fx):
    """The 24 h preset reads the fills of [lo, hi), not whole days: every query with the same window."""
    f, client = fx
    exp = f.fills()
    times = sorted(e["time"] for e in exp)
    lo, hi = times[2], times[-2]  # from the third fill (inclusive) to the last-but-one (exclusive)
    inside = [e for e in exp if lo <= e["time"] < hi]
    assert 0 < len(inside) < len(exp)
    page = _run(client, trades.fills_page, lo, hi, sort="time", descending=False)
    assert page["tid"].to_list() == [e["tid"] for e in inside]
    summary = _run(client, trades.fills_summary, lo, hi).row(0, named=True)
    assert summary["n_fills"] == len(inside)
    assert summary["notional_usd"] == pytest.approx(sum(e["notional"] for e in inside))
    by_coin = _run(client, trades.coin_execution, lo, hi)
    assert by_coin["n_fills"].sum() == len(inside)
    # whole days as datetimes read the same fills as the days themselves
    days = _run(client, trades.fills_summary, datetime(2025, 5, 6, tzinfo=UTC), datetime(2025, 5, 8, tzinfo=UTC))
    assert days.row(0, named=True)["n_fills"] == 9
    with pytest.raises(ValueError):
        trades._window(hi, lo)
    with pytest.raises(TypeError):
        trades._window(START, hi)


def test_a_taker_only_day_has_maker_share_zero_and_counts_in_the_week(fx):
    """`sumIf` over the Nullable notional is NULL when no maker fill matches: a taker-only day showed "—" and the
    week's notional-weighted figure (lib/reports/weekly.py) dropped that day's notional."""
    f, client = fx
    lo, hi = date(2025, 5, 5), date(2025, 5, 8)  # the 5th and the 8th hold one taker fill each
    df = _run(client, trades.daily_execution, lo, hi)
    by_day = {r["day"]: r for r in df.iter_rows(named=True)}
    assert by_day[lo]["n_fills"] == 1 and by_day[lo]["maker_share"] == 0.0
    assert by_day[hi]["n_fills"] == 1 and by_day[hi]["maker_share"] == 0.0
    fills = f.fills(lo, hi)
    week = sum(e["notional"] for e in fills if not e["crossed"]) / sum(e["notional"] for e in fills)
    assert execution.weighted_mean(df["maker_share"].to_list(), df["notional_usd"].to_list()) == pytest.approx(week)
    assert _run(client, trades.fills_summary, lo, lo).row(0, named=True)["maker_share"] == 0.0
    by_coin = _run(client, trades.coin_execution, START, END)
    assert by_coin.filter(by_coin["coin"] == "NOPX")["maker_share"].item() == 0.0  # NOPX is only taker fills
