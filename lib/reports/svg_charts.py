"""Small inline-SVG charts for the emailed reports: no JavaScript, no images, no fonts beyond sans-serif.

Each function returns an `<svg>` string sized in pixels. Missing values (None)
are gaps, never zeros. Text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

FONT = "font-family=\"Helvetica,Arial,'DejaVu Sans',sans-serif\""
AXIS = "#98a2b3"
GRID = "#eaecf0"
TEXT = "#475467"


def _scale(lo: float, hi: float, a: float, b: float) -> Callable[[float], float]:
    if hi == lo:
        hi, lo = hi + 1.0, lo - 1.0
    return lambda v: a + (v - lo) * (b - a) / (hi - lo)


def line(
    points: Sequence[tuple[str, float | None]],
    width: int = 300,
    height: int = 120,
    color: str = "#1f5fa8",
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    title: str = "",
) -> str:
    """A line over labelled points (first and last label on the x axis, min/max on the y axis)."""
    vals = [v for _, v in points if v is not None]
    top, bottom, left, right = 22 if title else 8, 20, 8, 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
    ]
    if title:
        parts.append(
            f'<text x="{left}" y="14" font-size="12" font-weight="600" fill="#101828" {FONT}>{escape(title)}</text>'
        )
    if len(vals) < 1:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" font-size="12" fill="{TEXT}" text-anchor="middle" '
            f"{FONT}>no data</text></svg>"
        )
        return "".join(parts)
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.1 or abs(hi) * 0.01 or 1.0
    y = _scale(lo - pad, hi + pad, height - bottom, top)
    n = len(points)
    x = _scale(0, max(n - 1, 1), left, width - right - 60)
    for gy in (lo, hi):
        parts.append(
            f'<line x1="{left}" x2="{width - right - 60}" y1="{y(gy):.1f}" y2="{y(gy):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{width - right - 56}" y="{y(gy) + 4:.1f}" font-size="10" fill="{TEXT}" {FONT}>'
            f"{escape(fmt(gy))}</text>"
        )
    segs: list[list[str]] = []
    cur: list[str] = []
    for i, (_, v) in enumerate(points):
        if v is None:
            if cur:
                segs.append(cur)
            cur = []
        else:
            cur.append(f"{x(i):.1f},{y(v):.1f}")
    if cur:
        segs.append(cur)
    for s in segs:
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(s)}"/>')
    last_i, last_v = [(i, v) for i, (_, v) in enumerate(points) if v is not None][-1]
    parts.append(f'<circle cx="{x(last_i):.1f}" cy="{y(last_v):.1f}" r="3" fill="{color}"/>')
    parts.append(f'<text x="{left}" y="{height - 5}" font-size="10" fill="{TEXT}" {FONT}>{escape(points[0][0])}</text>')
    parts.append(
        f'<text x="{width - right - 60}" y="{height - 5}" font-size="10" fill="{TEXT}" text-anchor="end" '
        f"{FONT}>{escape(points[-1][0])}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def bars(
    points: Sequence[tuple[str, float | None]],
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
) -> str:
    """Vertical bars from zero (None: an empty slot marked 'n/a'), an optional dashed threshold line.

    Negative values go below the zero line (in `negative_color` when given); `label_all` prints every value.
    """
    top, bottom, left, right = 22 if title else 8, 20, 8, 8
    vals = [v for _, v in points if v is not None] + ([threshold] if threshold is not None else [])
    hi = max(vals + [0.0])
    lo = min(vals + [0.0])
    if label_all:
        top += 10
        bottom += 10 if lo < 0 else 0
    span = (hi - lo) or 1.0
    y = _scale(lo - (0.05 * span if lo < 0 else 0.0), hi + 0.15 * span, height - bottom, top)
    n = max(len(points), 1)
    slot = (width - left - right) / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
    ]
    if title:
        parts.append(
            f'<text x="{left}" y="14" font-size="12" font-weight="600" fill="#101828" {FONT}>{escape(title)}</text>'
        )
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{AXIS}"/>')
    for i, (label, v) in enumerate(points):
        cx = left + slot * (i + 0.5)
        if v is None:
            parts.append(
                f'<text x="{cx:.1f}" y="{y(0) - 4:.1f}" font-size="9" fill="{TEXT}" text-anchor="middle" '
                f"{FONT}>n/a</text>"
            )
        else:
            c = highlight_color if i == highlight else (negative_color if v < 0 and negative_color else color)
            y0, y1 = sorted((y(0), y(v)))
            parts.append(
                f'<rect x="{cx - slot * 0.35:.1f}" y="{y0:.1f}" width="{slot * 0.7:.1f}" '
                f'height="{max(y1 - y0, 1.0):.1f}" fill="{c}" rx="2"/>'
            )
            if i == highlight or label_all:
                ty = y(v) - 3 if v >= 0 else y(v) + 11
                parts.append(
                    f'<text x="{cx:.1f}" y="{ty:.1f}" font-size="10" font-weight="600" fill="#101828" '
                    f'text-anchor="middle" {FONT}>{escape(fmt(v))}</text>'
                )
        parts.append(
            f'<text x="{cx:.1f}" y="{height - 5}" font-size="9" fill="{TEXT}" text-anchor="middle" '
            f"{FONT}>{escape(label)}</text>"
        )
    if threshold is not None:
        ty = y(threshold)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#d1343b" '
            f'stroke-dasharray="4 3" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{width - right}" y="{ty - 3:.1f}" font-size="9" fill="#d1343b" text-anchor="end" '
            f"{FONT}>limit {escape(fmt(threshold))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def hbars(
    items: Sequence[tuple[str, float | None]],
    width: int = 300,
    row: int = 20,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    pos: str = "#2e9d5b",
    neg: str = "#d1343b",
    title: str = "",
) -> str:
    """Signed horizontal bars around a zero line (PnL components)."""
    top = 22 if title else 4
    height = top + row * len(items) + 4
    label_w, value_w = 130, 70
    vals = [abs(v) for _, v in items if v is not None] or [1.0]
    span = max(vals) or 1.0
    mid = label_w + (width - label_w - value_w) / 2
    half = (width - label_w - value_w) / 2 - 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
    ]
    if title:
        parts.append(
            f'<text x="0" y="14" font-size="12" font-weight="600" fill="#101828" {FONT}>{escape(title)}</text>'
        )
    parts.append(f'<line x1="{mid:.1f}" x2="{mid:.1f}" y1="{top}" y2="{height - 4}" stroke="{AXIS}"/>')
    for i, (label, v) in enumerate(items):
        cy = top + row * i + row / 2
        parts.append(f'<text x="0" y="{cy + 4:.1f}" font-size="11" fill="{TEXT}" {FONT}>{escape(label)}</text>')
        if v is None:
            parts.append(f'<text x="{mid + 4:.1f}" y="{cy + 4:.1f}" font-size="11" fill="{TEXT}" {FONT}>—</text>')
            continue
        w = abs(v) / span * half
        x0 = mid if v >= 0 else mid - w
        parts.append(
            f'<rect x="{x0:.1f}" y="{cy - 6:.1f}" width="{max(w, 1):.1f}" height="12" rx="2" '
            f'fill="{pos if v >= 0 else neg}"/>'
        )
        parts.append(
            f'<text x="{width}" y="{cy + 4:.1f}" font-size="11" fill="#101828" text-anchor="end" {FONT}>'
            f"{escape(fmt(v))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
