"""Overview: the PM's first look — equity, PnL, exposure, tracking error, health."""

from datetime import timedelta

import streamlit as st

from lib import config, pnl
from lib import format as fmt
from lib import health as health_rules
from queries import health, overview, tracking_error
from ui import overview_charts as charts
from ui.data import empty_note, load, load_optional
from ui.sidebar import current_range, data_as_of_line

st.title("Overview")
data_as_of_line()
start, end = current_range()
as_of = st.session_state.get("data_as_of")

# --- health badge, linking to System Health -------------------------------------------------
badge, link = st.columns([4, 1], vertical_alignment="center")
mon = load_optional(health.monitor_status, what="monitor heartbeats", where=badge)
if mon is not None:
    summary = health_rules.overall_status(mon)
    badge.badge(f"System health: {summary.label}", icon=":material/monitor_heart:",
                color={"OK": "green", "LATE": "orange", "DOWN": "red"}.get(summary.status, "gray"),
                help="; ".join(summary.problems) or "Worst monitor status on the System Health page.")
link.page_link("pages/system_health.py", label="System Health", icon=":material/arrow_forward:")

# --- headline metrics -------------------------------------------------------------------------
head = load(overview.headline_pnl, what="headline PnL")
windows = pnl.headline(head) if head is not None else {}
today = windows.get("today", {})
row1 = st.columns(5)
row1[0].metric("Equity (AUM)", fmt.usd(today.get("equity_end")),
               delta=fmt.metric_delta(fmt.usd(today.get("pnl"), signed=True)),
               delta_description="PnL today",
               help=f"Newest usable account snapshot: {fmt.utc(today.get('equity_end_ts'))}.")
for col, key, label in ((row1[1], "today", "PnL today"), (row1[2], "7d", "PnL 7d"), (row1[3], "30d", "PnL 30d"),
                        (row1[4], "all", "PnL since start")):
    w = windows.get(key, {})
    col.metric(label, fmt.usd(w.get("pnl"), signed=True),
               delta=fmt.metric_delta(fmt.pct(w.get("ret"), signed=True)), delta_description="return",
               help=f"Equity change minus net deposits/withdrawals ({fmt.usd(w.get('flows'), signed=True)}) "
                    f"from {fmt.utc(w.get('equity_start_ts'))} to {fmt.utc(w.get('equity_end_ts'))}. "
                    "Return: Modified Dietz (flows weighted by time in the window).")

expo = load(overview.latest_exposure, what="latest exposure")
x = expo.row(0, named=True) if expo is not None and expo.height else {}
snap_day = pnl.latest_snapshot_day(as_of, config.DEFAULT_SNAPSHOT_HOUR)
tl = None
if snap_day is not None:
    tl = load(tracking_error.timeline, snap_day - timedelta(days=1), snap_day, config.DEFAULT_SNAPSHOT_HOUR,
              what="latest tracking error")
row2 = st.columns(5)
row2[0].metric("Gross exposure", fmt.pct(pnl.exposure_pct(x.get("gross_usd"), x.get("equity")), 1),
               delta=fmt.usd(x.get("gross_usd")) if x else None, delta_arrow="off", delta_color="off",
               help=f"Sum of |position value| at the newest positions snapshot ({fmt.utc(x.get('ts'))}), "
                    "as % of equity.")
row2[1].metric("Net exposure", fmt.pct(pnl.exposure_pct(x.get("net_usd"), x.get("equity")), 1, signed=True),
               delta=fmt.usd(x.get("net_usd"), signed=True) if x else None, delta_arrow="off", delta_color="off",
               help="Long minus short position value, as % of equity.")
row2[2].metric("Long positions", x.get("n_long", fmt.MISSING),
               delta=fmt.usd(x.get("long_usd")) if x else None, delta_arrow="off", delta_color="off")
row2[3].metric("Short positions", x.get("n_short", fmt.MISSING),
               delta=fmt.usd(x.get("short_usd")) if x else None, delta_arrow="off", delta_color="off")
te_now = pnl.te_headline(tl, snap_day)
counts_text = charts.category_text(te_now["counts"])
problems_text = charts.category_text(te_now["problems"])
row2[4].metric("Tracking error", fmt.pct(te_now["te"]),
               delta=fmt.metric_delta(fmt.pct(te_now["delta"], signed=True)), delta_color="inverse",
               delta_description="vs day before",
               help=f"Weight-space TE vs the T+2 target at {snap_day} {config.DEFAULT_SNAPSHOT_HOUR:02d}:00 UTC, "
                    "the newest day whose snapshot hour is complete in the data. "
                    + (f"Problems: {problems_text}." if problems_text else "No problem rows."))
if snap_day is not None:
    st.caption(f"Tracking error at {snap_day} {config.DEFAULT_SNAPSHOT_HOUR:02d}:00 UTC, symbols by category: "
               + (counts_text or "none") + " — details on the Tracking Error page.")
if x.get("n_unvalued"):
    st.caption(f":material/warning: {x['n_unvalued']} held coin(s) have no position value and are left out "
               "of the exposure sums.")

