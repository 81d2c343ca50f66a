"""Email over SMTP (smtplib): delivered once the server answers DATA with 250, whatever QUIT says."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from lib import config
from lib.alerting.settings import redact_url
from lib.alerting.transport.base import KEY_HEADER, LOOPBACK, DeliveryError, Message, scrub, with_ref

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


def _is_body(s: object) -> bool:
    """smtplib sends the message body as bytes ending CRLF.CRLF; commands are str."""
    return isinstance(s, bytes) and s.endswith(b"\r\n.\r\n")


class _SMTP(smtplib.SMTP):
    """smtplib's SMTP, noting when the body has gone out: after that, a lost answer means the server may have it."""

    body_sent = False

    def send(self, s: ReadableBuffer | str) -> None:
        super().send(s)
        self.body_sent = self.body_sent or _is_body(s)


class _SMTPSSL(smtplib.SMTP_SSL):
    body_sent = False

    def send(self, s: ReadableBuffer | str) -> None:
        super().send(s)
        self.body_sent = self.body_sent or _is_body(s)


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
        msg["Message-ID"] = f"<{m.idempotency_key}@desk-monitor>"  # the same on a retry: mail systems drop repeats
        msg[KEY_HEADER] = m.idempotency_key
        text, html = with_ref(m)
        msg.set_content(text)
        if html:
            msg.add_alternative(html, subtype="html")
            # the HTML part becomes multipart/related: the HTML and its cid: images
            html_part = msg.get_body(preferencelist=("html",))
            if html_part is not None:
                for image in m.images:
                    maintype, _, subtype = image.mime.partition("/")
                    html_part.add_related(
                        image.data,
                        maintype=maintype,
                        subtype=subtype,
                        cid=f"<{image.cid}>",
                        filename=image.filename,
                        disposition="inline",
                    )
        return msg

    def send(self, message: Message) -> str | None:
        server: _SMTP | _SMTPSSL | None = None
        try:
            if self.ssl:
                server = _SMTPSSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                server = _SMTP(self.host, self.port, timeout=self.timeout)
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
        except (DeliveryError, smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
            if server is not None:
                server.close()
            raise self._failure(exc, server is not None and server.body_sent) from None
        return _quit(server, self.label)

    def _failure(self, exc: Exception, body_sent: bool) -> DeliveryError:
        if isinstance(exc, DeliveryError):
            return exc
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return DeliveryError(f"{self.label}: the server refused the credentials ({exc.smtp_code})", retry=False)
        # the body went out and no reply came (timeout, cut connection): the server may have accepted it
        sent = body_sent and not isinstance(exc, smtplib.SMTPResponseException)
        what = "sent, but no answer came" if sent else type(exc).__name__
        return DeliveryError(scrub(f"{self.label}: {what}: {exc}", (self._password, self.user)), sent=sent)


def _quit(server: smtplib.SMTP, label: str) -> str | None:
    """QUIT after the server accepted the message: a failure here is worth a note, not a retry."""
    try:
        code, reply = server.docmd("QUIT")
    except (smtplib.SMTPException, OSError) as exc:
        return f"{label}: accepted; QUIT failed afterwards ({type(exc).__name__})"
    finally:
        server.close()
    if code != 221:
        return f"{label}: accepted; the server answered QUIT with {code}"
    return None
