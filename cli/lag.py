"""`python -m cli lag`: the effective execution lag of each holdings day.

    python -m cli lag --from 2025-12-05 --to 2025-12-07 [--hour 2] [--json]

For each holdings date D of the range, the weight-space TE of the snapshot at
--hour UTC against the model targets dated D-0 .. D-3
(`queries.tracking.tracking_error.lag_sweep`, computed by ClickHouse); the lag with the
smallest TE is the day's effective lag (the schedule is T+2). With --json,
exactly one JSON object (`lib.tracking.lag.to_json`):

    {"days": [{"date": "2025-12-05", "te_by_lag": {"0": x, "1": x, "2": x, "3": x}, "best_lag": 2,
               "effective_lag": 2, "kind": "on time"}]}

TE is a fraction of equity. A lag whose targets are missing is null (never 0);
best_lag (the smallest TE) is null when no lag could be compared. `effective_lag` and `kind` are the day's one
classification (lib.tracking.lag.effective, as the Tracking Error page's strip and verdict): a lag other than
the schedule counts only when clearly better (LAG_CLEAR_RATIO), else the kind is "no clear lag" and
effective_lag null. The Tracking Error page's day verdict also names an on-time day after a dominant error
category (a few missing names, sizing errors ...).

Exit codes: 0 printed; 2 bad arguments; 3 ClickHouse failure (the reason, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from cli.common import EXIT_OK, EXIT_USAGE, clickhouse_failure, input_type, quiet_logs
from lib import config
from lib.inputs import InputError, parse_date, parse_hour, parse_range

HELP = "effective execution lag: each day's TE against the targets dated D-0 .. D-3, and the best lag"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--from",
        dest="start",
        required=True,
        type=input_type(lambda r: parse_date(r, "--from")),
        help="first holdings date, YYYY-MM-DD (UTC)",
    )
    p.add_argument(
        "--to",
        dest="end",
        required=True,
        type=input_type(lambda r: parse_date(r, "--to")),
        help="last holdings date, YYYY-MM-DD (UTC)",
    )
    p.add_argument(
        "--hour",
        default=config.DEFAULT_SNAPSHOT_HOUR,
        type=input_type(parse_hour),
        help=f"snapshot hour 0-23 UTC (default {config.DEFAULT_SNAPSHOT_HOUR})",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def run(args: argparse.Namespace) -> int:
    quiet_logs()
    return run_lag(args.start, args.end, args.hour, args.json)


def table_text(days, hour: int) -> str:
    """The sweep as a plain-text table, one line per day."""
    from lib import format as fmt
    from lib.tracking import lag

    head = f"{'date':<12}" + "".join(f"{lag.lag_label(k):>9}" for k in lag.LAGS) + "   best  lag   verdict"
    lines = [
        f"Effective execution lag · snapshot {fmt.snapshot_hour_text(hour)} · TE vs the targets dated "
        f"D−lag (schedule {lag.lag_label(lag.SCHEDULED)}; a slip only when its TE is below "
        f"{config.LAG_CLEAR_RATIO:.0%} of the schedule's)",
        "",
        head,
    ]
    for row in days.iter_rows(named=True):
        by_lag = lag.te_by_lag(row)
        cells = "".join(f"{fmt.pct(by_lag[k], 2):>9}" for k in lag.LAGS)
        lines.append(
            f"{row['date'].isoformat():<12}{cells}   {lag.lag_label(row['best_lag']):<5} "
            f"{lag.lag_label(row['effective_lag']):<5} {row['kind']}"
        )
    return "\n".join(lines)


def run_lag(start: date, end: date, hour: int, as_json: bool, out=None, err=None) -> int:
    from answers.clock import desk_clock
    from lib import clock
    from lib.clickhouse.errors import QueryFailed
    from lib.config import ConfigError
    from lib.tracking import lag
    from lib.tracking.daily import calendar
    from queries.tracking.tracking_error import lag_sweep

    out = out or sys.stdout
    err = err or sys.stderr
    try:
        start, end = parse_range(start, end)
    except InputError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    try:
        as_of = desk_clock().as_of
        sweep = lag_sweep(start, end, hour)
    except (QueryFailed, ConfigError) as exc:
        return clickhouse_failure(exc, err)
    # a day whose snapshot has not closed (lib/clock.py) is never compared: "not closed yet"
    last_complete = clock.latest_complete_day(as_of, hour) if as_of is not None else None
    days = lag.lag_days(sweep, calendar(start, end), last_complete)
    if as_json:
        print(json.dumps(lag.to_json(days), allow_nan=False), file=out)
    else:
        print(table_text(days, hour), file=out)
    return EXIT_OK
