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
`ex_post_te`, `day_story` (-> `DayStory`), `to_report`, and the category constants.
Every function accepts a polars or a pandas DataFrame.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass
from typing import Any

import polars as pl

from lib.config import ANNUALISATION_DAYS, DEFAULT_MAG_RULE, MAG_EPS, MAG_RULES, W_EPS
from lib import format as fmt

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

# --- day-story wording -------------------------------------------------------
ELEVATED_RATIO = 1.25  # today's TE > 1.25x the previous days' mean -> "elevated"
BELOW_RATIO = 0.8  # today's TE < 0.8x the previous days' mean -> "below"
HEADLINE_MAX_NAMES = 5  # names listed per category in the headline
STORY_MAX_NAMES = 10  # names listed per category in a bullet
MINUS_SIGN = fmt.MINUS  # typographic minus used in displayed percentages


# --- input handling ----------------------------------------------------------
def _to_polars(frame: Any, what: str) -> pl.DataFrame:
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


def _require(df: pl.DataFrame, columns: tuple[str, ...], what: str) -> None:
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


def _float_columns(df: pl.DataFrame, columns: tuple[str, ...], what: str) -> pl.DataFrame:
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
def classify(frame: Any, w_eps: float = W_EPS, mag_eps: float = MAG_EPS, mag_rule: str = DEFAULT_MAG_RULE) -> pl.DataFrame:
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
    df = _to_polars(frame, "classify")
    _require(df, REQUIRED_COLUMNS, "classify")

    prior_fill = (
        pl.col("no_target_row").cast(pl.Boolean).fill_null(False)
        if "no_target_row" in df.columns
        else pl.lit(False)
    )
    df = _float_columns(df, WEIGHT_COLUMNS, "classify")
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


def _classified(classified: Any, what: str, columns: tuple[str, ...]) -> pl.DataFrame:
    df = _to_polars(classified, what)
    _require(df, columns, what)
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
    df = _classified(classified, "summarize", ("category", "err_t2", "flip_explained"))
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
    df = _classified(classified, "snapshot_te", ("category", "err_t2"))
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
    df = _to_polars(frame, "daily_active_returns")
    _require(df, RETURN_COLUMNS, "daily_active_returns")
    dup = df.select(pl.struct("date", "sym").is_duplicated().any()).item()
    if dup:
        raise ValueError("daily_active_returns: duplicate (date, sym) rows")
    df = _float_columns(df, ("actual_weight", "weight_t2", "ret"), "daily_active_returns")
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
        pl.when(has)
        .then(pl.col("book_return") - pl.col("target_return"))
        .otherwise(None)
        .alias("active_return"),
        "n_used",
        "n_no_return",
        "n_unpriced",
    )


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

    df = _to_polars(active_returns, "ex_post_te")
    _require(df, ("date", "active_return"), "ex_post_te")
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


# --- narrative ---------------------------------------------------------------
def fmt_weight(w: float | None) -> str:
    """A weight as a signed percent with 2 decimals: 0.01679 -> '+1.68%', -0.0133 -> '−1.33%'."""
    return fmt.weight(w, missing="n/a")


def _fmt_level(x: float | None) -> str:
    """An unsigned level (TE, active share) as a percent with 2 decimals."""
    return fmt.pct(x, 2, missing="n/a")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(names: list[str], limit: int) -> str:
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, +{len(names) - limit} more"


def _by_target(df: pl.DataFrame) -> pl.DataFrame:
    """Deterministic order: |target| descending, then name."""
    return df.sort(
        [pl.col("weight_t2").abs(), pl.col("sym").cast(pl.String)],
        descending=[True, False],
        nulls_last=True,
    )


def _by_error(df: pl.DataFrame) -> pl.DataFrame:
    return df.sort(
        [pl.col("err_t2").abs(), pl.col("sym").cast(pl.String)],
        descending=[True, False],
        nulls_last=True,
    )


