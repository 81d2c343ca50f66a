"""Overview: the PM's first look — equity, PnL, exposure, tracking error, health."""

from datetime import timedelta

import streamlit as st

from answers import rebalance
from lib import clock, config
from lib import format as fmt
from lib.book import pnl
from lib.book import regimes as regime_rules
from lib.inputs import parse_trend_band
from queries.book import overview, regimes, risk
from queries.health import health
from queries.tracking import tracking_error
from ui import alerts_panel, layout, links, odd_rows
from ui.data import empty_note, load, load_optional
from ui.overview import model_book as model_book_line
from ui.overview import rebalance as rebalance_panel
from ui.overview import regimes as regime_panel
from ui.overview import risk as risk_panel
from ui.overview import sections, views
from ui.shell import router
from ui.shell.sidebar import data_as_of_line, selection
from ui.state import lazy_tabs, set_url, url_value

router.guard()  # first: a direct link on a fresh server reruns through app.py (sign-in, sidebar)

st.title("Overview")
sidebar = selection()
data_as_of_line(sidebar.as_of)
odd_rows.null_key_note(("account", "trades", "positions", "funding", "ledger"))  # rows left out for an empty (NULL) key
start, end = sidebar.start, sidebar.end

# --- health badge, linking to System Health -------------------------------------------------
badge_column, link_column = layout.metric_row(2)  # wraps on a narrow screen, never cuts the badge
monitor_rows = load_optional(health.monitor_status, what="monitor heartbeats", where=badge_column)
if monitor_rows is not None:
    summary = views.health_summary(monitor_rows)
    firing = alerts_panel.firing_subjects()  # the System Health Alerts panel's firing rows
    badge_column.badge(
        f"System health: {fmt.md_text(summary.label)}{alerts_panel.badge_text(firing)}",
        icon=":material/monitor_heart:",
        color="red" if firing else fmt.STATUS_BADGES.get(summary.status, "gray"),
        help="; ".join(fmt.md_text(p) for p in summary.problems) or "Worst monitor status on the System Health page.",
    )
    if firing:
        badge_column.caption(alerts_panel.firing_line(firing))
link_column.page_link(
    "pages/system_health.py",
    label="System Health",
    icon=":material/arrow_forward:",
    query_params=sidebar.link_params(),
    help="Monitors, synced tables and sync runs.",
)

# --- headline metrics -------------------------------------------------------------------------
equity_now = pnl.equity_now(load(overview.equity_now, what="equity now"))
sections.pnl_metrics(
    views.headline_windows(load(overview.headline_pnl, what="headline PnL")),
    equity_now,
    views.equity_warning(equity_now),
)
exposure = load(overview.latest_exposure, what="latest exposure")
snapshot_day = clock.latest_complete_day(sidebar.as_of, config.DEFAULT_SNAPSHOT_HOUR) if sidebar.as_of else None
timeline = None
if snapshot_day is not None:
    timeline = load(
        tracking_error.timeline,
        snapshot_day - timedelta(days=1),
        snapshot_day,
        config.DEFAULT_SNAPSHOT_HOUR,
        what="latest tracking error",
    )
sections.exposure_metrics(views.exposure_now(exposure, timeline, snapshot_day), snapshot_day)

# --- today's rebalance, to completion (ui/overview/rebalance.py; Trades has any day's) ---------------------
st.subheader("Today's rebalance")
if sidebar.clock is not None:
    rebalance_day = sidebar.clock.now.date()
    progress = load(rebalance.completion, rebalance_day, sidebar.clock, what="today's rebalance")
    if progress is not None:
        rebalance_panel.rebalance_panel(
            rebalance_panel.rebalance_view(progress, links.orders_prefix(sidebar, rebalance_day)), "ov_rebalance"
        )
    st.page_link(
        "pages/trades.py",
        label="Another day's rebalance, and the orders behind it",
        icon=":material/arrow_forward:",
        query_params=sidebar.link_params(tab="rebalance"),
    )

