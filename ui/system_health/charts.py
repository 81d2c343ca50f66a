"""Chart specs and display tables for System Health (and the Overview badge).

Builders only: they take the frames `lib/health/rules.py` produced and return a
figure spec for `ui.plot.show` (a plain dict built in one go, see ui/plot.py)
or a display frame; nothing here queries or computes a status. The look is
ui.plot's; colours come from `lib.format` (STATUS_COLORS for statuses). Times
are sent as naive UTC ISO text (the axes are labelled UTC, the browser never
shifts them). Status columns are coloured pills drawn by the grid
(`ui.tables.label_column`), not a pandas Styler.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import polars as pl

from lib import format as fmt
from lib.health import rules
from ui import plot, tables
from ui.plot import Spec

STATUS_ICON = {
    "OK": ":material/check_circle:",
    "LATE": ":material/schedule:",
    "DOWN": ":material/error:",
    "UNKNOWN": ":material/help:",
    "N/A": ":material/remove:",
}
# one colour per line in multi-series charts (tables, sync targets), all from lib.format
PALETTE: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            fmt.SERIES_COLORS["equity"],
            fmt.CATEGORY_COLORS["MISSING_POSITION"],
            fmt.CATEGORY_COLORS["EXTRA_POSITION"],
            fmt.CATEGORY_COLORS["MATCHED"],
            fmt.CATEGORY_COLORS["MAGNITUDE_ERROR"],
            fmt.SERIES_COLORS["unrealized"],
            fmt.CATEGORY_COLORS["UNPRICED"],
            fmt.CATEGORY_COLORS["WRONG_DIRECTION"],
            fmt.CATEGORY_COLORS["MATCHED_ZERO"],
        ]
    )
)
HOVERMODE = "closest"  # System Health's charts: one point's story at a time
GAP_OPACITY = 0.25
ROWS_SPACING = 0.04  # vertical space between the rows-per-hour panels, share of the plot height


def _status_color(s: str) -> str:
    return fmt.STATUS_COLORS.get(s, fmt.STATUS_COLORS["UNKNOWN"])


# ------------------------------------------------------------------ figures


OUTAGE_MIN_WIDTH = 0.005  # a non-OK spell is drawn at least this share of the window wide (5 px of 1000)


def monitor_timeline(segs: pl.DataFrame, start: datetime, end: datetime, order: Sequence[str]) -> Spec:
    """One row per monitor, coloured by status over [start, end] (merged segments from `rules.segments`).

    A LATE or DOWN spell is drawn OUTAGE_MIN_WIDTH of the window wide at least (a one-minute outage in
    24 h was a 1-pixel blip; the hover says its true start and duration), and every status has its
    legend entry, also when no spell had it."""
    parts = segs.partition_by("status", as_dict=True) if segs.height else {}
    min_ms = (end - start).total_seconds() * 1000.0 * OUTAGE_MIN_WIDTH
    data: list[dict[str, Any]] = []
    for status in rules.STATUS_ORDER:
        part = parts.get((status,))
        if part is None or part.height == 0:
            data.append(  # the legend entry alone: a bar of no width (Plotly lists no trace without a point)
                {
                    "type": "bar",
                    "orientation": "h",
                    "x": [0.0] if order else [],
                    "y": [fmt.plot_text(order[0])] if order else [],
                    "base": [plot.utc_iso(start)] if order else [],
                    "name": status,
                    "marker": {"color": _status_color(status)},
                    "showlegend": True,
                    "hoverinfo": "skip",
                }
            )
            continue
        starts, ends = part["start"].to_list(), part["end"].to_list()
        text = [
            f"<b>{fmt.plot_text(m)}</b> {status}<br>from {fmt.utc(s)} for {fmt.age((e - s).total_seconds())}"
            f" (to {fmt.utc(e)})<br>beats {b:,} · errors {er:,}"
            for m, s, e, b, er in zip(part["monitor"], starts, ends, part["beats"], part["errors"])
        ]
        widths = (part["end"] - part["start"]).dt.total_milliseconds().cast(pl.Float64).to_list()
        if status != "OK":
            widths = [max(w, min_ms) for w in widths]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": [fmt.plot_text(m) for m in part["monitor"].to_list()],  # axis labels from the data
                "x": widths,
                "base": plot.utc_text(part["start"]),
                "name": status,
                "marker": {"color": _status_color(status), "line": {"width": 0}},
                "hovertext": text,
                "hoverinfo": "text",
            }
        )
    return plot.spec(
        data,
        plot.layout(
            None,
            70 + 34 * max(len(order), 1),
            hovermode=HOVERMODE,
            barmode="overlay",
            bargap=0.25,
            xaxis={"type": "date", "range": [plot.utc_iso(start), plot.utc_iso(end)], "title": {"text": "UTC"}},
            yaxis={
                "type": "category",
                "categoryorder": "array",
                "categoryarray": [fmt.plot_text(m) for m in reversed(list(order))],
            },
        ),
    )


def outage_table(segs: pl.DataFrame, beats_link: str) -> pl.DataFrame:
    """The DOWN and LATE spells of the timeline, newest first: monitor, status, start (naive UTC), duration
    in words and a link to the monitor's error heartbeats (`beats_link` + the monitor)."""
    spells = segs.filter(pl.col("status").is_in(["DOWN", "LATE"])) if segs.height else segs
    if spells.height == 0:
        return pl.DataFrame(
            schema={
                "Monitor": pl.String,
                "Status": pl.String,
                "Start": pl.Datetime,
                "Duration": pl.String,
                "Beats": pl.String,
            }
        ).with_columns(tables.as_label("Status"))
    spells = plot.naive_utc(spells.sort("start", descending=True), "start", "end")
    return pl.DataFrame(
        {
            "Monitor": spells["monitor"].to_list(),
            "Status": spells["status"].to_list(),
            "Start": spells["start"].to_list(),
            "Duration": [fmt.age((e - s).total_seconds()) for s, e in zip(spells["start"], spells["end"])],
            "Beats": [beats_link + quote(m, safe="") + "&errors=1" for m in spells["monitor"].to_list()],
        }
    ).with_columns(tables.as_label("Status"))


