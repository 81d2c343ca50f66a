"""Delivery channels: email over SMTP, a JSON webhook (Slack-compatible `text`), Resend's HTTP API.

Each channel's `send(message)` returns once the receiver accepted the message (HTTP 2xx; SMTP
250 after DATA — an error on QUIT afterwards does not undo that, it only comes back as a note),
or raises `DeliveryError` with a message fit for a log: no password, no user name, no webhook
token (URLs are shown as scheme://host:port). `DeliveryError.sent` marks a failure AFTER the
request went out (no answer within the timeout): the receiver may have it, so `deliver()` does
not retry it in this run; the outbox tries it once more on the next run (lib/alerting/store/outbox.py).
Other failures are retried a bounded number of times with a short back-off.

Every message carries a stable idempotency key (`Message.idempotency_key`, kept with the message in
the outbox), so a receiver can drop a repeat: the webhook's `Idempotency-Key` header and
`idempotency_key` field, Resend's `Idempotency-Key` header, the email's Message-ID and
`X-Desk-Monitor-Key` header, and a `ref` line at the end of every email. Pure stdlib; no Streamlit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from lib import config
from lib.alerting.settings import Channels
from lib.alerting.transport.base import DeliveryError, Message
from lib.alerting.transport.http import ResendChannel, WebhookChannel, slack_text
from lib.alerting.transport.smtp import SmtpChannel

__all__ = [
    "Channel",
    "DeliveryError",
    "Message",
    "Outcome",
    "ResendChannel",
    "SmtpChannel",
    "WebhookChannel",
    "channels",
    "deliver",
    "slack_text",
]


class Channel(Protocol):
    name: str  # stable id for the outbox ("email", "webhook")
    label: str  # for logs, credentials redacted

    def send(self, message: Message) -> str | None: ...


def channels(ch: Channels, email: bool = True, webhook: bool = True) -> list[Channel]:
    """The configured channels (email through SMTP when an SMTP URL is set, else Resend)."""
    out: list[Channel] = []
    if email and ch.email:
        if ch.smtp_url:
            out.append(SmtpChannel(ch.smtp_url, ch.email_from or "", ch.email_to, ch.timeout_s))
        else:
            out.append(
                ResendChannel(ch.resend_api_key or "", ch.email_from or "", ch.email_to, ch.resend_url, ch.timeout_s)
            )
    if webhook and ch.webhook_url:
        out.append(WebhookChannel(ch.webhook_url, ch.timeout_s))
    return out


@dataclass(frozen=True)
class Outcome:
    """What one `deliver()` came to: delivered (with a note, maybe), failed, or sent without an answer."""

    delivered: bool
    error: str | None = None
    attempts: int = 1
    unanswered: bool = False  # the request went out and no answer came: the receiver may have it
    note: str | None = None


def deliver(
    channel: Channel,
    message: Message,
    retries: int = config.ALERT_SEND_RETRIES,
    backoff_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Send with up to `retries` attempts; a failure after the request went out is never retried here."""
    last = "not attempted"
    attempts = 0
    for attempt in range(max(1, retries)):
        attempts = attempt + 1
        try:
            note = channel.send(message)
            return Outcome(True, attempts=attempts, note=note)
        except DeliveryError as exc:
            last = str(exc)
            if exc.sent:
                return Outcome(False, last, attempts, unanswered=True)
            if not exc.retry:
                break
            if attempt + 1 < retries:
                sleep(backoff_s * (2**attempt))
    return Outcome(False, last, attempts)
