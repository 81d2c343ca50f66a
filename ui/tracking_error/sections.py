"""The Tracking Error page's drawn sections, replayed on reruns with the same inputs (see ui/cache.py).

The page keeps the widgets (hour, window, thresholds, day) and builds the views
(ui/tracking_error/views.py); a section only draws them. The day story lives in
a fragment, so choosing another day redraws only the story.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib.tracking import attribution as te_attribution
from lib.tracking import classification as te
from lib.tracking import lag as execution_lag
from ui import cache, layout, plot, tables
from ui.tracking_error import charts
from ui.tracking_error.views import AttributionView, DayStoryView, LagView, Trend

PROBLEM_CATEGORIES = [c for c in te.CATEGORIES if c not in (te.MATCHED, te.MATCHED_ZERO)]
PRICED_CATEGORIES = [c for c in te.CATEGORIES if c != te.UNPRICED]


@cache.section()
def headline(s: dict, window: int) -> None:
    """Latest daily TE, the range mean, the latest ex-post TE, days with targets."""
    m1, m2, m3, m4 = layout.metric_row(4)
    m1.metric(
        f"Daily TE, {s['latest_day'] or fmt.MISSING}",
        fmt.pct(s["latest_te"]),
        help="√Σ(actual − T+2 target)² over priced symbols, in weight space (% of equity).",
    )
    m2.metric(
        "Mean daily TE over the range",
        fmt.pct(s["mean_te"]),
        help=f"Over {fmt.plural(s['n_days_te'], 'day')} with targets.",
    )
    m3.metric(
        f"Ex-post TE ({window}d, annualised ×√365)",
        fmt.pct(s["ex_post_te"]),
        help=("Latest value, " + s["ex_post_day"].isoformat())
        if s["ex_post_day"]
        else f"Needs {window} days with a known active return.",
    )
    m4.metric(
        "Days with targets",
        f"{s['n_days_te']} / {s['n_days']}",
        help="Days of the range whose snapshot has closed and has model targets, of the days whose snapshot has "
        "closed" + (f" ({s['n_pending']} not closed yet: not counted)." if s.get("n_pending") else "."),
    )


@cache.section()
def trend(view: Trend, window: int) -> None:
    """The TE lines: daily TE and the ex-post TE."""
    plot.show(charts.te_lines(view.daily, window), key="te_lines")
    st.caption(
        f"Ex-post TE: std of the last {window} known daily active returns (book − T+2 target, from each "
        "snapshot to the next day's) × √365. The latest day has no return yet."
    )


@cache.section()
def drivers(view: Trend) -> None:
    """What the TE is made of, day by day: Σerr² and counts by category, flip share."""
    # one under the other: side by side, a laptop-width window squeezes their titles and day labels
    plot.show(
        charts.category_stack(
            view.by_category,
            "sq_err",
            "Σerr² by category (bar height = daily TE²)",
            PRICED_CATEGORIES,
            view.days,
            percent=True,
        ),
        key="te_sq_err",
    )
    plot.show(
        charts.category_stack(view.by_category, "n", "Symbols per problem category", PROBLEM_CATEGORIES, view.days),
        key="te_counts",
    )
    plot.show(charts.flip_share(view.daily), key="te_flip")


@cache.section()
def day_story(view: DayStoryView, day: date, hour: int, symbol_link: str | None = None) -> None:
    """One day's story: what drove its TE, its category summary and its symbols (each opens its fills)."""
    # story, then its symbols: side by side, a laptop-width window squeezes the story to a ribbon
    story_column, table_column = st.container(), st.container()
    with story_column:
        story = view.story.to_markdown()
        if symbol_link and view.table.height:
            story = tables.link_symbols(story, view.table["sym"].drop_nulls().to_list(), symbol_link)
        st.markdown(story)
        st.dataframe(
            view.summary,
            hide_index=True,
            column_config={
                "category": st.column_config.TextColumn("Category"),
                "n": st.column_config.NumberColumn("Symbols"),
                "sq_err_share": tables.percent_column("Share of Σerr²"),
                "flip_sq_err_share": tables.percent_column("Of which flips"),
            },
        )
    with table_column:
        st.caption(f"{fmt.snapshot_when(day.isoformat(), hour)} · {view.table.height} symbols · largest |err| first")
        tables.show_category_table(view.table, height=520, symbol_link=symbol_link)


# --- effective execution lag and TE attribution ---------------------------------------
@cache.section()
def lag_strip(view: LagView) -> None:
    """The per-day effective-lag strip (next to the TE chart) and the share of days at each lag."""
    # stacked, not side by side: at 800 px a quarter-width column cut the share chart off
    plot.show(charts.lag_strip(view.days, execution_lag.LAGS, execution_lag.SCHEDULED), key="te_lag_strip")
    plot.show(charts.lag_share(view.shares, execution_lag.SCHEDULED), key="te_lag_share")
    st.caption(
        f"Each day's book (snapshot hour, read at its end) against the model targets dated D−0 … "
        f"D−{config.LAG_SWEEP_MAX}: the lag with the smallest weight-space TE is the day's effective lag when it "
        f"is the schedule (D−{execution_lag.SCHEDULED}) or clearly better than it (TE below "
        f"{config.LAG_CLEAR_RATIO:.0%} of D−{execution_lag.SCHEDULED}'s); otherwise the day has no clear lag (≈), "
        f"as its verdict says. D−1 is a one-day timing slip, D−3 a skipped rebalance. {view.n_known} of "
        f"{fmt.plural(view.days.height, 'day')} could be compared; a lag whose targets are missing is left out, never "
        "counted as 0."
    )


