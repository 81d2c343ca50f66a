"""Chart specs for the Tracking Error page.

Each builder takes ready-made frames (the maths is done in lib/ and SQL) and
returns a figure spec for `ui.plot.show` (see ui/plot.py for why specs, not
`go.Figure` updates). Colours come from lib.format (CATEGORY_COLORS,
SERIES_COLORS) so a category or a series looks the same everywhere; times are
labelled UTC; null values are gaps, never zeros.

Builders: `te_lines`, `category_stack`, `flip_share`, `error_heatmap`, `lag_strip`, `lag_share`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

import polars as pl

from lib import config
from lib import format as fmt
from lib.tracking import lag as execution_lag
from ui import plot
from ui.plot import Spec

DAY_MS = 86_400_000  # a bar's width on a date axis is in milliseconds
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
    """Daily weight-space TE (left axis) and rolling ex-post TE, annualised (right axis), on one scale. Nulls are
    gaps."""
    x = _dates(daily)
    daily_te, ex_post = plot.percent(daily["te"].to_list()), plot.percent(daily["ex_post_te"].to_list())
    # one scale on both axes: the lines' heights compare as their numbers do (on scales of their own, a 0.72%
    # ex-post line was drawn above a 1% daily line)
    top = max([v for v in daily_te + ex_post if v is not None and math.isfinite(v)], default=0.0)
    shared = {"range": [0, top * 1.08]} if top > 0 else {"rangemode": "tozero"}
    data = [
        {
            "type": "scatter",
            "x": x,
            "y": daily_te,
            "name": "Daily TE (weight space, √Σerr²)",
            "mode": "lines+markers",
            "line": {"color": fmt.SERIES_COLORS["te"], "width": 2},
            "marker": {"size": 5},
            "connectgaps": False,
            "hovertemplate": "%{x}<br>daily TE %{y:.2f}%<extra></extra>",
        },
        {
            "type": "scatter",
            "x": x,
            "y": ex_post,
            "yaxis": "y2",
            "name": f"Ex-post TE, {window}-day rolling, annualised ×√365",
            "mode": "lines+markers",
            "line": {"color": fmt.SERIES_COLORS["ex_post_te"], "width": 2, "dash": "dot"},
            "marker": {"size": 4},
            "connectgaps": False,
            "hovertemplate": "%{x}<br>ex-post TE %{y:.2f}%<extra></extra>",
        },
    ]
    return plot.spec(
        data,
        plot.layout(
            "Tracking error by day (UTC holdings date)",
            height=360,
            xaxis=_date_axis(daily["date"].to_list()),
            # "~g" keeps Plotly's evenly spaced ticks readable as they are (0.25, 0.5, 0.75: a fixed ".1f"
            # printed them 0.3, 0.5, 0.8, which reads as uneven spacing)
            yaxis={
                "title": {"text": "daily TE, % of equity"},
                "ticksuffix": "%",
                "tickformat": "~g",
                **shared,
            },
            yaxis2=plot.merge(
                plot.AXIS_Y,
                {
                    "title": {"text": f"ex-post TE ({window}d, ann.), %"},
                    "ticksuffix": "%",
                    "tickformat": "~g",
                    **shared,
                    "showgrid": False,
                    "overlaying": "y",
                    "side": "right",
                },
            ),
        ),
    )


def category_stack(
    by_cat: pl.DataFrame,
    value: str,
    title: str,
    categories: Iterable[str],
    days: list | None = None,
    percent: bool = False,
) -> Spec:
    """Stacked bars per day, one trace per category (CATEGORY_COLORS), from `date, category, <value>`.

    `days` fixes the x axis to the whole range so a day without data is an empty slot.
    `percent` shows fractions as percent (used for sum err^2, in %^2 of equity).
    """
    categories = list(categories)
    parts = by_cat.partition_by("category", as_dict=True, maintain_order=True) if by_cat.height else {}
    data = []
    for cat in categories:
        sub = parts.get((cat,))
        if sub is None or sub.height == 0:
            continue
        ys = sub[value].to_list()
        if percent:
            ys = [None if v is None else v * 1e4 for v in ys]  # fraction^2 -> (%)^2
        data.append(
            {
                "type": "bar",
                "x": _dates(sub),
                "y": ys,
                "name": cat,
                "marker": {"color": fmt.CATEGORY_COLORS.get(cat, "#777")},
                "hovertemplate": f"%{{x}}<br>{cat}: %{{y:.3g}}<extra></extra>"
                if percent
                else f"%{{x}}<br>{cat}: %{{y}}<extra></extra>",
            }
        )
    if percent:
        yaxis: dict = {"title": {"text": "Σerr², %²"}, "tickformat": ".3~g"}
    else:  # symbol counts: whole-number ticks only (Plotly would step by 0.5 on a small range)
        yaxis = {
            "title": {"text": "symbols"},
            "tickformat": "d",
            "rangemode": "tozero",
            # the step from the categories drawn: the tallest day of all of them (60 matched symbols) gave
            # a step of 10 to bars of 1-5 symbols, and a lone 0 tick
            "dtick": _count_dtick(by_cat.filter(pl.col("category").is_in(list(categories))), value),
        }
    return plot.spec(
        data,
        plot.layout(
            title, height=360, legend_below=True, barmode="stack", bargap=0.15, xaxis=_date_axis(days), yaxis=yaxis
        ),
    )


def _count_dtick(by_cat: pl.DataFrame, value: str) -> int:
    """A whole-number tick step for stacked daily counts: about 5-10 ticks up to the tallest day."""
    top = by_cat.group_by("date").agg(pl.col(value).sum())[value].max() if by_cat.height else 0
    top = int(top or 0)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if top / step <= 8:
            return step
    return max(1, top // 8)


def flip_share(daily: pl.DataFrame) -> Spec:
    """Share of each day's sum err^2 explained by flips (closer to the T+1 target), in percent."""
    data = [
        {
            "type": "bar",
            "x": _dates(daily),
            "y": plot.percent(daily["flip_share"].to_list()),
            "name": "flip-explained share",
            "marker": {"color": fmt.SERIES_COLORS["target_t1"]},
            "hovertemplate": "%{x}<br>%{y:.1f}% of Σerr² from flips<extra></extra>",
        }
    ]
    return plot.spec(
        data,
        plot.layout(
            f"Flip-explained share of Σerr² (closer to T+1 than T+2, targets more than "
            f"{config.FLIP_MIN_TARGET_GAP * 100:g}% apart)",
            height=300,
            xaxis=_date_axis(daily["date"].to_list()),
            yaxis={"range": [0, 100], "ticksuffix": "%"},
        ),
    )


