"""An independent recomputation of the model book and the waterfall, in pandas, from the raw tables' rows.

Nothing here calls the product (no queries/, answers/, lib/model_book or lib/tracking code): only the
definitions, written again the plain way — a loop over days, the recursion M(D+1) = (M(D) - fee) (1 + g) +
flows step by step, positions from the whole history of fills, the lag sweep as the playbook describes it.
Constants (how far a mark or a price may be looked up) come from lib.config, the one place they are set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from lib import config

SPECIAL_SYMBOLS = {"kPEPE": "1000PEPEUSDT", "kBONK": "1000BONKUSDT"}  # the demo's 1000x contracts (multiplier 1)
USD_TOKENS = ("USDC", "USD", "USDT")
H = pd.Timedelta(hours=1)


def symbol(coin: str) -> str:
    return SPECIAL_SYMBOLS.get(coin, f"{coin}USDT")


def newest(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Synced duplicates: the row with the newest synced_at per natural key."""
    return df.sort_values("synced_at", kind="stable").drop_duplicates(key, keep="last")


def midnight(d: date) -> pd.Timestamp:
    return pd.Timestamp(datetime(d.year, d.month, d.day))


@dataclass
class Raw:
    trades: pd.DataFrame
    account: pd.DataFrame
    positions: pd.DataFrame
    funding: pd.DataFrame
    ledger: pd.DataFrame
    targets: dict[date, dict[str, float]]
    closes: dict[str, tuple[np.ndarray, np.ndarray]]  # symbol -> (open_time ns sorted, close)
    perp: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        p = self.trades[~self.trades.coin.str.startswith("@") & ~self.trades.coin.str.contains("/", regex=False)]
        p = p[(p.sz > 0) & (p.px > 0) & np.isfinite(p.sz) & np.isfinite(p.px)].copy()
        p["dq"] = np.where(p.side == "B", p.sz, -p.sz)
        self.perp = p.sort_values(["time", "tid"], kind="stable")
        self.fill_times = np.sort(self.trades.time.values)
        self.memo: dict = {}
        # per coin and account, fills in (time, trade id) order: times, position after, position before
        self.chains: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        for (coin, _account), g in self.perp.groupby(["coin", "account"]):
            self.chains.setdefault(coin, []).append(
                (g.time.values, (g.start_position + g.dq).values, g.start_position.values)
            )


def load(raw_dir) -> Raw:
    """The raw tables written by tests/model_book/december.py (parquet per table)."""
    names = ("trades", "account", "positions", "funding", "ledger", "targets", "klines")
    return from_frames({name: pd.read_parquet(f"{raw_dir}/{name}.parquet") for name in names})


def from_frames(frames: dict[str, pd.DataFrame]) -> Raw:
    """A desk from its tables' rows as stored (synced duplicates included), UTC times made naive."""

    def clean(name: str) -> pd.DataFrame:
        df = frames[name].copy()
        for c in df.columns:
            if isinstance(df[c].dtype, pd.DatetimeTZDtype):
                df[c] = df[c].dt.tz_convert("UTC").dt.tz_localize(None)
        for c in ("coin", "account", "side", "fee_token", "symbol", "sym", "type"):
            if c in df.columns:
                df[c] = df[c].astype(str)
        return df

    trades = newest(clean("trades"), ["account", "tid"])
    account = newest(clean("account"), ["account", "ts"])
    value = pd.to_numeric(account.account_value, errors="coerce")
    account = account[value.notna() & np.isfinite(value) & (value > 0)]
    positions = newest(clean("positions"), ["account", "ts", "coin"])
    funding = newest(clean("funding"), ["account", "coin", "time"])
    ledger = newest(clean("ledger"), ["account", "time", "hash"])
    tg = clean("targets").drop_duplicates(["date", "sym"])
    targets: dict[date, dict[str, float]] = {}
    for d, sym, w in zip(pd.to_datetime(tg.date).dt.date, tg.sym, tg.weight):
        targets.setdefault(d, {})[sym] = float(w)
    kl = clean("klines").drop_duplicates(["symbol", "open_time"])
    kl = kl[np.isfinite(kl.close) & (kl.close > 0)].sort_values("open_time")
    closes = {s: (g.open_time.values.astype("datetime64[ns]"), g.close.values) for s, g in kl.groupby("symbol")}
    return Raw(trades, account.sort_values("ts"), positions, funding, ledger, targets, closes)