def _row_domains(n: int) -> list[list[float]]:
    """[bottom, top] of each of `n` stacked panels, first on top, ROWS_SPACING apart."""
    gap = ROWS_SPACING if n > 1 else 0.0
    h = (1.0 - gap * (n - 1)) / n
    out = []
    for i in range(n):
        top = 1.0 - i * (h + gap)
        out.append([max(0.0, round(top - h, 6)), round(top, 6)])
    return out


def _hour_steps(f: pl.DataFrame) -> tuple[list[str | None], list[str]]:
    """A step area's x (each hour's start, then the last hour's end, so the last hour has its width too) and the
    hour each point stands for (the closing point is the last hour's right edge: its hover names that hour)."""
    hours = f["hour"]
    x = plot.utc_text(pl.concat([hours, hours.tail(1) + timedelta(hours=1)]))
    labels = plot.utc_text(hours, "%Y-%m-%d %H:00 UTC")
    return x, [*labels, *labels[-1:]]


def _step_area(
    x: list[str | None], labels: list[str], values: list[int], panel: str, color: str, name: str, hover: str
) -> dict[str, Any]:
    """One series of a rows-per-hour panel: each hour's count held flat to the next hour ("hv"), filled down to
    the series below it in the panel's stackgroup; `values` gets the closing point `_hour_steps` adds."""
    return {
        "type": "scatter",
        "mode": "lines",
        "line": {"shape": "hv", "width": 0.5, "color": color},
        "fillcolor": color,
        "x": x,
        "y": [*values, *values[-1:]],
        "customdata": labels,
        "xaxis": f"x{panel}",
        "yaxis": f"y{panel}",
        "stackgroup": f"rows{panel}",
        "name": name,
        "hovertemplate": hover,
    }


