"""The Overview page's drawn sections, replayed on reruns with the same inputs (see ui/cache.py).

The page loads the frames (ui.data.load shows failures and stale results where they
happen), turns them into views (ui/overview/views.py, the PnL maths) and hands those
to these sections, which only draw and create no widgets.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib.book import pnl
from lib.tracking import snapshot as te_snapshot
from ui import cache, layout, plot
from ui.overview import charts
from ui.overview.views import DailyStatistics, Decomposition, Drawdown, ExposureNow

_ROW2_OFF = {"delta_arrow": "off", "delta_color": "off"}
RETURN_HELP = (
    "Return: time-weighted — every account snapshot to the next is a sub-period, a deposit or "
    "withdrawal only splits its own few minutes, and the sub-periods are chained (the equity index "
    "the drawdown uses)."
)
MARK_RULE = (
    "End mark: the newest account snapshot; start mark: the last snapshot at or before the window's "
    "start. Fills, fees, funding and flows count between the two marks."
)


@cache.section()
def pnl_metrics(windows: dict[str, dict], now: pnl.EquityNow | None = None, warning: str | None = None) -> None:
    """Equity as the account reports it now, and the PnL of today (UTC day), the last 7 and 30 × 24 h and since
    inception (headline windows); `warning` when the newest equity is at or below zero or missing."""
    today = windows.get("today", {})
    row = layout.metric_row(5)
    if now is not None:
        equity, equity_ts, usable = now.equity, now.ts, now.usable
    else:  # the equity query did not load: the headline's end mark, as before
        equity, equity_ts, usable = today.get("equity_end"), today.get("equity_end_ts"), True
    row[0].metric(
        "Equity (AUM)",
        fmt.usd(equity),
        **layout.delta(fmt.usd(today.get("pnl"), signed=True) if usable else None),
        delta_description="PnL today",
        help=f"What the account reports at the newest account snapshot: {fmt.utc(equity_ts, seconds=True)}."
        + ("" if usable else " Not a usable mark: the PnL windows end at the last positive snapshot."),
    )
    for col, key in ((row[1], "today"), (row[2], "7d"), (row[3], "30d"), (row[4], "all")):
        w = windows.get(key, {})
        label = w.get("label") or pnl.window_label(key)
        col.metric(
            f"PnL {label}",
            fmt.usd(w.get("pnl"), signed=True),
            **layout.delta(fmt.pct(w.get("ret"), signed=True)),
            delta_description=f"time-weighted, data from {w['data_from']:%b %d}"
            if w.get("data_from")
            else "time-weighted",
            help=f"Equity change minus net deposits/withdrawals ({fmt.usd(w.get('flows'), signed=True)}) "
            f"from {fmt.utc(w.get('equity_start_ts'), seconds=True)} to "
            f"{fmt.utc(w.get('equity_end_ts'), seconds=True)}. {MARK_RULE} {RETURN_HELP}",
        )
    if warning:
        st.warning(warning, icon=":material/money_off:")


@cache.section()
def exposure_metrics(view: ExposureNow, snap_day: date | None) -> None:
    """Gross/net exposure, long/short counts at the newest positions round, and the latest tracking error."""
    x = view.row
    hour = config.DEFAULT_SNAPSHOT_HOUR
    row = layout.metric_row(5)
    row[0].metric(
        "Gross exposure",
        fmt.pct(view.gross_pct, 1),
        delta=fmt.usd(x.get("gross_usd")) if x else None,
        **_ROW2_OFF,
        help=f"Sum of |position value| at the newest positions snapshot ({fmt.utc(x.get('ts'))}), as % of equity.",
    )
    row[1].metric(
        "Net exposure",
        fmt.pct(view.net_pct, 1, signed=True),
        delta=fmt.usd(x.get("net_usd"), signed=True) if x else None,
        **_ROW2_OFF,
        help="Long minus short position value, as % of equity.",
    )
    row[2].metric(
        "Long positions", x.get("n_long", fmt.MISSING), delta=fmt.usd(x.get("long_usd")) if x else None, **_ROW2_OFF
    )
    row[3].metric(
        "Short positions", x.get("n_short", fmt.MISSING), delta=fmt.usd(x.get("short_usd")) if x else None, **_ROW2_OFF
    )
    te_now = view.te
    counts_text = charts.category_text(te_now.counts)
    problems_text = charts.category_text(te_now.problems)
    row[4].metric(
        "Tracking error",
        fmt.pct(te_now.te),
        **layout.delta(fmt.pp(te_now.delta), inverse=True),
        delta_description="vs day before",
        help=f"Weight-space TE vs the T+2 target at {fmt.snapshot_when(snap_day, hour)}, "
        "the newest day whose snapshot hour is complete in the data. "
        + (f"Problems: {problems_text}." if problems_text else "No problem rows."),
    )
    if snap_day is not None and te_now.state is not None:
        st.caption(
            f"Tracking error at {fmt.snapshot_when(snap_day, hour)}: not computed, "
            + (
                "no model targets for this holdings date"
                if te_now.state == te_snapshot.NO_TARGETS
                else "no fills up to this snapshot (the book is unknown)"
            )
            + " — nothing is classified, as on the Positions and Tracking Error pages."
        )
    elif snap_day is not None:
        st.caption(
            f"Tracking error at {fmt.snapshot_when(snap_day, hour)}, symbols by category: "
            + (counts_text or "none")
            + " — details on the Tracking Error page."
        )
    if x.get("n_missing"):
        st.warning(
            f"**Incomplete positions round ({fmt.utc(x.get('ts'), seconds=True)}):** "
            f"{charts.missing_text(x.get('missing_coins'), x.get('missing_usd'))} — the fills say "
            "held but the exchange snapshot lacks the row; carried at the fills-implied size and its last "
            "mark, not counted as flat.",
            icon=":material/report:",
        )
    if x.get("n_unvalued"):
        st.caption(
            f":material/warning: {fmt.plural(x['n_unvalued'], 'held coin')} without a position value, left out of "
            "the exposure sums."
        )


@cache.section()
def decomposition(view: Decomposition) -> None:
    """The window's PnL parts: waterfall, table, the reconciliation in words and its marks."""
    w, parts, table = view.window, view.parts, view.table
    left, right = st.columns([3, 2])
    with left:
        plot.show(charts.decomposition(parts), key="ov_decomposition")
    right.table(
        {
            "Component": table["label"].to_list() + ["Total PnL"],
            "USD": [fmt.usd(v, signed=True) for v in table["usd"].to_list()] + [fmt.usd(parts["total"], signed=True)],
        },
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
        f"{w['n_fills']:,} fills, {w['n_funding']:,} funding payments, {fmt.plural(w['n_flows'], 'deposit/withdrawal')} "
        "between the equity marks. Start mark: the last account snapshot at or before "
        f"{fmt.utc(w['t_from'])}; end mark: the last at or before {fmt.utc(w['t_to'])} (the newest when the range "
        "reaches today), as in the headline. Unrealized PnL comes from the positions round nearest each mark; "
        "prices moving in between land in the residual. Deposits and withdrawals are never PnL."
    )
    if w.get("n_fee_other_token"):
        st.caption(
            f":material/currency_exchange: {fmt.plural(w['n_fee_other_token'], 'fee')} paid in a token other than "
            f"USDC {fmt.agree(w['n_fee_other_token'], 'is', 'are')} not in *fees* (no USD value): the residual holds "
            f"{fmt.agree(w['n_fee_other_token'], 'it', 'them')}."
        )
    if parts["residual"] is None and parts["total"] is not None:
        st.info(
            "The change in unrealized PnL is unknown (no positions snapshot at a mark and the account "
            "reports open positions), so the residual cannot be computed.",
            icon=":material/info:",
        )


