"""Odd fills give right numbers or a flag: bad prices/sizes, fees in other tokens, spot, same-millisecond chains.

Before: 13 NaN fills blanked the range's notional and slippage, negative sizes changed notional
and maker share, a fee of 5,000 PURR was summed as $5,000, spot fills were perp positions, and
the position after a millisecond was the highest trade id's result.
Every expected value is computed here in plain Python from the row lists.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from queries.book import trades
from queries.engine.run import use_client
from queries.tracking import tracking_error
from tests.queries.fixture_desk import (
    ACCOUNT_COLS,
    KLINE_COLS,
    TARGET_COLS,
    TRADE_COLS,
    create_tables,
    fixture_client,
)

UTC = UTC
PREFIX = "fxodd"
DAY = date(2025, 6, 10)
T = datetime(2025, 6, 10, 0, 5, tzinfo=UTC)
NAN, INF = float("nan"), float("inf")
USD_TOKENS = {"USDC", "USD", "USDT"}

# coin, side, px, sz, start_position, fee, fee_token, tid, crossed, ms offset
FILLS = [
    ("AAA", "B", 10.0, 100.0, 0.0, 0.45, "USDC", 1, True, 0),
    ("AAA", "B", NAN, 5.0, 100.0, 0.02, "USDC", 2, True, 10),  # NaN price
    ("AAA", "A", 10.0, -5.0, 105.0, 0.02, "USDC", 3, False, 20),  # negative size
    ("BBB", "B", INF, 1.0, 0.0, 0.01, "USDC", 4, False, 30),  # inf price
    ("CCC", "B", 3.0, 0.0, 0.0, 0.0, "USDC", 5, False, 40),  # zero size
    ("PURR/USDC", "B", 0.2, 25_000.0, 0.0, 5_000.0, "PURR", 6, True, 50),  # spot, fee in its base token
    ("@107", "A", 31.0, 2.0, 0.0, 0.03, "USDC", 7, True, 60),  # spot by index
    ("DDD", "B", 4.0, 50.0, 0.0, 2.0, "HYPE", 8, False, 70),  # fee in a token with a Binance price
    ("DDD", "B", 4.0, 25.0, 50.0, 7.0, "XYZ", 9, True, 80),  # fee in a token without a price
    # EEE: three fills in ONE millisecond; trade-id order is not the chain order (0 -> 10 -> 15 -> 12)
    ("EEE", "B", 2.0, 10.0, 0.0, 0.01, "USDC", 30, True, 90),
    ("EEE", "B", 2.0, 5.0, 10.0, 0.01, "USDC", 10, True, 90),
    ("EEE", "A", 2.0, 3.0, 15.0, 0.01, "USDC", 20, True, 90),
    # FFF: two fills in one millisecond that both start from 0: the chain does not close
    ("FFF", "B", 1.0, 4.0, 0.0, 0.0, "USDC", 41, True, 100),
    ("FFF", "B", 1.0, 6.0, 0.0, 0.0, "USDC", 40, True, 100),
]
KLINES = {"AAAUSDT": 10.0, "DDDUSDT": 4.0, "HYPEUSDT": 30.0, "EEEUSDT": 2.0, "FFFUSDT": 1.0, "CCCUSDT": 3.0}


def _rows():
    trades_rows = []
    for coin, side, px, sz, start, fee, token, tid, crossed, ms in FILLS:
        ts = T + timedelta(milliseconds=ms)
        trades_rows.append(
            [ts, "0xodd", coin, side, px, sz, start, "x", 0.5, fee, token, tid, tid, None, crossed, "0xh", ts, ts]
        )
    hour = T.replace(minute=0)
    klines = [[hour + timedelta(hours=h), s, px, px, px, px, 1.0] for s, px in KLINES.items() for h in (0, 2)]
    klines += [[hour + timedelta(days=1, hours=2), s, px, px, px, px, 1.0] for s, px in KLINES.items()]
    account = [[hour + timedelta(minutes=30 * k), "0xodd", 10_000.0, None, None, None, hour, hour] for k in range(8)]
    targets = [[DAY - timedelta(days=2), "AAA", 0.1], [DAY - timedelta(days=2), "EEE", 0.001]]
    return trades_rows, klines, account, targets


@pytest.fixture(scope="module")
def client(engine, desk_url):
    tm = create_tables(engine, PREFIX)
    tr, kl, ac, tg = _rows()
    engine.insert(tm.qualified("trades"), tr, column_names=TRADE_COLS)
    engine.insert(tm.qualified("klines"), kl, column_names=KLINE_COLS)
    engine.insert(tm.qualified("account"), ac, column_names=ACCOUNT_COLS)
    engine.insert(tm.qualified("targets"), tg, column_names=TARGET_COLS)
    return fixture_client(desk_url, PREFIX)


def _run(client, fn, *args, **kwargs):
    fn.clear()
    with use_client(client):
        return fn(*args, **kwargs)


def _valid(px, sz):
    return math.isfinite(px) and px > 0 and math.isfinite(sz) and sz > 0


def _fee_usd(coin, px, sz, fee, token):
    if not _valid(px, sz):
        return None
    if token in USD_TOKENS:
        return fee
    if "/" in coin and coin.split("/")[0] == token:
        return fee * px
    if token + "USDT" in KLINES:
        return fee * KLINES[token + "USDT"]
    return None


def test_summary_leaves_bad_fills_out_and_counts_them(client):
    s = _run(client, trades.fills_summary, DAY, DAY).row(0, named=True)
    valid = [f for f in FILLS if _valid(f[2], f[3])]
    notional = sum(f[2] * f[3] for f in valid)
    fees = [_fee_usd(f[0], f[2], f[3], f[5], f[6]) for f in FILLS]
    assert s["n_fills"] == len(FILLS)
    assert s["n_invalid"] == 4
    assert s["notional_usd"] == pytest.approx(notional)
    assert s["fees"] == pytest.approx(sum(x for x in fees if x is not None))
    assert s["fees"] == pytest.approx(0.45 + 5_000 * 0.2 + 0.03 + 2.0 * 30.0 + 3 * 0.01 + 0.0)  # by hand
    assert s["n_fee_unconverted"] == 1  # the XYZ fee: listed apart, not in the sum
    assert s["realized"] == pytest.approx(0.5 * len(valid))
    maker = sum(f[2] * f[3] for f in valid if not f[8])
    assert s["maker_share"] == pytest.approx(maker / notional)
    assert s["n_spot"] == 2
    # perp fills without a candle are "without a price"; spot and invalid fills are not judged
    assert s["n_unpriced"] == 0
    assert s["avg_slippage_bps"] == pytest.approx(0.0)  # every priced fill at the candle's open
    assert math.isfinite(s["notional_usd"]) and math.isfinite(s["fees"])


def test_unconverted_fees_are_listed_apart(client):
    df = _run(client, trades.unconverted_fees, DAY, DAY)
    assert df.to_dicts() == [{"fee_token": "XYZ", "n_fills": 1, "fee_in_token": 7.0, "coins": ["DDD"]}]


def test_fill_rows_carry_the_flags(client):
    rows = {r["tid"]: r for r in _run(client, trades.fills_page, DAY, DAY).iter_rows(named=True)}
    assert rows[2]["valid"] is False and rows[2]["notional"] is None and rows[2]["slippage_bps"] is None
    assert rows[3]["valid"] is False and rows[5]["valid"] is False and rows[1]["valid"] is True
    assert rows[6]["spot"] is True and rows[6]["fee_usd"] == pytest.approx(1_000.0) and rows[6]["ref_px"] is None
    assert rows[7]["spot"] is True and rows[1]["spot"] is False
    assert rows[8]["fee_usd"] == pytest.approx(60.0) and rows[9]["fee_usd"] is None


def test_by_coin_and_daily_leave_bad_fills_out(client):
    by = {r["coin"]: r for r in _run(client, trades.coin_execution, DAY, DAY).iter_rows(named=True)}
    assert by["AAA"]["notional_usd"] == pytest.approx(1_000.0) and by["AAA"]["n_invalid"] == 2
    assert by["BBB"]["notional_usd"] is None and by["BBB"]["n_invalid"] == 1
    assert by["PURR/USDC"]["market"] == "spot" and by["AAA"]["market"] == "perp"
    assert by["DDD"]["fees"] == pytest.approx(60.0) and by["DDD"]["n_fee_unconverted"] == 1
    day = _run(client, trades.daily_execution, DAY, DAY).row(0, named=True)
    assert day["n_invalid"] == 4
    assert day["notional_usd"] == pytest.approx(sum(f[2] * f[3] for f in FILLS if _valid(f[2], f[3])))


def test_spot_fills_filter_and_drilldown(client):
    df = _run(client, trades.fills_page, DAY, DAY, ("PURR/USDC", "@107"))
    assert sorted(df["coin"].to_list()) == ["@107", "PURR/USDC"]
    one = _run(client, trades.coin_fills, "@107", DAY, DAY)
    assert one["tid"].to_list() == [7]


def _chain_end(fills):
    """The result no other fill of the millisecond starts from (independent of trade ids)."""
    afters = [s + (z if side == "B" else -z) for _, side, _, z, s, *_ in fills]
    starts = [f[4] for f in fills]
    ends = [a for a in afters if all(abs(a - s) > 1e-9 for s in starts)]
    return ends[0] if len(ends) == 1 else None


def test_timeline_position_follows_the_chain_not_the_trade_ids(client):
    tl = _run(client, tracking_error.timeline, DAY, DAY, 2)
    rows = {r["sym"]: r for r in tl.iter_rows(named=True)}
    eee = [f for f in FILLS if f[0] == "EEE"]
    assert _chain_end(eee) == 12.0
    assert max(eee, key=lambda f: f[7])[4] + 10.0 == 10.0  # what the highest trade id would have said
    assert rows["EEE"]["pos_units"] == 12.0 and rows["EEE"]["chain_open"] is False
    assert rows["FFF"]["chain_open"] is True  # 0 -> 4 and 0 -> 6: no single end
    assert rows["FFF"]["pos_units"] == 4.0  # the highest trade id's result, flagged
    # spot fills are no perp position; bad sizes do not move the book
    assert "PURR/USDC" not in rows and "@107" not in rows
    # AAA: the NaN-price fill still moved the position (its size is fine): 100 -> 105; the negative size did not
    assert rows["AAA"]["pos_units"] == 105.0 and rows["AAA"]["chain_open"] is False
    assert "CCC" not in rows  # a zero-size fill is no position


def test_pnl_window_keeps_fees_in_other_tokens_out_of_usd_fees(client):
    from queries.book import overview

    w = _run(client, overview.pnl_window, DAY, DAY).row(0, named=True)
    usd = [f for f in FILLS if f[6] in USD_TOKENS and math.isfinite(f[5])]
    assert w["fees"] == pytest.approx(sum(f[5] for f in usd))  # not 5,000 PURR as $5,000
    assert w["n_fee_other_token"] == 3  # PURR, HYPE, XYZ
    assert w["n_fills"] == len(FILLS)
