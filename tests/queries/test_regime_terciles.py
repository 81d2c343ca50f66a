"""Volatility terciles split the range's hours evenly: 720 hours are 240 low, 240 mid, 240 high.

`quantilesExact(1/3, 2/3)` takes the element at ⌊q·n⌋ (0-based), one past the n/3-th: `vol <= q1` then holds
241 hours and the split came out 241/240/239. Thirty days of hourly BTC candles on a random walk (every hour's
24-hour vol distinct) and one account snapshot per hour, so each range hour carries exactly one interval.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from queries.book import regimes as regime_queries
from queries.engine.run import use_client
from tests.queries.fixture_desk import ACCOUNT_COLS, KLINE_COLS, create_tables, fixture_client, t

PREFIX = "fxterc"
ACCT = "0xterc"
START, END = date(2025, 6, 1), date(2025, 6, 30)  # 30 UTC days: 720 hours


def test_720_hours_split_240_240_240(engine, desk_url):
    rng = random.Random(7)
    t0 = t(2025, 6, 1)
    klines, close, h = [], 60_000.0, t0 - timedelta(days=2)
    while h < t(2025, 7, 1):
        close *= math.exp(rng.gauss(0, 0.004 * (1 + (h.hour % 7))))  # uneven vol: distinct 24 h stddevs
        klines.append([h, "BTCUSDT", close, close, close, close, 1.0])
        h += timedelta(hours=1)
    # one snapshot a minute before each whole hour: interval k spans (k-1):59 .. k:59, its midpoint in hour k
    account = []
    for k in range(-1, 720):
        ts = t0 + timedelta(hours=k, minutes=59)
        account.append([ts, ACCT, 100_000.0 + k, 150_000.0, 10_000.0, 90_000.0 + k, ts, ts])
    tm = create_tables(engine, PREFIX)
    engine.insert(tm.qualified("klines"), klines, column_names=KLINE_COLS)
    engine.insert(tm.qualified("account"), account, column_names=ACCOUNT_COLS)

    regime_queries.pnl_buckets.clear()
    with use_client(fixture_client(desk_url, PREFIX)):
        got = regime_queries.pnl_buckets(START, END)
    vol = {r["bucket"]: (r["n_hours"], r["n_intervals"]) for r in got.iter_rows(named=True) if r["dim"] == "vol"}
    assert vol == {"low": (240, 240), "mid": (240, 240), "high": (240, 240)}
