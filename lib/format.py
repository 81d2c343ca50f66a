"""Formatting and colours shared by every page, so a category or a number
looks the same wherever it appears. Missing values render as an explicit
marker, never as 0."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any, TypeGuard

from lib import config

MISSING = "—"
MINUS = "\u2212"  # typographic minus for displayed signed numbers

CATEGORY_COLORS: Mapping[str, str] = MappingProxyType(
    {
        "MATCHED": "#2e9d5b",
        "MATCHED_ZERO": "#a3b1bf",
        "MAGNITUDE_ERROR": "#e0a526",
        "MISSING_POSITION": "#e8702a",
        "EXTRA_POSITION": "#8e5cc4",
        "WRONG_DIRECTION": "#d1343b",
        "UNPRICED": "#40464d",
    }
)

STATUS_COLORS: Mapping[str, str] = MappingProxyType(
    {"OK": "#2e9d5b", "LATE": "#e0a526", "DOWN": "#d1343b", "UNKNOWN": "#a3b1bf", "N/A": "#a3b1bf"}
)

# Data-contract column status (System Health, lib/clickhouse/contract.py)
CONTRACT_COLORS: Mapping[str, str] = MappingProxyType(
    {"wrong type": "#d1343b", "missing": "#d1343b", "normalised": "#e0a526", "extra": "#a3b1bf", "present": "#2e9d5b"}
)

# Streamlit badge colour names for a status (st.badge, :color-badge[...])
STATUS_BADGES: Mapping[str, str] = MappingProxyType(
    {"OK": "green", "LATE": "orange", "DOWN": "red", "UNKNOWN": "gray", "N/A": "gray"}
)

SERIES_COLORS: Mapping[str, str] = MappingProxyType(
    {
        "equity": "#1f5fa8",
        "gross": "#1f5fa8",
        "net": "#40464d",  # never the colour of long (they share the exposure chart)
        "long": "#2e9d5b",
        "short": "#d1343b",
        "realized": "#1f5fa8",
        "unrealized": "#7fa7d9",
        "funding": "#8e5cc4",
        "fees": "#d1343b",
        "residual": "#a3b1bf",
        "drawdown": "#d1343b",
        "actual": "#1f5fa8",
        "target_t2": "#e8702a",
        "target_t1": "#a3b1bf",
        "te": "#1f5fa8",
        "ex_post_te": "#e8702a",
        "deposit": "#2e9d5b",
        "withdraw": "#d1343b",
        # Overview / Trades (additive)
        "total": "#40464d",
        "price": "#7d8793",
        "position": "#1f5fa8",
        "buy": "#2e9d5b",
        "sell": "#d1343b",
        "turnover": "#7fa7d9",
        "off_window": "#e8702a",
        "slippage": "#8e5cc4",
    }
)

# The rebalance desk (lib/rebalance): a symbol's state in today's rebalance, and a pre-trade check's result
REBALANCE_STATE_COLORS: Mapping[str, str] = MappingProxyType(
    {
        "orders rejected or canceled": "#d1343b",
        "not started": "#e8702a",
        "partial": "#e0a526",
        "blocked by minimum": "#8e5cc4",
        "no price": "#40464d",
        "done": "#2e9d5b",
    }
)
CHECK_ICONS: Mapping[str, str] = MappingProxyType(
    {"pass": ":material/check_circle:", "fail": ":material/cancel:", "not evaluated": ":material/help:"}
)
CHECK_MARKS: Mapping[str, str] = MappingProxyType({"pass": "✅", "fail": "❌", "not evaluated": "—"})  # text only

# Effective execution lag (Tracking Error page): the scheduled T+2 in green, slips warmer, unknown grey.
LAG_COLORS: Mapping[int, str] = MappingProxyType({0: "#8e5cc4", 1: "#e8702a", 2: "#2e9d5b", 3: "#d1343b"})
LAG_UNKNOWN_COLOR = "#b0b7c0"
LAG_NO_CLEAR_COLOR = "#7d8793"  # a best lag that is not clearly better than the schedule: no slip is claimed


def _shown(x: float | None) -> TypeGuard[float]:
    """A number to show: not None, NaN or ±inf (those are shown as MISSING)."""
    return not (x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))))


def usd(x: float | None, decimals: int = 0, signed: bool = False) -> str:
    """Dollars: '$1,234', '−$1,234' (sign before the $), '+$1,234' when signed; '$1.23M' from a million."""
    if not _shown(x):
        return MISSING
    sign = MINUS if x < 0 else ("+" if signed and x > 0 else "")
    a = abs(x)
    if a >= 1e9:
        text = f"${a / 1e9:,.2f}B"
    elif a >= 1e6:
        text = f"${a / 1e6:,.2f}M"
    else:
        text = f"${a:,.{decimals}f}"
    if sign == MINUS and text.strip("$0.,MB") == "":
        sign = ""  # never '−$0'
    return f"{sign}{text}"


def cost(paid: float | None) -> float | None:
    """A cost as it acts on PnL, the one sign every surface shows: fees paid 3,788 -> −3,788 (a net rebate is
    positive). SQL sums fees as paid (> 0); every page, report and alert shows them through this."""
    if not _shown(paid):
        return None
    return -paid if paid else 0.0


def pp(x: float | None, decimals: int = 2, signed: bool = True, missing: str = MISSING) -> str:
    """A change of a percentage, in percentage points: 0.0038 -> '+0.38 pp' (not '+0.38%')."""
    text = pct(x, decimals, signed=signed, missing=missing)
    return text if text == missing else text[:-1] + " pp"


def pct(x: float | None, decimals: int = 2, signed: bool = False, missing: str = MISSING) -> str:
    """A fraction as percent: 0.0123 -> '1.23%'; signed: '+1.23%' / '−1.23%', never '−0.00%'."""
    if not _shown(x):
        return missing
    v = round(x * 100.0, decimals)
    if not signed:
        return f"{v:.{decimals}f}%"
    if v == 0:
        return f"+{0:.{decimals}f}%"
    return f"{'+' if v > 0 else MINUS}{abs(v):.{decimals}f}%"


def plural(n: int, one: str, many: str | None = None) -> str:
    """A count with its noun: '1 order', '3 orders', '1,728 runs' (never '1 order(s)'); `many` for an irregular
    plural."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def agree(n: int, one: str, many: str) -> str:
    """The word that agrees with a count, beside `plural`, so a sentence reads right for one: agree(n, 'is', 'are'),
    agree(n, 'it', 'them')."""
    return one if n == 1 else many