def rows_per_hour_chart(filled: Sequence[pl.DataFrame]) -> Spec:
    """Small multiples sharing one UTC x axis: distinct rows per hour per synced table, extra copies
    stacked on top, hours without rows of a continuous table shaded red (`rules.fill_hours` frames).

    Drawn as stepped areas, not bars: a bar is an SVG path of its own (6 tables × 48 hours × 2 series at the
    2-day default), an area is one path a series (a System Health switch 1.17 → 1.10 s in a paired A/B)."""
    frames = [f for f in filled if f.height]
    n = max(len(frames), 1)
    domains = _row_domains(n)
    data: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    titles: list[dict[str, Any]] = []
    axes: dict[str, Any] = {}
    dup_legend = True
    for i, f in enumerate(frames, start=1):
        sx = "" if i == 1 else str(i)
        x_ref, y_ref = f"x{sx}", f"y{sx}"
        x, labels = _hour_steps(f)
        keys = f["keys"].to_list()
        hover = "%{customdata}<br>%{y:,} distinct rows<extra></extra>"
        series = _step_area(x, labels, keys, sx, fmt.SERIES_COLORS["gross"], "distinct rows", hover)
        data.append({**series, "legendgroup": "keys", "showlegend": i == 1})
        extra = (f["rows"] - f["keys"]).to_list()
        if any(extra):
            hover = "%{customdata}<br>%{y:,} extra copies<extra></extra>"
            series = _step_area(x, labels, extra, sx, _status_color("LATE"), "duplicated copies", hover)
            data.append({**series, "legendgroup": "dups", "showlegend": dup_legend})
            dup_legend = False
        if f["gap"].any():  # only continuous tables have gaps; a quiet hour of an event table is normal
            for a, b in rules.gap_runs(f):
                shapes.append(
                    {
                        "type": "rect",
                        "xref": x_ref,
                        "yref": f"{y_ref} domain",
                        "x0": plot.utc_iso(a),
                        "x1": plot.utc_iso(b),
                        "y0": 0,
                        "y1": 1,
                        "fillcolor": _status_color("DOWN"),
                        "opacity": GAP_OPACITY,
                        "line": {"width": 0},
                    }
                )
        titles.append(
            {
                "text": fmt.plot_text(f.item(0, "table_key")),
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.0,
                "xanchor": "left",
                "y": domains[i - 1][1],
                "yanchor": "bottom",
                "font": {"size": 13},
            }
        )
    for i in range(1, n + 1):
        sx = "" if i == 1 else str(i)
        x_axis: dict[str, Any] = {"type": "date", "anchor": f"y{sx}", "showticklabels": i == n}
        if i > 1:
            x_axis["matches"] = "x"
        y_axis = {"anchor": f"x{sx}", "domain": domains[i - 1], "rangemode": "tozero"}
        axes[f"xaxis{sx}"] = x_axis if i == 1 else plot.merge(plot.AXIS_X, x_axis)
        axes[f"yaxis{sx}"] = y_axis if i == 1 else plot.merge(plot.AXIS_Y, y_axis)
    first_x, first_y = axes.pop("xaxis"), axes.pop("yaxis")
    return plot.spec(
        data,
        plot.layout(
            None,
            60 + 120 * n,
            hovermode="x",  # an area has no point under the cursor: the hour under it, both series
            xaxis=first_x,
            yaxis=first_y,
            shapes=shapes,
            annotations=titles,
            **axes,
        ),
    )


