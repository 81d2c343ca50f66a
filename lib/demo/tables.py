"""Demo desk, part 3: the rows of every table, the sync bookkeeping, heartbeats.

Conventions (the dashboard's timeline relies on them):

* account_snapshots: one row per 5-minute mark; `account_value` is the equity
  *as of the mark* (cash incl. funding paid at or before the mark, plus the
  position marked at the interpolated price), `ts` = mark + 1-4 s (when the
  monitor wrote it). No fill ever lands within 10 s after a mark.
* positions_snapshots: one row per held coin at every hh:59:30 mark (values as
  of the mark), `ts` = mark + 0-1.5 s.
* funding: paid at each whole hour on the position held at that instant,
  usdc = -szi * price(hour) * rate.
* ingested_at = event + a few seconds (later when the monitor was down);
  synced_at = the next successful sync run of that table (every 5 minutes).
  Rows not synced by `end` are not in the tables (they have not reached the
  remote yet). About 0.5% of synced rows arrive twice (the next run re-sends
  them): same natural key, later synced_at, left unmerged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import numpy as np
import pyarrow as pa

from lib.config import TableMap
from lib.demo.book import DIRS, PROTECTED, Book
from lib.demo.market import DAY_MS, HOUR_MS, S_MISC, UNPRICED_COIN, Universe, coin_prices_at
from lib.symbols import price_source

ACCOUNT = "0x7a3f5c1e9b2d4f60a8c3e7b1d5f9a2c4e6b8d0f3"  # the demo desk's Hyperliquid address
HOST = "chenlin04"
MONITORS = ("account", "positions", "trades", "orders", "funding", "ledger", "ohlcv", "sync")
MIN_MS = 60_000
SNAP_MS = 5 * MIN_MS
POS_MARK_MS = 59 * MIN_MS + 30_000  # positions are marked at hh:59:30
SYNC_OFFSET_MS = 12_000  # sync runs start at every 5-minute mark + 12 s
SYNCED = ("trades", "orders", "funding", "ledger", "account", "positions")  # TableMap keys, sync order
DUP_SHARE = 0.005
UTC = timezone.utc


def _ms(s: str) -> int:
    return int(datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp() * 1000)


# Monitor outages: no heartbeats; the monitor's data arrives late (account:
# those snapshots are simply missing; sync: no runs, rows wait for the next).
SCRIPTED_OUTAGES = (
    ("account", "2025-11-27 16:08:20", "2025-11-27 16:41:10"),
    ("account", "2026-04-08 03:17:40", "2026-04-08 03:52:05"),
    ("sync", "2025-11-26 10:21:00", "2025-11-26 12:04:30"),
    ("trades", "2025-12-10 23:57:40", "2025-12-11 00:26:15"),
    ("positions", "2025-11-30 14:05:00", "2025-11-30 14:48:00"),
    ("funding", "2026-01-29 17:40:00", "2026-01-29 18:55:00"),
    ("ohlcv", "2026-02-14 06:12:00", "2026-02-14 09:47:00"),
    ("orders", "2026-05-20 11:02:00", "2026-05-20 11:21:00"),
    ("ledger", "2026-08-02 02:00:00", "2026-08-02 06:31:00"),
)
RANDOM_OUTAGE_MONITORS = ("trades", "orders", "funding", "ledger", "ohlcv", "sync")
# At `end`: ohlcv down for 41 min, funding 4 min late, sync failing (last beat an error).
END_OHLCV_DOWN_MS = 41 * MIN_MS
END_FUNDING_LATE_MS = 3 * MIN_MS + 30_000
END_SYNC_FAIL_MS = 12 * MIN_MS
# Positions rows missing for a coin for a few hours (fills-vs-snapshot reconciliation).
POSITION_HOLES = (("SOL", "2025-11-28 05:59:30", 5), ("kPEPE", "2026-03-18 20:59:30", 3))
# Binance candles missing (coin, first open_time, hours).
SCRIPTED_KLINE_GAPS = (("WIF", "2025-11-27 10:00:00", 2),)
# A stuck Binance feed: the candles repeat the previous close, with no volume (coin, first open_time, hours).
SCRIPTED_KLINE_STALE = (("LINK", "2025-11-23 05:00:00", 5),)
# ... and at `end`: DOT's last candles repeat one close (unless that would touch 23:00-02:59 UTC,
# the rebalance and the tracking-error snapshot hour).
END_STALE = ("DOT", 4)

RATE_LIMITED = "HTTP 429 Too Many Requests from api.hyperliquid.xyz"
# The trades and orders monitors poll hardest in the 00:00 rebalance burst: some of their beats there
# succeed only after retrying on HTTP 429 (status ok, the retries in the message).
ERRORS = {
    "hl": (RATE_LIMITED,
           "HTTP 502 Bad Gateway from api.hyperliquid.xyz",
           "ClickHouse timeout: Code: 159. Timeout exceeded: elapsed 10.0 seconds (TIMEOUT_EXCEEDED)"),
    "ohlcv": ("HTTP 429 Too Many Requests from fapi.binance.com",
              "ClickHouse timeout: Code: 159. Timeout exceeded: elapsed 10.0 seconds (TIMEOUT_EXCEEDED)"),
    "sync": ("ClickHouse timeout: Code: 159. DB::Exception: Timeout exceeded: elapsed 30.0 seconds "
             "(TIMEOUT_EXCEEDED) on remote 10.8.0.12:9440",
             "Code: 210. DB::NetException: Connection refused (10.8.0.12:9440) (NETWORK_ERROR)",
             "Code: 241. DB::Exception: Memory limit (total) exceeded: would use 7.46 GiB (MEMORY_LIMIT_EXCEEDED)"),
}


@dataclass
class Ctx:
    uni: Universe
    P: np.ndarray
    book: Book
    wdates: list[date]
    W: np.ndarray
    grid_ms: int
    start_ms: int
    end_ms: int
    seed: int
    tables: TableMap
    outages: list[tuple[str, int, int]] = field(default_factory=list)

    def rng(self, *key: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, S_MISC, *key])


# --- arrow helpers ------------------------------------------------------------


def ts_arr(ms: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(ms, dtype=np.int64), pa.timestamp("ms", tz="UTC"))


def dict_arr(idx: np.ndarray, values) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(idx, dtype=np.int32)), pa.array(list(values)))


def const_arr(value: str, n: int) -> pa.DictionaryArray:
    return dict_arr(np.zeros(n, np.int32), [value])


def hex_ids(g: np.random.Generator, n: int, nbytes: int) -> np.ndarray:
    h = g.bytes(n * nbytes).hex().encode()
    return np.char.add("0x", np.frombuffer(h, dtype=f"S{2 * nbytes}").astype(str)) if n else np.zeros(0, str)


# --- scenario -----------------------------------------------------------------


def outages(ctx: Ctx) -> list[tuple[str, int, int]]:
    out = [(m, _ms(a), _ms(b)) for m, a, b in SCRIPTED_OUTAGES]
    g = ctx.rng(70)
    days = (ctx.end_ms - ctx.start_ms) / DAY_MS
    p_lo, p_hi = _ms(f"{PROTECTED[0]} 00:00:00"), _ms(f"{PROTECTED[1]} 23:59:59")
    for m in RANDOM_OUTAGE_MONITORS:
        for _ in range(int(g.poisson(max(days, 0) / 150))):
            a = int(g.uniform(ctx.start_ms + DAY_MS, max(ctx.start_ms + DAY_MS + 1, ctx.end_ms - 2 * DAY_MS)))
            a -= a % 1000
            dur = int(np.exp(g.uniform(np.log(3 * MIN_MS), np.log(3 * HOUR_MS))))
            if not (a + dur < p_lo or a > p_hi):
                continue
            if (a % DAY_MS) > DAY_MS - 10 * MIN_MS or (a + dur) % DAY_MS < 10 * MIN_MS:
                continue  # keep random outages away from the 00:00 rebalance
            out.append((m, a, a + dur))
    e = ctx.end_ms
    out += [("ohlcv", e - END_OHLCV_DOWN_MS, e + HOUR_MS), ("funding", e - END_FUNDING_LATE_MS, e + HOUR_MS)]
    return [(m, a, b) for m, a, b in out if b > ctx.start_ms and a < ctx.end_ms]


def in_outage(ctx: Ctx, monitor: str, t: np.ndarray) -> np.ndarray:
    m = np.zeros(len(t), bool)
    for mon, a, b in ctx.outages:
        if mon == monitor:
            m |= (t >= a) & (t < b)
    return m


def delay_by_outage(ctx: Ctx, monitor: str, ingested: np.ndarray, g) -> np.ndarray:
    out = ingested.copy()
    for mon, a, b in ctx.outages:
        if mon == monitor:
            m = (out >= a) & (out < b)
            out[m] = b + g.integers(2_000, 25_000, int(m.sum()))
    return out


# --- position/cash timelines ---------------------------------------------------


class Timeline:
    """Position, entry and cash of the book at arbitrary times (from the fills)."""

    def __init__(self, ctx: Ctx):
        f, uni = ctx.book.fills, ctx.uni
        self.ctx = ctx
        self.scale = 10.0 ** uni.sz_decimals
        self.by_coin = {}
        for i in range(uni.n_all):
            m = f["coin"] == i
            if m.any():
                self.by_coin[i] = (f["time"][m], f["lots_after"][m], f["entry_after"][m])
        sz = np.abs(f["d"]) / self.scale[f["coin"]]
        fill_cash = -np.sign(f["d"]) * sz * f["px"] - f["fee"]
        fu, le = ctx.book.funding, ctx.book.ledger
        t = np.concatenate([f["time"], fu["time"], le["time"]])
        v = np.concatenate([fill_cash, fu["usdc"], le["usdc"]])
        o = np.argsort(t, kind="stable")
        self.cash_t, self.cash_c = t[o], np.cumsum(v[o])

    def cash(self, t: np.ndarray) -> np.ndarray:
        k = np.searchsorted(self.cash_t, t, side="right")
        return np.where(k > 0, self.cash_c[np.maximum(k - 1, 0)], 0.0)

    def lots(self, i: int, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if i not in self.by_coin:
            return np.zeros(len(t), np.int64), np.full(len(t), np.nan)
        ft, la, ea = self.by_coin[i]
        k = np.searchsorted(ft, t, side="right") - 1
        ok = k >= 0
        kk = np.maximum(k, 0)
        return np.where(ok, la[kk], 0), np.where(ok, ea[kk], np.nan)


def account_rows(ctx: Ctx, tl: Timeline) -> pa.Table:
    uni, g = ctx.uni, ctx.rng(80)
    marks = np.arange(ctx.start_ms, ctx.end_ms + 1, SNAP_MS, dtype=np.int64)
    ts = marks + g.integers(1_000, 4_000, len(marks))
    keep = (ts <= ctx.end_ms) & ~in_outage(ctx, "account", ts)
    marks, ts = marks[keep], ts[keep]
    value = tl.cash(marks)
    ntl = np.zeros(len(marks))
    margin = np.zeros(len(marks))
    for i in tl.by_coin:
        lots, _ = tl.lots(i, marks)
        if not lots.any():
            continue
        notional = lots / tl.scale[i] * coin_prices_at(ctx.P, ctx.grid_ms, marks, np.full(len(marks), i))
        value += notional
        ntl += np.abs(notional)
        margin += np.abs(notional) / uni.leverage[i]
    n = len(marks)
    ing = ts + g.integers(100, 900, n)
    return pa.table({
        "ts": ts_arr(ts), "account": const_arr(ACCOUNT, n),
        "account_value": np.round(value, 6), "total_ntl_pos": np.round(ntl, 6),
        "total_margin_used": np.round(margin, 6), "withdrawable": np.round(np.maximum(value - margin, 0), 6),
        "ingested_at": ts_arr(ing),
    })


def position_rows(ctx: Ctx, tl: Timeline) -> pa.Table:
    uni, g = ctx.uni, ctx.rng(81)
    hours = np.arange(ctx.start_ms, ctx.end_ms + 1, HOUR_MS, dtype=np.int64)
    marks = hours + POS_MARK_MS
    marks = marks[marks + 1_500 <= ctx.end_ms]
    n = len(marks)
    equity = tl.cash(marks)
    mm = np.zeros(n)
    per = []
    for i in tl.by_coin:
        lots, ent = tl.lots(i, marks)
        held = lots != 0
        if not held.any():
            continue
        px = coin_prices_at(ctx.P, ctx.grid_ms, marks, np.full(n, i))
        u = lots / tl.scale[i]
        equity += u * px
        mm += np.abs(u) * px * 0.5 / uni.leverage[i]
        k = np.nonzero(held)[0]
        per.append((i, k, u[k], ent[k], px[k]))
    held_at = {i: k for i, k, *_ in per}
    holes: dict[int, list[np.ndarray]] = {}
    for coin, t0, nh in POSITION_HOLES:
        a = _ms(t0)
        hk = np.nonzero((marks >= a) & (marks < a + nh * HOUR_MS))[0]
        if not len(hk):
            continue
        cands = ([uni.index(coin)] if coin in uni.coins else []) + sorted(held_at)
        for i in cands:  # the named coin, or the first coin held throughout the stretch
            if i in held_at and np.isin(hk, held_at[i]).all():
                holes.setdefault(i, []).append(hk)
                break
    cols: dict[str, list] = {k: [] for k in ("k", "coin", "szi", "entry", "px")}
    for i, k, u, ent, px in per:
        keep = np.ones(len(k), bool)
        for hk in holes.get(i, []):
            keep &= ~np.isin(k, hk)
        for name, v in zip(("k", "coin", "szi", "entry", "px"), (k, np.full(len(k), i), u, ent, px)):
            cols[name].append(v[keep])
    k = np.concatenate(cols["k"]).astype(np.int64) if cols["k"] else np.zeros(0, np.int64)
    coin = np.concatenate(cols["coin"]).astype(np.int64) if cols["coin"] else np.zeros(0, np.int64)
    szi, ent, px = (np.concatenate(cols[c]) if cols[c] else np.zeros(0) for c in ("szi", "entry", "px"))
    o = np.lexsort((coin, k))
    k, coin, szi, ent, px = k[o], coin[o], szi[o], ent[o], px[o]
    lev = uni.leverage[coin]
    value = np.abs(szi) * px
    liq = px - np.sign(szi) * (equity[k] - mm[k]) / np.abs(szi)
    ts = marks[k] + g.integers(0, 1_500, len(k))
    m = len(k)
    return pa.table({
        "ts": ts_arr(ts), "account": const_arr(ACCOUNT, m), "coin": dict_arr(coin, uni.coins),
        "szi": szi, "entry_px": np.round(ent, 8), "position_value": np.round(value, 6),
        "unrealized_pnl": np.round(szi * (px - ent), 6), "leverage": lev,
        "liquidation_px": pa.array(np.round(liq, 8), mask=~(liq > 0)), "margin_used": np.round(value / lev, 6),
        "ingested_at": ts_arr(ts + g.integers(200, 1_500, m)),
    })


def funding_rows(ctx: Ctx) -> pa.Table:
    fu, g = ctx.book.funding, ctx.rng(82)
    n = len(fu["time"])
    ing = delay_by_outage(ctx, "funding", fu["time"] + g.integers(20_000, 90_000, n), g)
    return pa.table({
        "time": ts_arr(fu["time"]), "account": const_arr(ACCOUNT, n), "coin": dict_arr(fu["coin"], ctx.uni.coins),
        "usdc": fu["usdc"], "szi": fu["szi"], "funding_rate": fu["rate"], "ingested_at": ts_arr(ing),
    })


def ledger_rows(ctx: Ctx) -> pa.Table:
    le, g = ctx.book.ledger, ctx.rng(83)
    n = len(le["time"])
    ing = delay_by_outage(ctx, "ledger", le["time"] + g.integers(5_000, 40_000, n), g)
    return pa.table({
        "time": ts_arr(le["time"]), "account": const_arr(ACCOUNT, n), "type": pa.array(list(le["type"])),
        "usdc": le["usdc"], "hash": pa.array(list(hex_ids(g, n, 32))), "ingested_at": ts_arr(ing),
    })


def order_ids(ctx: Ctx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """oid (increasing with time), cloid (None for ~10%) and tx hash per order index."""
    od, g = ctx.book.orders, ctx.rng(84)
    n_idx = int(max(od["order"].max(initial=-1), ctx.book.fills["order"].max(initial=-1))) + 1
    t = np.full(n_idx, np.iinfo(np.int64).max)
    first = np.where(od["t_open"] >= 0, od["t_open"], od["t_final"])
    np.minimum.at(t, od["order"], first)
    np.minimum.at(t, ctx.book.fills["order"], ctx.book.fills["time"] - 100)
    t = np.where(t == np.iinfo(np.int64).max, ctx.grid_ms, t)
    rank = np.empty(n_idx, np.int64)
    rank[np.argsort(t, kind="stable")] = np.arange(n_idx)
    oid = 41_200_000_000 + (t - ctx.grid_ms) // 10 + rank
    cloid = hex_ids(g, n_idx, 16).astype(object)
    cloid[g.random(n_idx) < 0.10] = None
    return oid.astype(np.uint64), cloid, hex_ids(g, n_idx, 32)


def trade_rows(ctx: Ctx, oid, cloid, txh) -> pa.Table:
    f, uni, g = ctx.book.fills, ctx.uni, ctx.rng(85)
    n = len(f["time"])
    scale = 10.0 ** uni.sz_decimals[f["coin"]]
    tid = np.unique(g.integers(2**47, 2**50, int(n * 1.01) + 16))
    tid = g.permutation(tid)[:n].astype(np.uint64)
    ing = delay_by_outage(ctx, "trades", f["time"] + g.integers(1_000, 3_000, n), g)
    return pa.table({
        "time": ts_arr(f["time"]), "account": const_arr(ACCOUNT, n), "coin": dict_arr(f["coin"], uni.coins),
        "side": dict_arr((f["d"] < 0).astype(np.int32), ["B", "A"]), "px": f["px"], "sz": np.abs(f["d"]) / scale,
        "start_position": f["start_lots"] / scale, "dir": dict_arr(f["dir"], DIRS), "closed_pnl": f["closed_pnl"],
        "fee": f["fee"], "fee_token": const_arr("USDC", n), "oid": pa.array(oid[f["order"]]),
        "tid": pa.array(tid), "cloid": pa.array(list(cloid[f["order"]]), pa.string()),
        "crossed": pa.array(~f["maker"]), "hash": pa.array(list(txh[f["order"]])), "ingested_at": ts_arr(ing),
    })


def order_rows(ctx: Ctx, oid, cloid) -> tuple[pa.Table, int]:
    """'open' + final status row per order; ~1% of filled orders have no rows (untracked fills)."""
    od, uni, g = ctx.book.orders, ctx.uni, ctx.rng(86)
    filled_orders = np.unique(ctx.book.fills["order"])
    untracked = filled_orders[g.random(len(filled_orders)) < 0.01]
    keep = ~np.isin(od["order"], untracked)
    od = {k: v[keep] for k, v in od.items()}
    scale = 10.0 ** uni.sz_decimals[od["coin"]]
    has_open = od["t_open"] >= 0
    cols = {}
    for name, op, fin in (
        ("time", od["t_open"], od["t_final"]), ("order", od["order"], od["order"]),
        ("coin", od["coin"], od["coin"]), ("side", od["side"], od["side"]),
        ("limit_px", od["limit_px"], od["limit_px"]), ("sz", od["orig_lots"] / scale, od["remain_lots"] / scale),
        ("orig_sz", od["orig_lots"] / scale, od["orig_lots"] / scale), ("otype", od["otype"], od["otype"]),
        ("status", np.full(len(has_open), "open", dtype=object), od["status"]),
    ):
        cols[name] = np.concatenate([op[has_open], fin])
    o = np.argsort(cols["time"], kind="stable")
    cols = {k: v[o] for k, v in cols.items()}
    n = len(o)
    ing = delay_by_outage(ctx, "orders", cols["time"] + g.integers(500, 3_000, n), g)
    statuses = ["open", "filled", "canceled", "rejected"]
    types = ["Limit", "Alo", "Ioc"]
    table = pa.table({
        "time": ts_arr(cols["time"]), "account": const_arr(ACCOUNT, n), "oid": pa.array(oid[cols["order"]]),
        "cloid": pa.array(list(cloid[cols["order"]]), pa.string()), "coin": dict_arr(cols["coin"], uni.coins),
        "side": dict_arr((cols["side"] < 0).astype(np.int32), ["B", "A"]), "limit_px": cols["limit_px"],
        "sz": cols["sz"], "orig_sz": cols["orig_sz"],
        "order_type": dict_arr(np.select([cols["otype"] == x for x in types], range(len(types)), -1), types),
        "status": dict_arr(np.select([cols["status"] == x for x in statuses], range(len(statuses)), -1), statuses),
        "ingested_at": ts_arr(ing),
    })
    return table, len(untracked)


def kline_rows(ctx: Ctx) -> pa.Table:
    uni, P, g = ctx.uni, ctx.P, ctx.rng(87)
    coins = [i for i, c in enumerate(uni.coins) if c != UNPRICED_COIN and price_source(c) is not None]
    last_open = ctx.end_ms - END_OHLCV_DOWN_MS - HOUR_MS  # candles closed before the ohlcv monitor died
    k = np.arange((last_open - ctx.grid_ms) // HOUR_MS + 1)
    k = k[ctx.grid_ms + k * HOUR_MS >= ctx.start_ms]
    nh, nc = len(k), len(coins)
    ci = np.array(coins)
    o, c = P[k][:, ci], P[k + 1][:, ci]
    hv = np.sqrt((uni.beta[ci] * 0.42) ** 2 + uni.idio_vol[ci] ** 2) / np.sqrt(8760)
    tick = uni.tick[ci]
    hi = np.ceil(np.maximum(o, c) * (1 + np.abs(g.normal(0, 0.6, (nh, nc))) * hv) / tick) * tick
    lo = np.floor(np.minimum(o, c) * (1 - np.abs(g.normal(0, 0.6, (nh, nc))) * hv) / tick) * tick
    base = np.array([{"BTC": 9e8, "ETH": 5e8, "SOL": 1.5e8, "XRP": 1e8, "DOGE": 8e7, "BNB": 6e7}.get(
        uni.coins[i], 10 ** (6.2 + 1.6 * ((i * 0.6180339887) % 1))) for i in coins])
    hod = ((ctx.grid_ms + k * HOUR_MS) // HOUR_MS) % 24
    season = (1 + 0.35 * np.cos(2 * np.pi * (hod - 15) / 24))[:, None]
    vol = np.round(base * season * np.exp(g.normal(0, 0.35, (nh, nc))) / (0.5 * (o + c)), 3)
    open_ms = ctx.grid_ms + k * HOUR_MS
    stale = [(cn, _ms(t0), n) for cn, t0, n in SCRIPTED_KLINE_STALE]
    end_first = int(open_ms[-1]) - (END_STALE[1] - 1) * HOUR_MS if len(open_ms) else 0
    if all(((end_first // HOUR_MS + h) % 24) not in (23, 0, 1, 2) for h in range(END_STALE[1])):
        stale.append((END_STALE[0], end_first, END_STALE[1]))
    for cn, t0, n in stale:
        if cn in uni.coins and uni.index(cn) in coins:
            j = coins.index(uni.index(cn))
            stuck = np.nonzero((open_ms >= t0) & (open_ms < t0 + n * HOUR_MS))[0]
            if len(stuck) and stuck[0] > 0:
                last = c[stuck[0] - 1, j]
                o[stuck, j] = c[stuck, j] = hi[stuck, j] = lo[stuck, j] = last
                vol[stuck, j] = 0.0
    keep = np.ones((nh, nc), bool)
    gaps = [(uni.index(cn), _ms(t0), n) for cn, t0, n in SCRIPTED_KLINE_GAPS if cn in uni.coins]
    p_lo, p_hi = _ms(f"{PROTECTED[0]} 00:00:00"), _ms(f"{PROTECTED[1]} 23:59:59")
    for _ in range(2 + nh // (24 * 60)):  # a few random gaps
        t0 = ctx.grid_ms + int(g.integers(0, max(1, nh))) * HOUR_MS
        if not (p_lo <= t0 <= p_hi):
            gaps.append((coins[int(g.integers(0, nc))], t0, int(g.integers(1, 4))))
    for i, t0, n in gaps:
        if i in coins:
            keep[(open_ms >= t0) & (open_ms < t0 + n * HOUR_MS), coins.index(i)] = False
    rows = np.nonzero(keep.T.ravel())[0]  # symbol-major, then time
    sym_idx = np.repeat(np.arange(nc), nh)[rows]
    hk = np.tile(np.arange(nh), nc)[rows]
    symbols = [price_source(uni.coins[i]).symbol for i in coins]
    mult = np.array([price_source(uni.coins[i]).multiplier for i in coins])
    return pa.table({
        "open_time": pa.array(open_ms[hk] // 1000, pa.timestamp("s", tz="UTC")),
        "symbol": dict_arr(sym_idx, symbols),
        "open": (o / mult).T.ravel()[rows], "high": (hi / mult).T.ravel()[rows], "low": (lo / mult).T.ravel()[rows],
        "close": (c / mult).T.ravel()[rows], "volume": (vol * mult).T.ravel()[rows],
    })


def target_rows(ctx: Ctx, first: date, last: date) -> pa.Table:
    uni = ctx.uni
    rows = [k for k, d in enumerate(ctx.wdates) if first <= d <= last]
    nd, nm = len(rows), uni.n_model
    days = np.array([np.datetime64(ctx.wdates[k]) for k in rows], dtype="datetime64[D]")
    return pa.table({
        "date": pa.array(np.repeat(days, nm)), "sym": dict_arr(np.tile(np.arange(nm), nd), uni.coins[:nm]),
        "weight": ctx.W[rows].ravel(),
    })


# --- sync -----------------------------------------------------------------------


@dataclass
class SyncRuns:
    start: np.ndarray  # (n_runs, n_tables) ms
    dur: np.ndarray  # ms
    ok: np.ndarray  # bool
    err: np.ndarray  # message index (-1 ok)
    present: np.ndarray  # (n_runs,) bool: the run happened
    rows: np.ndarray  # (n_runs, n_tables)
    max_src: np.ndarray  # (n_runs, n_tables) ms, -1 none


def sync_runs(ctx: Ctx) -> SyncRuns:
    g = ctx.rng(90)
    R = np.arange(ctx.start_ms + SYNC_OFFSET_MS, ctx.end_ms + 1, SNAP_MS, dtype=np.int64)
    nt = len(SYNCED)
    present = ~in_outage(ctx, "sync", R)
    start = R[:, None] + np.arange(nt) * 1_900 + g.integers(0, 400, (len(R), nt))
    ok = g.random((len(R), nt)) >= 0.002
    tail = R >= ctx.end_ms - END_SYNC_FAIL_MS
    ok[tail] = False
    err = np.where(ok, -1, g.integers(0, len(ERRORS["sync"]), (len(R), nt)))
    err[tail] = 0
    dur = np.clip(1_000 + g.lognormal(np.log(1_500), 0.8, (len(R), nt)), 1_000, 20_000).astype(np.int64)
    dur = np.where(ok, dur, np.where(err == 1, 1_000, 30_000))
    return SyncRuns(start, dur, ok, err, present, np.zeros((len(R), nt), np.int64), np.full((len(R), nt), -1))


def attach_sync(ctx: Ctx, runs: SyncRuns, j: int, table: pa.Table, g) -> pa.Table:
    """Add synced_at (next good run of table j); drop unsynced rows; append ~0.5% duplicates."""
    ing = table.column("ingested_at").cast(pa.int64()).to_numpy()
    good = np.nonzero(runs.present & runs.ok[:, j])[0]
    s_ok = runs.start[good, j]
    idx = np.searchsorted(s_ok, ing + 500)
    synced = idx < len(good)
    if not synced.all():
        table = table.filter(pa.array(synced))
        ing, idx = ing[synced], idx[synced]
    run = good[idx]
    sat = runs.start[run, j] + (g.uniform(0.2, 0.95, len(run)) * runs.dur[run, j]).astype(np.int64)
    dup = np.nonzero((g.random(len(run)) < DUP_SHARE) & (idx + 1 < len(good)))[0]
    run2 = good[idx[dup] + 1]
    sat2 = runs.start[run2, j] + (g.uniform(0.2, 0.95, len(dup)) * runs.dur[run2, j]).astype(np.int64)
    all_run = np.concatenate([run, run2])
    np.add.at(runs.rows[:, j], all_run, 1)
    np.maximum.at(runs.max_src[:, j], all_run, np.concatenate([ing, ing[dup]]))
    out = pa.concat_tables([table, table.take(pa.array(dup))]).append_column(
        "synced_at", ts_arr(np.concatenate([sat, sat2])))
    return out


def sync_log_rows(ctx: Ctx, runs: SyncRuns) -> pa.Table:
    nr, nt = runs.start.shape
    r, j = np.nonzero(np.broadcast_to(runs.present[:, None], (nr, nt)))
    start = runs.start[r, j]
    fin = start + runs.dur[r, j]
    names = [ctx.tables.tables[k] for k in SYNCED]
    dbs = sorted({db for db, _ in names})
    db_idx = [dbs.index(db) for db, _ in names]
    msgs = ("",) + ERRORS["sync"]
    src = runs.max_src[r, j]
    return pa.table({
        "started_at": ts_arr(start), "finished_at": pa.array(fin, pa.timestamp("ms", tz="UTC")),
        "database": dict_arr(np.array(db_idx)[j], dbs),
        "table": dict_arr(j, [t for _, t in names]), "rows": pa.array(runs.rows[r, j].astype(np.uint64)),
        "max_source_ts": pa.array(src, pa.timestamp("ms", tz="UTC"), mask=src < 0),
        "status": dict_arr(np.where(runs.ok[r, j], 0, 1), ["ok", "error"]),
        "error": dict_arr(runs.err[r, j] + 1, msgs),
    })


# --- heartbeats -------------------------------------------------------------------


def heartbeat_sql(ctx: Ctx, target: str, n_symbols: int, n_held: int) -> str:
    """INSERT ... SELECT FROM numbers(): one beat per minute for the 7 polling monitors."""
    mons = MONITORS[:7]
    n_min = (ctx.end_ms - ctx.start_ms) // MIN_MS
    om = [(mons.index(m), a, b) for m, a, b in ctx.outages if m in mons]
    arr = lambda xs: "[" + ",".join(str(int(x)) for x in xs) + "]" if xs else "CAST([], 'Array(Int64)')"  # noqa: E731
    msgs = "[" + ",".join(
        "[" + ",".join("'" + x.replace("'", "") + "'" for x in ERRORS["ohlcv" if m == "ohlcv" else "hl"]) + "]"
        for m in mons) + "]"
    names = "[" + ",".join(f"'{m}'" for m in mons) + "]"
    s = int(ctx.seed)
    return f"""
