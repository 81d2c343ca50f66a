"""Chart specs for the Tracking Error page.

Each builder takes ready-made frames (the maths is done in lib/ and SQL) and
returns a figure spec for `ui.plot.show` (see ui/plot.py for why specs, not
`go.Figure` updates). Colours come from lib.format (CATEGORY_COLORS,
SERIES_COLORS) so a category or a series looks the same everywhere; times are
labelled UTC; null values are gaps, never zeros.

Builders: `te_lines`, `category_stack`, `flip_share`, `error_heatmap`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Iterable

import polars as pl

from lib import format as fmt
from ui import plot
from ui.plot import Spec

DIVERGING = [[0.0, "#b2182b"], [0.25, "#ef8a62"], [0.5, "#f7f7f7"], [0.75, "#67a9cf"], [1.0, "#2166ac"]]


def _dates(df: pl.DataFrame, col: str = "date") -> list[str]:
    return [d.isoformat() for d in df[col].to_list()]


def _date_axis(days: list | None = None) -> dict[str, Any]:
    """A daily date axis; with `days`, spanning the whole range (half a day of padding each side)."""
    axis = dict(plot.DATE_AXIS)
    if days:
        lo = datetime.combine(days[0], time()) - timedelta(hours=12)
        hi = datetime.combine(days[-1], time()) + timedelta(hours=12)
        axis["range"] = [lo.isoformat(), hi.isoformat()]
    return axis


# --- tracking error over time (Tracking Error page) ---------------------------------
def te_lines(daily: pl.DataFrame, window: int) -> Spec:
    """Daily weight-space TE (left axis) and rolling ex-post TE, annualised (right axis). Nulls are gaps."""
    x = _dates(daily)
    data = [
        {"type": "scatter", "x": x, "y": plot.percent(daily["te"].to_list()), "name": "Daily TE (weight space, √Σerr²)",
         "mode": "lines+markers", "line": {"color": fmt.SERIES_COLORS["te"], "width": 2}, "marker": {"size": 5},
         "connectgaps": False, "hovertemplate": "%{x}<br>daily TE %{y:.2f}%<extra></extra>"},
        {"type": "scatter", "x": x, "y": plot.percent(daily["ex_post_te"].to_list()), "yaxis": "y2",
         "name": f"Ex-post TE, {window}-day rolling, annualised ×√365", "mode": "lines+markers",
         "line": {"color": fmt.SERIES_COLORS["ex_post_te"], "width": 2, "dash": "dot"}, "marker": {"size": 4},
         "connectgaps": False, "hovertemplate": "%{x}<br>ex-post TE %{y:.2f}%<extra></extra>"},
    ]
    return plot.spec(data, plot.layout(
        "Tracking error by day (UTC holdings date)", height=360,
        xaxis=_date_axis(daily["date"].to_list()),
        yaxis={"title": {"text": "daily TE, % of equity"}, "ticksuffix": "%", "tickformat": ".1f",
               "rangemode": "tozero"},
        yaxis2=plot.merge(plot.AXIS_Y, {"title": {"text": f"ex-post TE ({window}d, ann.), %"}, "ticksuffix": "%",
                                        "tickformat": ".1f", "rangemode": "tozero", "showgrid": False,
                                        "overlaying": "y", "side": "right"}),
    ))


def category_stack(by_cat: pl.DataFrame, value: str, title: str, categories: Iterable[str],
                   days: list | None = None, percent: bool = False) -> Spec:
    """Stacked bars per day, one trace per category (CATEGORY_COLORS), from `date, category, <value>`.

    `days` fixes the x axis to the whole range so a day without data is an empty slot.
    `percent` shows fractions as percent (used for sum err^2, in %^2 of equity).
    """
    parts = by_cat.partition_by("category", as_dict=True, maintain_order=True) if by_cat.height else {}
    data = []
    for cat in categories:
        sub = parts.get((cat,))
        if sub is None or sub.height == 0:
            continue
        ys = sub[value].to_list()
        if percent:
            ys = [None if v is None else v * 1e4 for v in ys]  # fraction^2 -> (%)^2
        data.append({
            "type": "bar", "x": _dates(sub), "y": ys, "name": cat,
            "marker": {"color": fmt.CATEGORY_COLORS.get(cat, "#777")},
            "hovertemplate": f"%{{x}}<br>{cat}: %{{y:.3g}}<extra></extra>" if percent
            else f"%{{x}}<br>{cat}: %{{y}}<extra></extra>",
        })
    yaxis = ({"title": {"text": "Σerr², %²"}, "tickformat": ".3~g"} if percent
             else {"title": {"text": "symbols"}, "tickformat": "d", "rangemode": "tozero"})
    return plot.spec(data, plot.layout(title, height=360, legend_below=True, barmode="stack", bargap=0.15,
                                       xaxis=_date_axis(days), yaxis=yaxis))


def flip_share(daily: pl.DataFrame) -> Spec:
    """Share of each day's sum err^2 explained by flips (closer to the T+1 target), in percent."""
    data = [{"type": "bar", "x": _dates(daily), "y": plot.percent(daily["flip_share"].to_list()),
             "name": "flip-explained share", "marker": {"color": fmt.SERIES_COLORS["target_t1"]},
             "hovertemplate": "%{x}<br>%{y:.1f}% of Σerr² from flips<extra></extra>"}]
    return plot.spec(data, plot.layout("Flip-explained share of Σerr² (closer to T+1 than T+2)", height=300,
                                       xaxis=_date_axis(daily["date"].to_list()),
                                       yaxis={"range": [0, 100], "ticksuffix": "%"}))


