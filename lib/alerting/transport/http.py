"""The HTTP channels: a JSON webhook (Slack/Mattermost incoming webhook) and Resend's email API."""

from __future__ import annotations

import base64
import http.client
import json
import re
import urllib.error
import urllib.request
from typing import Any

from lib import config
from lib.alerting.settings import redact_url
from lib.alerting.transport.base import KEY_HEADER, DeliveryError, Message, scrub, with_ref

_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MENTION = re.compile(r"@(channel|here|all|everyone)\b", re.IGNORECASE)
ZERO_WIDTH_SPACE = "\u200b"


def slack_text(text: str) -> str:
    """`text` shown as plain words by Slack's mrkdwn (and Mattermost's Markdown).

    &, < and > become the entities Slack asks for, so no `<url|link>`, `<!channel>`, `<@user>`,
    `<script>` or `<b>` survives; a zero-width space breaks Markdown link and image syntax (`](`),
    autolinks (`://`) and @channel/@here mentions; bidirectional controls are dropped."""
    out = _BIDI.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = out.replace("](", f"]{ZERO_WIDTH_SPACE}(").replace("://", f":{ZERO_WIDTH_SPACE}//")
    return _MENTION.sub(lambda m: f"@{ZERO_WIDTH_SPACE}{m.group(1)}", out)


def _post_json(
    url: str,
    body: dict,
    label: str,
    timeout: float,
    headers: dict[str, str] | None = None,
    secrets: tuple[str | None, ...] = (),
) -> None:
    """POST `body`; returns on a 2xx status line (a slow or cut body after it does not matter)."""
    data = json.dumps(body).encode()
    req = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "desk-monitor-alerts", **(headers or {})},
    )
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{label}: HTTP {exc.code}", retry=exc.code >= 500 or exc.code == 429) from None
    except urllib.error.URLError as exc:  # connecting or sending failed: the receiver has not got it
        raise DeliveryError(scrub(f"{label}: {exc.reason}", (url, *secrets))) from None
    except (OSError, http.client.HTTPException) as exc:  # sent, but the answer timed out or was cut
        raise DeliveryError(
            scrub(f"{label}: sent, but no answer came ({type(exc).__name__}: {exc})", (url, *secrets)), sent=True
        ) from None
    with resp:
        try:
            resp.read(1024)
        except (OSError, http.client.HTTPException):
            pass  # the status line said 2xx: accepted


class WebhookChannel:
    """POST {"text": ..., **payload} as JSON: a Slack or Mattermost incoming webhook shows `text`, escaped for
    Slack's mrkdwn (`slack_text`); the payload's fields stay as the data has them."""

    name = "webhook"

    def __init__(self, url: str, timeout_s: float = config.ALERT_SEND_TIMEOUT_S):
        self._url, self.timeout = url, timeout_s
        self.label = f"webhook {redact_url(url)}"

    def send(self, message: Message) -> str | None:
        key = message.idempotency_key
        body = {"text": slack_text(message.text), "subject": message.subject, **message.payload, "idempotency_key": key}
        _post_json(self._url, body, self.label, self.timeout, headers={"Idempotency-Key": key})
        return None


class ResendChannel:
    """Resend's HTTP API (POST /emails with a bearer API key and its Idempotency-Key header). The HTML's images
    go as inline attachments: base64 `content`, `content_type` and the `content_id` its `cid:` names."""

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

    def send(self, message: Message) -> str | None:
        key = message.idempotency_key
        text, html = with_ref(message)
        body: dict[str, Any] = {
            "from": self.sender,
            "to": list(self.to),
            "subject": message.subject,
            "text": text,
            "headers": {KEY_HEADER: key},
        }
        if html:
            body["html"] = html
            if message.images:  # inline attachments: the HTML names each by its content_id (cid:)
                body["attachments"] = [
                    {
                        "filename": i.filename,
                        "content": base64.b64encode(i.data).decode("ascii"),
                        "content_type": i.mime,
                        "content_id": i.cid,
                    }
                    for i in message.images
                ]
        _post_json(
            f"{self.base}/emails",
            body,
            self.label,
            self.timeout,
            headers={"Authorization": f"Bearer {self._key}", "Idempotency-Key": key},
            secrets=(self._key,),
        )
        return None
