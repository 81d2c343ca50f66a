"""Hyperliquid coin <-> Binance symbol mapping, in one place.

Hyperliquid lists some low-priced coins as 1000x contracts (kPEPE is 1000 PEPE).
Binance's USDT-M futures list the same 1000x contracts (1000PEPEUSDT), so one
unit of kPEPE is priced by one unit of 1000PEPEUSDT: the multiplier is 1. A coin
priced from a plain Binance symbol of a different size carries its multiplier.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple


class PriceSource(NamedTuple):
    symbol: str
    multiplier: float  # Hyperliquid units per Binance price unit


# Coins whose Binance symbol is not simply coin + "USDT".
OVERRIDES: Mapping[str, PriceSource] = MappingProxyType(
    {
        "kPEPE": PriceSource("1000PEPEUSDT", 1.0),
        "kBONK": PriceSource("1000BONKUSDT", 1.0),
        "kSHIB": PriceSource("1000SHIBUSDT", 1.0),
        "kFLOKI": PriceSource("1000FLOKIUSDT", 1.0),
        "kLUNC": PriceSource("1000LUNCUSDT", 1.0),
        "kSATS": PriceSource("1000SATSUSDT", 1.0),
        "kNEIRO": PriceSource("1000NEIROUSDT", 1.0),
        "kDOGS": PriceSource("1000DOGSUSDT", 1.0),
    }
)

# Coins known to have no Binance price at all; they must show as unpriced.
UNPRICED: frozenset[str] = frozenset()


def price_source(coin: str) -> PriceSource | None:
    """Where a coin's hourly price comes from; None when it has none."""
    if coin in UNPRICED:
        return None
    return OVERRIDES.get(coin, PriceSource(f"{coin}USDT", 1.0))


def binance_symbol(coin: str) -> str | None:
    src = price_source(coin)
    return src.symbol if src else None


def sql_params() -> dict[str, list]:
    """The override table as server-side array parameters.

    SQL maps a coin with
    `transform(coin, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat(coin, 'USDT'))`
    and its multiplier with `transform(coin, {map_coins:...}, {map_mult:Array(Float64)}, 1.0)`.
    """
    coins = sorted(OVERRIDES)
    return {
        "map_coins": coins,
        "map_symbols": [OVERRIDES[c].symbol for c in coins],
        "map_mult": [float(OVERRIDES[c].multiplier) for c in coins],
    }