def sync_duration_chart(durs: pl.DataFrame) -> Spec:
    """Longest sync run per hour and target (s); hours with failures marked with an ×."""
    parts = durs.sort("hour").partition_by("target", as_dict=True) if durs.height else {}
    data: list[dict[str, Any]] = []
    for i, t in enumerate(sorted(k[0] for k in parts)):
        part = parts[(t,)]
        color = PALETTE[i % len(PALETTE)]
        label = fmt.plot_text(t)  # a sync target's name, from the data
        data.append(
            {
                "type": "scatter",
                "x": plot.utc_text(part["hour"]),
                "y": part["dur_max_s"].to_list(),
                "mode": "lines+markers",
                "name": label,
                "line": {"color": color, "width": 1.5},
                "marker": {"size": 4},
                "hovertext": [label] * part.height,  # the name as data, never inside the template
                "hovertemplate": "%{hovertext}<br>%{x|%Y-%m-%d %H:00} UTC<br>longest run %{y:.1f} s<extra></extra>",
            }
        )
        bad = part.filter(pl.col("failures") > 0)
        if bad.height:
            data.append(
                {
                    "type": "scatter",
                    "x": plot.utc_text(bad["hour"]),
                    # an hour whose runs all failed has no duration: its × sits on the axis
                    "y": [v if v is not None else 0.0 for v in bad["dur_max_s"].to_list()],
                    "mode": "markers",
                    "name": f"{label} failures",
                    "showlegend": False,
                    "marker": {"symbol": "x", "size": 10, "color": _status_color("DOWN")},
                    "hovertext": [
                        f"{label}: {fmt.plural(n, 'failed run')} of {r}" for n, r in zip(bad["failures"], bad["runs"])
                    ],
                    "hoverinfo": "text+x",
                }
            )
    return plot.spec(
        data,
        plot.layout(
            None,
            320,
            hovermode=HOVERMODE,
            xaxis={"type": "date", "title": {"text": "UTC"}},
            yaxis={"title": {"text": "longest run (s)"}},
        ),
    )


# ------------------------------------------------------------ display tables


def status_column_config(column: str = "Status") -> dict[str, Any]:
    """column_config for a display table: the status column as pills in STATUS_COLORS."""
    return {column: tables.label_column(column, fmt.STATUS_COLORS)}


def _table(rows: list[dict[str, Any]], columns: Sequence[str], status: str | None = "Status") -> pl.DataFrame:
    """Display rows (all text) as a frame; the status column a one-item list (`tables.as_label`)."""
    out = pl.DataFrame(rows, schema={c: pl.String for c in columns}, orient="row")
    return out.with_columns(tables.as_label(status)) if status else out


_dur = fmt.duration  # the alerts print a sync latency the same way


MONITOR_COLUMNS = (
    "Monitor",
    "Status",
    "Age",
    "Last beat (UTC)",
    "Why",
    "Last error (UTC)",
    "Last error message",
    "Errors (24 h)",
    "Up in window",
    "Expected every",
    "Host",
)


def monitor_table(assessed: pl.DataFrame, share: pl.DataFrame | None = None) -> pl.DataFrame:
    up = {}
    if share is not None and share.height:
        up = dict(zip(share["monitor"].to_list(), share["OK"].to_list()))
    rows = []
    for r in assessed.iter_rows(named=True):
        rows.append(
            {
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
            }
        )
    return _table(rows, MONITOR_COLUMNS)


TABLES_COLUMNS = (
    "Table",
    "Status",
    "Newest row (UTC)",
    "Freshness",
    "Latency latest",
    "p50 · last 1 h",
    "p95 · last 1 h",
    "p50 · last 1 d",
    "p95 · last 1 d",
    "Rows · last 1 d",
    "Duplicated · last 1 d",
    "Why / flags",
)
# the column's header says the window ("p95 · last 1 h"); "no rows in the last day" was cut at 1280 px
NO_ROWS = "no rows"


def _window_dur(s: float | None, n: int | None) -> str:
    """A latency quantile over a window measured back from now; says so when the window had no row."""
    return NO_ROWS if not n else _dur(s)


