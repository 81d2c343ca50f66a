"""The regime, risk, price-sanity and orders SQL (regimes, risk, price sanity, orders) on chdb vs plain Python, on a fixture with awkward cases:
duplicated synced rows, a zero-equity and a null snapshot, a deposit, a BTC hour with no candle and one with a
zero close, a coin with no candle, a 1000x contract priced without its multiplier, a stale candle run, a
zero-margin account, an order with no fill, a rejected order without an 'open' row, 429s in heartbeats."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest

from lib import config
from lib.book import regimes
from queries.book import orders, risk
from queries.book import regimes as regime_queries
from queries.engine.run import use_client
from queries.health import prices
from tests.queries.fixture_desk import (
    ACCOUNT_COLS,
    KLINE_COLS,
    POSITION_COLS,
    TRADE_COLS,
    create_tables,
    fixture_client,
    t,
)

PREFIX = "fxi15"
ACCT = "0xi15"
UTC = UTC
START, END = date(2025, 5, 2), date(2025, 5, 3)
FUNDING_COLS = ["time", "account", "coin", "usdc", "szi", "funding_rate", "ingested_at", "synced_at"]
LEDGER_COLS = ["time", "account", "type", "usdc", "hash", "ingested_at", "synced_at"]
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
HB_COLS = ["ts", "monitor", "host", "status", "message", "rows", "duration_ms"]


def btc_close(h: datetime) -> float:
    k = (h - t(2025, 4, 28)).total_seconds() / 3600
    return 50_000.0 * (1 + 0.03 * math.sin(k / 9.0) + 0.0004 * k) * (1 + 0.002 * math.cos(k * 1.7))


def equity_at(ts: datetime) -> float:
    k = (ts - t(2025, 4, 28)).total_seconds() / 1800
    return 100_000.0 + 300.0 * math.sin(k / 5.0) + 10.0 * k


class Desk:
    """Rows of every table, kept as lists so the expected values are computed from them directly."""

    def __init__(self) -> None:
        self.account, self.trades, self.funding, self.ledger, self.klines = [], [], [], [], []
        self.positions, self.orders, self.heartbeat = [], [], []
        deposit_t = t(2025, 5, 2, 10, 10)
        ts = t(2025, 4, 30, 0, 0, 2)
        while ts < t(2025, 5, 4, 3):
            value = equity_at(ts) + (5_000.0 if ts >= deposit_t else 0.0)
            if ts == t(2025, 5, 2, 7, 0, 2):
                value = 0.0  # a bad snapshot: skipped
            elif ts == t(2025, 5, 3, 4, 30, 2):
                value = None  # a missing value: skipped
            margin = 0.0 if ts < t(2025, 5, 1) else 20_000.0
            self.account.append(
                [ts, ACCT, value, 150_000.0, margin, None if value is None else (value or 0) - margin, ts, ts]
            )
            ts += timedelta(minutes=30)
        self.account.append(list(self.account[100]))  # a synced duplicate
        self.ledger.append([deposit_t, ACCT, "deposit", 5_000.0, "0xd", deposit_t, deposit_t])
        self.ledger.append([deposit_t, ACCT, "deposit", 5_000.0, "0xd", deposit_t, deposit_t + timedelta(minutes=5)])
        tid = iter(range(1, 10_000))
        for d in (t(2025, 5, 1), t(2025, 5, 2), t(2025, 5, 3)):
            for sec, fee in ((40, 3.0), (70, 4.5), (100, 2.0)):
                ft = d + timedelta(seconds=sec)
                n = next(tid)
                self.trades.append(
                    [
                        ft,
                        ACCT,
                        "AAA",
                        "B",
                        10.0,
                        5.0,
                        0.0,
                        "Open Long",
                        0.0,
                        fee,
                        "USDC",
                        500 + n,
                        n,
                        None,
                        True,
                        "0x",
                        ft,
                        ft,
                    ]
                )
            self.trades.append(list(self.trades[-1]))  # duplicate fill
            for h in range(24):
                ft = d + timedelta(hours=h)
                self.funding.append([ft, ACCT, "AAA", 1.5 if h % 2 else -0.5, 1.0, 1e-5, ft, ft])
        self.funding.append(list(self.funding[30]))
        h = t(2025, 4, 28)
        while h < t(2025, 5, 4, 3):
            close = btc_close(h)
            if h == t(2025, 5, 2, 15):
                h += timedelta(hours=1)
                continue  # no candle at all: that hour's regime is unknown
            if h == t(2025, 5, 3, 9):
                close = 0.0  # a zero close: unusable
            self.klines.append([h, "BTCUSDT", close, close, close, close, 1.0])
            h += timedelta(hours=1)
        self.klines.append(list(self.klines[50]))

    # ----------------------------------------------------------- independent truth: regimes
    def expected_buckets(self) -> dict[tuple[str, str], dict]:
        T0, T1 = datetime(2025, 5, 2, tzinfo=UTC), datetime(2025, 5, 4, tzinfo=UTC)
        snaps = sorted({r[0]: r for r in self.account if r[2] is not None and r[2] > 0}.values(), key=lambda r: r[0])
        snaps = [r for r in snaps if r[0] >= T0 - timedelta(days=config.EQUITY_LOOKBACK_DAYS) and r[0] < T1]
        events = (
            [(r[0], 0.0, r[9], 0.0) for r in {r[12]: r for r in self.trades}.values()]
            + [(r[0], 0.0, 0.0, r[3]) for r in {(r[2], r[0]): r for r in self.funding}.values()]
            + [(r[0], r[3], 0.0, 0.0) for r in {(r[0], r[4]): r for r in self.ledger}.values()]
        )
        closes = {r[0]: r[5] for r in self.klines if r[5] > 0}

        def regime(hour: datetime):
            c, c24 = closes.get(hour), closes.get(hour - timedelta(hours=24))
            ret = None if c is None or c24 is None else c / c24 - 1
            rs = []
            for k in range(24):
                a, b = hour - timedelta(hours=k), hour - timedelta(hours=k + 1)
                if a in closes and b in closes:
                    rs.append(math.log(closes[a] / closes[b]))
            vol = statistics.stdev(rs) if c is not None and len(rs) >= config.REGIME_VOL_MIN_RETURNS else None
            return ret, vol

        hours_in = []
        h = T0
        while h < T1:
            if h in closes:
                hours_in.append(regime(h)[1])
            h += timedelta(hours=1)
        vols = sorted(v for v in hours_in if v is not None)
        q1, q2 = vols[math.ceil(len(vols) / 3) - 1], vols[math.ceil(2 * len(vols) / 3) - 1]  # an even split
        out: dict[tuple[str, str], dict] = {}
        for prev, cur in zip(snaps, snaps[1:]):
            if cur[0] < T0:
                continue
            mid = prev[0] + (cur[0] - prev[0]) / 2
            inside = [e for e in events if prev[0] < e[0] <= cur[0]]
            flows, fees, funding = (sum(e[i] for e in inside) for i in (1, 2, 3))
            pnl = cur[2] - prev[2] - flows
            ret, vol = regime(mid.replace(minute=0, second=0, microsecond=0))
            trend = (
                "unknown"
                if ret is None
                else "up"
                if ret > config.REGIME_TREND_UP
                else "down"
                if ret < config.REGIME_TREND_DOWN
                else "flat"
            )
            vb = "unknown" if vol is None else "low" if vol <= q1 else "mid" if vol <= q2 else "high"
            win = "rebalance" if mid.hour == 0 and mid.minute < config.REBALANCE_WINDOW_MINUTES else "rest"
            for key in (
                ("hour", f"{mid.hour:02d}"),
                ("weekday", str(mid.isoweekday())),
                ("window", win),
                ("trend", trend),
                ("vol", vb),
                ("regime", f"{trend} / {vb}"),
            ):
                b = out.setdefault(key, {"pnl": 0.0, "fees": 0.0, "funding": 0.0, "n": 0, "hours": set()})
                b["pnl"] += pnl
                b["fees"] += fees
                b["funding"] += funding
                b["n"] += 1
                b["hours"].add(mid.replace(minute=0, second=0, microsecond=0))
        return out


@pytest.fixture(scope="module")
def fx(engine, desk_url):
    desk = Desk()
    tm = create_tables(engine, PREFIX)
    engine.insert(tm.qualified("account"), desk.account, column_names=ACCOUNT_COLS)
    engine.insert(tm.qualified("trades"), desk.trades, column_names=TRADE_COLS)
    engine.insert(tm.qualified("funding"), desk.funding, column_names=FUNDING_COLS)
    engine.insert(tm.qualified("ledger"), desk.ledger, column_names=LEDGER_COLS)
    engine.insert(tm.qualified("klines"), desk.klines, column_names=KLINE_COLS)
    return desk, fixture_client(desk_url, PREFIX)


def test_pnl_buckets_match_an_independent_computation(fx):
    desk, client = fx
    regime_queries.pnl_buckets.clear()
    with use_client(client):
        got = regime_queries.pnl_buckets(START, END)
    want = desk.expected_buckets()
    have = {(r["dim"], r["bucket"]): r for r in got.iter_rows(named=True)}
    assert set(have) == set(want)
    for key, w in want.items():
        g = have[key]
        assert g["pnl"] == pytest.approx(w["pnl"], abs=1e-6), key
        assert g["fees"] == pytest.approx(w["fees"], abs=1e-9), key
        assert g["funding"] == pytest.approx(w["funding"], abs=1e-9), key
        assert g["price_pnl"] == pytest.approx(w["pnl"] - w["funding"] + w["fees"], abs=1e-6), key
        assert (g["n_intervals"], g["n_hours"]) == (w["n"], len(w["hours"])), key
    # the BTC hour without a candle and the zero close are 'unknown'; 30-minute snapshots put no interval's
    # midpoint in the 5-minute rebalance window (the split needs snapshots finer than the window)
    assert ("trend", "unknown") in have and ("vol", "unknown") in have
    assert ("window", "rebalance") not in have
    assert have[("hour", "00")]["fees"] == pytest.approx(2 * (3.0 + 4.5 + 2.0))
    total = sum(r["pnl"] for r in got.iter_rows(named=True) if r["dim"] == "hour")
    assert sum(r["pnl"] for r in got.iter_rows(named=True) if r["dim"] == "trend") == pytest.approx(total)


def test_regime_views_order_fill_and_flag_thin(fx):
    desk, client = fx
    with use_client(client):
        got = regime_queries.pnl_buckets(START, END)
    hours = regimes.dimension(got, "hour")
    assert hours.height == 24 and hours["label"][0] == "00:00"
    table = regimes.regime_table(got)
    assert table.filter(pl_col("dimension") == "trend")["bucket"].to_list() == [
        b for b in regimes.TREND_ORDER if ("trend", b) in {(r["dim"], r["bucket"]) for r in got.iter_rows(named=True)}
    ]
    # every bucket of a 2-day range rests on fewer than REGIME_THIN_HOURS = 24 hours, except a big one
    for r in table.iter_rows(named=True):
        assert r["thin"] == (r["n_hours"] < config.REGIME_THIN_HOURS)
    trends, vols, pnl, hours_grid = regimes.regime_grid(got)
    assert sum(sum(row) for row in hours_grid) == table.filter(pl_col("dimension") == "trend / vol")["n_hours"].sum()
    with pytest.raises(ValueError):
        regime_queries.pnl_buckets(START, END, trend_up=-0.1, trend_down=0.1)


def pl_col(name):
    import polars as pl

    return pl.col(name)


# --------------------------------------------------------------------------- risk and price sanity
RISK_PREFIX = "fxi15r"
SNAP = t(2025, 6, 1, 9, 59, 30)


@pytest.fixture(scope="module")
def risk_fx(engine, desk_url):
    tm = create_tables(engine, RISK_PREFIX)
    acct = []
    for k in range(60):  # every 30 min for 30 h; zero margin until the last day, then a zero-equity snapshot
        ts = SNAP - timedelta(minutes=30 * k)
        margin = 0.0 if k > 10 else 25_000.0
        acct.append([ts, "0xa", 100_000.0, 180_000.0, margin, 75_000.0, ts, ts])
    acct[2][2] = 0.0  # zero equity 1 h before (the 08:00 bucket's last snapshot): ratios NULL there
    acct.append(list(acct[0]))
    engine.insert(tm.qualified("account"), acct, column_names=ACCOUNT_COLS)
    pos = []
    marks = {"LONGC": 10.0, "SHORTC": 2.0, "kPEPE": 0.008, "BADM": 0.05, "NOCANDLE": 3.0, "STALEC": 5.0}
    for hour_back in range(6):
        ts = SNAP - timedelta(hours=hour_back)
        for coin, px in marks.items():
            drift = 1 + 0.01 * hour_back if coin == "STALEC" else 1.0
            szi = -1000.0 if coin == "SHORTC" else 100.0
            liq = 2.5 if coin == "SHORTC" else (8.0 if coin == "LONGC" else None)
            pos.append(
                [
                    ts + timedelta(milliseconds=300),
                    "0xa",
                    coin,
                    szi,
                    px,
                    abs(szi) * px / drift,
                    0.0,
                    3.0,
                    liq,
                    abs(szi) * px / 3,
                    ts,
                    ts,
                ]
            )
    pos.append(list(pos[0]))
    engine.insert(tm.qualified("positions"), pos, column_names=POSITION_COLS)
    kl = []
    for hour_back in range(12):
        h = SNAP.replace(minute=0, second=0) - timedelta(hours=hour_back)
        for sym, px in (
            ("LONGCUSDT", 10.0),
            ("SHORTCUSDT", 2.0),
            ("1000PEPEUSDT", 0.008),
            ("BADMUSDT", 50.0),
            ("STALECUSDT", 5.0),
        ):
            if sym == "LONGCUSDT" and hour_back == 4:
                continue  # a missing candle between two
            close = 0.0 if (sym == "SHORTCUSDT" and hour_back == 7) else px
            kl.append([h, sym, close, close, close, close, 1.0])
    kl.append([SNAP.replace(minute=0, second=0) - timedelta(hours=9), "OLDUSDT", 1.0, 1.0, 1.0, 1.0, 1.0])
    engine.insert(tm.qualified("klines"), kl, column_names=KLINE_COLS)
    return fixture_client(desk_url, RISK_PREFIX)


def test_account_risk_zero_margin_and_zero_equity(risk_fx):
    for fn in (risk.latest_account_risk, risk.account_risk_series):
        fn.clear()
    with use_client(risk_fx):
        latest = risk.latest_account_risk()
        series = risk.account_risk_series(date(2025, 5, 31), date(2025, 6, 1), 3600)
    row = latest.row(0, named=True)
    assert row["margin_pct"] == pytest.approx(0.25) and row["leverage"] == pytest.approx(1.8)
    assert row["withdrawable"] == 75_000.0
    assert row["prev_margin_pct"] == 0.0  # the zero-margin account 24 h before: 0 %, a real value
    by_ts = {r["ts"]: r for r in series.iter_rows(named=True)}
    zero = by_ts[SNAP - timedelta(minutes=60)]
    assert zero["margin_pct"] is None and zero["leverage"] is None  # equity 0: no ratio
    assert series.filter(pl_col("margin_pct") == 0.0).height > 0


def test_position_risk_liquidation_distance_and_divergence(risk_fx):
    risk.position_risk.clear()
    with use_client(risk_fx):
        got = {r["coin"]: r for r in risk.position_risk().iter_rows(named=True)}
    assert set(got) == {"LONGC", "SHORTC", "kPEPE", "BADM", "NOCANDLE", "STALEC"}
    assert got["LONGC"]["liq_distance_pct"] == pytest.approx(20.0)  # (10 - 8) / 10
    assert got["SHORTC"]["liq_distance_pct"] == pytest.approx(25.0)  # (2.5 - 2) / 2
    assert got["kPEPE"]["liq_distance_pct"] is None  # no liquidation price: missing, not 0
    assert got["kPEPE"]["divergence_bp"] == pytest.approx(0.0, abs=1e-6)  # 1000PEPEUSDT through the symbol map
    assert got["BADM"]["divergence_bp"] == pytest.approx(-9990.0)  # a 1000x contract without its multiplier
    assert got["NOCANDLE"]["bn_close"] is None and got["NOCANDLE"]["divergence_bp"] is None
    assert list(got)[:2] == ["LONGC", "SHORTC"]  # nearest to liquidation first
    assert got["LONGC"]["notional_pct"] == pytest.approx(1_000.0 / 100_000.0)


def test_price_divergence_flags_multiplier_and_drift(risk_fx):
    prices.price_divergence.clear()
    with use_client(risk_fx):
        got = {r["coin"]: r for r in prices.price_divergence(hours=6).iter_rows(named=True)}
    assert got["BADM"]["n_flagged"] == 6 and got["BADM"]["max_abs_bp"] == pytest.approx(9990.0)
    assert got["NOCANDLE"]["n_compared"] == 0 and got["NOCANDLE"]["last_bp"] is None
    assert got["LONGC"]["n_no_candle"] == 1 and got["LONGC"]["n_compared"] == 5  # hour 4 has no candle
    stale = got["STALEC"]  # the mark moved 1 %/h away from a stuck candle: flagged, drifting
    want = [10_000 * (1 / (1 + 0.01 * k) - 1) for k in range(6)]
    assert stale["last_bp"] == pytest.approx(want[0], abs=1e-6)
    assert stale["max_abs_bp"] == pytest.approx(max(abs(w) for w in want))
    assert stale["n_flagged"] == sum(abs(w) > config.PRICE_DIVERGENCE_BP for w in want)
    assert stale["drift_bp"] == pytest.approx(want[0] - statistics.median(want), abs=1e-6)
    assert list(got)[0] == "BADM"


def test_candle_problems_listed(risk_fx):
    prices.candle_problems.clear()
    with use_client(risk_fx):
        got = prices.candle_problems(hours=12, stale_hours=3)
    rows = {(r["symbol"], r["problem"]): r for r in got.iter_rows(named=True)}
    newest = SNAP.replace(minute=0, second=0)
    assert rows[("LONGCUSDT", "missing")]["first_hour"] == newest - timedelta(hours=4)
    assert rows[("LONGCUSDT", "missing")]["hours"] == 1
    assert rows[("SHORTCUSDT", "zero")]["first_hour"] == newest - timedelta(hours=7)
    assert rows[("STALECUSDT", "stale")]["hours"] >= 3  # the same close every hour
    assert ("OLDUSDT", "no recent") in rows
    assert rows[("NOCANDLEUSDT", "no candles")]["coin"] == "NOCANDLE"
    assert int(got["n_problems"][0]) == got.height
    with use_client(risk_fx):
        capped = prices.candle_problems(hours=12, stale_hours=3, limit=2)
    assert capped.height == 2 and int(capped["n_problems"][0]) == got.height


# ------------------------------------------------------------------------------------------- orders
ORDER_PREFIX = "fxi15o"
DAY = t(2025, 7, 1)


@pytest.fixture(scope="module")
def orders_fx(engine, desk_url):
    tm = create_tables(engine, ORDER_PREFIX)
    rows, fills = [], []
    tid = iter(range(1, 1000))

    def order(oid, placed, statuses, coin="AAA", orig=10.0, remain=0.0, open_row=True):
        if open_row:
            rows.append([placed, "0xo", oid, None, coin, "B", 1.0, orig, orig, "Limit", "open", placed, placed])
        for st, dt in statuses:
            rows.append([placed + dt, "0xo", oid, None, coin, "B", 1.0, remain, orig, "Limit", st, placed, placed])

    def fill(oid, ts, sz):
        n = next(tid)
        fills.append(
            [ts, "0xo", "AAA", "B", 1.0, sz, 0.0, "Open Long", 0.0, 0.01, "USDC", oid, n, None, True, "0x", ts, ts]
        )

    s = timedelta(seconds=1)
    order(1, DAY + 30 * s, [("filled", 2 * s)])
    fill(1, DAY + 31 * s, 4.0)
    fill(1, DAY + 32 * s, 6.0)
    rows.append(list(rows[-1]))  # a synced duplicate status row
    order(2, DAY + 40 * s, [("canceled", 20 * s)], remain=10.0)  # an order with no fill
    order(3, DAY + 50 * s, [("rejected", 0 * s)], remain=10.0, open_row=False)  # rejected, no 'open' row
    order(4, DAY + 60 * s, [("canceled", 30 * s)], remain=6.0)
    fill(4, DAY + 65 * s, 4.0)  # partial, canceled
    order(5, DAY + 70 * s, [("filled", 420 * s)])
    fill(5, DAY + 490 * s, 10.0)  # filled only at 00:08
    order(6, DAY + timedelta(hours=13), [("filled", 5 * s)])
    fill(6, DAY + timedelta(hours=13, seconds=5), 10.0)
    order(7, DAY + timedelta(days=1, hours=2), [])  # still open
    engine.insert(tm.qualified("orders"), rows, column_names=ORDER_COLS)
    engine.insert(tm.qualified("trades"), fills + [list(fills[0])], column_names=TRADE_COLS)
    beats = []
    for m in range(120):
        ts = DAY + timedelta(minutes=m)
        beats.append([ts, "orders", "h", "ok", "", 1, 50])
    beats[0][4] = "ok after 3 retries: HTTP 429 Too Many Requests from api.hyperliquid.xyz"
    beats[1][3], beats[1][4] = "error", "HTTP 429 Too Many Requests from api.hyperliquid.xyz"
    beats[2][3], beats[2][4] = "error", "HTTP 502 Bad Gateway from api.hyperliquid.xyz"
    beats[61][4] = "ok after 2 retries: HTTP 429 Too Many Requests"
    beats.append(list(beats[0]))  # duplicate beat
    engine.insert(tm.qualified("heartbeat"), beats, column_names=HB_COLS)
    return fixture_client(desk_url, ORDER_PREFIX)


def test_order_outcomes_fill_ratio_and_time_to_fill(orders_fx):
    orders.order_outcomes.clear()
    with use_client(orders_fx):
        got = orders.order_outcomes(date(2025, 7, 1), date(2025, 7, 2))
    day1 = got.row(0, named=True)
    assert day1["day"] == date(2025, 7, 1)
    assert (day1["n_orders"], day1["n_filled"], day1["n_canceled"], day1["n_rejected"]) == (6, 3, 2, 1)
    assert day1["n_with_fill"] == 4 and day1["n_never_filled"] == 2
    assert day1["fill_ratio"] == pytest.approx(4 / 6)
    assert day1["size_fill_ratio"] == pytest.approx((10 + 4 + 10 + 10) / 60)
    to_fill = sorted([1.0, 5.0, 420.0, 5.0])
    assert day1["p50_to_fill_s"] in to_fill
    day2 = got.row(1, named=True)
    assert (day2["n_orders"], day2["n_open"], day2["n_with_fill"], day2["p50_to_fill_s"]) == (1, 1, 0, None)


def test_unfilled_in_window_and_open_orders(orders_fx):
    orders.unfilled_in_window.clear()
    orders.open_orders.clear()
    with use_client(orders_fx):
        unfilled = orders.unfilled_in_window(date(2025, 7, 1), date(2025, 7, 2))
        open_now = orders.open_orders()
    assert sorted(unfilled["oid"].to_list()) == [2, 3, 5]  # no fill / rejected / first filled after 00:05
    five = unfilled.filter(pl_col("oid") == 5).row(0, named=True)
    assert five["first_fill"] == DAY + timedelta(seconds=490) and five["final_status"] == "filled"
    assert int(unfilled["n_unfilled"][0]) == 3
    assert open_now["oid"].to_list() == [7] and int(open_now["n_open"][0]) == 1


def test_api_pressure_counts_429s_per_hour(orders_fx):
    orders.api_pressure.clear()
    with use_client(orders_fx):
        got = orders.api_pressure(date(2025, 7, 1), date(2025, 7, 1), 3600)
    rows = {r["bucket"]: r for r in got.iter_rows(named=True)}
    first = rows[DAY]
    assert (first["n_429"], first["n_429_errors"], first["retries"], first["n_beats"]) == (2, 1, 4, 60)
    assert rows[DAY + timedelta(hours=1)]["retries"] == 2
    with pytest.raises(ValueError):
        orders.api_pressure(date(2025, 7, 1), date(2025, 7, 1), 60)
