"""Chart specs for the Overview page.

Builders take frames that SQL aggregated and lib/book/pnl.py turned into numbers; they only
draw, and return a figure spec for `ui.plot.show` (a plain dict built in one go: see
ui/plot.py for why not `go.Figure` updates). The look is ui.plot's; the Overview adds
its own defaults (height 340, one unified hover per time). Colours come from
lib.format.SERIES_COLORS; times are UTC (sent as naive UTC ISO text, so the browser never
shifts them and no datetime goes through the JSON encoder one by one); null values are
gaps, never zeros.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import polars as pl

from lib import format as fmt
from lib.book.pnl import COMPONENT_LABELS, COMPONENTS
from ui import plot
from ui.plot import Spec

C = fmt.SERIES_COLORS
HEIGHT = 340
HOVERMODE = "x unified"
DRAWDOWN_FILL = "rgba(209,52,59,0.18)"
TIME_AXIS: dict[str, Any] = {"type": "date"}


def overview_layout(title: str | None, height: int = HEIGHT, **extra: Any) -> dict[str, Any]:
    """ui.plot's layout with the Overview's defaults (height 340, unified hover along x)."""
    extra.setdefault("hovermode", HOVERMODE)
    return plot.layout(title, height, **extra)


# --- values -----------------------------------------------------------------------
def short_utc(ts: Any) -> str:
    """'Dec 05 18:55' (UTC) for a metric that has little room; the dash when unknown."""
    if ts is None:
        return fmt.MISSING
    if getattr(ts, "tzinfo", None) is not None:
        ts = ts.astimezone(UTC)
    return ts.strftime("%b %d %H:%M")


def mark_text(ts: Any, unrealized: Any) -> str:
    """A decomposition mark for the caption: its time, or why there is none."""
    if ts is not None:
        return fmt.utc(ts, seconds=True)
    return "flat book" if unrealized == 0 else "none"


def missing_text(coins: Any, usd: Any) -> str:
    """'kPEPE ($53,438)' for an incomplete round's carried coins."""
    names = ", ".join(fmt.md_text(c) for c in coins or []) or "coins"
    return f"{names} ({fmt.usd(usd)})" if usd is not None else names


def category_text(pairs: list[tuple[str, int]]) -> str:
    """'3 matched zero · 59 matched' from (category, count) pairs."""
    return " · ".join(f"{n} {cat.replace('_', ' ').lower()}" for cat, n in pairs)


# --- charts -----------------------------------------------------------------------
def equity_curve(series: pl.DataFrame, flows: pl.DataFrame | None, bucket_label: str) -> Spec:
    """Equity (last mark of each bucket) with deposits and withdrawals marked where they land."""
    title = f"Equity (USD, {bucket_label} marks, UTC)"
    if series.height == 0:
        return plot.empty(title, "No account snapshots in this range")
    s = series.sort("equity_ts")
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": plot.utc_text(s["equity_ts"], plot.MINUTE_TEXT),
            "y": s["equity"].round(2).to_list(),
            "mode": "lines",
            "name": "Equity",
            "line": {"color": C["equity"], "width": 2},
            "connectgaps": False,
            "hovertemplate": "%{x|%Y-%m-%d %H:%M} UTC<br>Equity $%{y:,.0f}<extra></extra>",
        }
    ]
    if flows is not None and flows.height:
        # each flow sits on the curve at the first mark at or after it (the equity that reflects it)
        f = plot.naive_utc(flows.sort("time"), "time").with_columns(pl.col("time").cast(pl.Datetime("ms")))
        lookup = plot.naive_utc(s, "equity_ts").select(
            pl.col("equity_ts").cast(pl.Datetime("ms")).alias("time"), "equity"
        )
        f = f.join_asof(lookup, on="time", strategy="forward")
        for kind, sign, symbol in (("deposit", 1, "triangle-up"), ("withdraw", -1, "triangle-down")):
            part = f.filter((pl.col("usdc") > 0) if sign > 0 else (pl.col("usdc") < 0))
            if part.height == 0:
                continue
            data.append(
                {
                    "type": "scatter",
                    "x": plot.utc_text(part["time"]),
                    "y": part["equity"].to_list(),
                    "mode": "markers",
                    "name": "Deposit (not PnL)" if sign > 0 else "Withdrawal (not PnL)",
                    "marker": {"color": C[kind], "size": 13, "symbol": symbol, "line": {"color": "white", "width": 1}},
                    "customdata": [
                        [fmt.usd(v, signed=True), t] for v, t in zip(part["usdc"].to_list(), part["type"].to_list())
                    ],
                    "hovertemplate": "%{x|%Y-%m-%d %H:%M} UTC<br>%{customdata[1]} %{customdata[0]}<extra></extra>",
                }
            )
    return plot.spec(data, overview_layout(title, xaxis=TIME_AXIS, yaxis={**fmt.MONEY_AXIS}))


