"""What every channel shares: the message (with its idempotency key and its HTML's images), the delivery error,
log scrubbing."""

from __future__ import annotations

import base64
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
class InlineImage:
    """An image the HTML shows as `<img src="cid:{cid}">`, carried inside the message (the report charts):
    over SMTP a part of multipart/related beside the HTML, through Resend an inline attachment."""

    cid: str  # the Content-ID without angle brackets ("te-8d.daily-2025-12-07@desk-monitor")
    data: bytes
    filename: str
    mime: str = "image/png"

    def to_dict(self) -> dict[str, str]:
        return {
            "cid": self.cid,
            "filename": self.filename,
            "mime": self.mime,
            "data": base64.b64encode(self.data).decode("ascii"),
        }

    @staticmethod
    def from_dict(d: dict[str, str]) -> InlineImage:
        return InlineImage(d["cid"], base64.b64decode(d["data"]), d["filename"], d.get("mime") or "image/png")


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)  # extra JSON fields for the webhook
    key: str = ""  # the idempotency key; empty: derived from the content
    images: tuple[InlineImage, ...] = ()  # the HTML's cid: images (email channels only)

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
                "images": [i.to_dict() for i in self.images],
            }
        )

    @staticmethod
    def from_json(raw: str, key: str = "") -> Message:
        """A message from the outbox (`key`: the row's, for messages queued before keys were stored in them)."""
        d = json.loads(raw)
        images = tuple(InlineImage.from_dict(i) for i in d.get("images") or ())
        return Message(d["subject"], d["text"], d.get("html"), d.get("payload") or {}, d.get("key") or key, images)


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
