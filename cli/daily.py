"""`python -m cli daily`: the desk's day report.

    python -m cli daily --date 2025-12-07 [--format text|html|json] [--send] [-o FILE]

Equity, PnL and its components, return, drawdown; the tracking-error snapshot
(02:00 UTC vs T+2 targets) with the day's story; the rebalance window, fills,
fees, slippage, maker share, untracked fills; the monitors' and sync's day; the
alert rules that fire for the day and what the alert watcher sent; a PASS/FAIL
verdict per criterion against lib.config.REPORT_TARGETS ([alerts] target_*).
The numbers are the dashboard's: same queries, same lib/ maths.

Exit codes: 0 printed (and sent); 1 printed but --send failed (kept for the next
`alerts` run); 2 bad arguments or configuration; 3 ClickHouse failure.
"""

from __future__ import annotations

import argparse
import sys

from cli.alerts import load_settings
from cli.common import EXIT_USAGE, input_type, quiet_logs
from cli.reports_common import add_output_arguments, json_text, produce
from lib.inputs import parse_date

HELP = "the desk's daily report (PnL, tracking error, execution, health, alerts, verdicts)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--date", required=True, type=input_type(lambda r: parse_date(r, "--date")), help="the UTC day, YYYY-MM-DD"
    )
    add_output_arguments(p)


def _history(settings, day):
    from lib.alerting.store import status

    if not settings.state_path.exists():
        # no local path in a report that is mailed around: the reader cannot use it, and it is not theirs to see
        return None, "no alert state: the alert watcher has not run where this report was made"
    events = status.day_history(settings.state_path, day)  # read-only: a report never writes or waits for the state
    if events is None:
        return None, "the alert state file cannot be read"
    return events, ("the alert watcher sent nothing that day" if not events else "")


def run(args: argparse.Namespace) -> int:
    quiet_logs()
    settings = load_settings(sys.stderr)
    if settings is None:
        return EXIT_USAGE
    from answers import report_inputs
    from lib.reports import daily as daily_report
    from lib.reports import html as report_html

    def build(s):
        history, note = _history(s, args.date)
        return report_inputs.daily(args.date, s.thresholds, s.targets, history, note)

    def subject(r):
        state = "all criteria met" if r.failed == 0 and r.passed == len(r.verdicts) else f"{r.failed} failed"
        return f"[Desk Monitor] Daily report {r.day}: {state} · PnL {daily_report.fmt.usd(r.pnl_total, signed=True)}"

    render = {
        "text": daily_report.to_text,
        "html": report_html.daily,
        "json": lambda r: json_text(daily_report.to_json(r)),
    }
    return produce(build, render, subject, args, settings)