def underwater(dd: pl.DataFrame, worst: dict, bucket_label: str = "hourly") -> Spec:
    """Drawdown of the deposit-adjusted equity index, with the worst peak and trough marked.

    `dd` has one point per bucket at its deepest snapshot (lib.book.pnl.underwater_points), so the
    line reaches the stated max drawdown.
    """
    per = "hour" if bucket_label == "hourly" else "UTC day"
    title = f"Drawdown (time-weighted equity index, deepest point per {per}, UTC)"
    if dd.height == 0:
        return plot.empty(title, "No returns in this range")
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": plot.utc_text(dd["ts"], plot.MINUTE_TEXT),
            "y": plot.percent(dd["drawdown"].to_list()),
            "mode": "lines",
            "name": "Drawdown",
            "fill": "tozeroy",
            "line": {"color": C["drawdown"], "width": 1.5},
            "fillcolor": DRAWDOWN_FILL,
            "hovertemplate": "%{x|%Y-%m-%d %H:%M} UTC<br>%{y:.2f}%<extra></extra>",
        }
    ]
    shapes: list[dict[str, Any]] = []
    if worst.get("trough_ts") is not None and worst.get("max_drawdown") is not None:
        data.append(
            {
                "type": "scatter",
                "x": [plot.utc_iso(worst["trough_ts"])],
                "y": [worst["max_drawdown"] * 100],
                "mode": "markers+text",
                "name": "Max drawdown",
                "marker": {"color": C["drawdown"], "size": 10, "symbol": "x"},
                "text": [f"max {fmt.pct(worst['max_drawdown'], signed=True)} "],
                "textposition": "middle left",
                "hovertemplate": "Trough %{x|%Y-%m-%d %H:%M} UTC<br>%{y:.2f}%<extra></extra>",
            }
        )
        if worst.get("peak_ts") is not None:  # a vertical line at the peak (what fig.add_vline draws)
            peak = plot.utc_iso(worst["peak_ts"])
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "y domain",
                    "x0": peak,
                    "x1": peak,
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": plot.ZERO_LINE, "dash": "dot", "width": 1},
                }
            )
    return plot.spec(
        data,
        overview_layout(
            title,
            height=260,
            showlegend=False,
            shapes=shapes,
            xaxis=TIME_AXIS,
            yaxis={"ticksuffix": "%", "rangemode": "tozero"},
        ),
    )


def decomposition(parts: dict) -> Spec:
    """Waterfall: realized, fees, funding, change in unrealized and the residual add up to total PnL."""
    title = "PnL decomposition (USD)"
    if parts.get("total") is None:
        return plot.empty(title, "Total PnL unknown: no equity mark at one end of the range")
    keys = list(COMPONENTS) + ["residual"]
    shown = [(COMPONENT_LABELS[k], parts.get(k)) for k in keys if parts.get(k) is not None]
    data = [
        {
            "type": "waterfall",
            "x": [lab for lab, _ in shown] + ["Total PnL"],
            "y": [v for _, v in shown] + [parts["total"]],
            "measure": ["relative"] * len(shown) + ["total"],
            "text": [fmt.usd(v, signed=True) for _, v in shown] + [fmt.usd(parts["total"], signed=True)],
            "textposition": "outside",
            "textfont": {"size": 12},
            "constraintext": "none",  # outside the bar: the label keeps its size on a narrow bar
            "cliponaxis": False,
            "increasing": {"marker": {"color": C["long"]}},
            "decreasing": {"marker": {"color": C["short"]}},
            "totals": {"marker": {"color": C["total"]}},
            "connector": {"line": {"color": plot.AXIS_LINE}},
            "hovertemplate": "%{x}: %{text}<extra></extra>",
        }
    ]
    return plot.spec(
        data,
        overview_layout(title, height=320, showlegend=False, hovermode="closest", yaxis={**fmt.MONEY_AXIS}),
    )


