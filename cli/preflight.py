"""`python -m cli preflight`: the next targets, checked before they trade.

    python -m cli preflight [--date D] [--json] [--account ACCOUNT]

Checks the model's targets dated D (default: the next rebalance's, D−1 on the data's day) on the data of
now: weights within the mandate (lib/config.py MANDATE_LIMITS), every symbol listed on Hyperliquid and
priced on Binance in the last 2 hours, positions above the minimum order value, leverage and margin after
the rebalance, turnover and cost, the largest weight changes and the symbols entering or leaving the book
(lib/rebalance/preflight.py; the same checks as the Positions page, the daily report and the
targets_preflight alert). Each check prints ✅ or ❌ with its numbers; --json prints one JSON object.

Exit codes: 0 every check passed (or could not be evaluated); 1 a check failed; 2 bad arguments, or no
targets dated D; 3 ClickHouse failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO

from cli.common import EXIT_OK, EXIT_USAGE, clickhouse_failure, input_type, quiet_logs
from lib import format as fmt
from lib.inputs import parse_date

HELP = "pre-trade checks of the next targets (weights, listing, prices, minimums, margin, cost, changes)"
EXIT_FAILED = 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--date",
        default=None,
        type=input_type(lambda r: parse_date(r, "--date")),
        help="the targets' date, YYYY-MM-DD (default: the next rebalance's, D−1 on the data's day)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    quiet_logs()
    return check(args.date, args.json)


def check(day, as_json: bool, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    from answers import clock as answer_clock
    from answers import rebalance
    from lib.clickhouse.errors import QueryFailed
    from lib.config import ConfigError
    from lib.reports import rebalance as rebalance_report

    out, err = out or sys.stdout, err or sys.stderr
    try:
        desk_clock = answer_clock.desk_clock()
        result = rebalance.preflight(day or rebalance.next_target_date(desk_clock), desk_clock)
    except (QueryFailed, ConfigError) as exc:
        return clickhouse_failure(exc, err)
    if not result.has_targets:
        print(f"{result.note}: nothing to check", file=err)
        return EXIT_USAGE
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False, allow_nan=False), file=out)
    else:
        print("\n".join(rebalance_report.preflight_text(result.to_json())), file=out)
        for c in result.failed:
            for name in c.names:
                print(f"  ❌ {c.title}: {name}", file=out)
        verdict = f"{fmt.plural(len(result.failed), 'check')} failed" if result.failed else "every check passed"
        print(f"\n{verdict}", file=out)
    return EXIT_FAILED if result.failed else EXIT_OK
