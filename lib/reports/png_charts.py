"""Small PNG charts for the e-mailed reports, drawn with matplotlib's Agg backend (no display, no browser).

Mail clients do not draw inline SVG (Gmail strips it, Outlook's Word engine ignores it); a PNG image carried
inside the message (`cid:`) shows everywhere images are allowed. Each function returns a `Chart`: the PNG at
twice its CSS size (sharp on high-density screens), the size to show it at, and a title for the `alt` text.
Missing values (None) are gaps or "n/a", never zeros. Only matplotlib's object API is used (a `Figure` per
chart, no pyplot state), so charts can be drawn from several threads.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeGuard

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SCALE = 2  # pixels per CSS pixel
FONT = ["DejaVu Sans"]  # ships with matplotlib: the same glyphs on every server
INK, TEXT, AXIS, GRID = "#101828", "#475467", "#98a2b3", "#eaecf0"
LIMIT = "#d1343b"


@dataclass(frozen=True)
class Chart:
    name: str  # a file-name stem, unique within one report ("pnl-components")
    title: str  # the alt text, also drawn above the chart
    png: bytes
    width: int  # CSS pixels to show it at
    height: int


def _figure(width: int, height: int) -> Figure:
    fig = Figure(figsize=(width / 100, height / 100), dpi=100 * SCALE, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _axes(fig: Figure, title: str, left: float = 0.02, right: float = 0.98, bottom: float = 0.16):
    top = 0.80 if title else 0.96
    ax = fig.add_axes((left, bottom, right - left, top - bottom))
    if title:
        fig.text(0.01, 0.97, title, ha="left", va="top", fontsize=9, fontweight="bold", color=INK, family=FONT)
    ax.set_facecolor("white")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(AXIS)
    ax.tick_params(colors=TEXT, labelsize=7, length=0, pad=2)
    for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
        label.set_fontfamily(FONT)
    return ax


def _png(fig: Figure, name: str, title: str, width: int, height: int) -> Chart:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100 * SCALE, facecolor="white", metadata={"Software": None})
    return Chart(name, title, buf.getvalue(), width, height)


def _no_data(fig: Figure, ax) -> None:
    ax.set_axis_off()
    fig.text(0.5, 0.45, "no data", ha="center", va="center", fontsize=8, color=TEXT, family=FONT)


def _finite(v: float | None) -> TypeGuard[float]:
    return v is not None and math.isfinite(v)


def line(
    points: Sequence[tuple[str, float | None]],
    name: str,
    width: int = 300,
    height: int = 120,
    color: str = "#1f5fa8",
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    title: str = "",
) -> Chart:
    """A line over labelled points: first and last label on the x axis, min and max on the right."""
    fig = _figure(width, height)
    ax = _axes(fig, title, right=0.78)
    ys: list[float] = [v if _finite(v) else math.nan for _, v in points]
    shown = [v for v in ys if not math.isnan(v)]
    if not shown:
        _no_data(fig, ax)
        return _png(fig, name, title, width, height)
    xs = list(range(len(points)))
    ax.plot(xs, ys, color=color, linewidth=1.6, solid_joinstyle="round")  # NaN: a gap, never a zero
    last = max(i for i, v in enumerate(ys) if not math.isnan(v))
    ax.plot([last], [ys[last]], marker="o", markersize=3.5, color=color)
    lo, hi = min(shown), max(shown)
    pad = (hi - lo) * 0.1 or abs(hi) * 0.01 or 1.0
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(-0.3, max(len(points) - 1, 1) + 0.3)
    ax.yaxis.tick_right()
    ax.set_yticks([lo, hi] if hi != lo else [lo], [fmt(lo), fmt(hi)] if hi != lo else [fmt(lo)])
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.spines["bottom"].set_visible(False)
    ax.set_xticks([])
    ax.annotate(
        points[0][0],
        (0, 0),
        xycoords="axes fraction",
        xytext=(0, -3),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=7,
        color=TEXT,
        family=FONT,
    )
    if len(points) > 1:
        ax.annotate(
            points[-1][0],
            (1, 0),
            xycoords="axes fraction",
            xytext=(0, -3),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=7,
            color=TEXT,
            family=FONT,
        )
    return _png(fig, name, title, width, height)


def bars(
    points: Sequence[tuple[str, float | None]],
    name: str,
    width: int = 300,
    height: int = 120,
    color: str = "#7fa7d9",
    highlight: int | None = None,
    highlight_color: str = "#1f5fa8",
    threshold: float | None = None,
    fmt: Callable[[float], str] = lambda v: f"{v:.2f}",
    title: str = "",
    negative_color: str | None = None,
    label_all: bool = False,
) -> Chart:
    """Vertical bars from zero (None: an empty slot marked 'n/a'), an optional dashed limit line.

    Negative values go below the zero line (in `negative_color` when given); `label_all` prints every value,
    otherwise only the highlighted bar's.
    """
    fig = _figure(width, height)
    ax = _axes(fig, title)
    if not points:
        _no_data(fig, ax)
        return _png(fig, name, title, width, height)
    values = [v if _finite(v) else None for _, v in points]
    known = [v for v in values if v is not None] + ([threshold] if threshold is not None else [])
    hi, lo = max(known + [0.0]), min(known + [0.0])
    span = (hi - lo) or 1.0
    below = (0.25 if label_all else 0.12) * span if lo < 0 else 0.0  # room for a negative bar's label
    ax.set_ylim(lo - below, hi + 0.22 * span)
    ax.set_xlim(-0.6, len(points) - 0.4)
    ax.set_yticks([])
    ax.axhline(0, color=AXIS, linewidth=0.8)
    ax.spines["bottom"].set_visible(False)
    for i, v in enumerate(values):
        if v is None:
            ax.text(i, 0, "n/a", ha="center", va="bottom", fontsize=6, color=TEXT, family=FONT)
            continue
        c = highlight_color if i == highlight else (negative_color if v < 0 and negative_color else color)
        ax.bar(i, v, width=0.7, color=c)
        if i == highlight or label_all:
            ax.annotate(
                fmt(v),
                (i, v),
                xytext=(0, 2 if v >= 0 else -2),
                textcoords="offset points",
                ha="center",
                va="bottom" if v >= 0 else "top",
                fontsize=7,
                fontweight="bold",
                color=INK,
                family=FONT,
            )
    ax.set_xticks(range(len(points)), [label for label, _ in points])
    if threshold is not None:
        ax.axhline(threshold, color=LIMIT, linewidth=0.9, linestyle=(0, (4, 3)))
        ax.annotate(
            f"limit {fmt(threshold)}",
            (0.0, threshold),
            xycoords=("axes fraction", "data"),
            xytext=(0, 2),
            textcoords="offset points",
            ha="left",  # the highlighted bar (the day itself) is the last, on the right
            va="bottom",
            fontsize=6,
            color=LIMIT,
            family=FONT,
        )
    return _png(fig, name, title, width, height)


def hbars(
    items: Sequence[tuple[str, float | None]],
    name: str,
    width: int = 300,
    row: int = 20,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    pos: str = "#2e9d5b",
    neg: str = "#d1343b",
    title: str = "",
) -> Chart:
    """Signed horizontal bars around a zero line, the label left and the value right of each (PnL components)."""
    height = (22 if title else 6) + row * len(items) + 6
    fig = _figure(width, height)
    top = 1 - (22 if title else 6) / height
    ax = fig.add_axes((0.44, 6 / height, 0.32, top - 6 / height))
    if title:
        fig.text(0.0, 1 - 5 / height, title, ha="left", va="top", fontsize=9, fontweight="bold", color=INK, family=FONT)
    ax.set_axis_off()
    known = [abs(v) for _, v in items if _finite(v)]
    span = max(known) if known and max(known) > 0 else 1.0
    ax.set_xlim(-span * 1.02, span * 1.02)
    ax.set_ylim(len(items) - 0.5, -0.5)
    ax.axvline(0, color=AXIS, linewidth=0.8)
    for i, (label, v) in enumerate(items):
        y = i
        fig_y = ax.transData.transform((0, y))[1] / fig.bbox.height
        fig.text(0.0, fig_y, label, ha="left", va="center", fontsize=7.5, color=TEXT, family=FONT)
        if v is None or not math.isfinite(v):
            fig.text(1.0, fig_y, "—", ha="right", va="center", fontsize=7.5, color=TEXT, family=FONT)
            continue
        ax.barh(y, v, height=0.6, color=pos if v >= 0 else neg)
        fig.text(1.0, fig_y, fmt(v), ha="right", va="center", fontsize=7.5, color=INK, family=FONT)
    return _png(fig, name, title, width, height)
