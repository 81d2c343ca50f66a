"""The Trades page's drawn sections, replayed on reruns with the same inputs (see ui/cache.py).

The page keeps the widgets (tabs, filters, sort, paging, CSV toggle, coin
picker) and the loads, and builds the views (ui/trades/views.py); a section
only draws what it is given.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from ui import cache, layout, plot, tables
from ui.trades import charts
from ui.trades.views import PerDay

WINDOW = f"00:00–00:{config.REBALANCE_WINDOW_MINUTES:02d} UTC"

FILL_COLUMNS: dict[str, Any] = {
    "time": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm:ss.SSS"),
    "coin": st.column_config.TextColumn("Coin"),
    "side": st.column_config.TextColumn("Side"),
    "dir": st.column_config.TextColumn("Direction"),
    "px": st.column_config.NumberColumn("Price", format=tables.NUMBER_FORMAT),
    "sz": st.column_config.NumberColumn("Size", format=tables.UNITS_FORMAT),
    "notional": st.column_config.NumberColumn("Notional", format="dollar"),
    "ref_px": st.column_config.NumberColumn("Binance 1h open", format=tables.NUMBER_FORMAT),
    "slippage_bps": st.column_config.NumberColumn(
        "Slippage (bp)", format="%+.1f", help="vs the 1h open; positive = worse for the desk; empty = no price"
    ),
    "closed_pnl": st.column_config.NumberColumn("Realized PnL", format="dollar"),
    "fee": st.column_config.NumberColumn(
        "Fee (token)", format="%,.6g", help="In the fee token, as a cost: negative (a maker rebate is positive)"
    ),
    "fee_token": st.column_config.TextColumn("Fee token"),
    "fee_usd": tables.money_column(
        "Fee ($)",
        help="In USD, as a cost: negative (a maker rebate is positive), as the Fees total. "
        "Empty = a token without a known price (not in the USD sums)",
        decimals=4,
    ),
    "valid": st.column_config.CheckboxColumn(
        "Valid", help="Price and size are positive numbers; an invalid fill is left out of every sum"
    ),
    "spot": st.column_config.CheckboxColumn("Spot", help="A spot fill: not a perp position"),
    "crossed": st.column_config.CheckboxColumn("Taker"),
    "tracked": st.column_config.CheckboxColumn("Tracked order", help="The fill's oid has a row in the orders table"),
    "off_window": st.column_config.CheckboxColumn("Off-window", help="At or after 00:05 UTC"),
    "oid": st.column_config.NumberColumn("Order id", format="%d"),
    "tid": st.column_config.NumberColumn("Trade id", format="%d"),
}
FILL_ORDER = ["account", *FILL_COLUMNS]  # the account shows only for rows of several accounts
# What a reader needs first (fits 820 px); the rest stay in the grid's Show/hide columns menu and the CSV.
FILL_SHOWN = ["time", "account", "coin", "side", "px", "sz", "notional", "slippage_bps", "closed_pnl", "fee_usd"]
POSITION_COLUMN = {"pos_after": st.column_config.NumberColumn("Position after", format=tables.UNITS_FORMAT)}

DAILY_ORDER = [
    "day",
    "n_fills",
    "first_fill",
    "last_in_window",
    "window_text",
    "n_off_window",
    "last_fill",
    "span_text",
    "notional_usd",
    "turnover",
    "fee_bps",
    "maker_share",
    "avg_slippage_bps",
    "n_unpriced",
    "n_untracked",
    "n_invalid",
    "realized",
]
DAILY_SHOWN = [
    "day",
    "n_fills",
    "window_text",
    "n_off_window",
    "notional_usd",
    "turnover",
    "fee_bps",
    "avg_slippage_bps",
    "realized",
]
DAILY_COLUMNS: dict[str, Any] = {
    "day": st.column_config.DateColumn("Day (UTC)"),
    "n_fills": st.column_config.NumberColumn("Fills"),
    "first_fill": st.column_config.DatetimeColumn("First fill", format="HH:mm:ss"),
    "last_in_window": st.column_config.DatetimeColumn("Last in window", format="HH:mm:ss"),
    "window_text": st.column_config.TextColumn(
        "Rebalance", help="How long the rebalance took: first to last fill inside the 00:00–00:05 window"
    ),
    "span_text": st.column_config.TextColumn("First → last fill", help="Including off-window fills"),
    "n_off_window": st.column_config.NumberColumn("Off-window", help="Fills at or after 00:05 UTC"),
    "last_fill": st.column_config.DatetimeColumn("Last fill", format="HH:mm:ss"),
    "notional_usd": st.column_config.NumberColumn("Notional", format="dollar"),
    "turnover": tables.percent_column("Turnover", help="Notional / equity at 00:00 UTC"),
    "fee_bps": st.column_config.NumberColumn("Fees (bp)", format="%.2f"),
    "maker_share": tables.percent_column("Maker share", help="Share of notional filled as maker"),
    "avg_slippage_bps": st.column_config.NumberColumn("Slippage (bp)", format="%+.1f"),
    "n_unpriced": st.column_config.NumberColumn("No price"),
    "n_untracked": st.column_config.NumberColumn("Untracked"),
    "n_invalid": st.column_config.NumberColumn(
        "Invalid", help="Fills with a price or size that is not a positive number: left out of the sums"
    ),
    "realized": st.column_config.NumberColumn("Realized PnL", format="dollar"),
}

COIN_ORDER = [
    "coin",
    "n_fills",
    "notional_usd",
    "realized",
    "fees",
    "fee_bps",
    "maker_share",
    "avg_slippage_bps",
    "slippage_usd",
    "n_unpriced",
    "n_untracked",
    "n_off_window",
    "n_invalid",
    "n_fee_unconverted",
    "market",
    "bn_symbol",
]
COIN_SHOWN = [
    "coin",
    "n_fills",
    "notional_usd",
    "realized",
    "fees",
    "fee_bps",
    "maker_share",
    "avg_slippage_bps",
    "slippage_usd",
]
COIN_COLUMNS: dict[str, Any] = {
    "coin": "Coin",
    "n_fills": "Fills",
    "notional_usd": st.column_config.NumberColumn("Notional", format="dollar"),
    "realized": st.column_config.NumberColumn("Realized PnL", format="dollar"),
    "fees": st.column_config.NumberColumn("Fees", format="dollar", help="A cost: negative (a net rebate positive)"),
    "fee_bps": st.column_config.NumberColumn("Fees (bp)", format="%.2f"),
    "maker_share": tables.percent_column("Maker share"),
    "avg_slippage_bps": st.column_config.NumberColumn(
        "Slippage (bp)", format="%+.1f", help="Notional-weighted over priced fills"
    ),
    "slippage_usd": st.column_config.NumberColumn(
        "Slippage cost", format="dollar", help="Slippage × notional vs the 1h open: negative = it cost the desk"
    ),
    "n_unpriced": "No price",
    "n_untracked": "Untracked",
    "n_off_window": "Off-window",
    "bn_symbol": "Binance symbol",
    "market": "Market",
    "n_invalid": "Invalid",
    "n_fee_unconverted": st.column_config.NumberColumn(
        "Fees not in USD", help="Fees in a token without a known price: left out of Fees"
    ),
}


def page_caption(first: int, shown: int, n: int, sort: str, descending: bool) -> str:
    return (
        f"Fills {first:,}–{first + shown - 1:,} of **{n:,}** matching · sorted by "
        f"{config.FILL_SORT_COLUMNS[sort]}, {'descending' if descending else 'ascending'} "
        f"· {config.FILLS_PAGE_SIZE} per page (clicking a column header re-orders this page "
        "only; *Sort by* orders all matching fills)"
    )


# --- sections --------------------------------------------------------------------------------------
@cache.section()
def headline(t: dict[str, Any]) -> None:
    """The range at a glance: volume, costs, PnL, and the counts that need a look."""
    m = layout.metric_row(4)
    m[0].metric("Fills", f"{t.get('n_fills', 0):,}", help=f"{t.get('n_coins', 0)} coins.")
    m[1].metric("Notional traded", fmt.usd(t.get("notional_usd")))
    m[2].metric(
        "Fees",
        fmt.usd(fmt.cost(t.get("fees")), signed=True),
        delta=f"{fmt.bps(t['fee_bps'], 2, signed=False)} of notional" if t.get("fee_bps") is not None else None,
        delta_arrow="off",
        delta_color="off",
        help="Fees paid in USD, as a cost: negative, as in Overview's PnL decomposition and the reports "
        "(a net maker rebate is positive). The bp are the fees' share of the traded notional.",
    )
    m[3].metric("Realized PnL", fmt.usd(t.get("realized"), signed=True))
    m = layout.metric_row(4)
    m[0].metric(
        "Slippage vs 1h open",
        fmt.bps(t.get("avg_slippage_bps")),
        delta=f"{fmt.plural(t.get('n_unpriced', 0), 'fill')} without a price" if t.get("n_unpriced") else None,
        delta_arrow="off",
        delta_color="off",
        help="Notional-weighted; positive = the desk paid more than the Binance 1h open (buys) or "
        "received less (sells). Fills without a candle are left out and counted, never 0.",
    )
    m[1].metric("Maker share", fmt.pct(t.get("maker_share"), 1), help="Share of notional filled as maker.")
    m[2].metric(
        "Untracked fills", f"{t.get('n_untracked', 0):,}", help="Fills whose order id has no row in the orders table."
    )
    m[3].metric(
        "Off-window fills",
        f"{t.get('n_off_window', 0):,}",
        help=f"Fills at or after 00:{config.REBALANCE_WINDOW_MINUTES:02d} UTC (rebalance window {WINDOW}).",
    )


def _fills(rows: pl.DataFrame, key: str, extra: tuple[str, ...] = ()) -> None:
    """Fills (times UTC), the standard columns plus `extra` ("cloid", "pos_after")."""
    columns = {**tables.ACCOUNT_COLUMN, **FILL_COLUMNS, **(POSITION_COLUMN if "pos_after" in extra else {})}
    rows = tables.by_account(rows)
    if "side" in rows.columns:  # B/A as the desk says it
        rows = rows.with_columns(pl.col("side").replace(dict(config.SIDE_LABELS)))
    rows = tables.rounded_prices(plot.naive_utc(rows, "time"), ("px", "ref_px"))
    rows = tables.as_costs(rows, ("fee", "fee_usd"))
    rows = rows.select([c for c in FILL_ORDER + list(extra) if c in rows.columns])
    shown = FILL_SHOWN + ["pos_after"] if "pos_after" in extra else FILL_SHOWN  # cloid: in the menu
    if "pos_after" in extra:  # one coin's fills: no coin column, its position after each fill instead
        shown = [c for c in shown if c != "coin"]
    tables.show(rows, columns, shown, key=key)


fills_table = cache.section()(_fills)


@cache.section()
def per_day(view: PerDay) -> None:
    """Off-window days flagged, turnover chart, one row per UTC day with the rebalance timings."""
    if view.late_days:
        st.warning(
            f"**{fmt.plural(view.n_off_window, 'fill')} outside the {WINDOW} rebalance window** on "
            f"{fmt.plural(len(view.late_days), 'day')}: "
            + ", ".join(d.isoformat() for d in view.late_days[:12])
            + (" …" if len(view.late_days) > 12 else ""),
            icon=":material/schedule:",
        )
    plot.show(charts.daily_activity(view.daily), key="tr_daily_chart")
    table = view.table.select([c for c in DAILY_ORDER if c in view.table.columns])
    tables.show(table, DAILY_COLUMNS, DAILY_SHOWN, key="tr_daily_table")


@cache.section()
def by_coin(frame: pl.DataFrame) -> None:
    """Slippage of the most traded coins, then every coin's execution numbers (USD costs negative)."""
    plot.show(charts.coin_slippage(frame), key="tr_coin_chart")
    frame = tables.as_costs(frame, ("fees", "slippage_usd"))
    tables.show(
        frame.select([c for c in COIN_ORDER if c in frame.columns]), COIN_COLUMNS, COIN_SHOWN, key="tr_coin_table"
    )


