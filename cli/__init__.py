"""The desk's command line: `python -m cli <command> [--help]`.

Every command is a module here with `HELP`, `add_arguments(parser)` and
`run(args) -> exit code`; `COMMANDS` lists them. Commands read ClickHouse
through the same `queries/` and `lib/` code as the dashboard. A command that
opens a database itself (`demo`) sets `READS_DESK = False`; the others read a
read-only copy of an embedded desk a running dashboard holds open
(`cli.common.beside_running_app`). The account list is read before the command
runs (`in_account_scope`), except for a command that sets `OWN_SCOPE = True`
(`alerts`): it calls `account_scope()` itself, so an outage is something it
reports (the "dashboard cannot read ClickHouse" alert) instead of an exit before it runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from queries.engine.scope import Scope

COMMANDS = ("demo", "report", "alerts", "daily", "weekly", "lag", "shortfall", "ticket", "preflight")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cli", description="Desk Monitor command line.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = import_module(f"cli.{name}")
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        reads_desk = getattr(module, "READS_DESK", True)
        if reads_desk:
            from cli.common import input_type
            from lib.inputs import parse_account

            sub.add_argument(
                "--account",
                type=input_type(parse_account),
                default=None,
                help="read one account (as the tables name it); default: all the desk's "
                "accounts, summed (the dashboard's 'All accounts')",
            )
        sub.set_defaults(run=module.run, reads_desk=reads_desk, own_scope=getattr(module, "OWN_SCOPE", False))
    return parser


class UnknownAccount(ValueError):
    """--account names an account the desk does not have (the message lists those it has)."""


def account_scope(account: str | None) -> Scope:
    """The account scope of `--account` (queries/engine/scope.py), like the dashboard's account selector:
    one account, or all of them summed. Raises QueryFailed / ConfigError when the account list cannot be
    read, UnknownAccount for an account the desk does not have."""
    from queries.book import accounts
    from queries.engine import scope

    names = accounts.names(accounts.account_list())
    if account is not None and account not in names:
        known = ", ".join(names) or "none"
        raise UnknownAccount(f"--account: this desk has no account {account!r} (accounts: {known})")
    return scope.resolve(account, names)


def in_account_scope(args: argparse.Namespace) -> int:
    """Run the command in the account scope of `--account`. An account the desk does not have is an error."""
    import sys

    from cli.common import clickhouse_failure, quiet_logs

    quiet_logs()
    from lib.clickhouse.errors import QueryFailed
    from lib.config import ConfigError
    from queries.engine import scope

    try:
        resolved = account_scope(args.account)
    except (QueryFailed, ConfigError) as exc:
        return clickhouse_failure(exc, sys.stderr)
    except UnknownAccount as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with scope.use(resolved):
        return args.run(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse and run one command; returns its exit code (2 for bad arguments, 0 for --help)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: bad arguments (message printed) or --help
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    from lib import config

    if config.ENV_PROBLEMS:  # a bad DESK_* number: say which and what it expects, run nothing
        import sys

        for problem in config.ENV_PROBLEMS:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.reads_desk:
        from cli.common import beside_running_app

        stop = beside_running_app()
        if stop is not None:
            return stop
        return args.run(args) if args.own_scope else in_account_scope(args)
    return args.run(args)
