"""System Health's drawn sections, replayed on reruns with the same inputs.

The page keeps the loads and the widgets (resolution, rows-per-hour window)
inside its auto-refresh fragment and builds the views (ui/system_health/views.py);
every chart and status table is drawn by a cached section here, so a rerun
whose query results did not change replays them (see ui/cache.py). New data is
new content: the fragment's next refresh draws afresh.

Nothing in a cached section reads the clock. Ages in the status tables are
measured against the server clock that came with the query results (part of
the arguments); what depends on this machine's clock ("Checked ...", "last
successful query ... ago") is drawn by the uncached helpers at the bottom.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib.clickhouse import server_version
from lib.health import rules
from ui import cache, layout, plot, state, tables
from ui.system_health import charts
from ui.system_health.views import Clock, Timeline

SYNCED_CAPTION = (
    "Freshness = server now − newest row. Latency = synced_at − ingested_at of each row's first "
    "delivery, over the hour / day before {end} (measured back from now, the same window for every table; "
    'exact quantiles; "no rows" when the window had none). Duplicated = rows the '
    "sync delivered more than once (rows − distinct natural keys), still present on the remote. "
    "Event-driven tables (fills, orders, ledger) have no freshness status: quiet hours are normal."
)
ROWS_CAPTION = (
    "Distinct rows per UTC hour (blue), extra duplicated copies (orange). Red bands: hours "
    "without rows in a continuous table (a gap). Fills, orders and ledger come in bursts: "
    "their empty hours are normal and not shaded."
)


def clock_notes(c: Clock, info: dict[str, Any] | None, live: bool, every: int) -> None:
    """When the checks ran, and warnings for a skewed machine clock or heartbeats far behind."""
    st.caption(
        f"Checked {fmt.utc(c.machine_now, seconds=True)} · server clock {fmt.utc(c.server_now, seconds=True)} · "
        + (f"auto-refresh every {every} s" if live else "auto-refresh paused")
        + ("" if c.server_known else " · Server clock unavailable: windows end at this machine's clock.")
    )
    ping_now = rules.aware(info.get("server_now")) if info else None
    skew = (c.machine_now - ping_now).total_seconds() if ping_now else 0.0  # ping is cached <= 5 s
    if abs(skew) > 300:
        st.warning(
            f"This machine's clock and the ClickHouse server's differ by {fmt.age(abs(skew))}; "
            "ages are measured with the server's.",
            icon=":material/schedule:",
        )
    if c.newest_beat is None:
        return
    behind = (c.server_now - c.newest_beat).total_seconds()
    if c.anchored:
        st.warning(
            f"**The newest heartbeat ({fmt.utc(c.newest_beat)}) is {fmt.age(behind)} behind the server clock.** "
            "Ages and statuses are measured against the server clock, so stopped monitors read DOWN; "
            f"the charts show the 24 h ending at the newest data ({fmt.utc(c.end)}).",
            icon=":material/history_toggle_off:",
        )
    elif behind > 10 * max(config.MONITOR_INTERVALS_S.values()):
        st.warning(
            f"**No heartbeat from any monitor for {fmt.age(behind)}** — ingestion may be stopped.",
            icon=":material/heart_broken:",
        )


# -------------------------------------------------------------- sections


# The default columns of each status table (fit 820 px); the rest in the grid's Show/hide columns menu, the
# long text (last error, why) whole in a detail under the table.
MONITOR_SHOWN = ("Monitor", "Status", "Age", "Last beat (UTC)", "Why", "Errors (24 h)", "Up in window")
TABLES_SHOWN = (
    "Table",
    "Status",
    "Freshness",
    "p95 · last 1 h",
    "p95 · last 1 d",
    "Rows · last 1 d",
    "Duplicated · last 1 d",
)
SYNC_SHOWN = ("Table", "Status", "Last run (UTC)", "Failed · 24 h", "Runs · 24 h", "Duration p50")
FAILURE_SHOWN = ("Started (UTC)", "Table", "Duration")
NARROW_TEXT = {"Why": st.column_config.TextColumn("Why", width=200)}


def _status_table(frame: pl.DataFrame, shown: Sequence[str]) -> None:
    # as Arrow: st.dataframe would turn a polars frame into pandas first (1 ms a table)
    tables.show(frame.to_arrow(), {**charts.status_column_config(), **NARROW_TEXT}, shown)


def _dated(table: pl.DataFrame, when: str, message: str, what: str) -> pl.DataFrame:
    """The table with `_dated`: "<what> <when>: <message>" where there is a message, for its text details."""
    return table.with_columns(
        pl.when(pl.col(message) != "").then(pl.format(what + " {}: {}", pl.col(when), pl.col(message))).alias("_dated")
    )


def monitors(
    assessed: pl.DataFrame,
    timeline: Timeline | None,
    start: datetime,
    end: datetime,
    resolution_min: int,
    beats_link: str = "system_health?monitor=",
) -> None:
    """The monitor status table and, with a timeline, the status of each monitor over the window and its
    outages (start, duration, a link to the monitor's error beats). The folds are widgets, so they are drawn
    here, between the cached sections."""
    table = _monitor_table(assessed, timeline.share if timeline is not None else None)
    # the last error with its time: undated, a days-old HTTP 429 read as the cause of today's silence
    dated = _dated(table, "Last error (UTC)", "Last error message", "last error")
    tables.text_details(dated, "Why and last errors", ("Monitor",), ("Why", "_dated"), key="sh_monitor_why")
    if timeline is None:
        return
    outages = _monitor_timeline(assessed, timeline, start, end, resolution_min, beats_link)
    if outages.height:
        fold = state.lazy_expander(
            f"Outages in the 24 h ({outages.height}: DOWN and LATE spells)", "sh_outages_fold", icon=":material/error:"
        )
        if fold.open:
            with fold:
                _outages(outages)


@cache.section()
def _monitor_table(assessed: pl.DataFrame, share: pl.DataFrame | None) -> pl.DataFrame:
    table = charts.monitor_table(assessed, share)
    _status_table(table, MONITOR_SHOWN)
    return table


@cache.section()
def _monitor_timeline(
    assessed: pl.DataFrame, timeline: Timeline, start: datetime, end: datetime, resolution_min: int, beats_link: str
) -> pl.DataFrame:
    plot.show(charts.monitor_timeline(timeline.segments, start, end, assessed["monitor"].to_list()), key="sh_timeline")
    st.caption(
        f"The worst status each monitor had in each {resolution_min}-minute bucket of the 24 h ending "
        f"{fmt.utc(end)}: LATE after {config.LATE_FACTOR} missed intervals, DOWN after "
        f"{config.DOWN_FACTOR} or while the last run reported an error; grey = no earlier beat known. "
        "A short outage is drawn a few pixels wide: its true start and duration are in its hover and below."
    )
    return charts.outage_table(timeline.segments, beats_link)


@cache.section()
def _outages(outages: pl.DataFrame) -> None:
    st.dataframe(
        outages,
        hide_index=True,
        column_config={
            **charts.status_column_config("Status"),
            "Start": st.column_config.DatetimeColumn("Start (UTC)", format="YYYY-MM-DD HH:mm"),
            "Beats": st.column_config.LinkColumn("Heartbeats", display_text="error beats"),
        },
        key="sh_outages",
    )


def synced_tables(assessed: pl.DataFrame) -> None:
    """Freshness, latency and duplicates per synced table."""
    table = _synced_table(assessed)
    tables.text_details(table, "Why and flags", ("Table",), "Why / flags", key="sh_tables_why")
    end = assessed["window_end"].max() if "window_end" in assessed.columns else None
    st.caption(SYNCED_CAPTION.format(end=fmt.utc(end)))


@cache.section()
def _synced_table(assessed: pl.DataFrame) -> pl.DataFrame:
    table = charts.tables_table(assessed)
    _status_table(table, TABLES_SHOWN)
    return table


@cache.section()
def rows_per_hour(filled: Sequence[pl.DataFrame]) -> None:
    """Rows per hour of every synced table, gaps shaded."""
    plot.show(charts.rows_per_hour_chart(filled), key="sh_rows")
    st.caption(ROWS_CAPTION)


def sync_runs(assessed: pl.DataFrame) -> None:
    """Status of the sync per table."""
    table = _sync_table(assessed)
    # dated, as the monitors' ("ok: ClickHouse timeout" read as an error of the run that succeeded)
    dated = _dated(table, "Last failure (UTC)", "Last error", "last failed run")
    tables.text_details(dated, "Why and last errors", ("Table", "Last result"), ("Why", "_dated"), key="sh_sync_why")


@cache.section()
def _sync_table(assessed: pl.DataFrame) -> pl.DataFrame:
    table = charts.sync_table(assessed)
    _status_table(table, SYNC_SHOWN)
    return table


def sync_failures(fails: pl.DataFrame, n_fail: int, end_q: datetime) -> None:
    """The recent failed sync runs (the newest SYNC_FAILURES_LISTED of 7 days), folded. The label counts both
    windows: "1 in the 24 h" over a list of 16 read as a contradiction."""
    listed = f"{fails.height}+" if fails.height >= config.SYNC_FAILURES_LISTED else str(fails.height)
    fold = state.lazy_expander(
        f"Recent failures · {n_fail} in the 24 h · {listed} in the 7 days to {fmt.utc(end_q)}", "sh_failures_fold"
    )
    if fold.open:
        with fold:
            _failures(fails)


@cache.section()
def _failures(fails: pl.DataFrame) -> None:
    if fails.height:
        table = charts.failures_table(fails)
        tables.show(table.to_arrow(), {}, FAILURE_SHOWN, note=False)
        tables.text_details(table, "Errors", ("Started (UTC)", "Table"), "Error")
    else:
        st.caption("No failed runs in the last 7 days.")


@cache.section()
def sync_durations(durations: pl.DataFrame, end_q: datetime, hours: int) -> None:
    """Longest sync run per hour and table."""
    plot.show(charts.sync_duration_chart(durations), key="sh_durations")
    st.caption(
        f"Longest sync run per hour and table over the {fmt.hours_span(hours)} to {fmt.utc(end_q)}; "
        "× marks hours with failed runs."
    )


# ------------------------------------------- uncached (this machine's clock)


def clickhouse_panel(client: Any, info: dict[str, Any] | None) -> None:
    """Endpoint in use, server version, round trip and the last successful query (its age is live)."""
    role = "embedded demo" if client.settings.embedded_default else client.active
    cols = layout.metric_row(4)
    cols[0].metric("Endpoint in use", role)
    untested = server_version.untested_warning(info["version"]) if info else None
    cols[1].metric(
        "Server version",
        fmt.md_text(info["version"]) if info else fmt.MISSING,
        help=f"The queries are tested on ClickHouse {server_version.oldest_tested()} and later.",
    )
    cols[2].metric("Round trip · SELECT version()", f"{info['rtt_s'] * 1000:.0f} ms" if info else fmt.MISSING)
    last_ok = client.last_success_at
    cols[3].metric("Last successful query", fmt.age_since(last_ok) if last_ok else "never")
    secondary = fmt.md_text(client.settings.secondary.label) if client.settings.secondary else "none configured"
    st.caption(
        f"Endpoint: {fmt.md_text(client.description)} · secondary: {secondary} · last success "
        f"{fmt.utc(last_ok, seconds=True)} · query time limit {client.settings.query_time_limit_s} s · connect "
        f"timeout {client.settings.connect_timeout_s} s · after a failure an endpoint is skipped for "
        f"{client.RETRY_AFTER_S:.0f} s"
        + (
            "; a failed primary gets queries back once a background probe finds it answering."
            if client.settings.secondary
            else "."
        )
    )
    if untested:
        st.warning(
            f"**Untested server version {fmt.md_text(info['version'])}.** {untested}",
            icon=":material/history:",
        )
    if client.active == "secondary":
        st.warning("The primary endpoint is not answering: queries run on the secondary.", icon=":material/swap_horiz:")


def summary_row(
    mon_summary: rules.HealthSummary | None,
    table_summary: str | None,
    sync_summary: str | None,
    info: dict[str, Any] | None,
) -> None:
    """One badge per panel: monitors, synced tables, sync runs, ClickHouse."""
    c = layout.metric_row(4)
    c[0].markdown("**Monitors**")
    c[0].markdown(charts.badge_text(mon_summary) if mon_summary is not None else ":gray-badge[not available]")
    for col, title, status in ((c[1], "Synced tables", table_summary), (c[2], "Sync runs", sync_summary)):
        col.markdown(f"**{title}**")
        col.markdown(f":{fmt.STATUS_BADGES.get(status, 'gray')}-badge[{status or 'not available'}]")
    c[3].markdown("**ClickHouse**")
    if info:
        c[3].markdown(f":green-badge[answering · {info['rtt_s'] * 1000:.0f} ms]")
    else:
        c[3].markdown(":red-badge[not answering]")


def monitor_beats(beats: pl.DataFrame, monitor: str, errors_only: bool = False) -> None:
    """One monitor's newest heartbeat rows (times UTC), errors first to the eye."""
    shown = plot.naive_utc(beats, "ts")
    _beats_table(shown, monitor)
    tables.text_details(shown, "Messages in full", ("ts", "status"), "message", key=f"sh_beats_text_{monitor}")
    kind = "error heartbeats" if errors_only else "heartbeats"
    st.caption(f"The newest {beats.height} {kind} of {fmt.md_text(monitor)} (7 days at most), each counted once.")


@cache.section()
def _beats_table(beats: pl.DataFrame, monitor: str) -> None:
    tables.show(
        beats,
        {
            "ts": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm:ss.SSS"),
            "host": "Host",
            "status": "Status",
            "message": st.column_config.TextColumn("Message", width=320, help="Whole in 'Messages in full' below"),
            "rows": st.column_config.NumberColumn("Rows", format=tables.COUNT_FORMAT),
            "duration_ms": st.column_config.NumberColumn("Duration (ms)", format=tables.COUNT_FORMAT),
        },
        ("ts", "status", "rows", "duration_ms", "message"),
        key=f"sh_beats_{monitor}",
    )
