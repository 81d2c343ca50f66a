"""The trades-to-target ticket: for a target set, the order per symbol that brings the newest book to it.

Per symbol of the targets and the book (a held symbol without a target row has target 0):

    target units  = target weight × equity ÷ price
    Δ units       = target units − current units, rounded toward zero to the coin's size step
                    (lib/rebalance/sizing.py); Δ notional = Δ units × price (signed, USD)
    reduce only   = the leg only shrinks the position (opposite sign, not past zero)
    est. cost     = −|Δ notional| × (the desk's fee rate + its median slippage for the coin, or the book's
                    where the coin has fewer than SLIPPAGE_MIN_FILLS fills), in USD; a cost is negative
    error         = weight − target weight, before (now) and after (the ticket traded as shown)

Prices: the exchange mark of the newest positions round for a held coin, else the newest Binance close
if it is at most PRICE_MAX_AGE_H old; a symbol without either gets no leg and is listed as unpriced. A leg
that rounds to zero or is worth less than the minimum order value is dropped and listed apart (its error
stays). Legs are sorted by how much TE each removes per dollar of cost: the drop in TE if the leg alone
traded (√Σerr² with and without its change) per $100 of its estimated cost.
TE is √Σerr² over the priced symbols (as lib.tracking.classification.snapshot_te). Pure: frames in, frames out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from lib import clock, config, inputs
from lib import format as fmt
from lib.inputs import finite_float
from lib.rebalance import sizing

TODAY, NEXT = inputs.TARGET_SETS
TARGET_SETS: Mapping[str, str] = {
    TODAY: "Today's targets (D−2: what the book should hold now)",
    NEXT: "Next rebalance's targets (D−1: traded at the next 00:00 UTC)",
}
BUY, SELL = "Buy", "Sell"
LEG_COLUMNS = (
    "sym",
    "side",
    "reduce_only",
    "delta_units",
    "delta_notional",
    "units",
    "price",
    "price_source",
    "weight",
    "target_weight",
    "target_units",
    "size_rounding",
    "est_fee",
    "est_slippage",
    "est_cost",
    "cost_bp",
    "slippage_source",
    "err_before",
    "err_after",
    "te_removed",
    "te_removed_per_100usd",
)
DROPPED_COLUMNS = ("sym", "reason", "delta_units", "delta_notional", "units", "price", "weight", "target_weight")


def target_date(which: str, today: date) -> date:
    """The date of the target set: today's rebalance trades clock.target_date(today) (D−2); the next one,
    at tomorrow's 00:00 UTC, trades clock.target_date(tomorrow) (D−1)."""
    if which not in TARGET_SETS:
        raise ValueError(f"target set must be one of {tuple(TARGET_SETS)}, not {which!r}")
    return clock.target_date(today if which == TODAY else today + timedelta(days=1))


def trade_day(which: str, today: date) -> date:
    """The holdings day whose 00:00 rebalance trades the set."""
    return today if which == TODAY else today + timedelta(days=1)


@dataclass(frozen=True)
class Ticket:
    which: str
    target_date: date
    trade_day: date
    has_targets: bool
    equity: float | None
    round_ts: datetime | None  # the newest positions round the units come from
    legs: pl.DataFrame  # the orders, best TE removed per dollar of cost first
    dropped: pl.DataFrame  # legs below the step or the minimum order value, and unpriced symbols
    totals: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return (
            f"Targets dated {self.target_date.isoformat()} "
            f"({'today' if self.which == TODAY else 'next'}: the {self.trade_day.isoformat()} 00:00 UTC rebalance)"
        )

    def to_json(self) -> dict:
        return fmt.json_value(
            {
                "targets": self.which,
                "target_date": self.target_date,
                "trade_day": self.trade_day,
                "has_targets": self.has_targets,
                "equity": self.equity,
                "positions_round": self.round_ts,
                "totals": self.totals,
                "legs": self.legs.to_dicts(),
                "dropped": self.dropped.to_dicts(),
                "notes": list(self.notes),
            }
        )


