"""Trades, "Orders" tab: open orders now, outcomes per day, fill ratio and speed, orders that never
filled in the rebalance window, and the API pressure (HTTP 429s the monitors met).

View, chart specs and drawn section for one tab. The orders table carries no reject reason; the
tab says so rather than inventing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from ui import cache, layout, plot, tables
from ui.plot import Spec

C = fmt.SERIES_COLORS
OUTCOME_COLORS = {
    "filled": "#2e9d5b",
    "canceled": "#a3b1bf",
    "rejected": "#d1343b",
    "open": "#1f5fa8",
    "other": "#40464d",
}
MONITOR_COLORS = ["#1f5fa8", "#e8702a", "#8e5cc4", "#2e9d5b", "#d1343b", "#7d8793", "#e0a526", "#40464d"]


@dataclass(frozen=True)
class OrdersView:
    outcomes: pl.DataFrame | None
    totals: dict
    unfilled: pl.DataFrame | None
    n_unfilled: int
    open_now: pl.DataFrame | None
    n_open: int
    as_of: Any
    pressure: pl.DataFrame | None


# Orders in the desk's words (the frames keep the data names; the CSV too).
ORDER_COLUMNS: dict[str, Any] = {
    "account": tables.ACCOUNT_COLUMN["account"],
    "placed_at": st.column_config.DatetimeColumn("Placed (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "age_s": st.column_config.NumberColumn("Age (s)", format=tables.COUNT_FORMAT),
    "coin": st.column_config.TextColumn("Coin"),
    "side": st.column_config.TextColumn("Side"),
    "order_type": st.column_config.TextColumn("Type"),
    "limit_px": st.column_config.NumberColumn("Limit price", format=tables.NUMBER_FORMAT),
    "sz": st.column_config.NumberColumn("Remaining size", format=tables.UNITS_FORMAT),
    "orig_sz": st.column_config.NumberColumn("Size", format=tables.UNITS_FORMAT, help="Size ordered"),
    "filled_sz": st.column_config.NumberColumn("Filled size", format=tables.UNITS_FORMAT),
    "final_status": st.column_config.TextColumn("Status", help="The order's last status"),
    "first_fill": st.column_config.DatetimeColumn(
        "First fill (UTC)", format="YYYY-MM-DD HH:mm:ss", help="— = never filled"
    ),
    "oid": st.column_config.NumberColumn("Order id", format="%d"),
}
OUTCOME_COLUMNS: dict[str, Any] = {
    "day": st.column_config.DateColumn("Day (UTC)", format="YYYY-MM-DD", help="The day the orders were placed"),
    "n_orders": st.column_config.NumberColumn("Orders", format=tables.COUNT_FORMAT),
    "n_filled": st.column_config.NumberColumn("Filled", format=tables.COUNT_FORMAT),
    "n_canceled": st.column_config.NumberColumn("Canceled", format=tables.COUNT_FORMAT),
    "n_rejected": st.column_config.NumberColumn("Rejected", format=tables.COUNT_FORMAT),
    "n_open": st.column_config.NumberColumn("Open", format=tables.COUNT_FORMAT),
    "n_other": st.column_config.NumberColumn("Other status", format=tables.COUNT_FORMAT),
    "n_with_fill": st.column_config.NumberColumn("With a fill", format=tables.COUNT_FORMAT),
    "n_never_filled": st.column_config.NumberColumn("Never filled", format=tables.COUNT_FORMAT),
    "fill_ratio": st.column_config.NumberColumn("Fill ratio", format="%.1f%%"),
    "size_fill_ratio": st.column_config.NumberColumn("Size filled", format="%.1f%%", help="Filled size / ordered size"),
    "p50_to_fill_s": st.column_config.NumberColumn(
        "Time to fill p50 (s)", format="%.2f", help="Placement to first fill"
    ),
    "p90_to_fill_s": st.column_config.NumberColumn("Time to fill p90 (s)", format="%.2f"),
}
OUTCOME_SHOWN = [
    "day",
    "n_orders",
    "n_filled",
    "n_canceled",
    "n_rejected",
    "n_open",
    "fill_ratio",
    "size_fill_ratio",
    "p50_to_fill_s",
    "p90_to_fill_s",
]
OPEN_SHOWN = ["placed_at", "account", "age_s", "coin", "side", "order_type", "limit_px", "orig_sz", "sz", "oid"]
COIN_ORDERS_SHOWN = [
    "placed_at",
    "account",
    "side",
    "order_type",
    "orig_sz",
    "limit_px",
    "final_status",
    "filled_sz",
    "first_fill",
]
UNFILLED_SHOWN = [
    "placed_at",
    "account",
    "coin",
    "side",
    "order_type",
    "orig_sz",
    "limit_px",
    "final_status",
    "filled_sz",
    "first_fill",
]


def desk_orders(frame: pl.DataFrame) -> pl.DataFrame:
    """Orders as the desk reads them: side Buy/Sell (B/A in the data), prices rounded by magnitude, the
    account only for rows of several accounts."""
    if "side" in frame.columns:
        frame = frame.with_columns(pl.col("side").replace(dict(config.SIDE_LABELS)))
    return tables.by_account(tables.rounded_prices(frame, ("limit_px",)))


@cache.view()
def orders_view(
    outcomes: pl.DataFrame | None,
    unfilled: pl.DataFrame | None,
    open_now: pl.DataFrame | None,
    pressure: pl.DataFrame | None,
) -> OrdersView:
    totals: dict = {}
    if outcomes is not None and outcomes.height:
        sums = outcomes.select(
            pl.col(
                "n_orders", "n_filled", "n_canceled", "n_rejected", "n_open", "n_other", "n_with_fill", "n_never_filled"
            ).sum()
        ).row(0, named=True)
        totals = dict(sums, fill_ratio=sums["n_with_fill"] / sums["n_orders"] if sums["n_orders"] else None)
    n_unfilled = int(unfilled["n_unfilled"][0]) if unfilled is not None and unfilled.height else 0
    n_open = int(open_now["n_open"][0]) if open_now is not None and open_now.height else 0
    as_of = open_now["as_of"][0] if open_now is not None and open_now.height else None
    if unfilled is not None:
        unfilled = desk_orders(plot.naive_utc(unfilled.drop("n_unfilled"), "placed_at", "first_fill"))
    if open_now is not None:
        open_now = desk_orders(plot.naive_utc(open_now.drop("n_open", "as_of"), "placed_at"))
    return OrdersView(outcomes, totals, unfilled, n_unfilled, open_now, n_open, as_of, pressure)


def outcomes_chart(outcomes: pl.DataFrame) -> Spec:
    """Orders per day of placement by final status (stacked), fill ratio on the right axis."""
    title = "Order outcomes per day (UTC, by day placed)"
    if outcomes.height == 0:
        return plot.empty(title, "No orders placed in this range")
    x = plot.utc_text(outcomes["day"], plot.DAY_TEXT)
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": status,
            "x": x,
            "y": outcomes[f"n_{status}"].to_list(),
            "marker": {"color": OUTCOME_COLORS[status]},
            "hovertemplate": f"%{{x}}<br>{status} %{{y}}<extra></extra>",
        }
        for status in ("filled", "canceled", "rejected", "open", "other")
        if outcomes[f"n_{status}"].sum() > 0
    ]
    data.append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Fill ratio",
            "x": x,
            "yaxis": "y2",
            "y": plot.percent(outcomes["fill_ratio"].to_list()),
            "line": {"color": C["total"], "width": 1.5},
            "hovertemplate": "%{x}<br>fill ratio %{y:.0f}%<extra></extra>",
        }
    )
    return plot.spec(
        data,
        plot.layout(
            title,
            320,
            barmode="stack",
            hovermode="x unified",
            xaxis={"type": "date"},
            yaxis={"title": {"text": "orders"}},
            yaxis2={
                "overlaying": "y",
                "side": "right",
                "range": [0, 102],
                "tickvals": [0, 25, 50, 75, 100],
                "ticksuffix": "%",
                "showgrid": False,
            },
        ),
    )


def pressure_chart(pressure: pl.DataFrame, bucket_label: str) -> Spec:
    """Beats that met HTTP 429 per bucket, stacked by monitor."""
    title = f"API pressure: monitor beats rate limited (HTTP 429), {bucket_label} (UTC)"
    if pressure.height == 0:
        return plot.empty(title, "No HTTP 429 in this range")
    data = []
    for i, monitor in enumerate(sorted(set(pressure["monitor"].to_list()))):
        part = pressure.filter(pl.col("monitor") == monitor)
        label = fmt.plot_text(monitor)
        data.append(
            {
                "type": "bar",
                "name": label,
                "x": plot.utc_text(part["bucket"]),
                "y": part["n_429"].to_list(),
                "customdata": [
                    f"{fmt.plural(n, 'beat')}, {fmt.plural(r, 'retry', 'retries')}"
                    for n, r in zip(part["n_429"].to_list(), part["retries"].to_list())
                ],
                "hovertext": [label] * part.height,  # the name as data, never inside the template
                "marker": {"color": MONITOR_COLORS[i % len(MONITOR_COLORS)]},
                "hovertemplate": "%{x|%Y-%m-%d %H:%M} UTC<br>%{hovertext}: %{customdata}<extra></extra>",
            }
        )
    return plot.spec(
        data,
        plot.layout(
            title,
            280,
            barmode="stack",
            hovermode="closest",
            xaxis={"type": "date"},
            yaxis={"title": {"text": "beats with 429"}},
        ),
    )


@cache.section()
def orders_tab(view: OrdersView, bucket_label: str) -> None:
    # --- open now
    st.markdown(
        f"**Open orders now** (as of the newest orders row, {fmt.utc(view.as_of)})"
        if view.as_of
        else "**Open orders now**"
    )
    if view.open_now is not None:
        if view.open_now.height == 0:
            st.caption("No order is open: every order in the last 30 days has a final status.")
        else:
            if view.n_open > view.open_now.height:
                st.caption(f"The oldest {view.open_now.height} of {view.n_open:,} open orders.")
            tables.show(view.open_now, ORDER_COLUMNS, OPEN_SHOWN)
    # --- outcomes
    if view.outcomes is not None:
        t = view.totals
        row = layout.metric_row(5)
        row[0].metric("Orders", f"{t.get('n_orders', 0):,}")
        row[1].metric("Filled", f"{t.get('n_filled', 0):,}")
        row[2].metric("Canceled", f"{t.get('n_canceled', 0):,}")
        row[3].metric(
            "Rejected",
            f"{t.get('n_rejected', 0):,}",
            help="The orders table records no reject reason (the data contract has no column for it).",
        )
        row[4].metric(
            "Fill ratio", fmt.pct(t.get("fill_ratio"), 1), help="Orders with at least one fill / orders placed."
        )
        plot.show(outcomes_chart(view.outcomes), key="tr_orders_outcomes")
        tables.show(
            view.outcomes.with_columns((pl.col("fill_ratio", "size_fill_ratio") * 100).round(1)),
            OUTCOME_COLUMNS,
            OUTCOME_SHOWN,
        )
        st.caption("Reject reasons: not in the data (the orders table logs statuses only).")
    # --- never filled in the window
    if view.unfilled is not None:
        st.markdown(
            f"**Orders placed in the rebalance window (00:00–00:{config.REBALANCE_WINDOW_MINUTES:02d} UTC) "
            f"with no fill before it closed** — {view.n_unfilled:,}"
        )
        if view.unfilled.height:
            if view.n_unfilled > view.unfilled.height:
                st.caption(f"The newest {view.unfilled.height} of {view.n_unfilled:,}.")
            tables.show(view.unfilled, ORDER_COLUMNS, UNFILLED_SHOWN)
    # --- API pressure
    if view.pressure is not None:
        plot.show(pressure_chart(view.pressure, bucket_label), key="tr_api_pressure")
        if view.pressure.height:
            n = int(view.pressure["n_429"].sum())
            peak = view.pressure.sort("n_429", descending=True).row(0, named=True)
            st.caption(
                f"{n:,} monitor beats met HTTP 429 in the range ({int(view.pressure['retries'].sum()):,} "
                f"retries); the worst bucket: {fmt.utc(peak['bucket'])}, {fmt.md_text(peak['monitor'])} "
                f"({peak['n_429']} of {peak['n_beats']} beats). A rising count means the desk's API budget "
                "is running out (rate-limit headroom)."
            )


@cache.section()
def coin_orders_section(coin: str, frame: pl.DataFrame, start: Any, end: Any) -> None:
    """One coin's orders of the range (a link from a rebalance leg the desk did not finish)."""
    n = int(frame["n_orders"][0]) if frame.height else 0
    st.markdown(f"**Orders of {fmt.md_text(coin)} placed {start} – {end} (UTC)** — {n:,}")
    if frame.height == 0:
        st.caption("No order of this coin was placed in the range: it was never sent.")
        return
    if n > frame.height:
        st.caption(f"The newest {frame.height} of {n:,}.")
    shown = desk_orders(plot.naive_utc(frame.drop("n_orders"), "placed_at", "final_at", "first_fill"))
    tables.show(
        shown.with_columns(tables.as_label("final_status")),
        {
            **ORDER_COLUMNS,
            "placed_at": st.column_config.DatetimeColumn("Placed (UTC)", format="YYYY-MM-DD HH:mm:ss.SSS"),
            "final_at": st.column_config.DatetimeColumn("Final status at (UTC)", format="YYYY-MM-DD HH:mm:ss.SSS"),
            "final_status": tables.label_column("Status", OUTCOME_COLORS, help="The order's last status"),
            "first_fill": st.column_config.DatetimeColumn("First fill (UTC)", format="HH:mm:ss.SSS", help="— = never"),
            "remaining_sz": st.column_config.NumberColumn("Remaining size", format=tables.UNITS_FORMAT),
            "n_fills": st.column_config.NumberColumn("Fills", format=tables.COUNT_FORMAT),
        },
        COIN_ORDERS_SHOWN,
        key="tr_coin_orders",
    )
    st.caption("Reject reasons: not in the data (the orders table logs statuses only).")
