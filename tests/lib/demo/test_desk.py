"""The demo desk generator (lib/demo/).

The reference scenario is playbook 000 (Dec 5-7 2025 tracking-error
diagnoses). Everything here is recomputed from the raw rows read back from the
embedded database, independently of the generator's internals: de-duplicate
on natural keys, rebuild the hourly timeline, classify, compare.

The desk comes from tests/conftest.py (`desk_client`: one chdb path per
process, seeded once with DEMO_START..DEMO_END under the default table names);
`demo_client` is that client. The determinism test seeds a second copy into
other database names (a TableMap) in the same engine.

Classification readings (recorded here on purpose): the playbook's absolute
rule (|actual - target| > MAG_EPS = 0.02) finds 0 MAGNITUDE_ERROR on Dec 5-7
(the largest miss, AAVE on Dec 7, is 0.0133); its quoted counts (~30 / 31 /
29) are what the *relative* reading gives (|actual - target| > 2% of
|target|): exactly 30 / 31 / 29 here.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from lib.book.symbols import price_source
from lib.config import MAG_EPS, W_EPS, table_map
from lib.demo import ACCOUNT, is_seeded, seed_client
from tests.conftest import DEMO_END as END
from tests.conftest import DEMO_START as START

UTC = UTC
REF = {date(2025, 12, 5): 30, date(2025, 12, 6): 31, date(2025, 12, 7): 29}  # relative magnitude errors
MISSING = {
    date(2025, 12, 5): {"APT", "HBAR"},
    date(2025, 12, 6): {"WLFI", "TRX", "LINK"},
    date(2025, 12, 7): {"ARB", "WLD", "BCH"},
}
# (target, actual) from the playbook; None = not stated
PLAYBOOK = {
    date(2025, 12, 5): {"APT": (-0.00365, 0.0), "HBAR": (-0.00200, 0.0)},
    date(2025, 12, 6): {
        "WLFI": (-0.00473, 0.0),
        "TRX": (-0.00453, 0.0),
        "LINK": (-0.00119, 0.0),
        "PENGU": (-0.0428, -0.0471),
        "PAXG": (0.0550, 0.0591),
        "BTC": (0.0569, 0.0596),
        "BNB": (0.0485, 0.0510),
        "PUMP": (-0.0429, -0.0454),
    },
    date(2025, 12, 7): {
        "ARB": (0.01679, 0.00022),
        "WLD": (-0.00476, 0.0),
        "BCH": (0.00104, 0.0),
        "AAVE": (0.0518, 0.0385),
        "PUMP": (-0.0517, -0.0479),
        "TNSR": (-0.0556, -0.0518),
        "AVAX": (0.0449, 0.0416),
        "PAXG": (0.0535, 0.0511),
    },
}
KEYS = {
    "trades": ["account", "tid"],
    "positions": ["account", "ts", "coin"],
    "account": ["account", "ts"],
    "funding": ["account", "coin", "time"],
    "ledger": ["account", "time", "hash"],
    "orders": ["account", "oid", "status"],
}
OTHER_TABLES = table_map(
    {
        "trades": "demo_copy_mon.trades",
        "positions": "demo_copy_mon.positions_snapshots",
        "account": "demo_copy_mon.account_snapshots",
        "funding": "demo_copy_mon.funding",
        "ledger": "demo_copy_mon.ledger",
        "orders": "demo_copy_mon.orders",
        "heartbeat": "demo_copy_mon.monitor_heartbeat",
        "sync_log": "demo_copy_mon.sync_log",
        "targets": "demo_copy_logs.positions_jianan_v6",
        "klines": "demo_copy_binance.klines_1h",
        "asset_meta": "demo_copy_hl.asset_meta",
    }
)


@pytest.fixture(scope="session")
def demo_client(desk_client):
    """The session's demo desk: tests/conftest.py seeds START..END once into the one
    engine path of the process (chdb binds one path per process)."""
    return desk_client


class Raw:
    """All demo rows read back, de-duplicated on their natural keys."""

    def __init__(self, client, tables=None):
        self.tables = tables or table_map()
        q = lambda name: pl.from_arrow(client.query_arrow(f"SELECT * FROM {self.tables.qualified(name)}"))  # noqa
        self.raw = {name: q(name) for name in KEYS}
        self.d = {
            name: df.sort("synced_at").unique(subset=KEYS[name], keep="last", maintain_order=True)
            for name, df in self.raw.items()
        }
        self.trades = self.d["trades"].sort("time", "tid")
        self.account = self.d["account"].sort("ts")
        self.targets = q("targets")
        self.klines = q("klines")  # open_time comes back as uint32 seconds
        self.heartbeat = q("heartbeat")
        self.sync_log = q("sync_log")

    def pos_units(self, before: datetime) -> dict[str, float]:
        t = self.trades.filter(pl.col("time") < before)
        last = t.group_by("coin").agg(pl.all().sort_by("time", "tid").last())
        signed = pl.when(pl.col("side") == "B").then(pl.col("sz")).otherwise(-pl.col("sz"))
        last = last.with_columns((pl.col("start_position") + signed).alias("pos"))
        return dict(zip(last["coin"].to_list(), last["pos"].to_list()))

    def close(self, coin: str, h: datetime) -> float | None:
        src = price_source(coin)
        if src is None:
            return None
        k = self.klines.filter((pl.col("symbol") == src.symbol) & (pl.col("open_time") == int(h.timestamp())))
        return None if k.is_empty() else float(k["close"][0]) * src.multiplier

    def open_px(self, coin: str, h: datetime) -> float | None:
        src = price_source(coin)
        k = self.klines.filter((pl.col("symbol") == src.symbol) & (pl.col("open_time") == int(h.timestamp())))
        return None if k.is_empty() else float(k["open"][0]) * src.multiplier

    def equity(self, before: datetime) -> float:
        return float(self.account.filter(pl.col("ts") < before)["account_value"][-1])

    def weights(self, d: date) -> dict[str, float]:
        t = self.targets.filter(pl.col("date") == d)
        return dict(zip(t["sym"].to_list(), t["weight"].to_list()))

    def snapshot(self, h: datetime) -> pl.DataFrame:
        """The playbook's hourly timeline row set for holdings hour h."""
        end = h + timedelta(hours=1)
        pos = self.pos_units(end)
        eq = self.equity(end)
        t2 = self.weights(h.date() - timedelta(days=2))
        t1 = self.weights(h.date() - timedelta(days=1))
        syms = sorted(set(t2) | {c for c, p in pos.items() if p != 0})
        rows = []
        for s in syms:
            px = self.close(s, h)
            u = pos.get(s, 0.0)
            rows.append(
                {
                    "sym": s,
                    "pos_units": u,
                    "bn_px": px,
                    "equity": eq,
                    "weight_t2": t2.get(s, 0.0),
                    "weight_t1": t1.get(s),
                    "actual": None if px is None else u * px / eq,
                }
            )
        return pl.DataFrame(rows, schema_overrides={"bn_px": pl.Float64, "actual": pl.Float64, "weight_t1": pl.Float64})


