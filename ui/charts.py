"""Plotly figure builders shared by the pages.

Each builder takes ready-made frames (the maths is done in lib/ and SQL) and
returns a `go.Figure`; pages only call `st.plotly_chart(fig)`. Colours come
from lib.format (CATEGORY_COLORS, SERIES_COLORS) so a category or a series
looks the same everywhere; times are labelled UTC; null values are gaps,
never zeros.

Organised by function:
  * common layout            -- `base_layout`
  * weights (Positions)      -- `weights_vs_target`
  * tracking error over time -- `te_lines`, `category_stack`, `flip_share`, `error_heatmap`
  * category-coloured tables -- `category_table` (a pandas Styler for st.dataframe)
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Iterable

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from lib import format as fmt

FONT = "sans-serif"
GRID = "#e6e9ee"
DIVERGING = [[0.0, "#b2182b"], [0.25, "#ef8a62"], [0.5, "#f7f7f7"], [0.75, "#67a9cf"], [1.0, "#2166ac"]]


# --- common layout -------------------------------------------------------------
LEGEND_ABOVE = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0}
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0.0, "font": {"size": 11}}


def base_layout(fig: go.Figure, title: str | None = None, height: int = 360, legend_below: bool = False,
                **kwargs) -> go.Figure:
    """Common look: white background, light grid, legend above the plot (or below it), compact margins."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}} if title else None,
        height=height,
        margin={"l": 10, "r": 10, "t": 60 if title else 30, "b": 10},
        plot_bgcolor="white",
        paper_bgcolor="white",
        font={"family": FONT, "size": 12},
        legend=LEGEND_BELOW if legend_below else LEGEND_ABOVE,
        hoverlabel={"font_size": 12},
        **kwargs,
    )
    fig.update_xaxes(showgrid=False, linecolor="#c5cbd3")
    fig.update_yaxes(gridcolor=GRID, zerolinecolor="#9aa3ad")
    return fig


def _dates(df: pl.DataFrame, col: str = "date") -> list[str]:
    return [d.isoformat() for d in df[col].to_list()]


def _date_axis(fig: go.Figure, days: list | None = None) -> None:
    """A daily date axis; with `days`, spanning the whole range (half a day of padding each side)."""
    fig.update_xaxes(type="date", tickformat="%b %d")
    if days:
        lo = datetime.combine(days[0], time()) - timedelta(hours=12)
        hi = datetime.combine(days[-1], time()) + timedelta(hours=12)
        fig.update_xaxes(range=[lo.isoformat(), hi.isoformat()])


def _pct(values: Iterable[float | None]) -> list[float | None]:
    """Fractions to percent, keeping None (a gap)."""
    return [None if v is None else v * 100.0 for v in values]


# --- weights (Positions page) ----------------------------------------------------
def weights_vs_target(table: pl.DataFrame, max_symbols: int | None = None) -> go.Figure:
    """Grouped bars, actual weight vs T+2 target per symbol, in the table's order (largest |err| first).

    `table` has `sym, actual_weight, weight_t2` and optionally `category`, `err_t2`;
    the hover shows the category and the gap. Unpriced rows have no actual bar.
    """
    df = table if max_symbols is None else table.head(max_symbols)
    syms = df["sym"].cast(pl.String).to_list()
    cats = df["category"].to_list() if "category" in df.columns else [None] * df.height
    errs = df["err_t2"].to_list() if "err_t2" in df.columns else [None] * df.height
    hover = [f"{c or 'n/a'}<br>gap {fmt.weight(e)}" for c, e in zip(cats, errs)]
    fig = go.Figure()
    fig.add_bar(
        x=syms,
        y=_pct(df["actual_weight"].to_list()),
        name="Actual",
        marker_color=fmt.SERIES_COLORS["actual"],
        customdata=hover,
        hovertemplate="%{x} actual %{y:+.2f}%<br>%{customdata}<extra></extra>",
    )
    fig.add_bar(
        x=syms,
        y=_pct(df["weight_t2"].to_list()),
        name="T+2 target",
        marker_color=fmt.SERIES_COLORS["target_t2"],
        hovertemplate="%{x} T+2 target %{y:+.2f}%<extra></extra>",
    )
    shown = f", top {df.height} of {table.height}" if df.height < table.height else ""
    base_layout(fig, f"Actual vs T+2 target weight (% of equity), largest gap first{shown}", height=380,
                barmode="group", bargap=0.25)
    fig.update_xaxes(tickangle=-60, tickfont={"size": 10}, type="category")
    fig.update_yaxes(title_text="weight, % of equity", ticksuffix="%")
    return fig


# --- tracking error over time (Tracking Error page) ---------------------------------
def te_lines(daily: pl.DataFrame, window: int) -> go.Figure:
    """Daily weight-space TE (left axis) and rolling ex-post TE, annualised (right axis). Nulls are gaps."""
    x = _dates(daily)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_pct(daily["te"].to_list()),
            name="Daily TE (weight space, √Σerr²)",
            mode="lines+markers",
            line={"color": fmt.SERIES_COLORS["te"], "width": 2},
            marker={"size": 5},
            connectgaps=False,
            hovertemplate="%{x}<br>daily TE %{y:.2f}%<extra></extra>",
        ),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_pct(daily["ex_post_te"].to_list()),
            name=f"Ex-post TE, {window}-day rolling, annualised ×√365",
            mode="lines+markers",
            line={"color": fmt.SERIES_COLORS["ex_post_te"], "width": 2, "dash": "dot"},
            marker={"size": 4},
            connectgaps=False,
            hovertemplate="%{x}<br>ex-post TE %{y:.2f}%<extra></extra>",
        ),
        secondary_y=True,
    )
    base_layout(fig, "Tracking error by day (UTC holdings date)", height=360)
    fig.update_yaxes(title_text="daily TE, % of equity", ticksuffix="%", tickformat=".1f", rangemode="tozero",
                     secondary_y=False)
    fig.update_yaxes(title_text=f"ex-post TE ({window}d, ann.), %", ticksuffix="%", tickformat=".1f",
                     rangemode="tozero", showgrid=False, secondary_y=True)
    _date_axis(fig, daily["date"].to_list())
    return fig