INSERT INTO {target} (ts, monitor, host, status, message, rows, duration_ms)
SELECT fromUnixTimestamp64Milli(tms, 'UTC'), {names}[mk + 1], '{HOST}', if(is_err, 'error', 'ok'),
       if(is_err, arrayElement({msgs}[mk + 1], 1 + h3 % length({msgs}[mk + 1])),
          if(mk IN (2, 3) AND mm % 1440 < 3 AND h4 % 3 = 0,
             concat('ok after ', toString(2 + intDiv(h4, 3) % 3), ' retries: {RATE_LIMITED}'), '')),
       if(is_err, 0, multiIf(
           mk = 0, if(mm % 5 = 0, 1, 0),
           mk = 1, if(mm % 60 = 59, {max(n_held - 3, 1)} + h3 % 6, 0),
           mk = 2, if(mm % 1440 < 3, 4 + h3 % 18, 0),
           mk = 3, if(mm % 1440 < 3, 8 + h3 % 30, 0),
           mk = 4, if(mm % 60 = 1, {max(n_held - 3, 1)} + h3 % 6, 0),
           mk = 5, 0,
           if(mm % 60 = 0, {n_symbols}, 0))),
       if(is_err, 10000, [35, 60, 45, 50, 40, 30, 400][mk + 1] + h2 % [90, 180, 150, 150, 120, 60, 1200][mk + 1])
