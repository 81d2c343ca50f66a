"""Today's rebalance, to completion: a panel on Overview (today) and on the Trades page's Rebalance tab (any
day). How much of the change the 00:00 UTC rebalance had to make was done by 00:01, 00:05, 00:15 and 01:00,
the book's % complete as a step chart, fees and slippage (pending until the hour's candle exists), and every
symbol still open with its state and reason; a symbol with rejected or canceled orders links to them on the
Trades page's Orders tab. The numbers are answers.rebalance.completion's (the alert's and the report's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib.rebalance import completion as completions
from ui import cache, layout, plot, state, tables
from ui.plot import Spec

CHECKPOINT_COLUMNS = {f"p_{m}": completions.checkpoint_label(m) for m in config.REBALANCE_CHECKPOINTS_MIN}
CHART_MIN_MINUTES = 20  # the chart shows at least 00:00-00:20 (the burst, then the deadline)


def deadline_minutes() -> int:
    return int(config.ALERT_THRESHOLDS["rebalance_by_min"])


def complete_floor() -> float:
    return float(config.ALERT_THRESHOLDS["rebalance_complete_min"])


@dataclass(frozen=True)
class RebalanceView:
    completion: completions.Completion
    open_rows: pl.DataFrame  # display-ready: % in percent points, state pills, orders links
    done_rows: pl.DataFrame
    chart: Spec


def _display(rows: pl.DataFrame, orders_link: str | None) -> pl.DataFrame:
    pct = ["progress", *CHECKPOINT_COLUMNS]
    out = rows.with_columns(
        *[(pl.col(c) * 100).round(1) for c in pct],
        *[(pl.col(c) * 100).round(2) for c in ("target_weight", "weight_before", "weight_now")],
        tables.as_label("state"),
    )
    failed = (pl.col("n_rejected") + pl.col("n_canceled")) > 0
    link = (
        pl.when(pl.col("n_orders") > 0).then(pl.concat_str([pl.lit(orders_link or ""), pl.col("sym")])).otherwise(None)
        if orders_link
        else pl.lit(None, pl.String)
    )
    label = (
        pl.when(failed)
        .then(pl.format("{} rejected, {} canceled", "n_rejected", "n_canceled"))
        .when(pl.col("n_orders") == 1)
        .then(pl.lit("1 order"))
        .when(pl.col("n_orders") > 1)
        .then(pl.format("{} orders", "n_orders"))
        .otherwise(None)
    )
    return out.with_columns(link.alias("orders"), label.alias("orders_text"))


@cache.view()
def rebalance_view(completion: completions.Completion, orders_link: str | None) -> RebalanceView:
    rows = completion.symbols
    done = pl.col("state") == completions.DONE
    return RebalanceView(
        completion,
        _display(rows.filter(~done), orders_link),
        _display(rows.filter(done), orders_link),
        progress_chart(completion),
    )


def progress_chart(c: completions.Completion) -> Spec:
    """The book's % of the required notional done, one step per fill, with the deadline and its floor."""
    title = f"Rebalance of {c.day.isoformat()}: share of the required change done (UTC)"
    if c.series.height == 0:
        note = "nothing had to change: the book was on its targets" if c.progress == 1.0 else "no measurable change"
        return plot.empty(title, note)
    start = datetime(c.day.year, c.day.month, c.day.day)
    last_fill = c.series["time"][-2] if c.series.height > 1 else c.series["time"][0]
    minutes = (last_fill.replace(tzinfo=None) - start).total_seconds() / 60 + 2
    end = start + timedelta(minutes=min(max(CHART_MIN_MINUTES, minutes), 60))
    series = c.series.filter(pl.col("time").dt.replace_time_zone(None) <= end)
    x = plot.utc_text(series["time"]) + [end.strftime("%Y-%m-%dT%H:%M:%S.000")]
    y = plot.percent(series["progress"].to_list()) + [plot.percent([series["progress"][-1]])[0]]
    deadline = start + timedelta(minutes=deadline_minutes())
    floor = complete_floor() * 100
    return plot.spec(
        [
            {
                "type": "scatter",
                "mode": "lines",
                "x": x,
                "y": y,
                "name": "% complete",
                "line": {"shape": "hv", "color": fmt.SERIES_COLORS["equity"], "width": 2},
                "hovertemplate": "%{x|%H:%M:%S} UTC<br>%{y:.1f}% done<extra></extra>",
            }
        ],
        plot.layout(
            title,
            height=260,
            xaxis={"type": "date", "range": [start.isoformat(), end.isoformat()], "tickformat": "%H:%M"},
            yaxis={"range": [0, 108], "ticksuffix": "%", "title": {"text": "% of required notional"}},
            showlegend=False,
            shapes=[
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": floor,
                    "y1": floor,
                    "line": {"color": fmt.SERIES_COLORS["off_window"], "dash": "dash", "width": 1},
                },
                {
                    "type": "line",
                    "yref": "paper",
                    "x0": deadline.isoformat(),
                    "x1": deadline.isoformat(),
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": plot.ZERO_LINE, "dash": "dot", "width": 1},
                },
            ],
            annotations=[
                {
                    "x": deadline.isoformat(),
                    "y": floor,
                    "xanchor": "right",
                    "yanchor": "bottom",
                    "text": f"{fmt.pct(complete_floor(), 0)} by {completions.checkpoint_label(deadline_minutes())} ",
                    "showarrow": False,  # no background: a white box read as a gap in the 100% line behind it
                    "font": {"size": 11, "color": plot.NOTE_COLOR},
                }
            ],
        ),
    )


