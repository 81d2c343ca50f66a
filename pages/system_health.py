"""System Health: is the data flowing and how late is it?

Monitors (heartbeats), synced tables (freshness, sync latency, rows per hour,
duplicates), sync runs (sync_log) and ClickHouse itself. Everything below the
controls is one live panel (ui/shell/refresh.py: its options rerun only it, and the sidebar's
auto-refresh reruns it in place, so the page neither greys out nor loses its scroll or open
expanders), and so are the alerts; ages are measured against the server clock (now64()). The drawing lives in
ui/system_health/sections.py (replayed while the query results are unchanged). The rows-per-hour and sync-duration
charts are folds drawn on demand, their labels carrying what they show (gaps, longest run, failed hours): a page
switch draws one chart, not three (−0.27 s in a paired A/B). At the bottom, ClickHouse, Prices and Data quality are
lazy tabs (URL `section`): only the open one is drawn, each label says its status.
"""

from datetime import datetime
from urllib.parse import urlencode

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib.health import answer as health_answer
from lib.health import rules
from lib.inputs import parse_bucket, parse_flag, parse_hours, parse_monitor
from queries.engine.run import client as desk_client
from queries.health import contract, health, odd_data, prices
from queries.tracking import tracking_error
from ui import alerts_panel
from ui import data as ui_data
from ui.data import Notes, empty_note, load, load_live, load_optional
from ui.shell import refresh, router, sidebar
from ui.shell.sidebar import data_as_of_line, selection
from ui.state import init_from_url, lazy_expander, lazy_tabs, set_url, url_value
from ui.system_health import answer, checks, data_quality, sections, views
from ui.system_health import prices as price_panel

router.guard()  # first: a direct link on a fresh server reruns through app.py (sign-in, sidebar)

st.title("System Health")
as_of = selection().as_of
data_as_of_line(as_of)

# ------------------------------------------------------------ options (the sidebar's auto-refresh reruns the panels)
if "sh_res" not in st.session_state:
    st.session_state["sh_res"] = url_value("res", parse_bucket, config.HEALTH_DEFAULT_BUCKET_MIN)
every = selection().refresh_s
live = every > 0
monitor_link = "system_health?" + urlencode(selection().link_params()) + "&monitor="  # a monitor's rows


@refresh.panel(every)
def alerts() -> None:
    alerts_panel.panel()  # the rules, evaluated live (no state written)