@cache.section()
def equity_and_drawdown(view: Drawdown, flows: pl.DataFrame | None, bucket_label: str, span: str) -> None:
    """Equity curve with flows marked, the worst and current drawdowns (each with its peak), the underwater chart.

    `span` names the window the drawdown is measured in (its running peak starts at the window's start mark)."""
    periods, worst = view.periods, view.worst
    st.subheader(f"Equity and drawdown, {span}")
    plot.show(charts.equity_curve(periods, flows, bucket_label), key="ov_equity")
    d1, d2, d3, d4 = layout.metric_row(4)
    n_snaps = view.n_snapshots
    d1.metric(
        "Max drawdown",
        fmt.pct(worst["max_drawdown"], signed=True),
        delta=_peak_words(worst["max_drawdown"], worst["peak_ts"]),
        delta_arrow="off",
        delta_color="off",
        help="Worst fall of the time-weighted (deposit-adjusted) equity index from its running peak within "
        f"{span} (the peak is searched from the window's start mark on), measured at every account snapshot "
        f"({n_snaps:,} here) whatever the range's length.",
    )
    d2.metric("Peak (UTC)", charts.short_utc(worst["peak_ts"]), help=fmt.utc(worst["peak_ts"], seconds=True))
    d3.metric(
        "Trough (UTC)",
        charts.short_utc(worst["trough_ts"]),
        help=fmt.utc(worst["trough_ts"], seconds=True),
        delta=f"recovered {fmt.utc(worst['recovered_ts'])}"
        if worst["recovered_ts"]
        else ("not recovered" if worst["trough_ts"] else None),
        delta_arrow="off",
        delta_color="off",
    )
    d4.metric(
        "Current drawdown",
        fmt.pct(worst["current_drawdown"], signed=True),
        delta=_peak_words(worst["current_drawdown"], worst["current_peak_ts"]),
        delta_arrow="off",
        delta_color="off",
        help=f"{fmt.drawdown(worst['current_drawdown'], worst['current_peak_ts'])} "
        f"({fmt.utc(worst['current_peak_ts'], seconds=True)}), at the newest account snapshot of {span}; "
        "the daily report and the drawdown alert read the same definition over their own window.",
    )
    plot.show(charts.underwater(view.underwater, worst, bucket_label), key="ov_underwater")
    notes = [
        f"Drawdown, peak, trough and recovery are computed at every account snapshot ({n_snaps:,}); the charts "
        f"draw one point per {'hour' if bucket_label == 'hourly' else 'UTC day'} (the underwater chart its "
        "deepest point)."
    ]
    if view.n_bad_snapshots:
        notes.append(
            f"{fmt.plural(view.n_bad_snapshots, 'account snapshot')} with missing, zero or negative equity {fmt.agree(view.n_bad_snapshots, 'was', 'were')} skipped."
        )
    st.caption(" ".join(notes))


