"""Parse and validate what a user can type or put in a URL.

Every function returns a clean value or raises `InputError` with a message a
user can act on; nothing here touches the database, so garbage in a URL can
never reach a query except as a validated, typed, bound parameter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar

from lib import config

MIN_DATE = date(2015, 1, 1)
MAX_RANGE_DAYS = 3 * 366
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only (\d would take '²' and '٣')
# a perp coin (BTC, kPEPE), a spot pair (PURR/USDC) or a spot index (@107)
_COIN = re.compile(r"^(?:[A-Za-z0-9]{1,20}(?:/[A-Za-z0-9]{1,20})?|@[0-9]{1,6})$")
_WHOLE = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
URL_NUMBER_MAX_DIGITS = 6  # no URL number the app reads needs more; 5,000 digits never reach int()
T = TypeVar("T")


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
    if not _DATE.fullmatch(text):
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


def parse_url_int(raw: object, name: str, lo: int, hi: int) -> int:
    """The one parser for a whole number from a URL: ASCII digits only, at most
    URL_NUMBER_MAX_DIGITS of them, within [lo, hi]. `str.isdigit()` is not used:
    it accepts '²' and other digits `int()` then refuses."""
    text = str(raw).strip()
    if not (0 < len(text) <= URL_NUMBER_MAX_DIGITS and _WHOLE.fullmatch(text)):
        raise InputError(f"{name} must be a whole number {lo}-{hi}, not {text[:20]!r}")
    value = int(text)
    if not lo <= value <= hi:
        raise InputError(f"{name} must be a whole number {lo}-{hi}, not {value}")
    return value


def parse_hour(raw: object) -> int:
    """Snapshot hour 0-23 (positions at the end of that hour), or -1: 00:00:00, before the rebalance."""
    text = str(raw).strip()
    if text == str(config.PRE_REBALANCE_HOUR):
        return config.PRE_REBALANCE_HOUR
    try:
        value = parse_url_int(text, "hour", 0, 23)
    except InputError:
        raise InputError(
            f"hour must be a whole number 0-23 (or -1 for before the rebalance), not {text[:20]!r}"
        ) from None
    if value not in config.SNAPSHOT_HOURS:
        raise InputError(f"hour {value} is not a snapshot hour")
    return value


_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_threshold(raw: object, name: str, lo: float, hi: float) -> float:
    """A number within [lo, hi]. Typed text (a CLI option) must be ASCII: `float()` alone takes
    Unicode digits ('٠.٠١', '１') and 'nan'; a URL value goes through the stricter parse_url_decimal."""
    text = raw if isinstance(raw, (int, float)) and not isinstance(raw, bool) else str(raw).strip()
    if isinstance(text, str) and not (len(text) <= 40 and _PLAIN_NUMBER.fullmatch(text)):
        raise InputError(f"{name} must be a number, not {text[:20]!r}")
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{name} must be a number, not {str(raw)[:20]!r}") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise InputError(f"{name} must be between {lo} and {hi}, not {value}")
    return value


def parse_url_decimal(raw: object, name: str, lo: float, hi: float) -> float:
    """A decimal number from a URL, as strict as parse_url_int: ASCII digits, one optional
    point, no sign or exponent, a length bound (`float()` alone takes '١٢' and '1e3')."""
    text = str(raw).strip()
    if not (0 < len(text) <= 2 * URL_NUMBER_MAX_DIGITS and _DECIMAL.fullmatch(text)):
        raise InputError(f"{name} must be a number between {lo} and {hi}, not {text[:20]!r}")
    return parse_threshold(text, name, lo, hi)


def parse_trend_band(raw: object) -> float:
    """The regime trend band in % of BTC's 24 h return (URL `trend`): '2' means up above +2 %, down below -2 %."""
    return parse_url_decimal(raw, "trend band (%)", *config.REGIME_TREND_BAND_RANGE_PCT)


def parse_coin(raw: object) -> str:
    text = str(raw).strip()
    if not _COIN.match(text):
        raise InputError(f"coin must be letters and digits (a spot pair like PURR/USDC, or @107), not {text[:20]!r}")
    return text


def parse_choice(raw: object, name: str, choices: Sequence[int]) -> int:
    """A whole number that must be one of `choices`."""
    allowed = ", ".join(str(c) for c in choices)
    try:
        value = parse_url_int(raw, name, min(choices), max(choices))
    except InputError:
        raise InputError(f"{name} must be one of {allowed}, not {str(raw).strip()[:20]!r}") from None
    if value not in choices:
        raise InputError(f"{name} must be one of {allowed}, not {value}")
    return value


