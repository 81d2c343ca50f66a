"""System Health, "Prices": can we trust them? The exchange mark against Binance per coin, and the
candles that are missing, zero or stuck. View and drawn section for one panel.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from ui import cache, layout, plot, tables

# The price check's default columns (fit 820 px); the rest in the grid's Show/hide columns menu.
PRICE_SHOWN = (
    "coin",
    "flag",
    "last_bp",
    "drift_bp",
    "n_flagged",
    "n_no_candle",
    "last_mark",
    "last_close",
)
PROBLEM_COLORS = {
    "missing": "#e8702a",
    "no recent": "#e0a526",
    "zero": "#d1343b",
    "stale": "#8e5cc4",
    "no candles": "#40464d",
}


@dataclass(frozen=True)
class PriceSanity:
    coins: pl.DataFrame | None
    n_flagged: int
    worst: dict  # the coin with the largest |divergence|
    problems: pl.DataFrame | None
    n_problems: int


@cache.view()
def price_sanity(divergence: pl.DataFrame | None, candles: pl.DataFrame | None) -> PriceSanity:
    coins, n_flagged, worst = None, 0, {}
    if divergence is not None:
        coins = plot.naive_utc(
            divergence.with_columns(
                pl.when(pl.col("n_flagged") > 0)
                .then(pl.lit(["diverges"]))
                .when(pl.col("n_compared") == 0)
                .then(pl.lit(["no candle"]))
                .otherwise(pl.lit([], dtype=pl.List(pl.String)))
                .alias("flag")
            ),
            "last_hour",
        )
        n_flagged = int((divergence["n_flagged"] > 0).sum())
        compared = divergence.filter(pl.col("max_abs_bp").is_not_null())
        worst = compared.row(0, named=True) if compared.height else {}
    problems, n_problems = None, 0
    if candles is not None:
        problems = plot.naive_utc(
            candles.with_columns(pl.concat_list("problem").alias("problem")), "first_hour", "last_hour"
        ).drop("n_problems")
        n_problems = int(candles["n_problems"][0]) if candles.height else 0
    return PriceSanity(coins, n_flagged, worst, problems, n_problems)


@cache.section()
def prices_panel(view: PriceSanity, hours: int) -> None:
    bp = config.PRICE_DIVERGENCE_BP
    if view.coins is not None:
        top = layout.metric_row(3)
        top[0].metric(
            "Coins diverging",
            f"{view.n_flagged} of {view.coins.height}",
            help=f"Coins whose exchange mark differed from the Binance close of the same hour by more "
            f"than {bp:.0f} bp in at least one of the last {hours} hours.",
        )
        w = view.worst
        top[1].metric(
            "Largest divergence",
            fmt.MISSING if not w else fmt.bps(w["max_abs_bp"], 1, signed=False),
            delta=w.get("coin"),
            delta_arrow="off",
            delta_color="off",
        )
        top[2].metric(
            "Candle problems", f"{view.n_problems:,}", help="Missing, zero or repeated-close candles listed below."
        )
        st.caption(
            f"Exchange mark = position_value / |szi| of each hour's newest positions snapshot (last {hours} h "
            "of snapshots), against the close of the Binance candle of that hour through the symbol map "
            "(× multiplier). A 1000× contract priced without its multiplier shows as ~99.9% (≈ 10⁴ bp); a "
            "stale candle as drift: the last divergence moving away from the coin's usual one."
        )
        tables.show(
            tables.rounded_prices(view.coins, ("last_mark", "last_close")).select(
                "coin",
                "flag",
                "bn_symbol",
                "last_bp",
                "drift_bp",
                "max_abs_bp",
                "median_abs_bp",
                "n_flagged",
                "n_compared",
                "n_no_candle",
                "last_hour",
                "last_mark",
                "last_close",
            ),
            {
                "coin": st.column_config.TextColumn("Coin"),
                "flag": st.column_config.MultiselectColumn(
                    "Flag", options=["diverges", "no candle"], color=["#d1343b", "#a3b1bf"], width=110
                ),
                "bn_symbol": st.column_config.TextColumn("Binance symbol"),
                "last_bp": st.column_config.NumberColumn("Last divergence", format="%+.1f bp"),
                "drift_bp": st.column_config.NumberColumn(
                    "Drift", format="%+.1f bp", help="Last divergence minus the coin's median divergence"
                ),
                "max_abs_bp": st.column_config.NumberColumn("Max |divergence|", format="%.1f bp"),
                "median_abs_bp": st.column_config.NumberColumn("Median |divergence|", format="%.1f bp"),
                "n_flagged": st.column_config.NumberColumn(f"Hours > {bp:.0f} bp", format=tables.COUNT_FORMAT),
                "n_compared": st.column_config.NumberColumn("Hours compared", format=tables.COUNT_FORMAT),
                "n_no_candle": st.column_config.NumberColumn("Hours without candle", format=tables.COUNT_FORMAT),
                "last_hour": st.column_config.DatetimeColumn("Last hour (UTC)", format="YYYY-MM-DD HH:mm"),
                "last_mark": st.column_config.NumberColumn("Mark", format=tables.NUMBER_FORMAT),
                "last_close": st.column_config.NumberColumn("Binance close", format=tables.NUMBER_FORMAT),
            },
            PRICE_SHOWN,
            height=320,
        )
    if view.problems is not None:
        st.markdown(f"**Candle problems** in the last {hours} h of candles")
        if view.problems.height == 0:
            st.caption(
                "None: no candle missing, zero or repeating its previous close "
                f"for {config.STALE_CANDLE_HOURS} h or more."
            )
            return
        if view.n_problems > view.problems.height:
            st.caption(f"The newest {view.problems.height} of {view.n_problems:,} problems.")
        st.dataframe(
            view.problems,
            hide_index=True,
            placeholder=fmt.MISSING,
            column_config={
                "problem": st.column_config.MultiselectColumn(
                    "Problem", options=list(PROBLEM_COLORS), color=list(PROBLEM_COLORS.values())
                ),
                "first_hour": st.column_config.DatetimeColumn("From (UTC)", format="YYYY-MM-DD HH:mm"),
                "last_hour": st.column_config.DatetimeColumn("To (UTC)", format="YYYY-MM-DD HH:mm"),
                "hours": st.column_config.NumberColumn("Hours", format=tables.COUNT_FORMAT),
            },
        )