HEATMAP_MAX_LABELS = 10  # date labels under the heatmap, at most (every k-th column): "Jul 07" side by side at 800 px


def _column_ticks(columns: list[str]) -> dict[str, Any]:
    """Category-axis labels for ISO-day columns: 'Dec 01' (with the year on the first column and on each
    January), every k-th column so at most HEATMAP_MAX_LABELS show, 11 px, level."""
    step = max(1, -(-len(columns) // HEATMAP_MAX_LABELS))
    labelled = columns[::step]
    text = [
        datetime.fromisoformat(c).strftime("%b %d<br>%Y" if i == 0 or (c[5:7] == "01" and c[8:] <= "07") else "%b %d")
        for i, c in enumerate(labelled)
    ]
    return {"tickmode": "array", "tickvals": labelled, "ticktext": text, "tickangle": 0, "tickfont": {"size": 11}}


def error_heatmap(matrix: pl.DataFrame, n_total: int | None = None, weekly: bool = False) -> Spec:
    """Symbol x day heatmap of err_t2 (percent of equity), diverging scale centred at 0; nulls are blank.

    `matrix` is `lib.tracking.daily.heatmap`'s frame: `sym` then one column per ISO day, or with `weekly`
    one per week (its Monday; the cell is the week's largest |err| day).
    """
    days = [c for c in matrix.columns if c != "sym"]
    syms = [fmt.plot_text(s) for s in matrix["sym"].cast(pl.String).to_list()]  # axis labels from the data
    z = [[None if v is None else v * 100.0 for v in row] for row in matrix.select(days).rows()]
    finite = [abs(v) for row in z for v in row if v is not None]
    zmax = max(finite) if finite else 1.0
    # Streamlit reports no clicked point for a heatmap trace, so an invisible marker sits on every cell
    # with a value: it carries the hover text, and a click anywhere selects the nearest cell (its day).
    cells = [(day, sym, v) for sym, row in zip(syms, z) for day, v in zip(days, row) if v is not None]
    data = [
        {
            "type": "heatmap",
            "x": days,
            "y": syms,
            "z": z,
            "zmid": 0.0,
            "zmin": -zmax,
            "zmax": zmax,
            "colorscale": DIVERGING,
            "colorbar": {"title": {"text": "err, %"}, "ticksuffix": "%", "thickness": 12},
            "hoverongaps": False,
            "xgap": 1,
            "ygap": 1,
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "x": [c[0] for c in cells],
            "y": [c[1] for c in cells],
            "customdata": [c[2] for c in cells],
            "marker": {"opacity": 0, "size": 12},
            "showlegend": False,
            "hovertemplate": (
                "%{y} week of %{x}<br>worst day: actual − T+2 target %{customdata:+.2f}%<br>click: that worst"
                " day's story<extra></extra>"
                if weekly
                else "%{y} %{x}<br>actual − T+2 target %{customdata:+.2f}%<br>click: that day's story<extra></extra>"
            ),
        },
    ]
    shown = (
        f"top {len(syms)} of {n_total} symbols by largest |err|"
        if n_total and n_total > len(syms)
        else f"{len(syms)} symbols"
    )
    return plot.spec(
        data,
        plot.layout(
            f"Actual − T+2 target by symbol and {'week (UTC, from Monday)' if weekly else 'day'}<br><sub>{shown}; "
            f"blue over, red under{'; a cell is the week’s largest |err| day' if weekly else ''}</sub>",
            height=max(300, 90 + 17 * len(syms)),
            # fixed ranges: the clickable markers must not pad the axes beyond the cells
            xaxis={"type": "category", "range": [-0.5, len(days) - 0.5], **_column_ticks(days)},
            yaxis={"range": [len(syms) - 0.5, -0.5], "tickfont": {"size": 11}, "type": "category", "showgrid": False},
            hovermode="closest",
            hoverdistance=-1,
        ),
    )


# --- effective execution lag (Tracking Error page) ----------------------------------
def _lag_hover(row: dict, lags: tuple[int, ...]) -> str:
    best = row["best_lag"]
    parts = " · ".join(f"D−{k} {fmt.pct(row[f'te_lag{k}'], 2)}" for k in lags)
    if best is None:
        head = f"{row['date'].isoformat()}: no lag known"
    elif row["effective_lag"] is None:
        head = f"{row['date'].isoformat()}: {row['kind']} (smallest TE at D−{best}, not clearly below D−2's)"
    else:
        head = f"{row['date'].isoformat()}: D−{row['effective_lag']}, {row['kind']}"
    return f"{head}<br>TE vs targets {parts}"


def lag_strip(days: pl.DataFrame, lags: tuple[int, ...], scheduled: int) -> Spec:
    """One cell per day coloured by its effective lag (lib.format.LAG_COLORS); hover shows the TE at every lag.

    `days` is `lib.tracking.lag.lag_days`: `date, te_lag0.., best_lag, effective_lag, kind`. The colour is the
    day's one classification (`lib.tracking.lag.effective`, as its verdict and `cli lag`): a best lag that is not
    clearly better than the schedule is a "no clear lag" cell, a day without any lag a grey one.
    """
    rows = days.to_dicts()
    data = []
    groups: list[tuple[str, str, str, list[dict]]] = []
    for lag in lags:
        sel = [r for r in rows if r["effective_lag"] == lag]
        name = f"D−{lag}" + (" (schedule)" if lag == scheduled else "")
        groups.append((name, fmt.LAG_COLORS[lag], f"D−{lag}", sel))
    unclear = [r for r in rows if r["effective_lag"] is None and r["best_lag"] is not None]
    groups.append(("no clear lag", fmt.LAG_NO_CLEAR_COLOR, "≈", unclear))
    unknown = [r for r in rows if r["best_lag"] is None and r["kind"] != execution_lag.PENDING]  # pending: no cell
    groups.append(("unknown", fmt.LAG_UNKNOWN_COLOR, "?", unknown))
    for name, color, text, sel in groups:
        if not sel:
            continue
        data.append(
            {
                "type": "bar",
                "x": [r["date"].isoformat() for r in sel],
                "y": [1] * len(sel),
                "name": name,
                "width": [DAY_MS * 0.92] * len(sel),  # one day wide, also for a lag seen on a single day
                "marker": {"color": color, "line": {"width": 0}},
                "text": [text] * len(sel),
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textfont": {"color": "white", "size": 11},
                "hovertext": [_lag_hover(r, lags) for r in sel],
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    return plot.spec(
        data,
        plot.layout(
            "Effective execution lag by day (the targets the book tracked clearly best)",
            height=170,
            barmode="overlay",
            bargap=0.08,
            xaxis=_date_axis(days["date"].to_list()),
            yaxis={"visible": False, "range": [0, 1], "fixedrange": True},
        ),
    )


def lag_share(shares: pl.DataFrame, scheduled: int) -> Spec:
    """Share of the range's days at each effective lag and with no clear lag (horizontal bars, day counts as text)."""
    labels = [
        lbl + (" (schedule)" if lag == scheduled else "")
        for lag, lbl in zip(shares["lag"].to_list(), shares["label"].to_list())
    ]
    colors = [fmt.LAG_NO_CLEAR_COLOR if lag is None else fmt.LAG_COLORS[lag] for lag in shares["lag"].to_list()]
    share = plot.percent(shares["share"].to_list())
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": labels,
            "x": share,
            "marker": {"color": colors},
            "text": [f"{n} d" for n in shares["n_days"].to_list()],
            # beside the bar: inside, a one-day bar is narrower than its 11 px label, which ran over the axis
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "%{y}: %{x:.0f}% of days<extra></extra>",
            "showlegend": False,
        }
    ]
    return plot.spec(
        data,
        plot.layout(
            "Share of days at each lag",
            height=170,
            # room past 100% for a full bar's label; with a 20-point step the last tick is 100%
            xaxis={"range": [0, 112], "dtick": 20, "ticksuffix": "%", "showgrid": True, "gridcolor": plot.GRID},
            yaxis={"autorange": "reversed", "type": "category"},
        ),
    )
