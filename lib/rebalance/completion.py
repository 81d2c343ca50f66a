"""Today's rebalance, to completion: how much of the change the 00:00 UTC rebalance had to make was done, and
by when.

The change is the targets against the book just before 00:00 (the pre-rebalance snapshot: units at
00:00:00, the Binance close of 23:00–00:00, the equity of the last account snapshot before 00:00, the
targets dated D−2). Per symbol, with price p and equity E of that moment:

    target units     = target weight × E ÷ p;   required = target units − units before
    done             = |target units − units| × p ÷ E ≤ max(REBALANCE_DONE_WEIGHT, REBALANCE_DONE_SHARE ×
                       |target weight|) and the position is neither missing, extra nor in the wrong direction
                       (W_EPS, as lib.tracking.classification)
    progress         = 1 when done, else 1 − |target units − units| ÷ |required|, clipped to [0, 1]
                       (a fill past the target counts against it: it is not done either): a symbol's row
    book % complete  = Σ |required notional| × net ÷ Σ |required notional| over the symbols that were not done
                       at 00:00 (or are not done now), floored at 0, where net is progress without its floor:
                       = 1 − Σ remaining notional of the open symbols ÷ Σ required notional, so a symbol
                       traded away from its target (left more than it had to change) counts by all it left

Units at a time are the units before plus the signed fills up to it (queries/rebalance/progress.py). Each
open symbol gets one state: orders rejected or canceled (the orders table has such a final status for an
order placed since 00:00), blocked by minimum (what is left is worth less than the minimum order value), not
started (no fill), partial; a symbol without a price has "no price". Pure: frames in, a `Completion` out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from lib import clock, config
from lib import format as fmt
from lib.inputs import finite_float

DONE, PARTIAL, NOT_STARTED = "done", "partial", "not started"
BLOCKED, NO_PRICE, ORDERS_FAILED = "blocked by minimum", "no price", "orders rejected or canceled"
STATES = (ORDERS_FAILED, NOT_STARTED, PARTIAL, BLOCKED, NO_PRICE, DONE)  # display order: worst first
UNITS_DECIMALS = 10  # a position summed from fills is rounded here: 0.3 − 0.1 − 0.2 is 0, not 5.5e-17
SLIPPAGE_KNOWN, SLIPPAGE_PENDING, SLIPPAGE_MISSING, NO_FILLS = "known", "pending", "missing", "no fills"
SYMBOL_COLUMNS: dict[str, Any] = {
    "sym": pl.String,
    "state": pl.String,
    "reason": pl.String,
    "progress": pl.Float64,
    **{f"p_{m}": pl.Float64 for m in config.REBALANCE_CHECKPOINTS_MIN},
    "required_notional": pl.Float64,
    "remaining_notional": pl.Float64,
    "target_weight": pl.Float64,
    "weight_before": pl.Float64,
    "weight_now": pl.Float64,
    "units_before": pl.Float64,
    "units_now": pl.Float64,
    "target_units": pl.Float64,
    "price": pl.Float64,
    "n_fills": pl.Int64,
    "n_orders": pl.Int64,
    "n_rejected": pl.Int64,
    "n_canceled": pl.Int64,
    "first_fill": pl.Datetime("ms", "UTC"),
    "last_fill": pl.Datetime("ms", "UTC"),
}


def checkpoint_label(minutes: int) -> str:
    """'00:05', '01:00': a checkpoint as a time of day."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Completion:
    day: date
    target_date: date
    measured_at: datetime  # the state is of this moment: the data's now, or the day's end
    has_targets: bool
    equity: float | None
    symbols: pl.DataFrame  # the symbols the rebalance had to change (and any now off target), worst first
    n_on_target: int = 0  # symbols already within tolerance at 00:00 and still now
    progress: float | None = None  # book % complete now (a fraction); 1.0 when nothing had to change
    checkpoints: dict[int, float | None] = field(default_factory=dict)  # minute -> progress (None: not yet)
    series: pl.DataFrame = field(default_factory=pl.DataFrame)  # time, progress: one step per fill
    required_notional: float = 0.0
    remaining_notional: float = 0.0
    n_fills: int = 0
    notional: float | None = None  # traded notional of the day's fills
    fees: float | None = None  # USD paid (a cost: shown negative)
    fee_bps: float | None = None
    slippage_bps: float | None = None
    slippage_state: str = NO_FILLS
    notes: tuple[str, ...] = ()

    @property
    def open_symbols(self) -> list[str]:
        """Symbols not done, worst first."""
        return self.symbols.filter(pl.col("state") != DONE)["sym"].to_list() if self.symbols.height else []

    @property
    def counts(self) -> dict[str, int]:
        got = dict(self.symbols.group_by("state").len().iter_rows()) if self.symbols.height else {}
        return {s: int(got.get(s, 0)) for s in STATES}

    def progress_at(self, minutes: int) -> float | None:
        """Book progress at 00:MM (None before that time has come, or when it cannot be measured)."""
        start = datetime(self.day.year, self.day.month, self.day.day, tzinfo=UTC)
        t = start + timedelta(minutes=minutes)
        if t > self.measured_at or self.progress is None:
            return None
        if self.required_notional <= 0:
            return self.progress
        return series_value(self.series, t, 0.0)

    def to_json(self) -> dict:
        return fmt.json_value(
            {
                "day": self.day,
                "target_date": self.target_date,
                "measured_at": self.measured_at,
                "has_targets": self.has_targets,
                "equity": self.equity,
                "progress": self.progress,
                "checkpoints": {checkpoint_label(m): v for m, v in self.checkpoints.items()},
                "required_notional": self.required_notional,
                "remaining_notional": self.remaining_notional,
                "n_on_target": self.n_on_target,
                "counts": self.counts,
                "open_symbols": self.open_symbols,
                "n_fills": self.n_fills,
                "notional": self.notional,
                "fees": -self.fees if self.fees is not None else None,
                "fee_bps": -self.fee_bps if self.fee_bps is not None else None,
                "slippage_bps": self.slippage_bps,
                "slippage_state": self.slippage_state,
                "symbols": self.symbols.to_dicts(),
                "notes": list(self.notes),
            }
        )


