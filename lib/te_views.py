"""What the Positions and Tracking Error pages show, computed from the hourly timeline.

Pure and UI-free (no streamlit import): the pages call these and only draw.
Every function takes the frame `queries.tracking_error.timeline` returns (one
row per holdings_date x sym at the snapshot hour, see queries/timeline.sql) or
a `lib.tracking_error.classify` result of it, and returns polars frames or
plain Python values.

Conventions
-----------
* A holdings day whose D-2 model targets are missing (`t2_rows_for_day == 0`)
  is NOT classified: without targets every held coin would look like an
  EXTRA_POSITION. Such a day is a "no-target day"; its TE, counts and active
  return are null (a gap in a chart), never 0.
* Weights are fractions of equity; exposure and TE are fractions too.
* UNPRICED rows (actual_weight null) are out of every sum and are listed with
  the reason (no price / equity missing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, timedelta, timezone
from typing import Any

import polars as pl

from lib import config
from lib import format as fmt
from lib import tracking_error as te
from lib.inputs import InputError, parse_threshold

UTC = timezone.utc

# Columns of the Positions table, in display order.
POSITION_COLUMNS: tuple[str, ...] = (
    "sym",
    "pos_units",
    "bn_px",
    "notional_usd",
    "actual_weight",
    "weight_t2",
    "weight_t1",
    "err_t2",
    "category",
    "flip_explained",
)

UNCLASSIFIED_COLUMNS: tuple[str, ...] = POSITION_COLUMNS[:7]  # a no-target day: no error, no category

# Short display labels for the categories (metrics, legends); the category names stay the data.
CATEGORY_LABELS: dict[str, str] = {
    te.MATCHED_ZERO: "Matched zero",
    te.MISSING_POSITION: "Missing position",
    te.EXTRA_POSITION: "Extra position",
    te.WRONG_DIRECTION: "Wrong direction",
    te.MAGNITUDE_ERROR: "Magnitude error",
    te.MATCHED: "Matched",
    te.UNPRICED: "Unpriced",
}

# The day-story table: the weights and the verdict only.
STORY_COLUMNS: tuple[str, ...] = ("sym", "actual_weight", "weight_t2", "weight_t1", "err_t2", "category",
                                  "flip_explained")

REASON_NO_PRICE = "no price"
REASON_NO_EQUITY = "equity missing"


# --- snapshot selection -----------------------------------------------------
def latest_complete_hour(as_of: datetime | None, now: datetime | None = None) -> tuple[date, int]:
    """The newest snapshot hour whose data is complete: `as_of` floored to the hour, minus 1 h.

    With no `as_of` (data as of unknown) the current UTC time is used instead.
    Naive datetimes are taken to be UTC.
    """
    ts = as_of if as_of is not None else (now or datetime.now(UTC))
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    hour = ts.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    return hour.date(), hour.hour


def snapshot_end(day: date, hour: int) -> datetime:
    """End of the snapshot hour (exclusive), aware UTC: positions are 'after every fill before this'."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=int(hour) + 1)


def target_date(day: date) -> date:
    """The date of the model targets holdings day `day` is compared with (T+2: day - 2)."""
    return day - timedelta(days=config.T_PLUS_TARGET)


def snapshot_incomplete(day: date, hour: int, as_of: datetime | None) -> bool:
    """True when the data (as of `as_of`) does not yet cover the whole snapshot hour."""
    if as_of is None:
        return False
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    return as_of < snapshot_end(day, hour)


@dataclass(frozen=True)
class Thresholds:
    """Classification thresholds after validation; `errors` says what was refused."""

    w_eps: float = config.W_EPS
    mag_eps: float = config.MAG_EPS
    errors: tuple[str, ...] = field(default_factory=tuple)
    mag_rule: str = config.DEFAULT_MAG_RULE

    @property
    def label(self) -> str:
        rule = "" if self.mag_rule == "absolute" else " of |target| (relative rule)"
        return f"W_EPS {self.w_eps:g} · MAG_EPS {self.mag_eps:g}{rule}"


