"""A query window as bound parameters: whole UTC days, or the instants of an intraday window (the 24 h preset)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

Moment = date | datetime  # a UTC day, or an instant of an intraday window (the 24 h preset)


def window(start: Moment, end: Moment) -> dict[str, Any]:
    """`lo`, `hi` (aware UTC datetimes, the window [lo, hi)) and the UTC days it touches, `start` .. `end`.

    Days: [start 00:00, end + 1 day 00:00). Datetimes: [start, end) as given (naive = UTC).
    """
    if isinstance(start, datetime) != isinstance(end, datetime):
        raise TypeError("start and end must both be dates or both be datetimes")
    if isinstance(start, datetime) and isinstance(end, datetime):
        lo = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
        hi = end.replace(tzinfo=UTC) if end.tzinfo is None else end.astimezone(UTC)
        first, last = lo.date(), (hi - timedelta(microseconds=1)).date()
    else:
        lo = datetime(start.year, start.month, start.day, tzinfo=UTC)
        hi = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
        first, last = start, end
    if hi <= lo:
        raise ValueError("the window ends before it starts")
    return {"lo": lo, "hi": hi, "start": first, "end": last}
