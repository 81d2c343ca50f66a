"""What System Health shows of the alert pipeline, read from the state file without writing to it.

`read(path, now)` opens the file with SQLite's read-only mode (lib/alerting/store/database.py
`open_read_only`: no create, no write, no journal, no lock file), so the dashboard never changes
what the alerts runs decide. A missing, unreadable or older file is a `problem` to show, not an error.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lib.alerting.state import Ack, Event, Silence
from lib.alerting.store import database
from lib.alerting.store.outbox import DELIVERED, QUEUED

RECENT = 10  # notifications listed


@dataclass(frozen=True)
class Notification:
    """One message on one channel, as the outbox holds it."""

    channel: str
    created: datetime
    status: str  # queued / delivered / unconfirmed / expired
    subject: str
    alerts: tuple[str, ...]  # the alert ids it is about
    attempts: int
    error: str | None
    tried: datetime | None  # the last try
    settled: datetime | None  # when it was delivered, given up or expired

    @property
    def failing(self) -> bool:
        """Tried and not delivered: queued after an error, sent without an answer, or expired."""
        return self.status != DELIVERED and (self.error is not None or self.status != QUEUED)


@dataclass(frozen=True)
class PipelineStatus:
    path: Path
    problem: str | None = None  # why the file could not be read (missing: the alerts runs never wrote it)
    last_check: datetime | None = None  # the last `alerts check --notify` / watch pass that wrote it
    recent: tuple[Notification, ...] = ()  # newest first
    newest_by_channel: dict[str, Notification] = field(default_factory=dict)  # the newest tried message
    silences: tuple[Silence, ...] = ()
    acks: tuple[Ack, ...] = ()

    @property
    def failing(self) -> list[Notification]:
        """Channels whose newest tried message was not delivered."""
        return [n for n in self.newest_by_channel.values() if n.failing]


def _dt(x: float | None) -> datetime | None:
    return None if x is None else datetime.fromtimestamp(x, UTC)


def _alert_ids(message: str) -> tuple[str, ...]:
    try:
        events = json.loads(message).get("payload", {}).get("events", [])
        return tuple(str(e["rule"]) for e in events if isinstance(e, dict) and "rule" in e)
    except (ValueError, AttributeError, TypeError):
        return ()


def _notification(r: sqlite3.Row) -> Notification:
    return Notification(
        r["channel"],
        datetime.fromtimestamp(r["created"], UTC),
        r["status"],
        r["subject"],
        _alert_ids(r["message"]),
        r["attempts"],
        r["last_error"],
        _dt(r["last_try"]),
        _dt(r["delivered"]),
    )


def read(path: Path, now: datetime, limit: int = RECENT) -> PipelineStatus:
    """The state file's deliveries, silences and acknowledgements, read-only."""
    if not path.is_file():
        return PipelineStatus(path, "no alert state file yet: no alerts check --notify or alerts watch has run with it")
    try:
        db = database.open_read_only(path)
    except sqlite3.Error as exc:
        return PipelineStatus(path, f"the alert state file cannot be opened ({exc})")
    try:
        if not {"status", "last_try"} <= database.columns(db, "outbox"):
            return PipelineStatus(path, "the alert state file predates this version; the next alerts run upgrades it")
        recent = tuple(
            _notification(r)
            for r in db.execute("SELECT * FROM outbox ORDER BY created DESC, nid DESC LIMIT ?", (limit,))
        )
        # newest try first: the first row of each channel is its newest
        first: dict[str, Notification] = {}
        for r in db.execute(
            "SELECT * FROM outbox WHERE last_try IS NOT NULL OR status != ? "
            "ORDER BY coalesce(last_try, delivered) DESC, nid DESC",
            (QUEUED,),
        ):
            first.setdefault(r["channel"], _notification(r))
        check = db.execute("SELECT value FROM meta WHERE name = 'last_check'").fetchone()
        silences = tuple(
            Silence(r["sid"], r["pattern"], _dt(r["created"]) or now, _dt(r["until"]) or now, r["reason"])
            for r in db.execute("SELECT * FROM silences WHERE until > ? ORDER BY sid", (now.timestamp(),))
        )
        acks = tuple(
            Ack(r["id"], r["ack_by"], _dt(r["ack_at"]) or now, r["ack_comment"] or "")
            for r in db.execute(
                "SELECT id, ack_by, ack_at, ack_comment FROM alerts WHERE ack_at IS NOT NULL ORDER BY id"
            )
        )
    except sqlite3.Error as exc:
        return PipelineStatus(path, f"the alert state file cannot be read ({exc})")
    finally:
        db.close()
    return PipelineStatus(
        path,
        last_check=_dt(float(check[0])) if check else None,
        recent=recent,
        newest_by_channel=first,
        silences=silences,
        acks=acks,
    )


def day_history(path: Path, day: date) -> list[Event] | None:
    """The events of a UTC day (the daily report), read-only; None when the file cannot be read."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    try:
        db = database.open_read_only(path)
    except sqlite3.Error:
        return None
    try:
        rows = db.execute(
            "SELECT * FROM history WHERE at >= ? AND at < ? ORDER BY at, id",
            (start.timestamp(), (start + timedelta(days=1)).timestamp()),
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        db.close()
    return [
        Event(
            r["kind"],
            r["id"],
            r["rule"],
            r["severity"],
            r["subject"],
            r["detail"],
            _dt(r["since"]),
            _dt(r["at"]) or start,
        )
        for r in rows
    ]
