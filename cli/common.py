"""What every command shares: exit codes, argument types from lib.inputs, quiet logs,
reading the embedded demo while a dashboard has it open."""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TextIO

from lib.inputs import InputError

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_CLICKHOUSE = 3


def input_type(parse: Callable[[str], object]) -> Callable[[str], object]:
    """Wrap a lib.inputs parser so argparse reports its message (and exits 2)."""

    def convert(raw: str) -> object:
        try:
            return parse(raw)
        except InputError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    return convert


def quiet_logs() -> None:
    """Keep stderr for the command's own messages.

    The query functions are st.cache_data-wrapped: outside Streamlit they log 'No
    runtime found' & co. The ClickHouse driver logs its own line before raising;
    the QueryFailed message says the same in words a user can act on.
    """
    import streamlit.logger as st_logger

    st_logger.set_log_level(logging.ERROR)
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    logging.getLogger("clickhouse_connect").setLevel(logging.CRITICAL)


def beside_running_app(err: TextIO | None = None) -> int | None:
    """Let a command read an embedded desk that a running dashboard holds open.

    chdb allows one process per database directory, and the dashboard keeps
    its demo open (and live). When the configured desk is such a directory and
    another process holds it, the command reads a consistent read-only copy of
    its committed parts (lib/chdb_lock.snapshot: hardlinks, ~20 ms) instead;
    a note on stderr says so. Returns an exit code when even that is
    impossible (the message names the holder and the remedy), else None.
    """
    from lib.clickhouse import client as ch_client
    from lib.clickhouse import embedded_lock as chdb_lock
    from lib.clickhouse.endpoints import resolve_settings
    from lib.config import ConfigError

    err = err or sys.stderr
    try:
        settings = resolve_settings(os.environ)
    except ConfigError:
        return None  # the command itself reports the configuration error
    ep = settings.primary
    if ep.kind != "chdb":
        return None
    pid = chdb_lock.holder(ep.path)
    if pid is None:
        return None
    parent = os.path.dirname(os.path.abspath(ep.path))  # same filesystem: hardlinks work
    try:
        snap = chdb_lock.snapshot(ep.path, _mkdtemp(parent, os.path.basename(ep.path)))
    except OSError as exc:
        print(
            f"error: {chdb_lock.locked_message(ep.path, pid)} (a read-only copy could not be made either: {exc})",
            file=err,
        )
        return EXIT_CLICKHOUSE
    atexit.register(shutil.rmtree, snap.path, True)
    snap_settings = replace(settings, primary=replace(ep, path=str(snap.path)), secondary=None)
    ch_client.set_default_client(ch_client.DeskClient(snap_settings))
    who = f"process {pid}" if pid else "another process"
    taken = datetime.fromtimestamp(snap.taken_at, UTC)
    print(
        f"note: {ep.path} is open in {who} (a running dashboard keeps the demo live); reading a read-only "
        f"copy of it taken at {taken:%Y-%m-%d %H:%M:%S} UTC ({snap.seconds * 1000:.0f} ms).",
        file=err,
    )
    return None


def _mkdtemp(parent: str, name: str) -> str:
    import tempfile

    return tempfile.mkdtemp(prefix=f".{name}.snapshot-", dir=parent)


def clickhouse_failure(exc: Exception, err: Any) -> int:
    """Print why ClickHouse could not be read (QueryFailed or ConfigError, never a traceback); exit code 3."""
    from lib.config import ConfigError

    if isinstance(exc, ConfigError):
        print(f"error: ClickHouse configuration error: {exc}", file=err)
    else:
        print(f"error: {exc}", file=err)
    return EXIT_CLICKHOUSE