def error_heatmap(matrix: pl.DataFrame, n_total: int | None = None) -> Spec:
    """Symbol x day heatmap of err_t2 (percent of equity), diverging scale centred at 0; nulls are blank.

    `matrix` is `lib.te_views.heatmap`'s frame: `sym` then one column per ISO day.
    """
    days = [c for c in matrix.columns if c != "sym"]
    syms = matrix["sym"].cast(pl.String).to_list()
    z = [[None if v is None else v * 100.0 for v in row] for row in matrix.select(days).rows()]
    finite = [abs(v) for row in z for v in row if v is not None]
    zmax = max(finite) if finite else 1.0
    # Streamlit reports no clicked point for a heatmap trace, so an invisible marker sits on every cell
    # with a value: it carries the hover text, and a click anywhere selects the nearest cell (its day).
    cells = [(day, sym, v) for sym, row in zip(syms, z) for day, v in zip(days, row) if v is not None]
    data = [{
        "type": "heatmap", "x": days, "y": syms, "z": z, "zmid": 0.0, "zmin": -zmax, "zmax": zmax,
        "colorscale": DIVERGING, "colorbar": {"title": {"text": "err, %"}, "ticksuffix": "%", "thickness": 12},
        "hoverongaps": False, "xgap": 1, "ygap": 1, "hoverinfo": "skip",
    }, {
        "type": "scatter", "mode": "markers", "x": [c[0] for c in cells], "y": [c[1] for c in cells],
        "customdata": [c[2] for c in cells], "marker": {"opacity": 0, "size": 12}, "showlegend": False,
        "hovertemplate": "%{y} %{x}<br>actual − T+2 target %{customdata:+.2f}%<br>click: that day's story"
                         "<extra></extra>",
    }]
    shown = f"top {len(syms)} of {n_total} symbols by largest |err|" if n_total and n_total > len(syms) else \
        f"{len(syms)} symbols"
    return plot.spec(data, plot.layout(
        f"Actual − T+2 target by symbol and day<br><sub>{shown}; blue over, red under</sub>",
        height=max(300, 80 + 16 * len(syms)),
        # fixed ranges: the clickable markers must not pad the axes beyond the cells
        xaxis={"type": "category", "tickangle": -45, "tickfont": {"size": 10}, "range": [-0.5, len(days) - 0.5]},
        yaxis={"range": [len(syms) - 0.5, -0.5], "tickfont": {"size": 10}, "type": "category", "showgrid": False},
        hovermode="closest", hoverdistance=-1,
    ))
