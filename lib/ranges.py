"""The sidebar's range presets (24 h, 7 d, 30 d, month to date, year to date, all) as UTC bounds.

A preset is relative to the newest data ("now" of the desk), so a link with
`?range=7d` keeps showing the last seven days as data arrives. Day-based pages
use the UTC days the bounds touch; pages that can read a time window (Trades)
use the bounds themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from lib import config
from lib.inputs import MAX_RANGE_DAYS, InputError


@dataclass(frozen=True)
class Bounds:
    """A UTC window: `lo` inclusive, `hi` exclusive, and the UTC days it touches."""

    lo: datetime
    hi: datetime

    @property
    def start(self) -> date:
        return self.lo.date()

    @property
    def end(self) -> date:
        """The last UTC day inside the window (inclusive)."""
        return (self.hi - timedelta(microseconds=1)).date()

    @property
    def intraday(self) -> bool:
        """True when the window does not start at a UTC midnight (e.g. the 24 h preset)."""
        return self.lo.timetz().replace(tzinfo=None) != time(0)


def midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def day_bounds(start: date, end: date) -> Bounds:
    """Whole UTC days start .. end (inclusive)."""
    return Bounds(midnight(start), midnight(end) + timedelta(days=1))


def preset_bounds(preset: str, now: datetime, first_day: date | None = None) -> Bounds:
    """The window of a preset ending with the UTC day of `now` (the newest data).

    24 h is the last 24 hours: the window ends with the minute that holds `now` (so the newest row is
    inside) and starts 24 h before that end, never at the end of the UTC day (that was 47 h 55 min just
    after midnight). The others are whole UTC days. "all" starts at `first_day` (the oldest data), never
    more than MAX_RANGE_DAYS back.
    """
    if preset not in config.RANGE_PRESETS:
        raise InputError(f"unknown range preset {preset!r}")
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    today = now.date()
    hi = midnight(today) + timedelta(days=1)
    if preset == "24h":
        end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return Bounds(end - timedelta(hours=24), end)
    earliest = today - timedelta(days=MAX_RANGE_DAYS - 1)
    start = {
        "7d": today - timedelta(days=6),
        "30d": today - timedelta(days=29),
        "mtd": today.replace(day=1),
        "ytd": today.replace(month=1, day=1),
        "all": first_day or earliest,
    }[preset]
    return Bounds(midnight(max(min(start, today), earliest)), hi)
