"""Chart specs for the Trades page (the maths is in SQL and lib/book/execution.py).

Each builder takes a query's frame and returns a figure spec for `ui.plot.show`
(plain dicts, see ui/plot.py for why not `go.Figure` updates). Colours come
from lib.format.SERIES_COLORS; times are UTC (tz-aware columns are converted
to UTC and sent as naive ISO text so the browser never shifts them); null
values stay None, which Plotly draws as gaps, never zeros.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import polars as pl

from lib import format as fmt
from ui import plot
from ui.plot import Spec

C = fmt.SERIES_COLORS


def daily_activity(daily: pl.DataFrame) -> Spec:
    """Turnover (% of start-of-day equity) per UTC day, with the off-window fill count on top (right axis)."""
    title = "Turnover per UTC day (% of start-of-day equity) and off-window fills"
    if daily.height == 0:
        return plot.empty(title, "No fills in this range")
    d = daily.sort("day")
    late = d.filter(pl.col("n_off_window") > 0)
    top = max(late["n_off_window"].max() or 0, 1) if late.height else 1
    data = [
        {
            "type": "bar",
            "x": [v.isoformat() for v in d["day"].to_list()],
            "y": plot.percent(d["turnover"].to_list()),
            "name": "Turnover",
            "marker": {"color": C["turnover"]},
            "customdata": [
                [fmt.usd(n), fmt.plural(f, "fill")] for n, f in zip(d["notional_usd"].to_list(), d["n_fills"].to_list())
            ],
            "hovertemplate": "%{x|%Y-%m-%d}: %{y:.1f}% of equity<br>%{customdata[0]} in %{customdata[1]}"
            "<extra></extra>",
        },
        {
            "type": "scatter",
            "x": [v.isoformat() for v in late["day"].to_list()],
            "y": late["n_off_window"].to_list(),
            "yaxis": "y2",
            "name": "Off-window fills",
            "mode": "markers",
            "marker": {"color": C["off_window"], "size": 9, "symbol": "diamond"},
            "customdata": [fmt.plural(n, "fill") for n in late["n_off_window"].to_list()],
            "hovertemplate": "%{x|%Y-%m-%d}: %{customdata} after 00:05 UTC<extra></extra>",
        },
    ]
    return plot.spec(
        data,
        plot.layout(
            title,
            height=300,
            hovermode="closest",
            xaxis={**plot.DATE_AXIS, "domain": [0.0, 0.94]},  # room for the right axis, as a secondary-y subplot has
            yaxis={"ticksuffix": "%", "title": {"text": "turnover"}},
            yaxis2=plot.merge(
                plot.AXIS_Y,
                {
                    "range": [0, top * 1.15],
                    "tickformat": "d",
                    "dtick": max(1, -(-top // 4)),
                    "showgrid": False,
                    "title": {"text": "off-window fills"},
                    "overlaying": "y",
                    "side": "right",
                    "anchor": "x",
                },
            ),
        ),
    )


def coin_slippage(by_coin: pl.DataFrame, top: int = 25) -> Spec:
    """Notional-weighted slippage vs the 1h open for the most traded coins (positive = worse, red)."""
    title = f"Slippage vs Binance 1h open, bps (positive = worse), top {top} coins by notional"
    d = by_coin.filter(pl.col("avg_slippage_bps").is_not_null()).sort("notional_usd", descending=True).head(top)
    if d.height == 0:
        return plot.empty(title, "No priced fills in this range")
    d = d.sort("avg_slippage_bps")
    vals = d["avg_slippage_bps"].to_list()
    data = [
        {
            "type": "bar",
            "x": vals,
            "y": [fmt.plot_text(c) for c in d["coin"].cast(pl.String).to_list()],
            "orientation": "h",
            "marker": {"color": [C["sell"] if v > 0 else C["buy"] for v in vals]},
            "customdata": [
                [fmt.usd(n), fmt.usd(c, signed=True), fmt.plural(u, "unpriced fill")]
                for n, c, u in zip(d["notional_usd"].to_list(), d["slippage_usd"].to_list(), d["n_unpriced"].to_list())
            ],
            "hovertemplate": "%{y}: %{x:+.1f} bp on %{customdata[0]}<br>cost %{customdata[1]} · "
            "%{customdata[2]}<extra></extra>",
        }
    ]
    return plot.spec(
        data,
        plot.layout(
            title,
            height=max(280, 18 * d.height + 90),
            showlegend=False,
            hovermode="closest",
            xaxis={"ticksuffix": " bp", "zeroline": True},
            yaxis={"type": "category"},  # coin names, never read as numbers
        ),
    )


# the drill-down's two stacked rows (price over position) share one x axis
PRICE_DOMAIN = [0.4172, 1.0]
POSITION_DOMAIN = [0.0, 0.3572]


def drilldown(coin: str, prices: pl.DataFrame, fills: pl.DataFrame, start: date, end: date) -> Spec:
    """Binance price with the coin's fills marked (top) and its position from the fills (bottom).

    The position is a step line from the start of the range (the first fill's
    start_position) through every fill to the end of the range or the last data.
    """
    title = f"{fmt.plot_text(coin)}: Binance price with fills, and position (UTC)"
    data: list[dict[str, Any]] = []
    if prices.height:
        data.append(
            {
                "type": "scatter",
                "x": plot.utc_text(prices["bucket"]),
                "y": prices["close"].to_list(),
                "mode": "lines",
                "name": "Binance close",
                "line": {"color": C["price"], "width": 1.3},
                "hovertemplate": "%{x|%Y-%m-%d %H:%M} UTC close %{y:,.6g}<extra></extra>",
            }
        )
    if fills.height:
        f = plot.naive_utc(fills.sort("time"), "time")
        for side, name, symbol in (("B", "Buy", "triangle-up"), ("A", "Sell", "triangle-down")):
            part = f.filter(pl.col("side") == side)
            if part.height == 0:
                continue
            data.append(
                {
                    "type": "scatter",
                    "x": plot.utc_text(part["time"]),
                    "y": part["px"].to_list(),
                    "mode": "markers",
                    "name": name,
                    "marker": {
                        "color": C["buy" if side == "B" else "sell"],
                        "size": 9,
                        "symbol": symbol,
                        "line": {"color": "white", "width": 0.5},
                    },
                    "customdata": [
                        [fmt.units(s), fmt.usd(n), fmt.bps(b)]
                        for s, n, b in zip(
                            part["sz"].to_list(), part["notional"].to_list(), part["slippage_bps"].to_list()
                        )
                    ],
                    "hovertemplate": "%{x|%Y-%m-%d %H:%M:%S} UTC<br>" + name + " %{customdata[0]} @ %{y:,.6g} "
                    "(%{customdata[1]})<br>vs 1h open %{customdata[2]}<extra></extra>",
                }
            )
        t0 = datetime.combine(start, time())
        last_seen = f["time"].max()
        if prices.height:
            last_seen = max(last_seen, plot.naive_utc(prices, "bucket")["bucket"].max() + timedelta(hours=1))
        t1 = min(datetime.combine(end + timedelta(days=1), time()), last_seen)
        data.append(
            {
                "type": "scatter",
                "x": [plot.utc_iso(t0)] + plot.utc_text(f["time"]) + [plot.utc_iso(t1)],
                "y": [f["start_position"][0]] + f["pos_after"].to_list() + [f["pos_after"][-1]],
                "xaxis": "x2",
                "yaxis": "y2",
                "mode": "lines",
                "name": "Position",
                "line": {"color": C["position"], "shape": "hv", "width": 2},
                "hovertemplate": "%{x|%Y-%m-%d %H:%M} UTC position %{y:,.6g}<extra></extra>",
            }
        )
    return plot.spec(
        data,
        plot.layout(
            title,
            height=520,
            hovermode="closest",
            xaxis={"anchor": "y", "showticklabels": False},
            yaxis={"anchor": "x", "domain": PRICE_DOMAIN, "title": {"text": "price"}},
            xaxis2=plot.merge(plot.AXIS_X, {"anchor": "y2", "matches": "x"}),
            yaxis2=plot.merge(
                plot.AXIS_Y,
                {"anchor": "x2", "domain": POSITION_DOMAIN, "title": {"text": "position (units)"}, "zeroline": True},
            ),
        ),
    )
