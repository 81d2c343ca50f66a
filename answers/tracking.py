"""The tracking-error answers every surface reads: "TE now" and the TE of one snapshot.

Pages load the same statement with their failure handling (`ui.data.load`) and call the same lib function
(`lib.tracking.snapshot.te_now` / `snapshot_view`); alerts, reports and commands call these, so a number is
never assembled twice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from lib import clock, config
from lib.tracking import snapshot as te_snapshot
from queries.tracking import tracking_error


def te_now_day(as_of: datetime | None, hour: int = config.DEFAULT_SNAPSHOT_HOUR) -> date | None:
    """The day "TE now" is about: the latest complete snapshot at `hour` (before 03:00 UTC, yesterday's)."""
    return clock.latest_complete_day(as_of, hour) if as_of is not None else None


def te_now(as_of: datetime | None, hour: int = config.DEFAULT_SNAPSHOT_HOUR) -> te_snapshot.TeNow:
    """TE of the latest complete snapshot at `hour` and of the day before (Overview's metric, the tracking alerts).

    Raises `lib.clickhouse.errors.QueryFailed` when the timeline cannot be read.
    """
    day = te_now_day(as_of, hour)
    if day is None:
        return te_snapshot.TeNow(None, hour, None, None)
    timeline = tracking_error.timeline(day - timedelta(days=1), day, hour)
    return te_snapshot.te_now(timeline, day, hour)


def snapshot_at(
    timeline: pl.DataFrame, day: date, hour: int, as_of: datetime | None, **thresholds: float | str
) -> te_snapshot.SnapshotView:
    """One day's snapshot from a loaded timeline, classified only when its hour has closed in the data."""
    rows = timeline.filter(pl.col("holdings_date") == day)
    complete = clock.is_complete(day, hour, as_of)
    return te_snapshot.snapshot_view(rows, complete=complete, **thresholds)  # type: ignore[arg-type]