def series_value(series: pl.DataFrame, t: datetime, before: float) -> float:
    """The step series' value at `t` (its last step at or before t; `before` when none)."""
    if series.height == 0:
        return before
    upto = series.filter(pl.col("time") <= t)
    return float(upto["progress"][-1]) if upto.height else before


@dataclass
class _Symbol:
    sym: str
    price: float | None
    equity: float
    target_weight: float
    units_before: float

    @property
    def target_units(self) -> float:
        assert self.price is not None
        return self.target_weight * self.equity / self.price

    @property
    def required(self) -> float:
        return self.target_units - self.units_before

    def weight(self, units: float) -> float:
        assert self.price is not None
        return units * self.price / self.equity

    def done(self, units: float) -> bool:
        w, t = self.weight(units), self.target_weight
        tolerance = max(config.REBALANCE_DONE_WEIGHT, config.REBALANCE_DONE_SHARE * abs(t))
        held_t, held_a = abs(t) >= config.W_EPS and t != 0, abs(w) >= config.W_EPS and w != 0
        direction = held_t == held_a and (not held_t or (w > 0) == (t > 0))
        return abs(t - w) <= tolerance + 1e-12 and direction

    def net_progress(self, units: float) -> float:
        """The symbol's part in the book's % complete: 1 when done, else 1 − what is left ÷ what was required,
        with no floor, so a symbol traded away from its target weighs by all it left, not only by what it had to
        change: floored per symbol, a $17k miss on a $1.5k change hid in a 99.5% book."""
        if self.done(units):
            return 1.0
        req = abs(self.required)
        if req == 0:
            return 0.0
        return min(1.0 - abs(self.target_units - units) / req, 1.0)

    def progress(self, units: float) -> float:
        """The symbol's own share done, as its row shows it: net_progress floored at 0."""
        return max(self.net_progress(units), 0.0)