@cache.section()
def day_verdict(verdict: execution_lag.DayVerdict) -> None:
    """The day's conclusion in words (what kind of day) and dollars (what the tracking cost)."""
    st.markdown(verdict.to_markdown())


def _count_columns() -> dict:
    labels = {
        "days_missing": "Missing",
        "days_extra": "Extra",
        "days_wrong_direction": "Wrong dir.",
        "days_magnitude": "Magnitude",
        "days_matched": "Matched",
        "days_matched_zero": "Matched 0",
        "days_unpriced": "Unpriced",
    }
    return {
        c: st.column_config.NumberColumn(label, format="%d", help=f"Days {label.lower()}")
        for c, label in labels.items()
    }


# The default columns (the rest in the grid's Show/hide columns menu): what carries the TE and how it failed.
ATTRIBUTION_SHOWN = [
    "sym",
    "share",
    "mean_err",
    "days",
    "days_missing",
    "days_wrong_direction",
    "days_magnitude",
    "missing_run_now",
    "latest_state",
]
BUCKET_SHOWN = [
    "bucket",
    "share",
    "symbols",
    "days",
    "mean_err",
    "days_missing",
    "days_wrong_direction",
    "days_magnitude",
]
_ATTRIBUTION_COMMON = {
    "share": st.column_config.ProgressColumn(
        "Share of Σerr²",
        format="%.1f%%",
        min_value=0.0,
        max_value=100.0,
        help="This row's Σerr² over the range's total (priced rows).",
    ),
    "sq_err": st.column_config.NumberColumn(
        "Σerr², %²", format="%.3g", help="Σ(actual − T+2 target)² over the range, in %² of equity."
    ),
    "mean_err": st.column_config.NumberColumn(
        "Mean error", format="%+.2f%%", help="Signed mean of actual − T+2 target: > 0 over-sized, < 0 under."
    ),
}


@cache.section()
def attribution(view: AttributionView, start: date, end: date) -> None:
    """Which names, and which buckets of names, carry the range's TE."""
    st.subheader("TE attribution over the range")
    h = view.headline
    if not view.symbols.height:
        st.info("No classified symbol in the range.", icon=":material/info:")
        return
    lines = []
    if h["covered"] is not None:
        lines.append(
            f"**{h['n_names']} of {h['n_symbols']} names carry {fmt.pct(h['covered'], 0)} of Σerr²** "
            f"from {start.isoformat()} to {end.isoformat()}: {', '.join(fmt.md_text(n) for n in h['names'])}."
        )
    if h["run_sym"] is not None:
        days = h["run_days"]
        lines.append(
            f"{fmt.md_text(h['run_sym'])} has been a missing position for {fmt.plural(days, 'day')} running"
            # one missed day can be bad luck; the same name missed again is a pattern
            + (" (a run that long points at an order-size or listing problem, not bad luck)." if days > 1 else ".")
        )
    if lines:
        st.markdown("  \n".join(lines))
    tables.show(
        view.symbols,
        {
            "sym": st.column_config.TextColumn("Symbol"),
            **_ATTRIBUTION_COMMON,
            "days": st.column_config.NumberColumn("Days", format="%d", help="Days the symbol is in the timeline."),
            **_count_columns(),
            "longest_missing_run": st.column_config.NumberColumn(
                "Longest missing run", format="%d d", help="Longest run of consecutive MISSING_POSITION days."
            ),
            "missing_run_now": st.column_config.NumberColumn(
                "Missing now", format="%d d", help="The MISSING run reaching the range's last day (0: not missing)."
            ),
            "latest_state": st.column_config.TextColumn("Latest state", help="Category on the symbol's last day."),
            **{
                c: st.column_config.DateColumn(c.replace("last_", "Last ").replace("_", " "), format="YYYY-MM-DD")
                for c in te_attribution.LAST_COLUMNS
            },
        },
        ATTRIBUTION_SHOWN,
        height=420,
    )
    side = view.buckets.filter(pl.col("dimension") == "side").drop("dimension")
    size = view.buckets.filter(pl.col("dimension") == "size").drop("dimension")
    bucket_config = {
        "bucket": st.column_config.TextColumn("Bucket"),
        **_ATTRIBUTION_COMMON,
        "symbols": st.column_config.NumberColumn("Symbols", format="%d"),
        "days": st.column_config.NumberColumn("Symbol-days", format="%d"),
        **_count_columns(),
    }
    # one under the other: side by side, each had 400 px at a laptop's width and scrolled sideways
    st.caption("By side of the T+2 target")
    tables.show(side, bucket_config, BUCKET_SHOWN, note=False)
    lo, hi = config.ATTRIBUTION_SIZE_BUCKETS
    st.caption(f"By target size |T+2 target| (small < {lo * 100:g}%, large ≥ {hi * 100:g}%)")
    tables.show(size, bucket_config, BUCKET_SHOWN)
