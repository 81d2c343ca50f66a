"""The Tracking Error page's views: derived once per distinct input and shared (see ui/cache.py).

The range view classifies every day of the range (the expensive step); the
others slice it into what one section draws, so a section only draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from lib import config, te_views
from lib import tracking_error as te
from ui import cache
from ui.tracking_error import charts

range_view = cache.view(config.RERUN_CACHE_HEAVY_ENTRIES)(te_views.range_view)
"""Classified days, daily and ex-post TE, by-category sums for the range (lib.te_views.RangeView)."""

summary = cache.view()(te_views.summary)
"""The headline numbers of a range."""


@dataclass(frozen=True)
class Trend:
    """What the trend section draws: daily lines, category stacks, flip share, the heatmap."""

    daily: pl.DataFrame
    by_category: pl.DataFrame
    days: list[date]
    heatmap: pl.DataFrame
    priced_symbols: int


@cache.view()
def trend(view: te_views.RangeView) -> Trend:
    return Trend(view.daily, view.by_category, view.days,
                 te_views.heatmap(view.classified, view.days, max_symbols=config.HEATMAP_MAX_SYMBOLS),
                 te_views.priced_symbols(view.classified))


@dataclass(frozen=True)
class DayStoryView:
    """One day: its story, its category summary and its symbols table."""

    story: te.DayStory
    summary: pl.DataFrame
    table: pl.DataFrame


@cache.view()
def day_story(view: te_views.RangeView, day: date) -> DayStoryView:
    rows = view.day(day)
    return DayStoryView(
        story=te.day_story(day, rows, history=view.history(day)),
        summary=te.summarize(rows).select("category", "n", "sq_err_share", "flip_sq_err_share"),
        table=te_views.positions_table(rows).select(te_views.STORY_COLUMNS),
    )


@cache.view()
def heatmap_spec(view: Trend) -> dict:
    """The symbol × day heatmap's spec (built once per distinct trend)."""
    return charts.error_heatmap(view.heatmap, n_total=view.priced_symbols)
