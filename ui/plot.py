"""The dashboard's one chart look, and the one way a chart reaches the page.

Chart builders (ui/*charts.py) return a figure *spec*: a plain
`{"data": [trace, ...], "layout": {...}}` made of dicts, lists and numbers.
They do not grow a `go.Figure` with `update_layout`/`update_xaxes` calls:
Plotly's object model re-validates and re-walks the figure on every such
call (10-20 ms a chart, most of a page's Python time), while a nested dict is
built in microseconds. `show(spec)` hands the finished spec to Streamlit
without a second pass through Plotly (`SpecFigure`); the tests validate every
builder's spec with Plotly (`tests/ui/spec_check.py`), so a misspelt property
still fails a test.

The look lives here only: `layout()` for the frame of every chart, `AXIS_X`,
`AXIS_Y` for axes, `merge()` to add to them. Colours per category/series come
from lib.format.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from lib import format as fmt

FONT = "sans-serif"
GRID = "#e6e9ee"
AXIS_LINE = "#c5cbd3"
ZERO_LINE = "#9aa3ad"
NOTE_COLOR = "#7d8793"

AXIS_X: dict[str, Any] = {"showgrid": False, "linecolor": AXIS_LINE}
AXIS_Y: dict[str, Any] = {"gridcolor": GRID, "zerolinecolor": ZERO_LINE}
# Above the plot, left-aligned under the title. The title is pinned to the top of the figure, and the
# legend (which pushes the top margin as it wraps onto more lines on a narrow screen) carries a blank
# two-line title of its own, as tall as the chart's title band: the chart's title sits in that blank
# band, so however many lines the legend takes (also after a resize) it never runs into the title.
LEGEND_ABOVE: dict[str, Any] = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0.0}
_LEGEND_UNDER_TITLE: dict[str, Any] = {"title": {"text": "\u00a0<br>\u00a0", "side": "top left"}}
TITLE_PINNED: dict[str, Any] = {
    "x": 0,
    "xanchor": "left",
    "y": 1,
    "yref": "container",
    "yanchor": "top",
    "pad": {"t": 12},
    "font": {"size": 15},
}
LEGEND_BELOW: dict[str, Any] = {
    "orientation": "h",
    "yanchor": "top",
    "y": -0.12,
    "xanchor": "left",
    "x": 0.0,
    "font": {"size": 11},
}
# One date-label style on every time axis: "Dec 05"; within a day "14:00" over "Dec 05"; beyond months "Dec 2025".
DATE_TICKS: list[dict[str, Any]] = [
    {"dtickrange": [None, 86_400_000], "value": "%H:%M<br>%b %d"},
    {"dtickrange": [86_400_000, "M1"], "value": "%b %d"},
    {"dtickrange": ["M1", None], "value": "%b %Y"},
]
DATE_AXIS: dict[str, Any] = {"type": "date", "tickformatstops": DATE_TICKS}
# a trace without its own colour takes the dashboard's series colours, never Plotly's defaults
COLORWAY: list[str] = list(dict.fromkeys(fmt.SERIES_COLORS.values()))

Spec = dict[str, Any]

# Times go to a date axis as naive UTC text: Plotly reads it as is (no browser time zone shift), and
# polars writes a whole column at once (a list of datetimes would be converted to JSON one by one).
TIME_TEXT = "%Y-%m-%dT%H:%M:%S%.3f"
# a series whose points are minutes or hours apart (equity marks, exposure buckets): 16 characters a point, not 23;
# hover text shows minutes at most
MINUTE_TEXT = "%Y-%m-%d %H:%M"
# a percent on a chart keeps 4 decimals (0.01 bp): more than any hover or tick shows, and ~8 bytes a point, not ~18
PERCENT_DECIMALS = 4
DAY_TEXT = "%Y-%m-%d"


def naive_utc(df: pl.DataFrame, *cols: str) -> pl.DataFrame:
    """Tz-aware datetime columns as naive UTC (for tables and chart text; the values stay UTC)."""
    exprs = [
        pl.col(c).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        for c in cols
        if c in df.columns and isinstance(df.schema[c], pl.Datetime) and df.schema[c].time_zone
    ]
    return df.with_columns(exprs) if exprs else df


def utc_text(values: pl.Series, pattern: str = TIME_TEXT) -> list[str | None]:
    """A datetime (or date) column as naive UTC text for a date axis; null stays None (a gap)."""
    if isinstance(values.dtype, pl.Datetime) and values.dtype.time_zone:
        values = values.dt.convert_time_zone("UTC")
    return values.dt.strftime(pattern).to_list()


def utc_iso(ts: datetime) -> str:
    """One timestamp as `utc_text` writes it (aware values converted to UTC, naive ones taken as UTC)."""
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}"


def merge(base: dict[str, Any], *overrides: dict[str, Any] | None) -> dict[str, Any]:
    """A new dict: `base` with each override applied on top, nested dicts merged key by key."""
    out = dict(base)
    for over in overrides:
        for k, v in (over or {}).items():
            out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def layout(
    title: str | None = None,
    height: int = 360,
    *,
    legend_below: bool = False,
    xaxis: dict[str, Any] | None = None,
    yaxis: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The frame of every chart: white, light grid, legend above (or below) the plot, compact margins.

    `xaxis`/`yaxis` are merged over the common axis look; `extra` is any other
    layout property (barmode, yaxis2, hovermode, shapes ...), taken as given.
    """
    out: dict[str, Any] = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 60 if title else 30, "b": 10},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "font": {"family": FONT, "size": 12},
        "legend": LEGEND_BELOW
        if legend_below
        else (merge(LEGEND_ABOVE, _LEGEND_UNDER_TITLE) if title else LEGEND_ABOVE),
        "hoverlabel": {"font": {"size": 12}},
        # Plotly shrinks a bar's text to fit the bar (the waterfall's values read ~6 px at 800 px): never
        # below 11 px
        "uniformtext": {"minsize": 11, "mode": "show"},
        "colorway": COLORWAY,
        "xaxis": merge(AXIS_X, xaxis),
        "yaxis": merge(AXIS_Y, yaxis),
    }
    if title:
        out["title"] = {"text": title, **TITLE_PINNED}
    out.update(extra)
    for name, axis in out.items():
        # a second y axis drawn over the first: Plotly's default ("sync") puts its ticks at the first axis's
        # gridlines, at values like 0.192764%; its own evenly spaced, rounded ticks instead
        if name.startswith("yaxis") and isinstance(axis, dict) and "overlaying" in axis and "tickmode" not in axis:
            mode = "array" if "tickvals" in axis else "linear" if "dtick" in axis else "auto"
            out[name] = axis = {**axis, "tickmode": mode}
    for name, axis in out.items():  # every time axis gets the one date-label style
        if (
            name.startswith("xaxis")
            and isinstance(axis, dict)
            and axis.get("type") == "date"
            and "tickformat" not in axis
            and "tickformatstops" not in axis
        ):
            out[name] = {**axis, "tickformatstops": DATE_TICKS}
    return out


