"""The Tracking Error page's range: one row per day of TE, categories, active returns and ex-post TE.

Pure: the hourly timeline (queries/timeline.sql) for a range of holdings days in, per-day frames out.
Days whose snapshot cannot be classified (lib.tracking.snapshot.day_state) are gaps, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import polars as pl

from lib import config
from lib.tracking import classification as te
from lib.tracking.snapshot import classify_days, no_target_days


# --- the Tracking Error page ---------------------------------------------------
def calendar(start: date, end: date) -> list[date]:
    """Every day of [start, end]."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _days_frame(days: list[date]) -> pl.DataFrame:
    return pl.DataFrame({"date": days}, schema={"date": pl.Date})


def daily_te(classified: pl.DataFrame, days: list[date]) -> pl.DataFrame:
    """One row per day of `days`: `date, te, active_share, flip_share, n_symbols, n_priced, n_unpriced`.

    `te` = sqrt(sum err_t2^2) and `active_share` = 0.5 * sum |err_t2| over priced rows
    (as `lib.tracking.classification.snapshot_te`); `flip_share` = share of sum err_t2^2 from
    flip_explained rows (null when sum err^2 is 0). Null on days without a classified row.
    """
    priced = pl.col("category") != te.UNPRICED
    e = pl.col("err_t2").cast(pl.Float64)
    sq = (e * e).filter(priced)
    flip = pl.col("flip_explained").cast(pl.Boolean).fill_null(False)
    per_day = classified.group_by(pl.col("holdings_date").alias("date")).agg(
        sq.sum().alias("_sq"),
        (e * e).filter(priced & flip).sum().alias("_flip_sq"),
        e.abs().filter(priced).sum().alias("_abs"),
        pl.len().cast(pl.Int64).alias("n_symbols"),
        priced.sum().cast(pl.Int64).alias("n_priced"),
        (~priced).sum().cast(pl.Int64).alias("n_unpriced"),
    )
    has = pl.col("n_priced") > 0
    return (
        _days_frame(days)
        .join(per_day, on="date", how="left")
        .with_columns(
            pl.when(has).then(pl.col("_sq").sqrt()).otherwise(None).alias("te"),
            pl.when(has).then(0.5 * pl.col("_abs")).otherwise(None).alias("active_share"),
            pl.when(has & (pl.col("_sq") > 0))
            .then(pl.col("_flip_sq") / pl.col("_sq"))
            .otherwise(None)
            .alias("flip_share"),
        )
        .sort("date")
        .select("date", "te", "active_share", "flip_share", "n_symbols", "n_priced", "n_unpriced")
    )


def by_category(classified: pl.DataFrame, days: list[date]) -> pl.DataFrame:
    """Long frame `date, category, n, sq_err` for every (day with classified rows, category).

    Every category appears on every classified day (n 0, sq_err 0.0 when absent);
    sq_err (sum err_t2^2) is null for UNPRICED. Days without classified rows have no rows.
    """
    got = classified.group_by(pl.col("holdings_date").alias("date"), "category").agg(
        pl.len().cast(pl.Int64).alias("n"),
        (pl.col("err_t2").cast(pl.Float64) ** 2).sum().alias("sq_err"),
    )
    present = sorted(set(classified["holdings_date"].unique().to_list()) & set(days))
    grid = _days_frame(present).join(
        pl.DataFrame({"category": list(te.CATEGORIES), "_order": list(range(len(te.CATEGORIES)))}),
        how="cross",
    )
    return (
        grid.join(got, on=["date", "category"], how="left")
        .with_columns(
            pl.col("n").fill_null(0),
            pl.when(pl.col("category") == te.UNPRICED)
            .then(None)
            .otherwise(pl.col("sq_err").fill_null(0.0))
            .alias("sq_err"),
        )
        .sort("date", "_order")
        .select("date", "category", "n", "sq_err")
    )


def returns_input(timeline: pl.DataFrame) -> pl.DataFrame:
    """The timeline as `lib.tracking.classification.daily_active_returns` input (date, sym, weights, ret_24h)."""
    return timeline.select(
        pl.col("holdings_date").alias("date"),
        "sym",
        "actual_weight",
        "weight_t2",
        pl.col("ret_24h").alias("ret"),
    )


def active_returns(timeline: pl.DataFrame, days: list[date]) -> pl.DataFrame:
    """Daily active return per day of `days`: `date, active_return, n_used, n_no_return`.

    The return dated D is earned from D's snapshot to D+1's (ret_24h). Null on a
    no-target day (the target leg is unknown), on a day with no usable return (e.g.
    the latest day, whose next snapshot has not happened) and on days absent from
    the timeline.
    """
    skip = set(no_target_days(timeline))
    rows = timeline.filter(~pl.col("holdings_date").is_in(list(skip))) if skip else timeline
    if rows.height:
        ar = te.daily_active_returns(returns_input(rows)).select("date", "active_return", "n_used", "n_no_return")
    else:
        ar = pl.DataFrame(
            schema={"date": pl.Date, "active_return": pl.Float64, "n_used": pl.Int64, "n_no_return": pl.Int64}
        )
    return _days_frame(days).join(ar, on="date", how="left").sort("date")


