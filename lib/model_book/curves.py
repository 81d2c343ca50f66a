"""The live and the model book's equity as two curves for one chart, from the rows SQL returns.

Pure. The model's curve is its equity at each day's 00:00 (before its rebalance), at every whole hour when
the statement was asked for them, and at the range's last 00:00; the live curve is either the account's
hourly equity (queries/book/overview.equity_series, the Overview's) or its marks at each 00:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

_TS: pl.DataType = pl.Datetime("ms", "UTC")
CURVE_SCHEMA = pl.Schema([("ts", _TS), ("equity", pl.Float64())])


def model_curve(rows: pl.DataFrame) -> pl.DataFrame:
    """`ts, equity` of the model book: kind 'day' rows in the range (00:00), kind 'hour' rows, the last day's end."""
    if rows.height == 0:
        return pl.DataFrame(schema=CURVE_SCHEMA)
    days = rows.filter((pl.col("kind") == "day") & pl.col("model_equity").is_not_null())
    points = rows.filter(pl.col("kind").is_in(["day", "hour"]) & pl.col("model_equity").is_not_null()).select(
        pl.col("ts").cast(pl.Datetime("ms", "UTC")), pl.col("model_equity").alias("equity")
    )
    if days.height:
        last = days.sort("day").tail(1).row(0, named=True)
        end = datetime(last["day"].year, last["day"].month, last["day"].day, tzinfo=UTC) + timedelta(days=1)
        tail = pl.DataFrame({"ts": [end], "equity": [last["model_equity_next"]]}, schema=CURVE_SCHEMA)
        points = pl.concat([points, tail])
    return points.sort("ts")


def live_marks_curve(days: pl.DataFrame) -> pl.DataFrame:
    """`ts, equity` of the live book at each day's mark and the last day's closing mark (the snapshots' times)."""
    known = days.filter(pl.col("equity").is_not_null()).sort("day")
    if known.height == 0:
        return pl.DataFrame(schema=CURVE_SCHEMA)
    points = known.select(pl.col("t0").cast(pl.Datetime("ms", "UTC")).alias("ts"), "equity")
    last = known.tail(1).row(0, named=True)
    if last.get("t1") is not None and last.get("equity_next") is not None:
        points = pl.concat(
            [points, pl.DataFrame({"ts": [last["t1"]], "equity": [last["equity_next"]]}, schema=CURVE_SCHEMA)]
        )
    return points.sort("ts")


def live_hourly_curve(series: pl.DataFrame) -> pl.DataFrame:
    """`ts, equity` from the Overview's hourly equity series (each hour's last snapshot, at its own time)."""
    if series.height == 0:
        return pl.DataFrame(schema=CURVE_SCHEMA)
    return (
        series.filter(pl.col("equity").is_not_null())
        .select(pl.col("equity_ts").cast(pl.Datetime("ms", "UTC")).alias("ts"), pl.col("equity").cast(pl.Float64))
        .sort("ts")
    )