# --- PnL decomposition over the global range ---------------------------------------------------
st.subheader(f"PnL {start} – {end} (UTC days)")
win = load(overview.pnl_window, start, end, what="PnL decomposition")
if win is not None and win.height:
    w = win.row(0, named=True)
    parts = pnl.decompose(w)
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.decomposition(parts), key="ov_decomposition")
    table = pnl.decomposition_frame(parts)
    right.table(
        {"Component": table["label"].to_list() + ["Total PnL"],
         "USD": [fmt.usd(v, signed=True) for v in table["usd"].to_list()] + [fmt.usd(parts["total"], signed=True)]},
        hide_index=True,
    )
    right.markdown(
        f"Equity {fmt.usd(parts['equity_start'])} → {fmt.usd(parts['equity_end'])} "
        f"(Δ {fmt.usd(parts['equity_change'], signed=True)}) − net deposits/withdrawals "
        f"{fmt.usd(parts['flows'], signed=True)} = **total PnL {fmt.usd(parts['total'], signed=True)}**  \n"
        f"= realized {fmt.usd(parts['realized'], signed=True)} + fees {fmt.usd(parts['fees'], signed=True)} "
        f"+ funding {fmt.usd(parts['funding'], signed=True)} + Δ unrealized "
        f"{fmt.usd(parts['unrealized_change'], signed=True)} + residual {fmt.usd(parts['residual'], signed=True)}"
    )
    right.caption(
        f"Marks: equity {fmt.utc(w['equity_start_ts'], seconds=True)} → {fmt.utc(w['equity_end_ts'], seconds=True)}; "
        f"positions {charts.mark_text(w['unrealized_start_ts'], w['unrealized_start'])} → "
        f"{charts.mark_text(w['unrealized_end_ts'], w['unrealized_end'])}. "
        f"{w['n_fills']:,} fills, {w['n_funding']:,} funding payments, {w['n_flows']} deposit/withdrawal(s). "
        "Deposits and withdrawals are never PnL."
    )
    if parts["residual"] is None and parts["total"] is not None:
        st.info("The change in unrealized PnL is unknown (no positions snapshot at a mark and the account "
                "reports open positions), so the residual cannot be computed.", icon=":material/info:")

# --- equity curve, drawdown, daily statistics ---------------------------------------------------
bucket_s = pnl.chart_bucket_seconds(start, end)
bucket_label = "hourly" if bucket_s == 3600 else "daily"
series = load(overview.equity_series, start, end, bucket_s, what="equity curve")
flows = load(overview.flows_list, start, end, what="deposits and withdrawals")
if series is not None and not empty_note(series, "equity"):
    periods = pnl.period_returns(series)
    dd = pnl.drawdown_series(periods)
    worst = pnl.max_drawdown(dd)
    st.subheader("Equity and drawdown")
    st.plotly_chart(charts.equity_curve(periods, flows, bucket_label), key="ov_equity")
    d1, d2, d3, d4 = st.columns(4)
    d1.metric("Max drawdown", fmt.pct(worst["max_drawdown"], signed=True),
              help="Worst fall of the deposit-adjusted equity index from a running peak in the range.")
    d2.metric("Peak (UTC)", charts.short_utc(worst["peak_ts"]), help=fmt.utc(worst["peak_ts"]))
    d3.metric("Trough (UTC)", charts.short_utc(worst["trough_ts"]), help=fmt.utc(worst["trough_ts"]),
              delta=f"recovered {fmt.utc(worst['recovered_ts'])}" if worst["recovered_ts"] else
              ("not recovered" if worst["trough_ts"] else None), delta_arrow="off", delta_color="off")
    d4.metric("Current drawdown", fmt.pct(worst["current_drawdown"], signed=True),
              help=f"From the peak of {fmt.utc(worst['current_peak_ts'])}.")
    st.plotly_chart(charts.underwater(dd, worst), key="ov_underwater")
    if periods["n_bad_snapshots"].sum():
        st.caption(f"{periods['n_bad_snapshots'].sum()} account snapshot(s) with missing, zero or negative "
                   "equity were skipped.")

daily = series if bucket_s == 86400 else load(overview.equity_series, start, end, 86400, what="daily returns")
if daily is not None and daily.height:
    days = pnl.period_returns(daily)
    stats = pnl.daily_stats([b.date() for b in days["bucket"].to_list()], days["ret"].to_list(),
                            days["pnl"].to_list())
    st.subheader("Daily statistics (UTC days, returns net of deposits/withdrawals)")
    s1, s2, s3, s4 = st.columns(4)
    s1.metric("Mean return / day", fmt.pct(stats["mean_return"], 3, signed=True))
    s2.metric("Win rate (days)", fmt.pct(stats["win_rate"], 0),
              help=f"{stats['n_up'] or 0} up, {stats['n_down'] or 0} down days.")
    s3.metric("Best day", fmt.pct(stats["best_return"], signed=True),
              delta=str(stats["best_day"]) if stats["best_day"] else None, delta_arrow="off", delta_color="off")
    s4.metric("Worst day", fmt.pct(stats["worst_return"], signed=True),
              delta=str(stats["worst_day"]) if stats["worst_day"] else None, delta_arrow="off", delta_color="off")
    s5, s6, s7, _ = st.columns(4)
    s5.metric(f"Volatility (ann. ×√{config.ANNUALISATION_DAYS})", fmt.pct(stats["vol_ann"], 1))
    s6.metric(f"Sharpe (ann. ×√{config.ANNUALISATION_DAYS})", fmt.number(stats["sharpe_ann"], 2))
    s7.metric("Days", stats["n_days"], help=f"Days with a return; {stats['n_missing']} without (no previous mark).")
    st.plotly_chart(charts.daily_returns(days), key="ov_daily")

# --- exposure over time ----------------------------------------------------------------------------
expo_series = load(overview.exposure_series, start, end, bucket_s, what="exposure over time")
if expo_series is not None and not empty_note(expo_series, "positions snapshots"):
    st.subheader("Exposure over time")
    st.plotly_chart(charts.exposure(expo_series, bucket_label), key="ov_exposure")

if flows is not None and flows.height:
    with st.expander(f"Deposits and withdrawals in the range ({flows.height})", icon=":material/account_balance:"):
        st.dataframe(charts.naive_utc(flows, "time"), hide_index=True, placeholder=fmt.MISSING,
                     column_config={"time": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                                    "usdc": st.column_config.NumberColumn("USDC", format="dollar")})
