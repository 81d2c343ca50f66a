"""Demo desk, part 2: the execution book (fills, orders, funding, cash).

One loop over holdings days (a few hundred iterations; everything inside is
vectorised over coins). Each day D:

* funding is paid at every whole hour on the position held at that instant;
* at 00:00 the desk compares its book with the model's weights dated D-2
  (T+2) and sends one order per coin whose change is material; the fills land
  between ~00:00:40 and ~00:02:30; some days carry an execution mistake
  (`SCRIPTED` dates and `RANDOM_KINDS`: missing / wrong-direction / extra
  position, partial fill or fat finger, T+1 timing slip, a late fill at 00:07
  or 13:00, a rejected-then-retried order) or a manual PURR position; two
  scripted days move the whole book: a skipped rebalance ("skip", no order)
  and a rebalance traded on the D-1 weights ("lag1");
* on the playbook's reference days (2025-12-05/06/07) the book is solved so
  that the 02:00 snapshot reproduces the playbook's diagnoses exactly (see
  `REF_SPECS`): actual weights are chosen first and units are solved from the
  equity they imply (a short fixed-point iteration, because equity depends on
  the units through fees, slippage and funding).

Fill price = the open of the Binance candle of the fill's hour (00:00 for the
burst) x (1 + side x slippage); slippage ~ +1.5 bp (taker, worse for the desk)
or -0.8 bp (maker). Positions are integer lots of 10**-sz_decimals units, so
they net to exactly 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

import numpy as np

from lib.config import W_EPS
from lib.demo.simulation.market import DAY_MS, HOUR_MS, S_MISC, UNPRICED_COIN, Universe, day_ordinal, ms_of

TAKER_FEE, MAKER_FEE = 0.00045, 0.00015
DIRS = ("Open Long", "Open Short", "Close Long", "Close Short", "Long > Short", "Short > Long")


@dataclass(frozen=True)
class RefSpec:
    """What the 02:00 snapshot of one reference day must show (playbook 000)."""

    n_mag: int  # held names off target by > 2% relative
    missing: dict[str, float]  # coin -> actual weight (target is the anchor)
    fixed: dict[str, float]  # coin -> actual weight, traded
    listed: tuple[str, ...] = ()  # named magnitude errors, largest first
    listed_range: tuple[float, float] = (0.0, 0.0)  # their |actual - target|
    other_cap: float = 0.0019  # max |actual - target| of unnamed magnitude errors
    n_traded: int | None = None  # symbols traded that day
    n_fills: int | None = None
    window_s: tuple[float, float] | None = None  # fills between these seconds after 00:00
    rejected: tuple[str, ...] = ()  # coins whose (opening) order was rejected


REF_SPECS: dict[date, RefSpec] = {
    date(2025, 12, 5): RefSpec(
        n_mag=30,
        missing={"APT": 0.0, "HBAR": 0.0},
        fixed={},
        other_cap=0.0019,
        n_traded=31,
        n_fills=35,
        window_s=(50.0, 130.0),
        rejected=("APT", "HBAR"),
    ),
    date(2025, 12, 6): RefSpec(
        n_mag=31,
        missing={"WLFI": 0.0, "TRX": 0.0, "LINK": 0.0},
        fixed={"PENGU": -0.0471, "PAXG": 0.0591, "BTC": 0.0596, "BNB": 0.0510, "PUMP": -0.0454, "ARB": 0.00022},
        listed=(
            "AAVE",
            "SUI",
            "AVAX",
            "SOL",
            "XPL",
            "VIRTUAL",
            "ZEN",
            "LTC",
            "TNSR",
            "BCH",
            "TAO",
            "STRK",
            "ETH",
            "WLD",
            "WIF",
        ),
        listed_range=(0.0024, 0.0010),
        other_cap=0.0012,
        rejected=("WLFI",),
    ),
    date(2025, 12, 7): RefSpec(
        n_mag=29,
        missing={"ARB": 0.00022, "WLD": 0.0, "BCH": 0.0},
        fixed={"AAVE": 0.0385, "PUMP": -0.0479, "TNSR": -0.0518, "AVAX": 0.0416, "PAXG": 0.0511},
        listed=(
            "BTC",
            "XPL",
            "TRX",
            "VIRTUAL",
            "BNB",
            "ENA",
            "STRK",
            "FET",
            "WIF",
            "XRP",
            "SOL",
            "ETH",
            "NEAR",
            "SUI",
            "UNI",
        ),
        listed_range=(0.0023, 0.0006),
        other_cap=0.0009,
        rejected=("ARB",),
    ),
}
# No execution mistakes in this window (the reference days and their neighbours).
PROTECTED = (date(2025, 11, 29), date(2025, 12, 9))
# Scripted mistakes (so a short span around the reference days shows each kind).
SCRIPTED: dict[date, tuple[str, ...]] = {
    date(2025, 11, 26): ("wrong",),
    date(2025, 11, 27): ("extra", "late13"),
    date(2025, 11, 28): ("mag_partial",),
    date(2025, 12, 10): ("timing", "mag_fat"),
    date(2025, 12, 11): ("missing", "late07", "wrong"),
    # whole-book timing (the effective-lag sweep's reference days, outside the playbook window):
    date(2025, 12, 13): ("skip",),  # no rebalance: the book keeps Dec 12's positions (closest to D-3)
    date(2025, 12, 14): ("lag1",),  # the whole book traded on the D-1 targets (closest to D-1)
}
RANDOM_KINDS = (  # kind, probability per day
    ("missing", 0.22),
    ("wrong", 0.05),
    ("extra", 0.07),
    ("mag_partial", 0.03),
    ("mag_fat", 0.02),
    ("timing", 0.05),
    ("late07", 0.02),
    ("late13", 0.015),
    ("reject_retry", 0.06),
)
# PURR (no Binance price): opened by hand in the afternoon, closed in a later burst.
PURR_EPISODES = (
    (date(2025, 11, 12), date(2025, 11, 15)),
    (date(2026, 2, 18), date(2026, 2, 21)),
    (date(2026, 6, 9), date(2026, 6, 11)),
    (date(2026, 10, 3), date(2026, 10, 6)),
)
PURR_WEIGHT = 0.008


def round_sig(x: np.ndarray, sig: int = 5) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    f = 10.0 ** (sig - 1 - np.floor(np.log10(np.abs(x))))
    return np.round(x * f) / f


@dataclass
class State:
    lots: np.ndarray
    entry: np.ndarray
    cash: float = 0.0


@dataclass
class Book:
    fills: dict[str, np.ndarray]
    orders: dict[str, np.ndarray]
    funding: dict[str, np.ndarray]
    ledger: dict[str, np.ndarray]
    anomalies: list[dict] = field(default_factory=list)


class _Acc:
    """Accumulates dicts of equal-length arrays."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {}

    def add(self, **cols) -> None:
        for k, v in cols.items():
            self.parts.setdefault(k, []).append(np.atleast_1d(np.asarray(v)))

    def done(self, keys: dict[str, type]) -> dict[str, np.ndarray]:
        return {
            k: (np.concatenate(self.parts[k]).astype(t) if self.parts.get(k) else np.zeros(0, t))
            for k, t in keys.items()
        }


