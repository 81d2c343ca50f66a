"""Positions, "Risk and price check": per position leverage, margin, liquidation distance, and the
exchange mark against the Binance close of the same hour (flagged above PRICE_DIVERGENCE_BP).

At the newest positions snapshot (the exchange's own figures), whatever holdings date is chosen
above: risk is about now. A missing figure shows as the dash.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from ui import cache, tables

# "near liquidation" is the liquidation alert's own threshold (lib/alerting/rules.py), in %
NEAR_LIQUIDATION_PCT = config.ALERT_THRESHOLDS["liquidation_distance_min"] * 100
FLAG_COLORS = {"price": "#d1343b", "no candle": "#a3b1bf", "near liquidation": "#e8702a"}


PRICE_COLUMNS = ("entry_px", "mark", "liquidation_px", "bn_close")
RISK_COLUMNS = {
    **tables.ACCOUNT_COLUMN,
    "coin": st.column_config.TextColumn("Coin"),
    "side": st.column_config.TextColumn("Side"),
    "flags": st.column_config.MultiselectColumn("Flags", options=list(FLAG_COLORS), color=list(FLAG_COLORS.values())),
    "position_value": tables.money_column("Position value"),
    "notional_pct": st.column_config.NumberColumn("% of equity", format="%.2f%%"),
    "leverage": st.column_config.NumberColumn("Leverage", format="%.0fx", help="As set on the exchange"),
    "margin_used": tables.money_column("Margin used"),
    "entry_px": st.column_config.NumberColumn("Entry price", format=tables.NUMBER_FORMAT),
    "mark": st.column_config.NumberColumn("Mark", format=tables.NUMBER_FORMAT),
    "liquidation_px": st.column_config.NumberColumn(
        "Liquidation price", format=tables.NUMBER_FORMAT, help="None reported = the margin covers the position"
    ),
    "liq_distance_pct": st.column_config.NumberColumn(
        "To liq.", format="%.1f%%", help="Distance to the liquidation price, % of the mark"
    ),
    "bn_symbol": st.column_config.TextColumn("Binance symbol"),
    "bn_close": st.column_config.NumberColumn("Binance close", format=tables.NUMBER_FORMAT),
    "divergence_bp": st.column_config.NumberColumn(
        "vs Binance", format="%+.1f bp", help="The exchange mark against the Binance close of the same hour"
    ),
    "unrealized_pnl": tables.money_column("Unrealized PnL"),
}
RISK_SHOWN = [
    "coin",
    "account",
    "side",
    "flags",
    "divergence_bp",
    "liq_distance_pct",
    "position_value",
    "notional_pct",
    "leverage",
    "mark",
    "unrealized_pnl",
]


@dataclass(frozen=True)
class PositionRisk:
    table: pl.DataFrame
    price_flagged: list[str]  # coins whose mark diverges from Binance by more than the threshold
    no_candle: list[str]
    ts: object


@cache.view()
def position_risk(positions: pl.DataFrame) -> PositionRisk:
    bp = config.PRICE_DIVERGENCE_BP
    table = positions.with_columns(
        pl.concat_list(
            pl.when(pl.col("divergence_bp").abs() > bp).then(pl.lit("price")),
            pl.when(pl.col("bn_close").is_null()).then(pl.lit("no candle")),
            pl.when(pl.col("liq_distance_pct") < NEAR_LIQUIDATION_PCT).then(pl.lit("near liquidation")),
        )
        .list.drop_nulls()
        .alias("flags"),
        (pl.col("notional_pct") * 100).round(2),
    ).select(
        *(["account"] if "account" in positions.columns else []),
        "coin",
        "side",
        "flags",
        "divergence_bp",
        "liq_distance_pct",
        "position_value",
        "notional_pct",
        "leverage",
        "entry_px",
        "mark",
        "liquidation_px",
        "bn_close",
        "bn_symbol",
        "margin_used",
        "unrealized_pnl",
    )

    def coins(expr: pl.Expr) -> list[str]:
        return positions.filter(expr)["coin"].to_list()

    return PositionRisk(
        table,
        coins(pl.col("divergence_bp").abs() > bp),
        coins(pl.col("bn_close").is_null()),
        positions["ts"].max() if positions.height else None,
    )


@cache.section()
def price_flag(view: PositionRisk) -> None:
    """A warning above the book when an exchange mark disagrees with Binance (links to System Health)."""
    if view.price_flagged:
        st.warning(
            f"**Price check:** the exchange mark of {', '.join(fmt.md_text(c) for c in view.price_flagged)} differs from the Binance "
            f"close of the same hour by more than {config.PRICE_DIVERGENCE_BP:.0f} bp (a wrong multiplier or "
            "a stale candle): weights priced from Binance may be off. See System Health → Prices.",
            icon=":material/price_check:",
        )


@cache.section()
def risk_table(view: PositionRisk) -> None:
    st.caption(
        f"{view.table.height} positions at the newest positions snapshot ({fmt.utc(view.ts)}), nearest to "
        f"liquidation first. Mark = position value / |size|; Binance close of the same hour through the "
        f"symbol map; flagged above {config.PRICE_DIVERGENCE_BP:.0f} bp. Near liquidation: within "
        f"{NEAR_LIQUIDATION_PCT:.0f}%."
    )
    tables.show(tables.rounded_prices(tables.by_account(view.table), PRICE_COLUMNS), RISK_COLUMNS, RISK_SHOWN)
    if view.no_candle:
        st.caption(f"No Binance candle for the snapshot hour: {', '.join(fmt.md_text(c) for c in view.no_candle)}.")
