"""What every channel shares: the message (with its idempotency key), the delivery error, log scrubbing."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from html import escape
from typing import Any

LOOPBACK = ("127.0.0.1", "::1", "localhost")
KEY_HEADER = "X-Desk-Monitor-Key"


class DeliveryError(RuntimeError):
    """A message was not delivered; `retry`: trying again may help; `sent`: it went out, no answer came."""

    def __init__(self, text: str, retry: bool = True, sent: bool = False):
        super().__init__(text)
        self.retry, self.sent = retry, sent


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)  # extra JSON fields for the webhook
    key: str = ""  # the idempotency key; empty: derived from the content

    @property
    def idempotency_key(self) -> str:
        """Stable for this message: the same key on every try, on every channel."""
        if self.key:
            return self.key
        content = json.dumps([self.subject, self.text, self.html, self.payload], sort_keys=True, default=str)
        return "desk-monitor-" + hashlib.sha256(content.encode()).hexdigest()[:32]

    def to_json(self) -> str:
        return json.dumps(
            {
                "subject": self.subject,
                "text": self.text,
                "html": self.html,
                "payload": self.payload,
                "key": self.idempotency_key,
            }
        )

    @staticmethod
    def from_json(raw: str, key: str = "") -> Message:
        """A message from the outbox (`key`: the row's, for messages queued before keys were stored in them)."""
        d = json.loads(raw)
        return Message(d["subject"], d["text"], d.get("html"), d.get("payload") or {}, d.get("key") or key)


def scrub(text: str, secrets: tuple[str | None, ...]) -> str:
    for s in secrets:
        if s and len(s) >= 3:
            text = text.replace(s, "***")
    return text[:300]


def with_ref(m: Message) -> tuple[str, str | None]:
    """The email's text and HTML with the idempotency key as a last line (the key in the body)."""
    text = f"{m.text}\n\n-- \nref {m.idempotency_key}"
    ref = f'<p style="color:#98a2b3;font-size:11px">ref {escape(m.idempotency_key)}</p>'
    html = m.html.replace("</body>", ref + "</body>") if m.html and "</body>" in m.html else m.html
    return text, html
