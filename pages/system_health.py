"""System Health: is the data flowing and how late is it?

Monitors (heartbeats), synced tables (freshness, sync latency, rows per hour,
duplicates), sync runs (sync_log) and ClickHouse itself. Everything below the
controls is one fragment that re-runs every N seconds while auto-refresh is
on; ages are measured against the server clock (now64()).
"""

from datetime import datetime, timezone

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib import health as rules
from queries import health
from queries._base import client as desk_client
from ui import data as ui_data
from ui import health_charts as charts
from ui.data import empty_note, load, load_live, load_optional
from ui.sidebar import data_as_of_line
from ui.state import set_url, url_value

st.title("System Health")
data_as_of_line()

# ------------------------------------------------------------ refresh controls
if "sh_live" not in st.session_state:
    every0 = url_value("every", rules.parse_refresh, rules.DEFAULT_REFRESH_S)
    st.session_state["sh_live"] = every0 != 0
    st.session_state["sh_every"] = every0 or rules.DEFAULT_REFRESH_S
if "sh_res" not in st.session_state:
    st.session_state["sh_res"] = url_value("res", rules.parse_bucket, rules.DEFAULT_BUCKET_MIN)
if "sh_hours" not in st.session_state:
    st.session_state["sh_hours"] = url_value("hours", rules.parse_hours, rules.DEFAULT_HOURS)

ctl = st.columns([1.3, 1.2, 5], vertical_alignment="center")
live = ctl[0].toggle("Auto-refresh", key="sh_live", help="Re-run the checks below on a timer. Off = paused.")
every = ctl[1].selectbox("Every", rules.REFRESH_CHOICES_S, key="sh_every", disabled=not live,
                         format_func=lambda s: f"every {s} s", label_visibility="collapsed")
set_url(every=None if (live and every == rules.DEFAULT_REFRESH_S) else (every if live else 0))


