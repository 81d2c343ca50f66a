"""Alert state in a small local SQLite file (stdlib sqlite3): never in ClickHouse.

Transitions, per alert id (rule or rule:instance), on each `update(results, now)`:

* FIRING result, not yet sent: `pending` until it has lasted its pending time
  (counted from the data's `since`, else from when this file first saw it),
  then `firing` and one **firing** event;
* still FIRING after it was sent: a **repeat** event every `repeat_s`, unless it was
  acknowledged (`acknowledge`): then nothing more until it resolves;
* OK result (or the instance is gone while its rule was evaluated): a **resolved**
  event when a firing was sent, and the row is removed with its acknowledgement
  (a pending alert that clears is forgotten silently); if it fires again, it is new;
* NOT_EVALUATED: nothing changes (a missing table or an outage is not a resolution).

A silence (`silence(pattern, until)`, pattern an alert id, a rule name or a glob such
as `sync_failing:*`) suppresses every notification of the alerts it matches until it
ends; an alert still firing then is sent as new.

Events go to `history` (the daily report lists the day's) and messages to the
outbox (lib/alerting/store/outbox.py), one row per channel, until settled. `record()`
decides what is new and queues its message in ONE transaction: a run killed in
between leaves neither, and the next run sends it. Opening the file takes its lock,
checks it and moves a corrupt one aside (lib/alerting/store/database.py); `prune()`
deletes settled messages and history older than `keep_days`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, overload

from lib import config
from lib.alerting import rules as alerts
from lib.alerting.store import database, outbox
from lib.alerting.store.database import StateBusy, StateUnusable
from lib.alerting.store.outbox import OutboxItem

if TYPE_CHECKING:
    from lib.alerting.channels import Message

UTC = UTC
FIRED, REPEAT, RESOLVED = "firing", "repeat", "resolved"
ACKED, NOTICE = "acknowledged", "notice"  # someone took an alert; a note about the alert pipeline itself
PIPELINE_RULE = "alert_pipeline"  # the rule name of NOTICE events (not a rule of lib/alerting/rules.py)
RESET = "Alert state started afresh"  # the NOTICE sent after a corrupt state file was moved aside


@overload
def _ts(dt: datetime) -> float: ...
@overload
def _ts(dt: datetime | None) -> float | None: ...
def _ts(dt: datetime | None) -> float | None:
    if dt is None:
        return None
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
    return dt.timestamp()


@overload
def _dt(x: float) -> datetime: ...
@overload
def _dt(x: float | None) -> datetime | None: ...
def _dt(x: float | None) -> datetime | None:
    return None if x is None else datetime.fromtimestamp(x, UTC)


def pattern_matches(pattern: str, alert_id: str) -> bool:
    """A silence or acknowledgement pattern: the alert id, its rule name, or a glob over the id."""
    rule = alert_id.split(":", 1)[0]
    return pattern in (alert_id, rule) or fnmatch.fnmatchcase(alert_id, pattern)


def matches_every_rule(pattern: str) -> bool:
    """True for `*` and its kin: a pattern that would mute every rule needs the caller's explicit --all."""
    return all(pattern_matches(pattern, name) for name in alerts.SPECS)


@dataclass(frozen=True)
class Event:
    kind: str  # firing / repeat / resolved / acknowledged / notice
    id: str
    rule: str
    severity: str
    subject: str
    detail: str
    since: datetime | None
    at: datetime


@dataclass(frozen=True)
class Silence:
    sid: int
    pattern: str
    created: datetime
    until: datetime
    reason: str

    def matches(self, alert_id: str) -> bool:
        return pattern_matches(self.pattern, alert_id)


@dataclass(frozen=True)
class Ack:
    id: str
    by: str
    at: datetime
    comment: str

    def to_json(self) -> dict[str, str]:
        return {"by": self.by, "at": self.at.isoformat().replace("+00:00", "Z"), "comment": self.comment}