# --- risk now: margin, leverage, withdrawable, nearest liquidations (ui/overview/risk.py) -------
st.subheader("Risk")
risk_panel.risk_panel(
    risk_panel.risk_now(
        load(risk.latest_account_risk, what="account risk"), load(risk.position_risk, what="liquidation distances")
    )
)

# --- PnL decomposition over the global range ---------------------------------------------------
# the sidebar's window: its UTC days, or the last 24 hours for the 24 h preset (a preset means what it says)
window_start, window_end = sidebar.window
span = fmt.window_text(window_start, window_end)
st.subheader(f"PnL {span}")
window = load(overview.pnl_window, window_start, window_end, what="PnL decomposition")
if window is not None and window.height:
    sections.decomposition(views.decomposition(window))
model_book_line.show(sidebar)  # live against the model book: one line, and a link to Tracking Error

# --- equity curve, drawdown, daily statistics ---------------------------------------------------
bucket_s = pnl.chart_bucket_seconds(start, end)
bucket_label = "hourly" if bucket_s == 3600 else "daily"
series = load(overview.equity_series, window_start, window_end, bucket_s, what="equity curve")
flows = load(overview.flows_list, start, end, what="deposits and withdrawals")
if series is not None and not empty_note(series, "equity"):
    sections.equity_and_drawdown(views.drawdown(series), flows, bucket_label, span)

daily = (
    series if bucket_s == 86400 else load(overview.equity_series, window_start, window_end, 86400, what="daily returns")
)
if daily is not None and daily.height:
    sections.daily_statistics(views.daily_statistics(daily, start))

# --- the rest on demand: only the open tab's queries and charts run (st.tabs on_change="rerun") --------
TABS = {
    "exposure": "Exposure",
    "margin": "Margin and leverage",
    "flows": "Deposits and withdrawals",
    "regimes": "PnL windows and market regimes",
}
tabs = lazy_tabs("section", TABS, key="ov_tab")

with tabs[0]:
    if tabs[0].open:
        exposure_series = load(overview.exposure_series, start, end, bucket_s, what="exposure over time")
        if exposure_series is not None and not empty_note(exposure_series, "positions snapshots"):
            sections.exposure(exposure_series, bucket_label)

with tabs[1]:
    if tabs[1].open:
        risk_series = load(risk.account_risk_series, start, end, bucket_s, what="margin and leverage over time")
        if risk_series is not None and not empty_note(risk_series, "account snapshots"):
            risk_panel.risk_trend(risk_series, bucket_label)

with tabs[2]:
    if tabs[2].open:
        if flows is not None and flows.height:
            sections.flows_table(flows)
        elif flows is not None:
            st.caption(f"No deposits or withdrawals {start} – {end}.")

# --- when the book makes money: hour, weekday, rebalance window, regime (ui/overview/regimes.py) --
with tabs[3]:
    if tabs[3].open:
        st.subheader("PnL windows and market regimes")
        band_default = regime_rules.default_band_pct()
        band_column, _ = st.columns([2, 5])
        band = band_column.number_input(
            "Trend band (± % BTC 24 h return)",
            min_value=config.REGIME_TREND_BAND_RANGE_PCT[0],
            max_value=config.REGIME_TREND_BAND_RANGE_PCT[1],
            value=url_value("trend", parse_trend_band, band_default),
            step=0.5,
            key="ov_trend_band",
            help="An hour is 'up' when BTC rose more than this over the 24 h ending "
            "at its close, 'down' when it fell more, else 'flat'.",
        )
        set_url(trend=None if band == band_default else band)
        trend_up, trend_down = regime_rules.trend_thresholds(band)
        buckets = load(regimes.pnl_buckets, start, end, trend_up, trend_down, what="PnL by window and regime")
        if buckets is not None and not empty_note(buckets, "account snapshots"):
            regime_panel.pnl_windows_panel(regime_panel.pnl_windows(buckets), trend_up, trend_down)