def leverage(x: float | None, signed: bool = False) -> str:
    """Leverage (notional / equity): '2.98x'; signed, a change: '+0.12x', '−0.05x', never '−0.00x'."""
    if not _shown(x):
        return MISSING
    v = round(float(x), 2)
    if not signed:
        return f"{v:.2f}x"
    if v == 0:
        return "+0.00x"
    return f"{'+' if v > 0 else MINUS}{abs(v):.2f}x"


def weight(x: float | None, missing: str = MISSING) -> str:
    """Signed portfolio weight, as the playbook quotes them: '+1.68%', '−1.33%'."""
    return pct(x, 2, signed=True, missing=missing)


def bps(x: float | None, decimals: int = 1, signed: bool = True) -> str:
    """Basis points with the typographic minus, as every other number: a change or a cost signed, '+3.2 bp',
    '−23.4 bp' (never '−0.0 bp'); a rate unsigned, '4.08 bp'."""
    if not _shown(x):
        return MISSING
    v = round(float(x), decimals)
    if v == 0:
        return f"{'+' if signed else ''}{0:.{decimals}f} bp"
    return f"{'+' if v > 0 and signed else MINUS if v < 0 else ''}{abs(v):,.{decimals}f} bp"


def number(x: float | None, decimals: int = 4) -> str:
    if not _shown(x):
        return MISSING
    return f"{x:,.{decimals}f}"


