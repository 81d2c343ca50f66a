"""The desk's one clock: what "now" is for the data, which snapshot is the latest complete one, and whether a
snapshot has closed yet.

Pure. The data's "now" is `DeskClock.as_of`: the newest account snapshot (rows dated in the future are not
counted, queries/health/health.py `data_as_of`), never later than the server's clock. Every page, report, alert
and command asks the functions below, so a snapshot whose hour has not closed is never classified, averaged,
charted as a day or alerted on.

A snapshot is (holdings day, hour). Hour h (0..23) means the positions at the END of that hour, (h+1):00 UTC,
priced at the hour's close; hour 0 therefore includes the 00:00-00:02 rebalance fills. Hour -1
(config.PRE_REBALANCE_HOUR) is the book at 00:00:00 of the day, going into the rebalance. A snapshot is complete
once the data's as-of time has reached its end. Times are aware UTC; a naive datetime is taken to be UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lib import config
from lib import format as fmt

_MIN_VALID = datetime(2000, 1, 1, tzinfo=UTC)  # older: a zero/default timestamp (max() over an empty table)


def aware(ts: Any) -> datetime | None:
    """An aware UTC datetime from a datetime (naive = UTC) or a date (its midnight); None otherwise."""
    if isinstance(ts, datetime):
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    if isinstance(ts, date):
        return datetime(ts.year, ts.month, ts.day, tzinfo=UTC)
    return None


def real(ts: Any) -> datetime | None:
    """A data timestamp, or None for NULL and for the epoch that max()/min() give over an empty table."""
    t = aware(ts)
    return t if t is not None and t >= _MIN_VALID else None


@dataclass(frozen=True)
class DeskClock:
    """The data's clock, read once per run from `queries.health.health.data_as_of`.

    `as_of`: the newest account snapshot, never after `server_now` (None: no account snapshot, or unknown).
    `server_now`: ClickHouse's own clock when it answered (None when it did not).
    `positions_ts`: the newest positions snapshot. `first_day`: the UTC day of the desk's inception (the first
    account snapshot of the continuous history, or the configured date: queries/engine/inception.py).
    """

    as_of: datetime | None
    server_now: datetime | None = None
    positions_ts: datetime | None = None
    first_day: date | None = None

    @property
    def now(self) -> datetime:
        """What "now" is for the data: as_of, else the server's clock, else this machine's."""
        return self.as_of or self.server_now or datetime.now(UTC)


def from_data_as_of(row: dict | None) -> DeskClock:
    """The clock from one `data_as_of` row (account_ts, inception_ts, positions_ts, server_now)."""
    row = row or {}
    server_now = real(row.get("server_now"))
    account_ts = real(row.get("account_ts"))
    as_of = min(account_ts, server_now) if account_ts and server_now else account_ts
    first = real(row.get("inception_ts"))
    return DeskClock(as_of, server_now, real(row.get("positions_ts")), first.date() if first else None)


# --- snapshots ------------------------------------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def snapshot_end(day: date, hour: int) -> datetime:
    """When the snapshot's positions are taken (exclusive end of its hour), aware UTC: (hour + 1):00 of `day`;
    the 00:00:00 of `day` for the pre-rebalance choice (hour -1)."""
    return _midnight(day) + timedelta(hours=int(hour) + 1)


def target_date(day: date) -> date:
    """The date of the model targets holdings day `day` is compared with (T+2: day - 2)."""
    return day - timedelta(days=config.T_PLUS_TARGET)


def reference_date(day: date) -> date:
    """The date of the T+1 reference targets (day - 1): a position closer to these is a timing slip."""
    return day - timedelta(days=config.T_PLUS_REFERENCE)


def is_complete(day: date, hour: int, as_of: datetime | None, now: datetime | None = None) -> bool:
    """True once the data has reached the end of the snapshot (with as_of unknown: `now`, else the wall clock)."""
    reference = aware(as_of) or aware(now) or datetime.now(UTC)
    return reference >= snapshot_end(day, hour)


def latest_complete(as_of: datetime | None, hour: int | None = None, now: datetime | None = None) -> tuple[date, int]:
    """The newest complete snapshot: (day, hour).

    With `hour` None, the newest complete hour of any day (the hour whose end is the data's as-of time floored
    to the hour). With an `hour`, the newest day whose snapshot at that hour is complete (the playbook reads
    every day at 02:00: before 03:00 UTC that is yesterday's).
    """
    reference = aware(as_of) or aware(now) or datetime.now(UTC)
    if hour is None:
        end = reference.replace(minute=0, second=0, microsecond=0)
        last = end - timedelta(hours=1)
        return last.date(), last.hour
    return (reference - timedelta(hours=int(hour) + 1)).date(), int(hour)


def latest_complete_day(as_of: datetime | None, hour: int, now: datetime | None = None) -> date:
    """The newest holdings day whose snapshot at `hour` is complete."""
    return latest_complete(as_of, hour, now)[0]


def complete_days(start: date, end: date, hour: int, as_of: datetime | None, now: datetime | None = None) -> list[date]:
    """The days of [start, end] whose snapshot at `hour` is complete: a range's days that may be classified."""
    last = min(end, latest_complete_day(as_of, hour, now))
    return [start + timedelta(days=i) for i in range((last - start).days + 1)]


def closes_in(day: date, hour: int, as_of: datetime | None, now: datetime | None = None) -> timedelta | None:
    """How long until the snapshot closes (None once it has)."""
    reference = aware(as_of) or aware(now) or datetime.now(UTC)
    left = snapshot_end(day, hour) - reference
    return left if left > timedelta(0) else None


def pending_note(
    day: date, hour: int, as_of: datetime | None, showing: date | None = None, now: datetime | None = None
) -> str | None:
    """Why a snapshot is not shown yet, in the desk's words; None once it is complete.

    "today's 02:00 snapshot closes at 03:00 UTC (in 2 h 17 min); showing 2026-12-05"
    """
    left = closes_in(day, hour, as_of, now)
    if left is None:
        return None
    reference = aware(as_of) or aware(now) or datetime.now(UTC)
    which = "today's" if day == reference.date() else f"{day.isoformat()}'s"
    text = f"{which} {snapshot_name(hour)} snapshot closes at {closing_time(day, hour)} (in {fmt.countdown(left)})"
    return text + (f"; showing {showing.isoformat()}" if showing is not None else "")


def snapshot_name(hour: int) -> str:
    """'02:00', or '00:00:00 (before the rebalance)'."""
    return "00:00:00 (before the rebalance)" if hour < 0 else f"{hour:02d}:00"


def closing_time(day: date, hour: int) -> str:
    """When the snapshot's positions are taken, never '24:00': '03:00 UTC', '00:00 UTC on 2025-12-08'."""
    end = snapshot_end(day, hour)
    return f"{end:%H:%M} UTC" if end.date() == day else f"{end:%H:%M} UTC on {end.date().isoformat()}"
