"""The Tracking Error page's drawn sections, replayed on reruns with the same inputs (see ui/cache.py).

The page keeps the widgets (hour, window, thresholds, day) and builds the views
(ui/tracking_error/views.py); a section only draws them. The day story lives in
a fragment, so choosing another day redraws only the story.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from lib import format as fmt
from lib import tracking_error as te
from ui import layout, plot, tables
from ui.tracking_error import charts
from ui import cache
from ui.tracking_error.views import DayStoryView, Trend

PROBLEM_CATEGORIES = [c for c in te.CATEGORIES if c not in (te.MATCHED, te.MATCHED_ZERO)]
PRICED_CATEGORIES = [c for c in te.CATEGORIES if c != te.UNPRICED]


@cache.section()
def headline(s: dict, window: int) -> None:
    """Latest daily TE, the range mean, the latest ex-post TE, days with targets."""
    m1, m2, m3, m4 = layout.metric_row(4)
    m1.metric(f"Daily TE, {s['latest_day'] or fmt.MISSING}", fmt.pct(s["latest_te"]),
              help="√Σ(actual − T+2 target)² over priced symbols, in weight space (% of equity).")
    m2.metric("Mean daily TE over the range", fmt.pct(s["mean_te"]),
              help=f"Over {s['n_days_te']} day(s) with targets.")
    m3.metric(f"Ex-post TE ({window}d, annualised ×√365)", fmt.pct(s["ex_post_te"]),
              help=("Latest value, " + s["ex_post_day"].isoformat()) if s["ex_post_day"] else
              f"Needs {window} days with a known active return.")
    m4.metric("Days with targets", f"{s['n_days_te']} / {s['n_days']}")


@cache.section()
def trend(view: Trend, window: int) -> None:
    """TE lines, Σerr² and counts by category, flip share."""
    plot.show(charts.te_lines(view.daily, window), key="te_lines")
    st.caption(f"Ex-post TE: std of the last {window} known daily active returns (book − T+2 target, from each "
               "snapshot to the next day's) × √365. The latest day has no return yet.")
    # one under the other: side by side, a laptop-width window squeezes their titles and day labels
    plot.show(charts.category_stack(view.by_category, "sq_err", "Σerr² by category (bar height = daily TE²)",
                                    PRICED_CATEGORIES, view.days, percent=True), key="te_sq_err")
    plot.show(charts.category_stack(view.by_category, "n", "Symbols per problem category",
                                    PROBLEM_CATEGORIES, view.days), key="te_counts")
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
        st.dataframe(view.summary, hide_index=True, column_config={
            "n": st.column_config.NumberColumn("symbols"),
            "sq_err_share": st.column_config.NumberColumn("share of Σerr²", format="percent"),
            "flip_sq_err_share": st.column_config.NumberColumn("of which flips", format="percent"),
        })
    with table_column:
        st.caption(f"{day.isoformat()} {hour:02d}:00 UTC · {view.table.height} symbols · largest |err| first")
        tables.show_category_table(view.table, height=520, symbol_link=symbol_link)