def _orders_text(n: int, what: str, at: Any) -> str:
    ts = clock.aware(at)
    return f"{fmt.plural(n, 'order')} {what}" + (f" (first at {ts:%H:%M:%S} UTC)" if ts else "")


def _reason(s: _Symbol, state: str, units_now: float, p: float, orders: Mapping[str, Any], n_fills: int) -> str:
    if state == NO_PRICE:
        return "no Binance close at 00:00 UTC: the target units are unknown"
    if state == DONE:
        tolerance = max(config.REBALANCE_DONE_WEIGHT, config.REBALANCE_DONE_SHARE * abs(s.target_weight))
        return f"within ±{fmt.pct(tolerance, 2)} of the target"
    parts = []
    if state == ORDERS_FAILED:
        if orders.get("n_rejected"):
            parts.append(_orders_text(int(orders["n_rejected"]), "rejected", orders.get("rejected_at")))
        if orders.get("n_canceled"):
            parts.append(_orders_text(int(orders["n_canceled"]), "canceled", orders.get("canceled_at")))
    if state == BLOCKED:
        left = abs(s.target_units - units_now) * (s.price or 0.0)
        parts.append(f"{fmt.usd(left, 2)} left, below the {fmt.usd(config.HL_MIN_ORDER_USD)} minimum order")
    if state == NOT_STARTED:
        n_open = int(orders.get("n_open") or 0)
        parts.append(f"{fmt.plural(n_open, 'order')} open, none filled" if n_open else "no order placed")
    moved = units_now - s.units_before
    if n_fills:
        parts.append(f"{fmt.pct(p, 0)} of the change done")
        if moved * s.required > 0 and abs(moved) > abs(s.required) * (1 + 1e-9):
            parts.append("traded past the target" + (" (closed the position)" if units_now == 0 else ""))
        elif moved * s.required < 0:
            parts.append("traded away from the target")
    w, t = s.weight(units_now), s.target_weight
    if abs(t) >= config.W_EPS and abs(w) < config.W_EPS:
        parts.append("the position is missing")
    elif abs(t) >= config.W_EPS and (w > 0) != (t > 0):
        parts.append("the position is in the wrong direction")
    return "; ".join(parts)


def _state(s: _Symbol, units_now: float, orders: Mapping[str, Any], n_fills: int) -> str:
    if s.done(units_now):
        return DONE
    if int(orders.get("n_rejected") or 0) + int(orders.get("n_canceled") or 0) > 0:
        return ORDERS_FAILED
    left = abs(s.target_units - units_now) * (s.price or 0.0)
    if left < config.HL_MIN_ORDER_USD:
        return BLOCKED
    if n_fills == 0:
        return NOT_STARTED
    return PARTIAL


