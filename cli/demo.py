"""`python -m cli demo`: build a demo desk in an embedded engine (chdb).

    python -m cli demo [--path P] [--end T] [--start T | --days N] [--coins N] [--seed S] [--accounts N] [--force]

Without --end/--start/--days/--force it brings the desk at P up to now the way the
dashboard does on start (build, rebuild when too old, or catch up); with them it
builds exactly that span (and leaves an existing desk alone unless --force).
`--accounts 2` adds a smaller sub-account (lib/demo/accounts.py) with its own rows in
every table that carries `account`, `--accounts 3` a second one; the main account's rows are the same either way.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from lib import format as fmt
from lib.config import DEFAULT_DEMO_PATH
from lib.demo.simulation.market import coin_count

HELP = "build the demo desk in an embedded ClickHouse (chdb) database"
READS_DESK = False  # it opens --path itself


def _parse_time(s: str) -> datetime:
    try:
        t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO time like 2025-12-15T12:00Z: {s[:40]!r}") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _parse_accounts(s: str) -> int:
    from lib.demo.accounts import MAX_ACCOUNTS

    if not (s.isascii() and s.isdigit() and len(s) <= 3 and 1 <= int(s) <= MAX_ACCOUNTS):
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to {MAX_ACCOUNTS} (1: the main account; "
            f"more: plus sub-accounts), not {s[:20]!r}"
        )
    return int(s)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--path", default=str(DEFAULT_DEMO_PATH), help="database directory (default: %(default)s)")
    ap.add_argument("--end", type=_parse_time, default=None, help="end time, UTC ISO (default: now)")
    ap.add_argument("--start", type=_parse_time, default=None, help="start time, UTC ISO (default: 2025-11-01)")
    ap.add_argument("--days", type=int, default=None, help="span length in days, instead of --start")
    ap.add_argument("--coins", type=coin_count, default=60, help="ordinary coins (kPEPE, kBONK, PURR are added)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--accounts",
        type=_parse_accounts,
        default=None,
        metavar="N",
        help="1: the main account only; 2: also a sub-account (the main address + ':sub1', a quarter "
        "of the size, 8 coins, its own deposits); 3: also ':sub2' (10 coins). Default 1; when catching up an existing desk, "
        "that desk's own (a different N rebuilds it)",
    )
    ap.add_argument("--force", action="store_true", help="drop and recreate the demo tables")


def run(a: argparse.Namespace) -> int:
    from lib.clickhouse import embedded_lock as chdb_lock
    from lib.demo import seed

    end = a.end or datetime.now(UTC).replace(second=0, microsecond=0)
    if a.start and a.days:
        print("error: give --start or --days, not both", file=sys.stderr)
        return 2
    start = end - timedelta(days=a.days) if a.days else a.start

    pid = chdb_lock.holder(a.path)
    if pid is not None:
        print(f"error: {chdb_lock.locked_message(a.path, pid)}", file=sys.stderr)
        return 3

    def progress(frac: float, msg: str) -> None:
        print(f"[{frac * 100:5.1f}%] {msg}", flush=True)

    if not (a.end or a.start or a.days or a.force):
        return _up_to_date(a, progress)
    try:
        res = seed(
            a.path,
            start=start,
            end=end,
            coins=a.coins,
            seed=a.seed,
            progress=progress,
            force=a.force,
            accounts=a.accounts or 1,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not res["seeded"]:
        print(f"{a.path} is already seeded; nothing to do (use --force to regenerate).")
        return 0
    print(
        f"seeded {a.path}: {res['start']} .. {res['end']} UTC, {res['model_coins']} model coins, "
        f"{fmt.agree(len(res['accounts']), 'account', 'accounts')} {', '.join(res['accounts'])}"
    )
    for name, n in res["tables"].items():
        dup = res["duplicates"].get(name)
        print(f"  {name:<10} {n:>10,} rows" + (f"  ({dup} duplicates)" if dup else ""))
    print(f"  untracked fill orders: {res['untracked_fill_orders']}; reference days: {res['reference_days']}")
    print(f"done in {res['seconds']:.1f} s")
    return 0


def _up_to_date(a: argparse.Namespace, progress) -> int:
    """No span given: the live demo's own rule (lib/demo/feeder.py): build a missing desk, rebuild one
    made by another generator version or older than DESK_DEMO_REBUILD_DAYS, otherwise catch it up to now."""
    from pathlib import Path

    from lib.demo import DEFAULT_START
    from lib.demo.feeder import Feeder, open_writer

    Path(a.path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    writer = open_writer(str(Path(a.path).expanduser().resolve()))
    try:
        feeder = Feeder(writer, start=DEFAULT_START, coins=a.coins, seed=a.seed, host="cli", accounts=a.accounts)
        done = feeder.prepare(progress)
    finally:
        writer.close()
    print(
        f"{a.path}: demo desk {done} to {feeder.state.end:%Y-%m-%d %H:%M:%S} UTC, "
        f"{fmt.plural(feeder.state.accounts, 'account')}"
    )
    return 0
