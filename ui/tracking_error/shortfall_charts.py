"""Chart specs for the Tracking Error page's "Live against the model book" section.

Builders take the answer's ready-made frames and lib/model_book objects (the maths is in SQL and lib/) and
return figure specs for `ui.plot.show`. Colours come from lib.format.MODEL_BOOK_COLORS; times are UTC;
an unknown value is a gap, never 0.

Builders: `equity_curves`, `active_return`, `waterfall`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from lib import format as fmt
from lib.model_book import band as bands
from lib.model_book import waterfall as falls
from ui import plot
from ui.plot import Spec

COLORS = fmt.MODEL_BOOK_COLORS
MONEY_AXIS = dict(fmt.MONEY_AXIS_SI)  # −$10k: the sign before the $, as the text writes it


def equity_curves(live: pl.DataFrame, model: pl.DataFrame, title: str) -> Spec:
    """The live book's equity and the model book's on one chart (`ts, equity` frames, UTC)."""
    if live.height == 0 and model.height == 0:
        return plot.empty(title, "No equity to draw for this range.")
    data = []
    for frame, name, key, dash in (
        (live, "Live book (account equity)", "live", "solid"),
        (model, "Model book (paper, follows the T+2 targets)", "model", "dot"),
    ):
        if frame.height == 0:
            continue
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": plot.utc_text(frame["ts"]),
                "y": frame["equity"].to_list(),
                "name": name,
                "line": {"color": COLORS[key], "width": 2, "dash": dash},
                "connectgaps": False,
                "hovertemplate": "%{x|%Y-%m-%d %H:%M} UTC<br>" + name.split(" (")[0] + " $%{y:,.0f}<extra></extra>",
            }
        )
    return plot.spec(
        data,
        plot.layout(
            title,
            height=340,
            xaxis={**plot.DATE_AXIS, "title": {"text": "UTC"}},
            yaxis={**MONEY_AXIS, "title": {"text": "equity, USD"}},
            hovermode="x unified",
        ),
    )


def _day_end(d: date) -> str:
    return plot.utc_iso(datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(days=1))


def active_return(days: pl.DataFrame, band: bands.Band, title: str) -> Spec:
    """The cumulative active return (live − model, bp) from the range's start, the day's own active return as
    bars, and the ±kσ√t band around 0; the band's method is written on the chart."""
    if days.height == 0:
        return plot.empty(title, "No complete day with both books in this range.")
    first = days["day"][0]
    start = plot.utc_iso(datetime(first.year, first.month, first.day, tzinfo=UTC))
    ends = [_day_end(d) for d in days["day"].to_list()]
    x = [start, *ends]
    data: list[dict] = []
    if band.sigma_bp is not None:
        upper = [0.0, *band.limit_bp]
        lower = [0.0, *[None if v is None else -v for v in band.limit_bp]]
        data += [
            {
                "type": "scatter",
                "mode": "lines",
                "x": x,
                "y": upper,
                "name": f"±{band.k:g}σ√t band",
                "line": {"color": COLORS["band_line"], "width": 1},
                "hovertemplate": "%{x|%Y-%m-%d %H:%M} UTC<br>band +%{y:.1f} bp<extra></extra>",
                "legendgroup": "band",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "x": x,
                "y": lower,
                "name": f"±{band.k:g}σ√t band",
                "line": {"color": COLORS["band_line"], "width": 1},
                "fill": "tonexty",
                "fillcolor": COLORS["band"],
                "showlegend": False,
                "hovertemplate": "%{x|%Y-%m-%d %H:%M} UTC<br>band %{y:.1f} bp<extra></extra>",
                "legendgroup": "band",
            },
        ]
    data.append(
        {
            "type": "bar",
            "x": [_day_end(d) for d in days["day"].to_list()],
            "y": days["gap_bp"].to_list(),
            "name": "Day's active return",
            "marker": {
                "color": [COLORS["up"] if (v or 0) >= 0 else COLORS["down"] for v in days["gap_bp"].to_list()],
                "opacity": 0.45,
            },
            "xperiod": 86_400_000,
            "xperiodalignment": "end",
            "customdata": [d.isoformat() for d in days["day"].to_list()],
            "hovertemplate": "%{customdata}<br>day %{y:+.1f} bp<extra></extra>",
        }
    )
    data.append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": [0.0, *band.cumulative_bp],
            "name": "Cumulative active return (live − model)",
            "line": {"color": COLORS["active"], "width": 2},
            "marker": {"size": 4},
            "connectgaps": False,
            "hovertemplate": "%{x|%Y-%m-%d %H:%M} UTC<br>cumulative %{y:+.1f} bp<extra></extra>",
        }
    )
    return plot.spec(
        data,
        plot.layout(
            title,
            height=380,
            xaxis=dict(plot.DATE_AXIS),
            yaxis={"title": {"text": "bp of live equity"}, "ticksuffix": " bp", "zeroline": True},
            barmode="overlay",
            margin={"l": 10, "r": 10, "t": 60, "b": 78},
            annotations=[
                {
                    "text": "<br>".join(fmt.plot_text(line) for line in band.method_lines()),
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0,
                    "y": -0.12,
                    "xanchor": "left",
                    "yanchor": "top",
                    "align": "left",
                    "font": {"size": 11, "color": plot.NOTE_COLOR},
                }
            ],
        ),
    )