def thresholds(w_eps: Any, mag_eps: Any, mag_rule: Any = config.DEFAULT_MAG_RULE) -> Thresholds:
    """Validate user thresholds against lib.config's ranges; a refused value falls back to the default."""
    errors = []
    try:
        w = parse_threshold(w_eps, "W_EPS", *config.W_EPS_RANGE)
    except InputError as err:
        errors.append(f"{err}; using the playbook default {config.W_EPS}")
        w = config.W_EPS
    try:
        m = parse_threshold(mag_eps, "MAG_EPS", *config.MAG_EPS_RANGE)
    except InputError as err:
        errors.append(f"{err}; using the playbook default {config.MAG_EPS}")
        m = config.MAG_EPS
    rule = str(mag_rule)
    if rule not in config.MAG_RULES:
        errors.append(f"magnitude rule must be one of {', '.join(config.MAG_RULES)}; using {config.DEFAULT_MAG_RULE}")
        rule = config.DEFAULT_MAG_RULE
    return Thresholds(w, m, tuple(errors), rule)


# --- days with / without targets -------------------------------------------
def has_targets(day_rows: pl.DataFrame) -> bool:
    """True when the day's D-2 target set is present (at least one target row for the day)."""
    if day_rows.height == 0:
        return False
    return bool((day_rows["t2_rows_for_day"].fill_null(0) > 0).any())


NO_TARGETS = "no targets"
NO_FILLS = "no fills"


def _book_known(day_rows: pl.DataFrame) -> bool:
    """Some fill up to the snapshot exists for the day's symbols (else the book cannot be rebuilt)."""
    return bool((day_rows["last_fill_hour"].is_not_null() | (day_rows["pos_units"].fill_null(0) != 0)).any())


def day_state(day_rows: pl.DataFrame) -> str | None:
    """Why one holdings day cannot be classified (NO_TARGETS, NO_FILLS), or None when it can.

    The one rule of every page and report: without the D-2 target set nothing is
    EXTRA, and without a single fill up to the snapshot nothing is MISSING (the
    book is unknown, not flat), so nothing is classified and no TE is computed.
    """
    if not has_targets(day_rows):
        return NO_TARGETS
    if "last_fill_hour" in day_rows.columns and not _book_known(day_rows):
        return NO_FILLS
    return None


def classifiable(timeline: pl.DataFrame) -> pl.DataFrame:
    """The rows of the days `day_state` allows to classify."""
    if timeline.height == 0:
        return timeline
    book = pl.col("last_fill_hour").is_not_null() | (pl.col("pos_units").fill_null(0) != 0)
    ok = (pl.col("t2_rows_for_day").fill_null(0) > 0).any().over("holdings_date")
    if "last_fill_hour" in timeline.columns:
        ok = ok & book.any().over("holdings_date")
    return timeline.filter(ok)


def no_target_days(timeline: pl.DataFrame) -> list[date]:
    """Holdings days present in the timeline whose D-2 target set is empty, sorted."""
    if timeline.height == 0:
        return []
    per_day = timeline.group_by("holdings_date").agg(pl.col("t2_rows_for_day").fill_null(0).max().alias("n"))
    return sorted(per_day.filter(pl.col("n") == 0)["holdings_date"].to_list())


def classify_days(
    timeline: pl.DataFrame, w_eps: float = config.W_EPS, mag_eps: float = config.MAG_EPS,
    mag_rule: str = config.DEFAULT_MAG_RULE,
) -> pl.DataFrame:
    """Classify every (day, sym) row of the days that have targets; no-target days are left out.

    Classification is row-wise, so one call over many days equals one call per day.
    """
    return te.classify(classifiable(timeline), w_eps=w_eps, mag_eps=mag_eps, mag_rule=mag_rule)


