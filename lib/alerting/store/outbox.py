"""The outbox: one row per message and channel, kept until it is settled.

    queued ──accepted (HTTP 2xx; SMTP 250 after DATA, whatever QUIT says)──▶ delivered
    queued ──not sent (refused, unreachable, HTTP 5xx/429)──▶ queued, tried again by the next run
    queued ──sent, no answer (a timeout after the request went out)──▶ queued with unconfirmed = 1:
             tried once more, by the next run only, with the same idempotency key (the receiver may have it)
    unconfirmed = 1 ──sent, no answer again──▶ unconfirmed (not tried again)
    queued ──older than ALERT_OUTBOX_MAX_AGE_H──▶ expired

A run takes the rows it sends with one `UPDATE … RETURNING` (a claim), so two runs never send the same
row, even where the file lock does not hold (a network filesystem); a claim older than
ALERT_CLAIM_STALE_S belongs to a killed run and is free again. Times are epoch seconds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

QUEUED, DELIVERED, UNCONFIRMED, EXPIRED = "queued", "delivered", "unconfirmed", "expired"


@dataclass(frozen=True)
class OutboxItem:
    nid: int
    channel: str
    created: datetime
    subject: str
    message: str  # lib.alerting.channels.Message JSON
    attempts: int
    last_error: str | None
    key: str = ""  # the idempotency key the message carries
    unconfirmed: int = 0  # times it was sent without an answer


def _item(r: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        r["nid"],
        r["channel"],
        datetime.fromtimestamp(r["created"], UTC),
        r["subject"],
        r["message"],
        r["attempts"],
        r["last_error"],
        r["idem_key"] or "",
        r["unconfirmed"],
    )


def enqueue(db: sqlite3.Connection, channels: Iterable[str], subject: str, message: str, key: str, now: float) -> None:
    for ch in channels:
        db.execute(
            "INSERT INTO outbox (channel, created, subject, message, idem_key) VALUES (?,?,?,?,?)",
            (ch, now, subject, message, key),
        )


def queued(db: sqlite3.Connection, channel: str) -> list[OutboxItem]:
    rows = db.execute("SELECT * FROM outbox WHERE channel = ? AND status = ? ORDER BY nid", (channel, QUEUED))
    return [_item(r) for r in rows]


def claim(db: sqlite3.Connection, channel: str, claim_id: str, now: float, stale_s: float) -> list[OutboxItem]:
    """Take every queued row of `channel` that no live run holds; one statement, so atomic."""
    rows = db.execute(
        "UPDATE outbox SET claim = ?, claimed_at = ? WHERE channel = ? AND status = ? "
        "AND (claim IS NULL OR claimed_at < ?) RETURNING *",
        (claim_id, now, channel, QUEUED, now - stale_s),
    ).fetchall()
    return sorted((_item(r) for r in rows), key=lambda x: x.nid)


def settle(
    db: sqlite3.Connection,
    item: OutboxItem,
    now: float,
    delivered: bool,
    error: str | None,
    attempts: int,
    unanswered: bool = False,
) -> str:
    """Record one try's outcome and free the claim; returns the row's status.

    `unanswered`: the request went out but no answer came, so the receiver may have it. The
    first time, the row waits for the next run (one more try); the second time it is settled as
    unconfirmed and never sent again."""
    if delivered:
        status, unconfirmed = DELIVERED, item.unconfirmed
    elif unanswered:
        unconfirmed = item.unconfirmed + 1
        status = UNCONFIRMED if unconfirmed >= 2 else QUEUED
    else:
        status, unconfirmed = QUEUED, item.unconfirmed
    db.execute(
        "UPDATE outbox SET status = ?, delivered = ?, attempts = attempts + ?, last_error = ?, unconfirmed = ?, "
        "claim = NULL, claimed_at = NULL, last_try = ? WHERE nid = ?",
        (status, now if status != QUEUED else None, attempts, error, unconfirmed, now, item.nid),
    )
    return status


def expire(db: sqlite3.Connection, now: float, max_age_h: float) -> list[OutboxItem]:
    """Settle as expired every queued row older than `max_age_h` (returned, so the run can log them)."""
    rows = db.execute(
        "UPDATE outbox SET status = ?, delivered = ?, claim = NULL WHERE status = ? AND created < ? RETURNING *",
        (EXPIRED, now, QUEUED, now - max_age_h * 3600),
    ).fetchall()
    return sorted((_item(r) for r in rows), key=lambda x: x.nid)


def counts(db: sqlite3.Connection) -> dict[str, int]:
    """Queued messages per channel."""
    rows = db.execute("SELECT channel, count(*) FROM outbox WHERE status = ? GROUP BY channel", (QUEUED,))
    return {r[0]: r[1] for r in rows}


def prune(db: sqlite3.Connection, before: float) -> int:
    """Delete the settled rows (delivered, unconfirmed, expired) settled before `before`."""
    return db.execute("DELETE FROM outbox WHERE status != ? AND delivered < ?", (QUEUED, before)).rowcount
