"""The model book and the shortfall against it (issue 22), computed by ClickHouse.

Two statements share one definition of the model book and of the live marks (model_days.sql, pasted at
the head of each): `model_book` (one row per day, and the model's hourly equity for the chart) and
`shortfall` (the same days, split into the waterfall's bars per day and per symbol). Python receives one
row per day, per hour of the chart or per symbol; the maths on top (waterfall assembly, band) is
lib/model_book.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from lib import config
from lib.book import symbols
from queries.engine.run import run, sql_file
from queries.engine.scope import cached

_MODEL_DAYS = sql_file("tracking/model_days.sql")
MODEL_BOOK_SQL = sql_file("tracking/model_book.sql").replace("__MODEL_DAYS__", _MODEL_DAYS)


def _params(start: date, end: date, history_days: int, fees: bool) -> dict[str, Any]:
    if end < start:
        raise ValueError("the range ends before it starts")
    return {
        "start": start,
        "end": end,
        "history_days": int(history_days),
        "lookback_days": config.EQUITY_LOOKBACK_DAYS,
        "targets_max_age_days": config.MODEL_TARGETS_MAX_AGE_DAYS,
        "mark_max_age_s": config.MODEL_MARK_MAX_AGE_S,
        "price_max_age_h": config.MODEL_PRICE_MAX_AGE_H,
        "fee_on": bool(fees),
        **symbols.sql_params(),
    }


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def model_book(start: date, end: date, fees: bool = False, hourly: bool = False, history_days: int = 0) -> pl.DataFrame:
    """Per holdings day of [start - history_days, end] (kind 'day') the live marks, the model book and the active
    return; with `hourly`, the model's equity at every whole hour of the range (kind 'hour'). See model_book.sql."""
    return run(MODEL_BOOK_SQL, hourly=bool(hourly), **_params(start, end, history_days, fees))


SHORTFALL_SQL = sql_file("tracking/shortfall.sql").replace("__MODEL_DAYS__", _MODEL_DAYS)


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def shortfall(
    start: date,
    end: date,
    fees: bool = False,
    lag_days: tuple[date, ...] = (),
    lag_values: tuple[int, ...] = (),
    history_days: int = 0,
) -> pl.DataFrame:
    """The waterfall's bars per holdings day (kind 'day', with model_book's day columns) and per symbol over
    the range (kind 'symbol'); `lag_days`/`lag_values` are the days the lag sweep calls a timing slip and their
    lag (shortfall.sql)."""
    if len(lag_days) != len(lag_values):
        raise ValueError("lag_days and lag_values must have the same length")
    return run(
        SHORTFALL_SQL,
        lag_days=list(lag_days),
        lag_values=[int(v) for v in lag_values],
        fills_lookback_days=config.MODEL_FILLS_LOOKBACK_DAYS,
        pos_max_age_s=config.POSITIONS_MARK_MAX_AGE_MIN * 60,
        round_ms=int(config.SNAPSHOT_ROUND_S * 1000),
        **_params(start, end, history_days, fees),
    )
