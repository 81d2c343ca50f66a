"""Alert state in a small local SQLite file (stdlib sqlite3): never in ClickHouse.

Transitions, per alert id (rule or rule:instance), on each `update(results, now)`:

* FIRING result, not yet sent: `pending` until it has lasted its pending time
  (counted from the data's `since`, else from when this file first saw it),
  then `firing` and one **firing** event;
* still FIRING after it was sent: a **repeat** event every `repeat_s`;
* OK result (or the instance is gone while its rule was evaluated): a **resolved**
  event when a firing was sent, and the row is removed (a pending alert that
  clears is forgotten silently);
* NOT_EVALUATED: nothing changes (a missing table or an outage is not a resolution).

A silence (`silence(pattern, until)`, pattern an alert id, a rule name or a glob such
as `sync_failing:*`) suppresses every notification of the alerts it matches until it
ends; an alert still firing then is sent as new.

Events go to `history` (the daily report lists the day's) and messages to the
`outbox`, one row per channel, until delivered: a channel that is down keeps its
messages for the next run.
"""

from __future__ import annotations

import fnmatch
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import overload

from lib import config
from lib.alerting import rules as alerts

UTC = UTC
FIRED, REPEAT, RESOLVED = "firing", "repeat", "resolved"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY, rule TEXT NOT NULL, severity TEXT NOT NULL,
    first_seen REAL NOT NULL, since REAL, state TEXT NOT NULL,
    notified INTEGER NOT NULL DEFAULT 0, last_notified REAL,
    subject TEXT NOT NULL, detail TEXT NOT NULL, last_seen REAL NOT NULL
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
    last_error TEXT, delivered REAL
);
"""


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


@dataclass(frozen=True)
class Event:
    kind: str  # firing / repeat / resolved
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
        rule = alert_id.split(":", 1)[0]
        return self.pattern in (alert_id, rule) or fnmatch.fnmatchcase(alert_id, self.pattern)


@dataclass(frozen=True)
class OutboxItem:
    nid: int
    channel: str
    created: datetime
    subject: str
    message: str  # lib.alerting.channels.Message JSON
    attempts: int
    last_error: str | None


class AlertState:
    """One SQLite file; safe for one `alerts watch` beside cron-run reports (sqlite's own locking)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=30)
        self.db.row_factory = sqlite3.Row
        with self.db:
            self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> AlertState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ alerts

    def first_seen(self) -> dict[str, datetime]:
        return {r["id"]: _dt(r["first_seen"]) for r in self.db.execute("SELECT id, first_seen FROM alerts")}

    def active(self) -> list[sqlite3.Row]:
        return list(self.db.execute("SELECT * FROM alerts ORDER BY id"))

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

        rows = {r["id"]: r for r in self.db.execute("SELECT * FROM alerts")}
        evaluated = {r.rule for r in results if r.status != alerts.NOT_EVALUATED}
        events: list[Event] = []
        with self.db:
            seen: set[str] = set()
            for r in results:
                seen.add(r.id)
                row = rows.get(r.id)
                if r.status == alerts.NOT_EVALUATED:
                    continue
                if r.status == alerts.OK:
                    if row is not None:
                        if row["notified"] and not silenced(r.id):
                            events.append(
                                self._event(
                                    RESOLVED,
                                    r.id,
                                    r.rule,
                                    r.severity,
                                    r.subject,
                                    r.detail,
                                    _dt(row["since"]) or _dt(row["first_seen"]),
                                    now,
                                )
                            )
                        self.db.execute("DELETE FROM alerts WHERE id = ?", (r.id,))
                    continue
                first = _dt(row["first_seen"]) if row else now
                state = alerts.state_of(r, now, first)
                notified = bool(row["notified"]) if row else False
                last_notified = row["last_notified"] if row else None
                since = r.since or first
                if state == alerts.STATE_FIRING and silenced(r.id):
                    pass  # no firing or repeat while silenced; one never sent goes out when the silence ends
                elif state == alerts.STATE_FIRING:
                    if not notified:
                        events.append(self._event(FIRED, r.id, r.rule, r.severity, r.subject, r.detail, since, now))
                        notified, last_notified = True, t_now
                    elif last_notified is not None and t_now - last_notified >= repeat_s:
                        events.append(self._event(REPEAT, r.id, r.rule, r.severity, r.subject, r.detail, since, now))
                        last_notified = t_now
                self.db.execute(
                    "INSERT OR REPLACE INTO alerts (id, rule, severity, first_seen, since, state, notified, "
                    "last_notified, subject, detail, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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

    # ------------------------------------------------------------ silences

    def silence(self, pattern: str, until: datetime, reason: str, now: datetime) -> int:
        with self.db:
            cur = self.db.execute(
                "INSERT INTO silences (pattern, created, until, reason) VALUES (?,?,?,?)",
                (pattern, _ts(now), _ts(until), reason),
            )
        assert cur.lastrowid is not None  # sqlite3 sets it after every INSERT
        return cur.lastrowid

    def silences(self, now: datetime) -> list[Silence]:
        """Silences still in force at `now`, oldest first."""
        rows = self.db.execute("SELECT * FROM silences WHERE until > ? ORDER BY sid", (_ts(now),))
        return [Silence(r["sid"], r["pattern"], _dt(r["created"]), _dt(r["until"]), r["reason"]) for r in rows]

    def unsilence(self, sid: int) -> bool:
        with self.db:
            return self.db.execute("DELETE FROM silences WHERE sid = ?", (sid,)).rowcount > 0

    # ------------------------------------------------------------ outbox

    def enqueue(self, channels: Iterable[str], subject: str, message_json: str, now: datetime) -> None:
        with self.db:
            for ch in channels:
                self.db.execute(
                    "INSERT INTO outbox (channel, created, subject, message) VALUES (?,?,?,?)",
                    (ch, _ts(now), subject, message_json),
                )

    def undelivered(self, channel: str) -> list[OutboxItem]:
        rows = self.db.execute("SELECT * FROM outbox WHERE channel = ? AND delivered IS NULL ORDER BY nid", (channel,))
        return [
            OutboxItem(
                r["nid"], r["channel"], _dt(r["created"]), r["subject"], r["message"], r["attempts"], r["last_error"]
            )
            for r in rows
        ]

    def mark(self, nid: int, now: datetime, error: str | None, attempts: int) -> None:
        with self.db:
            if error is None:
                self.db.execute(
                    "UPDATE outbox SET delivered = ?, attempts = attempts + ?, last_error = NULL WHERE nid = ?",
                    (_ts(now), attempts, nid),
                )
            else:
                self.db.execute(
                    "UPDATE outbox SET attempts = attempts + ?, last_error = ? WHERE nid = ?", (attempts, error, nid)
                )

    def drop_expired(self, now: datetime, max_age_h: float = config.ALERT_OUTBOX_MAX_AGE_H) -> list[OutboxItem]:
        """Remove undelivered messages older than `max_age_h` (returned, so the caller can log them)."""
        cut = _ts(now) - max_age_h * 3600
        rows = self.db.execute("SELECT * FROM outbox WHERE delivered IS NULL AND created < ?", (cut,))
        gone = [
            OutboxItem(
                r["nid"], r["channel"], _dt(r["created"]), r["subject"], r["message"], r["attempts"], r["last_error"]
            )
            for r in rows
        ]
        with self.db:
            self.db.execute("DELETE FROM outbox WHERE delivered IS NULL AND created < ?", (cut,))
        return gone

    def outbox_counts(self) -> dict[str, int]:
        return {
            r[0]: r[1]
            for r in self.db.execute("SELECT channel, count(*) FROM outbox WHERE delivered IS NULL GROUP BY channel")
        }
