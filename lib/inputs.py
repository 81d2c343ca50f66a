"""Parse and validate what a user can type or put in a URL.

Every function returns a clean value or raises `InputError` with a message a
user can act on; nothing here touches the database, so garbage in a URL can
never reach a query except as a validated, typed, bound parameter.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone

MIN_DATE = date(2015, 1, 1)
MAX_RANGE_DAYS = 3 * 366
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COIN = re.compile(r"^[A-Za-z0-9]{1,20}$")


class InputError(ValueError):
    """User input that cannot be used; the message says why."""


def finite_float(x: object) -> float | None:
    """A finite float, or None for None / NaN / inf / bools / non-numbers (missing stays missing)."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def parse_date(raw: object, name: str = "date") -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if not _DATE.match(text):
        raise InputError(f"{name} must be a date like 2025-12-05, not {text[:40]!r}")
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name} {text!r} is not a real calendar date") from None
    if value < MIN_DATE or value > date.today() + timedelta(days=1):
        raise InputError(f"{name} {value} is outside {MIN_DATE} … today")
    return value


def parse_range(start: object, end: object, max_days: int = MAX_RANGE_DAYS) -> tuple[date, date]:
    """An inclusive [start, end] date range, checked for order and size."""
    s = parse_date(start, "start date")
    e = parse_date(end, "end date")
    if s > e:
        raise InputError(f"the range starts ({s}) after it ends ({e})")
    if (e - s).days + 1 > max_days:
        raise InputError(f"the range is {(e - s).days + 1} days; at most {max_days} are allowed")
    return s, e


def parse_hour(raw: object) -> int:
    text = str(raw).strip()
    if not text.isdigit() or not 0 <= int(text) <= 23:
        raise InputError(f"hour must be a whole number 0-23, not {text[:20]!r}")
    return int(text)


def parse_threshold(raw: object, name: str, lo: float, hi: float) -> float:
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise InputError(f"{name} must be a number, not {str(raw)[:20]!r}") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise InputError(f"{name} must be between {lo} and {hi}, not {value}")
    return value


def parse_coin(raw: object) -> str:
    text = str(raw).strip()
    if not _COIN.match(text):
        raise InputError(f"coin must be letters and digits only, not {text[:20]!r}")
    return text


def day_bounds(d: date) -> tuple[datetime, datetime]:
    """[start, end) of a UTC day as aware datetimes."""
    start = datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
    return start, start + timedelta(days=1)
