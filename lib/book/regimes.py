"""PnL windows and regimes: the buckets of queries/book/pnl_regimes.sql ordered, labelled and judged.

SQL sums each bucket; this module only orders the buckets, names them, fills the hours and
weekdays that had no interval (zero intervals, PnL unknown: null, never 0), and marks a regime
bucket thin when it rests on fewer than REGIME_THIN_HOURS hours.
"""

from __future__ import annotations

import polars as pl

from lib import config

DIMENSIONS = ("hour", "weekday", "window", "trend", "vol", "regime")
TREND_ORDER = ("up", "flat", "down", "unknown")
VOL_ORDER = ("low", "mid", "high", "unknown")
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WINDOW_ORDER = ("rebalance", "rest")
REGIME_DIMS = ("trend", "vol", "regime")
SUM_COLUMNS = ("pnl", "price_pnl", "funding", "fees")
COUNT_COLUMNS = ("n_intervals", "n_hours", "n_days")


def default_band_pct() -> float:
    """The trend band the Overview offers by default: the configured up threshold, in %."""
    return round(config.REGIME_TREND_UP * 100, 4)


def trend_thresholds(band_pct: float) -> tuple[float, float]:
    """(up, down) 24 h return thresholds for a band in %: the configured pair (which may be asymmetric)
    for the default band, else +band / -band."""
    if band_pct == default_band_pct():
        return config.REGIME_TREND_UP, config.REGIME_TREND_DOWN
    return band_pct / 100.0, -band_pct / 100.0


def _buckets(dim: str) -> list[str]:
    if dim == "hour":
        return [f"{h:02d}" for h in range(24)]
    if dim == "weekday":
        return [str(d) for d in range(1, 8)]
    if dim == "window":
        return list(WINDOW_ORDER)
    if dim == "trend":
        return list(TREND_ORDER)
    if dim == "vol":
        return list(VOL_ORDER)
    return [f"{t} / {v}" for t in TREND_ORDER for v in VOL_ORDER]


def _label(dim: str, bucket: str) -> str:
    if dim == "hour":
        return f"{bucket}:00"
    if dim == "weekday":
        return WEEKDAY_NAMES[int(bucket) - 1]
    if dim == "window":
        return (
            f"rebalance (00:00–00:{config.REBALANCE_WINDOW_MINUTES:02d} UTC)"
            if bucket == "rebalance"
            else "rest of the day"
        )
    return bucket


def dimension(buckets: pl.DataFrame, dim: str, keep_empty: bool | None = None) -> pl.DataFrame:
    """One dimension's buckets in their natural order, with label, pnl_per_hour, costs and thin flag.

    keep_empty (default: hours and weekdays) adds the buckets with no interval (counts 0, sums null),
    so a chart of the hours of the day has all 24. Regime buckets never seen are left out.
    Columns: bucket, label, counts, pnl, price_pnl, funding, fees, pnl_per_hour,
    costs (fees - funding: what the book pays to hold and trade), thin.
    """
    if dim not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dim!r}; known: {DIMENSIONS}")
    if keep_empty is None:
        keep_empty = dim in ("hour", "weekday")
    order = _buckets(dim)
    part = buckets.filter(pl.col("dim") == dim).drop("dim")
    frame = pl.DataFrame({"bucket": order, "order": list(range(len(order)))})
    out = frame.join(part, on="bucket", how="left" if keep_empty else "inner").sort("order")
    out = out.with_columns(
        [pl.col(c).fill_null(0).cast(pl.Int64) for c in COUNT_COLUMNS]
        + [pl.col(c).cast(pl.Float64) for c in SUM_COLUMNS]
    )
    thin = (pl.col("n_hours") < config.REGIME_THIN_HOURS) if dim in REGIME_DIMS else pl.lit(False)
    return out.with_columns(
        pl.col("bucket").map_elements(lambda b: _label(dim, b), return_dtype=pl.String).alias("label"),
        pl.when(pl.col("n_hours") > 0).then(pl.col("pnl") / pl.col("n_hours")).otherwise(None).alias("pnl_per_hour"),
        (pl.col("fees") - pl.col("funding")).alias("costs"),
        thin.alias("thin"),
    ).select(["bucket", "label", *COUNT_COLUMNS, *SUM_COLUMNS, "pnl_per_hour", "costs", "thin"])


def regime_table(buckets: pl.DataFrame) -> pl.DataFrame:
    """The regime x PnL table: every trend bucket, every vol bucket, then each trend / vol pair seen.

    Column `dimension` says which ("trend", "vol", "trend / vol"); the rest as in `dimension`.
    """
    parts = [
        dimension(buckets, d, keep_empty=False).with_columns(pl.lit(name).alias("dimension"))
        for d, name in (("trend", "trend"), ("vol", "volatility"), ("regime", "trend / vol"))
    ]
    out = pl.concat(parts, how="vertical")
    return out.select(["dimension", *[c for c in out.columns if c != "dimension"]])


def regime_grid(buckets: pl.DataFrame) -> tuple[list[str], list[str], list[list[float | None]], list[list[int]]]:
    """(trend labels, vol labels, PnL per cell, hours per cell) for a trend x vol heatmap; unseen = None / 0."""
    cells = {r["bucket"]: r for r in dimension(buckets, "regime", keep_empty=False).iter_rows(named=True)}
    trends = [t for t in TREND_ORDER if any(k.startswith(f"{t} / ") for k in cells)]
    vols = [v for v in VOL_ORDER if any(k.endswith(f" / {v}") for k in cells)]
    pnl = [[cells.get(f"{t} / {v}", {}).get("pnl") for v in vols] for t in trends]
    hours = [[int(cells.get(f"{t} / {v}", {}).get("n_hours") or 0) for v in vols] for t in trends]
    return trends, vols, pnl, hours