def rolling_ex_post_te(
    active: pl.DataFrame, window: int, periods_per_year: float = config.ANNUALISATION_DAYS
) -> pl.DataFrame:
    """`date, active_return, ex_post_te`: std of the last `window` known active returns x sqrt(365).

    Days with an unknown active return are skipped (the window counts days with a
    known return) and get a null ex_post_te themselves: they show as gaps.
    """
    known = active.filter(pl.col("active_return").is_not_null()).select("date", "active_return")
    if known.height:
        known = te.ex_post_te(known, window, periods_per_year).select("date", "ex_post_te")
    else:
        te.ex_post_te(pl.Series("x", [], dtype=pl.Float64), window, periods_per_year)  # validates window
        known = pl.DataFrame(schema={"date": pl.Date, "ex_post_te": pl.Float64})
    return active.select("date", "active_return").join(known, on="date", how="left").sort("date")


def _worst_of_week(rows: pl.DataFrame) -> pl.DataFrame:
    """Per symbol and week (`_day`, its Monday), the row of the largest |err_t2| (the earlier day on a tie)."""
    monday = pl.col("holdings_date").dt.truncate("1w").cast(pl.String).alias("_day")
    by_size = rows.with_columns(monday).filter(pl.col("err_t2").is_not_null())
    by_size = by_size.sort([pl.col("err_t2").abs(), "holdings_date"], descending=[True, False])
    return by_size.group_by("sym", "_day", maintain_order=True).first()


def heatmap(
    classified: pl.DataFrame,
    days: list[date],
    max_symbols: int | None = None,
    weekly_after: int = config.HEATMAP_WEEKLY_AFTER_DAYS,
) -> pl.DataFrame:
    """Symbol x day matrix of err_t2: column `sym` then one column per day (ISO date), every day of `days`.
    Rows ordered by the largest |err_t2| over the days, descending (then name); cells are null where the symbol
    has no classified row that day, is UNPRICED, or the day has no targets. `max_symbols` keeps the top rows.
    More than `weekly_after` days: one column per UTC week (its Monday), the cell the signed err_t2 of the
    symbol's largest-|err_t2| day that week (401 daily columns had unreadable dates)."""
    weekly = len(days) > weekly_after
    cols = sorted({week_start(d).isoformat() for d in days}) if weekly else [d.isoformat() for d in days]
    rows = classified.filter(pl.col("holdings_date").is_in(days) & (pl.col("category") != te.UNPRICED))
    if rows.height == 0:
        return pl.DataFrame(schema={"sym": pl.String, **{c: pl.Float64 for c in cols}})
    rank = rows.group_by("sym").agg(pl.col("err_t2").abs().max().alias("_max"))
    rank = rank.sort(["_max", "sym"], descending=[True, False], nulls_last=True).head(
        rank.height if max_symbols is None else max_symbols
    )
    rows = rows.filter(pl.col("sym").is_in(rank["sym"].implode()))
    daily = rows.with_columns(pl.col("holdings_date").cast(pl.String).alias("_day"))
    rows = _worst_of_week(rows) if weekly else daily
    wide = rows.pivot(on="_day", index="sym", values="err_t2")
    for c in cols:
        if c not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(c))
    return rank.select("sym").join(wide, on="sym", how="left", maintain_order="left").select("sym", *cols)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())  # the Monday of `day`'s week (ISO weeks)


def worst_day_of_week(classified: pl.DataFrame, sym: str, monday: date) -> date | None:
    """The day a weekly `heatmap` cell of `sym` and `monday`'s week shows (a click on it opens that day)."""
    rows = _worst_of_week(classified.filter((pl.col("sym") == sym) & (pl.col("category") != te.UNPRICED)))
    return rows.filter(pl.col("_day") == monday.isoformat())["holdings_date"].first()  # type: ignore[return-value]


def priced_symbols(classified: pl.DataFrame) -> int:
    """Distinct symbols with at least one priced (non-UNPRICED) classified row."""
    return classified.filter(pl.col("category") != te.UNPRICED)["sym"].n_unique()


def history_before(daily: pl.DataFrame, day: date, n_days: int = config.TE_HISTORY_DAYS) -> pl.DataFrame:
    """`date, te` of the `n_days` calendar days before `day` (for `day_story`'s comparison)."""
    since = day - timedelta(days=n_days)
    return daily.filter((pl.col("date") < day) & (pl.col("date") >= since)).select("date", "te")