def category_counts(classified: pl.DataFrame | None) -> dict[str, int]:
    """Rows per category, every category present (0 when absent)."""
    counts = {c: 0 for c in te.CATEGORIES}
    if classified is None or classified.height == 0:
        return counts
    for cat, n in classified.group_by("category").len().iter_rows():
        counts[cat] = int(n)
    return counts


# --- the Positions page -------------------------------------------------------
def exposure(day_rows: pl.DataFrame) -> dict:
    """Gross / net / long / short exposure as fractions of equity, over the priced rows.

    `gross = sum |w|`, `net = sum w`, `long = sum w>0`, `short = sum w<0` (negative).
    All None when no row is priced; `n_priced` / `n_unpriced` count held rows.
    """
    w = pl.col("actual_weight").cast(pl.Float64)
    w = pl.when(w.is_finite()).then(w).otherwise(None)
    held = pl.col("pos_units") != 0
    row = day_rows.select(
        w.abs().sum().alias("gross"),
        w.sum().alias("net"),
        w.filter(w > 0).sum().alias("long"),
        w.filter(w < 0).sum().alias("short"),
        (held & w.is_not_null()).sum().alias("n_priced"),
        (held & w.is_null()).sum().alias("n_unpriced"),
    ).row(0, named=True)
    n_priced, n_unpriced = int(row["n_priced"] or 0), int(row["n_unpriced"] or 0)
    if n_priced == 0:
        return {"gross": None, "net": None, "long": None, "short": None, "n_priced": 0, "n_unpriced": n_unpriced}
    return {
        "gross": float(row["gross"]),
        "net": float(row["net"]),
        "long": float(row["long"] or 0.0),
        "short": float(row["short"] or 0.0),
        "n_priced": n_priced,
        "n_unpriced": n_unpriced,
    }


def positions_table(rows: pl.DataFrame, categories: list[str] | None = None) -> pl.DataFrame:
    """The Positions table: one row per symbol.

    `rows` is a classified day: columns POSITION_COLUMNS, largest |err_t2| first (then
    |target|, then name); `categories` keeps only those categories. On a no-target day
    `rows` are the raw timeline rows: there is nothing to classify, so the table has
    no err_t2 / category / flip_explained columns and lists the largest |notional| first.
    """
    if "category" not in rows.columns:
        return rows.sort(
            [pl.col("notional_usd").abs(), pl.col("sym")], descending=[True, False], nulls_last=True
        ).select(UNCLASSIFIED_COLUMNS)
    df = rows
    if categories is not None:
        df = df.filter(pl.col("category").is_in(list(categories)))
    return df.sort(
        [pl.col("err_t2").abs(), pl.col("weight_t2").abs(), pl.col("sym")],
        descending=[True, True, False],
        nulls_last=True,
    ).select(POSITION_COLUMNS)


def unpriced(day_rows: pl.DataFrame) -> pl.DataFrame:
    """Held rows without an actual weight, with the reason: `sym, pos_units, bn_px, equity_usd, reason`."""
    eq = pl.col("equity_usd")
    return (
        day_rows.filter((pl.col("pos_units") != 0) & pl.col("actual_weight").is_null())
        .with_columns(
            pl.when(pl.col("bn_px").is_null() & (eq.is_null() | (eq <= 0)))
            .then(pl.lit(f"{REASON_NO_PRICE}, {REASON_NO_EQUITY}"))
            .when(pl.col("bn_px").is_null())
            .then(pl.lit(REASON_NO_PRICE))
            .otherwise(pl.lit(REASON_NO_EQUITY))
            .alias("reason")
        )
        .sort("sym")
        .select("sym", "bn_symbol", "pos_units", "bn_px", "equity_usd", "reason")
    )


def unpriced_notes(bad: pl.DataFrame, max_names: int = 15) -> list[str]:
    """One line per reason for `unpriced()` rows: 'no price (3): AAA, BBB, CCC', long lists cut with '+N more'.

    Markdown: the names from the data are escaped (lib.format.md_text)."""
    notes = []
    for reason in sorted(set(bad["reason"].to_list())):
        names = [fmt.md_text(n) for n in bad.filter(pl.col("reason") == reason)["sym"].cast(pl.String).to_list()]
        more = f", +{len(names) - max_names} more" if len(names) > max_names else ""
        shown = ", ".join(names[:max_names]) + more
        notes.append(f"{reason} ({len(names)}): {shown}")
    return notes