FROM (
    SELECT intDiv(number, 7) AS mi, number % 7 AS mk, intDiv({ctx.start_ms}, 60000) + mi AS mm,
           toInt64({ctx.start_ms} + mi * 60000 + mk * 1700 + cityHash64(number, {s}) % 900) AS tms,
           cityHash64(number, {s}, 1) % 25000 = 0 AS is_err,
           cityHash64(number, {s}, 2) AS h2, cityHash64(number, {s}, 3) AS h3, cityHash64(number, {s}, 4) AS h4
    FROM numbers({n_min * 7})
)
WHERE tms <= {ctx.end_ms}
  AND NOT arrayExists((m, a, b) -> m = mk AND tms >= a AND tms < b,
                      {arr([x[0] for x in om])}, {arr([x[1] for x in om])}, {arr([x[2] for x in om])})
"""


def extra_heartbeats(ctx: Ctx, runs: SyncRuns) -> pa.Table:
    """The sync monitor's beats (from the sync runs) + an error beat as each outage starts."""
    g = ctx.rng(91)
    mins = np.arange(ctx.start_ms, ctx.end_ms - 7 * 1_700, MIN_MS, dtype=np.int64)
    ts = mins + 7 * 1_700 + g.integers(0, 900, len(mins))
    keep = ~in_outage(ctx, "sync", ts)
    run = (mins - ctx.start_ms) // SNAP_MS
    at_run = ((mins - ctx.start_ms) % SNAP_MS) == 0
    rows = np.where(at_run, runs.rows[np.minimum(run, len(runs.rows) - 1)].sum(axis=1), 0)
    err_idx = np.where(at_run, runs.err[np.minimum(run, len(runs.err) - 1)].max(axis=1), -1)
    # the sync monitor keeps failing after the first failed run at the end
    tail = ts >= ctx.end_ms - END_SYNC_FAIL_MS
    err_idx[tail] = 0
    dur = np.where(err_idx >= 0, 30_000, 200 + g.integers(0, 2_500, len(mins)) + rows * 3)
    mon = np.full(len(mins), 7)
    msg = err_idx + 1
    # an error beat when a scripted/random outage begins (the monitor's last words)
    extra_t, extra_m, extra_msg = [], [], []
    for m, a, b in ctx.outages:
        if m == "sync" or (m == "funding" and b > ctx.end_ms) or a < ctx.start_ms:
            continue  # sync errors come from the runs; the late funding monitor is merely late
        t = a + int(g.integers(0, 20_000))
        if t <= ctx.end_ms:
            extra_t.append(t)
            extra_m.append(MONITORS.index(m))
            extra_msg.append(m)
    msgs = ("",) + ERRORS["sync"] + ERRORS["hl"][:1] + ERRORS["ohlcv"][:1]
    ex_msg = [len(ERRORS["sync"]) + (2 if x == "ohlcv" else 1) for x in extra_msg]
    t_all = np.concatenate([ts[keep], np.array(extra_t, np.int64)])
    n_ex = len(extra_t)
    mon_all = np.concatenate([mon[keep], np.array(extra_m, np.int64)])
    msg_all = np.concatenate([msg[keep], np.array(ex_msg, np.int64)])
    st = (msg_all > 0).astype(np.int32)
    return pa.table({
        "ts": ts_arr(t_all), "monitor": dict_arr(mon_all, MONITORS), "host": const_arr(HOST, len(t_all)),
        "status": dict_arr(st, ["ok", "error"]), "message": dict_arr(msg_all, msgs),
        "rows": pa.array(np.concatenate([rows[keep], np.zeros(n_ex, np.int64)]).astype(np.uint64)),
        "duration_ms": pa.array(np.concatenate([dur[keep], np.full(n_ex, 10_000)]).astype(np.uint32)),
    })