@st.fragment(run_every=every if live else None)
def panels() -> None:
    ui_data.begin_run()  # a fragment re-run explains a new outage in full, not "see the sidebar"
    client = desk_client()
    mon = load_optional(health.monitor_status, what="Monitor heartbeats")
    info = load_live(health.server_info, what="ClickHouse ping")

    server_now = None
    if mon is not None and mon.height:
        server_now = mon.item(0, "server_now")
    elif info:
        server_now = info.get("server_now")
    server_now = rules.aware(server_now)
    machine_now = datetime.now(timezone.utc)
    clock_note = ""
    if server_now is None:
        server_now = machine_now
        clock_note = "Server clock unavailable: windows end at this machine's clock."
    newest_beat = rules.valid_ts(mon.item(0, "newest_beat")) if (mon is not None and mon.height) else None
    anchor, _lag = rules.window_end(server_now, [newest_beat, st.session_state.get("data_as_of")])
    end_t = anchor or server_now  # where every chart window ends
    end_q = rules.ceil_minute(end_t)

    top = st.container()
    st.caption(
        f"Checked {fmt.utc(machine_now, seconds=True)} · server clock {fmt.utc(server_now, seconds=True)} · "
        + (f"auto-refresh every {every} s" if live else "auto-refresh paused")
        + (f" · {clock_note}" if clock_note else "")
    )
    ping_now = rules.aware(info.get("server_now")) if info else None
    skew = (machine_now - ping_now).total_seconds() if ping_now else 0.0  # ping is cached <= 5 s
    if abs(skew) > 300:
        st.warning(f"This machine's clock and the ClickHouse server's differ by {fmt.age(abs(skew))}; "
                   "ages are measured with the server's.", icon=":material/schedule:")
    if newest_beat is not None:
        behind = (server_now - newest_beat).total_seconds()
        if anchor is not None:
            st.warning(
                f"**The newest heartbeat ({fmt.utc(newest_beat)}) is {fmt.age(behind)} behind the server clock.** "
                "Ages and statuses are measured against the server clock, so stopped monitors read DOWN; "
                f"the charts show the 24 h ending at the newest data ({fmt.utc(end_t)}).",
                icon=":material/history_toggle_off:",
            )
        elif behind > 10 * max(config.MONITOR_INTERVALS_S.values()):
            st.warning(f"**No heartbeat from any monitor for {fmt.age(behind)}** — ingestion may be stopped.",
                       icon=":material/heart_broken:")

    # ---------------------------------------------------------------- monitors
    st.subheader("Monitors")
    res = st.radio("Timeline resolution", rules.BUCKET_CHOICES_MIN, key="sh_res", horizontal=True,
                   format_func=lambda m: f"{m} min")
    set_url(res=None if res == rules.DEFAULT_BUCKET_MIN else res)
    mon_summary = None
    if mon is not None:
        assessed = rules.assess_monitors(mon, server_now)
        mon_summary = rules.summarize(assessed, server_now)
        bucket_s = res * 60
        start = rules.window_start(end_t, 24, bucket_s)
        hb = load_optional(health.heartbeat_buckets, start, end_q, bucket_s, what="Heartbeat timeline")
        states = share = None
        if hb is not None:
            states = rules.timeline_states(hb, start, end_t, bucket_s, monitors=assessed["monitor"].to_list())
            share = rules.time_in_status(states)
        st.dataframe(charts.style_status(charts.monitor_table(assessed, share)), hide_index=True)
        if states is not None:
            st.plotly_chart(
                charts.monitor_timeline(rules.segments(states), start, end_t, assessed["monitor"].to_list()),
                key="sh_timeline",
            )
            st.caption(
                f"The worst status each monitor had in each {res}-minute bucket of the 24 h ending "
                f"{fmt.utc(end_t)}: LATE after {config.LATE_FACTOR} missed intervals, DOWN after "
                f"{config.DOWN_FACTOR} or while the last run reported an error; grey = no earlier beat known."
            )

    # ----------------------------------------------------------- synced tables
    st.subheader("Synced tables")
    stats = []
    for name in health.SYNCED_TABLES:
        df = load_optional(health.sync_stats, name, what=f"Sync statistics of {name}")
        if df is not None:
            stats.append(df)
    table_summary = None
    if stats:
        tab = rules.assess_tables(pl.concat(stats, how="diagonal_relaxed"))
        table_summary = rules.worst(s for s in tab["status"].to_list() if s != "N/A")
        st.dataframe(charts.style_status(charts.tables_table(tab)), hide_index=True)
        st.caption(
            "Freshness = server now − newest row. Latency = synced_at − ingested_at of each row's first "
            "delivery, over the last hour / day of each table's data (exact quantiles). Duplicated = rows the "
            "sync delivered more than once (rows − distinct natural keys), still present on the remote. "
            "Event-driven tables (fills, orders, ledger) have no freshness status: quiet hours are normal."
        )
        hours = st.segmented_control("Rows per hour over", rules.HOURS_CHOICES, key="sh_hours",
                                     format_func=lambda h: f"{h // 24} d" if h >= 48 else f"{h} h")
        hours = hours or rules.DEFAULT_HOURS
        set_url(hours=None if hours == rules.DEFAULT_HOURS else hours)
        filled = []
        for df in stats:
            name = df.item(0, "table_key")
            per = load_optional(health.rows_per_hour, name, end_q, hours, what=f"Rows per hour of {name}")
            if per is not None:
                filled.append(rules.fill_hours(per, end_t, hours, name))
        if filled:
            st.plotly_chart(charts.rows_per_hour_chart(filled), key="sh_rows")
            st.caption("Distinct rows per UTC hour (blue), extra duplicated copies (orange). Red bands: hours "
                       "without rows in a continuous table (a gap). Fills, orders and ledger come in bursts: "
                       "their empty hours are normal and not shaded.")

    # --------------------------------------------------------------- sync runs
    st.subheader("Sync runs")
    summ = load_optional(health.sync_summary, end_q, what="Sync runs (sync_log)")
    sync_summary = None
    if summ is not None and not empty_note(summ, f"sync runs in the 7 days before {fmt.utc(end_q)}"):
        sync = rules.assess_sync(summ)
        sync_summary = rules.worst(sync["status"].to_list())
        st.dataframe(charts.style_status(charts.sync_table(sync)), hide_index=True)
        fails = load(health.sync_failures, end_q, 50, what="Recent sync failures")
        n_fail = int(sync["failures_24h"].sum())
        if fails is not None:
            with st.expander(f"Recent failures · {n_fail} in the 24 h to {fmt.utc(end_q)}", expanded=False):
                if fails.height:
                    st.dataframe(charts.failures_table(fails), hide_index=True)
                else:
                    st.caption("No failed runs in the last 7 days.")
        durs = load(health.sync_durations, end_q, 24, what="Sync durations")
        if durs is not None and durs.height:
            st.plotly_chart(charts.sync_duration_chart(durs), key="sh_durations")
            st.caption("Longest sync run per hour and table over the 24 h to "
                       f"{fmt.utc(end_q)}; × marks hours with failed runs.")

    # -------------------------------------------------------------- ClickHouse
    st.subheader("ClickHouse")
    role = "embedded demo" if client.settings.embedded_default else client.active
    cols = st.columns(4)
    cols[0].metric("Endpoint in use", role)
    cols[1].metric("Server version", info["version"] if info else fmt.MISSING)
    cols[2].metric("Round trip · SELECT version()", f"{info['rtt_s'] * 1000:.0f} ms" if info else fmt.MISSING)
    last_ok = client.last_success_at
    cols[3].metric("Last successful query", f"{fmt.age_since(last_ok)} ago" if last_ok else "never")
    secondary = client.settings.secondary.label if client.settings.secondary else "none configured"
    st.caption(
        f"Endpoint: {client.description} · secondary: {secondary} · last success "
        f"{fmt.utc(last_ok, seconds=True)} · query time limit {client.settings.query_time_limit_s} s · connect "
        f"timeout {client.settings.connect_timeout_s} s · after a failure an endpoint is skipped for "
        f"{client.RETRY_AFTER_S:.0f} s."
    )
    if client.active == "secondary":
        st.warning("The primary endpoint is not answering: queries run on the secondary.",
                   icon=":material/swap_horiz:")

    # --------------------------------------------------------------- summary row
    with top:
        c = st.columns(4)
        c[0].markdown("**Monitors**")
        if mon_summary is not None:
            c[0].markdown(charts.badge_text(mon_summary))
        else:
            c[0].markdown(":gray-badge[not available]")
        for col, title, status in ((c[1], "Synced tables", table_summary), (c[2], "Sync runs", sync_summary)):
            col.markdown(f"**{title}**")
            col.markdown(f":{charts.STATUS_BADGE.get(status, 'gray')}-badge[{status or 'not available'}]")
        c[3].markdown("**ClickHouse**")
        if info:
            c[3].markdown(f":green-badge[answering · {info['rtt_s'] * 1000:.0f} ms]")
        else:
            c[3].markdown(":red-badge[not answering]")


panels()