def _slippage(c: completions.Completion) -> tuple[str, str | None]:
    if c.slippage_state == completions.SLIPPAGE_PENDING:
        return "pending", "the hour's Binance candle does not exist yet"
    if c.slippage_state == completions.NO_FILLS:
        return fmt.MISSING, "no fills"
    if c.slippage_state == completions.SLIPPAGE_MISSING:
        return fmt.bps(c.slippage_bps, 2), "some fills have no candle"
    return fmt.bps(c.slippage_bps, 2), None


ROW_COLUMNS: dict[str, Any] = {
    "sym": st.column_config.TextColumn("Symbol", pinned=True),
    "state": tables.label_column("State", fmt.REBALANCE_STATE_COLORS),
    "reason": st.column_config.TextColumn("Why", width=220, help="Whole in 'Why, in full' under the table"),
    "progress": st.column_config.NumberColumn("Done now", format="%.1f%%"),
    **{c: st.column_config.NumberColumn(f"by {label}", format="%.0f%%") for c, label in CHECKPOINT_COLUMNS.items()},
    "required_notional": tables.money_column("Required", help="|target − book at 00:00|"),
    "remaining_notional": tables.money_column("Left"),
    "target_weight": st.column_config.NumberColumn("Target", format=tables.WEIGHT_FORMAT),
    "weight_before": st.column_config.NumberColumn("Weight 00:00", format=tables.WEIGHT_FORMAT),
    "weight_now": st.column_config.NumberColumn("Weight now", format=tables.WEIGHT_FORMAT),
    "orders": st.column_config.LinkColumn(
        "Orders", display_text="orders →", help="The coin's orders that day on the Trades page's Orders tab."
    ),
    "orders_text": st.column_config.TextColumn("Order outcomes"),
}
# What fits 820 px (the checkpoints, weights and order outcomes are in Show/hide columns).
ROW_SHOWN = ("sym", "state", "reason", "orders", "progress", "required_notional", "remaining_notional")
ROW_ORDER = (
    "sym",
    "state",
    "reason",
    "orders_text",
    "orders",
    "progress",
    *CHECKPOINT_COLUMNS,
    "required_notional",
    "remaining_notional",
    "target_weight",
    "weight_before",
    "weight_now",
)