def category_stack(by_cat: pl.DataFrame, value: str, title: str, categories: Iterable[str],
                   days: list | None = None, percent: bool = False) -> go.Figure:
    """Stacked bars per day, one trace per category (CATEGORY_COLORS), from `date, category, <value>`.

    `days` fixes the x axis to the whole range so a day without data is an empty slot.
    `percent` shows fractions as percent (used for sum err^2, in %^2 of equity).
    """
    fig = go.Figure()
    for cat in categories:
        sub = by_cat.filter(pl.col("category") == cat)
        if sub.height == 0:
            continue
        ys = sub[value].to_list()
        if percent:
            ys = [None if v is None else v * 1e4 for v in ys]  # fraction^2 -> (%)^2
        fig.add_bar(
            x=_dates(sub),
            y=ys,
            name=cat,
            marker_color=fmt.CATEGORY_COLORS.get(cat, "#777"),
            hovertemplate=f"%{{x}}<br>{cat}: %{{y:.3g}}<extra></extra>" if percent
            else f"%{{x}}<br>{cat}: %{{y}}<extra></extra>",
        )
    base_layout(fig, title, height=360, legend_below=True, barmode="stack", bargap=0.15)
    if percent:
        fig.update_yaxes(title_text="Σerr², %²", tickformat=".3~g")
    else:
        fig.update_yaxes(title_text="symbols", tickformat="d", rangemode="tozero")
    _date_axis(fig, days)
    return fig


def flip_share(daily: pl.DataFrame) -> go.Figure:
    """Share of each day's sum err^2 explained by flips (closer to the T+1 target), in percent."""
    fig = go.Figure()
    fig.add_bar(
        x=_dates(daily),
        y=_pct(daily["flip_share"].to_list()),
        name="flip-explained share",
        marker_color=fmt.SERIES_COLORS["target_t1"],
        hovertemplate="%{x}<br>%{y:.1f}% of Σerr² from flips<extra></extra>",
    )
    base_layout(fig, "Flip-explained share of Σerr² (closer to T+1 than T+2)", height=300)
    fig.update_yaxes(range=[0, 100], ticksuffix="%")
    _date_axis(fig, daily["date"].to_list())
    return fig


def error_heatmap(matrix: pl.DataFrame, n_total: int | None = None) -> go.Figure:
    """Symbol x day heatmap of err_t2 (percent of equity), diverging scale centred at 0; nulls are blank.

    `matrix` is `lib.te_views.heatmap`'s frame: `sym` then one column per ISO day.
    """
    days = [c for c in matrix.columns if c != "sym"]
    syms = matrix["sym"].cast(pl.String).to_list()
    z = [[None if v is None else v * 100.0 for v in row] for row in matrix.select(days).rows()]
    finite = [abs(v) for row in z for v in row if v is not None]
    zmax = max(finite) if finite else 1.0
    fig = go.Figure(
        go.Heatmap(
            x=days,
            y=syms,
            z=z,
            zmid=0.0,
            zmin=-zmax,
            zmax=zmax,
            colorscale=DIVERGING,
            colorbar={"title": {"text": "err, %"}, "ticksuffix": "%", "thickness": 12},
            hoverongaps=False,
            xgap=1,
            ygap=1,
            hovertemplate="%{y} %{x}<br>actual − T+2 target %{z:+.2f}%<extra></extra>",
        )
    )
    shown = f"top {len(syms)} of {n_total} symbols by largest |err|" if n_total and n_total > len(syms) else \
        f"{len(syms)} symbols"
    base_layout(fig, f"Actual − T+2 target by symbol and day ({shown}; blue over, red under)",
                height=max(300, 80 + 16 * len(syms)))
    fig.update_yaxes(autorange="reversed", tickfont={"size": 10}, type="category", showgrid=False)
    fig.update_xaxes(type="category", tickangle=-45, tickfont={"size": 10})
    return fig


# --- category-coloured tables ----------------------------------------------------------
def _text_on(hex_colour: str) -> str:
    """Black or white, whichever reads better on `hex_colour`."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 160 else "#ffffff"


def _category_css(value: object) -> str:
    colour = fmt.CATEGORY_COLORS.get(str(value)) if value is not None else None
    return f"background-color: {colour}; color: {_text_on(colour)}" if colour else ""


WEIGHT_COLUMNS = ("actual_weight", "weight_t2", "weight_t1", "err_t2", "err_t1")


def category_table(df: pl.DataFrame, usd_columns: Iterable[str] = ("notional_usd",),
                   number_columns: Iterable[str] = ("pos_units", "bn_px")):
    """A Styler for st.dataframe: `category` cells in CATEGORY_COLORS, weights as signed %, USD, units.

    The underlying numbers stay numeric (sorting works); missing values show as lib.format.MISSING.
    """
    pdf = df.to_pandas()
    formats = {}
    for c in pdf.columns:
        if c in WEIGHT_COLUMNS:
            formats[c] = fmt.weight
        elif c in usd_columns:
            formats[c] = fmt.usd
        elif c in number_columns:
            formats[c] = lambda x: fmt.number(x, 6 if x is not None and abs(x) < 1 else 4)
    styler = pdf.style.format(formats, na_rep=fmt.MISSING)
    if "category" in pdf.columns:
        styler = styler.map(_category_css, subset=["category"])
    return styler