@refresh.panel(every)
def panels(as_of: datetime | None) -> None:
    ui_data.begin_run()  # a fragment re-run explains a new outage in full, not "see the sidebar"
    monitor_rows = load_optional(health.monitor_status, what="Monitor heartbeats")
    ping = load_live(health.server_info, what="ClickHouse ping")
    clock = views.clock(monitor_rows, ping, as_of)
    top = st.container()
    sections.clock_notes(clock, ping, live, every)

    # ---------------------------------------------------------------- monitors
    st.subheader("Monitors")
    resolution = st.radio(
        "Timeline resolution",
        config.HEALTH_BUCKET_CHOICES_MIN,
        key="sh_res",
        horizontal=True,
        format_func=lambda m: f"{m} min",
    )
    set_url(res=None if resolution == config.HEALTH_DEFAULT_BUCKET_MIN else resolution)
    monitor_summary, assessed, tables, sync = None, None, None, None
    if monitor_rows is not None:
        assessed = rules.assess_monitors(monitor_rows, clock.server_now)
        monitor_summary = rules.summarize(assessed, clock.server_now)
        start = rules.window_start(clock.end, 24, resolution * 60)
        beats = load_optional(health.heartbeat_buckets, start, clock.end_q, resolution * 60, what="Heartbeat timeline")
        timeline = (
            None
            if beats is None
            else views.timeline_view(beats, start, clock.end, resolution * 60, tuple(assessed["monitor"].to_list()))
        )
        sections.monitors(assessed, timeline, start, clock.end, resolution, monitor_link)
        # a DOWN or LATE monitor's name in the summary links here: its newest heartbeat rows (URL: monitor)
        names = assessed["monitor"].to_list()
        init_from_url("sh_monitor", "monitor", parse_monitor, None)
        if st.session_state["sh_monitor"] not in names:
            st.session_state["sh_monitor"] = None
        picked = st.selectbox(
            "Heartbeat rows of",
            names,
            key="sh_monitor",
            placeholder="Pick a monitor",
            help="Its newest heartbeats, each once: when it beat, from which host, which error.",
        )
        set_url(monitor=picked)
        init_from_url("sh_beat_errors", "errors", lambda raw: parse_flag(raw, "errors"), False)
        errors_only = st.toggle(
            "Errors only",
            key="sh_beat_errors",
            help="Only the beats that reported an error: the incident, not the newest OK beats after it.",
        )
        set_url(errors=1 if errors_only else None)
        if picked:
            beats_of = load(health.monitor_beats, picked, clock.end_q, 50, errors_only, what=f"Heartbeats of {picked}")
            kind = "error heartbeats" if errors_only else "heartbeats"
            if beats_of is not None and not empty_note(beats_of, f"{kind} of {picked} in the last 7 days"):
                sections.monitor_beats(beats_of, picked, errors_only)

    # ----------------------------------------------------------- synced tables
    st.subheader("Synced tables")
    stats = [
        frame
        for name in health.SYNCED_TABLES
        if (frame := load_optional(health.sync_stats, name, clock.end_q, what=f"Sync statistics of {name}")) is not None
    ]
    table_summary = None
    if stats:
        tables = rules.assess_tables(pl.concat(stats, how="diagonal_relaxed"))
        table_summary = rules.worst(s for s in tables["status"].to_list() if s != "N/A")
        sections.synced_tables(tables)
        # the chart is folded (drawn on demand); its label carries the gaps. Its window picker lives in the fold,
        # so the window comes from the session, or the URL while the fold has not been opened
        init_from_url("sh_hours", "hours", parse_hours, config.HEALTH_DEFAULT_HOURS)
        hours = st.session_state["sh_hours"] or config.HEALTH_DEFAULT_HOURS
        per_hour = []
        for frame in stats:
            name = frame.item(0, "table_key")
            rows = load_optional(health.rows_per_hour, name, clock.end_q, hours, what=f"Rows per hour of {name}")
            if rows is not None:
                per_hour.append((name, rows))
        if per_hour:
            filled = views.filled_hours(tuple(per_hour), clock.end, hours)
            fold = lazy_expander(health_answer.rows_fold_label(filled, hours), "sh_rows_fold")
            if fold.open:
                with fold:
                    st.segmented_control(
                        "Rows per hour over", config.HEALTH_HOURS_CHOICES, key="sh_hours", format_func=fmt.hours_span
                    )
                    sections.rows_per_hour(filled)
            set_url(hours=None if hours == config.HEALTH_DEFAULT_HOURS else hours)

    # --------------------------------------------------------------- sync runs
    st.subheader("Sync runs")
    runs = load_optional(health.sync_summary, clock.end_q, what="Sync runs (sync_log)")
    sync_summary = None
    if runs is not None and not empty_note(runs, f"sync runs in the 7 days before {fmt.utc(clock.end_q)}"):
        sync = rules.assess_sync(runs)
        sync_summary = rules.worst(sync["status"].to_list())
        sections.sync_runs(sync)
        failures = load(health.sync_failures, clock.end_q, config.SYNC_FAILURES_LISTED, what="Recent sync failures")
        if failures is not None:
            sections.sync_failures(failures, health_answer.failed_runs_24h(sync), clock.end_q)
        duration_hours = config.SYNC_DURATIONS_HOURS
        durations = load(health.sync_durations, clock.end_q, duration_hours, what="Sync durations")
        if durations is not None and durations.height:
            fold = lazy_expander(health_answer.durations_fold_label(durations, duration_hours), "sh_durations_fold")
            if fold.open:
                with fold:
                    sections.sync_durations(durations, clock.end_q, duration_hours)

    # -------------- below, on demand: ClickHouse, Prices, Data quality (only the open tab is drawn, each label
    # carries its status from the same loads; messages kept for the tab: ui.data.Notes)
    st.subheader("Checks")
    client = desk_client()
    sanity_hours = config.PRICE_SANITY_HOURS
    price_notes, data_notes = Notes(), Notes()
    divergence = load_optional(
        prices.price_divergence, sanity_hours, what="Exchange marks vs Binance", where=price_notes
    )
    candles = load_optional(prices.candle_problems, sanity_hours, what="Candle problems", where=price_notes)
    sanity = price_panel.price_sanity(divergence, candles)
    contract_rows = load(contract.contract_check, what="Data contract check", where=data_notes)
    future = load(odd_data.future_rows, what="Rows dated in the future", where=data_notes)
    stray = load(odd_data.stray_rows, what="Rows dated before inception", where=data_notes)
    null_keys = load(odd_data.null_key_rows, what="Rows with an empty key", where=data_notes)
    clickhouse_tab, prices_tab, data_tab = lazy_tabs(
        "section",
        checks.tab_labels(
            checks.clickhouse_check(client, ping),
            checks.prices_check(sanity, price_notes),
            checks.data_check(contract_rows, future, stray, null_keys, data_notes),
        ),
        key="sh_tab",
    )
    if clickhouse_tab.open:
        with clickhouse_tab:
            sections.clickhouse_panel(client, ping)
    if prices_tab.open:
        with prices_tab:
            price_notes.show()
            price_panel.prices_panel(sanity, sanity_hours)
    if data_tab.open:
        with data_tab:
            data_notes.show()
            data_quality.contract_table(contract_rows)
            data_quality.future_rows(future)
            data_quality.stray_rows(stray, odd_data.inception_rule())
            data_quality.null_key_rows(null_keys)

    with top:
        sections.summary_row(monitor_summary, table_summary, sync_summary, ping)
        # the five-second answer: how late, who is down, what is true of the sync, the other feeds
        kline = load_optional(health.newest_kline, what="Binance klines freshness")
        targets = load_optional(tracking_error.newest_target_date, what="Model targets freshness")
        kline_newest = kline.item(0, "newest") if kline is not None and kline.height else None
        targets_newest = targets.item(0, "newest") if targets is not None and targets.height else None
        lag = health_answer.sync_lag(tables) if tables is not None else None
        answer.headline(
            lag,
            health_answer.monitors_line(health_answer.monitor_names(assessed), monitor_link)
            if assessed is not None
            else "",
            health_answer.sync_sentence(table_summary, sync, lag) if lag is not None else "",
            kline_newest,
            health_answer.candle_age_s(kline_newest, clock.server_now),
            targets_newest,
            health_answer.target_age_s(targets_newest, clock.server_now),
        )
    sidebar.follow_source_status(client)  # a timed re-run shows an outage in the sidebar too


alerts()
panels(as_of)
