"""The desk's one clock: which snapshot is the latest complete one, and whether a snapshot has closed yet.

Pure. Every page, report, alert and command asks these functions (through answers/clock.py for the
data's own "now"), so a snapshot whose hour has not closed is never classified, averaged or alerted on.
Times are aware UTC; a naive datetime is taken to be UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from lib import config

UTC = UTC


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
