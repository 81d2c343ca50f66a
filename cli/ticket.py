"""`python -m cli ticket`: the trades that bring the newest book to a target set (read-only: it places nothing).

    python -m cli ticket [--targets today|next] [--json | --csv] [--account ACCOUNT]

`today` is the targets dated D−2 (what the book should hold now), `next` the targets dated D−1 (traded at
the next 00:00 UTC), D being the data's day. Per symbol: side, Δ units rounded toward zero to the coin's
size step (hyperliquid.asset_meta; 6 significant digits where the step is unknown, and it says so), Δ
notional, reduce-only, the estimated cost at the desk's own recent fee rate and median slippage, the error
before and after; legs below the exchange's minimum order value are listed apart. The same numbers as the
Positions page (answers.rebalance.ticket). --json prints one JSON object; --csv the ticket as CSV (orders
first, then the dropped legs).

Exit codes: 0 printed; 2 bad arguments, or no targets of that date yet; 3 ClickHouse failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO

from cli.common import EXIT_OK, EXIT_USAGE, clickhouse_failure, quiet_logs
from lib.rebalance import ticket as tickets

HELP = "trades to target: the orders that bring the newest book to today's (D−2) or the next (D−1) targets"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--targets",
        choices=tuple(tickets.TARGET_SETS),
        default=tickets.TODAY,
        help="today: the targets dated D−2 (default); next: the targets dated D−1, traded at the next 00:00 UTC",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--csv", action="store_true", help="print the ticket as CSV")


def run(args: argparse.Namespace) -> int:
    quiet_logs()
    return print_ticket(args.targets, "json" if args.json else "csv" if args.csv else "text")


def print_ticket(which: str, form: str, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    from answers import clock as answer_clock
    from answers import rebalance
    from lib import csv_export
    from lib.clickhouse.errors import QueryFailed
    from lib.config import ConfigError

    out, err = out or sys.stdout, err or sys.stderr
    try:
        desk_clock = answer_clock.desk_clock()
        ticket = rebalance.ticket(which, desk_clock)
    except (QueryFailed, ConfigError) as exc:
        return clickhouse_failure(exc, err)
    if not ticket.has_targets:
        print(f"no targets dated {ticket.target_date.isoformat()} yet: no ticket for {which}", file=err)
        return EXIT_USAGE
    if form == "json":
        print(json.dumps(ticket.to_json(), allow_nan=False), file=out)
    elif form == "csv":
        out.write(csv_export.csv_text(tickets.csv_frame(ticket)))
    else:
        print(text(ticket), file=out)
    return EXIT_OK


def text(ticket: tickets.Ticket) -> str:
    """The ticket as a trader's plain-text sheet."""
    from lib import format as fmt

    t = ticket.totals
    lines = [
        f"Trades to target · {ticket.title}",
        f"Equity {fmt.usd(ticket.equity)} · positions round {fmt.utc(ticket.round_ts)} · read-only: nothing is sent",
    ]
    if t:
        lines.append(
            f"{t['n_legs']} orders · {fmt.usd(t['gross_notional'])} gross (buy {fmt.usd(t['buy_notional'])}, sell "
            f"{fmt.usd(t['sell_notional'])}) · turnover {fmt.pct(t['turnover'], 2)} of equity · est. cost "
            f"{fmt.usd(t['est_cost'], signed=True)} ({fmt.bps(t['cost_bp'], 2)} of traded) · TE "
            f"{fmt.pct(t['te_before'], 2)} → {fmt.pct(t['te_after'], 2)}"
        )
    lines.append("")
    head = f"{'Symbol':<9} {'Side':<4} {'Δ units':>16} {'Δ notional':>12} {'Reduce':>6} {'Est. cost':>10} {'Error':>16}"
    lines.append(head)
    for r in ticket.legs.iter_rows(named=True):
        lines.append(
            f"{r['sym']:<9} {r['side']:<4} {r['delta_units']:>16,.12g} {fmt.usd(r['delta_notional'], signed=True):>12} "
            f"{'yes' if r['reduce_only'] else '':>6} {fmt.usd(r['est_cost'], 2, signed=True):>10} "
            f"{fmt.weight(r['err_before']) + ' → ' + fmt.weight(r['err_after']):>16}"
        )
    if ticket.dropped.height:
        lines += ["", "Not traded:"]
        for r in ticket.dropped.iter_rows(named=True):
            value = f" ({fmt.usd(r['delta_notional'], 2, signed=True)})" if r["delta_notional"] is not None else ""
            lines.append(f"  {r['sym']}: {r['reason']}{value}")
    if ticket.notes:
        lines += ["", "Notes:"] + [f"  - {n}" for n in ticket.notes]
    return "\n".join(lines)