def build(
    day: date,
    measured_at: datetime,
    pre: pl.DataFrame,
    steps: pl.DataFrame,
    orders: pl.DataFrame,
    day_exec: Mapping[str, Any] | None,
    newest_candle: datetime | None,
) -> Completion:
    """The rebalance of holdings day `day`, as of `measured_at` (the data's now, at most the day's end).

    `pre`: the day's pre-rebalance timeline rows (`timeline(day, day, PRE_REBALANCE_HOUR)`); `steps`:
    `queries.rebalance.progress.rebalance_steps(day, measured_at)`; `orders`:
    `queries.book.orders.orders_by_coin(day 00:00, measured_at)`; `day_exec`: the day's row of
    `queries.book.trades.daily_execution` (fees, slippage); `newest_candle`: the newest Binance candle's
    open time (the slippage of the fills of an hour whose candle does not exist yet is pending).
    """
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    measured_at = clock.aware(measured_at) or start
    target_day = clock.target_date(day)
    rows = pre.filter(pl.col("holdings_date") == day) if "holdings_date" in pre.columns else pre
    has_targets = bool(rows.height and rows["has_t2_row"].any())
    exec_part = _execution(day_exec, steps, newest_candle)
    empty = pl.DataFrame(schema=SYMBOL_COLUMNS)
    if not has_targets:
        note = f"no model targets dated {target_day.isoformat()}: nothing to measure the rebalance against"
        return Completion(day, target_day, measured_at, False, None, empty, notes=(note,), **exec_part)
    equity = finite_float(rows["equity_usd"].drop_nulls().first()) if rows["equity_usd"].drop_nulls().len() else None
    if equity is None or equity <= 0:
        note = "no positive equity before 00:00: the required change cannot be sized"
        return Completion(day, target_day, measured_at, True, equity, empty, notes=(note,), **exec_part)

    moves: dict[str, list[tuple[datetime, float]]] = {}
    for coin, t, d in steps.select("coin", "time", "d_units").iter_rows():
        ts = clock.aware(t)
        if ts is not None:
            moves.setdefault(str(coin), []).append((ts, float(d)))
    by_coin = {str(r["coin"]): r for r in orders.iter_rows(named=True)} if orders.height else {}
    symbols = {}
    for r in rows.iter_rows(named=True):
        w_t = finite_float(r["weight_t2"]) if r["has_t2_row"] else 0.0
        symbols[str(r["sym"])] = _Symbol(
            str(r["sym"]), finite_float(r["bn_px"]), equity, w_t or 0.0, r["pos_units"] or 0.0
        )
    notes = []
    stray = sorted(set(moves) - set(symbols))
    if stray:
        notes.append(f"also traded, with no target row and no position at 00:00: {', '.join(stray)}")

    def units_at(s: _Symbol, t: datetime) -> float:
        return round(s.units_before + sum(d for ts, d in moves.get(s.sym, []) if ts <= t), UNITS_DECIMALS)

    out: list[dict[str, Any]] = []
    book_done = 0.0  # Σ |required notional| × net_progress
    on_target = 0
    for s in symbols.values():
        m = moves.get(s.sym, [])
        orders_row = by_coin.get(s.sym, {})
        base = {
            "sym": s.sym,
            "target_weight": s.target_weight,
            "units_before": s.units_before,
            "price": s.price,
            "n_fills": len(m),
            "n_orders": int(orders_row.get("n_orders") or 0),
            "n_rejected": int(orders_row.get("n_rejected") or 0),
            "n_canceled": int(orders_row.get("n_canceled") or 0),
            "first_fill": m[0][0] if m else None,
            "last_fill": m[-1][0] if m else None,
        }
        if s.price is None or s.price <= 0:
            if s.target_weight or s.units_before:
                out.append({**base, "state": NO_PRICE, "reason": _reason(s, NO_PRICE, 0, 0, orders_row, 0)})
            continue
        now = units_at(s, measured_at)
        if s.done(s.units_before) and s.done(now):
            on_target += 1
            continue
        p = s.progress(now)
        book_done += abs(s.required) * s.price * s.net_progress(now)
        state = _state(s, now, orders_row, len(m))
        checkpoints = {}
        for minutes in config.REBALANCE_CHECKPOINTS_MIN:
            t = start + timedelta(minutes=minutes)
            checkpoints[f"p_{minutes}"] = s.progress(units_at(s, t)) if t <= measured_at else None
        out.append(
            {
                **base,
                **checkpoints,
                "state": state,
                "reason": _reason(s, state, now, p, orders_row, len(m)),
                "progress": p,
                "required_notional": abs(s.required) * s.price,
                "remaining_notional": abs(s.target_units - now) * s.price,
                "weight_before": s.weight(s.units_before),
                "weight_now": s.weight(now),
                "units_now": now,
                "target_units": s.target_units,
            }
        )
    table = pl.DataFrame(out, schema=SYMBOL_COLUMNS) if out else empty
    order = {s: k for k, s in enumerate(STATES)}
    table = (
        table.with_columns(pl.col("state").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        .sort(["_o", "required_notional"], descending=[False, True], nulls_last=True)
        .drop("_o")
    )
    measured = {s.sym: s for s in symbols.values() if s.price and s.sym in set(table["sym"].to_list())}
    series = _series(start, measured_at, measured, moves)
    required = float(table["required_notional"].sum() or 0.0)
    progress = (
        max(book_done / required, 0.0)
        if required > 0
        else (1.0 if table.filter(pl.col("state") != NO_PRICE).height == 0 else None)
    )
    result = Completion(
        day,
        target_day,
        measured_at,
        True,
        equity,
        table,
        n_on_target=on_target,
        progress=progress,
        series=series,
        required_notional=required,
        remaining_notional=float(table["remaining_notional"].sum() or 0.0),
        notes=tuple(notes),
        **exec_part,
    )
    return replace(result, checkpoints={m: result.progress_at(m) for m in config.REBALANCE_CHECKPOINTS_MIN})


def _series(
    start: datetime, end: datetime, symbols: Mapping[str, _Symbol], moves: Mapping[str, list[tuple[datetime, float]]]
) -> pl.DataFrame:
    """Book progress after each fill of a measured symbol: one step per fill time, from 00:00 to `end`."""
    weights = {k: abs(s.required) * (s.price or 0.0) for k, s in symbols.items()}
    total = sum(weights.values())
    schema: dict[str, Any] = {"time": pl.Datetime("ms", "UTC"), "progress": pl.Float64}
    if total <= 0:
        return pl.DataFrame(schema=schema)
    units = {k: s.units_before for k, s in symbols.items()}
    done = {k: s.net_progress(units[k]) * weights[k] for k, s in symbols.items()}
    events = sorted((t, k, d) for k, m in moves.items() if k in symbols for t, d in m if t <= end)
    points: list[tuple[datetime, float]] = [(start, max(sum(done.values()) / total, 0.0))]
    for t, k, d in events:
        units[k] = round(units[k] + d, UNITS_DECIMALS)
        done[k] = symbols[k].net_progress(units[k]) * weights[k]
        value = max(sum(done.values()) / total, 0.0)
        if points and points[-1][0] == t:
            points[-1] = (t, value)
        else:
            points.append((t, value))
    points.append((end, points[-1][1]))
    return pl.DataFrame(points, schema=schema, orient="row")


def _execution(day_exec: Mapping[str, Any] | None, steps: pl.DataFrame, newest_candle: datetime | None) -> dict:
    """Fees and slippage of the day's fills; slippage is pending while the hour of its fills has no candle."""
    if not day_exec or not day_exec.get("n_fills"):
        return {"n_fills": 0, "slippage_state": NO_FILLS}
    n_unpriced = int(day_exec.get("n_unpriced") or 0)
    state = SLIPPAGE_KNOWN
    if n_unpriced or day_exec.get("avg_slippage_bps") is None:
        last = clock.aware(steps["time"].max()) if steps.height else None
        hour = last.replace(minute=0, second=0, microsecond=0) if last else None
        newest = clock.aware(newest_candle)
        state = SLIPPAGE_PENDING if hour is not None and (newest is None or newest < hour) else SLIPPAGE_MISSING
    return {
        "n_fills": int(day_exec["n_fills"]),
        "notional": finite_float(day_exec.get("notional_usd")),
        "fees": finite_float(day_exec.get("fees")),
        "fee_bps": finite_float(day_exec.get("fee_bps")),
        "slippage_bps": finite_float(day_exec.get("avg_slippage_bps")),
        "slippage_state": state,
    }
