"""System Health's Alert delivery section in a real browser: delivery status, failing deliveries, silences,
acknowledgements, and the banner when nobody would be notified. Screenshots for a human to look at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lib.alerting import messages as alert_messages
from lib.alerting import rules as alerts
from lib.alerting.state import AlertState, Event
from tests.browser.conftest import StreamlitServer, screenshot, wait_for_run

pytestmark = pytest.mark.browser


def _state(path) -> None:
    now = datetime.now(UTC)
    down = alerts.RuleResult(
        "monitor_down", alerts.FIRING, "Monitor ohlcv DOWN", "HTTP 429", key="ohlcv", since=now - timedelta(hours=2)
    )
    events = [
        Event("firing", "monitor_down:ohlcv", "monitor_down", "critical", "Monitor ohlcv DOWN", "", None, now),
        Event("firing", "data_stale:account", "data_stale", "critical", "Account snapshot stale", "", None, now),
    ]
    msg = alert_messages.compose(events, now, 2)
    with AlertState(path) as st:
        st.record([down], now - timedelta(hours=1), 4 * 3600, [], lambda e, n: msg)
        st.enqueue(["webhook", "email"], msg.subject, msg.to_json(), now - timedelta(minutes=40))
        st.settle(st.claim("webhook", now)[0], now - timedelta(minutes=40), True, None, 1, False)
        st.settle(
            st.claim("email", now)[0],
            now - timedelta(minutes=1),
            False,
            "email to pm@example.com via smtp://mail.example.com:587: ConnectionRefusedError: [Errno 111] "
            "Connection refused",
            3,
            False,
        )
        st.silence("sync_lag", now + timedelta(hours=2), "vendor maintenance window", now)
        st.acknowledge("monitor_down:ohlcv", "alice", "restarting the ohlcv feed", now - timedelta(minutes=20))


def _open(server, tabs, name: str) -> str:
    page = tabs.open(1440, 1000)
    try:
        page.goto(f"{server.url}/system_health", wait_until="domcontentloaded")
        wait_for_run(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        heading = page.get_by_text("Alert delivery", exact=True)
        heading.scroll_into_view_if_needed()
        page.wait_for_timeout(800)
        screenshot(page, name)
        return page.locator('[data-testid="stMain"]').inner_text()
    finally:
        tabs.release(page)


def test_alert_delivery_status_failing_and_acknowledged(tabs, browser_db, tmp_path):
    state = tmp_path / "alerts.sqlite"
    _state(state)
    env = {
        "CLICKHOUSE_URL": browser_db,
        "DESK_ALERT_STATE": str(state),
        "DESK_ALERT_WEBHOOK_URL": "https://hooks.example.com/services/T0/B0/SECRETTOKEN",
        "DESK_ALERT_SMTP_URL": "smtp://desk:pw-secret@mail.example.com:587",
        "DESK_ALERT_EMAIL_FROM": "desk@example.com",
        "DESK_ALERT_EMAIL_TO": "pm@example.com",
    }
    before = state.read_bytes()
    server = StreamlitServer(env, tmp_path / "streamlit.log")
    try:
        text = _open(server, tabs, "system-health-alert-delivery")
    finally:
        server.stop()
    assert "Deliveries are failing." in text and "Connection refused" in text
    assert "Active silences (1)" in text and "Acknowledged alerts (1)" in text
    assert "nobody will be notified" not in text
    assert "SECRETTOKEN" not in text and "pw-secret" not in text
    assert state.read_bytes() == before  # the dashboard wrote nothing


def test_no_channel_banner(tabs, browser_db, tmp_path):
    env = {"CLICKHOUSE_URL": browser_db, "DESK_ALERT_STATE": str(tmp_path / "alerts.sqlite")}
    unset = ("DESK_ALERT_WEBHOOK_URL", "DESK_ALERT_SMTP_URL", "DESK_ALERT_EMAIL_TO", "DESK_ALERT_RESEND_API_KEY")
    server = StreamlitServer(env, tmp_path / "streamlit.log", unset=unset)
    try:
        text = _open(server, tabs, "system-health-no-alert-channel")
    finally:
        server.stop()
    assert "No alert channel is configured: nobody will be notified." in text
    assert not (tmp_path / "alerts.sqlite").exists()