def parse_window(raw: object) -> int:
    """An ex-post TE window (`?window=`): one of config.EX_POST_WINDOWS, in days."""
    return parse_choice(raw, "window (days)", config.EX_POST_WINDOWS)


def parse_mag_rule(raw: object) -> str:
    """The magnitude rule (`?rule=`): one of config.MAG_RULES."""
    text = str(raw).strip()
    if text not in config.MAG_RULES:
        raise InputError(f"rule must be one of {', '.join(config.MAG_RULES)}, not {text[:20]!r}")
    return text


def parse_sort(raw: object) -> str:
    """A fills sort column from the allow-list (anything else is refused)."""
    text = str(raw).strip()
    if text not in config.FILL_SORT_COLUMNS:
        raise InputError(f"sort must be one of {', '.join(config.FILL_SORT_COLUMNS)}, not {text[:20]!r}")
    return text


def parse_side(raw: object) -> str:
    text = str(raw).strip().upper()
    if text not in config.SIDE_LABELS:
        raise InputError(f"side must be B (buy) or A (sell), not {str(raw)[:10]!r}")
    return text


def parse_liquidity(raw: object) -> str:
    text = str(raw).strip().lower()
    if text not in config.LIQUIDITY_LABELS:
        raise InputError(f"liquidity must be maker or taker, not {str(raw)[:10]!r}")
    return text


def parse_bucket(raw: object) -> int:
    """System Health timeline resolution (`?res=`), in minutes."""
    return parse_choice(raw, "timeline resolution (minutes)", config.HEALTH_BUCKET_CHOICES_MIN)


def parse_hours(raw: object) -> int:
    """System Health rows-per-hour window (`?hours=`)."""
    return parse_choice(raw, "rows-per-hour window (hours)", config.HEALTH_HOURS_CHOICES)


def parse_refresh(raw: object) -> int:
    """Auto-refresh interval (`?every=`), seconds; 0 = off."""
    return parse_choice(raw, "refresh interval (seconds, 0 = off)", config.REFRESH_CHOICES_S)


ALL_ACCOUNTS = "all"  # the URL value of the account selector's "All accounts"
_ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$")


def parse_account(raw: object) -> str | None:
    """An account (`?account=`): an account name as the tables spell it, or `all` (None).

    Only the spelling is checked here; whether the desk has the account is the sidebar's
    question (it knows the accounts). The value reaches SQL only as a bound parameter.
    """
    text = str(raw).strip()
    if text.lower() == ALL_ACCOUNTS:
        return None
    if not _ACCOUNT.match(text):
        raise InputError(
            f"account must be an account name (letters, digits, ':', '.', '_', '-') or 'all', not {text[:24]!r}"
        )
    return text


def parse_preset(raw: object) -> str:
    """A range preset (`?range=`): one of config.RANGE_PRESETS."""
    text = str(raw).strip().lower()
    if text not in config.RANGE_PRESETS:
        raise InputError(f"range must be one of {', '.join(config.RANGE_PRESETS)}, not {str(raw)[:20]!r}")
    return text


def parse_list(raw: object, parse_item: Callable[[str], T], name: str, max_items: int = 200) -> tuple[T, ...]:
    """A comma-separated URL list (`?coins=BTC,ETH`), each item parsed; empty items are skipped."""
    items = [part for part in str(raw).split(",") if part.strip()]
    if len(items) > max_items:
        raise InputError(f"{name} lists {len(items)} values; at most {max_items} are allowed")
    return tuple(dict.fromkeys(parse_item(part) for part in items))


_DIRECTION = re.compile(r"^[A-Za-z][A-Za-z >()-]{0,40}$")


def parse_direction(raw: object) -> str:
    """A fill direction as the exchange writes it ("Open Long", "Close Short", "Long > Short")."""
    text = str(raw).strip()
    if not _DIRECTION.match(text):
        raise InputError(f"direction must be words like 'Open Long', not {text[:20]!r}")
    return text


_MONITOR = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def parse_monitor(raw: object) -> str:
    """A monitor name (`?monitor=`): letters, digits, `_ . -` (it reaches SQL only as a bound String)."""
    text = str(raw).strip()
    if not _MONITOR.match(text):
        raise InputError(f"monitor must be a monitor's name, not {text[:20]!r}")
    return text