def daily_returns(daily: pl.DataFrame) -> Spec:
    """One bar per UTC day: the day's return net of deposits and withdrawals."""
    title = "Daily return, net of deposits/withdrawals (UTC days)"
    d = daily.filter(pl.col("ret").is_not_null())
    if d.height == 0:
        return plot.empty(title, "No complete day in this range")
    rets = d["ret"].to_list()
    data = [
        {
            "type": "bar",
            "x": plot.utc_text(d["bucket"], plot.DAY_TEXT),
            "y": plot.percent(rets),
            "name": "Daily return",
            "marker": {"color": [C["long"] if r > 0 else C["short"] for r in rets]},
            "customdata": [fmt.usd(p, signed=True) for p in d["pnl"].to_list()],
            "hovertemplate": "%{x|%Y-%m-%d}<br>%{y:.2f}%  (%{customdata})<extra></extra>",
        }
    ]
    # a few days: one tick per day (Plotly's own 12-hour steps would print each date twice)
    xaxis = {**plot.DATE_AXIS, "dtick": 86_400_000} if d.height <= 14 else plot.DATE_AXIS
    return plot.spec(
        data,
        overview_layout(
            title, height=260, showlegend=False, hovermode="closest", xaxis=xaxis, yaxis={"ticksuffix": "%"}
        ),
    )


def exposure(expo: pl.DataFrame, bucket_label: str) -> Spec:
    """Gross, net, long and (negative) short exposure as % of equity."""
    title = f"Exposure, % of equity ({bucket_label}, UTC)"
    if expo.height == 0:
        return plot.empty(title, "No positions snapshots in this range")
    e = expo.sort("ts")
    x = plot.utc_text(e["ts"], plot.MINUTE_TEXT)  # four lines on one axis: 162 -> 113 kB for 30 days of hours
    series = (
        ("gross", "Gross", e["gross_pct"].to_list(), e["gross_usd"].to_list(), {"width": 2}),
        ("long", "Long", e["long_pct"].to_list(), e["long_usd"].to_list(), {"width": 1.2}),
        (
            "short",
            "Short",
            [None if v is None else -v for v in e["short_pct"].to_list()],
            [None if v is None else -v for v in e["short_usd"].to_list()],
            {"width": 1.2},
        ),
        ("net", "Net", e["net_pct"].to_list(), e["net_usd"].to_list(), {"width": 2, "dash": "dot"}),
    )
    data = [
        {
            "type": "scatter",
            "x": x,
            "y": plot.percent(pct_values),
            "name": name,
            "mode": "lines",
            "line": {"color": C[key], **line},
            "connectgaps": False,
            "customdata": [fmt.usd(v) for v in usd_values],
            "hovertemplate": f"{name} %{{y:.1f}}% (%{{customdata}})<extra></extra>",
        }
        for key, name, pct_values, usd_values, line in series
    ]
    if "incomplete" in e.columns:
        bad = e.filter(pl.col("incomplete") == 1)
        if bad.height:  # rounds where a held coin was missing and carried from the fills
            data.append(
                {
                    "type": "scatter",
                    "x": plot.utc_text(bad["ts"]),
                    "y": plot.percent(bad["gross_pct"].to_list()),
                    "mode": "markers",
                    "name": "Incomplete round (carried)",
                    "marker": {"color": C["gross"], "size": 9, "symbol": "diamond-open", "line": {"width": 2}},
                    "customdata": [
                        missing_text(c, u) for c, u in zip(bad["missing_coins"].to_list(), bad["missing_usd"].to_list())
                    ],
                    "hovertemplate": "Incomplete round: %{customdata} carried from the fills<extra></extra>",
                }
            )
    return plot.spec(data, overview_layout(title, xaxis=TIME_AXIS, yaxis={"ticksuffix": "%"}))