def rebalance_panel(view: RebalanceView, key: str) -> None:
    """Metrics, the step chart, the open symbols (worst first) and the done ones folded away. The folds are
    widgets (drawn only while open, ui/state.py), so they are drawn here, after the cached section."""
    if not _panel(view, key):
        return
    if view.open_rows.height:
        tables.text_details(view.open_rows, "Why, in full", ("sym",), "reason", key=f"{key}_why")
    if view.done_rows.height:
        fold = state.lazy_expander(f"Done ({view.done_rows.height})", f"{key}_done_fold")
        if fold.open:
            with fold:
                tables.show(
                    view.done_rows.select([c for c in ROW_ORDER if c in view.done_rows.columns]),
                    ROW_COLUMNS,
                    ROW_SHOWN,
                    key=f"{key}_done",
                )


@cache.section()
def _panel(view: RebalanceView, key: str) -> bool:
    """Everything but the folds; False when there is nothing to fold (no targets, nothing measured)."""
    c = view.completion
    st.caption(
        f"The {c.day.isoformat()} 00:00 UTC rebalance against the targets dated {c.target_date.isoformat()}, as of "
        f"{fmt.utc(c.measured_at)}. Done = within max({fmt.pct(config.REBALANCE_DONE_WEIGHT, 2)}, "
        f"{fmt.pct(config.REBALANCE_DONE_SHARE, 0)} of the target) of the target weight and not missing, extra or "
        "the wrong way round."
    )
    for note in c.notes:
        st.info(fmt.md_text(note), icon=":material/info:")
    if not c.has_targets or c.progress is None and c.symbols.height == 0:
        return False
    by = deadline_minutes()
    at = c.progress_at(by)
    cells = layout.metric_row(5)
    cells[0].metric(
        "Done now",
        fmt.pct(c.progress, 1),
        help="Σ |required notional| × each symbol's share done ÷ Σ |required notional|.",
    )
    cells[1].metric(
        f"By {completions.checkpoint_label(by)} UTC",
        fmt.pct(at, 1) if at is not None else "not yet",
        delta=None
        if at is None
        else ("below " if at < complete_floor() else "at least ") + fmt.pct(complete_floor(), 0),
        delta_color="inverse" if at is not None and at < complete_floor() else "normal",
        delta_arrow="off",
        help=f"The alert fires below {fmt.pct(complete_floor(), 0)} then (lib/config.py ALERT_THRESHOLDS).",
    )
    cells[2].metric(
        "Required",
        fmt.usd(c.required_notional),
        help=f"{c.symbols.height} symbols to change; {c.n_on_target} already on target before 00:00.",
    )
    cells[3].metric(
        "Fees",
        fmt.usd(-c.fees if c.fees is not None else None, signed=True),
        delta=None if c.fee_bps is None else f"{fmt.bps(c.fee_bps, 2, signed=False)} of {fmt.usd(c.notional)}",
        delta_arrow="off",
        delta_color="off",
        help="The day's fills; a cost is negative.",
    )
    slip, why = _slippage(c)
    cells[4].metric("Slippage vs 1h open", slip, help=why or "Notional-weighted; positive = worse for the desk.")
    if c.series.height:  # nothing had to change: the line below says so, no empty chart
        plot.show(view.chart, key=f"{key}_chart")
    counts = ", ".join(f"{status} {n}" for status, n in c.counts.items() if n)
    if view.open_rows.height:
        st.markdown(f"**{fmt.plural(view.open_rows.height, 'symbol')} not done** ({counts}):")
        tables.show(
            view.open_rows.select([c for c in ROW_ORDER if c in view.open_rows.columns]),
            ROW_COLUMNS,
            ROW_SHOWN,
            key=f"{key}_open",
        )
    elif c.symbols.height:
        st.success(f"Every symbol done ({counts}).", icon=":material/task_alt:")
    else:
        st.success(f"Nothing had to change: {c.n_on_target} symbols were on target.", icon=":material/task_alt:")
    return True
