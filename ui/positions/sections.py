"""The Positions page's drawn sections, replayed on reruns with the same inputs (see ui/cache.py).

The page keeps the widgets (date, hour, thresholds, category filter, download)
and builds the views (ui/positions/views.py); a section only draws them.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib import config, te_views
from lib import format as fmt
from lib import tracking_error as te
from ui import layout, plot, tables
from ui.positions import charts
from ui import cache


@cache.section()
def book(view: te_views.SnapshotView, unpriced_notes: list[str], n_symbols: int, thresholds_label: str) -> None:
    """Symbols per category, exposure, snapshot TE; unpriced rows flagged."""
    if view.counts is not None:
        cols = layout.metric_row(len(te.CATEGORIES))
        for col, cat in zip(cols, te.CATEGORIES):
            col.metric(te_views.CATEGORY_LABELS[cat], view.counts[cat],
                       help=f"Symbols classified {cat} ({thresholds_label}).")
    expo = view.exposure
    e1, e2, e3, e4, e5, e6 = layout.metric_row(6)
    e1.metric("Gross exposure", fmt.pct(expo["gross"]), help="Σ|actual weight| over priced symbols, % of equity.")
    e2.metric("Net exposure", fmt.weight(expo["net"]), help="Σ actual weight over priced symbols, % of equity.")
    e3.metric("Long", fmt.weight(expo["long"]), help="Σ of the positive actual weights, % of equity.")
    e4.metric("Short", fmt.weight(expo["short"]), help="Σ of the negative actual weights, % of equity.")
    e5.metric("Symbols", f"{n_symbols}", help="Symbols with a T+2 target row or a position.")
    e6.metric("Snapshot TE (√Σerr²)", fmt.pct(view.snapshot_te["te"]) if view.snapshot_te else fmt.MISSING,
              help="Weight-space tracking error vs the T+2 target over priced symbols.")
    bad = view.unpriced
    if bad.height:
        notes = "\n".join(f"- {note}" for note in unpriced_notes)
        st.warning(f"**Data quality: {bad.height} held symbol(s) without an actual weight** (no usable price or "
                   f"equity for the hour) — left out of exposure and TE, shown as UNPRICED:\n{notes}",
                   icon=":material/warning:")


@cache.section()
def table_and_chart(table: pl.DataFrame, classified: bool, symbol_link: str | None = None) -> None:
    """The positions table (each symbol opens its Trades drill-down) and, when classified, actual vs T+2
    target per symbol."""
    tables.show_category_table(table, height=420, symbol_link=symbol_link)
    if not classified:  # with no targets there is nothing to compare the book with
        return
    if table.height:
        plot.show(charts.weights_vs_target(table, max_symbols=config.HEATMAP_MAX_SYMBOLS), key="pos_weights_chart")
    else:
        st.info("No symbol in the selected categories.", icon=":material/filter_alt_off:")


@cache.section()
def reconciliation(rec: pl.DataFrame, snapshot_taken: str, n_open: int) -> None:
    """Fills-implied positions against the exchange snapshot."""
    if rec.height == 0:
        st.success(f"Fills-implied positions match the exchange snapshot of {snapshot_taken} for every coin "
                   f"({n_open} open on the exchange).", icon=":material/check_circle:")
        return
    st.warning(f"**{rec.height} coin(s) differ** between the position implied by the fills and the "
               f"exchange snapshot of {snapshot_taken}. A difference means fills or snapshots are missing "
               "(a fill not synced yet, or a snapshot round that is incomplete).",
               icon=":material/sync_problem:")
    st.dataframe(rec, hide_index=True, column_config={
        "sym": "coin",
        "fills_units": st.column_config.NumberColumn("fills-implied units", format=tables.NUMBER_FORMAT),
        "exchange_units": st.column_config.NumberColumn("exchange units", format=tables.NUMBER_FORMAT),
        "diff_units": st.column_config.NumberColumn("fills − exchange", format=tables.NUMBER_FORMAT),
        "in_snapshot": st.column_config.CheckboxColumn("in snapshot"),
    })


@cache.section()
def exchange_snapshot(exchange: pl.DataFrame, snapshot_taken: str, symbol_link: str | None = None) -> None:
    """What the exchange's own snapshot says of each open position, the nearest to liquidation first."""
    rows = exchange.filter(pl.col("szi") != 0).sort(["liq_distance", "coin"], nulls_last=True).select(
        "coin", "szi", "entry_px", "mark_px", "unrealized_pnl", "leverage", "liquidation_px",
        (pl.col("liq_distance") * 100.0).alias("liq_distance"))
    if rows.height == 0:
        st.info(f"The exchange snapshot of {snapshot_taken} holds no open position.", icon=":material/info:")
        return
    config = {
        "coin": st.column_config.Column("Symbol", pinned=True),
        "szi": st.column_config.NumberColumn("Units", format=tables.NUMBER_FORMAT),
        "entry_px": st.column_config.NumberColumn("Entry price", format=tables.NUMBER_FORMAT),
        "mark_px": st.column_config.NumberColumn("Mark price", format=tables.NUMBER_FORMAT,
                                                 help="Position value ÷ |units| in the snapshot."),
        "unrealized_pnl": st.column_config.NumberColumn("Unrealized PnL", format="dollar"),
        "leverage": st.column_config.NumberColumn("Leverage", format="%.1f×"),
        "liquidation_px": st.column_config.NumberColumn("Liquidation price", format=tables.NUMBER_FORMAT),
        "liq_distance": st.column_config.NumberColumn(
            "Distance to liquidation", format="%.1f%%",
            help="How far the mark may move against the position before liquidation, % of the mark."),
    }
    if symbol_link:
        rows = tables.symbol_links(rows, symbol_link, "coin")
        config["coin"] = st.column_config.LinkColumn("Symbol", display_text=tables.SYMBOL_LINK, pinned=True)
    st.dataframe(rows, hide_index=True, column_config=config, placeholder=fmt.MISSING)
    st.caption(f"Exchange snapshot of {snapshot_taken} · {rows.height} open positions · nearest to liquidation "
               "first · empty = the snapshot does not say (or the coin is held in several accounts)")
