"""Tracking-error engine: classify a snapshot against its T+2 target, sum it up, tell the story.

Pure and UI-free (no streamlit import). Implements the taxonomy of the tracking-error
playbook (seed 000, section 0): every (sym, snapshot) row is compared with its T+2
target weight and put in exactly one category; the T+1 target is used only for the
"flip" attribution (a position closer to yesterday's target than today's is a timing
slip rather than a sizing error).

Conventions
-----------
* Weights are fractions of equity (0.0168 = 1.68%), signed (short < 0).
* A row whose `actual_weight` is null, NaN or +-inf has no usable price/equity: it is
  UNPRICED, never treated as flat, and is left out of every error sum.
* A missing target (`weight_t2` null/NaN/inf) means "no target row": the target is 0
  (so a held coin is EXTRA_POSITION) and `no_target_row` records the fill.
* "Held" is `|w| >= w_eps` with an exact comparison (|w| == w_eps is held) and
  `w != 0` (so `w_eps = 0` means "any non-zero weight is held").
* A magnitude error is `|actual - target| > mag_eps + MAG_TOL`. Errors are plain
  subtractions, and 0.07 - 0.05 is 0.020000000000000004 in binary floating point, so
  without the 1e-12 tolerance a gap that is mag_eps "on paper" would flip to
  MAGNITUDE_ERROR. The playbook says a gap of exactly MAG_EPS is MATCHED; the tolerance
  honours that (and is far below any meaningful weight difference).

Public API: `classify`, `summarize`, `snapshot_te`, `daily_active_returns`,
`ex_post_te` and the category constants; the day's narrative is lib/tracking/story.py.
Every function accepts a polars or a pandas DataFrame.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, overload

import polars as pl

from lib.config import ANNUALISATION_DAYS, DEFAULT_MAG_RULE, MAG_EPS, MAG_RULES, W_EPS

# --- categories (playbook 0.4), in display order ----------------------------
MATCHED_ZERO = "MATCHED_ZERO"
MISSING_POSITION = "MISSING_POSITION"
EXTRA_POSITION = "EXTRA_POSITION"
WRONG_DIRECTION = "WRONG_DIRECTION"
MAGNITUDE_ERROR = "MAGNITUDE_ERROR"
MATCHED = "MATCHED"
UNPRICED = "UNPRICED"

CATEGORIES: tuple[str, ...] = (
    MATCHED_ZERO,
    MISSING_POSITION,
    EXTRA_POSITION,
    WRONG_DIRECTION,
    MAGNITUDE_ERROR,
    MATCHED,
    UNPRICED,
)
PROBLEM_CATEGORIES: tuple[str, ...] = (
    MISSING_POSITION,
    EXTRA_POSITION,
    WRONG_DIRECTION,
    MAGNITUDE_ERROR,
    UNPRICED,
)

REQUIRED_COLUMNS: tuple[str, ...] = ("sym", "actual_weight", "weight_t2", "weight_t1")
WEIGHT_COLUMNS: tuple[str, ...] = ("actual_weight", "weight_t2", "weight_t1")
OUTPUT_COLUMNS: tuple[str, ...] = ("err_t2", "err_t1", "category", "flip_explained", "no_target_row")
RETURN_COLUMNS: tuple[str, ...] = ("date", "sym", "actual_weight", "weight_t2", "ret")

# Absolute tolerance on the magnitude comparison, so |err| == mag_eps "on paper" stays
# MATCHED despite float noise (0.07 - 0.05 == 0.020000000000000004).
MAG_TOL = 1e-12


# --- input handling ----------------------------------------------------------
def as_polars(frame: Any, what: str) -> pl.DataFrame:
    """A polars DataFrame from polars (eager or lazy) or pandas input."""
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a project dependency
        pd = None
    if pd is not None and isinstance(frame, pd.DataFrame):
        return pl.from_pandas(frame)
    raise TypeError(f"{what}: expected a polars or pandas DataFrame, got {type(frame).__name__}")


def require_columns(df: pl.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing required column(s) {missing}; got {df.columns}")


def _check_threshold(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    x = float(value)
    if not math.isfinite(x) or x < 0.0 or x >= 1.0:
        raise ValueError(f"{name} must be finite and in [0, 1), got {value!r}")
    return x


def float_columns(df: pl.DataFrame, columns: tuple[str, ...], what: str) -> pl.DataFrame:
    """Cast `columns` to Float64 with NaN and +-inf turned into null.

    Numeric columns (and all-null columns of any type: pandas hands an all-None
    column over as String) are accepted; anything else is a ValueError.
    """
    exprs = []
    for c in columns:
        dtype = df.schema[c]
        if not (dtype.is_numeric() or dtype == pl.Null or df[c].null_count() == df.height):
            raise ValueError(f"{what}: column {c!r} must be numeric, got {dtype}")
        x = pl.col(c).cast(pl.Float64)
        exprs.append(pl.when(x.is_finite()).then(x).otherwise(None).alias(c))
    return df.with_columns(exprs)


# --- classification ----------------------------------------------------------
def classify(
    frame: Any, w_eps: float = W_EPS, mag_eps: float = MAG_EPS, mag_rule: str = DEFAULT_MAG_RULE
) -> pl.DataFrame:
    # mag_rule "relative" reads MAG_EPS as a fraction of |target| (see lib.config.MAG_RULES)
    """Classify each row against its T+2 target (playbook 0.3-0.5).

    Input: `sym, actual_weight, weight_t2, weight_t1` (weight_t1 nullable; other columns
    pass through unchanged, in their original order). Output: the input with the weight
    columns as Float64 (NaN/inf -> null, weight_t2 null -> 0.0) plus, at the end,
    `err_t2, err_t1` (actual - target), `category` (String, one of CATEGORIES),
    `flip_explained` (Boolean) and `no_target_row` (Boolean: weight_t2 was filled).

    Re-classifying an already classified frame (e.g. with other thresholds) keeps the
    `no_target_row` flags of the first pass.
    """
    w_eps = _check_threshold("w_eps", w_eps)
    mag_eps = _check_threshold("mag_eps", mag_eps)
    if mag_rule not in MAG_RULES:
        raise ValueError(f"mag_rule must be 'absolute' or 'relative', not {mag_rule!r}")
    df = as_polars(frame, "classify")
    require_columns(df, REQUIRED_COLUMNS, "classify")

    prior_fill = (
        pl.col("no_target_row").cast(pl.Boolean).fill_null(False) if "no_target_row" in df.columns else pl.lit(False)
    )
    df = float_columns(df, WEIGHT_COLUMNS, "classify")
    df = df.with_columns(
        (pl.col("weight_t2").is_null() | prior_fill).alias("no_target_row"),
        pl.col("weight_t2").fill_null(0.0),
    )

    a = pl.col("actual_weight")
    t2 = pl.col("weight_t2")
    t1 = pl.col("weight_t1")
    err_t2 = a - t2
    mag_limit = pl.lit(mag_eps) if mag_rule == "absolute" else t2.abs() * mag_eps
    err_t1 = a - t1
    held_a = (a.abs() >= w_eps) & (a != 0.0)
    held_t = (t2.abs() >= w_eps) & (t2 != 0.0)
    category = (
        pl.when(a.is_null())
        .then(pl.lit(UNPRICED))
        .when(~held_t & ~held_a)
        .then(pl.lit(MATCHED_ZERO))
        .when(held_t & ~held_a)
        .then(pl.lit(MISSING_POSITION))
        .when(~held_t & held_a)
        .then(pl.lit(EXTRA_POSITION))
        .when((a > 0.0) != (t2 > 0.0))
        .then(pl.lit(WRONG_DIRECTION))
        .when(err_t2.abs() > mag_limit + MAG_TOL)
        .then(pl.lit(MAGNITUDE_ERROR))
        .otherwise(pl.lit(MATCHED))
    )
    flip = (err_t1.abs() < err_t2.abs()).fill_null(False)
    df = df.with_columns(
        err_t2.alias("err_t2"),
        err_t1.alias("err_t1"),
        category.cast(pl.String).alias("category"),
        flip.alias("flip_explained"),
    )
    keep = [c for c in df.columns if c not in OUTPUT_COLUMNS]
    return df.select(*keep, *OUTPUT_COLUMNS)


def checked_classified(classified: Any, what: str, columns: tuple[str, ...]) -> pl.DataFrame:
    df = as_polars(classified, what)
    require_columns(df, columns, what)
    bad = df.filter(~pl.col("category").is_in(list(CATEGORIES)) | pl.col("category").is_null())
    if bad.height:
        found = sorted({str(c) for c in bad["category"].unique().to_list()})
        raise ValueError(f"{what}: unknown category value(s) {found}; expected {list(CATEGORIES)}")
    return df


def summarize(classified: Any) -> pl.DataFrame:
    """Per-category counts and error sums, one row per category present, in CATEGORIES order.

    Columns: `category, n, sq_err` (sum of err_t2^2; null for UNPRICED), `sq_err_share`
    (sq_err / total sq_err over priced rows; null if that total is 0 or for UNPRICED),
    `flip_sq_err_share` (share of the category's sq_err from flip_explained rows; null
    when the category's sq_err is 0 or null) and `abs_err` (sum of |err_t2|; null for
    UNPRICED).
    """
    df = checked_classified(classified, "summarize", ("category", "err_t2", "flip_explained"))
    e = pl.col("err_t2").cast(pl.Float64)
    sq = e * e
    flip = pl.col("flip_explained").cast(pl.Boolean).fill_null(False)
    priced = pl.col("category") != UNPRICED
    total = df.select(sq.filter(priced).sum()).item()
    total = float(total) if total is not None else 0.0

    order = pl.DataFrame(
        {"category": list(CATEGORIES), "_order": list(range(len(CATEGORIES)))},
        schema={"category": pl.String, "_order": pl.Int64},
    )
    g = df.group_by("category").agg(
        pl.len().cast(pl.Int64).alias("n"),
        sq.sum().alias("sq_err"),
        sq.filter(flip).sum().alias("_flip_sq"),
        e.abs().sum().alias("abs_err"),
    )
    unpriced = pl.col("category") == UNPRICED
    sq_err = pl.when(unpriced).then(None).otherwise(pl.col("sq_err"))
    share = sq_err / total if total > 0.0 else pl.lit(None, dtype=pl.Float64)
    flip_share = pl.when(sq_err > 0.0).then(pl.col("_flip_sq") / sq_err).otherwise(None)
    return (
        g.with_columns(pl.col("category").cast(pl.String))
        .join(order, on="category", how="left")
        .sort("_order")
        .select(
            "category",
            "n",
            sq_err.cast(pl.Float64).alias("sq_err"),
            share.cast(pl.Float64).alias("sq_err_share"),
            flip_share.cast(pl.Float64).alias("flip_sq_err_share"),
            pl.when(unpriced).then(None).otherwise(pl.col("abs_err")).cast(pl.Float64).alias("abs_err"),
        )
    )


def snapshot_te(classified: Any) -> dict:
    """Snapshot TE over priced rows: `te = sqrt(sum err_t2^2)`, `active_share = 0.5 * sum |err_t2|`.

    Returns plain Python values; `te` and `active_share` are None when no row is priced.
    """
    df = checked_classified(classified, "snapshot_te", ("category", "err_t2"))
    priced = pl.col("category") != UNPRICED
    e = pl.col("err_t2").cast(pl.Float64)
    row = df.select(
        priced.sum().alias("n_priced"),
        (~priced).sum().alias("n_unpriced"),
        (e * e).filter(priced).sum().alias("sq"),
        e.abs().filter(priced).sum().alias("abs"),
    ).row(0, named=True)
    n_priced = int(row["n_priced"] or 0)
    n_unpriced = int(row["n_unpriced"] or 0)
    if n_priced == 0:
        return {"te": None, "active_share": None, "n_priced": 0, "n_unpriced": n_unpriced}
    return {
        "te": math.sqrt(float(row["sq"])),
        "active_share": 0.5 * float(row["abs"]),
        "n_priced": n_priced,
        "n_unpriced": n_unpriced,
    }


# --- returns-based (ex post) tracking error ----------------------------------
def daily_active_returns(frame: Any) -> pl.DataFrame:
    """Daily active return = book return (actual weights) - target return (T+2 weights).

    Input: `date, sym, actual_weight, weight_t2, ret` with `ret` the coin's return over
    the holding day, one row per (date, sym). `weight_t2` null means no target row
    (target 0, as in `classify`). Rows with a null/NaN `ret` or a null/NaN
    `actual_weight` (unpriced) are left out of both legs and counted.

    Output, one row per date (sorted): `date, book_return, target_return,
    active_return, n_used, n_no_return` (ret missing), `n_unpriced` (ret present,
    actual_weight missing). The three returns are null on a date with no usable row.
    """
    df = as_polars(frame, "daily_active_returns")
    require_columns(df, RETURN_COLUMNS, "daily_active_returns")
    dup = df.select(pl.struct("date", "sym").is_duplicated().any()).item()
    if dup:
        raise ValueError("daily_active_returns: duplicate (date, sym) rows")
    df = float_columns(df, ("actual_weight", "weight_t2", "ret"), "daily_active_returns")
    a = pl.col("actual_weight")
    t2 = pl.col("weight_t2").fill_null(0.0)
    r = pl.col("ret")
    used = r.is_not_null() & a.is_not_null()
    out = (
        df.group_by("date")
        .agg(
            (a * r).filter(used).sum().alias("book_return"),
            (t2 * r).filter(used).sum().alias("target_return"),
            used.sum().cast(pl.Int64).alias("n_used"),
            r.is_null().sum().cast(pl.Int64).alias("n_no_return"),
            (r.is_not_null() & a.is_null()).sum().cast(pl.Int64).alias("n_unpriced"),
        )
        .sort("date")
    )
    has = pl.col("n_used") > 0
    return out.select(
        "date",
        pl.when(has).then(pl.col("book_return")).otherwise(None).alias("book_return"),
        pl.when(has).then(pl.col("target_return")).otherwise(None).alias("target_return"),
        pl.when(has).then(pl.col("book_return") - pl.col("target_return")).otherwise(None).alias("active_return"),
        "n_used",
        "n_no_return",
        "n_unpriced",
    )


@overload
def ex_post_te(
    active_returns: pl.DataFrame, window: int, periods_per_year: float = ANNUALISATION_DAYS
) -> pl.DataFrame: ...
@overload
def ex_post_te(active_returns: pl.Series, window: int, periods_per_year: float = ANNUALISATION_DAYS) -> pl.Series: ...
@overload
def ex_post_te(
    active_returns: Any, window: int, periods_per_year: float = ANNUALISATION_DAYS
) -> pl.Series | pl.DataFrame: ...
def ex_post_te(
    active_returns: Any, window: int, periods_per_year: float = ANNUALISATION_DAYS
) -> pl.Series | pl.DataFrame:
    """Rolling ex-post TE: std (ddof=1) of daily active returns over `window` rows x sqrt(periods_per_year).

    * polars/pandas Series in -> polars Series `ex_post_te` out (same length and order).
    * DataFrame with `date, active_return` in -> the same frame (same row order) with an
      `ex_post_te` column; the window runs over rows in date order (duplicate dates are
      refused). The window counts rows, not calendar days: a missing day is not a gap.

    Null until the window is full; a null/NaN active return makes every window that
    contains it null.
    """
    if isinstance(window, bool) or not isinstance(window, numbers.Integral) or window < 2:
        raise ValueError(f"window must be an int >= 2, got {window!r}")
    window = int(window)
    if (
        isinstance(periods_per_year, bool)
        or not isinstance(periods_per_year, numbers.Real)
        or not math.isfinite(float(periods_per_year))
        or periods_per_year <= 0
    ):
        raise ValueError(f"periods_per_year must be a finite number > 0, got {periods_per_year!r}")
    scale = math.sqrt(float(periods_per_year))

    def roll(x: pl.Expr) -> pl.Expr:
        x = x.cast(pl.Float64)
        x = pl.when(x.is_finite()).then(x).otherwise(None)
        return x.rolling_std(window_size=window, min_samples=window, ddof=1) * scale

    series = active_returns
    try:
        import pandas as pd

        if isinstance(series, pd.Series):
            series = pl.from_pandas(series)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(series, pl.Series):
        if not (series.dtype.is_numeric() or series.dtype == pl.Null):
            raise ValueError(f"ex_post_te: active returns must be numeric, got {series.dtype}")
        return pl.select(roll(pl.lit(series)).alias("ex_post_te")).to_series()

    df = as_polars(active_returns, "ex_post_te")
    require_columns(df, ("date", "active_return"), "ex_post_te")
    if not df.schema["active_return"].is_numeric() and df["active_return"].null_count() != df.height:
        raise ValueError(f"ex_post_te: active_return must be numeric, got {df.schema['active_return']}")
    if df["date"].is_duplicated().any():
        raise ValueError("ex_post_te: duplicate dates")
    idx = "__ex_post_te_row"
    return (
        df.with_row_index(idx)
        .sort("date")
        .with_columns(roll(pl.col("active_return")).alias("ex_post_te"))
        .sort(idx)
        .drop(idx)
    )
