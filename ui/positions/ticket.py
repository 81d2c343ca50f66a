"""Positions, "Trades to target": the ticket for today's (D−2) or the next (D−1) targets, and beside the next
targets their pre-trade checks.

Views (display-ready frames, cached) and drawn sections; the page keeps the target-set control and the
download, and loads the ticket with answers.rebalance (the same numbers as `python -m cli ticket`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib.rebalance import checks
from lib.rebalance import preflight as preflights
from lib.rebalance import ticket as tickets
from ui import cache, layout, tables

LEG_ORDER = (
    "sym",
    "side",
    "delta_units",
    "delta_notional",
    "reduce_only",
    "est_cost",
    "cost_bp",
    "err_before",
    "err_after",
    "te_removed",
    "te_removed_per_100usd",
    "units",
    "target_units",
    "price",
    "price_source",
    "weight",
    "target_weight",
    "size_rounding",
    "slippage_source",
)
# What fits beside the pre-trade checks (660 px at a 1280 px window); the rest in Show/hide columns and the CSV.
LEG_SHOWN = ("sym", "side", "delta_units", "delta_notional", "est_cost", "err_before", "err_after")
DROPPED_SHOWN = ("sym", "reason", "delta_units", "delta_notional", "weight", "target_weight")
LEG_COLUMNS = {
    "sym": st.column_config.TextColumn("Symbol", pinned=True),
    "side": st.column_config.TextColumn("Side"),
    "delta_units": st.column_config.NumberColumn(
        "Δ units", format=tables.UNITS_FORMAT, help="Target units − units, rounded toward zero to the size step."
    ),
    "delta_notional": tables.money_column("Δ notional", help="Δ units × price, USD."),
    "reduce_only": st.column_config.CheckboxColumn("Reduce only", help="The leg only shrinks the position."),
    "est_cost": st.column_config.NumberColumn(
        "Est. cost", format="dollar", help="Fees at the desk's fee rate + its median slippage (a cost is negative)."
    ),
    "cost_bp": st.column_config.NumberColumn("Cost", format="%+.2f bp", help="Of the leg's notional."),
    "err_before": st.column_config.NumberColumn("Error now", format=tables.ERROR_FORMAT, help="Weight − target."),
    "err_after": st.column_config.NumberColumn("Error after", format=tables.ERROR_FORMAT),
    "te_removed": st.column_config.NumberColumn(
        "TE removed", format="%.2f bp", help="The drop in the TE if this leg alone traded, bp of equity."
    ),
    "te_removed_per_100usd": st.column_config.NumberColumn(
        "TE removed per $100", format="%.3f bp", help="The leg's TE drop per $100 of its estimated cost: the sort key."
    ),
    "units": st.column_config.NumberColumn("Units now", format=tables.UNITS_FORMAT),
    "target_units": st.column_config.NumberColumn("Target units", format=tables.UNITS_FORMAT),
    "price": st.column_config.NumberColumn("Price", format=tables.NUMBER_FORMAT),
    "price_source": st.column_config.TextColumn("Price from"),
    "weight": st.column_config.NumberColumn("Weight", format=tables.WEIGHT_FORMAT),
    "target_weight": st.column_config.NumberColumn("Target", format=tables.WEIGHT_FORMAT),
    "size_rounding": st.column_config.TextColumn("Rounded to"),
    "slippage_source": st.column_config.TextColumn("Slippage from"),
}
DROPPED_COLUMNS = {
    "sym": st.column_config.TextColumn("Symbol"),
    "reason": st.column_config.TextColumn("Why not traded"),
    "delta_units": st.column_config.NumberColumn("Δ units", format=tables.UNITS_FORMAT),
    "delta_notional": tables.money_column("Δ notional"),
    "units": st.column_config.NumberColumn("Units now", format=tables.UNITS_FORMAT),
    "price": st.column_config.NumberColumn("Price", format=tables.NUMBER_FORMAT),
    "weight": st.column_config.NumberColumn("Weight", format=tables.WEIGHT_FORMAT),
    "target_weight": st.column_config.NumberColumn("Target", format=tables.WEIGHT_FORMAT),
}


@dataclass(frozen=True)
class TicketView:
    ticket: tickets.Ticket
    legs: pl.DataFrame  # display units: weights and errors in %, TE in bp
    dropped: pl.DataFrame


@cache.view()
def ticket_view(ticket: tickets.Ticket) -> TicketView:
    pct = ("weight", "target_weight", "err_before", "err_after")
    legs = tables.weights_in_percent(ticket.legs, pct).with_columns(
        (pl.col("te_removed") * 1e4).alias("te_removed"),
        (pl.col("te_removed_per_100usd") * 1e4).alias("te_removed_per_100usd"),
    )
    return TicketView(ticket, legs, tables.weights_in_percent(ticket.dropped, ("weight", "target_weight")))


@cache.section()
def ticket_section(view: TicketView) -> None:
    """Totals, the orders (best TE removed per dollar first), what is not traded and why, notes."""
    t, ticket = view.ticket.totals, view.ticket
    if not ticket.has_targets:
        st.info(
            f"No targets dated {ticket.target_date.isoformat()} yet (the model publishes them the day after their "
            f"date; due by {int(config.ALERT_THRESHOLDS['targets_due_hour']):02d}:00 UTC).",
            icon=":material/event_busy:",
        )
        return
    for note in ticket.notes:
        st.warning(fmt.md_text(note), icon=":material/info:")
    if not t:
        return
    cells = layout.metric_row(5)
    cells[0].metric(
        "Orders", f"{t['n_legs']}", help=f"{t['n_dropped']} below the step or minimum, {t['n_unpriced']} unpriced."
    )
    cells[1].metric(
        "Gross to trade",
        fmt.usd(t["gross_notional"]),
        help=f"Buy {fmt.usd(t['buy_notional'])}, sell {fmt.usd(t['sell_notional'])}.",
    )
    cells[2].metric("Turnover", fmt.pct(t["turnover"], 2), help=f"Of equity {fmt.usd(t['equity'])}.")
    cells[3].metric(
        "Est. cost",
        fmt.usd(t["est_cost"], signed=True),
        delta=None if t["cost_bp"] is None else f"{fmt.bps(t['cost_bp'], 2)} of traded",
        delta_arrow="off",
        delta_color="off",
        help=f"Fees at {fmt.bps(t['fee_bps'], 2)} (the desk's last {config.COST_LOOKBACK_DAYS} days) + median slippage.",
    )
    cells[4].metric(
        "TE before → after",
        f"{fmt.pct(t['te_before'], 2)} → {fmt.pct(t['te_after'], 2)}",
        help="√Σ(weight − target)² over the priced symbols, now and with the ticket traded.",
    )
    st.caption(
        f"Units from the positions round of {fmt.utc(ticket.round_ts)}; sized at equity {fmt.usd(ticket.equity)}; "
        "best TE removed per dollar of cost first. Read-only: nothing is sent to the exchange."
    )
    tables.show(
        # the frame's own order of the ticket's columns (its internals left out)
        tables.rounded_prices(view.legs, ("price",)).select([c for c in view.legs.columns if c in LEG_ORDER]),
        LEG_COLUMNS,
        LEG_SHOWN,
        height=min(38 + 35 * max(view.legs.height, 1), 420),
        key=f"pos_ticket_{ticket.which}",
    )
    if view.dropped.height:
        st.markdown(
            f"**Not traded ({view.dropped.height})**: below one size step, below the "
            f"{fmt.usd(config.HL_MIN_ORDER_USD)} minimum order value, or no price."
        )
        tables.show(tables.rounded_prices(view.dropped, ("price",)), DROPPED_COLUMNS, DROPPED_SHOWN)


@cache.section()
def checks_section(result: preflights.Preflight) -> None:
    """The next targets' pre-trade checks: one line each with its mark and numbers."""
    if not result.has_targets:
        st.caption(result.note)
        return
    n_failed = len(result.failed)
    head = f"{fmt.plural(n_failed, 'check')} failed" if n_failed else "Every check passed"
    (st.error if n_failed else st.success)(
        f"**{head}** · targets dated {result.target_date.isoformat()} for the {result.trade_day.isoformat()} "
        f"00:00 UTC rebalance · checked {fmt.utc(result.checked_at)} ({result.stage}; again from "
        f"{preflights.final_check_at(result.trade_day):%H:%M} UTC)",
        icon=fmt.CHECK_ICONS[checks.FAIL if n_failed else checks.PASS],
    )
    for c in result.checks:
        color = {checks.PASS: "green", checks.FAIL: "red"}.get(c.status, "gray")
        st.markdown(f"{fmt.CHECK_ICONS[c.status]} :{color}[**{fmt.md_text(c.title)}**]  \n{fmt.md_text(c.numbers)}")
