"""Plotly figures for the Trades page (the maths is in SQL and lib/execution.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from lib import format as fmt
from ui.overview_charts import empty, layout, naive_utc

C = fmt.SERIES_COLORS


def daily_activity(daily: pl.DataFrame) -> go.Figure:
    """Turnover (% of start-of-day equity) per UTC day, with the off-window fill count on top."""
    title = "Turnover per UTC day (% of start-of-day equity) and off-window fills"
    if daily.height == 0:
        return empty(title, "No fills in this range")
    d = daily.sort("day")
    days = d["day"].to_list()
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(
        x=days, y=[None if v is None else v * 100 for v in d["turnover"].to_list()], name="Turnover",
        marker={"color": C["turnover"]},
        customdata=[[fmt.usd(n), f] for n, f in zip(d["notional_usd"].to_list(), d["n_fills"].to_list())],
        hovertemplate="%{x|%Y-%m-%d}: %{y:.1f}% of equity<br>%{customdata[0]} in %{customdata[1]} fills<extra></extra>",
    ), secondary_y=False)
    late = d.filter(pl.col("n_off_window") > 0)
    fig.add_trace(go.Scatter(
        x=late["day"].to_list(), y=late["n_off_window"].to_list(), name="Off-window fills", mode="markers",
        marker={"color": C["off_window"], "size": 9, "symbol": "diamond"},
        hovertemplate="%{x|%Y-%m-%d}: %{y} fill(s) after 00:05 UTC<extra></extra>",
    ), secondary_y=True)
    fig.update_yaxes(ticksuffix="%", secondary_y=False, title_text="turnover")
    top = max(late["n_off_window"].max() or 0, 1) if late.height else 1
    fig.update_yaxes(range=[0, top * 1.15], tickformat="d", dtick=max(1, -(-top // 4)), secondary_y=True,
                     showgrid=False, title_text="off-window fills")
    fig.update_xaxes(type="date", tickformat="%b %d")
    return layout(fig, title, height=300, hovermode="closest")


def coin_slippage(by_coin: pl.DataFrame, top: int = 25) -> go.Figure:
    """Notional-weighted slippage vs the 1h open for the most traded coins (positive = worse)."""
    title = f"Slippage vs Binance 1h open, bps (positive = worse), top {top} coins by notional"
    d = by_coin.filter(pl.col("avg_slippage_bps").is_not_null()).sort("notional_usd", descending=True).head(top)
    if d.height == 0:
        return empty(title, "No priced fills in this range")
    d = d.sort("avg_slippage_bps")
    vals = d["avg_slippage_bps"].to_list()
    fig = go.Figure(go.Bar(
        x=vals, y=d["coin"].to_list(), orientation="h",
        marker={"color": [C["sell"] if v > 0 else C["buy"] for v in vals]},
        customdata=[[fmt.usd(n), fmt.usd(c, signed=True), u] for n, c, u in
                    zip(d["notional_usd"].to_list(), d["slippage_usd"].to_list(), d["n_unpriced"].to_list())],
        hovertemplate="%{y}: %{x:+.1f} bp on %{customdata[0]}<br>cost %{customdata[1]} · "
                      "%{customdata[2]} unpriced fill(s)<extra></extra>",
    ))
    fig.update_xaxes(ticksuffix=" bp", zeroline=True)
    return layout(fig, title, height=max(280, 18 * d.height + 90), showlegend=False, hovermode="closest")


def drilldown(coin: str, prices: pl.DataFrame, fills: pl.DataFrame, start: date, end: date) -> go.Figure:
    """Binance price with the coin's fills marked (top) and its position from the fills (bottom)."""
    title = f"{coin}: Binance price with fills, and position (UTC)"
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38], vertical_spacing=0.06)
    if prices.height:
        p = naive_utc(prices, "bucket")
        fig.add_trace(go.Scatter(
            x=p["bucket"].to_list(), y=p["close"].to_list(), mode="lines", name="Binance close",
            line={"color": C["price"], "width": 1.3},
            hovertemplate="%{x|%Y-%m-%d %H:%M} UTC close %{y:,.6g}<extra></extra>",
        ), row=1, col=1)
    if fills.height:
        f = naive_utc(fills.sort("time"), "time")
        for side, name, symbol in (("B", "Buy", "triangle-up"), ("A", "Sell", "triangle-down")):
            part = f.filter(pl.col("side") == side)
            if part.height == 0:
                continue
            fig.add_trace(go.Scatter(
                x=part["time"].to_list(), y=part["px"].to_list(), mode="markers", name=name,
                marker={"color": C["buy" if side == "B" else "sell"], "size": 9, "symbol": symbol,
                        "line": {"color": "white", "width": 0.5}},
                customdata=[[fmt.number(s, 6), fmt.usd(n), fmt.bps(b)] for s, n, b in
                            zip(part["sz"].to_list(), part["notional"].to_list(), part["slippage_bps"].to_list())],
                hovertemplate="%{x|%Y-%m-%d %H:%M:%S} UTC<br>" + name + " %{customdata[0]} @ %{y:,.6g} "
                              "(%{customdata[1]})<br>vs 1h open %{customdata[2]}<extra></extra>",
            ), row=1, col=1)
        t0 = datetime.combine(start, time())
        last_seen = f["time"].max()
        if prices.height:
            last_seen = max(last_seen, naive_utc(prices, "bucket")["bucket"].max() + timedelta(hours=1))
        t1 = min(datetime.combine(end + timedelta(days=1), time()), last_seen)
        xs = [t0] + f["time"].to_list() + [t1]
        ys = [f["start_position"][0]] + f["pos_after"].to_list() + [f["pos_after"][-1]]
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", name="Position", line={"color": C["position"], "shape": "hv", "width": 2},
            hovertemplate="%{x|%Y-%m-%d %H:%M} UTC position %{y:,.6g}<extra></extra>",
        ), row=2, col=1)
    fig.update_yaxes(title_text="price", row=1, col=1)
    fig.update_yaxes(title_text="position (units)", row=2, col=1, zeroline=True)
    return layout(fig, title, height=520, hovermode="closest")
