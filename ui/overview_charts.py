"""Plotly figures for the Overview page.

Builders take frames that SQL aggregated and lib/pnl.py turned into numbers; they only
draw. Colours come from lib.format.SERIES_COLORS; times are UTC (tz-aware columns are
made naive UTC so the browser never shifts them); null values are gaps, never zeros.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any

import plotly.graph_objects as go
import polars as pl

from lib import format as fmt
from lib.pnl import COMPONENT_LABELS, COMPONENTS

C = fmt.SERIES_COLORS
GRID = "#e6e9ee"


def layout(fig: go.Figure, title: str | None = None, height: int = 340, **kwargs: Any) -> go.Figure:
    """The dashboard's chart look: white, light grid, legend on top, compact margins."""
    settings: dict[str, Any] = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}} if title else None,
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 56 if title else 26, "b": 10},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "font": {"family": "sans-serif", "size": 12},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        "hovermode": "x unified",
    }
    settings.update(kwargs)
    fig.update_layout(**settings)
    fig.update_xaxes(showgrid=False, linecolor="#c5cbd3")
    fig.update_yaxes(gridcolor=GRID, zerolinecolor="#9aa3ad")
    return fig


def naive_utc(df: pl.DataFrame, *cols: str) -> pl.DataFrame:
    """Tz-aware datetime columns as naive UTC (plotly would otherwise render them oddly)."""
    exprs = []
    for c in cols:
        if c in df.columns and isinstance(df.schema[c], pl.Datetime) and df.schema[c].time_zone:
            exprs.append(pl.col(c).dt.convert_time_zone("UTC").dt.replace_time_zone(None))
    return df.with_columns(exprs) if exprs else df


def short_utc(ts: Any) -> str:
    """'Dec 05 18:55' (UTC) for a metric that has little room; the dash when unknown."""
    if ts is None:
        return fmt.MISSING
    if getattr(ts, "tzinfo", None) is not None:
        ts = ts.astimezone(timezone.utc)
    return ts.strftime("%b %d %H:%M")


def mark_text(ts: Any, unrealized: Any) -> str:
    """A decomposition mark for the caption: its time, or why there is none."""
    if ts is not None:
        return fmt.utc(ts, seconds=True)
    return "flat book" if unrealized == 0 else "none"


def category_text(pairs: list[tuple[str, int]]) -> str:
    """'3 matched zero · 59 matched' from (category, count) pairs."""
    return " · ".join(f"{n} {cat.replace('_', ' ').lower()}" for cat, n in pairs)


def empty(title: str, note: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=note, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"color": "#7d8793"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return layout(fig, title, height=220)


def equity_curve(series: pl.DataFrame, flows: pl.DataFrame | None, bucket_label: str) -> go.Figure:
    """Equity (last mark of each bucket) with deposits and withdrawals marked where they land."""
    title = f"Equity (USD, {bucket_label} marks, UTC)"
    if series.height == 0:
        return empty(title, "No account snapshots in this range")
    s = naive_utc(series.sort("equity_ts"), "equity_ts")
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=s["equity_ts"].to_list(), y=s["equity"].to_list(), mode="lines", name="Equity",
        line={"color": C["equity"], "width": 2}, connectgaps=False,
        hovertemplate="%{x|%Y-%m-%d %H:%M} UTC<br>Equity $%{y:,.0f}<extra></extra>",
    ))
    if flows is not None and flows.height:
        f = naive_utc(flows.sort("time"), "time").with_columns(pl.col("time").cast(pl.Datetime("ms")))
        lookup = s.select(pl.col("equity_ts").cast(pl.Datetime("ms")).alias("time"), "equity")
        f = f.join_asof(lookup, on="time", strategy="forward")
        for kind, sign, symbol in (("deposit", 1, "triangle-up"), ("withdraw", -1, "triangle-down")):
            part = f.filter((pl.col("usdc") > 0) if sign > 0 else (pl.col("usdc") < 0))
            if part.height == 0:
                continue
            fig.add_trace(go.Scatter(
                x=part["time"].to_list(), y=part["equity"].to_list(), mode="markers",
                name="Deposit (not PnL)" if sign > 0 else "Withdrawal (not PnL)",
                marker={"color": C[kind], "size": 13, "symbol": symbol, "line": {"color": "white", "width": 1}},
                customdata=[[fmt.usd(v, signed=True), t] for v, t in zip(part["usdc"].to_list(), part["type"].to_list())],
                hovertemplate="%{x|%Y-%m-%d %H:%M} UTC<br>%{customdata[1]} %{customdata[0]}<extra></extra>",
            ))
    fig.update_yaxes(tickprefix="$", tickformat=",.0f")
    return layout(fig, title)