def reconcile(
    day_rows: pl.DataFrame,
    snapshot: pl.DataFrame,
    abs_tol: float = config.RECON_ABS_TOL,
    rel_tol: float = config.RECON_REL_TOL,
) -> pl.DataFrame:
    """Fills-implied units (timeline `pos_units`) vs the exchange snapshot (`coin, szi`).

    Outer join on the coin; a coin absent on one side holds 0 there (the timeline
    lists every held coin, the exchange lists every open position). Returns only the
    coins that differ by more than `max(abs_tol, rel_tol * max(|fills|, |exchange|))`:
    `sym, fills_units, exchange_units, diff_units (fills - exchange), in_snapshot`,
    largest |diff| first.
    """
    fills = day_rows.select(pl.col("sym"), pl.col("pos_units").cast(pl.Float64).alias("fills_units"))
    exch = snapshot.select(
        pl.col("coin").cast(pl.String).alias("sym"),
        pl.col("szi").cast(pl.Float64).alias("exchange_units"),
        pl.lit(True).alias("in_snapshot"),
    )
    both = fills.with_columns(pl.col("sym").cast(pl.String)).join(exch, on="sym", how="full", coalesce=True)
    f = pl.col("fills_units").fill_null(0.0)
    x = pl.col("exchange_units").fill_null(0.0)
    tol = pl.max_horizontal(pl.lit(abs_tol), rel_tol * pl.max_horizontal(f.abs(), x.abs()))
    return (
        both.with_columns(
            f.alias("fills_units"),
            x.alias("exchange_units"),
            pl.col("in_snapshot").fill_null(False),
        )
        .with_columns((pl.col("fills_units") - pl.col("exchange_units")).alias("diff_units"))
        .filter(pl.col("diff_units").abs() > tol)
        .sort([pl.col("diff_units").abs(), pl.col("sym")], descending=[True, False])
        .select("sym", "fills_units", "exchange_units", "diff_units", "in_snapshot")
    )


# --- the Tracking Error page ---------------------------------------------------
def calendar(start: date, end: date) -> list[date]:
    """Every day of [start, end]."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _days_frame(days: list[date]) -> pl.DataFrame:
    return pl.DataFrame({"date": days}, schema={"date": pl.Date})


def daily_te(classified: pl.DataFrame, days: list[date]) -> pl.DataFrame:
    """One row per day of `days`: `date, te, active_share, flip_share, n_symbols, n_priced, n_unpriced`.

    `te` = sqrt(sum err_t2^2) and `active_share` = 0.5 * sum |err_t2| over priced rows
    (as `lib.tracking_error.snapshot_te`); `flip_share` = share of sum err_t2^2 from
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
    """The timeline as `lib.tracking_error.daily_active_returns` input (date, sym, weights, ret_24h)."""
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


