"""`python -m cli report`: the tracking-error day report.

    python -m cli report --date 2025-12-07 [--hour 2] [--w-eps 0.001] [--mag-eps 0.02] [--mag-rule R] [--json]

Reads the configured ClickHouse (CLICKHOUSE_URL, else the embedded demo desk at
data/demo.chdb) through the same query code as the dashboard
(`queries.tracking.tracking_error.timeline`), classifies the day's snapshot with
`lib.tracking.classification` and prints the day story as plain text, or with --json
exactly one JSON object (`lib.tracking.classification.to_report`):

    {"date", "hour", "counts": {CATEGORY: n},
     "symbols": {CATEGORY: [{"sym", "weight_t2", "weight_t1", "actual_weight", "err_t2", "flip_explained"}]},
     "te": {"te", "active_share"},
     "rule": {"target", "target_date", "positions_at", "w_eps", "mag_eps", "mag_rule"}}

`rule` is what the classification used, so a reader of the JSON alone can reproduce it: the targets compared
with (T+2: dated D-2), when the snapshot's positions were read (the END of the hour, ISO UTC), |weight| below
`w_eps` is flat, a miss above `mag_eps` (absolute, or relative to |target|) is a magnitude error.

`symbols` lists every category except MATCHED and MATCHED_ZERO. Weights and TE are
fractions of equity. The story compares the day's TE with the previous
TE_HISTORY_DAYS days (fetched in the same query).

Exit codes: 0 report printed; 2 bad arguments, or no data for the day (no rows, or
no model targets dated D-2); 3 ClickHouse failure (the reason, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta

from cli.common import EXIT_OK, EXIT_USAGE, clickhouse_failure, input_type, quiet_logs
from lib import config
from lib.inputs import parse_date, parse_hour, parse_threshold

HELP = "tracking-error day report: the book against its T+2 model target at a snapshot hour"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--date",
        required=True,
        type=input_type(lambda r: parse_date(r, "--date")),
        help="holdings date, YYYY-MM-DD (UTC)",
    )
    p.add_argument(
        "--hour",
        default=config.DEFAULT_SNAPSHOT_HOUR,
        type=input_type(parse_hour),
        help=f"snapshot hour 0-23 UTC, read at the END of the hour (hour 0 includes the 00:00-00:02 "
        f"rebalance fills); -1 = 00:00:00, before the rebalance (default {config.DEFAULT_SNAPSHOT_HOUR})",
    )
    p.add_argument(
        "--w-eps",
        dest="w_eps",
        default=config.W_EPS,
        type=input_type(lambda r: parse_threshold(r, "--w-eps", *config.W_EPS_RANGE)),
        help=f"|weight| below this is flat (default {config.W_EPS}, range {config.W_EPS_RANGE})",
    )
    p.add_argument(
        "--mag-eps",
        dest="mag_eps",
        default=config.MAG_EPS,
        type=input_type(lambda r: parse_threshold(r, "--mag-eps", *config.MAG_EPS_RANGE)),
        help=f"|actual - target| above this is a magnitude error (default {config.MAG_EPS}, "
        f"range {config.MAG_EPS_RANGE})",
    )
    p.add_argument(
        "--mag-rule",
        dest="mag_rule",
        default=config.DEFAULT_MAG_RULE,
        choices=config.MAG_RULES,
        help="how MAG_EPS is read: absolute |actual - target| (default, the playbook's rule) or "
        "relative to |target| (reproduces the playbook's Dec 5-7 magnitude counts)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the story")


def run(args: argparse.Namespace) -> int:
    quiet_logs()
    return run_report(args.date, args.hour, args.w_eps, args.mag_eps, args.json, mag_rule=args.mag_rule)


def story_text(story) -> str:
    """A DayStory as plain text (the markdown form escapes underscores in category names)."""
    lines = [f"{story.date} — {story.headline}", ""]
    lines += [f"- {b}" for b in story.bullets]
    return "\n".join(lines)


def run_report(
    day: date,
    hour: int,
    w_eps: float,
    mag_eps: float,
    as_json: bool,
    out=None,
    err=None,
    mag_rule: str = config.DEFAULT_MAG_RULE,
) -> int:
    """Print the report for one day; returns the exit code."""
    import polars as pl

    from lib import clock
    from lib import format as fmt
    from lib.clickhouse.errors import QueryFailed
    from lib.config import ConfigError
    from lib.tracking import classification as te
    from lib.tracking import daily as te_daily
    from lib.tracking import snapshot as te_snapshot
    from lib.tracking import story as stories
    from queries.tracking.tracking_error import timeline

    out = out or sys.stdout
    err = err or sys.stderr
    start = day - timedelta(days=config.TE_HISTORY_DAYS)
    try:
        tl = timeline(start, day, hour)
    except (QueryFailed, ConfigError) as exc:
        return clickhouse_failure(exc, err)

    when = fmt.snapshot_when(day.isoformat(), hour)
    rows = tl.filter(pl.col("holdings_date") == day)
    if rows.height == 0:
        print(f"no data for {when}: no positions and no model targets for that day", file=err)
        return EXIT_USAGE  # nothing to report for that day: the request cannot be answered
    if not te_snapshot.has_targets(rows):
        print(
            f"no model targets dated {(day - timedelta(days=config.T_PLUS_TARGET)).isoformat()} "
            f"(T+{config.T_PLUS_TARGET} for holdings date {day.isoformat()}): cannot classify {when}",
            file=err,
        )
        return EXIT_USAGE  # nothing to report for that day: the request cannot be answered
    if te_snapshot.day_state(rows) == te_snapshot.NO_FILLS:
        print(f"no fills up to {when} for any symbol of the day: the book is unknown, cannot classify", file=err)
        return EXIT_USAGE  # nothing to report for that day: the request cannot be answered

    classified = te.classify(rows, w_eps=w_eps, mag_eps=mag_eps, mag_rule=mag_rule)
    if as_json:
        report = stories.to_report(day, hour, classified)
        report["rule"] = {
            "target": f"T+{config.T_PLUS_TARGET}",
            "target_date": clock.target_date(day).isoformat(),
            "positions_at": clock.snapshot_end(day, hour).isoformat().replace("+00:00", "Z"),
            "w_eps": w_eps,
            "mag_eps": mag_eps,
            "mag_rule": mag_rule,
        }
        print(json.dumps(report, allow_nan=False), file=out)
        return EXIT_OK
    previous = te_snapshot.classify_days(tl.filter(pl.col("holdings_date") < day), w_eps, mag_eps, mag_rule)
    history = te_daily.daily_te(previous, te_daily.calendar(start, day - timedelta(days=1)))
    story = stories.day_story(day, classified, history=history.select("date", "te"))
    print(f"Tracking error report · snapshot {when} · W_EPS {w_eps:g} · MAG_EPS {mag_eps:g} ({mag_rule})", file=out)
    print("", file=out)
    print(story_text(story), file=out)
    return EXIT_OK
