"""Channels against real receivers on loopback: SMTP (aiosmtpd), webhook and Resend (http.server).

A refused SMTP port and a webhook answering 500 are retried, then reported; the
message stays in the outbox and the next run delivers it. Credentials never show.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from cli.alerts import flush
from lib.alerting import channels as notify
from lib.alerting import messages as alert_messages
from lib.alerting import settings as alert_settings
from lib.alerting.state import FIRED, RESOLVED, AlertState, Event
from lib.config import ConfigError
from tests.alert_servers import http_receiver, smtp_server
from tests.fault_servers import free_port

UTC = UTC
NOW = datetime(2025, 12, 7, 3, 0, tzinfo=UTC)
EVENTS = [
    Event(
        FIRED,
        "monitor_down:ohlcv",
        "monitor_down",
        "critical",
        "Monitor ohlcv DOWN",
        "the last run reported an error; last message: HTTP 429",
        datetime(2025, 12, 7, 2, 19, tzinfo=UTC),
        NOW,
    ),
    Event(RESOLVED, "te_high", "te_high", "warning", "Tracking error 2.10% at 2025-12-07 02:00 UTC", "", None, NOW),
]


def message():
    return alert_messages.compose(EVENTS, NOW, still_firing=1)


def test_email_over_smtp_with_login_content_asserted():
    with smtp_server(auth=("desk", "s3cr3t-pw")) as (port, box):
        ch = notify.SmtpChannel(
            f"smtp://desk:s3cr3t-pw@127.0.0.1:{port}", "desk@example.com", ("pm@example.com", "ops@example.com")
        )
        assert notify.deliver(ch, message(), retries=1).delivered
    assert box.auth == [("desk", "s3cr3t-pw")]
    assert box.envelopes == [("desk@example.com", ["pm@example.com", "ops@example.com"])]
    mail = box.messages[0]
    assert mail["Subject"] == "[Desk Monitor] 1 firing, 1 resolved: Monitor ohlcv DOWN (+1 more)"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "FIRING [critical] Monitor ohlcv DOWN · since 2025-12-07 02:19 UTC" in text
    assert "RESOLVED [warning] Tracking error 2.10%" in text and "HTTP 429" in text
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "<script" not in html and "Monitor ohlcv DOWN" in html and "RESOLVED" in html
    assert "s3cr3t-pw" not in ch.label and "desk:" not in ch.label


def test_webhook_is_slack_compatible():
    with http_receiver() as (url, rec):
        ch = notify.WebhookChannel(f"{url}/hooks/T000/B000/XXXXSECRET")
        assert notify.deliver(ch, message(), retries=1).delivered
    body = rec.requests[0]["json"]
    assert rec.requests[0]["path"] == "/hooks/T000/B000/XXXXSECRET"
    assert body["text"].startswith("Desk Monitor alerts · checked 2025-12-07 03:00 UTC")
    assert "FIRING [critical] Monitor ohlcv DOWN" in body["text"]
    assert [e["kind"] for e in body["events"]] == ["firing", "resolved"]
    assert body["events"][0]["since"] == "2025-12-07T02:19:00Z"
    assert "XXXXSECRET" not in ch.label and ch.label == f"webhook {url}/…"


def test_resend_http_api():
    with http_receiver() as (url, rec):
        ch = notify.ResendChannel("re_SECRETKEY", "desk@example.com", ("pm@example.com",), url)
        assert notify.deliver(ch, message(), retries=1).delivered
    req = rec.requests[0]
    assert req["path"] == "/emails" and req["headers"]["Authorization"] == "Bearer re_SECRETKEY"
    assert req["json"]["to"] == ["pm@example.com"] and req["json"]["subject"].startswith("[Desk Monitor]")
    assert "<html" in req["json"]["html"] and "re_SECRETKEY" not in ch.label


def test_refused_smtp_and_500_webhook_are_retried_reported_and_kept(tmp_path):
    """Nothing is lost: the outbox keeps both messages, and the next run delivers them."""
    refused = free_port()
    with http_receiver() as (url, rec):
        rec.fail_next = 3
        chans = [
            notify.SmtpChannel(f"smtp://desk:pw-xyz@127.0.0.1:{refused}", "desk@example.com", ("pm@example.com",)),
            notify.WebhookChannel(f"{url}/hook/TOKEN123"),
        ]
        err = io.StringIO()
        msg = message()
        with AlertState(tmp_path / "s.sqlite") as st:
            st.enqueue([c.name for c in chans], msg.subject, msg.to_json(), NOW)
            assert flush(st, chans, NOW, err, retries=3, backoff_s=0) is False
            log = err.getvalue()
            assert "FAILED" in log and "Connection refused" in log and "HTTP 500" in log
            assert "kept for the next run" in log
            assert "pw-xyz" not in log and "TOKEN123" not in log and "desk:" not in log
            assert len([r for r in rec.requests if r["failed"]]) == 3  # retried 3 times
            assert st.outbox_counts() == {"email": 1, "webhook": 1}
            # next run: the webhook is back, SMTP is up
            with smtp_server() as (port, box):
                chans[0] = notify.SmtpChannel(f"smtp://127.0.0.1:{port}", "desk@example.com", ("pm@example.com",))
                assert flush(st, chans, NOW, io.StringIO(), retries=3, backoff_s=0) is True
            assert st.outbox_counts() == {}
        assert box.messages[0]["Subject"] == msg.subject
        ok = [r for r in rec.requests if not r["failed"]]
        assert len(ok) == 1 and ok[0]["json"]["text"] == msg.text


def test_unreachable_smtp_reports_without_credentials():
    ch = notify.SmtpChannel(
        "smtp://mailuser:hunter2pw@203.0.113.9:25", "a@example.com", ("b@example.com",), timeout_s=0.5
    )
    err = notify.deliver(ch, message(), retries=2, backoff_s=0).error
    assert err is not None and "smtp://203.0.113.9:25" in err
    assert "hunter2pw" not in err and "mailuser" not in err


def test_settings_from_env_over_secrets(tmp_path):
    secrets = {
        "smtp_url": "smtps://u:p@mail.example.com:465",
        "email_from": "desk@example.com",
        "email_to": ["pm@example.com"],
        "te_max": 0.05,
        "state_path": "data/x.sqlite",
    }
    s = alert_settings.load(
        {
            "DESK_ALERT_EMAIL_TO": "a@example.com, b@example.com",
            "DESK_ALERT_TE_MAX": "0.04",
            "DESK_ALERT_STATE": str(tmp_path / "st.sqlite"),
        },
        secrets,
    )
    assert s.channels.email_to == ("a@example.com", "b@example.com") and s.thresholds["te_max"] == 0.04
    assert s.state_path == tmp_path / "st.sqlite" and s.channels.email and not s.channels.webhook_url
    assert "p@" not in repr(s.channels) and "smtps://mail.example.com:465" in repr(s.channels)
    for bad, msg in (
        ({"smtp_url": "ftp://x"}, "SMTP URL"),
        ({"email_to": "nope"}, "not an email"),
        ({"te_maxx": 1}, "unknown"),
        ({"email_to": "a@example.com"}, "email_from"),
    ):
        with pytest.raises(ConfigError, match=msg):
            alert_settings.load({}, bad)
    assert alert_settings.redact_url("https://hooks.slack.com/services/T/B/SECRET") == "https://hooks.slack.com/…"


def report_message() -> notify.Message:
    from lib.reports import png_charts
    from lib.reports.html import Figures, page

    figures = Figures("daily-2025-12-07")
    chart = png_charts.bars([("06", 0.021), ("07", 0.0237)], "te-8d", highlight=1, title="Snapshot TE")
    html = figures.email(page("Desk daily report 2025-12-07", "<p>header</p>", [figures.img(chart)]))
    return notify.Message("[Desk Monitor] Daily report", "PASS  Tracking error", html.html, images=html.images)


def test_report_charts_travel_as_inline_png_over_smtp():
    msg = report_message()
    with smtp_server() as (port, box):
        channel = notify.SmtpChannel(f"smtp://127.0.0.1:{port}", "d@x.example", ("pm@x.example",))
        assert notify.deliver(channel, msg).delivered
    mail = box.messages[0]
    assert mail.get_content_type() == "multipart/alternative"
    related = mail.get_payload()[1]
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    assert html_part.get_content_type() == "text/html" and image.get_content_type() == "image/png"
    assert image["Content-ID"] == "<te-8d.daily-2025-12-07@desk-monitor>"
    assert image.get_content_disposition() == "inline" and image.get_filename() == "daily-2025-12-07-te-8d.png"
    assert image.get_payload(decode=True) == msg.images[0].data
    assert 'src="cid:te-8d.daily-2025-12-07@desk-monitor"' in html_part.get_content()


def test_report_charts_travel_as_inline_attachments_through_resend():
    import base64

    msg = report_message()
    with http_receiver() as (url, rec):
        assert notify.deliver(notify.ResendChannel("re_KEY", "d@x.example", ("pm@x.example",), url), msg).delivered
    body = rec.requests[0]["json"]
    assert body["attachments"] == [
        {
            "filename": "daily-2025-12-07-te-8d.png",
            "content": base64.b64encode(msg.images[0].data).decode(),
            "content_type": "image/png",
            "content_id": "te-8d.daily-2025-12-07@desk-monitor",
        }
    ]
    assert 'src="cid:te-8d.daily-2025-12-07@desk-monitor"' in body["html"]


def test_a_message_kept_in_the_outbox_keeps_its_images():
    msg = report_message()
    again = notify.Message.from_json(msg.to_json())
    assert again.images == msg.images and again.images[0].data[:4] == b"\x89PNG"
    assert again.idempotency_key == msg.idempotency_key and again.html == msg.html
    assert notify.Message.from_json('{"subject": "s", "text": "t"}').images == ()  # older outbox rows