def price(raw: Raw, coin: str, at: pd.Timestamp) -> float:
    """Binance close of the candle opening an hour before `at`; a missing one: the newest within the max age."""
    s = raw.closes.get(symbol(coin))
    if s is None:
        return math.nan
    times, values = s
    hi = np.datetime64(at - H)
    k = np.searchsorted(times, hi, side="right") - 1
    if k < 0 or times[k] < np.datetime64(at - H - pd.Timedelta(hours=config.MODEL_PRICE_MAX_AGE_H)):
        return math.nan
    return float(values[k])


def exact_close(raw: Raw, coin: str, open_time: pd.Timestamp) -> float:
    s = raw.closes.get(symbol(coin))
    if s is None:
        return math.nan
    k = np.searchsorted(s[0], np.datetime64(open_time))
    return float(s[1][k]) if k < len(s[0]) and s[0][k] == np.datetime64(open_time) else math.nan


def next_fill(raw: Raw, t: pd.Timestamp) -> pd.Timestamp | None:
    k = np.searchsorted(raw.fill_times, np.datetime64(t), side="right")
    return pd.Timestamp(raw.fill_times[k]) if k < len(raw.fill_times) else None


def mark(raw: Raw, T: pd.Timestamp) -> tuple[pd.Timestamp | None, float | None]:
    """The live equity at 00:00: the snapshot nearest T within the max age, before the first fill after T;
    else the last one at or before T (7 days back)."""
    a, age = raw.account, pd.Timedelta(seconds=config.MODEL_MARK_MAX_AGE_S)
    nf = next_fill(raw, T)
    near = a[(a.ts >= T - age) & (a.ts <= T + age)]
    near = near[(near.ts <= T) | (near.ts < nf)] if nf is not None else near
    if len(near):
        dist = (near.ts - T).abs()
        best = near.loc[dist[dist == dist.min()].index].sort_values("ts").iloc[0]
        return best.ts, float(best.account_value)
    before = a[(a.ts <= T) & (a.ts >= T - pd.Timedelta(days=config.EQUITY_LOOKBACK_DAYS))]
    return (before.ts.iloc[-1], float(before.account_value.iloc[-1])) if len(before) else (None, None)


def units(raw: Raw, coin: str, t: pd.Timestamp) -> float:
    """Units after the last fill at or before t (whole history), else the position the next fill starts from."""
    key = ("units", coin, t)
    if key not in raw.memo:
        raw.memo[key] = _units(raw, coin, t)
    return raw.memo[key]


def _units(raw: Raw, coin: str, t: pd.Timestamp) -> float:
    total = 0.0
    for times, after, before in raw.chains.get(coin, []):
        k = np.searchsorted(times, np.datetime64(t), side="right")
        if k > 0:
            total += float(after[k - 1])  # the last fill at or before t (the highest trade id of its millisecond)
        elif k < len(times):
            total += float(before[k])  # none yet: the position the first later fill starts from
    return total


def targets_for(raw: Raw, d: date) -> dict[str, float]:
    """The model's holdings of day d: the targets dated d - 2, else the newest at most 7 days older."""
    for back in range(config.MODEL_TARGETS_MAX_AGE_DAYS + 1):
        got = raw.targets.get(d - timedelta(days=2 + back))
        if got is not None:
            return got
    return {}


