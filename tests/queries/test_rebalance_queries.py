"""queries/rebalance (targets of a date, asset metadata, newest closes, the rebalance's steps) and
queries.book.orders.orders_by_coin/coin_orders on chdb vs plain Python, on a fixture with the awkward cases:
a target row delivered twice, an asset-meta row re-synced with a correction (the newest sync wins), a coin
dropped from the newest poll, a meta row dated in the future, a duplicated candle, a zero close, a candle whose
hour has not closed, a 1000x contract, a fill re-synced with another size, a spot fill, fills outside the
window, fills of one millisecond, orders rejected without an 'open' row and canceled after a partial fill."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from lib.book import symbols
from queries.book import orders
from queries.engine.run import use_client
from queries.rebalance import inputs, progress
from tests.queries.fixture_desk import KLINE_COLS, TARGET_COLS, TRADE_COLS, create_tables, fixture_client, t
from tests.queries.test_regimes_risk_prices_orders_queries import ORDER_COLS

PREFIX = "fxrb21"
ACCT = "0xrb"
DAY = date(2025, 6, 10)
T0 = datetime(2025, 6, 10, tzinfo=UTC)
META_COLS = [
    "updated_at",
    "coin",
    "sz_decimals",
    "max_leverage",
    "only_isolated",
    "is_delisted",
    "ingested_at",
    "synced_at",
]


def meta_rows() -> list[list]:
    p1, p2 = t(2025, 6, 9, 18, 0, 40), t(2025, 6, 10, 0, 0, 40)
    future = datetime.now(UTC) + timedelta(days=400)
    s = timedelta(seconds=30)
    return [
        [p1, "AAA", 2, 10, False, False, p1, p1 + s],
        [p2, "AAA", 3, 10, False, False, p2, p2 + s],
        [p2, "AAA", 4, 20, True, False, p2, p2 + 2 * s],  # the same poll re-synced, corrected: wins
        [p1, "BBB", 1, 5, False, False, p1, p1 + s],  # not in the newest poll
        [p2, "CCC", 0, 3, False, True, p2, p2 + s],
        [future, "CCC", 5, 50, False, False, future, future + s],  # a bad clock: ignored
    ]


def kline_rows() -> list[list]:
    rows = []
    for h in range(0, 12):
        open_time = T0 + timedelta(hours=h)
        rows.append([open_time, "AAAUSDT", 10.0 + h, 11.0 + h, 9.0 + h, 10.5 + h, 1.0])
        rows.append([open_time, "1000PEPEUSDT", 0.008, 0.009, 0.007, 0.008 + h * 0.0001, 1.0])
    rows.append(rows[0])  # a duplicated candle
    rows.append([T0 + timedelta(hours=5), "BBBUSDT", 2.0, 2.0, 2.0, 0.0, 1.0])  # zero close: no price
    rows.append([T0 - timedelta(hours=3), "BBBUSDT", 2.0, 2.0, 2.0, 2.2, 1.0])
    return rows


def trade_rows() -> list[list]:
    tid = iter(range(10_000, 11_000))

    def fill(ts, coin, side, sz, px=10.0, synced=None, same_tid=None):
        k = same_tid if same_tid is not None else next(tid)
        return [
            ts,
            ACCT,
            coin,
            side,
            px,
            sz,
            0.0,
            "x",
            0.0,
            0.0,
            "USDC",
            k,
            k,
            None,
            True,
            "0x",
            ts,
            synced or ts + timedelta(seconds=30),
        ]

    ms = T0 + timedelta(seconds=41, milliseconds=123)
    rows = [
        fill(T0 - timedelta(seconds=5), "AAA", "B", 99.0),  # before 00:00: not this rebalance
        fill(ms, "AAA", "B", 5.0),
        fill(ms, "AAA", "B", 2.0),  # same millisecond: summed
        fill(T0 + timedelta(seconds=70), "BBB", "A", 3.0, px=2.0),
        fill(T0 + timedelta(seconds=70), "@107", "B", 4.0),  # spot: no perp position
        fill(T0 + timedelta(seconds=80), "CCC", "B", 0.0),  # a size that is not positive
        fill(T0 + timedelta(hours=2), "AAA", "A", 1.0),  # after `until`
    ]
    again = fill(T0 + timedelta(seconds=95), "kPEPE", "B", 1000.0, px=0.008, same_tid=777)
    fix = fill(
        T0 + timedelta(seconds=95), "kPEPE", "B", 1500.0, px=0.008, same_tid=777, synced=T0 + timedelta(minutes=9)
    )
    return rows + [again, fix]  # re-synced with a corrected size: the newest sync wins


def order_rows() -> list[list]:
    rows = []

    def order(oid, coin, placed, statuses, orig=10.0):
        for k, (status, remain) in enumerate(statuses):
            ts = placed + timedelta(seconds=k)
            rows.append(
                [ts, ACCT, oid, None, coin, "B", 10.0, remain, orig, "Limit", status, ts, ts + timedelta(seconds=20)]
            )

    order(1, "AAA", T0 + timedelta(seconds=40), [("open", 10.0), ("filled", 0.0)])
    order(2, "BBB", T0 + timedelta(seconds=60), [("rejected", 10.0)])  # no 'open' row
    order(3, "BBB", T0 + timedelta(seconds=65), [("open", 10.0), ("canceled", 6.0)])
    order(4, "AAA", T0 - timedelta(hours=1), [("open", 10.0), ("filled", 0.0)])  # the day before the window
    rows.append(list(rows[0]))  # a duplicated status row
    return rows


@pytest.fixture(scope="module")
def fx(engine, desk_url):
    tm = create_tables(engine, PREFIX)
    engine.insert(tm.qualified("asset_meta"), meta_rows(), column_names=META_COLS)
    engine.insert(tm.qualified("klines"), kline_rows(), column_names=KLINE_COLS)
    engine.insert(tm.qualified("trades"), trade_rows(), column_names=TRADE_COLS)
    engine.insert(tm.qualified("orders"), order_rows(), column_names=ORDER_COLS)
    targets = [[DAY, "AAA", 0.05], [DAY, "BBB", -0.02], [DAY, "AAA", 0.05], [DAY - timedelta(days=1), "AAA", 0.04]]
    engine.insert(tm.qualified("targets"), targets, column_names=TARGET_COLS)
    client = fixture_client(desk_url, PREFIX)
    with use_client(client):
        for fn in (inputs.targets_on, inputs.asset_meta, inputs.newest_closes, progress.rebalance_steps):
            fn.clear()
        orders.orders_by_coin.clear()
        orders.coin_orders.clear()
        yield client
        for fn in (inputs.targets_on, inputs.asset_meta, inputs.newest_closes, progress.rebalance_steps):
            fn.clear()


def test_targets_of_a_date_counted_once(fx):
    got = inputs.targets_on(DAY)
    assert got.to_dicts() == [{"sym": "AAA", "weight": 0.05}, {"sym": "BBB", "weight": -0.02}]
    assert inputs.targets_on(DAY + timedelta(days=1)).height == 0  # no file: empty, not flat


def test_asset_meta_newest_poll_newest_sync(fx):
    rows = meta_rows()
    now = datetime.now(UTC)
    key: dict[tuple, list] = {}
    for r in rows:  # independent: (coin, updated_at) de-duplicated on the newest synced_at, no future rows
        if r[0] <= now and (key.get((r[1], r[0])) is None or r[7] > key[(r[1], r[0])][7]):
            key[(r[1], r[0])] = r
    newest: dict[str, list] = {}
    for (coin, _), r in key.items():
        if coin not in newest or r[0] > newest[coin][0]:
            newest[coin] = r
    got = {r["coin"]: r for r in inputs.asset_meta().iter_rows(named=True)}
    assert set(got) == set(newest) == {"AAA", "BBB", "CCC"}
    for coin, r in newest.items():
        assert (got[coin]["sz_decimals"], got[coin]["max_leverage"]) == (r[2], r[3])
        assert got[coin]["only_isolated"] == r[4] and got[coin]["is_delisted"] == r[5]
        assert got[coin]["updated_at"] == r[0] and got[coin]["newest_poll"] == max(x[0] for x in key.values())
    assert got["AAA"]["sz_decimals"] == 4 and got["BBB"]["updated_at"] < got["BBB"]["newest_poll"]


def test_newest_closes_of_closed_hours(fx):
    as_of = T0 + timedelta(hours=6, minutes=30)
    got = {r["coin"]: r for r in inputs.newest_closes(("AAA", "kPEPE", "BBB", "ZZZ"), as_of).iter_rows(named=True)}
    # independent: the newest candle whose hour ended by as_of, a positive close, x the map's multiplier
    closed = [r for r in kline_rows() if r[0] + timedelta(hours=1) <= as_of and r[5] > 0]
    aaa = max((r for r in closed if r[1] == "AAAUSDT"), key=lambda r: r[0])
    assert got["AAA"]["price"] == aaa[5] and got["AAA"]["close_ts"] == aaa[0] + timedelta(hours=1)
    pepe = max((r for r in closed if r[1] == "1000PEPEUSDT"), key=lambda r: r[0])
    mult = symbols.price_source("kPEPE").multiplier  # one kPEPE is priced by one 1000PEPEUSDT
    assert got["kPEPE"]["price"] == pytest.approx(pepe[5] * mult) and got["kPEPE"]["bn_symbol"] == "1000PEPEUSDT"
    assert got["BBB"]["price"] == 2.2  # the zero close is no price; the older good one is
    assert got["ZZZ"]["price"] is None and got["ZZZ"]["close_ts"] is None  # never listed on Binance


def test_rebalance_steps_from_00_00(fx):
    until = T0 + timedelta(hours=1)
    got = progress.rebalance_steps(DAY, until)
    latest: dict[tuple, list] = {}
    for r in trade_rows():  # independent: (account, tid) de-duplicated on the newest synced_at
        k = (r[1], r[12])
        if k not in latest or r[17] > latest[k][17]:
            latest[k] = r
    steps: dict[tuple, float] = defaultdict(float)
    for r in latest.values():
        spot = r[2].startswith("@") or "/" in r[2]
        if T0 <= r[0] < until and not spot and r[5] > 0:
            steps[(r[2], r[0])] += r[5] if r[3] == "B" else -r[5]
    assert {(x["coin"], x["time"]): x["d_units"] for x in got.iter_rows(named=True)} == dict(steps)
    assert got.filter(got["coin"] == "kPEPE")["d_units"].item() == 1500.0
    assert got["time"].is_sorted()


def test_orders_by_coin_and_a_coins_orders(fx):
    got = {r["coin"]: r for r in orders.orders_by_coin(T0, T0 + timedelta(days=1)).iter_rows(named=True)}
    assert set(got) == {"AAA", "BBB"}
    assert (got["AAA"]["n_orders"], got["AAA"]["n_filled"]) == (1, 1)  # the day before's is outside
    bbb = got["BBB"]
    assert (bbb["n_orders"], bbb["n_rejected"], bbb["n_canceled"]) == (2, 1, 1)
    assert bbb["rejected_at"] == T0 + timedelta(seconds=60) and bbb["canceled_at"] == T0 + timedelta(seconds=66)
    listed = orders.coin_orders("BBB", DAY, DAY)
    assert listed["final_status"].to_list() == ["canceled", "rejected"] and listed["n_orders"][0] == 2
    assert orders.coin_orders("ZZZ", DAY, DAY).height == 0