class AlertState:
    """One SQLite file, written by one run at a time (its lock is held from open to close).

    Raises StateUnusable (read-only, unreadable) or StateBusy (another run holds it for longer
    than `wait_s`). `note` says when a corrupt file was moved aside and a fresh one started."""

    def __init__(self, path: Path | str, wait_s: float | None = None):
        self.path = Path(path)
        self._opened = database.open_for_writing(self.path, config.ALERT_LOCK_WAIT_S if wait_s is None else wait_s)
        self.db = self._opened.db
        self.note = self._opened.note
        self._claim = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        if self.note:  # whichever command found it, the next message says so (record)
            with self.transaction():
                self.db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('pending_notice', ?)", (self.note,))

    def close(self) -> None:
        database.close(self._opened)

    def __enter__(self) -> AlertState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with database.transaction(self.db) as db:
            yield db

    # ------------------------------------------------------------ alerts

    def first_seen(self) -> dict[str, datetime]:
        return {r["id"]: _dt(r["first_seen"]) for r in self.db.execute("SELECT id, first_seen FROM alerts")}

    def active(self) -> list[sqlite3.Row]:
        return list(self.db.execute("SELECT * FROM alerts ORDER BY id"))

    def record(
        self,
        results: Sequence[alerts.RuleResult],
        now: datetime,
        repeat_s: float,
        channels: Iterable[str],
        compose: Callable[[Sequence[Event], int], Message],
    ) -> list[Event]:
        """`update` and queue its message for `channels`, as one transaction; returns the events sent.

        A note about the pipeline itself (this file was started afresh) goes first, once."""
        with self.transaction():
            notes = []
            pending = self.db.execute("SELECT value FROM meta WHERE name = 'pending_notice'").fetchone()
            if pending:
                detail = f"{pending[0]}: alerts already firing are sent again as new"
                notes.append(
                    self._event(NOTICE, PIPELINE_RULE, PIPELINE_RULE, alerts.CRITICAL, RESET, detail, None, now)
                )
                self.db.execute("DELETE FROM meta WHERE name = 'pending_notice'")
            events = [*notes, *self.update(results, now, repeat_s)]
            if events:
                still = sum(1 for r in self.active() if r["state"] == alerts.STATE_FIRING)
                message = compose(events, still)
                self.enqueue(channels, message.subject, message.to_json(), now)
            self.db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('last_check', ?)", (str(_ts(now)),))
        return events

    def update(
        self,
        results: Sequence[alerts.RuleResult],
        now: datetime,
        repeat_s: float = config.ALERT_THRESHOLDS["repeat_hours"] * 3600,
    ) -> list[Event]:
        """Apply one check's results; returns the events to notify (already in `history`)."""
        t_now = _ts(now)
        silences = self.silences(now)

        def silenced(aid: str) -> bool:
            return any(x.matches(aid) for x in silences)

        events: list[Event] = []
        with self.transaction():
            rows = {r["id"]: r for r in self.db.execute("SELECT * FROM alerts")}
            evaluated = {r.rule for r in results if r.status != alerts.NOT_EVALUATED}
            seen: set[str] = set()
            for r in results:
                seen.add(r.id)
                row = rows.get(r.id)
                if r.status == alerts.NOT_EVALUATED:
                    continue
                if r.status == alerts.OK:
                    if row is not None:
                        if row["notified"] and not silenced(r.id):
                            since = _dt(row["since"]) or _dt(row["first_seen"])
                            events.append(
                                self._event(RESOLVED, r.id, r.rule, r.severity, r.subject, r.detail, since, now)
                            )
                        self.db.execute("DELETE FROM alerts WHERE id = ?", (r.id,))
                    continue
                first = _dt(row["first_seen"]) if row else now
                state = alerts.state_of(r, now, first)
                notified = bool(row["notified"]) if row else False
                last_notified = row["last_notified"] if row else None
                acked = row is not None and row["ack_at"] is not None
                since = r.since or first
                if state == alerts.STATE_FIRING and silenced(r.id):
                    pass  # no firing or repeat while silenced; one never sent goes out when the silence ends
                elif state == alerts.STATE_FIRING:
                    if not notified:
                        events.append(self._event(FIRED, r.id, r.rule, r.severity, r.subject, r.detail, since, now))
                        notified, last_notified = True, t_now
                    elif not acked and last_notified is not None and t_now - last_notified >= repeat_s:
                        events.append(self._event(REPEAT, r.id, r.rule, r.severity, r.subject, r.detail, since, now))
                        last_notified = t_now
                self.db.execute(
                    "INSERT OR REPLACE INTO alerts (id, rule, severity, first_seen, since, state, notified, "
                    "last_notified, subject, detail, last_seen, ack_by, ack_at, ack_comment) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        r.id,
                        r.rule,
                        r.severity,
                        _ts(first),
                        _ts(r.since),
                        state,
                        int(notified),
                        last_notified,
                        r.subject,
                        r.detail,
                        t_now,
                        row["ack_by"] if row else None,
                        row["ack_at"] if row else None,
                        row["ack_comment"] if row else None,
                    ),
                )
            for aid, row in rows.items():
                if aid in seen or row["rule"] not in evaluated:
                    continue  # still reported, or its rule could not be evaluated: keep it
                if row["notified"] and not silenced(aid):
                    events.append(
                        self._event(
                            RESOLVED,
                            aid,
                            row["rule"],
                            row["severity"],
                            row["subject"],
                            "no longer reported by its rule",
                            _dt(row["since"]),
                            now,
                        )
                    )
                self.db.execute("DELETE FROM alerts WHERE id = ?", (aid,))
        return events

    def _event(
        self,
        kind: str,
        aid: str,
        rule: str,
        severity: str,
        subject: str,
        detail: str,
        since: datetime | None,
        now: datetime,
    ) -> Event:
        self.db.execute(
            "INSERT INTO history (at, id, rule, severity, kind, since, subject, detail) VALUES (?,?,?,?,?,?,?,?)",
            (_ts(now), aid, rule, severity, kind, _ts(since), subject, detail),
        )
        return Event(kind, aid, rule, severity, subject, detail, since, now)

    def history(self, start: datetime, end: datetime) -> list[Event]:
        """Events with start <= at < end, oldest first."""
        rows = self.db.execute("SELECT * FROM history WHERE at >= ? AND at < ? ORDER BY at, id", (_ts(start), _ts(end)))
        return [
            Event(
                r["kind"], r["id"], r["rule"], r["severity"], r["subject"], r["detail"], _dt(r["since"]), _dt(r["at"])
            )
            for r in rows
        ]

    def day_history(self, day: date) -> list[Event]:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return self.history(start, start + timedelta(days=1))

    # ------------------------------------------------------------ acknowledgements

    def acknowledge(self, pattern: str, by: str, comment: str, now: datetime) -> list[Event]:
        """Acknowledge every firing alert that `pattern` matches: no repeat until it resolves (an ACKED event each)."""
        events = []
        with self.transaction():
            for row in self.db.execute(
                "SELECT * FROM alerts WHERE state = ? AND notified = 1 ORDER BY id", (alerts.STATE_FIRING,)
            ).fetchall():
                if not pattern_matches(pattern, row["id"]):
                    continue
                self.db.execute(
                    "UPDATE alerts SET ack_by = ?, ack_at = ?, ack_comment = ? WHERE id = ?",
                    (by, _ts(now), comment, row["id"]),
                )
                detail = f"by {by}" + (f": {comment}" if comment else "")
                events.append(
                    self._event(
                        ACKED, row["id"], row["rule"], row["severity"], row["subject"], detail, _dt(row["since"]), now
                    )
                )
        return events

    def acks(self) -> dict[str, Ack]:
        """The acknowledgements in force (an alert's ends when it resolves), by alert id."""
        rows = self.db.execute(
            "SELECT id, ack_by, ack_at, ack_comment FROM alerts WHERE ack_at IS NOT NULL ORDER BY id"
        )
        return {r["id"]: Ack(r["id"], r["ack_by"], _dt(r["ack_at"]), r["ack_comment"] or "") for r in rows}

    # ------------------------------------------------------------ silences

    def silence(self, pattern: str, until: datetime, reason: str, now: datetime) -> int:
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO silences (pattern, created, until, reason) VALUES (?,?,?,?)",
                (pattern, _ts(now), _ts(until), reason),
            )
        return int(cur.lastrowid or 0)

    def silences(self, now: datetime) -> list[Silence]:
        """Silences still in force at `now`, oldest first."""
        rows = self.db.execute("SELECT * FROM silences WHERE until > ? ORDER BY sid", (_ts(now),))
        return [Silence(r["sid"], r["pattern"], _dt(r["created"]), _dt(r["until"]), r["reason"]) for r in rows]

    def unsilence(self, sid: int) -> bool:
        with self.transaction():
            return self.db.execute("DELETE FROM silences WHERE sid = ?", (sid,)).rowcount > 0

    # ------------------------------------------------------------ outbox (lib/alerting/store/outbox.py)

    def enqueue(self, channels: Iterable[str], subject: str, message_json: str, now: datetime) -> None:
        """Queue a message (lib.alerting.channels.Message JSON, which carries its idempotency key) per channel."""
        key = str(json.loads(message_json).get("key") or "")
        with self.transaction():
            outbox.enqueue(self.db, channels, subject, message_json, key, _ts(now))

    def undelivered(self, channel: str) -> list[OutboxItem]:
        return outbox.queued(self.db, channel)

    def claim(self, channel: str, now: datetime) -> list[OutboxItem]:
        """This run's rows of `channel` to send (no other run can take them)."""
        return outbox.claim(self.db, channel, self._claim, _ts(now), config.ALERT_CLAIM_STALE_S)

    def settle(
        self, item: OutboxItem, now: datetime, delivered: bool, error: str | None, attempts: int, unanswered: bool
    ) -> str:
        return outbox.settle(self.db, item, _ts(now), delivered, error, attempts, unanswered)

    def drop_expired(self, now: datetime, max_age_h: float = config.ALERT_OUTBOX_MAX_AGE_H) -> list[OutboxItem]:
        """Settle as expired the queued messages older than `max_age_h` (returned, so the caller can log them)."""
        return outbox.expire(self.db, _ts(now), max_age_h)

    def outbox_counts(self) -> dict[str, int]:
        return outbox.counts(self.db)

    # ------------------------------------------------------------ housekeeping

    def prune(self, now: datetime, keep_days: float = config.ALERT_KEEP_DAYS) -> dict[str, int]:
        """Delete settled messages, history and ended silences older than `keep_days`; how many of each."""
        cut = _ts(now) - keep_days * 86400
        with self.transaction():
            return {
                "messages": outbox.prune(self.db, cut),
                "history": self.db.execute("DELETE FROM history WHERE at < ?", (cut,)).rowcount,
                "silences": self.db.execute("DELETE FROM silences WHERE until < ?", (cut,)).rowcount,
            }


__all__ = ["AlertState", "Event", "Silence", "Ack", "OutboxItem", "StateUnusable", "StateBusy", "matches_every_rule"]
