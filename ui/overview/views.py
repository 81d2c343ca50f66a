"""The Overview page's views: the PnL maths (lib/pnl.py) applied once per distinct input (see ui/cache.py).

Each view turns loaded frames into exactly what one section draws, so the
sections only draw and a rerun with the same query results recomputes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from lib import health as health_rules
from lib import pnl
from ui import cache

health_summary = cache.view()(health_rules.overall_status)
"""The worst monitor status, for the health badge."""


@cache.view()
def headline_windows(head: pl.DataFrame | None) -> dict[str, dict]:
    """Equity and PnL per headline window ("today", "7d", "30d", "all"); empty when nothing loaded."""
    return pnl.headline(head) if head is not None else {}


@dataclass(frozen=True)
class ExposureNow:
    """The newest positions round in numbers, and the latest tracking error."""

    row: dict  # the latest_exposure row (empty when it did not load)
    gross_pct: float | None
    net_pct: float | None
    te: dict  # pnl.te_headline: te, delta, counts, problems


@cache.view()
def exposure_now(expo: pl.DataFrame | None, timeline: pl.DataFrame | None, snapshot_day: date | None) -> ExposureNow:
    row = expo.row(0, named=True) if expo is not None and expo.height else {}
    return ExposureNow(row, pnl.exposure_pct(row.get("gross_usd"), row.get("equity")),
                       pnl.exposure_pct(row.get("net_usd"), row.get("equity")),
                       pnl.te_headline(timeline, snapshot_day))


@dataclass(frozen=True)
class Decomposition:
    """One window's PnL parts, as a table and as the marks they rest on."""

    window: dict  # the pnl_window row: marks, counts
    parts: dict  # pnl.decompose
    table: pl.DataFrame  # label, usd


@cache.view()
def decomposition(window: pl.DataFrame) -> Decomposition:
    row = window.row(0, named=True)
    parts = pnl.decompose(row)
    return Decomposition(row, parts, pnl.decomposition_frame(parts))


@dataclass(frozen=True)
class Drawdown:
    """Period returns on the deposit-adjusted index, the underwater series and its worst fall."""

    periods: pl.DataFrame
    underwater: pl.DataFrame
    worst: dict
    n_bad_snapshots: int


@cache.view()
def drawdown(series: pl.DataFrame) -> Drawdown:
    periods = pnl.period_returns(series)
    underwater = pnl.drawdown_series(periods)
    return Drawdown(periods, underwater, pnl.max_drawdown(underwater), int(periods["n_bad_snapshots"].sum()))


@dataclass(frozen=True)
class DailyStatistics:
    """The UTC days' returns and their statistics."""

    days: pl.DataFrame
    stats: dict


@cache.view()
def daily_statistics(daily: pl.DataFrame) -> DailyStatistics:
    days = pnl.period_returns(daily)
    return DailyStatistics(days, pnl.daily_stats([b.date() for b in days["bucket"].to_list()], days["ret"].to_list(),
                                                 days["pnl"].to_list()))