def classify(t: float, a: float, relative: bool = False) -> str:
    if abs(t) < W_EPS and abs(a) < W_EPS:
        return "MATCHED_ZERO"
    if abs(a) < W_EPS:
        return "MISSING_POSITION"
    if abs(t) < W_EPS:
        return "EXTRA_POSITION"
    if math.copysign(1, a) != math.copysign(1, t):
        return "WRONG_DIRECTION"
    off = abs(a - t) > (0.02 * abs(t) if relative else MAG_EPS)
    return "MAGNITUDE_ERROR" if off else "MATCHED"


def categories(snap: pl.DataFrame, relative: bool = False) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in snap.iter_rows(named=True):
        if r["actual"] is None:
            out.setdefault("UNPRICED", []).append(r["sym"])
        else:
            out.setdefault(classify(r["weight_t2"], r["actual"], relative), []).append(r["sym"])
    return out


def te(snap: pl.DataFrame) -> float:
    s = snap.filter(pl.col("actual").is_not_null())
    return float(np.sqrt(((s["actual"] - s["weight_t2"]) ** 2).sum()))


@pytest.fixture(scope="session")
def raw(demo_client):
    return Raw(demo_client)


def at(d: date, hour: int = 2) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


# --- reference days -------------------------------------------------------------


@pytest.mark.parametrize("day", sorted(REF))
def test_reference_snapshot_categories(raw, day):
    snap = raw.snapshot(at(day))
    assert snap.height == 62
    cats = categories(snap)
    assert set(cats.get("MISSING_POSITION", [])) == MISSING[day]
    assert "EXTRA_POSITION" not in cats and "WRONG_DIRECTION" not in cats and "UNPRICED" not in cats
    # absolute 2% rule: no magnitude errors; relative 2% reading: the playbook's counts
    assert "MAGNITUDE_ERROR" not in cats
    rel = categories(snap, relative=True)
    assert len(rel["MAGNITUDE_ERROR"]) == REF[day]
    assert set(rel.get("MISSING_POSITION", [])) == MISSING[day]


