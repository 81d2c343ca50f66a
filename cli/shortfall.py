"""`python -m cli shortfall`: live against the model book, and where the difference went.

    python -m cli shortfall --from 2025-12-01 --to 2025-12-31 [--fees] [--json] [--account ADDRESS]

The model book is a paper portfolio that holds each day's T+2 targets at 00:00 UTC on its own equity,
priced on Binance closes, starting at the live equity of the first day and with the same deposits and
withdrawals (answers/shortfall.py; computed by ClickHouse). The waterfall splits live PnL − model PnL over
the range's complete days into sizing, timing, execution, fees, funding, basis and a residual, in $ and bp
(each day's $ over its live equity at 00:00, summed); the bars add up to the gap. `--fees` charges the model
the desk's own fee rate on its turnover (default: no costs). With --json, exactly one JSON object:

    {"from", "to", "requested_to", "pending", "fees", "fee_rate", "model_pnl", "live_pnl",
     "gap": {"usd", "bp"}, "bars": [{"bar", "label", "usd", "bp"}], "residual_large",
     "band": {"sigma_bp", "k", "cumulative_bp", "limit_bp", "status", "method", "sentence"},
     "slips": {"YYYY-MM-DD": lag}, "days": [{"date", "live_pnl", "model_pnl", "gap_usd", "gap_bp", <bar>, ...,
     "residual", "timing_lag", "sentence"}], "symbols": [{"sym", "total", <bar>, ..., "live_pnl", "model_pnl"}]}

A day is in the numbers once it has closed in the data (its next 00:00 mark exists); a later day of the
range is left out and said in "pending". Unknown is null, never 0.

Exit codes: 0 printed; 2 bad arguments; 3 ClickHouse failure (the reason, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from cli.common import EXIT_OK, EXIT_USAGE, clickhouse_failure, input_type, quiet_logs
from lib.inputs import InputError, parse_date, parse_range

HELP = "live against the model book: the waterfall from the model's PnL to the live PnL over a range"


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
    p.add_argument("--fees", action="store_true", help="charge the model book the desk's own fee rate on its turnover")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def run(args: argparse.Namespace) -> int:
    quiet_logs()
    return run_shortfall(args.start, args.end, args.fees, args.json)


def _num(x: Any) -> float | None:
    from lib.inputs import finite_float

    return finite_float(x)


def to_json(answer: Any) -> dict:
    """The command's JSON object from an `answers.shortfall.Shortfall`."""
    from lib.model_book import waterfall as falls

    fall, band, window = answer.waterfall, answer.band, answer.window
    i = band.last
    days = []
    for row in answer.days.iter_rows(named=True) if answer.days.height else []:
        days.append(
            {
                "date": row["day"].isoformat(),
                "live_pnl": _num(row["live_pnl"]),
                "model_pnl": _num(row["model_pnl"]),
                "gap_usd": _num(row["gap"]),
                "gap_bp": _num(row["gap_bp"]),
                **{k: _num(row[k]) for k in falls.BARS},
                "timing_lag": None if row["timing_lag"] is None else int(row["timing_lag"]),
                "sentence": falls.day_sentence(row),
            }
        )
    symbols = [
        {
            "sym": r["sym"],
            "total": _num(r["total"]),
            **{k: _num(r[k]) for k in falls.NAMED_BARS},
            "live_pnl": _num(r["live_trading"]),
            "model_pnl": _num(r["model_trading"]),
        }
        for r in (answer.symbols.iter_rows(named=True) if answer.symbols.height else [])
    ]
    return {
        "from": window.start.isoformat(),
        "to": window.end.isoformat() if window.end else None,
        "requested_to": window.requested_end.isoformat(),
        "pending": window.pending,
        "fees": answer.fees,
        "fee_rate": _num(answer.fee_rate),
        "model_pnl": _num(fall.model_pnl),
        "live_pnl": _num(fall.live_pnl),
        "gap": {"usd": _num(fall.gap_usd), "bp": _num(fall.gap_bp)},
        "bars": [{"bar": b.key, "label": b.label, "usd": _num(b.usd), "bp": _num(b.bp)} for b in fall.bars],
        "residual_large": fall.residual_large,
        "band": {
            "sigma_bp": _num(band.sigma_bp),
            "k": band.k,
            "cumulative_bp": _num(band.cumulative_bp[i]) if i is not None else None,
            "limit_bp": _num(band.limit_bp[i]) if i is not None else None,
            "status": band.status(i) if i is not None else None,
            "method": band.method,
            "sentence": band.sentence(),
        },
        "slips": {d.isoformat(): lag for d, lag in sorted(answer.slips.items())},
        "days": days,
        "symbols": symbols,
    }


