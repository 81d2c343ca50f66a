"""Execution-quality conventions for the Trades page (pure, no streamlit).

The SQL in queries/book/trades.py applies the same rules in ClickHouse; this module is
the reference they are tested against, plus the allow-lists that keep user choices
(sort column, filters) from ever reaching SQL as text.

Conventions
-----------
* Slippage is measured against the Binance 1h candle OPEN of the fill's hour
  (open_time = start of the fill's UTC hour), for the coin's mapped symbol times the
  map's multiplier, in basis points and signed so that POSITIVE IS WORSE for the desk:
  a buy above the open or a sell below it costs money.
  ``slippage_bps = side_sign * (px / ref_px - 1) * 10_000`` with side_sign +1 for a
  buy ('B') and -1 for a sell ('A'). No usable reference price -> None, never 0.
* Aggregates are notional-weighted over the fills that have a price; fills without
  one are counted separately.
* The rebalance window is [00:00, 00:00 + REBALANCE_WINDOW_MINUTES) UTC; a fill at or
  after 00:05:00.000 UTC is off-window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from lib.inputs import finite_float as _num

SIDE_SIGN: Mapping[str, int] = MappingProxyType({"B": 1, "A": -1})

DEFAULT_SORT = "time"


def slippage_bps(side: str, px: Any, ref_px: Any) -> float | None:
    """Signed slippage of one fill vs a reference price (positive = worse for the desk)."""
    sign = SIDE_SIGN.get(side)
    p, r = _num(px), _num(ref_px)
    if sign is None or p is None or r is None or r <= 0 or p <= 0:
        return None
    return sign * (p / r - 1.0) * 10_000.0


def duration_text(seconds: Any) -> str:
    """'42 s', '3 min 05 s', '2 h 14 min' (the dash for unknown)."""
    s = _num(seconds)
    if s is None:
        return "—"
    s = max(round(s), 0)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, sec = divmod(int(round(s)), 60)
        return f"{m} min {sec:02d} s"
    h, rem = divmod(int(round(s)), 3600)
    return f"{h} h {rem // 60:02d} min"


def page_count(total: Any, page_size: int) -> int:
    """Number of pages for `total` rows (at least 1, so an empty result still has a page)."""
    n = int(_num(total) or 0)
    return max(1, -(-n // page_size))


def selection_key(*parts: object) -> str:
    """A short stable key for a widget that must reset when a selection changes (e.g. the page number)."""
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:10]