@pytest.mark.parametrize("day", sorted(REF))
def test_reference_playbook_numbers(raw, day):
    snap = {r["sym"]: r for r in raw.snapshot(at(day)).iter_rows(named=True)}
    for sym, (t, a) in PLAYBOOK[day].items():
        assert snap[sym]["weight_t2"] == pytest.approx(t, abs=2e-4), sym
        assert snap[sym]["actual"] == pytest.approx(a, abs=2e-4), sym


@pytest.mark.parametrize("day", sorted(REF))
def test_reference_other_names_close(raw, day):
    snap = raw.snapshot(at(day))
    named = set(PLAYBOOK[day]) | MISSING[day]
    held = snap.filter(~pl.col("sym").is_in(list(named)) & (pl.col("weight_t2").abs() >= W_EPS))
    err = (held["actual"] - held["weight_t2"]).abs()
    assert (held["actual"] * held["weight_t2"] > 0).all()
    assert err.max() <= 0.004
    if day == date(2025, 12, 5):
        assert (err < 0.002).mean() >= 0.9
    # the playbook's "largest examples" really are the largest
    top = {date(2025, 12, 6): 0.0025, date(2025, 12, 7): 0.0024}.get(day)
    if top:
        assert err.max() < top


def test_dec5_burst(raw):
    d = date(2025, 12, 5)
    fills = raw.trades.filter(pl.col("time").dt.date() == d)
    assert fills.height == 35 and fills["coin"].n_unique() == 31
    lo, hi = datetime(2025, 12, 5, 0, 0, 50, tzinfo=UTC), datetime(2025, 12, 5, 0, 2, 10, tzinfo=UTC)
    assert fills["time"].min() >= lo and fills["time"].max() <= hi
    p0, p1, p2 = (raw.pos_units(at(d, h + 1)) for h in (0, 1, 2))
    assert p0 == p1 == p2


def test_dec7_tracking_error_elevated(raw):
    tes = {d: te(raw.snapshot(at(d))) for d in (date(2025, 12, k) for k in range(3, 8))}
    dec7 = tes.pop(date(2025, 12, 7))
    assert all(v < dec7 for v in tes.values()), tes


def test_reference_flip_attribution_exists_elsewhere(raw):
    """Timing slips: some rows track weight_t1 better than weight_t2 (Dec 10 is scripted)."""
    snap = raw.snapshot(at(date(2025, 12, 10)))
    s = snap.filter(pl.col("weight_t1").is_not_null() & pl.col("actual").is_not_null())
    flip = ((s["actual"] - s["weight_t1"]).abs() < (s["actual"] - s["weight_t2"]).abs()) & (
        (s["actual"] - s["weight_t2"]).abs() > 0.003
    )
    assert flip.sum() >= 2


def test_other_days_show_every_category(raw):
    seen: set[str] = set()
    for k in range((END - START).days):
        d = START.date() + timedelta(days=k)
        if d in REF:
            continue
        for cat, _syms in categories(raw.snapshot(at(d))).items():
            seen.add(cat)
    assert {
        "MATCHED",
        "MATCHED_ZERO",
        "MISSING_POSITION",
        "EXTRA_POSITION",
        "WRONG_DIRECTION",
        "MAGNITUDE_ERROR",
    } <= seen


# --- accounting -------------------------------------------------------------------


def _replay(trades: pl.DataFrame) -> dict[str, tuple[float, float]]:
    """Average-entry replay of the fills: coin -> (position, entry)."""
    book: dict[str, list[float]] = {}
    for r in trades.iter_rows(named=True):
        u, e = book.get(r["coin"], [0.0, 0.0])
        d = r["sz"] if r["side"] == "B" else -r["sz"]
        assert abs(u - r["start_position"]) < 1e-6 * max(1.0, abs(u)), (r["coin"], u, r["start_position"])
        new = u + d
        if u == 0 or (u > 0) == (d > 0):
            e = (abs(u) * e + abs(d) * r["px"]) / abs(new)
        elif abs(d) > abs(u):
            e = r["px"]
        book[r["coin"]] = [new, e]
    return {c: (u, e) for c, (u, e) in book.items()}


