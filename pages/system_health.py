"""System Health: is the data flowing and how late is it?

Monitors (heartbeats), synced tables (freshness, sync latency, rows per hour,
duplicates), sync runs (sync_log) and ClickHouse itself. Everything below the
controls is one fragment that re-runs every N seconds while auto-refresh is
on; ages are measured against the server clock (now64()). The drawing lives in
ui/health_sections.py (replayed while the query results are unchanged).
"""

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib import health as rules
from lib.inputs import parse_bucket, parse_hours, parse_refresh
from queries import contract, health, odd_data
from queries._base import client as desk_client
from ui import router
from ui import contract_panel, data_quality_panel
from ui import data as ui_data
from ui import health_sections as sections
from ui.data import empty_note, load, load_live, load_optional
from ui.sidebar import data_as_of_line
from ui.state import set_url, url_value

router.guard()  # first: a direct link on a fresh server reruns through app.py (sign-in, sidebar)

st.title("System Health")
data_as_of_line()

# ------------------------------------------------------------ refresh controls
if "sh_live" not in st.session_state:
    every0 = url_value("every", parse_refresh, config.HEALTH_DEFAULT_REFRESH_S)
    st.session_state["sh_live"] = every0 != 0
    st.session_state["sh_every"] = every0 or config.HEALTH_DEFAULT_REFRESH_S
if "sh_res" not in st.session_state:
    st.session_state["sh_res"] = url_value("res", parse_bucket, config.HEALTH_DEFAULT_BUCKET_MIN)
if "sh_hours" not in st.session_state:
    st.session_state["sh_hours"] = url_value("hours", parse_hours, config.HEALTH_DEFAULT_HOURS)

ctl = st.columns([1.3, 1.2, 5], vertical_alignment="center")
live = ctl[0].toggle("Auto-refresh", key="sh_live", help="Re-run the checks below on a timer. Off = paused.")
every = ctl[1].selectbox("Every", config.HEALTH_REFRESH_CHOICES_S, key="sh_every", disabled=not live,
                         format_func=lambda s: f"every {s} s", label_visibility="collapsed")
set_url(every=None if (live and every == config.HEALTH_DEFAULT_REFRESH_S) else (every if live else 0))


@st.fragment(run_every=every if live else None)
def panels() -> None:
    ui_data.begin_run()  # a fragment re-run explains a new outage in full, not "see the sidebar"
    mon = load_optional(health.monitor_status, what="Monitor heartbeats")
    info = load_live(health.server_info, what="ClickHouse ping")
    clock = sections.clock(mon, info, st.session_state.get("data_as_of"))
    top = st.container()
    sections.clock_notes(clock, info, live, every)

    # ---------------------------------------------------------------- monitors
    st.subheader("Monitors")
    res = st.radio("Timeline resolution", config.HEALTH_BUCKET_CHOICES_MIN, key="sh_res", horizontal=True,
                   format_func=lambda m: f"{m} min")
    set_url(res=None if res == config.HEALTH_DEFAULT_BUCKET_MIN else res)
    mon_summary = None
    if mon is not None:
        assessed = rules.assess_monitors(mon, clock.server_now)
        mon_summary = rules.summarize(assessed, clock.server_now)
        start = rules.window_start(clock.end, 24, res * 60)
        hb = load_optional(health.heartbeat_buckets, start, clock.end_q, res * 60, what="Heartbeat timeline")
        timeline = None if hb is None else sections.timeline_view(
            hb, start, clock.end, res * 60, tuple(assessed["monitor"].to_list()))
        sections.monitors(assessed, timeline, start, clock.end, res)

    # ----------------------------------------------------------- synced tables
    st.subheader("Synced tables")
    stats = [df for name in health.SYNCED_TABLES
             if (df := load_optional(health.sync_stats, name, what=f"Sync statistics of {name}")) is not None]
    table_summary = None
    if stats:
        tab = rules.assess_tables(pl.concat(stats, how="diagonal_relaxed"))
        table_summary = rules.worst(s for s in tab["status"].to_list() if s != "N/A")
        sections.synced_tables(tab)
        hours = st.segmented_control("Rows per hour over", config.HEALTH_HOURS_CHOICES, key="sh_hours",
                                     format_func=lambda h: f"{h // 24} d" if h >= 48 else f"{h} h")
        hours = hours or config.HEALTH_DEFAULT_HOURS
        set_url(hours=None if hours == config.HEALTH_DEFAULT_HOURS else hours)
        per_hour = []
        for df in stats:
            name = df.item(0, "table_key")
            per = load_optional(health.rows_per_hour, name, clock.end_q, hours, what=f"Rows per hour of {name}")
            if per is not None:
                per_hour.append((name, per))
        if per_hour:
            sections.rows_per_hour(sections.filled_hours(tuple(per_hour), clock.end, hours))

    # --------------------------------------------------------------- sync runs
    st.subheader("Sync runs")
    summ = load_optional(health.sync_summary, clock.end_q, what="Sync runs (sync_log)")
    sync_summary = None
    if summ is not None and not empty_note(summ, f"sync runs in the 7 days before {fmt.utc(clock.end_q)}"):
        sync = rules.assess_sync(summ)
        sync_summary = rules.worst(sync["status"].to_list())
        sections.sync_runs(sync)
        fails = load(health.sync_failures, clock.end_q, 50, what="Recent sync failures")
        if fails is not None:
            sections.sync_failures(fails, int(sync["failures_24h"].sum()), clock.end_q)
        durs = load(health.sync_durations, clock.end_q, 24, what="Sync durations")
        if durs is not None and durs.height:
            sections.sync_durations(durs, clock.end_q)

    # -------------------------------------------------------------- ClickHouse
    st.subheader("ClickHouse")
    sections.clickhouse_panel(desk_client(), info)
    contract_panel.render(load(contract.contract_check, what="Data contract check"))
    data_quality_panel.future_rows(load(odd_data.future_rows, what="Rows dated in the future"))

    with top:
        sections.summary_row(mon_summary, table_summary, sync_summary, info)


panels()
