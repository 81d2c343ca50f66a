"""The alert state's SQLite file: opened by one run at a time to write, or read-only by the dashboard.

A run that writes (`alerts check --notify`, `watch`, `silence`, `ack`, a report's `--send`) calls
`open_for_writing(path)`, which

* takes an exclusive lock on `<path>.lock` (fcntl.flock, released when the run closes the file
  or dies): one run at a time per state file, so two runs never both decide that an alert is new.
  A run waits at most `wait_s` for the holder, then raises `StateBusy`;
* refuses a file it cannot write (read-only file or directory: SQLite writes a journal beside it)
  with `StateUnusable`, before anything is evaluated as sent;
* checks the file (`PRAGMA quick_check`): a corrupt or truncated one is renamed
  `<path>.corrupt-<UTC time>` and a fresh one started; `Opened.note` says so, for the run to report;
* creates the tables, or adds the columns an older file lacks.

Transactions are explicit (`isolation_level=None`: BEGIN IMMEDIATE ... COMMIT), so what one run
decides (the alerts it marks as sent and the messages it queues) is written as one transaction.

The dashboard opens the file with `open_read_only(path)`: SQLite's `mode=ro` URI, so it can neither
create, change, repair nor lock it for writing.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lib import config

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY, rule TEXT NOT NULL, severity TEXT NOT NULL,
    first_seen REAL NOT NULL, since REAL, state TEXT NOT NULL,
    notified INTEGER NOT NULL DEFAULT 0, last_notified REAL,
    subject TEXT NOT NULL, detail TEXT NOT NULL, last_seen REAL NOT NULL,
    ack_by TEXT, ack_at REAL, ack_comment TEXT
);
CREATE TABLE IF NOT EXISTS history (
    at REAL NOT NULL, id TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL, kind TEXT NOT NULL,
    since REAL, subject TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_at ON history (at);
CREATE TABLE IF NOT EXISTS silences (
    sid INTEGER PRIMARY KEY AUTOINCREMENT, pattern TEXT NOT NULL, created REAL NOT NULL, until REAL NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    nid INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, created REAL NOT NULL,
    subject TEXT NOT NULL, message TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT, delivered REAL,
    idem_key TEXT, status TEXT NOT NULL DEFAULT 'queued', unconfirmed INTEGER NOT NULL DEFAULT 0,
    claim TEXT, claimed_at REAL, last_try REAL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# columns added since the first version of the file: (table, column, declaration)
_ADDED = (
    ("alerts", "ack_by", "TEXT"),
    ("alerts", "ack_at", "REAL"),
    ("alerts", "ack_comment", "TEXT"),
    ("outbox", "idem_key", "TEXT"),
    ("outbox", "status", "TEXT NOT NULL DEFAULT 'queued'"),
    ("outbox", "unconfirmed", "INTEGER NOT NULL DEFAULT 0"),
    ("outbox", "claim", "TEXT"),
    ("outbox", "claimed_at", "REAL"),
    ("outbox", "last_try", "REAL"),
)
_CORRUPT = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}


class StateUnusable(RuntimeError):
    """The state file cannot be written (read-only, unreadable): nothing can be recorded as sent."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"the alert state file {path} {problem}")
        self.path, self.problem = path, problem


class StateBusy(StateUnusable):
    """Another run holds the state file's lock for longer than we wait."""


@dataclass
class Opened:
    db: sqlite3.Connection
    lock_fd: int | None
    note: str | None = None  # set when a corrupt file was moved aside and a fresh one started


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _lock(path: Path, wait_s: float) -> int:
    """An exclusive flock on `<path>.lock`, waiting at most `wait_s` (polling, so a stuck holder is reported)."""
    lp = lock_path(path)
    try:
        fd = os.open(lp, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StateUnusable(path, f"cannot be locked: {lp} cannot be opened ({exc.strerror})") from None
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                os.close(fd)
                raise StateBusy(
                    path, f"is held by another alerts run (process {holder}) for more than {wait_s:g} s"
                ) from None
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # closing the descriptor releases the flock


def _writable(path: Path) -> None:
    """Refuse up front what SQLite would only refuse at the first write (after the run decided what is new)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateUnusable(path, f"cannot be created: its directory cannot be made ({exc.strerror})") from None
    if path.exists() and not path.is_file():
        raise StateUnusable(path, "is not a regular file")
    if path.exists() and not os.access(path, os.W_OK):
        raise StateUnusable(path, "is read-only (the alerts run's user must be able to write it)")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise StateUnusable(
            path, f"is read-only: its directory {path.parent} is not writable (SQLite writes a journal there)"
        )


def _move_aside(path: Path, reason: str, now: datetime) -> str:
    aside = path.with_name(f"{path.name}.corrupt-{now:%Y%m%dT%H%M%SZ}")
    for suffix in ("", "-journal", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            os.replace(src, Path(str(aside) + suffix))
    return f"the alert state file {path} was unreadable ({reason}); moved aside to {aside.name} and a fresh one started"


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    db.row_factory = sqlite3.Row
    return db


def _check(db: sqlite3.Connection, path: Path) -> str | None:
    """None when the file is sound, else why not (corrupt, truncated, not a database)."""
    if path.exists() and path.stat().st_size == 0:
        return None  # an empty file is an empty database
    try:
        result = [r[0] for r in db.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", "") in _CORRUPT:
            return str(exc)
        raise
    return None if result == ["ok"] else "; ".join(result[:3])


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any exception); inside an open transaction, joins it."""
    if db.in_transaction:
        yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _migrate(db: sqlite3.Connection) -> None:
    with transaction(db):
        for statement in SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        for table, column, decl in _ADDED:
            if column not in columns(db, table):
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")  # names from _ADDED only
        db.execute("UPDATE outbox SET status = 'delivered' WHERE delivered IS NOT NULL AND status = 'queued'")
        db.execute("UPDATE outbox SET idem_key = 'desk-monitor-outbox-' || nid WHERE idem_key IS NULL")


def open_for_writing(path: Path, wait_s: float = config.ALERT_LOCK_WAIT_S, now: datetime | None = None) -> Opened:
    """Lock, check and open the state file for one run (see the module docstring)."""
    _writable(path)
    fd = _lock(path, wait_s)
    try:
        note = None
        db = _connect(path)
        try:
            problem = _check(db, path)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise StateUnusable(path, f"cannot be read ({exc})") from None
        if problem is not None:
            db.close()
            note = _move_aside(path, problem, now or datetime.now(UTC))
            db = _connect(path)
        try:
            _migrate(db)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise StateUnusable(path, f"cannot be written ({exc})") from None
        return Opened(db, fd, note)
    except BaseException:
        _unlock(fd)
        raise


def close(opened: Opened) -> None:
    opened.db.close()
    _unlock(opened.lock_fd)


def open_read_only(path: Path) -> sqlite3.Connection:
    """The file as it is, for reading only (`mode=ro`: no create, no write, no journal, no lock file).

    Raises sqlite3.Error when it is missing or unreadable; the caller says so."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5, isolation_level=None)
    db.row_factory = sqlite3.Row
    return db


def columns(db: sqlite3.Connection, table: str) -> set[str]:
    """The table's column names (empty when the table does not exist)."""
    return {r[0] for r in db.execute("SELECT name FROM pragma_table_info(?)", (table,))}