# Prices: decimals by magnitude. From $1,000 up two decimals (3,765.79, never 3765.790994); below, six
# significant digits (1.23457, 0.0123457), so a small coin keeps what distinguishes its prices.
PRICE_CENTS_FROM = 1000.0
PRICE_SIGNIFICANT = 6
# A number in a table cell (Streamlit's grid, sprintf-js): `,` adds thousands separators; `g` trims float
# noise and trailing zeros. Units keep every digit a fill can carry (-20,876,668, -15,567.9); prices are
# rounded by magnitude first (ui.tables.rounded_prices), then shown with this.
GRID_UNITS = "%,.12g"
GRID_PRICE = "%,.10g"
GRID_COUNT = "%,d"
# Money in a table cell: the grid's "dollar" format, so a money column stays numeric and sorts by value.
# The grid cannot write the typographic minus: its printf formats put the sign where sprintf does ("$%,.0f"
# gives $-1,234) and its "dollar" format is the browser's Intl currency format, -$1,234 with an ASCII hyphen
# in an English browser. A text column would read −$1,234 like the text but sort as text ("−$5" after "$200",
# "$1,000" before "$200"), and a hidden numeric column cannot sort the shown one. A trader sorts a fills or
# PnL table by value, so sorting wins: tables read -$1,234 (sign before the $, as the text), the text and the
# charts −$1,234. ("accounting" would print (1,234) without the $: a second convention on the same screen.)
GRID_MONEY = "dollar"
# Money on a Plotly axis: d3 puts the sign before the currency, so ticks read −$10,000 as the text does
# (a tickprefix "$" would give $−10,000). The SI form ($10k) for axes that span millions.
MONEY_AXIS: Mapping[str, str] = MappingProxyType({"tickformat": "$,.0f"})
MONEY_AXIS_SI: Mapping[str, str] = MappingProxyType({"tickformat": "$~s"})


def side(code: str | None) -> str:
    """'Buy' / 'Sell' for the exchange's B (bid) / A (ask), lib.config.SIDE_LABELS (any other value as it is;
    None as MISSING)."""
    if code is None:
        return MISSING
    return config.SIDE_LABELS.get(code, code)


def price_decimals(x: float) -> int:
    """How many decimals a price shows (PRICE_CENTS_FROM, PRICE_SIGNIFICANT)."""
    a = abs(x)
    if a >= PRICE_CENTS_FROM:
        return 2
    if a == 0:
        return 2
    return min(12, max(0, PRICE_SIGNIFICANT - 1 - math.floor(math.log10(a))))


def price(x: float | None) -> str:
    """A price with thousands separators and decimals by magnitude: 3,765.79, 70,468.00, 1.23457."""
    if not _shown(x):
        return MISSING
    text = f"{abs(x):,.{price_decimals(x)}f}"
    return f"{MINUS}{text}" if x < 0 else text


def units(x: float | None, signed: bool = False) -> str:
    """Position or fill units with thousands separators and every digit a fill carries (12 significant,
    which hides float noise): −15,567.9, 20,876,668, 0.0042; signed: +1,250."""
    if not _shown(x):
        return MISSING
    text = f"{abs(x):,.12g}"
    if x < 0 and text.strip("0.,") != "":
        return f"{MINUS}{text}"
    return f"+{text}" if signed and x > 0 else text


def age(delta: timedelta | float | None) -> str:
    """Human age: '45 s', '12 min', '3.2 h', '5.0 d'."""
    if delta is None:
        return MISSING
    s = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    if not _shown(s):
        return MISSING
    if s < 0:
        return "in the future"
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 48 * 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def ago(delta: timedelta | float | None) -> str:
    """'12 min ago'; a time a moment ahead of this clock (the server's runs a little fast) is 'just now', one
    further ahead 'in the future' — never 'in the future ago'."""
    if delta is None:
        return MISSING
    s = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    if not _shown(s):
        return MISSING
    if s < 0:
        return "just now" if s > -90 else "in the future"
    return f"{age(s)} ago"