def heatmap(classified: pl.DataFrame, days: list[date], max_symbols: int | None = None) -> pl.DataFrame:
    """Symbol x day matrix of err_t2: column `sym` then one column per day (ISO date), every day of `days`.

    Rows ordered by the largest |err_t2| over the days, descending (then name); cells
    are null where the symbol has no classified row that day, is UNPRICED, or the day
    has no targets. `max_symbols` keeps the top rows.
    """
    cols = [d.isoformat() for d in days]
    rows = classified.filter(pl.col("holdings_date").is_in(days) & (pl.col("category") != te.UNPRICED))
    if rows.height == 0:
        return pl.DataFrame(schema={"sym": pl.String, **{c: pl.Float64 for c in cols}})
    rank = (
        rows.group_by("sym")
        .agg(pl.col("err_t2").abs().max().alias("_max"))
        .sort(["_max", "sym"], descending=[True, False], nulls_last=True)
    )
    if max_symbols is not None:
        rank = rank.head(max_symbols)
    wide = (
        rows.filter(pl.col("sym").is_in(rank["sym"].implode()))
        .with_columns(pl.col("holdings_date").cast(pl.String).alias("_day"))
        .pivot(on="_day", index="sym", values="err_t2")
    )
    for c in cols:
        if c not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(c))
    return rank.select("sym").join(wide, on="sym", how="left", maintain_order="left").select("sym", *cols)


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

    @cached_property
    def days_with_targets(self) -> list[date]:
        return sorted(set(self.classified["holdings_date"].unique().to_list()))

    @property
    def days_without_targets(self) -> list[date]:
        """Days of the range with nothing classified: no targets for D-2, or no data at all."""
        have = set(self.days_with_targets)
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
) -> RangeView:
    """Classify and aggregate a (possibly longer) timeline for the displayed range [start, end].

    Days of the timeline before `start` only feed the rolling ex-post TE window and
    the day-story history; `daily`, `classified` and `by_category` stay inside
    [start, end], with one `daily` row per day.
    """
    days = calendar(start, end)
    fetched = set(timeline["holdings_date"].unique().to_list()) if timeline.height else set()
    all_days = sorted(fetched | set(days))
    # categories are needed from the day-story history's first day on; earlier days only feed returns
    first_classified = start - timedelta(days=config.TE_HISTORY_DAYS)
    classified_all = classify_days(timeline.filter(pl.col("holdings_date") >= first_classified),
                                   w_eps, mag_eps, mag_rule)
    daily_all = daily_te(classified_all, all_days).join(
        rolling_ex_post_te(active_returns(timeline, all_days), window), on="date", how="left"
    )
    classified = classified_all.filter(pl.col("holdings_date").is_between(start, end))
    return RangeView(
        days=days,
        no_target_days=[d for d in no_target_days(timeline) if start <= d <= end],
        classified=classified,
        daily=daily_all.filter(pl.col("date").is_between(start, end)),
        daily_all=daily_all,
        by_category=by_category(classified, days),
    )


@dataclass
class SnapshotView:
    """Everything the Positions page draws for one holdings day at one hour."""

    rows: pl.DataFrame  # classified rows; the raw timeline rows when the day has no targets
    counts: dict[str, int] | None  # per category; None without targets (nothing is classified)
    exposure: dict
    snapshot_te: dict | None
    unpriced: pl.DataFrame
    state: str | None = None  # day_state(): why nothing is classified, None when classified


def snapshot_view(day_rows: pl.DataFrame, w_eps: float = config.W_EPS, mag_eps: float = config.MAG_EPS,
                  mag_rule: str = config.DEFAULT_MAG_RULE) -> SnapshotView:
    """Classify one day's timeline rows (only when its targets exist) and sum up the book."""
    state = day_state(day_rows)
    if state is None:
        rows = te.classify(day_rows, w_eps=w_eps, mag_eps=mag_eps, mag_rule=mag_rule)
        counts: dict[str, int] | None = category_counts(rows)
        snap = te.snapshot_te(rows)
    else:
        rows, counts, snap = day_rows, None, None
    return SnapshotView(rows=rows, counts=counts, exposure=exposure(day_rows), snapshot_te=snap,
                        unpriced=unpriced(day_rows), state=state)


def summary(view: RangeView) -> dict:
    """Headline numbers of a range: the latest day with a TE, its TE vs the range mean, the latest ex-post TE.

    Keys: latest_day, latest_te, mean_te (over the range's days with a TE), n_days_te,
    ex_post_day, ex_post_te (latest non-null), n_days.
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
        "n_days": len(view.days),
    }


def lookback_start(start: date, max_window: int = max(config.EX_POST_WINDOWS)) -> date:
    """First day to fetch so the longest ex-post window and the day-story history are full at `start`."""
    return start - timedelta(days=max(max_window, config.TE_HISTORY_DAYS))

