"""Demo desk, part 1: the coin universe, Binance-like hourly prices, model weights.

Everything here is a pure function of its arguments (numpy Generators seeded
from `seed` and a per-day counter), so the same arguments give the same data
and a short span reproduces the prices and weights of a long one.

Price convention: `P[k, i]` is coin i's price at the hour boundary
`grid_start + k hours`. The Binance candle opened at hour k has
`open = P[k]` and `close = P[k + 1]`; a price between two boundaries is the
linear interpolation of the two (that is how the demo marks the account at
5-minute and hh:59:30 marks, and how it prices fills).
"""

from __future__ import annotations

import argparse
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
UTC = UTC

# Prices are anchored here (realistic early-December 2025 levels) and walked
# forwards and backwards from it, so levels do not depend on the span.
PRICE_ANCHOR = datetime(2025, 12, 5, tzinfo=UTC)
# Model weights are an autoregressive process started at this date.
WEIGHT_EPOCH = date(2025, 1, 1)

# Streams of the per-day generators (the second element of the seed key).
S_PRICE, S_WEIGHT, S_FUNDING, S_MISC = 11, 13, 17, 19

UNPRICED_COIN = "PURR"  # held on a few days, never has a Binance candle

# The playbook's names first (Dec 5-7 2025 reference days need all of them).
REFERENCE_COINS = (
    "TAO BTC ETH LINK BNB ASTER AVAX NEAR LTC AAVE ADA PAXG SOL PUMP TRX XPL BCH "
    "TURBO COMP TNSR WIF PENGU APT HBAR WLFI SUI VIRTUAL ZEN STRK WLD ARB ENA FET "
    "XRP UNI"
).split()
FILLER_COINS = (
    "DOGE DOT ATOM OP INJ SEI TIA ONDO HYPE ETC FIL ICP RENDER LDO CRV PENDLE JUP "
    "JTO PYTH EIGEN ZRO ETHFI GMX DYDX XLM "
    "ALGO SAND MANA AXS APE GALA IMX BLUR MEME ORDI SUSHI YFI SNX RUNE KAS STX MINA "
    "CFX ZK TON KAITO BERA IP TRUMP MOODENG POPCAT GRASS ANIME LAYER INIT RESOLV "
    "SOPH ZORA SPX FARTCOIN AIXBT GOAT USUAL MOVE BIO PROMPT OM BABY SAGA ALT MAV "
    "POLYX REZ MANTA DYM XAI ACE TRB UMA ILV BANANA BOME MEW NOT IO ZETA STG "
    "ARK BLAST W ENS RSR LISTA SCR HMSTR CATI NEIROETH"
).split()
MODEL_SPECIALS = ("kPEPE", "kBONK")  # always in the model universe (1000x contracts)

_ANCHOR_PX = {
    "BTC": 92000,
    "ETH": 3150,
    "SOL": 139,
    "BNB": 890,
    "XRP": 2.08,
    "DOGE": 0.148,
    "ADA": 0.42,
    "TRX": 0.282,
    "LINK": 13.9,
    "AVAX": 13.6,
    "LTC": 83,
    "BCH": 585,
    "DOT": 2.18,
    "NEAR": 1.74,
    "AAVE": 188,
    "UNI": 5.7,
    "TAO": 268,
    "PAXG": 4215,
    "SUI": 1.62,
    "HBAR": 0.138,
    "APT": 1.68,
    "ARB": 0.212,
    "ENA": 0.268,
    "FET": 0.238,
    "WLD": 0.61,
    "STRK": 0.118,
    "ZEN": 11.2,
    "VIRTUAL": 0.92,
    "ASTER": 0.98,
    "XPL": 0.198,
    "PUMP": 0.0031,
    "TURBO": 0.00215,
    "COMP": 29.4,
    "TNSR": 0.102,
    "WIF": 0.41,
    "PENGU": 0.0112,
    "WLFI": 0.148,
    "kPEPE": 0.00452,
    "kBONK": 0.00965,
    "PURR": 0.121,
    "ATOM": 2.35,
    "OP": 0.33,
    "INJ": 5.9,
    "SEI": 0.138,
    "TIA": 0.56,
    "ONDO": 0.47,
    "HYPE": 29.8,
    "ETC": 13.5,
    "FIL": 1.52,
    "ICP": 3.6,
    "RENDER": 1.48,
    "LDO": 0.62,
    "CRV": 0.41,
    "PENDLE": 2.45,
    "JUP": 0.25,
    "JTO": 0.48,
    "PYTH": 0.072,
    "EIGEN": 0.46,
    "ZRO": 1.36,
    "ETHFI": 0.82,
    "GMX": 8.9,
    "DYDX": 0.22,
    "XLM": 0.245,
}
_MAJORS = {
    "SOL",
    "BNB",
    "XRP",
    "DOGE",
    "ADA",
    "LINK",
    "AVAX",
    "LTC",
    "BCH",
    "DOT",
    "XLM",
    "HBAR",
    "NEAR",
    "UNI",
    "AAVE",
    "ETC",
    "SUI",
    "TON",
    "HYPE",
}
_MEMES = {
    "PUMP",
    "TURBO",
    "PENGU",
    "WIF",
    "kPEPE",
    "kBONK",
    "TRUMP",
    "MOODENG",
    "POPCAT",
    "FARTCOIN",
    "SPX",
    "MEME",
    "BOME",
    "MEW",
    "GOAT",
    "PURR",
    "NOT",
    "HMSTR",
}
# Hyperliquid's max leverage per coin (its `meta` answer): the largest books allow the most.
_MAX_LEVERAGE = {"BTC": 40, "ETH": 25, "SOL": 20, "XRP": 20, "HYPE": 10, "BNB": 10, "DOGE": 10}


