"""TE attribution over a date range: which names, and which kinds of names, carry the tracking error.

Pure and UI-free. Input is the range's classified timeline (`lib.tracking.snapshot.RangeView.classified`:
one row per holdings day x symbol, `lib.tracking.classification.classify` columns), so the page derives
this from the frame it already loaded instead of running another query. Everything is
polars expressions over all rows at once (no per-row Python).

Conventions
-----------
* Σerr² sums err_t2² over priced rows; its share is of the range's total priced Σerr².
  UNPRICED rows are counted in their own column and left out of every sum and mean.
* mean_err is the signed mean of err_t2 over the symbol's priced rows: persistently
  positive = over-sized (or too long), negative = under-sized (or too short).
* A MISSING run counts consecutive calendar days: a day without targets, or a day the
  symbol is not in the timeline, ends it. `missing_run_now` is the run that reaches the
  range's last classified day (0 when the symbol is not missing then).
* Buckets go by the T+2 target of each row: long (target >= W_EPS), short
  (<= -W_EPS), no target (|target| < W_EPS: extra positions land here); and by size
  |target|: small < ATTRIBUTION_SIZE_BUCKETS[0] <= medium < [1] <= large.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from lib import config
from lib.tracking import classification as te

# short column names for the per-category day counts and "last day seen" dates
CATEGORY_KEYS: dict[str, str] = {
    te.MISSING_POSITION: "missing",
    te.EXTRA_POSITION: "extra",
    te.WRONG_DIRECTION: "wrong_direction",
    te.MAGNITUDE_ERROR: "magnitude",
    te.MATCHED: "matched",
    te.MATCHED_ZERO: "matched_zero",
    te.UNPRICED: "unpriced",
}
COUNT_COLUMNS: tuple[str, ...] = tuple(f"days_{k}" for k in CATEGORY_KEYS.values())
LAST_COLUMNS: tuple[str, ...] = tuple(f"last_{k}" for k in CATEGORY_KEYS.values())

SIDE_LONG, SIDE_SHORT, NO_TARGET = "long target", "short target", "no target"
SIZE_SMALL, SIZE_MEDIUM, SIZE_LARGE = "small", "medium", "large"


def _size_labels() -> tuple[str, str, str]:
    lo, hi = config.ATTRIBUTION_SIZE_BUCKETS
    return (
        f"{SIZE_SMALL} (|target| < {lo * 100:g}%)",
        f"{SIZE_MEDIUM} ({lo * 100:g}–{hi * 100:g}%)",
        f"{SIZE_LARGE} (≥ {hi * 100:g}%)",
    )


def _prepared(classified: pl.DataFrame) -> pl.DataFrame:
    e = pl.col("err_t2").cast(pl.Float64)
    priced = pl.col("category") != te.UNPRICED
    return classified.select(
        pl.col("holdings_date").alias("date"),
        pl.col("sym").cast(pl.String),
        "category",
        pl.col("weight_t2").cast(pl.Float64),
        pl.when(priced).then(e).otherwise(None).alias("err"),
    )


def _category_aggs() -> list[pl.Expr]:
    cat = pl.col("category")
    return [(cat == c).sum().cast(pl.Int64).alias(f"days_{k}") for c, k in CATEGORY_KEYS.items()]


def _sums() -> list[pl.Expr]:
    return [
        pl.len().cast(pl.Int64).alias("days"),
        (pl.col("err") ** 2).sum().alias("sq_err"),
        pl.col("err").mean().alias("mean_err"),
    ]


def _total_sq(rows: pl.DataFrame) -> float:
    return float(rows.select((pl.col("err") ** 2).sum()).item() or 0.0)


def _with_share(df: pl.DataFrame, total: float) -> pl.DataFrame:
    share = pl.col("sq_err") / total if total > 0 else pl.lit(None, dtype=pl.Float64)
    return df.with_columns(share.alias("share"))


def _missing_runs(rows: pl.DataFrame, last_day) -> pl.DataFrame:
    """Per symbol: the longest run of consecutive MISSING days, and the run reaching `last_day`."""
    miss = rows.filter(pl.col("category") == te.MISSING_POSITION).select("sym", "date").unique().sort("sym", "date")
    if miss.height == 0:
        return pl.DataFrame(schema={"sym": pl.String, "longest_missing_run": pl.Int64, "missing_run_now": pl.Int64})
    breaks = (pl.col("date").diff().over("sym") != timedelta(days=1)).fill_null(True)
    runs = (
        miss.with_columns(breaks.cum_sum().alias("_run"))
        .group_by("sym", "_run")
        .agg(pl.len().cast(pl.Int64).alias("_len"), pl.col("date").max().alias("_end"))
    )
    return runs.group_by("sym").agg(
        pl.col("_len").max().alias("longest_missing_run"),
        pl.col("_len").filter(pl.col("_end") == last_day).max().fill_null(0).alias("missing_run_now"),
    )


def by_symbol(classified: pl.DataFrame) -> pl.DataFrame:
    """One row per symbol over the range, largest share of Σerr² first.

    Columns: `sym, share, sq_err, mean_err, days, days_<category>..., longest_missing_run,
    missing_run_now, latest_state, last_<category>...` (last day seen in each state, null if never).
    """
    rows = _prepared(classified)
    schema_cols = [
        "sym",
        "share",
        "sq_err",
        "mean_err",
        "days",
        *COUNT_COLUMNS,
        "longest_missing_run",
        "missing_run_now",
        "latest_state",
        *LAST_COLUMNS,
    ]
    if rows.height == 0:
        return pl.DataFrame(schema={c: pl.Float64 for c in schema_cols}).with_columns(
            pl.col("sym").cast(pl.String), pl.col("latest_state").cast(pl.String)
        )
    last_day = rows["date"].max()
    stats = rows.group_by("sym").agg(
        *_sums(),
        *_category_aggs(),
        pl.col("category").sort_by("date").last().alias("latest_state"),
        *[pl.col("date").filter(pl.col("category") == c).max().alias(f"last_{k}") for c, k in CATEGORY_KEYS.items()],
    )
    out = (
        _with_share(stats, _total_sq(rows))
        .join(_missing_runs(rows, last_day), on="sym", how="left")
        .with_columns(pl.col("longest_missing_run").fill_null(0), pl.col("missing_run_now").fill_null(0))
        .sort(["share", "sq_err", "sym"], descending=[True, True, False], nulls_last=True)
    )
    return out.select(schema_cols)


def by_bucket(classified: pl.DataFrame) -> pl.DataFrame:
    """The same attribution by bucket of the T+2 target: side (long / short / no target) and size.

    Columns: `dimension` ("side" | "size"), `bucket`, `symbols` (distinct), `days` (symbol-days),
    `share, sq_err, mean_err, days_<category>...`; every bucket listed, in a fixed order.
    """
    rows = _prepared(classified)
    w, lo, hi = pl.col("weight_t2").fill_null(0.0), *config.ATTRIBUTION_SIZE_BUCKETS
    flat = w.abs() < config.W_EPS
    small, medium, large = _size_labels()
    side = pl.when(flat).then(pl.lit(NO_TARGET)).when(w > 0).then(pl.lit(SIDE_LONG)).otherwise(pl.lit(SIDE_SHORT))
    size = (
        pl.when(flat)
        .then(pl.lit(NO_TARGET))
        .when(w.abs() < lo)
        .then(pl.lit(small))
        .when(w.abs() < hi)
        .then(pl.lit(medium))
        .otherwise(pl.lit(large))
    )
    order = pl.DataFrame(
        {
            "dimension": ["side"] * 3 + ["size"] * 4,
            "bucket": [SIDE_LONG, SIDE_SHORT, NO_TARGET, small, medium, large, NO_TARGET],
            "_order": list(range(7)),
        }
    )
    total = _total_sq(rows)
    parts = []
    for dim, expr in (("side", side), ("size", size)):
        g = (
            rows.with_columns(expr.alias("bucket"))
            .group_by("bucket")
            .agg(pl.col("sym").n_unique().cast(pl.Int64).alias("symbols"), *_sums(), *_category_aggs())
        )
        parts.append(g.with_columns(pl.lit(dim).alias("dimension")))
    got = pl.concat(parts, how="diagonal") if rows.height else None
    out = order if got is None else order.join(got, on=["dimension", "bucket"], how="left")
    for c in ("symbols", "days", *COUNT_COLUMNS):
        out = out.with_columns(
            pl.col(c).cast(pl.Int64).fill_null(0) if c in out.columns else pl.lit(0, pl.Int64).alias(c)
        )
    for c in ("sq_err", "mean_err"):
        if c not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=pl.Float64).alias(c))
    out = _with_share(
        out.with_columns(
            pl.when(pl.col("days") > 0).then(pl.col("sq_err").fill_null(0.0)).otherwise(None).alias("sq_err")
        ),
        total,
    )
    return out.sort("_order").select(
        "dimension", "bucket", "symbols", "days", "share", "sq_err", "mean_err", *COUNT_COLUMNS
    )


def headline(symbols: pl.DataFrame, share: float = 0.5) -> dict:
    """How concentrated the range's TE is: the fewest names carrying `share` of Σerr², and the longest current MISSING run.

    Keys: n_names, names, covered (their combined share), n_symbols, run_sym, run_days (None when no symbol is missing now).
    """
    with_share = symbols.filter(pl.col("share").is_not_null() & (pl.col("share") > 0))
    cum = with_share["share"].cum_sum().to_list()
    n = next((i + 1 for i, c in enumerate(cum) if c >= share - 1e-12), len(cum))
    running = symbols.filter(pl.col("missing_run_now") > 0).sort(["missing_run_now", "sym"], descending=[True, False])
    run = running.head(1).to_dicts()
    return {
        "n_names": n,
        "names": with_share["sym"].head(n).to_list(),
        "covered": cum[n - 1] if cum else None,
        "n_symbols": symbols.height,
        "run_sym": run[0]["sym"] if run else None,
        "run_days": int(run[0]["missing_run_now"]) if run else None,
    }
