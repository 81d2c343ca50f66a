"""System Health's Alerts panel and Overview's badge count, through AppTest on the demo desk."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from lib import format as fmt
from lib.alerting import messages as alert_messages
from lib.alerting import rules as alerts
from lib.alerting import settings as alert_settings
from lib.alerting.state import AlertState, Event
from tests.pages.folds import open_folds
from ui.shell import router


@pytest.fixture(autouse=True)
def _through_app_py():
    router.use_navigation()


def _frames(at):
    return [df.value for df in at.dataframe]


def test_system_health_alerts_panel_lists_what_fires_and_since_when(app, tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_ALERT_STATE", str(tmp_path / "never-written.sqlite"))
    at = app("pages/system_health.py")
    assert not at.exception
    assert "Alerts" in [s.value for s in at.subheader]
    caption = next(c.value for c in at.caption if "evaluated now" in c.value)
    assert "firing" in caption and "this page writes nothing" in caption
    active = next(f for f in _frames(at) if "rule" in f.columns and "since" in f.columns)
    rows = {r["rule"]: r for r in active.to_dict("records")}
    assert rows["monitor_down:ohlcv"]["state"] == ["firing"]
    assert str(rows["monitor_down:ohlcv"]["since"]).startswith("2025-12-15 11:19")
    assert rows["data_stale:account"]["severity"] == "critical"
    assert not (tmp_path / "never-written.sqlite").exists()  # the dashboard writes no state
    ok_rules = [f for f in _frames(at) if "rule" in f.columns and "since" not in f.columns]
    assert ok_rules == []  # the OK checks are folded, and a fold draws only once opened
    ok = [f for f in _frames(open_folds(at)) if "rule" in f.columns and "since" not in f.columns]
    assert ok and "te_high" in set(ok[0]["rule"])


def test_overview_badge_counts_firing_alerts(app):
    at = app()
    assert not at.exception
    badge = next(m.value for m in at.markdown if "System health:" in m.value)
    assert "alerts firing" in badge and ":red-badge[" in badge
    n = int(badge.split(" alerts firing")[0].rsplit("· ", 1)[1])
    # what fires is named under the badge, critical first, in the Alerts panel's own words (its subjects)
    line = next(c.value for c in at.caption if c.value.startswith("Firing: "))
    panel = app("pages/system_health.py")
    active = next(df.value for df in panel.dataframe if "rule" in df.value.columns and "since" in df.value.columns)
    subjects = [r["subject"] for r in active.to_dict("records") if r["state"] == ["firing"]]
    assert len(subjects) == n > 3
    assert line == f"Firing: {'; '.join(fmt.md_text(s) for s in subjects[:3])}; and {n - 3} more on System Health"


# ------------------------------------------------------------------ Alert delivery (read-only)

NOW = datetime.now(UTC)


def _delivery_state(path):
    """A state file as the alerts runs leave it: a delivered webhook message, an email failing for an hour,
    a silence, an acknowledgement."""
    down = alerts.RuleResult(
        "monitor_down", alerts.FIRING, "Monitor ohlcv DOWN", "HTTP 429", key="ohlcv", since=NOW - timedelta(hours=2)
    )
    msg = alert_messages.compose(
        [Event("firing", "monitor_down:ohlcv", "monitor_down", "critical", "Monitor ohlcv DOWN", "", None, NOW)], NOW, 1
    )
    with AlertState(path) as st:
        st.record([down], NOW - timedelta(hours=1), 4 * 3600, [], lambda e, n: msg)
        st.enqueue(["webhook", "email"], msg.subject, msg.to_json(), NOW - timedelta(hours=1))
        st.settle(st.claim("webhook", NOW)[0], NOW - timedelta(minutes=59), True, None, 1, False)
        st.settle(
            st.claim("email", NOW)[0], NOW - timedelta(minutes=2), False, "email via smtp://mail:587: refused", 3, False
        )
        st.silence("sync_lag", NOW + timedelta(hours=2), "vendor maintenance [see](http://evil.example)", NOW)
        st.acknowledge("monitor_down:ohlcv", "alice", "restarting the feed", NOW - timedelta(minutes=30))


def _channels(monkeypatch, tmp_path):
    monkeypatch.setenv("DESK_ALERT_STATE", str(tmp_path / "alerts.sqlite"))
    monkeypatch.setenv("DESK_ALERT_WEBHOOK_URL", "https://hooks.example.com/services/T0/B0/SECRETTOKEN")
    monkeypatch.setenv("DESK_ALERT_SMTP_URL", "smtp://desk:pw-secret@mail.example.com:587")
    monkeypatch.setenv("DESK_ALERT_EMAIL_FROM", "desk@example.com")
    monkeypatch.setenv("DESK_ALERT_EMAIL_TO", "pm@example.com")


def test_system_health_shows_who_was_told_when_and_whether_it_arrived(app, tmp_path, monkeypatch):
    _channels(monkeypatch, tmp_path)
    path = tmp_path / "alerts.sqlite"
    _delivery_state(path)
    before = (path.read_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in tmp_path.iterdir()))
    at = app("pages/system_health.py")
    assert not at.exception
    assert "Alert delivery" in " ".join(m.value for m in at.markdown)
    frames = _frames(at)
    channels = next(f for f in frames if "where" in f.columns)
    rows = {r["channel"]: r for r in channels.to_dict("records")}
    assert rows["Webhook"]["where"] == "webhook https://hooks.example.com/…"  # token redacted
    assert rows["Webhook"]["outcome"] == "delivered" and rows["Webhook"]["alerts"] == "monitor_down:ohlcv"
    assert rows["Email"]["outcome"] == "waiting to be sent" and "refused" in rows["Email"]["error"]
    assert rows["Email"]["where"] == "email to pm@example.com via SMTP smtp://mail.example.com:587"
    failing = [e.value.replace("\\", "") for e in at.error if "Deliveries are failing" in e.value]  # md_text'd
    assert len(failing) == 1 and "mail.example.com" in failing[0] and "3 tries" in failing[0]
    assert not any("nobody will be notified" in w.value for w in at.warning)
    silences = next(f for f in frames if "pattern" in f.columns)
    assert silences.to_dict("records")[0]["pattern"] == "sync_lag"
    assert "evil.example" in silences.to_dict("records")[0]["reason"]  # a table cell: plain text
    acks = next(f for f in frames if "by" in f.columns and "comment" in f.columns)
    assert acks.to_dict("records")[0]["alert"] == "monitor_down:ohlcv" and acks.to_dict("records")[0]["by"] == "alice"
    active = next(f for f in frames if "acknowledged" in f.columns)
    taken = {r["rule"]: r["acknowledged"] for r in active.to_dict("records")}
    assert str(taken["monitor_down:ohlcv"]).startswith("alice · ")
    assert "pw-secret" not in str(frames) and "SECRETTOKEN" not in str(frames)
    # read-only: the file, its time and the directory are as they were (no journal, no lock file)
    assert (path.read_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in tmp_path.iterdir())) == before


def test_no_channel_is_a_banner_nobody_will_be_notified(app, tmp_path, monkeypatch):
    for k in ("DESK_ALERT_WEBHOOK_URL", "DESK_ALERT_SMTP_URL", "DESK_ALERT_EMAIL_TO", "DESK_ALERT_RESEND_API_KEY"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("DESK_ALERT_STATE", str(tmp_path / "never-written.sqlite"))
    at = app("pages/system_health.py")
    assert not at.exception
    banner = [w.value for w in at.warning if "nobody will be notified" in w.value]
    assert len(banner) == 1 and "No alert channel is configured" in banner[0]
    assert any("no alert state file yet" in i.value.lower() for i in at.info)
    assert not (tmp_path / "never-written.sqlite").exists()


def test_a_watcher_that_stopped_is_noticed(tmp_path, monkeypatch):
    from ui.system_health import alert_delivery

    _channels(monkeypatch, tmp_path)
    _delivery_state(tmp_path / "alerts.sqlite")
    settings = alert_settings.load(os.environ, {})
    d = alert_delivery.view(settings, NOW + timedelta(hours=2))
    assert d.watcher_note and "last checked" in d.watcher_note and "still running" in d.watcher_note
    assert alert_delivery.view(settings, NOW - timedelta(minutes=50)).watcher_note is None