@pytest.mark.parametrize(
    "when", ["2025-11-26 09:00", "2025-11-29 17:00", "2025-12-05 03:00", "2025-12-10 12:00", "2025-12-11 20:00"]
)
def test_equity_is_cash_plus_pnl(raw, when):
    t = datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    snap = raw.account.filter((pl.col("ts") >= t) & (pl.col("ts") < t + timedelta(seconds=30)))
    assert snap.height == 1
    ts = snap["ts"][0]
    led = raw.d["ledger"].filter(pl.col("time") <= ts)["usdc"].sum()
    fills = raw.trades.filter(pl.col("time") <= ts)
    realized, fees = fills["closed_pnl"].sum(), fills["fee"].sum()
    funding = raw.d["funding"].filter(pl.col("time") <= ts)["usdc"].sum()
    unreal = 0.0
    for coin, (u, e) in _replay(fills).items():
        if u != 0:
            unreal += u * (raw.open_px(coin, t) - e)
    expected = led + realized + unreal + funding - fees
    assert snap["account_value"][0] == pytest.approx(expected, abs=3.0)


def test_positions_snapshots_match_fills_except_holes(raw):
    ps = raw.d["positions"]
    bad = 0
    for h in range(0, (END - START).days * 24, 7):
        mark = START + timedelta(hours=h, minutes=59, seconds=30)
        rows = ps.filter((pl.col("ts") >= mark) & (pl.col("ts") < mark + timedelta(seconds=5)))
        if rows.is_empty():
            continue
        pos = {c: p for c, p in raw.pos_units(mark).items() if p != 0}
        got = dict(zip(rows["coin"].to_list(), rows["szi"].to_list()))
        assert set(got) <= set(pos)
        bad += len(set(pos) - set(got))
        for c, v in got.items():
            assert v == pytest.approx(pos[c], rel=1e-9)
    hole = ps.filter((pl.col("coin") == "SOL") & (pl.col("ts").dt.date() == date(2025, 11, 28)))
    assert 0 < hole.height < 24 - 4


@pytest.mark.parametrize("when", ["2025-11-27 05:59", "2025-12-03 14:59", "2025-12-09 22:59"])
def test_liquidation_prices_follow_hyperliquids_cross_margin_formula(raw, when):
    """Hyperliquid's documented formula: liq = price − side · margin_available / |size| / (1 − l · side), with
    l = 1 / maintenance leverage (half the initial margin at max leverage: 0.5 / leverage here) and
    margin_available = equity − maintenance margin. At that price, moving that coin alone, equity meets the
    maintenance margin: (liq − px) · (szi − |szi| · l) = −margin_available, the same for every position of the
    snapshot. Without the (1 − l · side) denominator a short's distance was overstated by 1 + l (7/6 at 3x)."""
    t = datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    rows = raw.d["positions"].filter((pl.col("ts") >= t) & (pl.col("ts") < t + timedelta(minutes=1)))
    assert rows.height > 20 and (rows["szi"] < 0).any() and (rows["szi"] > 0).any()
    px = rows["position_value"] / rows["szi"].abs()
    lev_l = 0.5 / rows["leverage"]
    margin_available = -((rows["liquidation_px"] - px) * (rows["szi"] - rows["szi"].abs() * lev_l))
    known = margin_available.drop_nulls()
    assert known.len() > 20 and known.min() > 0
    assert known.max() == pytest.approx(known.min(), rel=1e-6)  # one account: one margin available
    maintenance = (rows["position_value"] * lev_l).sum()
    equity = float(raw.account.filter(pl.col("ts") <= t + timedelta(minutes=1))["account_value"][-1])
    assert known.mean() == pytest.approx(equity - maintenance, rel=0.02)  # the account snapshot of that minute


# --- rows and bookkeeping ---------------------------------------------------------------


def test_duplicates_present_but_keys_right(raw):
    for name, keys in KEYS.items():
        raw_df, ded = raw.raw[name], raw.d[name]
        assert ded.height == raw_df.select(keys).unique().height
        if name != "ledger":
            assert raw_df.height > ded.height, name
            assert raw_df.height - ded.height <= 0.01 * raw_df.height + 2
    dup = raw.raw["trades"].filter(pl.col("tid").is_duplicated()).sort("tid", "synced_at")
    assert dup.height and (dup.group_by("tid").agg(pl.col("synced_at").n_unique())["synced_at"] == 2).all()


def test_untracked_fills_and_order_statuses(raw):
    orders = raw.d["orders"]
    untracked = set(raw.trades["oid"].to_list()) - set(orders["oid"].to_list())
    assert 0 < len(untracked) <= 0.05 * raw.trades["oid"].n_unique()
    assert {"open", "filled", "canceled", "rejected"} <= set(orders["status"].to_list())