def max_leverage(coin: str) -> int:
    """The exchange's max leverage for `coin` (majors 10x, memes 3x, the rest 5x; the largest as listed)."""
    return _MAX_LEVERAGE.get(coin) or (10 if coin in _MAJORS else 3 if coin in _MEMES else 5)


# (beta to the market factor, idiosyncratic annual vol)
_RISK = {"BTC": (1.0, 0.12), "ETH": (1.25, 0.25), "PAXG": (0.02, 0.14), "TRX": (0.55, 0.30)}
MARKET_VOL = 0.42  # annualised vol of the common factor


def _u(name: str, salt: int) -> float:
    """A stable uniform(0, 1) from a coin name (seed-independent attributes)."""
    return zlib.crc32(f"{salt}:{name}".encode()) / 2**32


def _synthetic_names(count: int, taken: set[str]) -> list[str]:
    cons, vows = "BCDFGKLMNPRSTVXZ", "AEIOU"
    out: list[str] = []
    i = 0
    while len(out) < count:
        h = zlib.crc32(f"ticker:{i}".encode())
        i += 1
        parts = [cons[h % 16], vows[(h >> 4) % 5], cons[(h >> 7) % 16], vows[(h >> 11) % 5]]
        if (h >> 14) % 3 == 0:
            parts[3] = cons[(h >> 16) % 16]
        name = "".join(parts)
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out


@dataclass(frozen=True)
class Universe:
    coins: tuple[str, ...]  # model coins, then PURR last
    n_model: int  # the first n_model coins are the model's universe
    anchor_px: np.ndarray
    beta: np.ndarray
    idio_vol: np.ndarray
    sz_decimals: np.ndarray  # Hyperliquid-style size decimals
    step: np.ndarray  # 10 ** -sz_decimals
    tick: np.ndarray  # price rounding of the candles
    leverage: np.ndarray
    funding_bias: np.ndarray

    @property
    def n_all(self) -> int:
        return len(self.coins)

    def index(self, coin: str) -> int:
        return self.coins.index(coin)


def coin_count(text: str) -> int:
    """`--coins` of the command line and the benchmarks: a whole number of ordinary coins, at least the playbook's
    names (REFERENCE_COINS), said in one line instead of a traceback from deep in the generator."""
    try:
        coins = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of coins") from None
    if coins < len(REFERENCE_COINS):
        raise argparse.ArgumentTypeError(
            f"{coins} coins: the demo desk needs at least {len(REFERENCE_COINS)} (the playbook's names)"
        )
    return coins


