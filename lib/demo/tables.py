"""Demo desk, part 3: the rows of every table, the sync bookkeeping, heartbeats.

Every function here produces the rows *visible* in a window (lo, hi] of desk
time: a row exists once it has reached the tables (synced rows at `synced_at`,
candles shortly after their hour closes, heartbeats at `ts`, ...). A desk seeded
to `end` is the window (-inf, end]; the live feeder (lib/demo/feeder.py) adds
(previous end, now] every tick. Randomness is keyed by each row's identity
(lib/demo/keyed.py), and the scenario (outages, gaps, failures) by absolute
time, so windows compose exactly: seeding to 12:00 and feeding to 13:00 gives
the same rows as seeding to 13:00.

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
  Rows not synced yet are not in the tables (they have not reached the remote
  yet). About 0.5% of synced rows arrive twice (the next run re-sends them):
  same natural key, later synced_at, left unmerged.
* candles appear 20-80 s after their hour closes (later when ohlcv is down);
  the model's weights dated d appear at d+1 00:00:15; sync_log rows at the
  run's finish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa

from lib.book.symbols import price_source
from lib.config import TableMap
from lib.demo import keyed
from lib.demo.simulation.book import DIRS, PROTECTED, Book
from lib.demo.simulation.market import (
    DAY_MS,
    HOUR_MS,
    UNPRICED_COIN,
    Universe,
    coin_prices_at,
    max_leverage,
    ms_of,
)

ACCOUNT = "0x7a3f5c1e9b2d4f60a8c3e7b1d5f9a2c4e6b8d0f3"  # the demo desk's Hyperliquid address
HOST = "chenlin04"
MONITORS = ("account", "positions", "trades", "orders", "funding", "ledger", "ohlcv", "sync")
MIN_MS = 60_000
SNAP_MS = 5 * MIN_MS
POS_MARK_MS = 59 * MIN_MS + 30_000  # positions are marked at hh:59:30
SYNC_OFFSET_MS = 12_000  # sync runs start at every 5-minute mark + 12 s
SYNCED = ("trades", "orders", "funding", "ledger", "account", "positions")  # TableMap keys, sync order
DUP_SHARE = 0.005
TARGETS_PUBLISHED_MS = 15_000  # weights dated d appear at d+1 00:00:15
UTC = UTC
NEVER = -(2**62)  # "the beginning of time" for a window's lower bound
# Events this long before a window can still become visible inside it (ingestion
# delayed by an outage, then waiting for the next good sync run); see lookback_ms().
MIN_LOOKBACK_MS = 12 * HOUR_MS


def _ms(s: str) -> int:
    return int(datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp() * 1000)


# Monitor outages: no heartbeats; the monitor's data arrives late (account:
# those snapshots are simply missing; sync: no runs, rows wait for the next).
# The last three draw the picture the tests' desk (ending 2025-12-15 12:00)
# shows at its end: ohlcv down for 41 min, funding 4 min late, sync failing.
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
    ("ohlcv", "2025-12-15 11:19:00", "2025-12-15 13:02:00"),
    ("funding", "2025-12-15 11:56:30", "2025-12-15 12:21:00"),
)
# Outages that are mere silence (no error beat as they start): the monitor is late, not failing.
QUIET_OUTAGES = {("funding", "2025-12-15 11:56:30")}
# Sync runs that run but fail (timeout on the remote), every table.
SCRIPTED_SYNC_FAILURES = (("2025-12-15 11:48:00", "2025-12-15 12:37:00"),)
RANDOM_OUTAGE_MONITORS = ("trades", "orders", "funding", "ledger", "ohlcv", "sync")
RANDOM_OUTAGE_PER_DAY = 1 / 40  # per monitor
# Positions rows missing for a coin for a few hours (fills-vs-snapshot reconciliation).
POSITION_HOLES = (("SOL", "2025-11-28 05:59:30", 5), ("kPEPE", "2026-03-18 20:59:30", 3))
# Binance candles missing (coin, first open_time, hours); plus random ones (KLINE_GAP_PER_DAY).
SCRIPTED_KLINE_GAPS = (("WIF", "2025-11-27 10:00:00", 2),)
KLINE_GAP_PER_DAY = 1 / 60
# A stuck Binance feed: the candles repeat the previous close, with no volume (coin, first open_time, hours).
# The second is the stale feed the tests' desk shows at its end (2025-12-15 12:00: DOT's last 4 candles),
# kept clear of 23:00-02:59 UTC (the rebalance and the tracking-error snapshot hour).
SCRIPTED_KLINE_STALE = (("LINK", "2025-11-23 05:00:00", 5), ("DOT", "2025-12-15 07:00:00", 4))

RATE_LIMITED = "HTTP 429 Too Many Requests from api.hyperliquid.xyz"
# The trades and orders monitors poll hardest in the 00:00 rebalance burst: some of their beats there
# succeed only after retrying on HTTP 429 (status ok, the retries in the message).

ERRORS = {
    "hl": (
        RATE_LIMITED,
        "HTTP 502 Bad Gateway from api.hyperliquid.xyz",
        "ClickHouse timeout: Code: 159. Timeout exceeded: elapsed 10.0 seconds (TIMEOUT_EXCEEDED)",
    ),
    "ohlcv": (
        "HTTP 429 Too Many Requests from fapi.binance.com",
        "ClickHouse timeout: Code: 159. Timeout exceeded: elapsed 10.0 seconds (TIMEOUT_EXCEEDED)",
    ),
    "sync": (
        "ClickHouse timeout: Code: 159. DB::Exception: Timeout exceeded: elapsed 30.0 seconds "
        "(TIMEOUT_EXCEEDED) on remote 10.8.0.12:9440",
        "Code: 210. DB::NetException: Connection refused (10.8.0.12:9440) (NETWORK_ERROR)",
        "Code: 241. DB::Exception: Memory limit (total) exceeded: would use 7.46 GiB (MEMORY_LIMIT_EXCEEDED)",
    ),
}

# keyed-random streams (lib/demo/keyed.py), one per purpose
(
    K_OUTAGE,
    K_DELAY,
    K_ACCOUNT,
    K_POSITIONS,
    K_FUNDING,
    K_LEDGER,
    K_ORDER_IDS,
    K_TRADES,
    K_ORDERS,
    K_KLINES,
    K_KLINE_GAPS,
    K_SYNC_RUNS,
    K_SYNC_ROWS,
    K_SYNC_BEATS,
    K_META,
) = range(70, 85)
ACCOUNT_STREAM_STEP = 1_000  # sub-account k draws from stream + k * this (no stream above is that large)
META_POLL_MS = 6 * HOUR_MS  # the ingestion polls the exchange's `meta` every 6 hours (00:00:40, 06:00:40, ...)
META_POLL_OFFSET_MS = 40_000
SUB_POLL_MS = (300, 1_200)  # a sub-account's snapshot is written this long after the main account's, same round
TID_RANGE = 2**50  # the main account's tids lie in [2**47, 2**50), sub-account k's in [k, k + 1) * 2**50


@dataclass
class Ctx:
    """One window of one desk: the model's arrays and the window (lo, hi] = (lo_ms, end_ms]."""

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
    lo_ms: int = NEVER
    quiet: set[tuple[str, int]] = field(default_factory=set)
    # whose rows: the main account is 0; a sub-account's draws come from its own streams (stream())
    account: str = ACCOUNT
    acct: int = 0

    @property
    def ev_lo(self) -> int:
        """Earliest event time that can become visible in the window."""
        return self.start_ms if self.lo_ms <= self.start_ms else max(self.start_ms, self.lo_ms - lookback_ms(self))

    def stream(self, stream: int) -> int:
        """The account's own copy of a keyed stream (the main account's are the plain numbers)."""
        return stream + ACCOUNT_STREAM_STEP * self.acct

    def u(self, stream: int, *keys) -> np.ndarray:
        return keyed.uniform(self.seed, self.stream(stream), *keys)

    def ints(self, stream: int, lo: int, hi: int, *keys) -> np.ndarray:
        return keyed.integers(self.seed, self.stream(stream), lo, hi, *keys)

    def key(self, *keys) -> pa.Array:
        """A row identity (uint64 hash of its natural key, distinct per account) carried until the sync
        is attached: it keys the sync draws (which run, re-sent or not)."""
        return pa.array(keyed.hash64(0, self.acct, *keys), pa.uint64())

    def visible(self, t: np.ndarray) -> np.ndarray:
        return (t > self.lo_ms) & (t <= self.end_ms)


