"""Overview, "When the book makes money": PnL by hour, weekday, rebalance window and market regime.

View (lib/book/regimes.py on the one query's buckets), chart specs and the drawn section, in one
module because they serve one panel. Every bar says what it rests on (hours, days); a regime
bucket with fewer than REGIME_THIN_HOURS hours is drawn faded and flagged "thin".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib.book import regimes
from ui import cache, layout, plot, tables
from ui.plot import Spec

C = fmt.SERIES_COLORS
THIN_OPACITY = 0.35


@dataclass(frozen=True)
class PnlWindows:
    hours: pl.DataFrame
    weekdays: pl.DataFrame
    window: pl.DataFrame
    regimes: pl.DataFrame  # regime_table
    grid: tuple  # regime_grid
    total: dict  # sums over every interval (the hour dimension covers each once)


@cache.view()
def pnl_windows(buckets: pl.DataFrame) -> PnlWindows:
    hours = regimes.dimension(buckets, "hour")
    total = {c: hours[c].sum() for c in (*regimes.SUM_COLUMNS, "n_intervals")}
    return PnlWindows(
        hours,
        regimes.dimension(buckets, "weekday"),
        regimes.dimension(buckets, "window"),
        regimes.regime_table(buckets),
        regimes.regime_grid(buckets),
        total,
    )


# --- charts ---------------------------------------------------------------------------
def components_chart(frame: pl.DataFrame, title: str, x_title: str, height: int = 320) -> Spec:
    """Price PnL, funding and fees (as a cost, below zero) stacked per bucket, total PnL as a marker."""
    if frame.height == 0 or frame["n_intervals"].sum() == 0:
        return plot.empty(title, "No account snapshots in this range")
    x = frame["label"].to_list()
    opacity = [THIN_OPACITY if t else 1.0 for t in frame["thin"].to_list()]
    counts = [
        f"{h:,} h · {d:,} d" + (" · thin" if t else "")
        for h, d, t in zip(frame["n_hours"].to_list(), frame["n_days"].to_list(), frame["thin"].to_list())
    ]
    fees = [None if v is None else -v for v in frame["fees"].to_list()]

    def bars(name: str, values: list, color: str) -> dict[str, Any]:
        return {
            "type": "bar",
            "name": name,
            "x": x,
            "y": values,
            "customdata": counts,
            "marker": {"color": color, "opacity": opacity},
            "hovertemplate": f"%{{x}}<br>{name} $%{{y:,.0f}}<br>%{{customdata}}<extra></extra>",
        }

    data = [
        bars("Price PnL", frame["price_pnl"].to_list(), C["price"]),
        bars("Funding", frame["funding"].to_list(), C["funding"]),
        bars("Fees", fees, C["fees"]),
        {
            "type": "scatter",
            "mode": "markers",
            "name": "PnL",
            "x": x,
            "y": frame["pnl"].to_list(),
            "customdata": counts,
            "marker": {"color": C["total"], "size": 8, "symbol": "diamond"},
            "hovertemplate": "%{x}<br>PnL $%{y:,.0f}<br>%{customdata}<extra></extra>",
        },
    ]
    return plot.spec(
        data,
        plot.layout(
            title,
            height,
            barmode="relative",
            hovermode="closest",
            xaxis={"title": {"text": x_title}, "type": "category"},
            yaxis={"title": {"text": "USD"}, **fmt.MONEY_AXIS},
        ),
    )


def regime_heatmap(grid: tuple, title: str = "PnL by regime (BTC trend × volatility)") -> Spec:
    """Trend rows x volatility columns, coloured by PnL, each cell labelled with its PnL and hours."""
    trends, vols, pnl, hours = grid
    if not trends:
        return plot.empty(title, "No regime could be told (no BTC candles in this range)")
    text = [
        [
            "no hours" if not h else fmt.usd(p) + f"<br>{h:,} h" + (" (thin)" if h < config.REGIME_THIN_HOURS else "")
            for p, h in zip(prow, hrow)
        ]
        for prow, hrow in zip(pnl, hours)
    ]
    peak = max([abs(v) for row in pnl for v in row if v is not None] or [1.0]) or 1.0
    data = [
        {
            "type": "heatmap",
            "x": [f"vol {v}" for v in vols],
            "y": [f"trend {t}" for t in trends],
            "z": pnl,
            "text": text,
            "texttemplate": "%{text}",
            "zmin": -peak,
            "zmax": peak,
            "zmid": 0,
            "colorscale": [[0.0, C["short"]], [0.5, "#f4f5f7"], [1.0, C["long"]]],
            "colorbar": {"title": {"text": "USD"}},
            "hoverongaps": False,
            "hovertemplate": "%{y} · %{x}<br>PnL $%{z:,.0f}<extra></extra>",
        }
    ]
    return plot.spec(
        data, plot.layout(title, 300, xaxis={"type": "category"}, yaxis={"type": "category", "autorange": "reversed"})
    )


# --- section ---------------------------------------------------------------------------
_COLUMNS = {  # whole dollars, so "unknown / unknown" fits its column at 1280 px (with cents it was cut)
    "dimension": st.column_config.TextColumn("Dimension"),
    "label": st.column_config.TextColumn("Bucket", width=140),
    "n_hours": st.column_config.NumberColumn("Hours", format="%d", help="Distinct UTC hours the bucket rests on"),
    "n_days": st.column_config.NumberColumn("Days", format="%d"),
    "pnl": tables.money_column("PnL", help="Equity change minus deposits/withdrawals"),
    "price_pnl": tables.money_column("Price PnL", help="PnL − funding + fees: what prices did to the book"),
    "funding": tables.money_column("Funding", help="+ received"),
    "fees": tables.money_column("Fees", help="A cost: negative (− paid)"),
    "costs": tables.money_column(
        "Funding + fees", help="Negative = a net cost; positive = funding received beyond the fees"
    ),
    "pnl_per_hour": tables.money_column("PnL / hour"),
    "thin": st.column_config.CheckboxColumn("Thin", help=f"Fewer than {config.REGIME_THIN_HOURS} hours"),
}


def _table(frame: pl.DataFrame, columns: list[str]) -> None:
    shown = tables.as_costs(frame, ("fees", "costs"))  # what they do to PnL: negative
    config = {c: _COLUMNS[c] for c in columns if c in _COLUMNS}
    st.dataframe(
        tables.money_unsigned_zeros(shown.select(columns), config),
        hide_index=True,
        placeholder=fmt.MISSING,
        height=35 * frame.height + 38,
        column_config=config,
    )


@cache.section()
def pnl_windows_panel(view: PnlWindows, trend_up: float, trend_down: float) -> None:
    """Hour of day and weekday charts, the rebalance window against the rest, the regime table and map."""
    t = view.total
    st.caption(
        f"{t['n_intervals']:,} intervals between account snapshots, PnL {fmt.usd(t['pnl'], signed=True)} = price "
        f"{fmt.usd(t['price_pnl'], signed=True)} + funding {fmt.usd(t['funding'], signed=True)} + fees "
        f"{fmt.usd(fmt.cost(t['fees']), signed=True)}. Each interval is placed at its midpoint (UTC); deposits and withdrawals are "
        "never PnL. Regime of an hour: BTC over the 24 h ending at that hour's close (Binance candles) — trend "
        f"up above {fmt.pct(trend_up, 1, signed=True)}, down below "
        f"{fmt.pct(trend_down, 1, signed=True)}; volatility in terciles of the range's hours. "
        "'unknown' = the candles needed are missing."
    )
    left, right = layout.chart_row(2)
    with left:
        plot.show(
            components_chart(
                view.hours.with_columns(pl.col("bucket").alias("label")), "PnL by hour of day (UTC)", "hour (UTC)"
            ),
            key="ov_pnl_hour",
        )
    with right:
        plot.show(components_chart(view.weekdays, "PnL by weekday (UTC)", "weekday"), key="ov_pnl_weekday")
    st.markdown("**Rebalance window vs the rest of the day**")
    _table(view.window, ["label", "pnl", "price_pnl", "funding", "fees", "n_hours", "n_days"])
    st.markdown("**By market regime**")
    trend_vol = view.regimes.filter(pl.col("dimension") != "trend / vol")
    left, right = layout.chart_row(2)
    with left:
        plot.show(
            components_chart(
                trend_vol.with_columns(
                    (pl.col("dimension").replace({"volatility": "vol"}) + " " + pl.col("label")).alias("label")
                ),
                "Price PnL, funding and fees per regime",
                "regime",
            ),
            key="ov_pnl_regime",
        )
    with right:
        plot.show(regime_heatmap(view.grid), key="ov_regime_heatmap")
    _table(
        view.regimes,
        [
            "dimension",
            "label",
            "n_hours",
            "n_days",
            "pnl",
            "price_pnl",
            "funding",
            "fees",
            "costs",
            "pnl_per_hour",
            "thin",
        ],
    )
