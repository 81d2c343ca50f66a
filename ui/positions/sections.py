"""The Positions page's drawn sections, replayed on reruns with the same inputs (see ui/cache.py).

The page keeps the widgets (date, hour, thresholds, category filter, download)
and builds the views (ui/positions/views.py); a section only draws them.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib.tracking import classification as te
from lib.tracking import snapshot as te_snapshot
from ui import cache, layout, plot, tables
from ui.positions import charts


@cache.section()
def book(view: te_snapshot.SnapshotView, unpriced_notes: list[str], n_symbols: int, thresholds_label: str) -> None:
    """Symbols per category, exposure, snapshot TE; unpriced rows flagged."""
    if view.counts is not None:
        cols = layout.metric_row(len(te.CATEGORIES))
        for col, cat in zip(cols, te.CATEGORIES):
            col.metric(
                te_snapshot.CATEGORY_LABELS[cat],
                view.counts[cat],
                help=f"Symbols classified {cat} ({thresholds_label}).",
            )
    expo = view.exposure
    e1, e2, e3, e4, e5, e6 = layout.metric_row(6)
    e1.metric("Gross exposure", fmt.pct(expo["gross"]), help="Σ|actual weight| over priced symbols, % of equity.")
    e2.metric("Net exposure", fmt.weight(expo["net"]), help="Σ actual weight over priced symbols, % of equity.")
    e3.metric("Long", fmt.weight(expo["long"]), help="Σ of the positive actual weights, % of equity.")
    e4.metric("Short", fmt.weight(expo["short"]), help="Σ of the negative actual weights, % of equity.")
    e5.metric("Symbols", f"{n_symbols}", help="Symbols with a T+2 target row or a position.")
    e6.metric(
        "Snapshot TE (√Σerr²)",
        fmt.pct(view.snapshot_te["te"]) if view.snapshot_te else fmt.MISSING,
        help="Weight-space tracking error vs the T+2 target over priced symbols.",
    )
    bad = view.unpriced
    if bad.height and view.state != te_snapshot.PENDING:  # an open hour has no close yet: not a data problem
        notes = "\n".join(f"- {note}" for note in unpriced_notes)
        st.warning(
            f"**Data quality: {fmt.plural(bad.height, 'held symbol')} without an actual weight** (no usable price or "
            f"equity for the hour) — left out of exposure and TE, shown as UNPRICED:\n{notes}",
            icon=":material/warning:",
        )


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
        st.success(
            f"Fills-implied positions match the exchange snapshot of {snapshot_taken} for every coin "
            f"({n_open} open on the exchange).",
            icon=":material/check_circle:",
        )
        return
    absent = rec.filter(~pl.col("in_snapshot") & (pl.col("fills_units") != 0))
    if absent.height:
        st.error(
            f"**Incomplete snapshot round ({snapshot_taken}):** {fmt.plural(absent.height, 'coin')} the fills say "
            f"{fmt.agree(absent.height, 'is held has', 'are held have')} no row in it ({', '.join(fmt.md_text(c) for c in absent['sym'].to_list()[:10])}). Missing is not flat: the "
            "exchange side is unknown for them, not 0.",
            icon=":material/report:",
        )
    st.warning(
        f"**{fmt.plural(rec.height, 'coin')} {fmt.agree(rec.height, 'differs', 'differ')}** between the position implied by the fills and the "
        f"exchange snapshot of {snapshot_taken}. A difference means fills or snapshots are missing "
        "(a fill not synced yet, or a snapshot round that is incomplete).",
        icon=":material/sync_problem:",
    )
    # a coin without a row in the round: the exchange side is unknown (shown as the dash), not 0
    shown = rec.with_columns(
        [
            pl.when(pl.col("in_snapshot")).then(pl.col(c)).otherwise(None).alias(c)
            for c in ("exchange_units", "diff_units")
        ]
    )
    st.dataframe(
        shown,
        hide_index=True,
        placeholder=fmt.MISSING,
        column_config={
            "sym": "coin",
            "fills_units": st.column_config.NumberColumn("fills-implied units", format=tables.UNITS_FORMAT),
            "exchange_units": st.column_config.NumberColumn("exchange units", format=tables.UNITS_FORMAT),
            "diff_units": st.column_config.NumberColumn("fills − exchange", format=tables.UNITS_FORMAT),
            "in_snapshot": st.column_config.CheckboxColumn("in snapshot"),
        },
    )
