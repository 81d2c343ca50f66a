"""The next targets, checked before they trade: one check per question a PM asks of a new target file.

    weights       the mandate's limits (lib/rebalance/checks.py weights_check, the one definition)
    listed        every symbol is listed on Hyperliquid (newest exchange metadata poll, not delisted)
    priced        every symbol has a Binance close in the last PRICE_MAX_AGE_H hours
    minimum       no target position is smaller than the minimum order value at the current equity (it
                  could never be opened); the legs below it are counted
    margin        leverage (notional ÷ equity) and margin used after the rebalance, at current marks: each
                  symbol's notional after the ticket ÷ its set leverage (a coin not held: the book's
                  notional-weighted set leverage, at most the exchange's max)
    cost          the ticket's turnover (traded notional ÷ equity) and estimated cost (bp of equity)
    changes       the largest weight changes against the current targets (the date before)
    names         symbols entering and leaving the book

Each check passes, fails (naming what is outside its limit) or is not evaluated (its input is missing).
The checks run as soon as the targets date lands and again from PREFLIGHT_FINAL_CHECK_MIN minutes before
the rebalance (the final check): every surface calls `answers.rebalance.preflight`, which evaluates them on
the data of the moment. Pure: frames in, a `Preflight` out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from lib import clock, config
from lib import format as fmt
from lib.inputs import finite_float
from lib.rebalance import checks, sizing
from lib.rebalance.checks import FAIL, NOT_EVALUATED, PASS, Check
from lib.rebalance.ticket import Ticket

ON_LANDING, FINAL, AFTER = "on landing", "final check", "after its rebalance"


@dataclass(frozen=True)
class Preflight:
    target_date: date
    trade_day: date
    checked_at: datetime
    has_targets: bool
    checks: tuple[Check, ...]
    note: str = ""

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    @property
    def stage(self) -> str:
        """'on landing', 'final check' from PREFLIGHT_FINAL_CHECK_MIN minutes before the rebalance, or 'after its
        rebalance' (a past date checked on today's data)."""
        if self.checked_at >= final_check_at(self.trade_day) + timedelta(minutes=config.PREFLIGHT_FINAL_CHECK_MIN):
            return AFTER
        return FINAL if self.checked_at >= final_check_at(self.trade_day) else ON_LANDING

    @property
    def title(self) -> str:
        return (
            f"Targets dated {self.target_date.isoformat()} (the {self.trade_day.isoformat()} 00:00 UTC rebalance), "
            f"checked {fmt.utc(self.checked_at)}"
        )

    def to_json(self) -> dict:
        return fmt.json_value(
            {
                "target_date": self.target_date,
                "trade_day": self.trade_day,
                "checked_at": self.checked_at,
                "checked_at_text": fmt.utc(self.checked_at),
                "stage": self.stage,
                "has_targets": self.has_targets,
                "passed": not self.failed and self.has_targets,
                "failed": [c.key for c in self.failed],
                "checks": [c.to_json() for c in self.checks],
                "note": self.note,
            }
        )


def final_check_at(trade_day: date) -> datetime:
    """When the final check of the targets traded at `trade_day` 00:00 UTC runs."""
    midnight = datetime(trade_day.year, trade_day.month, trade_day.day, tzinfo=UTC)
    return midnight - timedelta(minutes=config.PREFLIGHT_FINAL_CHECK_MIN)


def _names(names: list[str], limit: int = 10) -> str:
    return ", ".join(names[:limit]) + (f", +{len(names) - limit} more" if len(names) > limit else "")


def listed_check(syms: list[str], meta: pl.DataFrame | None, meta_note: str | None) -> Check:
    title = "Listed on Hyperliquid"
    if meta is None:
        return checks.not_evaluated("listed", title, meta_note or "no exchange metadata (hyperliquid.asset_meta)")
    if meta.height == 0:
        return checks.not_evaluated("listed", title, "the exchange metadata table is empty")
    newest = clock.aware(meta["newest_poll"].max())
    rows = {str(r["coin"]): r for r in meta.iter_rows(named=True)}
    unknown, delisted, dropped = [], [], []
    for sym in syms:
        r = rows.get(sym)
        if r is None:
            unknown.append(sym)
        elif r["is_delisted"]:
            delisted.append(sym)
        elif newest is not None and newest - (clock.aware(r["updated_at"]) or newest) > timedelta(
            seconds=config.ASSET_META_ROUND_S
        ):
            dropped.append(sym)
    names = (
        [f"{s} (not on the exchange)" for s in unknown]
        + [f"{s} (delisted)" for s in delisted]
        + [f"{s} (not in the newest poll)" for s in dropped]
    )
    bad = len(unknown) + len(delisted) + len(dropped)
    numbers = f"{len(syms) - bad} of {len(syms)} listed (exchange metadata of {fmt.utc(newest)})"
    if bad:
        numbers += f"; not listed: {_names(names)}"
    return Check("listed", title, FAIL if bad else PASS, numbers, tuple(names), {"n": len(syms), "n_unlisted": bad})


def priced_check(syms: list[str], prices: pl.DataFrame, as_of: datetime) -> Check:
    title = f"Binance price in the last {config.PRICE_MAX_AGE_H} h"
    rows = {str(r["coin"]): r for r in prices.iter_rows(named=True)}
    stale = []
    for sym in syms:
        r = rows.get(sym, {})
        ts = clock.aware(r.get("close_ts"))
        if finite_float(r.get("price")) is None or ts is None:
            stale.append(f"{sym} (no close in {config.PRICE_LOOKBACK_H} h, {r.get('bn_symbol') or sym + 'USDT'})")
        elif as_of - ts > timedelta(hours=config.PRICE_MAX_AGE_H):
            stale.append(f"{sym} (last close {fmt.age((as_of - ts).total_seconds())} old)")
    numbers = f"{len(syms) - len(stale)} of {len(syms)} priced"
    if stale:
        numbers += f"; {_names(stale)}"
    return Check("priced", title, FAIL if stale else PASS, numbers, tuple(stale), {"n_unpriced": len(stale)})


def minimum_check(targets: pl.DataFrame, ticket: Ticket) -> Check:
    title = f"Above the {fmt.usd(config.HL_MIN_ORDER_USD)} minimum order value"
    e = ticket.equity
    if e is None or not ticket.has_targets:
        return checks.not_evaluated("minimum", title, "no equity: the positions cannot be sized")
    small = [
        f"{s} ({fmt.usd(abs(w) * e, 2)})"
        for s, w in targets.select("sym", "weight").iter_rows()
        if finite_float(w) and w != 0 and sizing.below_minimum(abs(w) * e)
    ]
    below = ticket.dropped.filter(pl.col("reason").str.starts_with("below the"))
    numbers = (
        f"{fmt.plural(len(small), 'target position')} below {fmt.usd(config.HL_MIN_ORDER_USD)} at equity {fmt.usd(e)}; "
        f"{fmt.plural(below.height, 'leg')} of the ticket below the minimum (dropped)"
    )
    if small:
        numbers += f": cannot be opened: {_names(small)}"
    return Check(
        "minimum",
        title,
        FAIL if small else PASS,
        numbers,
        tuple(small),
        {"n_small": len(small), "n_legs_below": below.height},
    )


def after_rebalance(ticket: Ticket, book: pl.DataFrame, meta: pl.DataFrame | None) -> dict[str, Any]:
    """Notional, leverage and margin used after the ticket trades, at its prices."""
    e = ticket.equity or 0.0
    notional: dict[str, float] = {}
    for r in ticket.legs.iter_rows(named=True):
        notional[r["sym"]] = (r["units"] + r["delta_units"]) * r["price"]
    for r in ticket.dropped.iter_rows(named=True):
        if r["price"] is not None and r["units"]:
            notional[r["sym"]] = r["units"] * r["price"]
    lev = {str(r["coin"]): finite_float(r["leverage"]) for r in book.iter_rows(named=True)}
    held = book.filter(pl.col("leverage").is_not_null())
    typical = None
    if held.height:
        weights = (held["units"].abs() * held["mark"]).fill_null(0.0)
        total = float(weights.sum())
        if total > 0:
            typical = float((held["leverage"] * weights).sum()) / total
    cap = {str(r["coin"]): int(r["max_leverage"]) for r in meta.iter_rows(named=True)} if meta is not None else {}
    margin, unknown = 0.0, []
    for sym, n in notional.items():
        x = lev.get(sym) or typical
        if x is not None and sym in cap:
            x = min(x, cap[sym])
        if x is None or x <= 0:
            unknown.append(sym)
            continue
        margin += abs(n) / x
    gross = sum(abs(n) for n in notional.values())
    return {
        "gross_after": gross,
        "leverage_after": gross / e if e > 0 else None,
        "margin_after": margin,
        "margin_used_after": margin / e if e > 0 and not unknown else None,
        "leverage_unknown": unknown,
    }


def margin_check(ticket: Ticket, book: pl.DataFrame, meta: pl.DataFrame | None, limits: Mapping[str, float]) -> Check:
    title = "Leverage and margin after the rebalance"
    if not ticket.has_targets or not ticket.equity or not ticket.equity > 0:  # zero, negative or NaN: no equity
        return checks.not_evaluated("margin", title, "no equity: the book after the rebalance cannot be valued")
    a = after_rebalance(ticket, book, meta)
    margin_max = float(config.ALERT_THRESHOLDS["margin_used_max"])
    problems = []
    if a["leverage_after"] is not None and a["leverage_after"] > limits["leverage_max"]:
        problems.append(f"leverage {fmt.leverage(a['leverage_after'])} above {limits['leverage_max']:g}x")
    if a["margin_used_after"] is not None and a["margin_used_after"] > margin_max:
        problems.append(f"margin used {fmt.pct(a['margin_used_after'], 1)} above {fmt.pct(margin_max, 0)}")
    numbers = (
        f"leverage {fmt.leverage(a['leverage_after'])} "
        f"(≤ {limits['leverage_max']:g}x) · margin used "
        f"{fmt.pct(a['margin_used_after'], 1)} of equity (≤ {fmt.pct(margin_max, 0)}) · notional "
        f"{fmt.usd(a['gross_after'])}"
    )
    if a["leverage_unknown"]:
        numbers += f"; no leverage setting known for {_names(a['leverage_unknown'])}"
    status = FAIL if problems else (NOT_EVALUATED if a["margin_used_after"] is None else PASS)
    return Check("margin", title, status, numbers, tuple(problems), a)


def cost_check(ticket: Ticket, limits: Mapping[str, float]) -> Check:
    title = "Expected turnover and cost"
    t = ticket.totals
    if not t:
        return checks.not_evaluated("cost", title, "no ticket: " + ("; ".join(ticket.notes) or "no equity"))
    problems = []
    if t["turnover"] > limits["turnover_max"]:
        problems.append(f"turnover {fmt.pct(t['turnover'], 1)} above {fmt.pct(limits['turnover_max'], 0)}")
    cost_bp = t.get("cost_bp_equity")
    if cost_bp is not None and -cost_bp > limits["cost_max_bp"]:
        problems.append(f"cost {fmt.bps(-cost_bp, 2, signed=False)} of equity above {limits['cost_max_bp']:g} bp")
    numbers = (
        f"{t['n_legs']} legs · {fmt.usd(t['gross_notional'])} traded = turnover {fmt.pct(t['turnover'], 1)} of equity "
        f"(≤ {fmt.pct(limits['turnover_max'], 0)}) · est. cost {fmt.usd(t['est_cost'], signed=True)} = "
        f"{fmt.bps(cost_bp, 2)} of equity (≤ {limits['cost_max_bp']:g} bp) · "
        f"TE {fmt.pct(t['te_before'], 2)} → {fmt.pct(t['te_after'], 2)}"
    )
    return Check("cost", title, FAIL if problems else PASS, numbers, tuple(problems), dict(t))


def changes(targets: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """Per symbol of either file: `sym, weight, current, change` (a missing row is 0), largest |change| first."""
    both = (
        targets.select("sym", pl.col("weight").cast(pl.Float64))
        .join(
            current.select("sym", pl.col("weight").cast(pl.Float64).alias("current")),
            on="sym",
            how="full",
            coalesce=True,
        )
        .with_columns(pl.col("weight").fill_null(0.0), pl.col("current").fill_null(0.0))
        .with_columns((pl.col("weight") - pl.col("current")).alias("change"))
    )
    return both.sort([pl.col("change").abs(), "sym"], descending=[True, False])


def changes_check(diff: pl.DataFrame | None, current_date: date, limits: Mapping[str, float]) -> Check:
    title = f"Largest weight changes against the targets dated {current_date.isoformat()}"
    if diff is None:
        return checks.not_evaluated("changes", title, f"no targets dated {current_date.isoformat()} to compare with")
    top = diff.head(config.PREFLIGHT_LARGEST_CHANGES)
    listed = [f"{r['sym']} {fmt.weight(r['current'])} → {fmt.weight(r['weight'])}" for r in top.iter_rows(named=True)]
    largest = finite_float(top["change"].abs().max()) or 0.0
    over = diff.filter(pl.col("change").abs() > limits["weight_change_max"])
    names = [f"{r['sym']} {fmt.pp(r['change'])}" for r in over.iter_rows(named=True)]
    numbers = (
        f"largest {fmt.pp(largest, signed=False)} (≤ {fmt.pp(limits['weight_change_max'], 0, signed=False)}): "
        + (", ".join(listed) or "none")
    )
    return Check(
        "changes", title, FAIL if names else PASS, numbers, tuple(names), {"largest": largest, "top": top.to_dicts()}
    )


def names_check(diff: pl.DataFrame | None, current_date: date, limits: Mapping[str, float]) -> Check:
    title = "Symbols entering and leaving the book"
    if diff is None:
        return checks.not_evaluated("names", title, f"no targets dated {current_date.isoformat()} to compare with")
    held = lambda c: (pl.col(c).abs() >= config.W_EPS) & (pl.col(c) != 0)  # noqa: E731 - the playbook's "held"
    entering = diff.filter(held("weight") & ~held("current"))["sym"].sort().to_list()
    leaving = diff.filter(~held("weight") & held("current"))["sym"].sort().to_list()
    n = len(entering) + len(leaving)
    numbers = (
        f"{len(entering)} entering ({_names(entering) or 'none'}) · {len(leaving)} leaving ({_names(leaving) or 'none'})"
        f" (≤ {int(limits['names_changed_max'])} in all)"
    )
    problem = (f"{n} symbols change",) if n > limits["names_changed_max"] else ()
    return Check(
        "names", title, FAIL if problem else PASS, numbers, problem, {"entering": entering, "leaving": leaving}
    )


def run(
    target_date: date,
    trade_day: date,
    targets: pl.DataFrame,
    current: pl.DataFrame | None,
    meta: pl.DataFrame | None,
    meta_note: str | None,
    prices: pl.DataFrame,
    ticket: Ticket,
    book: pl.DataFrame,
    checked_at: datetime,
    limits: Mapping[str, float] = config.MANDATE_LIMITS,
) -> Preflight:
    """Every check of the targets dated `target_date` (traded at `trade_day` 00:00 UTC) at `checked_at`.

    `current`: the targets of the date before (None: not there); `ticket`: the ticket for these targets
    (lib/rebalance/ticket.py) on the newest book `book` (`book_by_coin`); `prices`: the newest closes of the
    targets' symbols at `checked_at`.
    """
    checked_at = clock.aware(checked_at) or datetime.now(UTC)
    if targets.height == 0:
        return Preflight(target_date, trade_day, checked_at, False, (), f"no targets dated {target_date.isoformat()}")
    syms = sorted(targets["sym"].cast(pl.String).to_list())
    diff = changes(targets, current) if current is not None and current.height else None
    before = target_date - timedelta(days=1)
    found = (
        checks.weights_check(targets, limits),
        listed_check(syms, meta, meta_note),
        priced_check(syms, prices, checked_at),
        minimum_check(targets, ticket),
        margin_check(ticket, book, meta, limits),
        cost_check(ticket, limits),
        changes_check(diff, before, limits),
        names_check(diff, before, limits),
    )
    return Preflight(target_date, trade_day, checked_at, True, found)
