"""Overview, "Risk": margin used, leverage, withdrawable, and the positions nearest to liquidation.

View, chart spec and drawn section for one panel. A value the exchange did not report shows as
the dash (lib.format.MISSING), never as 0; a zero-margin account shows 0 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib.book import risk
from ui import cache, layout, plot, tables
from ui.plot import Spec

C = fmt.SERIES_COLORS


@dataclass(frozen=True)
class RiskNow:
    totals: dict  # lib.book.risk.account_totals
    closest: pl.DataFrame | None  # nearest to liquidation (None: positions did not load)
    n_positions: int
    n_without_liq: int


@cache.view()
def risk_now(latest: pl.DataFrame | None, positions: pl.DataFrame | None) -> RiskNow:
    totals = risk.account_totals(latest)
    if positions is None:
        return RiskNow(totals, None, 0, 0)
    closest = risk.closest_to_liquidation(positions, config.CLOSEST_LIQUIDATIONS)
    return RiskNow(totals, closest, positions.height, int(positions["liq_distance_pct"].is_null().sum()))


def _pp_delta(now: float | None, before: float | None) -> str | None:
    return None if now is None or before is None else fmt.pp(now - before, 1)  # '+0.4 pp', never '−0.0 pp'


def _x_delta(now: float | None, before: float | None) -> str | None:
    return None if now is None or before is None else fmt.leverage(now - before, signed=True)  # never '−0.00x'


def risk_chart(series: pl.DataFrame, bucket_label: str) -> Spec:
    """Margin used (% of equity, left axis) and leverage (total notional / equity, right axis)."""
    title = f"Margin used and leverage ({bucket_label}, UTC)"
    if series.height == 0:
        return plot.empty(title, "No account snapshots in this range")
    x = plot.utc_text(series["ts"])
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Margin used (% equity)",
            "x": x,
            "y": plot.percent(series["margin_pct"].to_list()),
            "connectgaps": False,
            "line": {"color": C["fees"], "width": 2},
            "hovertemplate": "%{x|%Y-%m-%d %H:%M} UTC<br>Margin %{y:.1f}%<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Leverage (x)",
            "x": x,
            "y": series["leverage"].to_list(),
            "yaxis": "y2",
            "connectgaps": False,
            "line": {"color": C["gross"], "width": 2, "dash": "dot"},
            "hovertemplate": "%{x|%Y-%m-%d %H:%M} UTC<br>Leverage %{y:.2f}x<extra></extra>",
        },
    ]
    return plot.spec(
        data,
        plot.layout(
            title,
            300,
            hovermode="x unified",
            xaxis={"type": "date"},
            yaxis={"title": {"text": "% of equity"}, "ticksuffix": "%", "rangemode": "tozero"},
            yaxis2={
                "title": {"text": "leverage"},
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "ticksuffix": "x",
                "rangemode": "tozero",
            },
        ),
    )


@cache.section()
def risk_panel(view: RiskNow) -> None:
    """Four metrics, then the positions nearest to their liquidation price."""
    t = view.totals
    row = layout.metric_row(4)
    when = fmt.utc(t.get("ts")) if t else fmt.MISSING
    row[0].metric(
        "Margin used",
        fmt.pct(t.get("margin_pct"), 1),
        **layout.delta(_pp_delta(t.get("margin_pct"), t.get("prev_margin_pct")), inverse=True),
        delta_description="vs 24 h before",
        help=f"Total margin used / equity at the newest account snapshot ({when}).",
    )
    row[1].metric(
        "Leverage",
        fmt.leverage(t.get("leverage")),
        **layout.delta(_x_delta(t.get("leverage"), t.get("prev_leverage")), inverse=True),
        delta_description="vs 24 h before",
        help="Total position notional / equity (account level).",
    )
    row[2].metric(
        "Withdrawable", fmt.usd(t.get("withdrawable")), help="What the exchange would let the desk withdraw now."
    )
    row[3].metric("Margin used (USD)", fmt.usd(t.get("margin_used")), help=f"Equity {fmt.usd(t.get('equity'))}.")
    if view.closest is None:
        return
    st.markdown(f"**Closest to liquidation** (the {config.CLOSEST_LIQUIDATIONS} nearest)")
    if view.closest.height == 0:
        st.caption(
            f"None of the {view.n_positions} positions reports a liquidation price (the exchange reports "
            "none when the account's margin covers the position)."
        )
        return
    frame = view.closest.select(
        *(["account"] if "account" in view.closest.columns else []),
        "coin",
        "side",
        "position_value",
        "mark",
        "liquidation_px",
        "liq_distance_pct",
        "leverage",
        "notional_pct",
    ).with_columns((pl.col("notional_pct") * 100).round(2))
    tables.show(
        tables.rounded_prices(tables.by_account(frame), ("mark", "liquidation_px")),
        {
            **tables.ACCOUNT_COLUMN,
            "coin": st.column_config.TextColumn("Coin"),
            "side": st.column_config.TextColumn("Side"),
            "position_value": tables.money_column("Position value"),
            "mark": st.column_config.NumberColumn("Mark", format=tables.NUMBER_FORMAT),
            "liquidation_px": st.column_config.NumberColumn("Liquidation price", format=tables.NUMBER_FORMAT),
            "liq_distance_pct": st.column_config.NumberColumn(
                "Distance", format="%.1f%%", help="How far the mark may move against the position"
            ),
            "leverage": st.column_config.NumberColumn("Leverage (set)", format="%.0fx"),
            "notional_pct": st.column_config.NumberColumn("% of equity", format="%.2f%%"),
        },
        frame.columns,
    )
    if view.n_without_liq:
        st.caption(f"{view.n_without_liq} of {view.n_positions} positions report no liquidation price.")


@cache.section()
def risk_trend(series: pl.DataFrame, bucket_label: str) -> None:
    plot.show(risk_chart(series, bucket_label), key="ov_risk_trend")