def apply_fills(lots, entry, scale, coin, d, px, maker):
    """Run fills (in time order) through the book. Pure: returns per-fill results and new state."""
    lots = lots.copy()
    entry = entry.copy()
    n = len(coin)
    start = np.zeros(n, np.int64)
    closed = np.zeros(n)
    dirc = np.zeros(n, np.int8)
    ent_after = np.zeros(n)
    if n:
        order = np.lexsort((np.arange(n), coin))
        sc = coin[order]
        first = np.r_[True, sc[1:] != sc[:-1]]
        gstart = np.maximum.accumulate(np.where(first, np.arange(n), 0))
        slot = np.empty(n, np.int64)
        slot[order] = np.arange(n) - gstart
        for s in range(int(slot.max()) + 1):
            m = np.nonzero(slot == s)[0]
            c, dd, p = coin[m], d[m], px[m]
            s0, e0 = lots[c], entry[c]
            new = s0 + dd
            reduce = (s0 != 0) & (np.sign(dd) != np.sign(s0))
            flip = reduce & (np.abs(dd) > np.abs(s0))
            e0z = np.where(np.isnan(e0), 0.0, e0)
            closed_units = np.where(reduce, np.minimum(np.abs(dd), np.abs(s0)), 0) / scale[c]
            with np.errstate(invalid="ignore", divide="ignore"):
                e_inc = (np.abs(s0) * e0z + np.abs(dd) * p) / np.abs(new)
            ne = np.where(~reduce, e_inc, np.where(flip, p, np.where(new == 0, np.nan, e0)))
            dirc[m] = np.where(
                ~reduce, np.where(dd > 0, 0, 1), np.where(flip, np.where(s0 > 0, 4, 5), np.where(s0 > 0, 2, 3))
            )
            closed[m] = np.round(closed_units * (p - e0z) * np.sign(s0), 6)
            start[m] = s0
            ent_after[m] = ne
            lots[c] = new
            entry[c] = ne
    sz = np.abs(d) / scale[coin]
    fee = np.round(np.abs(px * sz) * np.where(maker, MAKER_FEE, TAKER_FEE), 6)
    cash = float(-np.sum(np.sign(d) * sz * px) - fee.sum())
    out = dict(start_lots=start, closed_pnl=closed, dir=dirc, fee=fee, entry_after=ent_after)
    return out, lots, entry, cash


@dataclass
class Burst:
    """Timing and slippage of one day's orders, independent of their sizes."""

    coin: np.ndarray  # per order, execution order
    t_first: np.ndarray  # ms
    two: np.ndarray  # bool: order filled in two fills
    frac: np.ndarray  # first fill's share when two
    dt2: np.ndarray  # ms between the two fills
    slip1: np.ndarray
    slip2: np.ndarray
    maker: np.ndarray