@dataclass
class RangeView:
    """Everything the Tracking Error page draws for a date range."""

    days: list[date]  # every day of the displayed range
    no_target_days: list[date]  # days of the range whose D-2 targets are missing
    classified: pl.DataFrame  # classified rows of the range's days with targets
    daily: pl.DataFrame  # one row per displayed day: te, active_share, flip_share, n_*, active_return, ex_post_te
    daily_all: pl.DataFrame  # every fetched day (lookback included): returns and ex-post TE throughout,
    #                          te from TE_HISTORY_DAYS before the range on (the day-story history)
    by_category: pl.DataFrame  # date, category, n, sq_err
    pending_days: list[date] = field(default_factory=list)  # days of the range whose snapshot has not closed

    @cached_property
    def days_with_targets(self) -> list[date]:
        return sorted(set(self.classified["holdings_date"].unique().to_list()))

    @property
    def days_without_targets(self) -> list[date]:
        """Days of the range with nothing classified although their snapshot has closed: no targets for D-2, no
        fills, or no data at all."""
        have = set(self.days_with_targets) | set(self.pending_days)
        return [d for d in self.days if d not in have]

    def day(self, d: date) -> pl.DataFrame:
        return self.classified.filter(pl.col("holdings_date") == d)

    def history(self, d: date, n_days: int = config.TE_HISTORY_DAYS) -> pl.DataFrame:
        return history_before(self.daily_all, d, n_days)


def range_view(
    timeline: pl.DataFrame,
    start: date,
    end: date,
    window: int,
    w_eps: float = config.W_EPS,
    mag_eps: float = config.MAG_EPS,
    mag_rule: str = config.DEFAULT_MAG_RULE,
    last_complete: date | None = None,
) -> RangeView:
    """Classify and aggregate a (possibly longer) timeline for the displayed range [start, end].

    Days of the timeline before `start` only feed the rolling ex-post TE window and
    the day-story history; `daily`, `classified` and `by_category` stay inside
    [start, end], with one `daily` row per day.

    `last_complete` is the newest day whose snapshot has closed (lib.clock.latest_complete_day): later days are
    never classified, averaged or charted (they are `pending_days`, gaps with a note), and a day's active return,
    earned to the next day's snapshot, is known only once that one has closed. None: every day has closed.
    """
    days = calendar(start, end)
    pending = [d for d in days if last_complete is not None and d > last_complete]
    if last_complete is not None:
        returns_timeline = timeline.filter(pl.col("holdings_date") < last_complete)
        timeline = timeline.filter(pl.col("holdings_date") <= last_complete)
    else:
        returns_timeline = timeline
    fetched = set(timeline["holdings_date"].unique().to_list()) if timeline.height else set()
    all_days = sorted(fetched | set(days))
    # categories are needed from the day-story history's first day on; earlier days only feed returns
    first_classified = start - timedelta(days=config.TE_HISTORY_DAYS)
    classified_all = classify_days(
        timeline.filter(pl.col("holdings_date") >= first_classified), w_eps, mag_eps, mag_rule
    )
    daily_all = daily_te(classified_all, all_days).join(
        rolling_ex_post_te(active_returns(returns_timeline, all_days), window), on="date", how="left"
    )
    classified = classified_all.filter(pl.col("holdings_date").is_between(start, end))
    return RangeView(
        days=days,
        no_target_days=[d for d in no_target_days(timeline) if start <= d <= end],
        classified=classified,
        daily=daily_all.filter(pl.col("date").is_between(start, end)),
        daily_all=daily_all,
        by_category=by_category(classified, days),
        pending_days=pending,
    )


def summary(view: RangeView) -> dict:
    """Headline numbers of a range: the latest day with a TE, its TE vs the range mean, the latest ex-post TE.

    Keys: latest_day, latest_te, mean_te (over the range's days with a TE), n_days_te,
    ex_post_day, ex_post_te (latest non-null), n_days (the range's days whose snapshot has closed), n_pending.
    """
    with_te = view.daily.filter(pl.col("te").is_not_null())
    ex = view.daily.filter(pl.col("ex_post_te").is_not_null())
    last = with_te.tail(1).to_dicts()
    last_ex = ex.tail(1).to_dicts()
    return {
        "latest_day": last[0]["date"] if last else None,
        "latest_te": last[0]["te"] if last else None,
        "mean_te": float(with_te["te"].mean()) if with_te.height else None,  # type: ignore[arg-type]
        "n_days_te": with_te.height,
        "ex_post_day": last_ex[0]["date"] if last_ex else None,
        "ex_post_te": last_ex[0]["ex_post_te"] if last_ex else None,
        "n_days": len(view.days) - len(view.pending_days),
        "n_pending": len(view.pending_days),
    }


def lookback_start(start: date, max_window: int = max(config.EX_POST_WINDOWS)) -> date:
    """First day to fetch so the longest ex-post window and the day-story history are full at `start`."""
    return start - timedelta(days=max(max_window, config.TE_HISTORY_DAYS))