def lookback_ms(ctx: Ctx) -> int:
    """Longest delay from an event to its visibility: the longest outage plus sync waits."""
    longest = max((b - a for _, a, b in ctx.outages), default=0)
    return max(MIN_LOOKBACK_MS, 2 * longest + 2 * HOUR_MS)


# --- arrow helpers ------------------------------------------------------------


def ts_arr(ms: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(ms, dtype=np.int64), pa.timestamp("ms", tz="UTC"))


def dict_arr(idx: np.ndarray, values) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(idx, dtype=np.int32)), pa.array(list(values)))


def const_arr(value: str, n: int) -> pa.DictionaryArray:
    return dict_arr(np.zeros(n, np.int32), [value])


# --- scenario -----------------------------------------------------------------


def outages(seed: int, start_ms: int, through_ms: int) -> tuple[list[tuple[str, int, int]], set[tuple[str, int]]]:
    """(monitor, start, end) of every outage starting before `through_ms`, and the quiet ones.

    Random outages are drawn per monitor and day (keyed), never near the 00:00
    rebalance nor in the reference window, so the list for a day never depends
    on how far the desk extends."""
    out = [(m, _ms(a), _ms(b)) for m, a, b in SCRIPTED_OUTAGES]
    quiet = {(m, _ms(a)) for m, a in QUIET_OUTAGES}
    p_lo, p_hi = _ms(f"{PROTECTED[0]} 00:00:00"), _ms(f"{PROTECTED[1]} 23:59:59")
    first_day = start_ms // DAY_MS + 1
    days = np.arange(first_day, max(first_day, through_ms // DAY_MS + 1))
    for mi, m in enumerate(RANDOM_OUTAGE_MONITORS):
        hit = days[keyed.uniform(seed, K_OUTAGE, mi, days) < RANDOM_OUTAGE_PER_DAY]
        a = (
            hit * DAY_MS
            + np.floor(keyed.uniform(seed, K_OUTAGE + 100, mi, hit) * DAY_MS / 1000).astype(np.int64) * 1000
        )
        lo, hi = np.log(3 * MIN_MS), np.log(3 * HOUR_MS)
        dur = np.exp(lo + (hi - lo) * keyed.uniform(seed, K_OUTAGE + 200, mi, hit)).astype(np.int64)
        for a_, d_ in zip(a.tolist(), dur.tolist()):
            if not (a_ + d_ < p_lo or a_ > p_hi):
                continue
            if (a_ % DAY_MS) > DAY_MS - 10 * MIN_MS or (a_ + d_) % DAY_MS < 10 * MIN_MS:
                continue  # keep random outages away from the 00:00 rebalance
            out.append((m, a_, a_ + d_))
    return sorted((m, a, b) for m, a, b in out if b > start_ms and a < through_ms), quiet


def in_outage(ctx: Ctx, monitor: str, t: np.ndarray) -> np.ndarray:
    m = np.zeros(len(t), bool)
    for mon, a, b in ctx.outages:
        if mon == monitor:
            m |= (t >= a) & (t < b)
    return m


def delay_by_outage(ctx: Ctx, monitor: str, ingested: np.ndarray, *keys) -> np.ndarray:
    """Rows ingested while their monitor was down arrive when it comes back (+2-25 s)."""
    out = ingested.copy()
    for mon, a, b in ctx.outages:
        if mon == monitor:
            m = (out >= a) & (out < b)
            if m.any():
                sub = [k[m] if np.ndim(k) else k for k in keys]
                out[m] = b + ctx.ints(K_DELAY, 2_000, 25_000, MONITORS.index(monitor), *sub)
    return out


# --- position/cash timelines ---------------------------------------------------


class Timeline:
    """Position, entry and cash of the book at arbitrary times (from the fills)."""

    def __init__(self, uni: Universe, book: Book):
        f = book.fills
        self.scale = 10.0**uni.sz_decimals
        self.by_coin = {}
        for i in range(uni.n_all):
            m = f["coin"] == i
            if m.any():
                self.by_coin[i] = (f["time"][m], f["lots_after"][m], f["entry_after"][m])
        sz = np.abs(f["d"]) / self.scale[f["coin"]]
        fill_cash = -np.sign(f["d"]) * sz * f["px"] - f["fee"]
        fu, le = book.funding, book.ledger
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


def _grid(ctx: Ctx, step: int, offset: int = 0) -> np.ndarray:
    """Times k*step + offset (k*step >= start) from the window's earliest event to its end."""
    first = max(ctx.start_ms, ctx.ev_lo - offset)
    first = -(-first // step) * step
    return np.arange(first, ctx.end_ms + 1, step, dtype=np.int64) + offset


def account_rows(ctx: Ctx, tl: Timeline) -> pa.Table:
    uni = ctx.uni
    marks = _grid(ctx, SNAP_MS)
    # the monitor polls every account in one round: the main account 1-4 s after the mark, then each sub-account
    main_ts = marks + keyed.integers(ctx.seed, K_ACCOUNT, 1_000, 4_000, marks)
    ts = main_ts if ctx.acct == 0 else main_ts + ctx.ints(K_ACCOUNT + 200, *SUB_POLL_MS, marks)
    keep = (ts <= ctx.end_ms) & ~in_outage(ctx, "account", main_ts)  # a round the outage missed misses them all
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
    ing = ts + ctx.ints(K_ACCOUNT + 100, 100, 900, marks)
    return pa.table(
        {
            "ts": ts_arr(ts),
            "account": const_arr(ctx.account, n),
            "account_value": np.round(value, 6),
            "total_ntl_pos": np.round(ntl, 6),
            "total_margin_used": np.round(margin, 6),
            "withdrawable": np.round(np.maximum(value - margin, 0), 6),
            "ingested_at": ts_arr(ing),
            "_key": ctx.key(marks),
        }
    )


def _hole_coin(ctx: Ctx, tl: Timeline, coin: str, marks: np.ndarray) -> int | None:
    """The coin a positions hole hides: the named one, or the first coin held throughout."""
    cands = ([ctx.uni.index(coin)] if coin in ctx.uni.coins else []) + sorted(tl.by_coin)
    for i in cands:
        if (tl.lots(i, marks)[0] != 0).all():
            return i
    return None


def position_rows(ctx: Ctx, tl: Timeline) -> pa.Table:
    uni = ctx.uni
    marks = _grid(ctx, HOUR_MS, POS_MARK_MS)
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
    holes: dict[int, list[np.ndarray]] = {}
    for coin, t0, nh in POSITION_HOLES if ctx.acct == 0 else ():  # the scripted holes are the main account's
        a = _ms(t0)
        hk = np.nonzero((marks >= a) & (marks < a + nh * HOUR_MS))[0]
        if not len(hk):
            continue
        i = _hole_coin(ctx, tl, coin, a + HOUR_MS * np.arange(nh, dtype=np.int64))
        if i is not None:
            holes.setdefault(i, []).append(hk)
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
    # Hyperliquid's cross-margin liquidation price (docs, Trading > Liquidations):
    #   liq = price - side * margin_available / |size| / (1 - l * side),  l = 1 / maintenance leverage
    # (the maintenance margin is half the initial margin at max leverage: l = 0.5 / leverage), margin_available =
    # equity - maintenance margin. At liq, equity (moving with this coin) meets the maintenance margin (also moving).
    side = np.sign(szi)
    maint = 0.5 / lev
    with np.errstate(divide="ignore", invalid="ignore"):
        liq = px - side * (equity[k] - mm[k]) / np.abs(szi) / (1 - maint * side)
    mk = marks[k]
    ts = mk + ctx.ints(K_POSITIONS, 0, 1_500, mk, coin)
    m = len(k)
    return pa.table(
        {
            "ts": ts_arr(ts),
            "account": const_arr(ctx.account, m),
            "coin": dict_arr(coin, uni.coins),
            "szi": szi,
            "entry_px": np.round(ent, 8),
            "position_value": np.round(value, 6),
            "unrealized_pnl": np.round(szi * (px - ent), 6),
            "leverage": lev,
            "liquidation_px": pa.array(np.round(liq, 8), mask=~(liq > 0)),
            "margin_used": np.round(value / lev, 6),
            "ingested_at": ts_arr(ts + ctx.ints(K_POSITIONS + 100, 200, 1_500, mk, coin)),
            "_key": ctx.key(mk, coin),
        }
    )


def funding_rows(ctx: Ctx) -> pa.Table:
    fu = ctx.book.funding
    m = (fu["time"] >= ctx.ev_lo) & (fu["time"] <= ctx.end_ms)
    t, coin = fu["time"][m], fu["coin"][m]
    n = len(t)
    ing = delay_by_outage(ctx, "funding", t + ctx.ints(K_FUNDING, 20_000, 90_000, t, coin), t, coin)
    return pa.table(
        {
            "time": ts_arr(t),
            "account": const_arr(ctx.account, n),
            "coin": dict_arr(coin, ctx.uni.coins),
            "usdc": fu["usdc"][m],
            "szi": fu["szi"][m],
            "funding_rate": fu["rate"][m],
            "ingested_at": ts_arr(ing),
            "_key": ctx.key(t, coin),
        }
    )


def ledger_rows(ctx: Ctx) -> pa.Table:
    le = ctx.book.ledger
    m = (le["time"] >= ctx.ev_lo) & (le["time"] <= ctx.end_ms)
    t = le["time"][m]
    n = len(t)
    ing = delay_by_outage(ctx, "ledger", t + ctx.ints(K_LEDGER, 5_000, 40_000, t), t)
    return pa.table(
        {
            "time": ts_arr(t),
            "account": const_arr(ctx.account, n),
            "type": pa.array(list(le["type"][m]), pa.string()),
            "usdc": le["usdc"][m],
            "hash": pa.array(list(keyed.hex_ids(ctx.seed, ctx.stream(K_LEDGER + 100), 32, t)), pa.string()),
            "ingested_at": ts_arr(ing),
            "_key": ctx.key(t),
        }
    )


def order_ids(
    seed: int, grid_ms: int, book: Book, acct: int = 0, taken: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """oid (increasing with time), cloid (None for ~10%) and tx hash per order index.

    Orders are numbered day by day, so an order's rank (and oid) never depends
    on how many later days the book holds. A sub-account (acct > 0) has its own
    cloids and hashes, and oids from the same exchange-wide sequence: each one
    steps past the main account's oids (`taken`), which, with far fewer orders
    than the main account, only ever come from the same or earlier days."""
    od = book.orders
    n_idx = int(max(od["order"].max(initial=-1), book.fills["order"].max(initial=-1))) + 1
    t = np.full(n_idx, np.iinfo(np.int64).max)
    first = np.where(od["t_open"] >= 0, od["t_open"], od["t_final"])
    np.minimum.at(t, od["order"], first)
    np.minimum.at(t, book.fills["order"], book.fills["time"] - 100)
    t = np.where(t == np.iinfo(np.int64).max, grid_ms, t)
    rank = np.empty(n_idx, np.int64)
    rank[np.argsort(t, kind="stable")] = np.arange(n_idx)
    oid = 41_200_000_000 + (t - grid_ms) // 10 + rank
    if taken is not None and len(taken):
        oid = _step_past(oid, taken)
    idx = np.arange(n_idx)
    k = ACCOUNT_STREAM_STEP * acct
    cloid = keyed.hex_ids(seed, K_ORDER_IDS + k, 16, idx)
    cloid[keyed.uniform(seed, K_ORDER_IDS + 100 + k, idx) < 0.10] = None
    return oid.astype(np.uint64), cloid, keyed.hex_ids(seed, K_ORDER_IDS + 200 + k, 32, idx)


def _step_past(oid: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """The oids in rank order, each moved up to the next number no other account's order has."""
    used = set(np.asarray(taken, np.int64).tolist())
    out = oid.astype(np.int64).copy()
    order = np.argsort(out, kind="stable")
    prev = -1
    for k in order.tolist():
        o = max(int(out[k]), prev + 1)
        while o in used:
            o += 1
        out[k] = prev = o
    return out


def trade_rows(ctx: Ctx, oid, cloid, txh) -> pa.Table:
    f, uni = ctx.book.fills, ctx.uni
    sel = np.nonzero((f["time"] >= ctx.ev_lo) & (f["time"] <= ctx.end_ms))[0]  # fill index = identity
    f = {k: v[sel] for k, v in f.items()}
    n = len(sel)
    scale = 10.0 ** uni.sz_decimals[f["coin"]]
    lo = 2**47 if ctx.acct == 0 else ctx.acct * TID_RANGE  # disjoint ranges: no two accounts share a tid
    span = TID_RANGE * (ctx.acct + 1) - lo
    tid = (np.uint64(lo) + keyed.hash64(ctx.seed, ctx.stream(K_TRADES), sel) % np.uint64(span)).astype(np.uint64)
    ing = delay_by_outage(ctx, "trades", f["time"] + ctx.ints(K_TRADES + 100, 1_000, 3_000, sel), sel)
    return pa.table(
        {
            "time": ts_arr(f["time"]),
            "account": const_arr(ctx.account, n),
            "coin": dict_arr(f["coin"], uni.coins),
            "side": dict_arr((f["d"] < 0).astype(np.int32), ["B", "A"]),
            "px": f["px"],
            "sz": np.abs(f["d"]) / scale,
            "start_position": f["start_lots"] / scale,
            "dir": dict_arr(f["dir"], DIRS),
            "closed_pnl": f["closed_pnl"],
            "fee": f["fee"],
            "fee_token": const_arr("USDC", n),
            "oid": pa.array(oid[f["order"]]),
            "tid": pa.array(tid),
            "cloid": pa.array(list(cloid[f["order"]]), pa.string()),
            "crossed": pa.array(~f["maker"]),
            "hash": pa.array(list(txh[f["order"]]), pa.string()),
            "ingested_at": ts_arr(ing),
            "_key": ctx.key(sel),
        }
    )


def untracked_orders(ctx: Ctx) -> np.ndarray:
    """~1% of filled orders have no order rows (the fills are 'untracked')."""
    filled = np.unique(ctx.book.fills["order"])
    return filled[ctx.u(K_ORDERS, filled) < 0.01]


def order_rows(ctx: Ctx, oid, cloid) -> pa.Table:
    """'open' + final status row per order; untracked_orders() have none."""
    od, uni = ctx.book.orders, ctx.uni
    keep = ~np.isin(od["order"], untracked_orders(ctx))
    od = {k: v[keep] for k, v in od.items()}
    scale = 10.0 ** uni.sz_decimals[od["coin"]]
    has_open = od["t_open"] >= 0
    cols = {}
    for name, op, fin in (
        ("time", od["t_open"], od["t_final"]),
        ("order", od["order"], od["order"]),
        ("coin", od["coin"], od["coin"]),
        ("side", od["side"], od["side"]),
        ("limit_px", od["limit_px"], od["limit_px"]),
        ("sz", od["orig_lots"] / scale, od["remain_lots"] / scale),
        ("orig_sz", od["orig_lots"] / scale, od["orig_lots"] / scale),
        ("otype", od["otype"], od["otype"]),
        ("status", np.full(len(has_open), "open", dtype=object), od["status"]),
        ("final", np.zeros(len(has_open), np.int64), np.ones(len(has_open), np.int64)),
    ):
        cols[name] = np.concatenate([op[has_open], fin])
    m = (cols["time"] >= ctx.ev_lo) & (cols["time"] <= ctx.end_ms)
    cols = {k: v[m] for k, v in cols.items()}
    o = np.lexsort((cols["final"], cols["order"], cols["time"]))
    cols = {k: v[o] for k, v in cols.items()}
    n = len(o)
    rk = (cols["order"], cols["final"])
    ing = delay_by_outage(ctx, "orders", cols["time"] + ctx.ints(K_ORDERS + 100, 500, 3_000, *rk), *rk)
    statuses = ["open", "filled", "canceled", "rejected"]
    types = ["Limit", "Alo", "Ioc"]
    return pa.table(
        {
            "time": ts_arr(cols["time"]),
            "account": const_arr(ctx.account, n),
            "oid": pa.array(oid[cols["order"]]),
            "cloid": pa.array(list(cloid[cols["order"]]), pa.string()),
            "coin": dict_arr(cols["coin"], uni.coins),
            "side": dict_arr((cols["side"] < 0).astype(np.int32), ["B", "A"]),
            "limit_px": cols["limit_px"],
            "sz": cols["sz"],
            "orig_sz": cols["orig_sz"],
            "order_type": dict_arr(np.select([cols["otype"] == x for x in types], range(len(types)), -1), types),
            "status": dict_arr(np.select([cols["status"] == x for x in statuses], range(len(statuses)), -1), statuses),
            "ingested_at": ts_arr(ing),
            "_key": ctx.key(*rk),
        }
    )


def kline_gaps(ctx: Ctx, coins: list[int]) -> list[tuple[int, int, int]]:
    """(coin index, first open ms, hours) of missing candles: scripted + ~1 per 60 days (keyed per day)."""
    uni = ctx.uni
    gaps = [(uni.index(cn), _ms(t0), n) for cn, t0, n in SCRIPTED_KLINE_GAPS if cn in uni.coins]
    p_lo, p_hi = _ms(f"{PROTECTED[0]} 00:00:00"), _ms(f"{PROTECTED[1]} 23:59:59")
    days = np.arange(ctx.start_ms // DAY_MS, ctx.end_ms // DAY_MS + 1)
    hit = days[ctx.u(K_KLINE_GAPS, days) < KLINE_GAP_PER_DAY]
    t0 = hit * DAY_MS + ctx.ints(K_KLINE_GAPS + 1, 0, 24, hit) * HOUR_MS
    ci = ctx.ints(K_KLINE_GAPS + 2, 0, len(coins), hit)
    hours = ctx.ints(K_KLINE_GAPS + 3, 1, 4, hit)
    for t, c, h in zip(t0.tolist(), ci.tolist(), hours.tolist()):
        if not (p_lo <= t <= p_hi):
            gaps.append((coins[c], t, h))
    return gaps


def kline_rows(ctx: Ctx) -> pa.Table:
    uni, P = ctx.uni, ctx.P
    coins = [i for i, c in enumerate(uni.coins) if c != UNPRICED_COIN and price_source(c) is not None]
    first = max(ctx.start_ms, (ctx.ev_lo // HOUR_MS - 1) * HOUR_MS)  # a candle closes an hour after it opens
    open_ms = np.arange(first, ctx.end_ms + 1, HOUR_MS, dtype=np.int64)
    k = (open_ms - ctx.grid_ms) // HOUR_MS
    nh, nc = len(k), len(coins)
    ci = np.array(coins)
    hk2, cc = open_ms[:, None] // HOUR_MS, ci[None, :]
    # visible 20-80 s after the candle closes, or when the ohlcv monitor comes back
    vis = open_ms + HOUR_MS + ctx.ints(K_KLINES, 20_000, 80_000, open_ms // HOUR_MS)
    vis = delay_by_outage(ctx, "ohlcv", vis, open_ms // HOUR_MS)
    o, c = P[k][:, ci], P[k + 1][:, ci]
    hv = np.sqrt((uni.beta[ci] * 0.42) ** 2 + uni.idio_vol[ci] ** 2) / np.sqrt(8760)
    tick = uni.tick[ci]
    hi = (
        np.ceil(np.maximum(o, c) * (1 + np.abs(0.6 * keyed.normal(ctx.seed, K_KLINES + 1, hk2, cc)) * hv) / tick) * tick
    )
    lo = (
        np.floor(np.minimum(o, c) * (1 - np.abs(0.6 * keyed.normal(ctx.seed, K_KLINES + 2, hk2, cc)) * hv) / tick)
        * tick
    )
    base = np.array(
        [
            {"BTC": 9e8, "ETH": 5e8, "SOL": 1.5e8, "XRP": 1e8, "DOGE": 8e7, "BNB": 6e7}.get(
                uni.coins[i], 10 ** (6.2 + 1.6 * ((i * 0.6180339887) % 1))
            )
            for i in coins
        ]
    )
    hod = (open_ms // HOUR_MS) % 24
    season = (1 + 0.35 * np.cos(2 * np.pi * (hod - 15) / 24))[:, None]
    vol = np.round(base * season * np.exp(0.35 * keyed.normal(ctx.seed, K_KLINES + 3, hk2, cc)) / (0.5 * (o + c)), 3)
    for cn, t0, n in SCRIPTED_KLINE_STALE:
        a = _ms(t0)
        if cn in uni.coins and uni.index(cn) in coins:
            j = coins.index(uni.index(cn))
            stuck = np.nonzero((open_ms >= a) & (open_ms < a + n * HOUR_MS))[0]
            at = (a - ctx.grid_ms) // HOUR_MS  # the previous close; none outside the desk's span
            last = P[at, ci[j]] if a > ctx.grid_ms and at < P.shape[0] else None
            if len(stuck) and last is not None:
                o[stuck, j] = c[stuck, j] = hi[stuck, j] = lo[stuck, j] = last
                vol[stuck, j] = 0.0
    keep = np.repeat(ctx.visible(vis)[:, None], nc, axis=1)
    for i, t0, n in kline_gaps(ctx, coins):
        if i in coins:
            keep[(open_ms >= t0) & (open_ms < t0 + n * HOUR_MS), coins.index(i)] = False
    rows = np.nonzero(keep.T.ravel())[0]  # symbol-major, then time
    sym_idx = np.repeat(np.arange(nc), nh)[rows]
    hk = np.tile(np.arange(nh), nc)[rows]
    symbols = [price_source(uni.coins[i]).symbol for i in coins]
    mult = np.array([price_source(uni.coins[i]).multiplier for i in coins])
    return pa.table(
        {
            "open_time": pa.array(open_ms[hk] // 1000, pa.timestamp("s", tz="UTC")),
            "symbol": dict_arr(sym_idx, symbols),
            "open": (o / mult).T.ravel()[rows],
            "high": (hi / mult).T.ravel()[rows],
            "low": (lo / mult).T.ravel()[rows],
            "close": (c / mult).T.ravel()[rows],
            "volume": (vol * mult).T.ravel()[rows],
        }
    )


def asset_meta_rows(ctx: Ctx) -> pa.Table:
    """The exchange's `meta` answer as the ingestion stores it (queries/schema.sql hyperliquid.asset_meta):
    every coin of the universe at each poll, synced to the remote 20-60 s later. Size decimals are the
    book's own lots (positions are whole multiples of 10^-sz_decimals), max leverage the exchange's."""
    uni = ctx.uni
    polls = _grid(ctx, META_POLL_MS, META_POLL_OFFSET_MS)
    nc = uni.n_all
    t = np.repeat(polls, nc)
    coin = np.tile(np.arange(nc), len(polls))
    ing = t + ctx.ints(K_META, 500, 3_000, t, coin)
    synced = ing + ctx.ints(K_META + 1, 20_000, 60_000, t, coin)
    keep = ctx.visible(synced)
    t, coin, ing, synced = t[keep], coin[keep], ing[keep], synced[keep]
    n = len(t)
    lev = np.array([max_leverage(c) for c in uni.coins], np.uint16)
    return pa.table(
        {
            "updated_at": ts_arr(t),
            "coin": dict_arr(coin, uni.coins),
            "sz_decimals": pa.array(uni.sz_decimals[coin].astype(np.uint8)),
            "max_leverage": pa.array(lev[coin]),
            "only_isolated": pa.array(np.zeros(n, bool)),
            "is_delisted": pa.array(np.zeros(n, bool)),
            "ingested_at": ts_arr(ing),
            "synced_at": ts_arr(synced),
        }
    )


def target_rows(ctx: Ctx) -> pa.Table:
    """The model's weights dated d, published at d+1 00:00:15."""
    uni = ctx.uni
    pub = np.array([ms_of(d + timedelta(days=1)) + TARGETS_PUBLISHED_MS for d in ctx.wdates], np.int64)
    rows = np.nonzero(ctx.visible(pub))[0]
    nd, nm = len(rows), uni.n_model
    days = np.array([np.datetime64(ctx.wdates[k]) for k in rows], dtype="datetime64[D]")
    return pa.table(
        {
            "date": pa.array(np.repeat(days, nm)),
            "sym": dict_arr(np.tile(np.arange(nm), nd), uni.coins[:nm]),
            "weight": ctx.W[rows].ravel(),
        }
    )


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
    mark: np.ndarray  # (n_runs,) the 5-minute mark of each run


def sync_failing(t: np.ndarray) -> np.ndarray:
    m = np.zeros(len(t), bool)
    for a, b in SCRIPTED_SYNC_FAILURES:
        m |= (t >= _ms(a)) & (t < _ms(b))
    return m


def sync_runs(ctx: Ctx) -> SyncRuns:
    """One run per table at every 5-minute mark + 12 s, keyed by the mark."""
    mark = _grid(ctx, SNAP_MS)
    mark = np.r_[mark[0] - SNAP_MS, mark] if len(mark) and mark[0] - SNAP_MS >= ctx.start_ms else mark
    R = mark + SYNC_OFFSET_MS
    R, mark = R[R <= ctx.end_ms], mark[R <= ctx.end_ms]
    nt = len(SYNCED)
    j = np.arange(nt)[None, :]
    m2 = mark[:, None]
    present = ~in_outage(ctx, "sync", R)
    start = R[:, None] + j * 1_900 + ctx.ints(K_SYNC_RUNS, 0, 400, m2, j)
    ok = ctx.u(K_SYNC_RUNS + 1, m2, j) >= 0.002
    fail = sync_failing(R)
    ok[fail] = False
    err = np.where(ok, -1, ctx.ints(K_SYNC_RUNS + 2, 0, len(ERRORS["sync"]), m2, j))
    err[fail] = 0
    z = keyed.normal(ctx.seed, K_SYNC_RUNS + 3, m2, j)
    dur = np.clip(1_000 + np.exp(np.log(1_500) + 0.8 * z), 1_000, 20_000).astype(np.int64)
    dur = np.where(ok, dur, np.where(err == 1, 1_000, 30_000))
    n = len(R)
    return SyncRuns(start, dur, ok, err, present, np.zeros((n, nt), np.int64), np.full((n, nt), -1), mark)


def attach_sync(ctx: Ctx, runs: SyncRuns, j: int, table: pa.Table) -> pa.Table:
    """Add synced_at (next good run of table j) and ~0.5% re-sent copies; keep the visible rows."""
    ing = table.column("ingested_at").cast(pa.int64()).to_numpy()
    key = table.column("_key").to_numpy()
    good = np.nonzero(runs.present & runs.ok[:, j])[0]
    s_ok = runs.start[good, j]
    idx = np.searchsorted(s_ok, ing + 500)
    synced = idx < len(good)
    table, ing, idx, key = table.filter(pa.array(synced)), ing[synced], idx[synced], key[synced]
    run = good[idx]
    frac = 0.2 + 0.75 * ctx.u(K_SYNC_ROWS, j, key)
    sat = runs.start[run, j] + (frac * runs.dur[run, j]).astype(np.int64)
    dup = np.nonzero((ctx.u(K_SYNC_ROWS + 1, j, key) < DUP_SHARE) & (idx + 1 < len(good)))[0]
    run2 = good[idx[dup] + 1]
    frac2 = 0.2 + 0.75 * ctx.u(K_SYNC_ROWS + 2, j, key[dup])
    sat2 = runs.start[run2, j] + (frac2 * runs.dur[run2, j]).astype(np.int64)
    all_run = np.concatenate([run, run2])
    np.add.at(runs.rows[:, j], all_run, 1)
    np.maximum.at(runs.max_src[:, j], all_run, np.concatenate([ing, ing[dup]]))
    sat_all = np.concatenate([sat, sat2])
    out = (
        pa.concat_tables([table, table.take(pa.array(dup, pa.int64()))])
        .drop_columns(["_key"])
        .append_column("synced_at", ts_arr(sat_all))
    )
    return out.filter(pa.array(ctx.visible(sat_all)))


def sync_log_rows(ctx: Ctx, runs: SyncRuns) -> pa.Table:
    """One row per table and run, written when the run finishes."""
    nr, nt = runs.start.shape
    r, j = np.nonzero(np.broadcast_to(runs.present[:, None], (nr, nt)))
    start = runs.start[r, j]
    fin = start + runs.dur[r, j]
    vis = ctx.visible(fin)
    r, j, start, fin = r[vis], j[vis], start[vis], fin[vis]
    names = [ctx.tables.tables[k] for k in SYNCED]
    dbs = sorted({db for db, _ in names})
    db_idx = [dbs.index(db) for db, _ in names]
    msgs = ("",) + ERRORS["sync"]
    src = runs.max_src[r, j]
    return pa.table(
        {
            "started_at": ts_arr(start),
            "finished_at": pa.array(fin, pa.timestamp("ms", tz="UTC")),
            "database": dict_arr(np.array(db_idx, np.int64)[j], dbs),
            "table": dict_arr(j, [t for _, t in names]),
            "rows": pa.array(runs.rows[r, j].astype(np.uint64)),
            "max_source_ts": pa.array(src, pa.timestamp("ms", tz="UTC"), mask=src < 0),
            "status": dict_arr(np.where(runs.ok[r, j], 0, 1), ["ok", "error"]),
            "error": dict_arr(runs.err[r, j] + 1, msgs),
        }
    )


# --- heartbeats -------------------------------------------------------------------


def heartbeat_sql(ctx: Ctx, n_symbols: int, n_held: int) -> str:
    """INSERT ... SELECT FROM numbers(): one beat per minute for the 7 polling monitors, in (lo, hi].

    The heartbeat table is bound as `{db:Identifier}.{tbl:Identifier}`; the numbers are the generator's own.

    Each beat is a hash of its global number (minute since the desk's start x 7 + monitor)."""
    mons = MONITORS[:7]
    lo = max(ctx.lo_ms, ctx.start_ms - 1)
    first_min = max(0, (lo - ctx.start_ms) // MIN_MS - 1)
    last_min = (ctx.end_ms - ctx.start_ms) // MIN_MS
    om = [(mons.index(m), a, b) for m, a, b in ctx.outages if m in mons]
    arr = lambda xs: "[" + ",".join(str(int(x)) for x in xs) + "]" if xs else "CAST([], 'Array(Int64)')"  # noqa: E731
    msgs = (
        "["
        + ",".join(
            "[" + ",".join("'" + x.replace("'", "") + "'" for x in ERRORS["ohlcv" if m == "ohlcv" else "hl"]) + "]"
            for m in mons
        )
        + "]"
    )
    names = "[" + ",".join(f"'{m}'" for m in mons) + "]"
    s = int(ctx.seed)
    return f"""
INSERT INTO {{db:Identifier}}.{{tbl:Identifier}} (ts, monitor, host, status, message, rows, duration_ms)
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
    FROM numbers({first_min * 7}, {(last_min - first_min + 1) * 7})
)
WHERE tms > {lo} AND tms <= {ctx.end_ms}
  AND NOT arrayExists((m, a, b) -> m = mk AND tms >= a AND tms < b,
                      {arr([x[0] for x in om])}, {arr([x[1] for x in om])}, {arr([x[2] for x in om])})
"""


def extra_heartbeats(ctx: Ctx, runs: SyncRuns) -> pa.Table:
    """The sync monitor's beats (from the sync runs) + an error beat as each outage starts."""
    mins = _grid(ctx, MIN_MS)
    ts = mins + 7 * 1_700 + ctx.ints(K_SYNC_BEATS, 0, 900, mins)
    keep = ~in_outage(ctx, "sync", ts) & ctx.visible(ts)
    at_run = (mins % SNAP_MS) == 0
    run = np.searchsorted(runs.mark, mins - mins % SNAP_MS)
    have = at_run & (run < len(runs.mark)) & (runs.mark[np.minimum(run, len(runs.mark) - 1)] == mins)
    rr = np.minimum(run, max(len(runs.mark) - 1, 0))
    rows = np.where(have, runs.rows[rr].sum(axis=1), 0) if len(runs.mark) else np.zeros(len(mins), np.int64)
    err_idx = np.where(have, runs.err[rr].max(axis=1), -1) if len(runs.mark) else np.full(len(mins), -1)
    # the sync monitor keeps failing while the runs fail
    err_idx[sync_failing(ts)] = 0
    dur = np.where(err_idx >= 0, 30_000, 200 + ctx.ints(K_SYNC_BEATS + 1, 0, 2_500, mins) + rows * 3)
    mon = np.full(len(mins), 7)
    msg = err_idx + 1
    # an error beat when a scripted/random outage begins (the monitor's last words)
    extra_t, extra_m, extra_msg = [], [], []
    for m, a, _end in ctx.outages:
        if m == "sync" or (m, a) in ctx.quiet or a < ctx.start_ms:
            continue  # sync errors come from the runs; a quiet outage is merely late
        t = a + int(ctx.ints(K_SYNC_BEATS + 2, 0, 20_000, MONITORS.index(m), a)[0])
        if ctx.visible(np.array([t]))[0]:
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
    return pa.table(
        {
            "ts": ts_arr(t_all),
            "monitor": dict_arr(mon_all, MONITORS),
            "host": const_arr(HOST, len(t_all)),
            "status": dict_arr(st, ["ok", "error"]),
            "message": dict_arr(msg_all, msgs),
            "rows": pa.array(np.concatenate([rows[keep], np.zeros(n_ex, np.int64)]).astype(np.uint64)),
            "duration_ms": pa.array(np.concatenate([dur[keep], np.full(n_ex, 10_000)]).astype(np.uint32)),
        }
    )