def duration(s: float | None) -> str:
    """A short duration as System Health and the alerts print it: '4.12 s' under ten seconds, then '18 s', '4 min'."""
    if not _shown(s):
        return MISSING
    if abs(s) < 10:
        return f"{s:.2f} s"
    return age(s) if s >= 0 else f"{s:.0f} s"


def hours_span(hours: int) -> str:
    """A window of whole hours as the desk says it: '24 h' up to a day and a half, then '2 d', '7 d'."""
    return f"{hours // 24} d" if hours >= 48 else f"{hours} h"


def countdown(delta: timedelta | float | None) -> str:
    """A wait in whole units: '2 h 17 min', '45 min', '30 s' (a clock a trader reads, not '2.3 h')."""
    if delta is None:
        return MISSING
    s = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    if not _shown(s) or s < 0:
        return MISSING
    if s < 60:
        return f"{s:.0f} s"
    minutes = int(s // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def utc(ts: datetime | None, seconds: bool = False) -> str:
    """Timestamp labelled UTC; naive datetimes are taken to be UTC already."""
    if ts is None:
        return MISSING
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def drawdown(dd: float | None, peak_ts: datetime | None, decimals: int = 2) -> str:
    """A drawdown with the peak it is measured from: '−12.21% from the 2026-09-11 peak' (at a new high:
    '+0.00% (at its peak, 2026-12-05)')."""
    text = pct(dd, decimals, signed=True)
    if not _shown(dd) or peak_ts is None:
        return text
    day = peak_ts.astimezone(UTC).date() if peak_ts.tzinfo is not None else peak_ts.date()
    if round(dd * 100, decimals) == 0:
        return f"{text} (at its peak, {day.isoformat()})"
    return f"{text} from the {day.isoformat()} peak"


def window_text(start: date | datetime, end: date | datetime) -> str:
    """A range as a trader reads it: '2025-12-01 – 2025-12-07 (UTC days)', or for an intraday window (the 24 h
    preset) 'last 24 h, 2026-12-05 00:06 – 2026-12-06 00:06 UTC'."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        hours = (end - start).total_seconds() / 3600
        lead = f"last {hours:g} h, " if hours == round(hours) else ""
        return f"{lead}{utc(start)[:-4]} – {utc(end)}"
    return f"{start} – {end} (UTC days)"


def age_since(ts: datetime | None, now: datetime | None = None) -> str:
    """'12 min ago' from `ts` to `now` (this machine's clock by default), through `ago`."""
    if ts is None:
        return MISSING
    now = now or datetime.now(UTC)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ago(now - ts)


# --- snapshot hours (lib.config.SNAPSHOT_HOURS) ---------------------------------
SNAPSHOT_HOUR_HELP = (
    "Positions as of the END of the hour: after every fill before it, priced at its close. Hour 0 "
    "therefore includes the 00:00–00:02 rebalance fills (the playbook's hourly timeline); pick "
    "“before the rebalance” for the book as of 00:00:00, going into it."
)


def snapshot_file_tag(hour: int) -> str:
    """'0200Z' for a file name; 'pre-rebalance-0000Z' for the 00:00:00 choice."""
    return "pre-rebalance-0000Z" if hour < 0 else f"{hour:02d}00Z"


def snapshot_hour_option(hour: int) -> str:
    """What a snapshot-hour choice means: the END of the hour (hour 0 includes the rebalance fills)."""
    if hour < 0:
        return "00:00:00 — before the rebalance"
    nxt = f"{hour + 1:02d}:00" if hour < 23 else "00:00 next day"
    extra = ", incl. the 00:00–00:02 rebalance" if hour == 0 else ""
    return f"{hour:02d}:00 hour — as of {nxt}{extra}"


def snapshot_hour_text(hour: int) -> str:
    """'02:00 hour (positions as of 03:00 UTC)': a snapshot hour is read at its end, never '24:00'."""
    if hour < 0:
        return "00:00:00 UTC (before the rebalance)"
    if hour < 23:
        return f"{hour:02d}:00 hour (positions as of {hour + 1:02d}:00 UTC)"
    return "23:00 hour (positions as of 00:00 UTC the next day)"


def snapshot_when(day: Any, hour: int) -> str:
    """'2025-12-07 02:00 hour (positions as of 03:00 UTC)' — a snapshot named by the end of its hour."""
    return f"{day} {snapshot_hour_text(hour)}"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")
# Characters that change how the text AROUND them is drawn: the bidirectional embeddings, overrides and
# isolates (U+202A–E, U+2066–9: a U+202E reverses the rest of the line), the implicit marks (U+200E/F,
# U+061C) and C0/C1 controls. Each is shown as U+FFFD, so a name that carries one is visibly odd.
_INVISIBLE_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile("[\r\n\u2028\u2029\x85]+")
SHOWN_FOR_CONTROL = "\ufffd"


def plain_text(value: Any) -> str:
    """A value from the data or a URL as one line of inert text: line breaks become spaces and
    bidirectional/control characters become U+FFFD (what md_text and plot_text both start from)."""
    text = _LINE_BREAK.sub(" ", str(value))
    return _INVISIBLE_CONTROL.sub(SHOWN_FOR_CONTROL, text)


# Some Markdown is found in the TEXT after the escapes are resolved, so a backslash cannot stop it:
# GitHub-flavoured autolinks (`http://…`, `www.…`, `name@host.tld`) and Streamlit's `:material/icon:` and
# `:emoji:` shortcodes. An invisible WORD JOINER (U+2060) after each `:` and `@`, and between `www` and
# its `.`, breaks every one of them.
_FOUND_IN_TEXT = re.compile(r"(?i)[:@]|\bwww(?=\.)")
WORD_JOINER = "\u2060"


def md_text(value: Any) -> str:
    """A value from the data or a URL, safe inside Markdown: st.markdown, captions, st.warning/info/error/
    success, metric labels and help, badges, expander and tab labels.

    Every Markdown, Streamlit-directive (`:red[...]`, `:material/...:`), LaTeX (`$`), HTML (`<`, `&`)
    character is backslash-escaped, so a coin named `[x](https://evil)` shows as that text, never as a
    link, and `![](…)` loads no image; a bare `https://…`, `www.…` or `a@b.c` is not autolinked and
    `:material/x:` draws no icon (an invisible word joiner breaks each). Line breaks become spaces and bidirectional controls (a U+202E
    reverses the rest of the line) become U+FFFD (`plain_text`).
    """
    text = _FOUND_IN_TEXT.sub(lambda m: m.group(0) + WORD_JOINER, plain_text(value))
    return _MD_SPECIAL.sub(r"\\\1", text)


def plot_text(value: Any) -> str:
    """A value from the data inside a Plotly title, label, legend or hover text: its HTML-like tags
    (<a href>, <b>, <br>) and entities shown as text, bidirectional controls neutralised (`plain_text`)."""
    return plain_text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def json_value(x: Any) -> Any:
    """A report value as JSON: UTC times as ISO with Z, dates as ISO, non-finite floats as null (missing)."""
    if isinstance(x, datetime):
        return x.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(x, date):
        return x.isoformat()
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): json_value(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_value(v) for v in x]
    return x


def account_label(name: str | None) -> str:
    """A Hyperliquid account as a trader reads it: `0x7a3f…d0f3`, a sub-account `0x7a3f…d0f3 · sub1`;
    None is the desk's accounts summed."""
    if name is None:
        return "All accounts (summed)"
    address, _, sub = name.partition(":")
    short = f"{address[:6]}…{address[-4:]}" if address.startswith("0x") and len(address) > 12 else address
    return f"{short} · {sub}" if sub else short


# The model book against the live book (Tracking Error, Overview): the two curves, the band, the waterfall.
MODEL_BOOK_COLORS: Mapping[str, str] = MappingProxyType(
    {
        "live": "#1f5fa8",
        "model": "#e8702a",
        "active": "#40464d",
        "band": "rgba(125, 135, 147, 0.18)",
        "band_line": "#a3b1bf",
        "up": "#2e9d5b",
        "down": "#d1343b",
        "total": "#7d8793",
    }
)
