"""Overview: the PM's first look — equity, PnL, exposure, tracking error, health."""

from datetime import timedelta

import streamlit as st

from lib import config, pnl
from lib import format as fmt
from queries import health, overview, tracking_error
from ui import router
from ui import overview_sections as sections
from ui.data import empty_note, load, load_optional
from ui.sidebar import current_range, data_as_of_line

router.guard()  # first: a direct link on a fresh server reruns through app.py (sign-in, sidebar)

st.title("Overview")
data_as_of_line()
start, end = current_range()
as_of = st.session_state.get("data_as_of")

# --- health badge, linking to System Health -------------------------------------------------
badge, link = st.columns([4, 1], vertical_alignment="center")
mon = load_optional(health.monitor_status, what="monitor heartbeats", where=badge)
if mon is not None:
    summary = sections.health_summary(mon)
    badge.badge(f"System health: {fmt.md_text(summary.label)}", icon=":material/monitor_heart:",
                color=fmt.STATUS_BADGES.get(summary.status, "gray"),
                help="; ".join(fmt.md_text(p) for p in summary.problems)
                or "Worst monitor status on the System Health page.")
link.page_link("pages/system_health.py", label="System Health", icon=":material/arrow_forward:")

# --- headline metrics -------------------------------------------------------------------------
sections.pnl_metrics(load(overview.headline_pnl, what="headline PnL"))
expo = load(overview.latest_exposure, what="latest exposure")
snap_day = pnl.latest_snapshot_day(as_of, config.DEFAULT_SNAPSHOT_HOUR)
tl = None
if snap_day is not None:
    tl = load(tracking_error.timeline, snap_day - timedelta(days=1), snap_day, config.DEFAULT_SNAPSHOT_HOUR,
              what="latest tracking error")
sections.exposure_metrics(expo, tl, snap_day)

# --- PnL decomposition over the global range ---------------------------------------------------
st.subheader(f"PnL {start} – {end} (UTC days)")
win = load(overview.pnl_window, start, end, what="PnL decomposition")
if win is not None and win.height:
    sections.decomposition(win)

# --- equity curve, drawdown, daily statistics ---------------------------------------------------
bucket_s = pnl.chart_bucket_seconds(start, end)
bucket_label = "hourly" if bucket_s == 3600 else "daily"
series = load(overview.equity_series, start, end, bucket_s, what="equity curve")
flows = load(overview.flows_list, start, end, what="deposits and withdrawals")
if series is not None and not empty_note(series, "equity"):
    sections.equity_and_drawdown(series, flows, bucket_label)

daily = series if bucket_s == 86400 else load(overview.equity_series, start, end, 86400, what="daily returns")
if daily is not None and daily.height:
    sections.daily_statistics(daily)

# --- exposure over time ----------------------------------------------------------------------------
expo_series = load(overview.exposure_series, start, end, bucket_s, what="exposure over time")
if expo_series is not None and not empty_note(expo_series, "positions snapshots"):
    sections.exposure(expo_series, bucket_label)

if flows is not None and flows.height:
    sections.flows_table(flows)