def underwater(dd: pl.DataFrame, worst: dict) -> go.Figure:
    """Drawdown of the deposit-adjusted equity index, with the worst peak and trough marked."""
    title = "Drawdown (deposit-adjusted equity index, UTC)"
    if dd.height == 0:
        return empty(title, "No returns in this range")
    d = naive_utc(dd, "ts")
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=d["ts"].to_list(), y=[v * 100 for v in d["drawdown"].to_list()], mode="lines", name="Drawdown",
        fill="tozeroy", line={"color": C["drawdown"], "width": 1.5}, fillcolor="rgba(209,52,59,0.18)",
        hovertemplate="%{x|%Y-%m-%d %H:%M} UTC<br>%{y:.2f}%<extra></extra>",
    ))
    if worst.get("trough_ts") is not None and worst.get("max_drawdown") is not None:
        trough = worst["trough_ts"].replace(tzinfo=None)
        fig.add_trace(go.Scatter(
            x=[trough], y=[worst["max_drawdown"] * 100], mode="markers+text", name="Max drawdown",
            marker={"color": C["drawdown"], "size": 10, "symbol": "x"},
            text=[f"max {fmt.pct(worst['max_drawdown'], signed=True)} "], textposition="middle left",
            hovertemplate="Trough %{x|%Y-%m-%d %H:%M} UTC<br>%{y:.2f}%<extra></extra>",
        ))
        if worst.get("peak_ts") is not None:
            fig.add_vline(x=worst["peak_ts"].replace(tzinfo=None), line={"color": "#9aa3ad", "dash": "dot", "width": 1})
    fig.update_yaxes(ticksuffix="%", rangemode="tozero")
    return layout(fig, title, height=260, showlegend=False)


def decomposition(parts: dict) -> go.Figure:
    """Waterfall: realized, fees, funding, change in unrealized and the residual add up to total PnL."""
    title = "PnL decomposition (USD)"
    keys = list(COMPONENTS) + ["residual"]
    values = [parts.get(k) for k in keys]
    if parts.get("total") is None:
        return empty(title, "Total PnL unknown: no equity mark at one end of the range")
    labels = [COMPONENT_LABELS[k] for k in keys]
    shown = [(lab, v) for lab, v in zip(labels, values) if v is not None]
    fig = go.Figure(go.Waterfall(
        x=[lab for lab, _ in shown] + ["Total PnL"],
        y=[v for _, v in shown] + [parts["total"]],
        measure=["relative"] * len(shown) + ["total"],
        text=[fmt.usd(v, signed=True) for _, v in shown] + [fmt.usd(parts["total"], signed=True)],
        textposition="outside",
        increasing={"marker": {"color": C["long"]}},
        decreasing={"marker": {"color": C["short"]}},
        totals={"marker": {"color": C["total"]}},
        connector={"line": {"color": "#c5cbd3"}},
        hovertemplate="%{x}: %{text}<extra></extra>",
    ))
    fig.update_yaxes(tickprefix="$", tickformat=",.0f")
    return layout(fig, title, height=320, showlegend=False, hovermode="closest")


def daily_returns(daily: pl.DataFrame) -> go.Figure:
    """One bar per UTC day: the day's return net of deposits and withdrawals."""
    title = "Daily return, net of deposits/withdrawals (UTC days)"
    d = daily.filter(pl.col("ret").is_not_null())
    if d.height == 0:
        return empty(title, "No complete day in this range")
    d = naive_utc(d, "bucket")
    rets = d["ret"].to_list()
    fig = go.Figure(go.Bar(
        x=d["bucket"].to_list(), y=[r * 100 for r in rets],
        marker={"color": [C["long"] if r > 0 else C["short"] for r in rets]},
        customdata=[fmt.usd(p, signed=True) for p in d["pnl"].to_list()],
        hovertemplate="%{x|%Y-%m-%d}<br>%{y:.2f}%  (%{customdata})<extra></extra>",
        name="Daily return",
    ))
    fig.update_xaxes(type="date", tickformat="%b %d")
    fig.update_yaxes(ticksuffix="%")
    return layout(fig, title, height=260, showlegend=False, hovermode="closest")


def exposure(expo: pl.DataFrame, bucket_label: str) -> go.Figure:
    """Gross, net, long and (negative) short exposure as % of equity."""
    title = f"Exposure, % of equity ({bucket_label}, UTC)"
    if expo.height == 0:
        return empty(title, "No positions snapshots in this range")
    e = naive_utc(expo.sort("ts"), "ts")
    x = e["ts"].to_list()
    fig = go.Figure()
    series = (
        ("gross", "Gross", e["gross_pct"].to_list(), e["gross_usd"].to_list(), {"width": 2}),
        ("long", "Long", e["long_pct"].to_list(), e["long_usd"].to_list(), {"width": 1.2}),
        ("short", "Short", [None if v is None else -v for v in e["short_pct"].to_list()],
         [-v for v in e["short_usd"].to_list()], {"width": 1.2}),
        ("net", "Net", e["net_pct"].to_list(), e["net_usd"].to_list(), {"width": 2, "dash": "dot"}),
    )
    for key, name, pct_values, usd_values, line in series:
        fig.add_trace(go.Scatter(
            x=x, y=[None if v is None else v * 100 for v in pct_values], name=name, mode="lines",
            line={"color": C[key], **line}, connectgaps=False,
            customdata=[fmt.usd(v) for v in usd_values],
            hovertemplate=f"{name} %{{y:.1f}}% (%{{customdata}})<extra></extra>",
        ))
    fig.update_yaxes(ticksuffix="%")
    return layout(fig, title)