def _describe(row: dict, gap: bool = False) -> str:
    text = f"{row['sym']} target {fmt_weight(row['weight_t2'])} actual {fmt_weight(row['actual_weight'])}"
    if gap:
        text += f" (gap {fmt_weight(row['err_t2'])})"
    return text


def _list(rows: list[dict], limit: int, gap: bool = False) -> str:
    text = "; ".join(_describe(r, gap) for r in rows[:limit])
    if len(rows) > limit:
        text += f"; +{len(rows) - limit} more"
    return text


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ValueError(f"expected a date, datetime or 'YYYY-MM-DD' string, got {value!r}")


def _history_mean(history: Any, today: dt.date) -> tuple[float, int] | None:
    """Mean TE and day count over the history rows dated before `today` (finite te only)."""
    h = _to_polars(history, "day_story history")
    _require(h, ("date", "te"), "day_story history")
    dtype = h.schema["date"]
    if dtype == pl.Date:
        d = pl.col("date")
    elif isinstance(dtype, pl.Datetime):
        d = pl.col("date").dt.date()
    elif dtype == pl.String:
        d = pl.col("date").str.slice(0, 10).str.to_date("%Y-%m-%d")
    else:
        raise ValueError(f"day_story history: date column must be a date, datetime or string, got {dtype}")
    h = _float_columns(h, ("te",), "day_story history")
    prev = h.filter((d < today) & pl.col("te").is_not_null())
    if prev.height == 0:
        return None
    return float(prev["te"].mean()), prev.height  # type: ignore[arg-type]


def _md_escape(text: str) -> str:
    for ch in ("\\", "`", "*", "_", "[", "]", "<", ">", "$", "|", ":", "~"):  # ':' stops autolinks
        text = text.replace(ch, "\\" + ch)
    return text


@dataclass
class DayStory:
    """One day's tracking-error narrative (see `day_story`)."""

    headline: str
    bullets: list[str]
    counts: dict[str, int]
    te: dict
    date: str = ""

    def to_markdown(self) -> str:
        title = f"{self.date} — {self.headline}" if self.date else self.headline
        lines = [f"**{_md_escape(title)}**", ""]
        lines += [f"- {_md_escape(b)}" for b in self.bullets]
        return "\n".join(lines) + "\n"


def _te_comparison(te: float, mean: float, days: int) -> str:
    if te > ELEVATED_RATIO * mean:
        verdict = "is elevated vs"
    elif te < BELOW_RATIO * mean:
        verdict = "is below"
    else:
        verdict = "is in line with"
    return f"TE {_fmt_level(te)} {verdict} {_fmt_level(mean)} average over the previous {_plural(days, 'day')}"