CSV_COLUMNS = (
    "sym",
    "status",
    "side",
    "reduce_only",
    "delta_units",
    "delta_notional",
    "units",
    "price",
    "price_source",
    "weight",
    "target_weight",
    "target_units",
    "size_rounding",
    "est_cost",
    "cost_bp",
    "err_before",
    "err_after",
    "te_removed",
)


def csv_frame(ticket: Ticket) -> pl.DataFrame:
    """The ticket as one table for a CSV: the orders (status 'order', in the ticket's order), then the dropped
    legs (status 'dropped: <reason>'); weights and errors as fractions of equity, costs negative."""
    legs = ticket.legs.with_columns(pl.lit("order").alias("status"))
    dropped = ticket.dropped.with_columns(
        ("dropped: " + pl.col("reason")).alias("status"),
        pl.when(pl.col("weight").is_not_null()).then(pl.col("weight") - pl.col("target_weight")).alias("err_before"),
    )
    dropped = dropped.with_columns(pl.col("err_before").alias("err_after"))
    frames = [f.select([c for c in CSV_COLUMNS if c in f.columns]) for f in (legs, dropped)]
    return pl.concat(frames, how="diagonal_relaxed").select([c for c in CSV_COLUMNS])


def book_by_coin(position_risk: pl.DataFrame | None) -> pl.DataFrame:
    """The newest positions round (`queries.book.risk.position_risk`, one row per account and coin) per coin:
    `coin, units` (summed), `mark` (Σ position value ÷ Σ |units|), `leverage` (the notional-weighted set
    leverage) and `round_ts`."""
    schema = {"coin": pl.String, "units": pl.Float64, "mark": pl.Float64, "leverage": pl.Float64, "round_ts": None}
    if position_risk is None or position_risk.height == 0:
        return pl.DataFrame(schema={k: v or pl.Datetime("ms", "UTC") for k, v in schema.items()})
    value = pl.col("position_value").abs()
    return (
        position_risk.group_by(pl.col("coin").cast(pl.String))
        .agg(
            pl.col("szi").sum().alias("units"),
            (value.sum() / pl.col("szi").abs().sum()).alias("mark"),
            ((pl.col("leverage") * value).sum() / value.filter(pl.col("leverage").is_not_null()).sum()).alias(
                "leverage"
            ),
            pl.col("ts").max().alias("round_ts"),
        )
        .sort("coin")
    )


def price_for(
    units: float, mark: Any, bn_price: Any, bn_close_ts: Any, as_of: datetime | None
) -> tuple[float | None, str]:
    """The price a leg is sized at, and where it comes from: the exchange mark of a held coin, else the
    newest Binance close when it is at most PRICE_MAX_AGE_H old."""
    mark = finite_float(mark)
    if units and mark is not None and mark > 0:
        return mark, "exchange mark"
    px, close_ts = finite_float(bn_price), clock.aware(bn_close_ts)
    if px is not None and px > 0 and close_ts is not None:
        if as_of is None or as_of - close_ts <= timedelta(hours=config.PRICE_MAX_AGE_H):
            return px, f"Binance close {close_ts:%H:%M} UTC"
        return None, f"Binance close {fmt.age((as_of - close_ts).total_seconds())} old"
    return None, "no price"


def _slippage(
    sym: str, slippage: Mapping[str, tuple[float | None, int]], book_bps: float | None
) -> tuple[float | None, str]:
    own, n = slippage.get(sym, (None, 0))
    if own is not None and n >= config.SLIPPAGE_MIN_FILLS:
        return own, f"{sym} median ({n} fills)"
    if book_bps is not None:
        return book_bps, "book median" + (f" ({sym}: {n} fills)" if n else "")
    return None, "no slippage estimate"


