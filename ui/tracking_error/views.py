"""The Tracking Error page's views: derived once per distinct input and shared (see ui/cache.py).

The range page classifies every day of the range (the expensive step) and
slices it into what each section draws, in one cached call: a rerun hashes
the timeline once instead of hashing the classified range for every section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from lib import config
from lib.inputs import InputError, nearest_day, parse_date
from lib.tracking import attribution as te_attribution
from lib.tracking import classification as te
from lib.tracking import daily as te_daily
from lib.tracking import lag as execution_lag
from lib.tracking import snapshot as te_snapshot
from lib.tracking import story as stories
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
class AttributionView:
    """Per-symbol and per-bucket attribution of the range's Σerr², display-ready (%, %²)."""

    symbols: pl.DataFrame
    buckets: pl.DataFrame
    headline: dict


def _display(df: pl.DataFrame) -> pl.DataFrame:
    """Σerr² in %² of equity, shares and mean errors in percent points (as the page's other tables)."""
    return df.with_columns(
        (pl.col("sq_err") * 1e4).alias("sq_err"),
        (pl.col("share") * 100.0).alias("share"),
        (pl.col("mean_err") * 100.0).alias("mean_err"),
    )


def attribution(classified: pl.DataFrame) -> AttributionView:
    """The range's attribution, from the classified rows already in hand (no second query)."""
    symbols = te_attribution.by_symbol(classified)
    return AttributionView(
        _display(symbols), _display(te_attribution.by_bucket(classified)), te_attribution.headline(symbols)
    )


@dataclass(frozen=True)
class RangePage:
    """The classified range (lib.tracking.snapshot.RangeView), its headline numbers, its trend and its TE attribution."""

    view: te_daily.RangeView
    summary: dict
    trend: Trend
    attribution: AttributionView
    heatmap: dict  # the symbol × day heatmap's spec (drawn by the page: it is clickable)
    weekly: bool = False  # the heatmap has a column per week (a long range): a cell is the week's worst day


@cache.view(config.RERUN_CACHE_HEAVY_ENTRIES)
def range_page(
    timeline: pl.DataFrame,
    start: date,
    end: date,
    window: int,
    w_eps: float,
    mag_eps: float,
    mag_rule: str,
    last_complete: date | None = None,
) -> RangePage:
    """The range classified up to `last_complete` (lib.clock: a snapshot that has not closed is never classified,
    averaged or charted)."""
    view = te_daily.range_view(timeline, start, end, window, w_eps, mag_eps, mag_rule, last_complete)
    weekly = len(view.days) > config.HEATMAP_WEEKLY_AFTER_DAYS
    trend = Trend(
        view.daily,
        view.by_category,
        view.days,
        te_daily.heatmap(view.classified, view.days, max_symbols=config.HEATMAP_MAX_SYMBOLS),
        te_daily.priced_symbols(view.classified),
    )
    return RangePage(
        view,
        te_daily.summary(view),
        trend,
        attribution(view.classified),
        charts.error_heatmap(trend.heatmap, n_total=trend.priced_symbols, weekly=weekly),
        weekly,
    )


HEATMAP_CLICK_DAILY = "Click a cell to open that day's story (the Day story tab)."
HEATMAP_CLICK_WEEKLY = (
    "A cell is a week: click it to open the story of the symbol's worst day that week (the day the cell shows) in "
    "the Day story tab."
)


def clicked_day(page: RangePage, cell: dict) -> date | None:
    """The day a click on the heatmap opens: the cell's day, or on a weekly heatmap the symbol's worst day of
    the cell's week (te_daily.worst_day_of_week: the day whose error the cell shows); a day the range has
    targets for (the nearest), None for a click that is not on a cell."""
    try:
        day = parse_date(str(cell.get("x")), "day")
    except InputError:
        return None
    if page.weekly:
        day = te_daily.worst_day_of_week(page.view.classified, str(cell.get("y")), day) or day
    options = page.view.days_with_targets
    return nearest_day(day, options) if options else None


@dataclass(frozen=True)
class DayStoryView:
    """One day: its story, its category summary and its symbols table."""

    story: stories.DayStory
    summary: pl.DataFrame
    table: pl.DataFrame


@cache.view()
def day_story(view: te_daily.RangeView, day: date) -> DayStoryView:
    rows = view.day(day)
    return DayStoryView(
        story=stories.day_story(day, rows, history=view.history(day)),
        summary=te.summarize(rows).select("category", "n", "sq_err_share", "flip_sq_err_share"),
        table=te_snapshot.positions_table(rows).select(te_snapshot.STORY_COLUMNS),
    )


# --- effective execution lag and TE attribution ---------------------------------------
@dataclass(frozen=True)
class LagView:
    """The range's effective lag: one row per day (TE at every lag, best lag) and the share of days per lag."""

    days: pl.DataFrame
    shares: pl.DataFrame
    n_known: int


@cache.view()
def lag_view(sweep: pl.DataFrame, start: date, end: date, last_complete: date | None = None) -> LagView:
    days = execution_lag.lag_days(sweep, te_daily.calendar(start, end), last_complete)
    return LagView(days, execution_lag.lag_shares(days), int(days["best_lag"].is_not_null().sum()))


@cache.view()
def day_verdict(rows: pl.DataFrame, lag_days: pl.DataFrame, daily: pl.DataFrame, day: date) -> execution_lag.DayVerdict:
    """What kind of day it was (its lag, or a dominant error such as a few missing names) and the next day's
    active return in $ and bp. Takes the day's rows and the small per-day frames, not the whole range."""
    row = lag_days.filter(pl.col("date") == day).to_dicts()
    by_lag = execution_lag.te_by_lag(row[0]) if row else {lag: None for lag in execution_lag.LAGS}
    best = row[0]["best_lag"] if row else None
    equity = rows["equity_usd"].drop_nulls()
    active = daily.filter(pl.col("date") == day)["active_return"].to_list()
    return execution_lag.day_verdict(
        by_lag, best, rows, active[0] if active else None, float(equity[0]) if equity.len() else None
    )