def day_story(date: Any, classified: Any, history: Any = None, top_n: int = 5) -> DayStory:
    """The day's narrative from a `classify` result, in the playbook's style.

    `history` (optional): a frame with `date, te` (te in the same units as
    `snapshot_te`, i.e. a fraction); rows dated before `date` with a finite te are
    averaged and today's TE is called elevated (> ELEVATED_RATIO x mean), below
    (< BELOW_RATIO x mean) or in line with it.
    """
    if isinstance(top_n, bool) or not isinstance(top_n, numbers.Integral) or top_n < 1:
        raise ValueError(f"top_n must be an int >= 1, got {top_n!r}")
    day = _as_date(date)
    df = _classified(
        classified,
        "day_story",
        ("sym", "actual_weight", "weight_t2", "err_t2", "category", "flip_explained"),
    )
    parts = {key[0]: part for key, part in df.partition_by("category", as_dict=True).items()} if df.height else {}
    counts = {c: 0 for c in CATEGORIES}
    for cat, part in parts.items():
        counts[cat] = part.height
    te = snapshot_te(df)
    rows = {c: [] for c in CATEGORIES}
    for cat in CATEGORIES:
        sub = parts.get(cat)
        if sub is not None and sub.height:
            ordered = _by_error(sub) if cat in (MAGNITUDE_ERROR, MATCHED) else _by_target(sub)
            rows[cat] = ordered.select("sym", "weight_t2", "actual_weight", "err_t2").to_dicts()
    sizing = _by_error(df.filter(pl.col("category").is_in([MAGNITUDE_ERROR, MATCHED])))
    sizing = sizing.filter(pl.col("err_t2") != 0.0).head(1).to_dicts()

    total = df.height
    n_priced = te["n_priced"]

    # headline
    if total == 0:
        headline = "No symbols in snapshot"
    elif n_priced == 0:
        names = [r["sym"] for r in rows[UNPRICED]]
        headline = f"No priced symbols: {counts[UNPRICED]} unpriced ({_names(names, HEADLINE_MAX_NAMES)})"
    else:
        parts = []
        if counts[WRONG_DIRECTION] == 0 and counts[EXTRA_POSITION] == 0:
            parts.append("Book aligned in direction")
        for cat, word in ((WRONG_DIRECTION, "wrong-direction position"), (EXTRA_POSITION, "extra position")):
            if counts[cat]:
                names = [r["sym"] for r in rows[cat]]
                parts.append(f"{_plural(counts[cat], word)} ({_names(names, HEADLINE_MAX_NAMES)})")
        if counts[MISSING_POSITION]:
            names = [r["sym"] for r in rows[MISSING_POSITION]]
            parts.append(
                f"{_plural(counts[MISSING_POSITION], 'missing position')} ({_names(names, HEADLINE_MAX_NAMES)})"
            )
        else:
            parts.append("no missing positions")
        gap = f"largest sizing gap {sizing[0]['sym']} {fmt_weight(sizing[0]['err_t2'])}" if sizing else ""
        if counts[MAGNITUDE_ERROR]:
            parts.append(f"{_plural(counts[MAGNITUDE_ERROR], 'magnitude error')}, {gap}")
        elif gap:
            parts.append(gap)
        if counts[UNPRICED]:
            parts.append(f"{counts[UNPRICED]} unpriced")
        headline = "; ".join(parts)
        headline = headline[0].upper() + headline[1:]

    # bullets
    bullets = []
    bullets.append(
        f"{_plural(total, 'symbol')} in snapshot: " + ", ".join(f"{c} {counts[c]}" for c in CATEGORIES)
    )
    if te["te"] is None:
        bullets.append("TE not available: no priced symbols")
    else:
        bullets.append(
            f"TE {_fmt_level(te['te'])} (sqrt of Σerr² vs T+2 target over {_plural(n_priced, 'priced symbol')}), "
            f"active share {_fmt_level(te['active_share'])}"
        )
        if history is not None:
            hm = _history_mean(history, day)
            if hm is None:
                bullets.append("No TE history before this day to compare with")
            else:
                bullets.append(_te_comparison(te["te"], hm[0], hm[1]))
    if counts[MISSING_POSITION]:
        bullets.append(
            f"Missing positions ({counts[MISSING_POSITION]}): {_list(rows[MISSING_POSITION], STORY_MAX_NAMES)}"
        )
    elif n_priced:
        bullets.append("No missing positions")
    if counts[EXTRA_POSITION] == 0 and counts[WRONG_DIRECTION] == 0:
        if n_priced:
            bullets.append("No extra or wrong-direction positions: directionality is correct across the book")
    else:
        if counts[EXTRA_POSITION]:
            bullets.append(
                f"Extra positions ({counts[EXTRA_POSITION]}): {_list(rows[EXTRA_POSITION], STORY_MAX_NAMES)}"
            )
        if counts[WRONG_DIRECTION]:
            bullets.append(
                f"Wrong-direction positions ({counts[WRONG_DIRECTION]}): "
                f"{_list(rows[WRONG_DIRECTION], STORY_MAX_NAMES)}"
            )
    if counts[MAGNITUDE_ERROR]:
        bullets.append(
            f"Largest magnitude errors ({counts[MAGNITUDE_ERROR]}): {_list(rows[MAGNITUDE_ERROR], top_n, gap=True)}"
        )
    elif counts[MATCHED]:
        bullets.append(
            "No magnitude errors; largest deviations among matched names: "
            f"{_list(rows[MATCHED], top_n, gap=True)}"
        )
    elif n_priced:
        bullets.append("No magnitude errors")
    if n_priced:
        priced = df.filter(pl.col("category") != UNPRICED)
        e2 = pl.col("err_t2") ** 2
        flip = pl.col("flip_explained").cast(pl.Boolean).fill_null(False)
        sq_total, sq_flip, n_flip = priced.select(
            e2.sum().alias("total"), e2.filter(flip).sum().alias("flip"), flip.sum().alias("n")
        ).row(0)
        if not sq_total:
            bullets.append("Σerr² is zero: the book matches the T+2 target exactly")
        else:
            share = float(sq_flip) / float(sq_total)
            bullets.append(
                f"Flips (closer to the T+1 than the T+2 target) on {_plural(int(n_flip), 'symbol')} "
                f"explain {share * 100.0:.1f}% of Σerr²"
            )
    if "no_target_row" in df.columns:
        nt = _by_target(
            df.filter(pl.col("no_target_row").cast(pl.Boolean).fill_null(False) & (pl.col("category") != UNPRICED))
        )
        if nt.height:
            bullets.append(
                f"{_plural(nt.height, 'symbol')} with no target row (target taken as 0): "
                f"{_names(nt['sym'].cast(pl.String).to_list(), STORY_MAX_NAMES)}"
            )
    if counts[UNPRICED]:
        names = [f"{r['sym']} (target {fmt_weight(r['weight_t2'])})" for r in rows[UNPRICED]]
        bullets.append(
            f"Data quality: {_plural(counts[UNPRICED], 'unpriced symbol')} "
            f"(no price or equity, left out of TE): {_names(names, STORY_MAX_NAMES)}"
        )
    return DayStory(headline=headline, bullets=bullets, counts=counts, te=te, date=day.isoformat())


