"""The Trades page's views: derived once per distinct input and shared (see ui/cache.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from lib import config, csv_export
from lib.book import execution
from queries.book import trades
from ui import cache, plot


def first_row(df: pl.DataFrame | None) -> dict[str, Any]:
    """A one-row summary as a dict (empty when it did not load)."""
    return df.row(0, named=True) if df is not None and df.height else {}


def _facet_values(facets: pl.DataFrame | None) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {"coin": [], "dir": []}
    if facets is not None:
        for facet, value in zip(facets["facet"].to_list(), facets["value"].to_list()):
            if facet in out:
                out[facet].append(value)
    return {name: tuple(values) for name, values in out.items()}


facet_values = cache.view()(_facet_values)
"""{"coin": (...), "dir": (...)}: the filter choices of the range, most fills first."""


def _csv_text(export: pl.DataFrame) -> str:
    """The CSV download of an export (lib.csv_export's format, Side as Buy/Sell, capped at FILLS_EXPORT_MAX_ROWS)."""
    rows = export.head(config.FILLS_EXPORT_MAX_ROWS)
    if "side" in rows.columns:
        rows = rows.with_columns(pl.col("side").replace(dict(config.SIDE_LABELS)))
    return csv_export.csv_text(rows)


# kept for the last two exports only (up to 100k rows each), so a second click does not write it again
csv_text = cache.view(entries=2)(_csv_text)


def fills_csv(start: Any, end: Any, chosen: tuple, sort: str, descending: bool) -> Callable[[], str]:
    """What the one-click CSV button calls when pressed: the matching fills (the filters `chosen` =
    coins, sides, dirs, liquidity), in the chosen order, capped, in lib.csv_export's format."""

    def make() -> str:
        return csv_text(trades.fills_export(start, end, *chosen, sort=sort, descending=descending))

    return make


@dataclass(frozen=True)
class PerDay:
    """One row per UTC day with its rebalance timings in words, and the days with off-window fills."""

    daily: pl.DataFrame
    table: pl.DataFrame
    late_days: list[date]
    n_off_window: int


@cache.view()
def per_day(daily: pl.DataFrame) -> PerDay:
    late = daily.filter(pl.col("n_off_window") > 0)
    table = plot.naive_utc(daily, "first_fill", "last_fill", "first_in_window", "last_in_window").with_columns(
        pl.Series(
            "window_text", [execution.duration_text(v) for v in daily["window_span_s"].to_list()], dtype=pl.String
        ),
        pl.Series("span_text", [execution.duration_text(v) for v in daily["span_s"].to_list()], dtype=pl.String),
    )
    return PerDay(daily, table, late["day"].to_list(), int(late["n_off_window"].sum()))
