"""The Overview page's views: the PnL maths (lib/book/pnl.py) applied once per distinct input (see ui/cache.py).

Each view turns loaded frames into exactly what one section draws, so the
sections only draw and a rerun with the same query results recomputes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from lib import format as fmt
from lib.book import pnl
from lib.health import rules as health_rules
from lib.tracking import snapshot as te_snapshot
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
    te: te_snapshot.TeNow  # the latest complete snapshot's TE, its day before, counts and problems


def equity_warning(now: pnl.EquityNow | None) -> str | None:
    """What the page says when the newest account snapshot's equity is at or below zero, or missing (None when
    it is usable): since when, and where the returns end instead (a non-positive equity is not a return's mark)."""
    if now is None or now.usable or now.ts is None:
        return None
    since = fmt.utc(now.since or now.ts)
    head = (
        f"**The newest account snapshot ({fmt.utc(now.ts)}) reports no equity**, missing since {since}."
        if now.equity is None
        else f"**Account equity {fmt.usd(now.equity)} at the newest account snapshot ({fmt.utc(now.ts)})**: "
        f"at or below zero since {since}."
    )
    if now.last_usable_ts is None:
        return head + " No snapshot has a positive equity: there is no PnL or return to show."
    return (
        head + f" Returns and the PnL windows end at the last positive snapshot ({fmt.usd(now.last_usable_equity)} "
        f"at {fmt.utc(now.last_usable_ts)}): a zero, negative or missing equity is not a mark a return can use."
    )


@cache.view()
def exposure_now(expo: pl.DataFrame | None, timeline: pl.DataFrame | None, snapshot_day: date | None) -> ExposureNow:
    row = expo.row(0, named=True) if expo is not None and expo.height else {}
    return ExposureNow(
        row,
        pnl.exposure_pct(row.get("gross_usd"), row.get("equity")),
        pnl.exposure_pct(row.get("net_usd"), row.get("equity")),
        te_snapshot.te_now(timeline, snapshot_day),
    )


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
    """The equity buckets, the underwater points and the worst fall, all from SQL's per-snapshot chain."""

    periods: pl.DataFrame  # equity_series rows (one per chart bucket)
    underwater: pl.DataFrame  # ts, drawdown: each bucket's deepest point
    worst: dict  # pnl.drawdown_summary
    n_snapshots: int  # account snapshots the drawdown was measured at
    n_bad_snapshots: int


@cache.view()
def drawdown(series: pl.DataFrame) -> Drawdown:
    return Drawdown(
        series,
        pnl.underwater_points(series),
        pnl.drawdown_summary(series),
        int(series["n_snapshots"].sum()),
        int(series["n_bad_snapshots"].sum()),
    )


@dataclass(frozen=True)
class DailyStatistics:
    """The finished UTC days' returns and their statistics."""

    days: pl.DataFrame
    stats: dict
    n_unfinished: int  # days in the range left out because the data has not finished them


@cache.view()
def daily_statistics(daily: pl.DataFrame, start: date) -> DailyStatistics:
    days = pnl.complete_days(daily, start)
    n_unfinished = daily.filter((pl.col("complete") == 0) & (pl.col("bucket").dt.date() >= start)).height
    return DailyStatistics(
        days,
        pnl.daily_stats([b.date() for b in days["bucket"].to_list()], days["ret"].to_list(), days["pnl"].to_list()),
        n_unfinished,
    )
