"""The Tracking Error page's drawn sections, replayed on reruns with the same inputs.

The page keeps the widgets (hour, window, thresholds, day); everything drawn
from a view goes through these `cached_section`s, and the range view itself
is a `cached_view`, so changing nothing but, say, the day re-draws only the
day story (see ui/rerun_cache.py).
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from lib import config, te_views
from lib import format as fmt
from lib import tracking_error as te
from ui import charts, plot, tables
from ui.rerun_cache import cached_section, cached_view

range_view = cached_view(te_views.range_view, entries=config.RERUN_CACHE_HEAVY_ENTRIES)

PROBLEM_CATEGORIES = [c for c in te.CATEGORIES if c not in (te.MATCHED, te.MATCHED_ZERO)]
PRICED_CATEGORIES = [c for c in te.CATEGORIES if c != te.UNPRICED]


@cached_section
def headline(view: te_views.RangeView, window: int) -> None:
    """Latest daily TE, the range mean, the latest ex-post TE, days with targets."""
    s = te_views.summary(view)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(f"Daily TE, {s['latest_day'] or fmt.MISSING}", fmt.pct(s["latest_te"]),
              help="√Σ(actual − T+2 target)² over priced symbols, in weight space (% of equity).")
    m2.metric("Mean daily TE over the range", fmt.pct(s["mean_te"]),
              help=f"Over {s['n_days_te']} day(s) with targets.")
    m3.metric(f"Ex-post TE ({window}d, annualised ×√365)", fmt.pct(s["ex_post_te"]),
              help=("Latest value, " + s["ex_post_day"].isoformat()) if s["ex_post_day"] else
              f"Needs {window} days with a known active return.")
    m4.metric("Days with targets", f"{s['n_days_te']} / {s['n_days']}")


@cached_section
def trend(view: te_views.RangeView, window: int) -> None:
    """TE lines, Σerr² and counts by category, flip share, the symbol × day heatmap."""
    plot.show(charts.te_lines(view.daily, window), key="te_lines")
    st.caption(f"Ex-post TE: std of the last {window} known daily active returns (book − T+2 target, from each "
               "snapshot to the next day's) × √365. The latest day has no return yet.")
    left, right = st.columns(2)
    with left:
        plot.show(charts.category_stack(view.by_category, "sq_err", "Σerr² by category (bar height = daily TE²)",
                                        PRICED_CATEGORIES, view.days, percent=True), key="te_sq_err")
    with right:
        plot.show(charts.category_stack(view.by_category, "n", "Symbols per problem category",
                                        PROBLEM_CATEGORIES, view.days), key="te_counts")
    plot.show(charts.flip_share(view.daily), key="te_flip")
    matrix = te_views.heatmap(view.classified, view.days, max_symbols=config.HEATMAP_MAX_SYMBOLS)
    plot.show(charts.error_heatmap(matrix, n_total=te_views.priced_symbols(view.classified)), key="te_heatmap")


@cached_section
def day_story(view: te_views.RangeView, day: date, hour: int) -> None:
    """One day's story: what drove its TE, its category summary and its symbols."""
    rows = view.day(day)
    story = te.day_story(day, rows, history=view.history(day))
    story_col, table_col = st.columns([2, 3])
    with story_col:
        st.markdown(story.to_markdown())
        summ = te.summarize(rows).select("category", "n", "sq_err_share", "flip_sq_err_share")
        st.dataframe(summ, hide_index=True, column_config={
            "n": st.column_config.NumberColumn("symbols"),
            "sq_err_share": st.column_config.NumberColumn("share of Σerr²", format="percent"),
            "flip_sq_err_share": st.column_config.NumberColumn("of which flips", format="percent"),
        })
    with table_col:
        table = te_views.positions_table(rows).select(te_views.STORY_COLUMNS)
        st.caption(f"{fmt.snapshot_when(day.isoformat(), hour)} · {table.height} symbols · largest |err| first")
        tables.show_category_table(table, height=520)
