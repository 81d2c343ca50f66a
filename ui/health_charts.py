"""Plotly figures and display tables for System Health (and the Overview badge).

Builders only: they take the frames `lib/health.py` produced and return a
figure or a display frame; nothing here queries or computes a status.
Colours come from `lib.format` (STATUS_COLORS for statuses).
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Sequence

import pandas as pd
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from lib import format as fmt
from lib import health as rules

STATUS_BADGE = {"OK": "green", "LATE": "orange", "DOWN": "red", "UNKNOWN": "gray", "N/A": "gray"}
STATUS_ICON = {
    "OK": ":material/check_circle:",
    "LATE": ":material/schedule:",
    "DOWN": ":material/error:",
    "UNKNOWN": ":material/help:",
    "N/A": ":material/remove:",
}
STATUS_TEXT = {"OK": "#ffffff", "LATE": "#1b1b1b", "DOWN": "#ffffff", "UNKNOWN": "#1b1b1b", "N/A": "#1b1b1b"}
# one colour per line in multi-series charts (tables, sync targets), all from lib.format
PALETTE: tuple[str, ...] = tuple(dict.fromkeys([
    fmt.SERIES_COLORS["equity"], fmt.CATEGORY_COLORS["MISSING_POSITION"], fmt.CATEGORY_COLORS["EXTRA_POSITION"],
    fmt.CATEGORY_COLORS["MATCHED"], fmt.CATEGORY_COLORS["MAGNITUDE_ERROR"], fmt.SERIES_COLORS["unrealized"],
    fmt.CATEGORY_COLORS["UNPRICED"], fmt.CATEGORY_COLORS["WRONG_DIRECTION"], fmt.CATEGORY_COLORS["MATCHED_ZERO"],
]))
_LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), hovermode="closest",
               legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0))


def _status_color(s: str) -> str:
    return fmt.STATUS_COLORS.get(s, fmt.STATUS_COLORS["UNKNOWN"])


# ------------------------------------------------------------------ figures


def monitor_timeline(segs: pl.DataFrame, start: datetime, end: datetime, order: Sequence[str]) -> go.Figure:
    """One row per monitor, coloured by status over [start, end] (merged segments)."""
    fig = go.Figure()
    for status in rules.STATUS_ORDER:
        part = segs.filter(pl.col("status") == status) if segs.height else segs
        if part.height == 0:
            continue
        starts = part["start"].to_list()
        ends = part["end"].to_list()
        dur_ms = [(e - s).total_seconds() * 1000.0 for s, e in zip(starts, ends)]
        text = [
            f"<b>{m}</b> {status}<br>{fmt.utc(s)} → {fmt.utc(e)} ({fmt.age((e - s).total_seconds())})"
            f"<br>beats {b:,} · errors {er:,}"
            for m, s, e, b, er in zip(part["monitor"], starts, ends, part["beats"], part["errors"])
        ]
        fig.add_trace(go.Bar(
            y=part["monitor"].to_list(), x=dur_ms, base=[s.isoformat() for s in starts], orientation="h",
            name=status, marker=dict(color=_status_color(status), line=dict(width=0)),
            hovertext=text, hoverinfo="text",
        ))
    fig.update_layout(
        barmode="overlay", bargap=0.25, height=70 + 34 * max(len(order), 1), **_LAYOUT,
        xaxis=dict(type="date", range=[start.isoformat(), end.isoformat()], title="UTC"),
        yaxis=dict(categoryorder="array", categoryarray=list(reversed(list(order))), title=None),
    )
    return fig


def rows_per_hour_chart(filled: Sequence[pl.DataFrame]) -> go.Figure:
    """Small multiples: distinct rows per hour per synced table; extra copies stacked; gaps shaded."""
    frames = [f for f in filled if f.height]
    n = max(len(frames), 1)
    fig = make_subplots(rows=n, cols=1, shared_xaxes=True, vertical_spacing=0.04 if n > 1 else 0.0,
                        subplot_titles=[f.item(0, "table_key") for f in frames] or [""])
    dup_legend = True
    for i, f in enumerate(frames, start=1):
        hours = f["hour"].to_list()
        centers = [h.isoformat() for h in hours]
        fig.add_trace(go.Bar(
            x=centers, y=f["keys"].to_list(), name="distinct rows", legendgroup="keys", showlegend=i == 1,
            marker_color=fmt.SERIES_COLORS["gross"], offset=0, width=3600 * 1000 * 0.9,
            hovertemplate="%{x|%Y-%m-%d %H:00} UTC<br>%{y:,} distinct rows<extra></extra>",
        ), row=i, col=1)
        extra = (f["rows"] - f["keys"]).to_list()
        if any(extra):
            fig.add_trace(go.Bar(
                x=centers, y=extra, name="duplicated copies", legendgroup="dups", showlegend=dup_legend,
                marker_color=_status_color("LATE"), offset=0, width=3600 * 1000 * 0.9,
                hovertemplate="%{x|%Y-%m-%d %H:00} UTC<br>%{y:,} extra copies<extra></extra>",
            ), row=i, col=1)
            dup_legend = False
        if f["gap"].any():  # only continuous tables have gaps; a quiet hour of an event table is normal
            for a, b in rules.gap_runs(f):
                fig.add_vrect(x0=a.isoformat(), x1=b.isoformat(), fillcolor=_status_color("DOWN"), opacity=0.25,
                              line_width=0, row=i, col=1)
        fig.update_yaxes(title=None, rangemode="tozero", row=i, col=1)
    fig.update_layout(barmode="stack", height=60 + 120 * n, **_LAYOUT)
    fig.update_xaxes(type="date")
    return fig


def sync_duration_chart(durs: pl.DataFrame) -> go.Figure:
    """Longest sync run per hour and target (s); hours with failures marked with an ×."""
    fig = go.Figure()
    targets = sorted(set(durs["target"].to_list())) if durs.height else []
    for i, t in enumerate(targets):
        part = durs.filter(pl.col("target") == t).sort("hour")
        color = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(
            x=[h.isoformat() for h in part["hour"]], y=part["dur_max_s"].to_list(), mode="lines+markers",
            name=t, line=dict(color=color, width=1.5), marker=dict(size=4),
            hovertemplate=f"{t}<br>%{{x|%Y-%m-%d %H:00}} UTC<br>longest run %{{y:.1f}} s<extra></extra>",
        ))
        bad = part.filter(pl.col("failures") > 0)
        if bad.height:
            fig.add_trace(go.Scatter(
                x=[h.isoformat() for h in bad["hour"]],
                y=[v if v is not None else 0.0 for v in bad["dur_max_s"].to_list()],
                mode="markers", name=f"{t} failures", showlegend=False,
                marker=dict(symbol="x", size=10, color=_status_color("DOWN")),
                hovertext=[f"{t}: {n} failed run(s) of {r}" for n, r in zip(bad["failures"], bad["runs"])],
                hoverinfo="text+x",
            ))
    fig.update_layout(height=320, yaxis_title="longest run (s)", xaxis_title="UTC", **_LAYOUT)
    fig.update_xaxes(type="date")
    return fig


# ------------------------------------------------------------ display tables


def style_status(df: pd.DataFrame, column: str = "Status"):
    """A Styler painting the status column with STATUS_COLORS."""

    def paint(v: object) -> str:
        s = str(v)
        return f"background-color: {_status_color(s)}; color: {STATUS_TEXT.get(s, '#1b1b1b')}; font-weight: 600"

    return df.style.map(paint, subset=[column])


def _dur(s: float | None) -> str:
    if s is None:
        return fmt.MISSING
    if abs(s) < 10:
        return f"{s:.2f} s"
    return fmt.age(s) if s >= 0 else f"{s:.0f} s"


def monitor_table(assessed: pl.DataFrame, share: pl.DataFrame | None = None) -> pd.DataFrame:
    up = {}
    if share is not None and share.height:
        up = {r["monitor"]: r["OK"] for r in share.iter_rows(named=True)}
    rows = []
    for r in assessed.iter_rows(named=True):
        rows.append({
            "Monitor": r["monitor"],
            "Status": r["status"],
            "Age": fmt.age(r["age_s"]),
            "Last beat (UTC)": fmt.utc(r["last_ts"], seconds=True),
            "Why": r["reason"] or "",
            "Last error (UTC)": fmt.utc(r["last_error_ts"], seconds=True),
            "Last error message": r["last_error_message"] or "",
            "Errors (24 h)": fmt.MISSING if r["errors_24h"] is None else f"{r['errors_24h']:,}",
            "Up in window": fmt.pct(up.get(r["monitor"]), 1) if r["monitor"] in up else fmt.MISSING,
            "Expected every": fmt.age(r["interval_s"]),
            "Host": r["host"] or fmt.MISSING,
        })
    return pd.DataFrame(rows)


def tables_table(assessed: pl.DataFrame) -> pd.DataFrame:
    rows = []
    for r in assessed.iter_rows(named=True):
        rows.append({
            "Table": r["table_key"],
            "Status": r["status"] or "UNKNOWN",
            "Newest row (UTC)": fmt.utc(r["newest"], seconds=True),
            "Freshness": fmt.age(r["age_s"]),
            "Latency latest": _dur(r["lat_latest_s"]),
            "p50 · 1 h": _dur(r["lat_p50_1h"]),
            "p95 · 1 h": _dur(r["lat_p95_1h"]),
            "p50 · 1 d": _dur(r["lat_p50_1d"]),
            "p95 · 1 d": _dur(r["lat_p95_1d"]),
            "Rows · 1 d": f"{r['keys_1d']:,}",
            "Duplicated · 1 d": f"{r['dup_rows_1d']:,} ({fmt.pct(r['dup_share_1d'], 2)})"
            if r["dup_share_1d"] is not None else fmt.MISSING,
            "Why / flags": "; ".join(x for x in (r["reason"], r["flags"]) if x),
        })
    return pd.DataFrame(rows)


def sync_table(assessed: pl.DataFrame) -> pd.DataFrame:
    rows = []
    for r in assessed.iter_rows(named=True):
        rows.append({
            "Table": f"{r['database']}.{r['table']}",
            "Status": r["status"],
            "Last run (UTC)": fmt.utc(r["last_run"], seconds=True),
            "Last result": r["last_status"],
            "Last success (UTC)": fmt.utc(r["last_success"], seconds=True),
            "Last error": r["last_error"] or "",
            "Failed · 24 h": f"{r['failures_24h']:,}",
            "Runs · 24 h": f"{r['runs_24h']:,}",
            "Rows synced · 24 h": f"{r['rows_24h']:,}",
            "Duration p50": _dur(r["dur_p50_s"]),
            "p95": _dur(r["dur_p95_s"]),
            "max": _dur(r["dur_max_s"]),
            "Why": r["reason"] or "",
        })
    return pd.DataFrame(rows)


def failures_table(df: pl.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{
        "Started (UTC)": fmt.utc(r["started_at"], seconds=True),
        "Table": f"{r['database']}.{r['table']}",
        "Duration": _dur(r["duration_s"]),
        "Error": r["error"] or "(no message)",
    } for r in df.iter_rows(named=True)])


def badge_text(summary: rules.HealthSummary) -> str:
    """Markdown for a coloured status badge (st.markdown), e.g. on Overview."""
    color = STATUS_BADGE.get(summary.status, "gray")
    icon = STATUS_ICON.get(summary.status, "")
    return f":{color}-badge[{icon} {summary.label}]"


def problems_text(problems: Iterable[str], limit: int = 4) -> str:
    items = list(problems)
    if not items:
        return ""
    more = f" · +{len(items) - limit} more" if len(items) > limit else ""
    return " · ".join(items[:limit]) + more
