"""Delivery channels: email over SMTP, a JSON webhook (Slack-compatible `text`), Resend's HTTP API.

Each channel's `send(message)` either delivers or raises `DeliveryError` with a
message fit for a log: no password, no user name, no webhook token (URLs are
shown as scheme://host:port). `deliver()` retries a bounded number of times
with a short back-off; what still fails is kept by the caller (lib.alerting.state's
outbox) for the next run. Pure stdlib; no Streamlit.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from lib import config
from lib.alerting.settings import Channels, redact_url

LOOPBACK = ("127.0.0.1", "::1", "localhost")


class DeliveryError(RuntimeError):
    """A message was not delivered; `retry` says whether trying again may help."""

    def __init__(self, text: str, retry: bool = True):
        super().__init__(text)
        self.retry = retry


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)  # extra JSON fields for the webhook

    def to_json(self) -> str:
        return json.dumps({"subject": self.subject, "text": self.text, "html": self.html, "payload": self.payload})

    @staticmethod
    def from_json(raw: str) -> Message:
        d = json.loads(raw)
        return Message(d["subject"], d["text"], d.get("html"), d.get("payload") or {})


class Channel(Protocol):
    name: str  # stable id for the outbox ("email", "webhook")
    label: str  # for logs, credentials redacted

    def send(self, message: Message) -> None: ...


def _scrub(text: str, secrets: tuple[str | None, ...]) -> str:
    for s in secrets:
        if s and len(s) >= 3:
            text = text.replace(s, "***")
    return text[:300]


class SmtpChannel:
    """smtp://user:pass@host:port (STARTTLS when offered; a password is never sent in clear off loopback),
    smtps://... (TLS from the start)."""

    name = "email"

    def __init__(self, url: str, sender: str, to: tuple[str, ...], timeout_s: float = config.ALERT_SEND_TIMEOUT_S):
        u = urlsplit(url)
        self.ssl = u.scheme == "smtps"
        self.host = u.hostname or ""
        self.port = u.port or (465 if self.ssl else 587)
        self.user = unquote(u.username) if u.username else None
        self._password = unquote(u.password) if u.password else None
        self.sender, self.to, self.timeout = sender, to, timeout_s
        self.label = f"email to {', '.join(to)} via {redact_url(url)}"

    def _email(self, m: Message) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = m.subject, self.sender, ", ".join(self.to)
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = make_msgid(domain="desk-monitor")
        msg.set_content(m.text)
        if m.html:
            msg.add_alternative(m.html, subtype="html")
        return msg

    def send(self, message: Message) -> None:
        secrets = (self._password, self.user)
        try:
            if self.ssl:
                server: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                server.ehlo()
                if not self.ssl and server.has_extn("starttls"):
                    server.starttls(context=ssl.create_default_context())
                    server.ehlo()
                elif not self.ssl and self._password and self.host not in LOOPBACK:
                    raise DeliveryError(
                        f"{self.label}: the server offers no STARTTLS; refusing to send the password in clear",
                        retry=False,
                    )
                if self.user and self._password:
                    server.login(self.user, self._password)
                server.send_message(self._email(message))
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{self.label}: the server refused the credentials ({exc.smtp_code})", retry=False
            ) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise DeliveryError(_scrub(f"{self.label}: {type(exc).__name__}: {exc}", secrets)) from None


def _post_json(
    url: str,
    body: dict,
    label: str,
    timeout: float,
    headers: dict[str, str] | None = None,
    secrets: tuple[str | None, ...] = (),
) -> None:
    data = json.dumps(body).encode()
    req = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "desk-monitor-alerts", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read(1024)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{label}: HTTP {exc.code}", retry=exc.code >= 500 or exc.code == 429) from None
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(_scrub(f"{label}: {reason}", (url, *secrets))) from None


class WebhookChannel:
    """POST {"text": ..., **payload} as JSON: a Slack or Mattermost incoming webhook shows `text` as is."""

    name = "webhook"

    def __init__(self, url: str, timeout_s: float = config.ALERT_SEND_TIMEOUT_S):
        self._url, self.timeout = url, timeout_s
        self.label = f"webhook {redact_url(url)}"

    def send(self, message: Message) -> None:
        _post_json(
            self._url, {"text": message.text, "subject": message.subject, **message.payload}, self.label, self.timeout
        )


class ResendChannel:
    """Resend's HTTP API (POST /emails with a bearer API key), as the desk planned."""

    name = "email"

    def __init__(
        self,
        api_key: str,
        sender: str,
        to: tuple[str, ...],
        base_url: str,
        timeout_s: float = config.ALERT_SEND_TIMEOUT_S,
    ):
        self._key, self.sender, self.to, self.base, self.timeout = api_key, sender, to, base_url.rstrip("/"), timeout_s
        self.label = f"email to {', '.join(to)} via Resend {redact_url(base_url)}"

    def send(self, message: Message) -> None:
        body = {"from": self.sender, "to": list(self.to), "subject": message.subject, "text": message.text}
        if message.html:
            body["html"] = message.html
        _post_json(
            f"{self.base}/emails",
            body,
            self.label,
            self.timeout,
            headers={"Authorization": f"Bearer {self._key}"},
            secrets=(self._key,),
        )


def channels(ch: Channels, email: bool = True, webhook: bool = True) -> list[Channel]:
    """The configured channels (email through SMTP when an SMTP URL is set, else Resend)."""
    out: list[Channel] = []
    if email and ch.email:
        if ch.smtp_url:
            out.append(SmtpChannel(ch.smtp_url, ch.email_from or "", ch.email_to))
        else:
            out.append(ResendChannel(ch.resend_api_key or "", ch.email_from or "", ch.email_to, ch.resend_url))
    if webhook and ch.webhook_url:
        out.append(WebhookChannel(ch.webhook_url))
    return out


def deliver(
    channel: Channel,
    message: Message,
    retries: int = config.ALERT_SEND_RETRIES,
    backoff_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Send with up to `retries` attempts; None on success, else the last error (credentials redacted)."""
    last = "not attempted"
    for attempt in range(max(1, retries)):
        try:
            channel.send(message)
            return None
        except DeliveryError as exc:
            last = str(exc)
            if not exc.retry:
                break
            if attempt + 1 < retries:
                sleep(backoff_s * (2**attempt))
    return last
