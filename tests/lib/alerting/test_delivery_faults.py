"""Never twice: receivers that accept late or stumble after accepting, against real servers on loopback.

A webhook that answers after the client's timeout, an SMTP server whose 250 to DATA comes too
late, an SMTP server that errors on QUIT after its 250: one copy per run at most, and a message
sent without an answer is tried exactly once more, on the next run, with the same idempotency
key (header and body). Also: the webhook's text is escaped for Slack; the email keeps its own escaping.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from cli.alerts import flush
from lib.alerting import channels as notify
from lib.alerting import messages as alert_messages
from lib.alerting.state import FIRED, AlertState, Event
from lib.alerting.store.outbox import DELIVERED, QUEUED, UNCONFIRMED
from tests.alert_servers import http_receiver, smtp_server

NOW = datetime(2025, 12, 7, 3, 0, tzinfo=UTC)
EVENT = Event(
    FIRED,
    "monitor_down:ohlcv",
    "monitor_down",
    "critical",
    "Monitor ohlcv DOWN",
    "last message: HTTP 429",
    NOW - timedelta(minutes=40),
    NOW,
)
SHORT_TIMEOUT_S = 0.3  # the channel's timeout in these tests (configurable: DESK_ALERT_SEND_TIMEOUT_S)
LATE_S = 1.5  # the receiver answers after this: well past the timeout


def statuses(st: AlertState) -> list[tuple[str, str, int]]:
    return [(r["channel"], r["status"], r["unconfirmed"]) for r in st.db.execute("SELECT * FROM outbox ORDER BY nid")]


def queue(st: AlertState, channels: list[notify.Channel], events=(EVENT,)) -> notify.Message:
    msg = alert_messages.compose(list(events), NOW, 1)
    st.enqueue([c.name for c in channels], msg.subject, msg.to_json(), NOW)
    return msg


def runs(st: AlertState, channels: list[notify.Channel], n: int) -> list[str]:
    logs = []
    for _ in range(n):
        err = io.StringIO()
        flush(st, channels, NOW, err, retries=3, backoff_s=0)
        logs.append(err.getvalue())
    return logs


def test_webhook_answering_after_the_timeout_is_sent_once_per_run_and_retried_once_on_the_next(tmp_path):
    with http_receiver() as (url, rec), AlertState(tmp_path / "s.sqlite") as st:
        rec.delay_s = LATE_S
        hook = notify.WebhookChannel(f"{url}/hook", timeout_s=SHORT_TIMEOUT_S)
        msg = queue(st, [hook])
        first, second, third = runs(st, [hook], 3)
        received = list(rec.requests)
        assert len(received) == 2  # run 1: one copy (not 3); run 2: the one retry; run 3: nothing
        final = statuses(st)
    assert "sent, but no answer came" in first and "tried once more on the next run" in first
    assert "sent twice without an answer" in second and third == ""
    key = msg.idempotency_key
    assert key.startswith("desk-monitor-") and [r["headers"]["Idempotency-Key"] for r in received] == [key, key]
    assert [r["json"]["idempotency_key"] for r in received] == [key, key]  # in the body too
    assert final == [("webhook", UNCONFIRMED, 2)]


def test_a_slow_webhook_within_the_timeout_is_delivered_once(tmp_path):
    with http_receiver() as (url, rec), AlertState(tmp_path / "s.sqlite") as st:
        rec.delay_s = 0.2
        hook = notify.WebhookChannel(f"{url}/hook", timeout_s=5)
        queue(st, [hook])
        runs(st, [hook], 2)
        assert len(rec.requests) == 1 and statuses(st) == [("webhook", DELIVERED, 0)]


def test_smtp_error_on_quit_after_250_counts_as_delivered(tmp_path):
    with smtp_server(quit_reply="421 4.3.2 shutting down") as (port, box), AlertState(tmp_path / "s.sqlite") as st:
        mail = notify.SmtpChannel(f"smtp://127.0.0.1:{port}", "desk@example.com", ("pm@example.com",))
        queue(st, [mail])
        first, second = runs(st, [mail], 2)
        assert len(box.messages) == 1  # not 3 per run, every run
        assert statuses(st) == [("email", DELIVERED, 0)]
    assert "notify: sent" in first and "QUIT" in first and second == ""


def test_smtp_answer_to_data_lost_is_retried_once_next_run_with_the_same_message_id(tmp_path):
    with smtp_server(data_delay_s=LATE_S) as (port, box), AlertState(tmp_path / "s.sqlite") as st:
        mail = notify.SmtpChannel(
            f"smtp://127.0.0.1:{port}", "desk@example.com", ("pm@example.com",), timeout_s=SHORT_TIMEOUT_S
        )
        msg = queue(st, [mail])
        first, second, third = runs(st, [mail], 3)
        assert len(box.messages) == 2  # one per run, the second the single retry
        assert "tried once more on the next run" in first and third == ""
        key = msg.idempotency_key
        assert [m["Message-ID"] for m in box.messages] == [f"<{key}@desk-monitor>"] * 2
        assert [m["X-Desk-Monitor-Key"] for m in box.messages] == [key, key]
        assert f"ref {key}" in box.messages[0].get_body(preferencelist=("plain",)).get_content()
        assert statuses(st) == [("email", UNCONFIRMED, 2)]


def test_a_500_is_retried_within_the_run_and_keeps_its_key(tmp_path):
    with http_receiver() as (url, rec), AlertState(tmp_path / "s.sqlite") as st:
        rec.fail_next = 2
        hook = notify.WebhookChannel(f"{url}/hook")
        msg = queue(st, [hook])
        runs(st, [hook], 1)
        assert [r["failed"] for r in rec.requests] == [True, True, False]
        assert set(rec.keys()) == {msg.idempotency_key} and statuses(st) == [("webhook", DELIVERED, 0)]


def test_resend_carries_the_idempotency_key(tmp_path):
    with http_receiver() as (url, rec):
        ch = notify.ResendChannel("re_KEY", "desk@example.com", ("pm@example.com",), url)
        msg = alert_messages.compose([EVENT], NOW, 1)
        assert notify.deliver(ch, msg, retries=1).delivered
    body = rec.requests[0]["json"]
    assert rec.keys() == [msg.idempotency_key] and body["headers"]["X-Desk-Monitor-Key"] == msg.idempotency_key
    assert body["text"].endswith(f"ref {msg.idempotency_key}") and f"ref {msg.idempotency_key}" in body["html"]


def test_a_queued_message_keeps_its_key_through_the_outbox(tmp_path):
    with AlertState(tmp_path / "s.sqlite") as st:
        msg = queue(st, [notify.WebhookChannel("http://127.0.0.1:9/hook")])
        item = st.claim("webhook", NOW)[0]
        assert statuses(st) == [("webhook", QUEUED, 0)]
    assert item.key == msg.idempotency_key
    assert notify.Message.from_json(item.message).idempotency_key == msg.idempotency_key


HOSTILE = Event(
    FIRED,
    "monitor_down:x",
    "monitor_down",
    "critical",
    "Monitor [click me](http://evil.example) DOWN",
    "last message: <script>alert(1)</script> <b>bold</b> <!channel> <http://evil.example|login> a & b @here",
    None,
    NOW,
)


def test_webhook_text_is_escaped_for_slack_and_the_email_keeps_its_own():
    with http_receiver() as (url, rec), smtp_server() as (port, box):
        msg = alert_messages.compose([HOSTILE], NOW, 1)
        notify.deliver(notify.WebhookChannel(f"{url}/hook"), msg, retries=1)
        notify.deliver(notify.SmtpChannel(f"smtp://127.0.0.1:{port}", "desk@example.com", ("pm@example.com",)), msg)
    text = rec.requests[0]["json"]["text"]
    assert "<" not in text and ">" not in text  # no <script>, <b>, <!channel>, <url|link> reaches Slack
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;b&gt;bold&lt;/b&gt;" in text
    assert "&lt;!channel&gt;" in text and "a &amp; b" in text
    assert "](" not in text and "http://" not in text  # no Markdown link, no autolink (Mattermost)
    assert "[click me]\u200b(http:\u200b//evil.example)" in text and "@\u200bhere" in text
    # the payload's fields stay as the data has them (machine-readable)
    assert rec.requests[0]["json"]["events"][0]["detail"] == HOSTILE.detail
    html = box.messages[0].get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    plain = box.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "<script>alert(1)</script>" in plain and "[click me](http://evil.example)" in plain  # plain text is text