def to_text(answer: Any, top: int = 10) -> str:
    """The waterfall, the band, each day's split and the largest symbols, as plain text."""
    from lib import format as fmt
    from lib.model_book import waterfall as falls

    fall, window = answer.waterfall, answer.window
    costs = (
        "none"
        if not answer.fees
        else ("the desk's fee rate: unknown, so none" if answer.fee_rate is None else f"{answer.fee_rate * 1e4:.2f} bp")
    )
    lines = [
        f"Live against the model book · {window.start} – {window.end or fmt.MISSING} (UTC holdings days, "
        f"{fall.n_days} complete) · model costs: {costs}",
    ]
    if window.pending:
        lines.append(f"Not in the numbers yet: {window.pending}")
    if fall.gap_usd is None or fall.model_pnl is None or fall.live_pnl is None or fall.gap_bp is None:
        lines.append("No complete day with both the live book and the model book.")
        return "\n".join(lines)
    model_r, live_r = round(fall.model_pnl), round(fall.live_pnl)
    shown = falls.rounded_together([b.usd for b in fall.bars], live_r - model_r)
    lines += ["", f"  {'Model book PnL':<26}{fmt.usd(model_r, signed=True):>12}"]
    lines += [f"  {b.label:<26}{fmt.usd(v, signed=True):>12}{fmt.bps(b.bp):>12}" for b, v in zip(fall.bars, shown)]
    lines += [
        f"  {'Live book PnL':<26}{fmt.usd(live_r, signed=True):>12}",
        f"  {'Live − model':<26}{fmt.usd(live_r - model_r, signed=True):>12}{fmt.bps(fall.gap_bp):>12}",
        "",
        answer.band.sentence(),
        answer.band.method,
        *fall.notes,
        "",
        "Each day:",
    ]
    for row in answer.days.iter_rows(named=True):
        lines.append(f"  {row['day']}  {falls.day_sentence(row)}")
    if answer.symbols.height:
        lines += ["", f"Largest symbols (live − model, of {answer.symbols.height - 1}):"]
        for r in answer.symbols.head(top).iter_rows(named=True):
            parts = ", ".join(f"{k} {fmt.usd(r[k], signed=True)}" for k in falls.NAMED_BARS if round(r[k] or 0) != 0)
            lines.append(f"  {r['sym']:<10}{fmt.usd(r['total'], signed=True):>10}  {parts}")
    return "\n".join(lines)


def run_shortfall(start: date, end: date, fees: bool, as_json: bool, out=None, err=None) -> int:
    from answers import clock as desk_clock
    from answers import shortfall
    from lib.clickhouse.errors import QueryFailed
    from lib.config import ConfigError

    out = out or sys.stdout
    err = err or sys.stderr
    try:
        start, end = parse_range(start, end)
    except InputError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    try:
        answer = shortfall.shortfall(start, end, fees=fees, as_of=desk_clock.desk_clock().as_of)
    except (QueryFailed, ConfigError) as exc:
        return clickhouse_failure(exc, err)
    if as_json:
        print(json.dumps(to_json(answer), allow_nan=False), file=out)
    else:
        print(to_text(answer), file=out)
    return EXIT_OK