def test_fill_fields(raw):
    t = raw.trades
    rate = pl.when(pl.col("crossed")).then(0.00045).otherwise(0.00015)
    fee_err = t.select(((pl.col("px") * pl.col("sz")).abs() * rate - pl.col("fee")).abs().max()).item()
    assert fee_err < 1e-5
    assert t["tid"].n_unique() == t.height
    assert set(t["dir"].unique()) <= {
        "Open Long",
        "Close Long",
        "Open Short",
        "Close Short",
        "Long > Short",
        "Short > Long",
    }
    assert t["account"].unique().to_list() == [ACCOUNT]
    assert 0.8 < t["crossed"].mean() < 0.97
    assert 0 < t["cloid"].null_count() < 0.25 * t.height
    assert (t["synced_at"] > t["ingested_at"]).all() and (t["ingested_at"] > t["time"]).all()
    lag = (t["synced_at"] - t["ingested_at"]).dt.total_seconds()
    assert lag.median() < 330
    # a few fills outside the 00:00-00:05 rebalance window
    late = t.filter((pl.col("time").dt.hour() > 0) | (pl.col("time").dt.minute() >= 5))
    assert 1 <= late["time"].dt.date().n_unique() <= 6


def test_klines_and_weights_look_real(raw):
    k = raw.klines
    btc = k.filter(pl.col("symbol") == "BTCUSDT").sort("open_time")
    assert 80_000 < btc.filter(pl.col("open_time") == int(at(date(2025, 12, 5), 0).timestamp()))["close"][0] < 100_000
    assert (btc["open"][1:] == btc["close"][:-1]).mean() > 0.99  # open = previous close (gaps aside)
    assert (k["high"] >= k[["open", "close"]].max_horizontal()).all()
    assert (k["low"] <= k[["open", "close"]].min_horizontal()).all()
    assert {"1000PEPEUSDT", "1000BONKUSDT"} <= set(k["symbol"].unique())
    assert "PURRUSDT" not in set(k["symbol"].unique())
    assert k.select(["symbol", "open_time"]).is_duplicated().sum() == 0
    n_hours = (k["open_time"].max() - k["open_time"].min()) // 3600 + 1
    assert k.height < n_hours * k["symbol"].n_unique()  # a few missing candles
    w = raw.targets.group_by("date").agg(
        pl.col("weight").abs().sum().alias("gross"),
        pl.col("weight").abs().max().alias("top"),
        (pl.col("weight").abs() < 0.001).sum().alias("tiny"),
        pl.len(),
    )
    assert w["gross"].is_between(0.95, 1.65).all()
    assert w["top"].is_between(0.04, 0.065).all()
    assert (w["len"] == 62).all() and w["tiny"].sum() > 0


def test_health_signals(raw, demo_client):
    hb = raw.heartbeat
    end = END
    last = hb.group_by("monitor").agg(pl.col("ts").max(), pl.col("status").sort_by("ts").last())
    last = {r["monitor"]: r for r in last.iter_rows(named=True)}
    assert set(last) == {"account", "positions", "trades", "orders", "funding", "ledger", "ohlcv", "sync"}
    assert end - last["ohlcv"]["ts"] > timedelta(minutes=30)
    assert timedelta(minutes=3) < end - last["funding"]["ts"] < timedelta(minutes=10)
    assert last["sync"]["status"] == "error"
    assert end - last["account"]["ts"] < timedelta(minutes=2)
    assert hb.filter(pl.col("status") == "error").height > 0
    assert raw.sync_log.filter(pl.col("status") == "error").height > 0
    # the ~30 min account snapshot gap on 2025-11-27 (account monitor down)
    acc = raw.account.filter(pl.col("ts").dt.date() == date(2025, 11, 27))["ts"]
    assert acc.diff().max() >= timedelta(minutes=30)


def test_seed_is_idempotent_and_deterministic(demo_client):
    assert is_seeded(demo_client)
    again = seed_client(demo_client, start=START, end=END)
    assert again["seeded"] is False
    copy = seed_client(demo_client, start=START, end=END, tables=OTHER_TABLES, force=True)
    for name, n in copy["tables"].items():
        assert int(demo_client.command(f"SELECT count() FROM {table_map().qualified(name)}")) == n, name
    cols = {"sync_log": "started_at, finished_at, table, rows, max_source_ts, status, error"}  # not the db name
    for name in ("trades", "orders", "account", "positions", "funding", "targets", "klines", "sync_log"):
        h = f"SELECT groupBitXor(cityHash64({cols.get(name, '*')})) FROM "
        a = demo_client.query(h + table_map().qualified(name)).result_rows
        b = demo_client.query(h + OTHER_TABLES.qualified(name)).result_rows
        assert a == b, name