class Sim:
    def __init__(
        self,
        uni: Universe,
        P: np.ndarray,
        rates: np.ndarray,
        grid_ms: int,
        start_day: date,
        n_days: int,
        wdates: list[date],
        W: np.ndarray,
        seed: int,
        ledger: list[tuple[int, str, float]],
        end_ms: int,
        rng_stream: int = 50,
    ):
        self.uni, self.P, self.rates, self.grid_ms = uni, P, rates, grid_ms
        self.rng_stream = rng_stream  # the day's generator key: one stream per account's book
        self.start_day, self.n_days, self.seed, self.end_ms = start_day, n_days, seed, end_ms
        self.wdates, self.W = wdates, W
        self.wrow = {d: k for k, d in enumerate(wdates)}
        self.scale = 10.0**uni.sz_decimals
        self.nm = uni.n_model
        self.purr = uni.index(UNPRICED_COIN)
        self.ledger = sorted(ledger)
        self.state = State(np.zeros(uni.n_all, np.int64), np.full(uni.n_all, np.nan))
        self.fills, self.orders, self.funding = _Acc(), _Acc(), _Acc()
        self.anomalies: list[dict] = []
        self.n_orders = 0
        self._ledger_pos = 0

    # --- helpers ------------------------------------------------------------
    def _ledger_until(self, t_ms: int) -> None:
        while self._ledger_pos < len(self.ledger) and self.ledger[self._ledger_pos][0] <= t_ms:
            self.state.cash += self.ledger[self._ledger_pos][2]
            self._ledger_pos += 1

    def _ledger_between(self, a: int, b: int) -> float:
        return float(sum(u for t, _, u in self.ledger if a < t <= b))

    def _funding_cash(self, k: int, lots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        held = np.nonzero(lots)[0]
        szi = lots[held] / self.scale[held]
        usdc = np.round(-szi * self.P[k, held] * self.rates[k, held], 6)
        return held, szi, usdc

    def _pay_funding(self, k: int, lots: np.ndarray) -> None:
        held, szi, usdc = self._funding_cash(k, lots)
        if len(held):
            self.funding.add(
                time=np.full(len(held), self.grid_ms + k * HOUR_MS),
                coin=held,
                szi=szi,
                rate=self.rates[k, held],
                usdc=usdc,
            )
            self.state.cash += float(usdc.sum())

    def _weights(self, d: date) -> np.ndarray | None:
        k = self.wrow.get(d)
        return None if k is None else self.W[k]

    def open_px(self, t_ms: np.ndarray, coin: np.ndarray) -> np.ndarray:
        """Fills are priced off the open of the hour's Binance candle (+ slippage)."""
        return self.P[(np.asarray(t_ms, dtype=np.int64) - self.grid_ms) // HOUR_MS, coin]

    def equity_at(self, k: int) -> float:
        return self.state.cash + float(np.sum(self.state.lots / self.scale * self.P[k]))

    def _make_burst(self, g, T: int, coins: np.ndarray, two: np.ndarray, window_s) -> Burst:
        n = len(coins)
        perm = g.permutation(n)
        coins, two = coins[perm], two[perm]
        if window_s is not None:
            a = T + window_s[0] * 1000 + g.uniform(150, 450)
            b = T + window_s[1] * 1000 - g.uniform(250, 600)
        else:
            a = T + g.uniform(40_000, 58_000)
            b = a + np.clip(1_600 * n + g.uniform(8_000, 25_000), 15_000, 100_000)
        t = np.sort(g.uniform(a, b, n))
        if n:
            t[0] = a
        if n > 1:
            t[-1] = b - 70
        maker = g.random(n) < 0.12
        slip1 = np.where(maker, g.normal(-0.8e-4, 0.6e-4, n), g.normal(1.5e-4, 2.5e-4, n))
        return Burst(
            coin=coins,
            t_first=t.astype(np.int64),
            two=two,
            frac=g.uniform(0.3, 0.8, n),
            dt2=g.integers(3, 60, n),
            slip1=slip1,
            slip2=slip1 + g.uniform(0.3e-4, 1.2e-4, n),
            maker=maker,
        )

    def _burst_orders(self, b: Burst, old: np.ndarray, new: np.ndarray):
        """Fills of the burst for the given target lots: arrays per fill + order index per fill."""
        delta = new[b.coin] - old[b.coin]
        live = delta != 0
        two = b.two & (np.abs(delta) >= 2)
        d1 = np.where(two, np.rint(delta * b.frac).astype(np.int64), delta)
        d1 = np.where(two & ((d1 == 0) | (d1 == delta)), np.sign(delta), d1)
        d2 = delta - d1
        o1 = np.nonzero(live)[0]
        o2 = o1[d2[o1] != 0]
        o = np.concatenate([o1, o2])
        t = np.concatenate([b.t_first[o1], b.t_first[o2] + b.dt2[o2]]).astype(np.int64)
        d = np.concatenate([d1[o1], d2[o2]]).astype(np.int64)
        slip = np.concatenate([b.slip1[o1], b.slip2[o2]])
        coin = b.coin[o]
        px = self.open_px(t, coin) * (1 + np.sign(d) * slip)
        srt = np.argsort(t, kind="stable")
        return (
            dict(order=o[srt], coin=coin[srt], time=t[srt], d=d[srt], px=round_sig(px[srt]), maker=b.maker[o][srt]),
            delta,
            live,
        )

    # --- plans ----------------------------------------------------------------
    def _plan_general(self, g, j: int, D: date, T: int, k0: int):
        nm, st, sc = self.nm, self.state, self.scale
        t2 = self._weights(D - timedelta(days=2))
        t1 = self._weights(D - timedelta(days=1))
        p0 = self.P[k0]
        E0 = self.equity_at(k0)
        cw = st.lots[:nm] / sc[:nm] * p0[:nm] / E0
        # a whole-book "lag1" day trades the weights dated D-1 instead of D-2 (read before any draw)
        plan = t1 if ("lag1" in SCRIPTED.get(D, ()) and t1 is not None) else t2
        active = np.abs(plan) >= W_EPS
        goal = np.where(active, plan, 0.0)
        band = np.maximum(0.0022, 0.06 * np.abs(goal))
        trade = (
            (~active & (st.lots[:nm] != 0))
            | (active & (np.sign(cw) != np.sign(goal)))
            | (active & (np.abs(goal - cw) > band))
        )
        execw = goal * (1 + g.normal(0, 0.008, nm))
        if D in SCRIPTED:
            kinds = SCRIPTED[D]
        elif PROTECTED[0] <= D <= PROTECTED[1] or j < 3:
            kinds = ()
        else:
            kinds = tuple(k for k, p in RANDOM_KINDS if g.random() < p)
        used = np.zeros(nm, bool)
        partial: dict[int, float] = {}
        late: list[tuple[int, float, int]] = []
        rejected: list[int] = []
        retry: list[int] = []

        def pick(mask, k=1, key=None):
            idx = np.nonzero(mask & ~used)[0]
            if not len(idx):
                return []
            if key is not None:
                idx = idx[np.argsort(-key[idx], kind="stable")][: max(k, 5)]
            sel = list(g.choice(idx, size=min(k, len(idx)), replace=False))
            used[sel] = True
            return sel

        for kind in kinds:
            sel: list = []
            if kind == "missing":
                sel = pick(active & (st.lots[:nm] == 0) & (np.abs(goal) >= 0.002) & trade, 1 + (g.random() < 0.3))
                for i in sel:
                    trade[i] = False
                    rejected.append(i)
                if not sel:
                    sel = pick(
                        active & (np.sign(cw) == np.sign(goal)) & (np.abs(goal) >= 0.002) & (np.abs(goal) <= 0.015)
                    )
                    for i in sel:
                        execw[i], trade[i] = 0.0, True
            elif kind == "wrong":
                sel = pick(active & (np.abs(goal) >= 0.005) & (np.abs(goal) <= 0.03))
                for i in sel:
                    execw[i], trade[i] = -goal[i] * g.uniform(0.6, 1.0), True
            elif kind == "extra":
                sel = pick(~active & (np.abs(cw) >= 0.003))
                if not sel:
                    sel = pick(active & (np.sign(cw) == np.sign(goal)) & (np.abs(cw) >= 0.004) & (np.abs(cw) <= 0.02))
                    for i in sel:  # the model drops the name; the desk keeps it
                        t2[i] = np.sign(cw[i]) * g.uniform(0.0001, 0.0008)
                for i in sel:
                    trade[i] = False
            elif kind in ("mag_partial", "mag_fat"):
                if kind == "mag_partial":
                    sel = pick(active & (np.abs(goal - cw) >= 0.035))
                    for i in sel:
                        partial[i] = g.uniform(0.25, 0.45)
                        trade[i] = True
                if not sel:
                    kind = "mag_fat"
                    sel = pick(active & (np.abs(goal) >= 0.02), key=np.abs(goal))
                    for i in sel:
                        execw[i], trade[i] = goal[i] + np.sign(goal[i]) * g.uniform(0.024, 0.032), True
            elif kind == "timing" and t1 is not None:
                diff = np.abs(t1 - t2)
                sel = pick((np.abs(t1) >= W_EPS) & (diff >= 0.004), int(g.integers(2, 5)), key=diff)
                for i in sel:
                    execw[i], trade[i] = t1[i] * (1 + g.normal(0, 0.008)), True
            elif kind in ("late07", "late13"):
                tgt = np.rint(execw * E0 / p0[:nm] * sc[:nm]).astype(np.int64)
                big = trade & (np.abs(tgt - st.lots[:nm]) >= 10) & (np.abs(goal - cw) >= 0.004)
                sel = pick(big)
                for i in sel:
                    if kind == "late07":
                        late.append((i, 0.0, T + 7 * 60_000 + int(g.uniform(5_000, 50_000)), None))
                    else:
                        late.append((i, g.uniform(0.45, 0.75), T + 13 * HOUR_MS + int(g.uniform(20_000, 55_000)), None))
            elif kind == "reject_retry":
                sel = pick(trade)
                retry.extend(sel)
            elif kind == "skip":  # the rebalance never ran: no order at all
                trade[:] = False
                self.anomalies.append({"date": D.isoformat(), "kind": kind, "coins": []})
            elif kind == "lag1" and plan is t1:
                self.anomalies.append({"date": D.isoformat(), "kind": kind, "coins": []})
            if sel:
                self.anomalies.append({"date": D.isoformat(), "kind": kind, "coins": [self.uni.coins[i] for i in sel]})
        new = st.lots.copy()
        tgt = np.rint(execw * E0 / p0[:nm] * sc[:nm]).astype(np.int64)
        new[:nm] = np.where(trade, tgt, st.lots[:nm])
        for i, f in partial.items():
            full = new[i]
            new[i] = st.lots[i] + np.int64(np.rint((full - st.lots[i]) * f))
            partial[i] = full  # the order's full size; the rest was canceled
        # PURR: a manual position on a few days, opened in the afternoon, closed in a burst.
        for a, b in PURR_EPISODES:
            if D == b:
                new[self.purr] = 0
            if D == a:
                lots = np.int64(np.rint(PURR_WEIGHT * E0 / p0[self.purr] * sc[self.purr]))
                late.append((self.purr, 0.0, T + 14 * HOUR_MS + int(g.uniform(25, 50) * 60_000), lots))
                self.anomalies.append({"date": D.isoformat(), "kind": "unpriced", "coins": [UNPRICED_COIN]})
        return new, partial, late, rejected, retry

    def _plan_ref(self, g, D: date, T: int, k0: int, spec: RefSpec):
        """Solve the book of a reference day; see module docstring."""
        uni, nm, st, sc = self.uni, self.nm, self.state, self.scale
        t2 = self._weights(D - timedelta(days=2))
        P = self.P
        p3 = P[k0 + 3]  # close of the 02:00 candle = bn_px at the 02:00 snapshot
        p255 = P[k0 + 2] + (P[k0 + 3] - P[k0 + 2]) * (55 / 60)  # the 02:55 account mark
        E_est = self.equity_at(k0)
        c = st.lots[:nm] / sc[:nm] * p3[:nm] / E_est
        desired = np.full(uni.n_all, np.nan)
        traded = np.zeros(uni.n_all, bool)
        special = np.zeros(nm, bool)
        for coin, a in spec.missing.items():
            i = uni.index(coin)
            special[i] = True
            desired[i] = a
            traded[i] = (st.lots[i] != 0) if a == 0 else abs(c[i] - a) > 5e-5
        for coin, a in spec.fixed.items():
            i = uni.index(coin)
            special[i] = True
            desired[i] = a
            traded[i] = True
        active = np.abs(t2) >= W_EPS
        close = ~active & ~special & (np.abs(c) >= 0.5 * W_EPS)
        desired[:nm][close] = 0.0
        rest = active & ~special
        same = (np.sign(c) == np.sign(t2)) & (np.abs(c) >= 1.5 * W_EPS) & (np.abs(t2) >= 1.5 * W_EPS)
        gap = np.abs(c - t2)
        elig = rest & same & (gap <= 0.004)
        traded[:nm] |= close | (rest & ~elig)
        if spec.n_traded is not None:
            cur = int(traded.sum())
            if cur < spec.n_traded:
                cand = np.nonzero(elig & ~traded[:nm])[0]
                traded[cand[np.argsort(-gap[cand], kind="stable")][: spec.n_traded - cur]] = True
            elif cur > spec.n_traded:
                cand = np.nonzero(rest & same & traded[:nm])[0]
                traded[cand[np.argsort(gap[cand], kind="stable")][: cur - spec.n_traded]] = False
        else:
            traded[:nm] |= elig & (gap > 0.002)
        # deviations of the held, non-missing names from their targets: each gets a kind
        # (1 named magnitude error: |a - t| given; 2 other magnitude error: > 2.5% relative,
        # capped in absolute terms; 3 calm: < 1.5% relative), a sign and a size.
        kind = np.zeros(nm, np.int8)
        sgn = np.ones(nm)
        size = np.zeros(nm)
        mag = np.zeros(nm, bool)
        for coin, a in spec.fixed.items():
            i = uni.index(coin)
            if active[i]:
                mag[i] = abs(a / t2[i] - 1) > 0.02
        hi, lo = spec.listed_range
        for k, coin in enumerate(spec.listed):
            i = uni.index(coin)
            kind[i], size[i], mag[i] = 1, hi + (lo - hi) * k / max(1, len(spec.listed) - 1), True
        pool = rest & ~mag
        big = np.maximum(np.abs(t2), np.abs(c))
        cand = np.nonzero(pool & (big * 0.028 < spec.other_cap))[0]
        need = max(0, spec.n_mag - int(mag.sum()))
        chosen = g.choice(cand, size=min(need, len(cand)), replace=False)
        kind[chosen], size[chosen], mag[chosen] = 2, g.uniform(0.026, 0.06, len(chosen)), True
        calm = pool & ~mag
        kind[calm], size[calm] = 3, g.uniform(0.002, 0.015, int(calm.sum()))
        sgn[:] = g.choice([-1.0, 1.0], nm)
        small = np.abs(t2) < 0.002  # keep |actual| and |target| clear of W_EPS
        sgn[small & traded[:nm]] = 1.0
        sgn[small & ~traded[:nm]] = -1.0

        def deviation(ref: np.ndarray, m: np.ndarray) -> np.ndarray:
            """Signed actual - target for rows m, sized off `ref` (the target or the actual)."""
            r = np.abs(ref[m])
            d = np.select(
                [kind[m] == 1, kind[m] == 2],
                [np.maximum(size[m], 0.026 * r), np.minimum(size[m] * r, spec.other_cap)],
                size[m] * r,
            )
            return sgn[m] * np.sign(ref[m]) * d

        tr_rest = rest & traded[:nm]
        desired[:nm][tr_rest] = t2[tr_rest] + deviation(t2, tr_rest)
        # orders: timing, splits, slippage (fixed), then solve sizes
        tcoins = np.nonzero(traded)[0]
        two = np.zeros(len(tcoins), bool)
        if spec.n_fills is not None:
            k2 = spec.n_fills - len(tcoins)
            change = np.abs(np.nan_to_num(desired[tcoins]) - np.r_[c, 0.0][tcoins])
            top = np.argsort(-change, kind="stable")[: max(10, k2)]
            two[g.choice(top, size=min(k2, len(top)), replace=False)] = True
        else:
            two = g.random(len(tcoins)) < 0.12
        burst = self._make_burst(g, T, tcoins, two, spec.window_s)
        E = E_est
        for _ in range(12):
            new = st.lots.copy()
            new[tcoins] = np.rint(desired[tcoins] * E / p3[tcoins] * sc[tcoins]).astype(np.int64)
            f, _, _ = self._burst_orders(burst, st.lots, new)
            _, lots1, _, cashd = apply_fills(st.lots, st.entry, sc, f["coin"], f["d"], f["px"], f["maker"])
            fund = sum(float(self._funding_cash(k0 + h, lots1)[2].sum()) for h in (1, 2))
            E_new = (
                st.cash
                + cashd
                + fund
                + self._ledger_between(T, T + 2 * HOUR_MS + 55 * 60_000)
                + float(np.sum(lots1 / sc * p255))
            )
            done = abs(E_new - E) < 1e-9 * abs(E)
            E = E_new
            if done:
                break
        untr = rest & ~traded[:nm]
        a_all = st.lots[:nm] / sc[:nm] * p3[:nm] / E
        t2[untr] = a_all[untr] - deviation(a_all, untr)  # the model weight this held position tracks
        rejected = [uni.index(x) for x in spec.rejected]
        return new, burst, rejected

    # --- the loop -------------------------------------------------------------
    def run(self, scripted_refs: bool = True) -> Book:
        sc = self.scale
        for j in range(self.n_days):
            D = self.start_day + timedelta(days=j)
            T = self.grid_ms + j * DAY_MS
            k0 = j * 24
            if T > self.end_ms:
                break
            g = np.random.default_rng([self.seed, S_MISC, self.rng_stream, day_ordinal(D)])
            self._ledger_until(T)
            self._pay_funding(k0, self.state.lots)
            cur = self.state.lots
            spec = REF_SPECS.get(D) if scripted_refs else None
            late: list = []
            partial: dict = {}
            retry: list = []
            if spec is not None and self._weights(D - timedelta(days=2)) is not None:
                new, burst, rejected = self._plan_ref(g, D, T, k0, spec)
                self.anomalies.append({"date": D.isoformat(), "kind": "reference", "coins": sorted(spec.missing)})
            else:
                new, partial, late, rejected, retry = self._plan_general(g, j, D, T, k0)
                late_fills = []
                for i, frac, t, final in late:
                    final = new[i] if final is None else final
                    b = cur[i] + np.int64(np.rint((final - cur[i]) * frac))
                    new[i] = b
                    late_fills.append((i, t, int(final - b)))
                late = late_fills
                tcoins = np.nonzero(new != cur)[0]
                burst = self._make_burst(g, T, tcoins, g.random(len(tcoins)) < 0.12, None)
            f, delta, live = self._burst_orders(burst, cur, new)
            f["order"] = f["order"] + self.n_orders
            self._burst_order_rows(g, T, burst, f, delta, live, cur, partial, retry)
            lf = []
            for i, t, d in late:
                if d == 0:
                    continue
                px = round_sig(self.open_px(np.array([t]), np.array([i])) * (1 + np.sign(d) * g.normal(2e-4, 2e-4)))[0]
                lf.append((self.n_orders, i, t, d, px))
                self._order_row(
                    i,
                    np.sign(d),
                    abs(d),
                    0,
                    t - int(g.uniform(80, 400)),
                    t,
                    "filled",
                    "Limit",
                    round_sig(px * (1 + np.sign(d) * 0.002)),
                )
            w2 = self._weights(D - timedelta(days=2))
            for i in rejected:
                p = self.P[k0, i]
                w = float(w2[i]) if (w2 is not None and i < self.nm) else PURR_WEIGHT
                lots = max(1, int(abs(w) * self.equity_at(k0) / p * sc[i]))
                t = T + int(g.uniform(45_000, 90_000))
                side = 1.0 if w >= 0 else -1.0
                self._order_row(i, side, lots, lots, -1, t, "rejected", "Limit", round_sig(p * (1 + side * 0.002)))
            if lf:
                a = np.array(lf, dtype=float)
                add = dict(
                    order=a[:, 0], coin=a[:, 1], time=a[:, 2], d=a[:, 3], px=a[:, 4], maker=np.zeros(len(lf), bool)
                )
                f = {k: np.concatenate([f[k], add[k].astype(f[k].dtype)]) for k in f}
                srt = np.argsort(f["time"], kind="stable")
                f = {k: v[srt] for k, v in f.items()}
            res, lots1, entry1, cashd = apply_fills(cur, self.state.entry, sc, f["coin"], f["d"], f["px"], f["maker"])
            self.fills.add(**f, **res, lots_after=res["start_lots"] + f["d"])
            self.state.lots, self.state.entry = lots1, entry1
            self.state.cash += cashd
            for h in range(1, 24):  # funding on the position held at each whole hour
                m = f["time"] <= T + h * HOUR_MS
                if m.all():
                    lots_h = lots1
                else:
                    lots_h = cur.copy()
                    np.add.at(lots_h, f["coin"][m], f["d"][m])
                self._pay_funding(k0 + h, lots_h)
        self._ledger_until(self.end_ms)
        fills = self.fills.done(
            dict(
                order=np.int64,
                coin=np.int64,
                time=np.int64,
                d=np.int64,
                px=float,
                maker=bool,
                start_lots=np.int64,
                closed_pnl=float,
                dir=np.int8,
                fee=float,
                entry_after=float,
                lots_after=np.int64,
            )
        )
        orders = self.orders.done(
            dict(
                order=np.int64,
                coin=np.int64,
                side=np.int8,
                orig_lots=np.int64,
                remain_lots=np.int64,
                t_open=np.int64,
                t_final=np.int64,
                status=object,
                otype=object,
                limit_px=float,
            )
        )
        funding = self.funding.done(dict(time=np.int64, coin=np.int64, szi=float, rate=float, usdc=float))
        ledger = dict(
            time=np.array([t for t, _, _ in self.ledger], np.int64),
            usdc=np.array([u for _, _, u in self.ledger], float),
            type=np.array([k for _, k, _ in self.ledger], dtype=object),
        )
        return Book(fills=fills, orders=orders, funding=funding, ledger=ledger, anomalies=self.anomalies)

    def _order_row(self, coin, side, orig, remain, t_open, t_final, status, otype, limit_px, order=None):
        """One order (its 'open' row at t_open unless -1, its final row at t_final)."""
        if order is None:
            order = self.n_orders
            self.n_orders += 1
        self.orders.add(
            order=order,
            coin=coin,
            side=np.int8(side),
            orig_lots=orig,
            remain_lots=remain,
            t_open=t_open,
            t_final=t_final,
            status=np.array([status], dtype=object),
            otype=np.array([otype], dtype=object),
            limit_px=limit_px,
        )

    def _burst_order_rows(self, g, T, b: Burst, f, delta, live, cur, partial, retry) -> None:
        """Order-status rows for the burst: fills' orders, canceled maker attempts, rejected retries."""
        base = self.n_orders
        self.n_orders += len(b.coin)
        if not live.any():
            return
        o = np.nonzero(live)[0]
        coin = b.coin[o]
        side = np.sign(delta[o]).astype(np.int8)
        filled = np.abs(delta[o])
        orig = filled.copy()
        status = np.full(len(o), "filled", dtype=object)
        t_last = np.zeros(len(o), np.int64)
        first_px = np.zeros(len(o))
        for k in range(len(o)):
            m = f["order"] == base + o[k]
            t_last[k] = f["time"][m].max()
            first_px[k] = f["px"][m][0]
            i = int(coin[k])
            if i in partial:
                orig[k] = abs(int(partial[i]) - int(cur[i]))
                status[k] = "canceled"
                t_last[k] += int(g.uniform(1_500, 6_000))
        t_first = b.t_first[o]
        maker = b.maker[o]
        p_mid = self.open_px(t_first, coin)
        limit = np.where(maker, first_px, round_sig(p_mid * (1 + side * 0.002)))
        self.orders.add(
            order=base + o,
            coin=coin,
            side=side,
            orig_lots=orig,
            remain_lots=orig - filled,
            t_open=t_first - g.integers(60, 450, len(o)),
            t_final=t_last,
            status=status,
            otype=np.where(maker, "Alo", "Limit").astype(object),
            limit_px=limit,
        )
        # maker attempts that never filled, then canceled before the taker went in
        alo = g.random(len(o)) < 0.08
        for k in np.nonzero(alo)[0]:
            t0 = max(T + 20_000, int(t_first[k] - g.uniform(9_000, 25_000)))
            self._order_row(
                coin[k],
                side[k],
                filled[k],
                filled[k],
                t0,
                int(t_first[k] - g.uniform(500, 4_000)),
                "canceled",
                "Alo",
                round_sig(p_mid[k] * (1 - side[k] * 0.0006)),
            )
        for i in retry:
            k = np.nonzero(coin == i)[0]
            if len(k):
                k = k[0]
                self._order_row(
                    i,
                    side[k],
                    filled[k],
                    filled[k],
                    -1,
                    int(t_first[k] - g.uniform(800, 3_000)),
                    "rejected",
                    "Ioc",
                    round_sig(p_mid[k] * (1 + side[k] * 0.002)),
                )


# Cash movements (time UTC, type, usdc). The initial deposit lands at the
# span's start; the rest happen only if they fall inside the span.
INITIAL_DEPOSIT = 1_000_000.0
LEDGER_EVENTS = (
    ("2025-11-14 15:22:07", "deposit", 250_000.0),
    ("2025-12-10 09:41:33", "withdraw", -100_000.0),
    ("2026-01-22 13:05:41", "deposit", 500_000.0),
    ("2026-03-03 08:17:09", "transfer", -2_500.0),
    ("2026-04-17 16:48:52", "withdraw", -300_000.0),
    ("2026-07-08 11:30:15", "deposit", 200_000.0),
    ("2026-09-29 19:02:44", "withdraw", -150_000.0),
)


def ledger_events(
    start_ms: int,
    end_ms: int,
    initial: float = INITIAL_DEPOSIT,
    events: tuple[tuple[str, str, float], ...] = LEDGER_EVENTS,
) -> list[tuple[int, str, float]]:
    """The account's cash movements in the span: the initial deposit at its start, then `events` inside it."""
    from datetime import datetime

    out = [(start_ms, "deposit", initial)]
    for ts, kind, usdc in events:
        t = ms_of(datetime.strptime(ts, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC))
        if start_ms < t <= end_ms:
            out.append((t, kind, usdc))
    return out


class FollowerSim(Sim):
    """A sub-account's book: the model's D-2 weights restricted to a few coins, rescaled to its own gross.

    No scripted mistakes, no reference days, no manual positions: a plain book that
    rebalances in the same 00:00 burst as the main account (its own draws, its own
    deposits), so several accounts can be read and summed without one hiding the other.
    It only reads the weights; run it after the main account's Sim, which settles them."""

    def __init__(self, *args, coins: tuple[str, ...], gross: float, cap: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.mask = np.zeros(self.nm, bool)
        self.mask[[self.uni.index(c) for c in coins if c in self.uni.coins[: self.nm]]] = True
        self.gross, self.cap = gross, cap

    def goal(self, D: date) -> np.ndarray | None:
        """The weights the book trades towards on day D (None before the model has any)."""
        t2 = self._weights(D - timedelta(days=2))
        if t2 is None:
            return None
        goal = np.where(self.mask & (np.abs(t2) >= W_EPS), t2, 0.0)
        total = np.abs(goal).sum()
        return np.clip(goal * (self.gross / total), -self.cap, self.cap) if total > 0 else goal

    def _plan_general(self, g, j: int, D: date, T: int, k0: int):
        nm, st, sc = self.nm, self.state, self.scale
        new = st.lots.copy()
        goal = self.goal(D)
        if goal is None:
            return new, {}, [], [], []
        p0 = self.P[k0]
        E0 = self.equity_at(k0)
        cw = st.lots[:nm] / sc[:nm] * p0[:nm] / E0
        band = np.maximum(0.004, 0.08 * np.abs(goal))
        held = st.lots[:nm] != 0
        trade = np.where(goal == 0, held, (np.sign(cw) != np.sign(goal)) | (np.abs(goal - cw) > band))
        tgt = np.rint(goal * (1 + g.normal(0, 0.005, nm)) * E0 / p0[:nm] * sc[:nm]).astype(np.int64)
        new[:nm] = np.where(trade, tgt, st.lots[:nm])
        return new, {}, [], [], []

    def run(self, scripted_refs: bool = False) -> Book:
        return super().run(scripted_refs=False)
