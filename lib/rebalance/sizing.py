"""Order sizes as the exchange takes them: a whole number of the coin's size step, and at least the minimum
order value.

Hyperliquid sizes an order in coin units with at most `szDecimals` decimals (the step is 10^-szDecimals,
hyperliquid.asset_meta) and refuses an order worth less than `config.HL_MIN_ORDER_USD`. A size is always
rounded toward zero, so a leg never overshoots its target. A coin the metadata does not list has no known
step: its size is rounded toward zero to FALLBACK_SIGNIFICANT_DIGITS significant digits instead (never an
invented step), and the caller says so.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, Decimal

from lib import config

# Float noise below this many significant digits is dropped before rounding toward zero, so a size that is
# 3.00 on paper but 2.9999999999999996 in binary is not cut to 2.99.
NOISE_DIGITS = 12


def _clean(x: float) -> Decimal:
    return Decimal(f"{x:.{NOISE_DIGITS}g}")


def step(sz_decimals: int | None) -> float | None:
    """The coin's size step in units (0.01 for szDecimals 2), None when unknown."""
    return None if sz_decimals is None else 10.0 ** -int(sz_decimals)


def to_step(units: float, sz_decimals: int) -> float:
    """`units` rounded toward zero to a whole number of steps of 10^-sz_decimals."""
    if not math.isfinite(units) or units == 0:
        return 0.0
    return float(_clean(units).quantize(Decimal(1).scaleb(-int(sz_decimals)), rounding=ROUND_DOWN))


def to_significant(units: float, digits: int = config.FALLBACK_SIGNIFICANT_DIGITS) -> float:
    """`units` rounded toward zero to `digits` significant digits (a coin without a known step)."""
    if not math.isfinite(units) or units == 0:
        return 0.0
    d = _clean(units)
    exponent = d.adjusted() - digits + 1
    return float(d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_DOWN))


def round_size(units: float, sz_decimals: int | None) -> float:
    """The order size the exchange can take for a wanted change of `units`: to the step when known, else to
    FALLBACK_SIGNIFICANT_DIGITS significant digits; always toward zero."""
    return to_step(units, sz_decimals) if sz_decimals is not None else to_significant(units)


def rounding_label(sz_decimals: int | None) -> str:
    """How a size was rounded, in the ticket's words: 'step 0.01' or '6 significant digits (no step known)'."""
    if sz_decimals is None:
        return f"{config.FALLBACK_SIGNIFICANT_DIGITS} significant digits (no step known)"
    return f"step {step_text(int(sz_decimals))}"


def step_text(sz_decimals: int) -> str:
    """'1', '0.1', '0.00001': the step as a trader writes it."""
    return "1" if sz_decimals <= 0 else f"{10.0**-sz_decimals:.{sz_decimals}f}"


def below_minimum(notional: float | None, minimum: float = config.HL_MIN_ORDER_USD) -> bool:
    """True when an order of this |notional| (USD) is refused by the exchange's minimum order value."""
    return notional is not None and abs(notional) < minimum
