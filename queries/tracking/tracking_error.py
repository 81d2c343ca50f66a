"""The hourly timeline at the snapshot hour, for Positions and Tracking Error.

One SQL statement (timeline.sql) per request: ClickHouse de-duplicates,
carries positions forward, joins prices, equity and T+2/T+1 targets; Python
receives one row per (day, symbol) and classifies them with lib.tracking.classification.

The execution-lag sweep (lag_sweep.sql) embeds the same timeline statement as
its `snapshot` (one definition of positions, prices and equity) and returns
one row per (day, lag): Python receives 4 rows a day.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from lib import config
from lib.book import symbols
from queries.engine.run import run, sql_file
from queries.engine.scope import cached

TIMELINE_SQL = sql_file("tracking/timeline.sql")
# constant text only: the timeline statement becomes the sweep's `snapshot` CTE (values stay bound parameters)
LAG_SWEEP_SQL = sql_file("tracking/lag_sweep.sql").replace("__TIMELINE_SQL__", TIMELINE_SQL)


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def timeline(start: date, end: date, hour: int = config.DEFAULT_SNAPSHOT_HOUR) -> pl.DataFrame:
    """Per (holdings day, symbol) at the END of snapshot hour `hour` UTC (-1: 00:00:00, before the
    rebalance): units, price, equity, weights, 24h return."""
    return run(TIMELINE_SQL, start=start, end=end, hour_end=snapshot_hour_end(hour), **symbols.sql_params())


def snapshot_hour_end(hour: int) -> int:
    """Hours after 00:00 UTC at which snapshot hour `hour` is read (config.SNAPSHOT_HOURS)."""
    if int(hour) not in config.SNAPSHOT_HOURS:
        raise ValueError(f"hour must be one of {config.SNAPSHOT_HOURS}, not {hour!r}")
    return int(hour) + 1


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def lag_sweep(start: date, end: date, hour: int = config.DEFAULT_SNAPSHOT_HOUR) -> pl.DataFrame:
    """Per (holdings day, lag 0..LAG_SWEEP_MAX): TE of the snapshot vs the targets dated D - lag, the day's best lag."""
    return run(
        LAG_SWEEP_SQL,
        start=start,
        end=end,
        hour_end=snapshot_hour_end(hour),
        max_lag=config.LAG_SWEEP_MAX,
        scheduled_lag=config.T_PLUS_TARGET,
        **symbols.sql_params(),
    )


@cached(ttl=config.TTL_LIVE, max_entries=2, show_spinner=False)
def newest_target_date() -> pl.DataFrame:
    """One row: `newest`, the latest date of the model's targets (NULL when the table is empty).

    The alert rules judge the model feed by it (lib.alerting.rules.targets_missing).
    """
    return run("SELECT maxOrNull(date) AS newest FROM {targets_db:Identifier}.{targets_tbl:Identifier}")