def spec(data: list[dict[str, Any]], layout_: dict[str, Any]) -> Spec:
    return {"data": data, "layout": layout_}


def empty(title: str, note: str) -> Spec:
    """A titled, axis-less chart frame with a grey note saying why there is nothing to draw."""
    return spec(
        [],
        layout(
            title,
            height=220,
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": note,
                    "showarrow": False,
                    "x": 0.5,
                    "y": 0.5,
                    "xref": "paper",
                    "yref": "paper",
                    "font": {"color": NOTE_COLOR},
                }
            ],
        ),
    )


def percent(values: Iterable[float | None]) -> list[float | None]:
    """Fractions as percent for a chart, keeping None (a gap, never 0)."""
    return [None if v is None else round(v * 100.0, PERCENT_DECIMALS) for v in values]


class SpecFigure(go.Figure):
    """A finished spec handed to `st.plotly_chart` as is.

    `st.plotly_chart` accepts a `go.Figure` and reads it once, through
    `to_dict()`, before serialising it to JSON; a plain dict it would first
    rebuild (and re-validate) as a `go.Figure`. This figure skips Plotly's
    object model entirely (building it costs more than the chart's data) and
    answers `to_dict()` with the spec. It supports nothing else; the tests
    validate every spec as a real `go.Figure(spec)`.
    """

    def __init__(self, fig_spec: Spec) -> None:  # noqa: D107 - deliberately no super().__init__
        self._spec = fig_spec

    def to_dict(self) -> dict[str, Any]:
        return {"data": self._spec.get("data", []), "layout": self._spec.get("layout", {})}


def show(fig_spec: Spec, key: str | None = None, clickable: bool = False) -> Any:
    """Draw a chart spec on the page (full width; the mode bar without Plotly's logo).

    `clickable`: a click on a point (a heatmap cell) reruns the page and the returned state's
    `selection.points` holds it (needs a `key`)."""
    if clickable:
        return st.plotly_chart(
            SpecFigure(fig_spec), key=key, config={"displaylogo": False}, on_select="rerun", selection_mode="points"
        )
    return st.plotly_chart(SpecFigure(fig_spec), key=key, config={"displaylogo": False})


def clicked_point(state: Any) -> dict[str, Any] | None:
    """The point a `show(..., clickable=True)` chart was last clicked on, or None."""
    try:
        points = state["selection"]["points"]
    except (KeyError, TypeError):
        return None
    return points[0] if points else None
