"""When the book makes or loses money: PnL by hour of day, weekday, rebalance window and market regime.

One query (pnl_regimes.sql) returns every bucket of every dimension (at most ~60 rows, whatever the
range), each split into price PnL, funding and fees; lib/book/regimes.py orders and labels them.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from lib import config
from lib.book import symbols
from queries.engine.run import run, sql_file
from queries.engine.scope import cached

PNL_REGIMES_SQL = sql_file("book/pnl_regimes.sql")


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def pnl_buckets(
    start: date, end: date, trend_up: float = config.REGIME_TREND_UP, trend_down: float = config.REGIME_TREND_DOWN
) -> pl.DataFrame:
    """PnL of the UTC days [start, end] per (dim, bucket): hour, weekday, window, trend, vol, regime."""
    if not trend_down < trend_up:
        raise ValueError(f"trend_down ({trend_down}) must be below trend_up ({trend_up})")
    return run(
        PNL_REGIMES_SQL,
        start=start,
        end=end,
        lookback_days=config.EQUITY_LOOKBACK_DAYS,
        window_min=config.REBALANCE_WINDOW_MINUTES,
        regime_symbol=symbols.binance_symbol(config.REGIME_COIN),
        trend_up=float(trend_up),
        trend_down=float(trend_down),
        min_returns=config.REGIME_VOL_MIN_RETURNS,
    )