def build_universe(coins: int) -> Universe:
    """`coins` ordinary coins (playbook names first) + kPEPE, kBONK (+ PURR, unpriced)."""
    if coins < len(REFERENCE_COINS):
        raise ValueError(f"coins must be >= {len(REFERENCE_COINS)} (the playbook's names)")
    names = list(REFERENCE_COINS) + FILLER_COINS
    if coins > len(names):
        names += _synthetic_names(coins - len(names), set(names) | set(MODEL_SPECIALS) | {UNPRICED_COIN})
    model = names[:coins] + list(MODEL_SPECIALS)
    allc = model + [UNPRICED_COIN]
    px, beta, vol, lev, fb = [], [], [], [], []
    for c in allc:
        p = _ANCHOR_PX.get(c) or float(10 ** (-2.3 + 3.8 * _u(c, 1)))
        px.append(p)
        if c in _RISK:
            b, v = _RISK[c]
        elif c in _MAJORS:
            b, v = 1.1 + 0.25 * _u(c, 2), 0.33 + 0.15 * _u(c, 3)
        elif c in _MEMES:
            b, v = 1.4 + 0.3 * _u(c, 2), 0.85 + 0.3 * _u(c, 3)
        else:
            b, v = 1.15 + 0.4 * _u(c, 2), 0.55 + 0.35 * _u(c, 3)
        beta.append(b)
        vol.append(v)
        lev.append(5.0 if c in ("BTC", "ETH", "SOL") else 3.0)
        fb.append((-0.000006 + 0.000018 * _u(c, 4)) * (1.6 if c in _MEMES else 1.0))
    px_a = np.array(px, dtype=float)
    dec = np.clip(np.floor(np.log10(px_a)) + 1, 0, 5).astype(np.int64)
    return Universe(
        coins=tuple(allc),
        n_model=len(model),
        anchor_px=px_a,
        beta=np.array(beta),
        idio_vol=np.array(vol),
        sz_decimals=dec,
        step=10.0 ** (-dec),
        tick=10.0 ** (np.floor(np.log10(px_a)) - 5),
        leverage=np.array(lev),
        funding_bias=np.array(fb),
    )


def day_ordinal(d: date) -> int:
    return d.toordinal()


def ms_of(d: date | datetime) -> int:
    if isinstance(d, datetime):
        return int(d.timestamp() * 1000)
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)


# --- model weights ----------------------------------------------------------

# Hand-set weights on the signal dates behind the playbook's reference days
# (holdings date D trades the weights dated D-2). Values the playbook states
# are copied verbatim; the rest keep its "top names" and listed names sized
# and signed consistently across the three dates.
WEIGHT_ANCHORS: dict[date, dict[str, float]] = {
    date(2025, 12, 3): {  # -> holdings 2025-12-05
        "TAO": 0.0545,
        "BTC": 0.0552,
        "ETH": 0.0463,
        "LINK": -0.0381,
        "BNB": 0.0471,
        "ASTER": -0.0442,
        "AVAX": 0.0428,
        "NEAR": 0.0377,
        "LTC": 0.0352,
        "AAVE": 0.0497,
        "ADA": -0.0335,
        "PAXG": 0.0541,
        "SOL": 0.0398,
        "PUMP": -0.0445,
        "TRX": -0.0361,
        "XPL": -0.0404,
        "BCH": 0.0326,
        "TURBO": -0.0389,
        "COMP": -0.0317,
        "TNSR": -0.0512,
        "WIF": -0.0356,
        "PENGU": -0.0415,
        "APT": -0.00365,
        "HBAR": -0.00200,
        "ARB": 0.0062,
        "WLFI": -0.0006,
        "WLD": -0.0192,
    },
    date(2025, 12, 4): {  # -> holdings 2025-12-06
        "BTC": 0.0569,
        "PAXG": 0.0550,
        "BNB": 0.0485,
        "PUMP": -0.0429,
        "PENGU": -0.0428,
        "WLFI": -0.00473,
        "TRX": -0.00453,
        "LINK": -0.00119,
        "AAVE": 0.0502,
        "SUI": -0.0243,
        "AVAX": 0.0437,
        "SOL": 0.0376,
        "XPL": -0.0389,
        "VIRTUAL": -0.0298,
        "ZEN": 0.0215,
        "LTC": 0.0339,
        "TNSR": -0.0534,
        "BCH": 0.0187,
        "TAO": 0.0521,
        "STRK": -0.0265,
        "ETH": 0.0471,
        "WLD": -0.0176,
        "WIF": -0.0331,
        "ARB": 0.0004,
    },
    date(2025, 12, 5): {  # -> holdings 2025-12-07
        "ARB": 0.01679,
        "WLD": -0.00476,
        "BCH": 0.00104,
        "AAVE": 0.0518,
        "PUMP": -0.0517,
        "TNSR": -0.0556,
        "AVAX": 0.0449,
        "PAXG": 0.0535,
        "BTC": 0.0561,
        "XPL": -0.0372,
        "TRX": -0.0228,
        "VIRTUAL": -0.0311,
        "BNB": 0.0463,
        "ENA": -0.0247,
        "STRK": -0.0281,
        "FET": -0.0193,
        "WIF": -0.0318,
        "XRP": 0.0264,
        "SOL": 0.0384,
        "ETH": 0.0459,
        "NEAR": 0.0352,
        "SUI": -0.0229,
        "UNI": -0.0152,
    },
}
ANCHOR_TAPER_DAYS = 6