_DURATION = re.compile(r"([0-9]{1,6})([mhd])")  # ASCII digits and a unit: no '２h', '1_0h', '1e-9m', '1.5h'
_DURATION_UNITS = {"m": 60, "h": 3600, "d": 86400}
_ALERT_PATTERN = re.compile(r"[A-Za-z0-9_.:*?!\[\]-]{1,120}")


def parse_duration(raw: object, name: str = "duration", max_days: int = config.ALERT_SILENCE_MAX_DAYS) -> timedelta:
    """A whole number of minutes, hours or days (`30m`, `2h`, `1d`), at least a minute, at most `max_days`."""
    text = str(raw).strip()
    m = _DURATION.fullmatch(text)
    if not m:
        raise InputError(f"{name} must be a whole number with a unit, like 30m, 2h or 1d, not {text[:20]!r}")
    seconds = int(m.group(1)) * _DURATION_UNITS[m.group(2)]
    if not 60 <= seconds <= max_days * 86400:
        raise InputError(f"{name} must be at least 1m and at most {max_days}d, not {text}")
    return timedelta(seconds=seconds)


def parse_alert_pattern(raw: object) -> str:
    """An alert id (`monitor_down:ohlcv`), a rule name (`sync_failing`) or a glob over ids (`sync_*`)."""
    text = str(raw).strip()
    if not _ALERT_PATTERN.fullmatch(text):
        raise InputError(
            f"the pattern must be an alert id, a rule name or a glob (letters, digits, _ . : - * ? [ ]), not {text[:30]!r}"
        )
    return text


def parse_note(raw: object, name: str, max_chars: int, required: bool = False) -> str:
    """A short free text from the command line (who acknowledged, why): printable, bounded, one line."""
    text = str(raw).strip()
    if required and not text:
        raise InputError(f"{name} must not be empty")
    if len(text) > max_chars or not text.isprintable():
        raise InputError(f"{name} must be one line of at most {max_chars} printable characters")
    return text


def parse_order(raw: object) -> str:
    text = str(raw).strip().lower()
    if text not in ("asc", "desc"):
        raise InputError(f"order must be asc or desc, not {text[:10]!r}")
    return text


def parse_tab(raw: object, tabs: Sequence[str]) -> str:
    """A tab (`?tab=`) by its URL name, one of `tabs`."""
    text = str(raw).strip().lower()
    if text not in tabs:
        raise InputError(f"tab must be one of {', '.join(tabs)}, not {text[:20]!r}")
    return text


def parse_categories(raw: object, categories: Sequence[str]) -> list[str]:
    """Categories of a filter (`?categories=MISSING_POSITION,EXTRA_POSITION`), each one of `categories`, in
    their order; `none` is the empty selection (no parameter at all means every category)."""
    text = str(raw).strip()
    if text.lower() == "none":
        return []
    picked = parse_list(text.upper(), lambda item: item.strip(), "categories", max_items=len(categories))
    unknown = [c for c in picked if c not in categories]
    if unknown:
        raise InputError(f"categories must be among {', '.join(categories)} (or none), not {unknown[0][:30]!r}")
    return [c for c in categories if c in picked]


def parse_page(raw: object) -> int:
    """A 1-based page number (`?page=`)."""
    return parse_url_int(raw, "page", 1, 1_000_000)


def nearest_day(value: date, options: Sequence[date]) -> date:
    """The option closest to `value` (a later one on a tie): a URL day outside a new range lands on its edge."""
    if not options:
        raise InputError("there is no day to choose from")
    return min(options, key=lambda d: (abs((d - value).days), -d.toordinal()))


_FLAGS = {"1": True, "true": True, "on": True, "yes": True, "0": False, "false": False, "off": False, "no": False}


def parse_flag(raw: object, name: str = "flag") -> bool:
    """An on/off switch from the URL or the command line: 1/0, true/false, on/off, yes/no."""
    text = str(raw).strip().lower()
    if text not in _FLAGS:
        raise InputError(f"{name} must be 1 or 0 (on or off), not {str(raw).strip()[:20]!r}")
    return _FLAGS[text]


TARGET_SETS = ("today", "next")  # lib.rebalance.ticket.TODAY / NEXT


def parse_target_set(raw: object) -> str:
    """A target set (`?targets=`, `--targets`): today (the D−2 targets) or next (the D−1 targets)."""
    text = str(raw).strip().lower()
    if text not in TARGET_SETS:
        raise InputError(f"targets must be today or next, not {text[:20]!r}")
    return text