def build(
    which: str,
    day: date,
    when: date,
    targets: pl.DataFrame,
    book: pl.DataFrame,
    equity: float | None,
    prices: pl.DataFrame,
    meta: pl.DataFrame | None,
    fee_bps: float | None,
    slippage: Mapping[str, tuple[float | None, int]],
    book_slippage_bps: float | None,
    as_of: datetime | None,
    meta_note: str | None = None,
) -> Ticket:
    """The ticket for the targets dated `day`, traded at the 00:00 UTC rebalance of `when` (`which`: TODAY or
    NEXT, a label; `target_date` / `trade_day` give both for a set).

    `targets`: `sym, weight` of that date (empty: not published); `book`: `book_by_coin`; `equity`: the
    newest account value; `prices`: `queries.rebalance.inputs.newest_closes` (coin, price, close_ts);
    `meta`: `queries.rebalance.inputs.asset_meta` or None when the table is missing (`meta_note` says why);
    `fee_bps`: the desk's fee rate over the look-back (fees ÷ notional × 10⁴); `slippage`: coin → (median
    bp, fills); `book_slippage_bps`: the book's median; `as_of`: the data's now (for price ages).
    """
    round_ts = clock.aware(book["round_ts"].max()) if book.height else None
    notes: list[str] = []
    empty_legs = pl.DataFrame(schema={c: _LEG_TYPES.get(c, pl.Float64) for c in LEG_COLUMNS})
    empty_dropped = pl.DataFrame(schema={c: _DROPPED_TYPES.get(c, pl.Float64) for c in DROPPED_COLUMNS})
    if targets.height == 0:
        return Ticket(which, day, when, False, equity, round_ts, empty_legs, empty_dropped, {}, ())
    e = finite_float(equity)
    if e is None or e <= 0:
        note = "no positive equity in the newest account snapshot: target units cannot be sized"
        return Ticket(which, day, when, True, equity, round_ts, empty_legs, empty_dropped, {}, (note,))

    steps: dict[str, int] = {}
    if meta is None:
        notes.append(
            (meta_note or "exchange metadata (hyperliquid.asset_meta) not available")
            + f": every size is rounded toward zero to {config.FALLBACK_SIGNIFICANT_DIGITS} significant digits"
        )
    else:
        steps = {str(c): int(d) for c, d in meta.select("coin", "sz_decimals").iter_rows() if d is not None}
    weights = {str(s): finite_float(w) for s, w in targets.select("sym", "weight").iter_rows()}
    held = {str(r["coin"]): r for r in book.iter_rows(named=True) if finite_float(r["units"])}
    closes = {str(r["coin"]): r for r in prices.iter_rows(named=True)}
    legs: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    no_step: list[str] = []
    for sym in sorted(set(weights) | set(held)):
        w_t = weights.get(sym) or 0.0
        h = held.get(sym, {})
        units = finite_float(h.get("units")) or 0.0
        if w_t == 0 and units == 0:
            continue
        c = closes.get(sym, {})
        px, source = price_for(units, h.get("mark"), c.get("price"), c.get("close_ts"), as_of)
        row: dict[str, Any] = {"sym": sym, "units": units, "price": px, "target_weight": w_t}
        if px is None:
            dropped.append({**row, "reason": f"no price ({source})", "weight": None})
            continue
        weight = units * px / e
        target_units = w_t * e / px
        d = steps.get(sym)
        if d is None and meta is not None:
            no_step.append(sym)
        delta = sizing.round_size(target_units - units, d)
        notional = delta * px
        row.update(weight=weight, delta_units=delta, delta_notional=notional)
        if delta == 0:
            reason = "smaller than one size step" + (f" ({sizing.step_text(d)})" if d is not None else "")
            dropped.append({**row, "reason": reason})
            continue
        if sizing.below_minimum(notional):
            dropped.append({**row, "reason": f"below the {fmt.usd(config.HL_MIN_ORDER_USD)} minimum order value"})
            continue
        slip, slip_source = _slippage(sym, slippage, book_slippage_bps)
        fee = abs(notional) * fee_bps / 1e4 if fee_bps is not None else None
        slip_usd = abs(notional) * slip / 1e4 if slip is not None else None
        cost = -((fee or 0.0) + (slip_usd or 0.0)) if fee is not None or slip_usd is not None else None
        legs.append(
            {
                **row,
                "side": BUY if delta > 0 else SELL,
                "reduce_only": units != 0 and (delta > 0) != (units > 0) and abs(delta) <= abs(units) + 1e-12,
                "price_source": source,
                "target_units": target_units,
                "size_rounding": sizing.rounding_label(d),
                "est_fee": -fee if fee is not None else None,
                "est_slippage": -slip_usd if slip_usd is not None else None,
                "est_cost": cost,
                "cost_bp": cost / abs(notional) * 1e4 if cost is not None else None,
                "slippage_source": slip_source,
                "err_before": weight - w_t,
                "err_after": (units + delta) * px / e - w_t,
            }
        )
    if no_step:
        notes.append(
            f"not in the exchange metadata: {', '.join(no_step)} — sized to "
            f"{config.FALLBACK_SIGNIFICANT_DIGITS} significant digits, no size step known"
        )
    if fee_bps is None:
        notes.append(f"no fills in the last {config.COST_LOOKBACK_DAYS} days: no fee rate, costs exclude fees")
    # TE over every priced symbol: a dropped leg keeps its error
    priced_drops = [r for r in dropped if r.get("weight") is not None]
    sq_before = sum(r["err_before"] ** 2 for r in legs) + sum(
        (r["weight"] - r["target_weight"]) ** 2 for r in priced_drops
    )
    sq_after = sum(r["err_after"] ** 2 for r in legs) + sum(
        (r["weight"] - r["target_weight"]) ** 2 for r in priced_drops
    )
    te_before = math.sqrt(sq_before)
    for r in legs:
        removed = r["err_before"] ** 2 - r["err_after"] ** 2
        r["te_removed"] = te_before - math.sqrt(max(sq_before - removed, 0.0))
        cost = r["est_cost"]
        r["te_removed_per_100usd"] = r["te_removed"] / max(-cost, 0.01) * 100 if cost is not None else None
    legs.sort(key=lambda r: (r["te_removed_per_100usd"] is None, -(r["te_removed_per_100usd"] or 0.0), r["sym"]))
    gross = sum(abs(r["delta_notional"]) for r in legs)
    costs = [r["est_cost"] for r in legs if r["est_cost"] is not None]
    cost_total = sum(costs) if costs else None
    unpriced = [r["sym"] for r in dropped if r.get("weight") is None]
    totals = {
        "n_legs": len(legs),
        "n_dropped": len(dropped) - len(unpriced),
        "n_unpriced": len(unpriced),
        "unpriced": unpriced,
        "gross_notional": gross,
        "buy_notional": sum(r["delta_notional"] for r in legs if r["delta_notional"] > 0),
        "sell_notional": -sum(r["delta_notional"] for r in legs if r["delta_notional"] < 0),
        "turnover": gross / e,
        "est_cost": cost_total,
        "cost_bp": cost_total / gross * 1e4 if cost_total is not None and gross > 0 else None,
        "cost_bp_equity": cost_total / e * 1e4 if cost_total is not None else None,
        "fee_bps": fee_bps,
        "te_before": te_before if (legs or priced_drops) else None,
        "te_after": math.sqrt(sq_after) if (legs or priced_drops) else None,
        "equity": e,
    }
    if unpriced:
        notes.append(f"no price for {', '.join(unpriced)}: no leg, left out of the TE")
    legs_df = pl.DataFrame(legs, schema={c: _LEG_TYPES.get(c, pl.Float64) for c in LEG_COLUMNS}) if legs else empty_legs
    drop_df = (
        pl.DataFrame(
            [{c: r.get(c) for c in DROPPED_COLUMNS} for r in dropped],
            schema={c: _DROPPED_TYPES.get(c, pl.Float64) for c in DROPPED_COLUMNS},
        )
        if dropped
        else empty_dropped
    )
    return Ticket(which, day, when, True, e, round_ts, legs_df, drop_df, totals, tuple(notes))


_LEG_TYPES = {
    "sym": pl.String,
    "side": pl.String,
    "reduce_only": pl.Boolean,
    "price_source": pl.String,
    "size_rounding": pl.String,
    "slippage_source": pl.String,
}
_DROPPED_TYPES = {"sym": pl.String, "reason": pl.String}
