"""`python -m cli weekly`: the desk's weekly risk report.

    python -m cli weekly --week-ending 2025-12-14 [--format text|html|json] [--send] [-o FILE]

Returns, volatility, Sharpe and max drawdown over the week and the 30 days;
exposure range, largest positions, margin and leverage; the TE trend (mean, max,
days above the threshold, repeat offenders); execution costs; health incidents.
The week is the 7 UTC days ending on --week-ending (a Monday cron run passes
yesterday, the Sunday).

Exit codes as `daily`: 0 printed (and sent); 1 --send failed; 2 bad arguments or
configuration; 3 ClickHouse failure.
"""

from __future__ import annotations

import argparse
import sys

from cli.alerts import load_settings
from cli.common import EXIT_USAGE, input_type, quiet_logs
from cli.reports_common import add_output_arguments, json_text, produce
from lib.inputs import parse_date

HELP = "the desk's weekly risk report (returns, exposure, TE trend, costs, incidents)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--week-ending",
        dest="week_ending",
        required=True,
        type=input_type(lambda r: parse_date(r, "--week-ending")),
        help="the last UTC day of the week, YYYY-MM-DD",
    )
    add_output_arguments(p)


def run(args: argparse.Namespace) -> int:
    quiet_logs()
    settings = load_settings(sys.stderr)
    if settings is None:
        return EXIT_USAGE
    from answers import report_inputs
    from lib.reports import weekly as weekly_report

    render = {
        "text": weekly_report.to_text,
        "html": weekly_report.to_html,
        "json": lambda r: json_text(weekly_report.to_json(r)),
    }
    return produce(
        lambda s: report_inputs.weekly(args.week_ending, s.thresholds),
        render,
        lambda r: f"[Desk Monitor] Weekly risk report {r.week_start} – {r.week_ending}",
        args,
        settings,
    )