@cache.section()
def untracked(lost: pl.DataFrame, n_untracked: int) -> None:
    """The newest fills whose order the order monitor never saw."""
    if lost.height < n_untracked:
        st.caption(f"The newest {lost.height:,} are listed.")
    _fills(lost, "tr_untracked_table", ("cloid",))


@cache.section()
def drilldown(
    coin: str, fills: pl.DataFrame, summary: dict[str, Any], prices: pl.DataFrame, start: date, end: date
) -> None:
    """One coin: its numbers, price with the fills over the position, and its fills."""
    c1, c2, c3, c4 = layout.metric_row(4)
    c1.metric("Fills", f"{summary['n_fills']:,}")
    c2.metric("Position after the last fill", fmt.units(fills["pos_after"][-1]) if fills.height else fmt.MISSING)
    c3.metric("Realized PnL", fmt.usd(summary["realized"], signed=True))
    c4.metric(
        "Slippage vs 1h open",
        fmt.bps(summary["avg_slippage_bps"]),
        delta=f"{fmt.plural(summary['n_unpriced'], 'fill')} without a price" if summary["n_unpriced"] else None,
        delta_arrow="off",
        delta_color="off",
    )
    if fills.height >= config.DRILLDOWN_MAX_FILLS:
        st.caption(f"Only the first {config.DRILLDOWN_MAX_FILLS:,} fills are drawn.")
    if prices.height == 0:
        st.info(f"No Binance price for {fmt.md_text(coin)} in this range.", icon=":material/info:")
    plot.show(charts.drilldown(coin, prices, fills, start, end), key="tr_drill_chart")
    if fills.height:
        _fills(fills, "tr_drill_table", ("pos_after",))