def tables_table(assessed: pl.DataFrame) -> pl.DataFrame:
    rows = []
    for r in assessed.iter_rows(named=True):
        rows.append(
            {
                "Table": r["table_key"],
                "Status": r["status"] or "UNKNOWN",
                "Newest row (UTC)": fmt.utc(r["newest"], seconds=True),
                "Freshness": fmt.age(r["age_s"]),
                "Latency latest": _dur(r["lat_latest_s"]),
                "p50 · last 1 h": _window_dur(r["lat_p50_1h"], r["n_1h"]),
                "p95 · last 1 h": _window_dur(r["lat_p95_1h"], r["n_1h"]),
                "p50 · last 1 d": _window_dur(r["lat_p50_1d"], r["n_1d"]),
                "p95 · last 1 d": _window_dur(r["lat_p95_1d"], r["n_1d"]),
                "Rows · last 1 d": f"{r['keys_1d']:,}",
                "Duplicated · last 1 d": f"{r['dup_rows_1d']:,} ({fmt.pct(r['dup_share_1d'], 2)})"
                if r["dup_share_1d"] is not None
                else fmt.MISSING,
                "Why / flags": "; ".join(x for x in (r["reason"], r["flags"]) if x),
            }
        )
    return _table(rows, TABLES_COLUMNS)


SYNC_COLUMNS = (
    "Table",
    "Status",
    "Last run (UTC)",
    "Last result",
    "Last success (UTC)",
    "Last failure (UTC)",
    "Last error",
    "Failed · 24 h",
    "Runs · 24 h",
    "Rows synced · 24 h",
    "Duration p50",
    "p95",
    "max",
    "Why",
)


def sync_table(assessed: pl.DataFrame) -> pl.DataFrame:
    rows = []
    for r in assessed.iter_rows(named=True):
        rows.append(
            {
                "Table": f"{r['database']}.{r['table']}",
                "Status": r["status"],
                "Last run (UTC)": fmt.utc(r["last_run"], seconds=True),
                "Last result": r["last_status"],
                "Last success (UTC)": fmt.utc(r["last_success"], seconds=True),
                "Last failure (UTC)": fmt.utc(r.get("last_failure"), seconds=True),
                "Last error": r["last_error"] or "",
                "Failed · 24 h": f"{r['failures_24h']:,}",
                "Runs · 24 h": f"{r['runs_24h']:,}",
                "Rows synced · 24 h": f"{r['rows_24h']:,}",
                "Duration p50": _dur(r["dur_p50_s"]),
                "p95": _dur(r["dur_p95_s"]),
                "max": _dur(r["dur_max_s"]),
                "Why": r["reason"] or "",
            }
        )
    return _table(rows, SYNC_COLUMNS)


FAILURE_COLUMNS = ("Started (UTC)", "Table", "Duration", "Error")


def failures_table(df: pl.DataFrame) -> pl.DataFrame:
    return _table(
        [
            {
                "Started (UTC)": fmt.utc(r["started_at"], seconds=True),
                "Table": f"{r['database']}.{r['table']}",
                "Duration": _dur(r["duration_s"]),
                "Error": r["error"] or "(no message)",
            }
            for r in df.iter_rows(named=True)
        ],
        FAILURE_COLUMNS,
        status=None,
    )


def badge_text(summary: rules.HealthSummary) -> str:
    """Markdown for a coloured status badge (st.markdown), e.g. on Overview."""
    color = fmt.STATUS_BADGES.get(summary.status, "gray")
    icon = STATUS_ICON.get(summary.status, "")
    return f":{color}-badge[{icon} {fmt.md_text(summary.label)}]"


def problems_text(problems: Iterable[str], limit: int = 4) -> str:
    items = list(problems)
    if not items:
        return ""
    more = f" · +{len(items) - limit} more" if len(items) > limit else ""
    return " · ".join(items[:limit]) + more