def waterfall(fall: falls.Waterfall, title: str) -> Spec:
    """Model PnL → sizing, timing, execution, fees, funding, basis, residual → live PnL ($; bp in the labels).

    Labels are rounded together, so the numbers written on the bars add up to the live PnL written at the end."""
    if fall.gap_usd is None or fall.model_pnl is None or fall.live_pnl is None:
        return plot.empty(title, "No complete day with both books in this range.")
    model_r, live_r = round(fall.model_pnl), round(fall.live_pnl)
    shown = falls.rounded_together([b.usd for b in fall.bars], live_r - model_r)
    shown_bp = falls.rounded_together([b.bp for b in fall.bars], fall.gap_bp or 0.0, decimals=1)
    labels = ["Model book<br>PnL", *[b.label.replace(" and ", " and<br>") for b in fall.bars], "Live book<br>PnL"]
    text = [
        fmt.usd(model_r, signed=True),
        *[f"{fmt.usd(v, signed=True)}<br>{fmt.bps(bp)}" for v, bp in zip(shown, shown_bp)],
        f"{fmt.usd(live_r, signed=True)}",
    ]
    hover = [
        "the model book's PnL over the range (deposits and withdrawals excluded)",
        *[fmt.plot_text(falls.HELP[b.key]) for b in fall.bars],
        "the live book's PnL over the range (account equity at the marks, deposits and withdrawals excluded)",
    ]
    data = [
        {
            "type": "waterfall",
            "orientation": "v",
            "measure": ["absolute", *["relative"] * len(fall.bars), "total"],
            "x": labels,
            "y": [fall.model_pnl, *[b.usd for b in fall.bars], 0.0],
            "text": text,
            "textposition": "outside",
            "cliponaxis": False,
            "customdata": hover,
            "hovertemplate": "%{x}: %{text}<br>%{customdata}<extra></extra>",
            "increasing": {"marker": {"color": COLORS["up"]}},
            "decreasing": {"marker": {"color": COLORS["down"]}},
            "totals": {"marker": {"color": COLORS["total"]}},
            "connector": {"line": {"color": plot.AXIS_LINE, "width": 1}},
            "name": "live − model",
            "showlegend": False,
        }
    ]
    levels = [fall.model_pnl]
    for b in fall.bars:
        levels.append(levels[-1] + b.usd)
    lo, hi = min(levels), max(levels)
    pad = 0.35 * max(hi - lo, 1.0)
    return plot.spec(
        data,
        plot.layout(
            title,
            height=420,
            xaxis={"tickangle": 0, "automargin": True},
            yaxis={**MONEY_AXIS, "title": {"text": "USD (zoomed to the gap)"}, "range": [lo - pad, hi + pad]},
            margin={"l": 10, "r": 10, "t": 70, "b": 10},
        ),
    )