def model_weights(uni: Universe, first: date, last: date, seed: int) -> tuple[list[date], np.ndarray]:
    """Daily signed target weights for the model coins, dates first..last inclusive.

    An AR(1) signal per coin (persistent, with occasional re-draws: the model
    drops or flips a name) mapped to a long/short book with gross 1.0-1.6 and a
    soft cap near 0.058 per name; the playbook anchors are then blended in.
    """
    epoch = min(WEIGHT_EPOCH, first - timedelta(days=40))
    n_days = (last - epoch).days + 1
    n = uni.n_model
    rho = 0.993
    s = np.empty((n_days, n))
    for k in range(n_days):
        g = np.random.default_rng([seed, S_WEIGHT, day_ordinal(epoch) + k])
        z = g.standard_normal(n)
        fresh = g.standard_normal(n)
        jump = g.random(n) < 0.03
        if k == 0:
            s[k] = fresh
        else:
            s[k] = np.where(jump, fresh, rho * s[k - 1] + np.sqrt(1 - rho**2) * z)
    phase = np.random.default_rng([seed, S_MISC, 1]).random(2) * 2 * np.pi
    kk = np.arange(n_days)
    gross = 1.30 + 0.20 * np.sin(2 * np.pi * kk / 61 + phase[0]) + 0.08 * np.sin(2 * np.pi * kk / 17 + phase[1])
    raw = np.sign(s) * np.abs(s) ** 1.4
    cap = 0.058
    lo, hi = np.zeros(n_days), np.full(n_days, 1.0)
    for _ in range(60):  # bisection: sum |cap*tanh(k*raw/cap)| = gross
        mid = (lo + hi) / 2
        tot = np.abs(cap * np.tanh(mid[:, None] * raw / cap)).sum(axis=1)
        lo = np.where(tot < gross, mid, lo)
        hi = np.where(tot < gross, hi, mid)
    w = cap * np.tanh(((lo + hi) / 2)[:, None] * raw / cap)
    dates = [epoch + timedelta(days=k) for k in range(n_days)]
    _apply_anchors(uni, dates, w)
    i0 = (first - epoch).days
    return dates[i0:], w[i0:].copy()


def _apply_anchors(uni: Universe, dates: list[date], w: np.ndarray) -> None:
    d0 = dates[0]
    per_coin: dict[str, list[tuple[int, float]]] = {}
    for d, vals in sorted(WEIGHT_ANCHORS.items()):
        k = (d - d0).days
        if not 0 <= k < len(dates):
            continue
        for coin, v in vals.items():
            if coin in uni.coins[: uni.n_model]:
                per_coin.setdefault(coin, []).append((k, v))
    kk = np.arange(len(dates))
    gross = np.abs(w).sum(axis=1)
    touched = np.zeros(w.shape, bool)
    for coin, pts in per_coin.items():
        i = uni.index(coin)
        ks = np.array([p[0] for p in pts])
        delta = np.array([p[1] for p in pts]) - w[ks, i]
        corr = np.interp(kk, ks, delta)
        corr *= np.clip(1 - np.maximum(ks[0] - kk, kk - ks[-1]) / ANCHOR_TAPER_DAYS, 0, 1)
        w[:, i] += corr
        w[ks, i] = [p[1] for p in pts]
        touched[:, i] = corr != 0
    # keep each day's gross: the names nobody anchored absorb the difference
    rows = np.nonzero(touched.any(axis=1))[0]
    fixed = np.where(touched[rows], np.abs(w[rows]), 0).sum(axis=1)
    free = np.where(touched[rows], 0, np.abs(w[rows])).sum(axis=1)
    f = np.clip((gross[rows] - fixed) / np.maximum(free, 1e-12), 0.3, 3.0)
    w[rows] = np.where(touched[rows], w[rows], w[rows] * f[:, None])


