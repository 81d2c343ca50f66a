"""Account risk summed over accounts, and the positions nearest to liquidation.

The ratios are SQL's (queries/book/risk.py); summing several accounts' snapshots happens here because
it is a handful of rows: a sum with one account's value missing is missing, never a partial sum.
"""

from __future__ import annotations

import math

import polars as pl

SUMMED = ("equity", "margin_used", "total_ntl", "withdrawable")


def _total(values: list) -> float | None:
    if not values or any(v is None or (isinstance(v, float) and not math.isfinite(v)) for v in values):
        return None
    return float(sum(values))


def account_totals(latest: pl.DataFrame | None) -> dict:
    """Equity, margin, notional, withdrawable summed over the accounts' newest snapshots, and the ratios.

    margin_pct = margin_used / equity and leverage = total_ntl / equity (None when equity <= 0 or a
    part is missing); prev_margin_pct / prev_leverage: the single account's value 24 h earlier (None
    for several accounts, whose snapshots 24 h back need not line up).
    """
    if latest is None or latest.height == 0:
        return {}
    out: dict = {c: _total(latest[c].to_list()) for c in SUMMED}
    equity = out["equity"]
    ok = equity is not None and equity > 0
    out["margin_pct"] = out["margin_used"] / equity if ok and out["margin_used"] is not None else None
    out["leverage"] = out["total_ntl"] / equity if ok and out["total_ntl"] is not None else None
    one = latest.height == 1
    out["prev_margin_pct"] = latest["prev_margin_pct"][0] if one else None
    out["prev_leverage"] = latest["prev_leverage"][0] if one else None
    out["ts"] = latest["ts"].max()
    out["n_accounts"] = latest.height
    return out


def closest_to_liquidation(positions: pl.DataFrame, n: int) -> pl.DataFrame:
    """The n positions with the smallest distance to their liquidation price (those reporting one)."""
    return positions.filter(pl.col("liq_distance_pct").is_not_null()).sort("liq_distance_pct").head(n)