def lag_sweep(raw: Raw, days: list[date]) -> dict[date, int]:
    """The days whose 02:00 book matched another day's targets clearly better than D−2 (the playbook's sweep):
    weight-space TE against D−0..D−3, the smallest wins (ties: D−2, then the nearest); a slip when it is below
    LAG_CLEAR_RATIO × the D−2 TE."""
    slips: dict[date, int] = {}
    held_coins = sorted(set(raw.perp.coin))
    for d in days:
        snap = midnight(d) + pd.Timedelta(hours=3)  # the end of the 02:00 hour
        acc = raw.account[(raw.account.ts < snap) & (raw.account.ts >= midnight(d) - pd.Timedelta(days=7))]
        equity = float(acc.account_value.iloc[-1]) if len(acc) else math.nan
        actual: dict[str, float | None] = {}
        for c in held_coins:
            q = units_before(raw, c, snap)
            if q == 0:
                continue
            px = exact_close(raw, c, snap - H)
            actual[c] = q * px / equity if np.isfinite(px) and np.isfinite(equity) and equity > 0 else None
        te: dict[int, float | None] = {}
        for lag in range(config.LAG_SWEEP_MAX + 1):
            w = raw.targets.get(d - timedelta(days=lag))
            if not w:
                te[lag] = None
                continue
            coins = set(w) | set(actual)
            te[lag] = math.sqrt(
                sum((actual.get(c, 0.0) - w.get(c, 0.0)) ** 2 for c in coins if not (c in actual and actual[c] is None))
            )
        known = {k: v for k, v in te.items() if v is not None}
        if not known or te.get(2) is None:
            continue
        best = min(known, key=lambda k: (known[k], abs(k - 2), k))
        if best != 2 and best in (0, 1, 3) and known[best] < config.LAG_CLEAR_RATIO * known[2]:
            slips[d] = best
    return slips


def units_before(raw: Raw, coin: str, t: pd.Timestamp) -> float:
    """The timeline's units: the position after the last fill strictly before t (0 when never traded)."""
    total = 0.0
    for times, after, _before in raw.chains.get(coin, []):
        k = np.searchsorted(times, np.datetime64(t), side="left")
        if k > 0:
            total += float(after[k - 1])
    return total


BARS = ("sizing", "timing", "execution", "fees", "funding", "basis")


def basis_at(raw: Raw, T: pd.Timestamp) -> dict[str, float]:
    """Per coin: exchange units × (exchange mark − Binance close) at the positions round nearest T."""
    key = ("basis", T)
    if key not in raw.memo:
        raw.memo[key] = _basis_at(raw, T)
    return raw.memo[key]


def _basis_at(raw: Raw, T: pd.Timestamp) -> dict[str, float]:
    age, rnd = pd.Timedelta(minutes=config.POSITIONS_MARK_MAX_AGE_MIN), pd.Timedelta(seconds=config.SNAPSHOT_ROUND_S)
    p = raw.positions
    nf = next_fill(raw, T)
    near = p[(p.ts >= T - age) & (p.ts <= T + age)]
    near = near[(near.ts <= T) | (near.ts < nf)] if nf is not None else near
    if not len(near):
        return {}
    times = pd.Series(near.ts.unique())
    dist = (times - T).abs()
    round_ts = times[dist == dist.min()].sort_values().iloc[0]
    rows = p[(p.ts >= round_ts - rnd) & (p.ts <= round_ts + rnd)].sort_values(["ts", "synced_at"])
    rows = rows.drop_duplicates(["account", "coin"], keep="last")
    out: dict[str, float] = {}
    for r in rows.itertuples():
        if r.szi == 0 or r.position_value is None or not np.isfinite(r.position_value):
            continue
        b = price(raw, r.coin, T)
        if not np.isfinite(b):
            continue
        out[r.coin] = out.get(r.coin, 0.0) + r.szi * (r.position_value / abs(r.szi) - b)
    return out