def _peak_words(dd: float | None, peak_ts) -> str | None:
    """'from the 2026-09-11 peak' under a drawdown metric (None without a peak)."""
    text = fmt.drawdown(dd, peak_ts)
    shown = fmt.pct(dd, 2, signed=True)
    return text[len(shown) :].strip() or None if text != shown else None


@cache.section()
def daily_statistics(view: DailyStatistics) -> None:
    """Mean, win rate, best/worst day, volatility and Sharpe of the finished UTC days' returns, and their bars."""
    stats = view.stats
    root = f"√{config.ANNUALISATION_DAYS}"
    st.subheader("Daily statistics (UTC days, time-weighted returns net of deposits/withdrawals)")
    s1, s2, s3, s4 = layout.metric_row(4)
    s1.metric("Mean return / day", fmt.pct(stats["mean_return"], 3, signed=True))
    s2.metric(
        "Win rate (days)",
        fmt.pct(stats["win_rate"], 0),
        help=f"{stats['n_up'] or 0} up, {stats['n_down'] or 0} down days.",
    )
    s3.metric(
        "Best day",
        fmt.pct(stats["best_return"], signed=True),
        delta=str(stats["best_day"]) if stats["best_day"] else None,
        delta_arrow="off",
        delta_color="off",
    )
    s4.metric(
        "Worst day",
        fmt.pct(stats["worst_return"], signed=True),
        delta=str(stats["worst_day"]) if stats["worst_day"] else None,
        delta_arrow="off",
        delta_color="off",
    )
    s5, s6, s7, _ = layout.metric_row(4)
    s5.metric(
        f"Volatility (ann. ×{root})",
        fmt.pct(stats["vol_ann"], 1),
        delta=f"{stats['n_days']} days",
        delta_arrow="off",
        delta_color="off",
        help=f"Standard deviation of {stats['n_days']} finished days' returns × {root}.",
    )
    s6.metric(
        f"Sharpe (ann. ×{root}, zero risk-free rate)",
        fmt.number(stats["sharpe_ann"], 2),
        delta=f"{stats['n_days']} days",
        delta_arrow="off",
        delta_color="off",
        help=f"Mean / standard deviation of {stats['n_days']} finished days' returns × {root}; risk-free rate 0.",
    )
    s7.metric(
        "Days",
        stats["n_days"],
        help=f"Finished UTC days with a return; {stats['n_missing']} without one. "
        + ("The unfinished current day is left out." if view.n_unfinished else ""),
    )
    st.caption(
        f"{stats['n_days']} finished UTC days · zero risk-free rate · annualised with {root} (crypto trades "
        "every day)" + (" · the unfinished current day is not counted" if view.n_unfinished else "") + "."
    )
    plot.show(charts.daily_returns(view.days), key="ov_daily")


@cache.section()
def exposure(expo_series: pl.DataFrame, bucket_label: str) -> None:
    """Gross, net, long and short exposure over the range."""
    st.subheader("Exposure over time")
    plot.show(charts.exposure(expo_series, bucket_label), key="ov_exposure")
    bad = expo_series.filter(pl.col("incomplete") == 1) if "incomplete" in expo_series.columns else expo_series.clear()
    if bad.height:
        coins = sorted({c for cs in bad["missing_coins"].to_list() for c in (cs or [])})
        st.caption(
            f":material/report: {fmt.plural(bad.height, 'incomplete positions round')} in the range ("
            f"{fmt.utc(bad['ts'].min())} … {fmt.utc(bad['ts'].max())}; {', '.join(fmt.md_text(c) for c in coins)}): a coin the fills "
            "say is held was missing from the snapshot. It is carried at its fills-implied size and last mark "
            "(◆ on the chart), not counted as flat."
        )


@cache.section()
def flows_table(flows: pl.DataFrame) -> None:
    """The range's deposits and withdrawals, folded away."""
    with st.expander(f"Deposits and withdrawals in the range ({flows.height})", icon=":material/account_balance:"):
        st.dataframe(
            plot.naive_utc(flows, "time"),
            hide_index=True,
            placeholder=fmt.MISSING,
            column_config={
                "time": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                "usdc": st.column_config.NumberColumn("USDC", format="dollar"),
            },
        )