# --- prices -------------------------------------------------------------------


def price_grid(
    uni: Universe, grid_start: date, n_days: int, seed: int, weights: tuple[list[date], np.ndarray] | None = None
) -> np.ndarray:
    """Hourly boundary prices P[(n_days*24)+1, n_all] from grid_start 00:00 UTC.

    Returns: market factor + idiosyncratic Student-t shocks, a slow volatility
    regime, intraday seasonality, rare jumps, and a small drift towards the
    model's T+2 weights (the strategy has some alpha). Anchored at PRICE_ANCHOR.
    """
    anchor_day = PRICE_ANCHOR.date()
    lo = min(grid_start, anchor_day)
    hi = max(grid_start + timedelta(days=n_days), anchor_day + timedelta(days=1))
    days = (hi - lo).days
    n = uni.n_all
    hourly_m = MARKET_VOL / np.sqrt(8760)
    hourly_i = uni.idio_vol / np.sqrt(8760)
    ph = np.random.default_rng([seed, S_MISC, 2]).random(2) * 2 * np.pi
    season = 1 + 0.25 * np.cos(2 * np.pi * (np.arange(24) - 15) / 24)
    wdates, wmat = weights if weights is not None else ([], None)
    wpos = {d: k for k, d in enumerate(wdates)}
    alpha_per_hour = 0.02 / 24
    rets = np.empty((days * 24, n))
    for k in range(days):
        d = lo + timedelta(days=k)
        o = day_ordinal(d)
        g = np.random.default_rng([seed, S_PRICE, o])
        m = g.standard_t(5, 24) * np.sqrt(3 / 5)
        e = g.standard_t(4, (24, n)) * np.sqrt(1 / 2)
        jumps = (g.random((24, n)) < 0.0004) * g.normal(0, 0.035, (24, n))
        vm = np.exp(0.30 * np.sin(2 * np.pi * o / 83 + ph[0]) + 0.15 * np.sin(2 * np.pi * o / 29 + ph[1]))
        r = vm * season[:, None] * (uni.beta * hourly_m * m[:, None] + hourly_i * e) + jumps
        t2 = d - timedelta(days=2)
        if wmat is not None and t2 in wpos:
            r[:, : uni.n_model] += alpha_per_hour * wmat[wpos[t2]]
        rets[k * 24 : (k + 1) * 24] = r
    logp = np.vstack([np.zeros((1, n)), np.cumsum(rets, axis=0)])
    ia = (anchor_day - lo).days * 24
    logp += np.log(uni.anchor_px) - logp[ia]
    i0 = (grid_start - lo).days * 24
    p = np.exp(logp[i0 : i0 + n_days * 24 + 1])
    return np.round(p / uni.tick) * uni.tick


def funding_rates(uni: Universe, grid_start: date, n_days: int, seed: int) -> np.ndarray:
    """Hourly funding rate per coin for each hour of the grid (n_days*24, n_all)."""
    out = np.empty((n_days * 24, uni.n_all))
    for k in range(n_days):
        g = np.random.default_rng([seed, S_FUNDING, day_ordinal(grid_start + timedelta(days=k))])
        daily = g.normal(0, 0.000010, uni.n_all)
        out[k * 24 : (k + 1) * 24] = 0.00001 + uni.funding_bias + daily + g.normal(0, 0.000012, (24, uni.n_all))
    return np.round(out, 8)


def coin_prices_at(P: np.ndarray, grid_ms: int, t_ms: np.ndarray, coin: np.ndarray) -> np.ndarray:
    """Price of coin[j] at t_ms[j] (element-wise), linear within the hour."""
    x = (np.asarray(t_ms, dtype=np.int64) - grid_ms) / HOUR_MS
    k = np.floor(x).astype(np.int64)
    f = x - k
    a = P[k, coin]
    return a + (P[k + 1, coin] - a) * f