def recompute(
    raw: Raw,
    start: date,
    end: date,
    fees: bool = False,
    history: int = config.MODEL_BAND_WINDOW_DAYS,
    lags: dict[date, int] | None = None,
) -> dict:
    """The model book and the waterfall over [start, end], day by day; the band's `history` days before start.
    `lags`: the timing slips to use (default: this module's own lag sweep)."""
    first = start - timedelta(days=history)
    all_days = [first + timedelta(days=i) for i in range((end - first).days + 1)]
    if ("marks", first, end) not in raw.memo:
        raw.memo[("marks", first, end)] = {d: mark(raw, midnight(d)) for d in [*all_days, end + timedelta(days=1)]}
    marks = raw.memo[("marks", first, end)]
    ledger = raw.ledger

    def flows(d: date) -> float:
        t0, t1 = marks[d][0], marks[d + timedelta(days=1)][0]
        return float(ledger[(ledger.time > t0) & (ledger.time <= t1)].usdc.sum())

    # the model, day by day: legs, gross return, drift, turnover
    legs: dict[date, dict[str, tuple[float, float, float, float]]] = {}  # coin -> (w_held, p0, p1, r)
    g: dict[date, float] = {}
    for d in [first - timedelta(days=1), *all_days]:
        legs[d], total = {}, 0.0
        for c, w in targets_for(raw, d).items():
            p0, p1 = price(raw, c, midnight(d)), price(raw, c, midnight(d) + pd.Timedelta(days=1))
            priced = np.isfinite(p0) and np.isfinite(p1)
            r = p1 / p0 - 1 if priced else math.nan
            legs[d][c] = (w if priced else 0.0, p0, p1, r)
            total += w * r if priced else 0.0
        g[d] = total
    turnover: dict[date, dict[str, float]] = {}
    for d in all_days:
        prev = d - timedelta(days=1)
        drifted = {
            c: w * (1 + r) / (1 + g[prev]) for c, (w, _p0, _p1, r) in legs[prev].items() if w != 0 and np.isfinite(r)
        }
        coins = set(drifted) | {c for c, leg in legs[d].items() if leg[0] != 0}
        turnover[d] = {c: abs(legs[d].get(c, (0.0,))[0] - drifted.get(c, 0.0)) for c in coins}
    fee_rate = 0.0
    if fees:
        window = raw.perp[(raw.perp.time >= midnight(start)) & (raw.perp.time < midnight(end + timedelta(days=1)))]
        paid = window[window.fee_token.isin(USD_TOKENS) & np.isfinite(window.fee)].fee.sum()
        notional = (window.px * window.sz).sum()
        fee_rate = paid / notional if notional > 0 else 0.0
    growth = {d: (1 - fee_rate * sum(turnover[d].values())) * (1 + g[d]) for d in all_days}

    days = []
    model_equity = marks[start][1]
    if lags is None:
        if ("lags", start, end) not in raw.memo:
            raw.memo[("lags", start, end)] = lag_sweep(raw, [d for d in all_days if d >= start])
        lags = raw.memo[("lags", start, end)]
    for d in all_days:
        t0, equity = marks[d]
        t1, equity_next = marks[d + timedelta(days=1)]
        f = flows(d)
        live_pnl = equity_next - equity - f
        row = {"day": d, "t0": t0, "equity": equity, "flows": f, "live_pnl": live_pnl, "growth": growth[d]}
        row["active_rebased_bp"] = (live_pnl / equity - (growth[d] - 1)) * 1e4
        if d < start:
            days.append(row)
            continue
        fee = fee_rate * sum(turnover[d].values()) * model_equity
        nxt = (model_equity - fee) * (1 + g[d]) + f
        row.update(model_equity=model_equity, model_fee=fee, model_pnl=nxt - model_equity - f)
        row["gap"] = live_pnl - row["model_pnl"]
        row["gap_bp"] = row["gap"] / equity * 1e4
        row.update(_bars(raw, d, t0, t1, equity, model_equity, fee, legs[d], turnover[d], fee_rate, lags.get(d)))
        row["residual"] = row["gap"] - sum(row[b] for b in BARS)
        row["lag"] = lags.get(d, 2)
        days.append(row)
        model_equity = nxt
    frame = pd.DataFrame(days)
    in_range = frame[frame.day >= start]
    hist = frame[frame.day < start].active_rebased_bp.dropna()
    sigma = float(np.std(hist, ddof=1)) if len(hist) >= config.MODEL_BAND_MIN_DAYS else None
    return {
        "days": in_range.reset_index(drop=True),
        "history": frame[frame.day < start].reset_index(drop=True),
        "sigma_bp": sigma,
        "fee_rate": fee_rate,
        "lags": lags,
        "legs": legs,
        "marks": marks,
        "model_end": model_equity,
        "symbols": _symbol_totals(in_range),
    }


