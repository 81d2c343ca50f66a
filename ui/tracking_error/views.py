"""The Tracking Error page's views: derived once per distinct input and shared (see ui/cache.py).

The range page classifies every day of the range (the expensive step) and
slices it into what each section draws, in one cached call: a rerun hashes
the timeline once instead of hashing the classified range for every section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from lib import config, te_views
from lib import tracking_error as te
from ui import cache
from ui.tracking_error import charts


@dataclass(frozen=True)
class Trend:
    """What the trend section draws: daily lines, category stacks, flip share, the heatmap."""

    daily: pl.DataFrame
    by_category: pl.DataFrame
    days: list[date]
    heatmap: pl.DataFrame
    priced_symbols: int


@dataclass(frozen=True)
class RangePage:
    """The classified range (lib.te_views.RangeView), its headline numbers and its trend."""

    view: te_views.RangeView
    summary: dict
    trend: Trend
    heatmap: dict  # the symbol × day heatmap's spec (drawn by the page: it is clickable)


@cache.view(config.RERUN_CACHE_HEAVY_ENTRIES)
def range_page(timeline: pl.DataFrame, start: date, end: date, window: int, w_eps: float, mag_eps: float,
               mag_rule: str) -> RangePage:
    view = te_views.range_view(timeline, start, end, window, w_eps, mag_eps, mag_rule)
    trend = Trend(view.daily, view.by_category, view.days,
                  te_views.heatmap(view.classified, view.days, max_symbols=config.HEATMAP_MAX_SYMBOLS),
                  te_views.priced_symbols(view.classified))
    return RangePage(view, te_views.summary(view), trend,
                     charts.error_heatmap(trend.heatmap, n_total=trend.priced_symbols))


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