# --- CLI report --------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A JSON-safe Python scalar: floats stay floats, NaN/inf become None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        return x if math.isfinite(x) else None
    return value


REPORT_FIELDS: tuple[str, ...] = ("sym", "weight_t2", "weight_t1", "actual_weight", "err_t2", "flip_explained")


def to_report(date: Any, hour: int, classified: Any) -> dict:
    """The CLI day report as a JSON-serialisable dict (see module docstring for units).

    `counts` has every category (0 when absent); `symbols` lists, for every category
    except MATCHED and MATCHED_ZERO, the rows ordered by |target| desc then name.
    """
    if isinstance(hour, bool) or not isinstance(hour, numbers.Integral) or not 0 <= hour <= 23:
        raise ValueError(f"hour must be an int in 0..23, got {hour!r}")
    day = _as_date(date)
    df = _classified(classified, "to_report", ("category",) + REPORT_FIELDS)
    counts = {c: 0 for c in CATEGORIES}
    for cat, n in df.group_by("category").len().iter_rows():
        counts[cat] = int(n)
    symbols: dict[str, list[dict]] = {}
    for cat in CATEGORIES:
        if cat in (MATCHED, MATCHED_ZERO):
            continue
        sub = _by_target(df.filter(pl.col("category") == cat)).select(REPORT_FIELDS)
        symbols[cat] = [
            {
                "sym": None if r["sym"] is None else str(r["sym"]),
                "weight_t2": _plain(r["weight_t2"]),
                "weight_t1": _plain(r["weight_t1"]),
                "actual_weight": _plain(r["actual_weight"]),
                "err_t2": _plain(r["err_t2"]),
                "flip_explained": bool(r["flip_explained"]),
            }
            for r in sub.to_dicts()
        ]
    te = snapshot_te(df)
    return {
        "date": day.isoformat(),
        "hour": int(hour),
        "counts": counts,
        "symbols": symbols,
        "te": {"te": _plain(te["te"]), "active_share": _plain(te["active_share"])},
    }