def _bars(raw, d, t0, t1, equity, model_equity, fee, legs, turnover, fee_rate, lag) -> dict:
    T0, T1 = midnight(d), midnight(d) + pd.Timedelta(days=1)
    sizing_equity = model_equity - fee
    fills = raw.perp[(raw.perp.time > t0) & (raw.perp.time <= t1)]
    fund = raw.funding[(raw.funding.time > t0) & (raw.funding.time <= t1)]
    fills_by = {c: g for c, g in fills.groupby("coin")}
    funding_by = fund.groupby("coin").usdc.sum().to_dict()
    b0, b1 = basis_at(raw, T0), basis_at(raw, T1)
    w_lag = raw.targets.get(d - timedelta(days=lag), {}) if lag is not None else {}
    coins = set(legs) | set(turnover) | set(fills.coin) | set(fund.coin) | set(b0) | set(b1) | set(w_lag)
    coins |= {c for c in set(raw.perp.coin) if units(raw, c, t0) != 0}
    out: dict = {b: 0.0 for b in BARS}
    out["n_unpriced"] = 0
    out["n_fee_other"] = int(((~fills.fee_token.isin(USD_TOKENS)) & (fills.fee != 0)).sum())
    per_symbol = {}
    for c in sorted(coins):
        q0 = units(raw, c, t0)
        fc = fills_by.get(c, fills.iloc[:0])
        dq = float(fc.dq.sum())
        q1 = q0 + dq
        w = legs.get(c, (0.0,))[0]
        live_fee = float(fc[fc.fee_token.isin(USD_TOKENS) & np.isfinite(fc.fee)].fee.sum())
        fees_bar = -live_fee + fee_rate * turnover.get(c, 0.0) * model_equity
        funding_bar = float(funding_by.get(c, 0.0))
        basis_bar = b1.get(c, 0.0) - b0.get(c, 0.0)
        p0, p1 = price(raw, c, T0), price(raw, c, T1)
        bars = {"fees": fees_bar, "funding": funding_bar, "basis": basis_bar}
        if np.isfinite(p0) and np.isfinite(p1):
            r = p1 / p0 - 1
            prefs = np.array([price(raw, c, pd.Timestamp(t).floor("h")) for t in fc.time]) if len(fc) else np.zeros(0)
            prefs = np.where(np.isfinite(prefs), prefs, p0)
            dq_ref = float((fc.dq.values * prefs).sum())
            dq_px = float((fc.dq.values * fc.px.values).sum())
            a = q1 * p0 / equity
            wl = w_lag.get(c, 0.0)
            w_ref = wl if lag is not None and abs(a - wl) < abs(a - w) else w
            bars["sizing"] = (q1 * p0 - equity * w_ref) * r + (equity - sizing_equity) * w * r
            bars["timing"] = equity * (w_ref - w) * r - (dq_ref - dq * p0)
            bars["execution"] = -(dq_px - dq_ref)
            live = q0 * (p1 - p0) + dq * p1 - dq_px
            model = sizing_equity * w * r
            assert abs(live - model - bars["sizing"] - bars["timing"] - bars["execution"]) < 1e-6 * max(1, abs(live))
        else:
            bars.update(sizing=0.0, timing=0.0, execution=0.0)
            out["n_unpriced"] += int(q0 != 0 or dq != 0 or w != 0)
        per_symbol[c] = bars
        for b in BARS:
            out[b] += bars[b]
    for b in BARS:
        out[f"{b}_bp"] = out[b] / equity * 1e4
    out["per_symbol"] = per_symbol
    return out


def _symbol_totals(days: pd.DataFrame) -> dict[str, dict[str, float]]:
    totals: dict[str, dict[str, float]] = {}
    for per in days.per_symbol:
        for c, bars in per.items():
            acc = totals.setdefault(c, {b: 0.0 for b in BARS})
            for b in BARS:
                acc[b] += bars[b]
    return totals


def hourly_model(result: dict, raw: Raw, d: date, k: int) -> float:
    """The model's equity at d 00:00 + k hours (1..23): its post-fee equity times the legs' returns, plus flows."""
    row = result["days"][result["days"].day == d].iloc[0]
    at = midnight(d) + pd.Timedelta(hours=k)
    r = 0.0
    for c, (w, p0, _p1, _r) in result["legs"][d].items():
        if w == 0:
            continue
        p = price(raw, c, at)
        if np.isfinite(p):
            r += w * (p / p0 - 1)
    t0 = row.t0
    f = float(raw.ledger[(raw.ledger.time > t0) & (raw.ledger.time <= at)].usdc.sum())
    return (row.model_equity - row.model_fee) * (1 + r) + f
