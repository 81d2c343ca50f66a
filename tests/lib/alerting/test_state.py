"""Pending, firing, repeat and resolved transitions in the SQLite state, with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lib.alerting import rules as alerts
from lib.alerting.state import FIRED, REPEAT, RESOLVED, AlertState

UTC = UTC
T0 = datetime(2025, 12, 7, 3, 0, tzinfo=UTC)
REPEAT_S = 4 * 3600


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def advance(self, **kw) -> datetime:
        self.now += timedelta(**kw)
        return self.now


def firing(rule="sync_lag", key="trades", since=None, pending_s=300.0, subject="Sync lag of trades 20 min"):
    return alerts.RuleResult(
        rule, alerts.FIRING, subject, "newest synced row took 20 min", key=key, since=since, pending_s=pending_s
    )


def ok(rule="sync_lag", key="trades"):
    return alerts.RuleResult(rule, alerts.OK, "Sync lag of trades 10 s", key=key)


def kinds(events):
    return [(e.kind, e.id) for e in events]


def test_pending_then_firing_then_repeat_then_resolved(tmp_path):
    clock = Clock(T0)
    path = tmp_path / "state.sqlite"
    with AlertState(path) as st:
        assert st.update([firing()], clock.now, REPEAT_S) == []  # pending: seen first now, 5 min to go
        assert st.active()[0]["state"] == alerts.STATE_PENDING
        assert st.update([firing()], clock.advance(minutes=4, seconds=59), REPEAT_S) == []
        ev = st.update([firing()], clock.advance(seconds=1), REPEAT_S)  # 5 min since first seen
        assert kinds(ev) == [(FIRED, "sync_lag:trades")]
        assert ev[0].since == T0  # unknown from the data: first seen
        assert st.update([firing()], clock.advance(hours=3, minutes=59), REPEAT_S) == []  # deduplicated
    with AlertState(path) as st:  # state survives the process (cron runs)
        ev = st.update([firing()], clock.advance(minutes=1), REPEAT_S)
        assert kinds(ev) == [(REPEAT, "sync_lag:trades")]
        assert st.update([firing()], clock.advance(hours=1), REPEAT_S) == []
        ev = st.update([ok()], clock.advance(minutes=1), REPEAT_S)
        assert kinds(ev) == [(RESOLVED, "sync_lag:trades")]
        assert st.active() == []
        assert st.update([ok()], clock.advance(minutes=1), REPEAT_S) == []  # resolved once
        hist = st.history(T0, clock.now + timedelta(seconds=1))
        assert [e.kind for e in hist] == [FIRED, REPEAT, RESOLVED]
        assert st.day_history(T0.date()) == hist


def test_pending_counts_from_the_data(tmp_path):
    """An outage that began an hour ago (the monitor's last beat) is sent on the first check."""
    with AlertState(tmp_path / "s.sqlite") as st:
        r = firing("monitor_down", "ohlcv", since=T0 - timedelta(hours=1), pending_s=600, subject="Monitor ohlcv DOWN")
        ev = st.update([r], T0, REPEAT_S)
        assert kinds(ev) == [(FIRED, "monitor_down:ohlcv")] and ev[0].since == T0 - timedelta(hours=1)
        recent = firing("monitor_down", "sync", since=T0 - timedelta(minutes=9), pending_s=600)
        assert st.update([r, recent], T0, REPEAT_S) == []  # sync: DOWN 9 min of 10
        assert kinds(st.update([r, recent], T0 + timedelta(minutes=1), REPEAT_S)) == [(FIRED, "monitor_down:sync")]


def test_pending_alert_that_clears_is_forgotten_silently(tmp_path):
    with AlertState(tmp_path / "s.sqlite") as st:
        assert st.update([firing()], T0, REPEAT_S) == []
        assert st.update([ok()], T0 + timedelta(minutes=1), REPEAT_S) == []
        assert st.active() == [] and st.history(T0, T0 + timedelta(days=1)) == []


def test_not_evaluated_is_not_a_resolution_but_a_vanished_instance_is(tmp_path):
    with AlertState(tmp_path / "s.sqlite") as st:
        a = firing("monitor_down", "ohlcv", since=T0 - timedelta(hours=1), pending_s=0)
        b = firing("monitor_down", "sync", since=T0 - timedelta(hours=1), pending_s=0)
        assert len(st.update([a, b], T0, REPEAT_S)) == 2
        outage = [
            alerts.not_evaluated("monitor_down", "ClickHouse unreachable"),
            alerts.RuleResult("clickhouse", alerts.FIRING, "Dashboard cannot read ClickHouse", "refused"),
        ]
        ev = st.update(outage, T0 + timedelta(minutes=1), REPEAT_S)
        assert kinds(ev) == [(FIRED, "clickhouse")]  # monitors kept, not resolved
        assert {r["id"] for r in st.active()} == {"monitor_down:ohlcv", "monitor_down:sync", "clickhouse"}
        back = [a, alerts.RuleResult("clickhouse", alerts.OK, "Dashboard reads ClickHouse")]
        ev = st.update(back, T0 + timedelta(minutes=2), REPEAT_S)  # sync's instance is gone while its rule ran
        assert sorted(kinds(ev)) == [(RESOLVED, "clickhouse"), (RESOLVED, "monitor_down:sync")]


def test_outbox_keeps_undelivered_messages(tmp_path):
    with AlertState(tmp_path / "s.sqlite") as st:
        st.enqueue(["email", "webhook"], "subj", '{"subject": "subj", "text": "t", "key": "k1"}', T0)
        items = st.claim("webhook", T0)
        assert len(items) == 1 and items[0].attempts == 0 and items[0].key == "k1"
        assert st.settle(items[0], T0, False, "webhook http://h/…: HTTP 500", 3, False) == "queued"
        again = st.claim("webhook", T0)
        assert again[0].attempts == 3 and again[0].last_error.endswith("HTTP 500")
        assert st.settle(again[0], T0, True, None, 1, False) == "delivered"
        assert st.undelivered("webhook") == [] and len(st.undelivered("email")) == 1
        assert st.outbox_counts() == {"email": 1}
        gone = st.drop_expired(T0 + timedelta(hours=73))
        assert [g.channel for g in gone] == ["email"] and st.outbox_counts() == {}


def test_silence_mutes_firing_repeat_and_resolution_until_it_ends(tmp_path):
    clock = Clock(T0)
    with AlertState(tmp_path / "s.sqlite") as st:
        sid = st.silence("sync_lag", T0 + timedelta(hours=1), "maintenance", clock.now)
        other = firing("monitor_down", "ohlcv", since=T0 - timedelta(hours=1), pending_s=0, subject="ohlcv DOWN")
        ev = st.update([firing(since=T0 - timedelta(hours=1)), other], clock.now, REPEAT_S)
        assert kinds(ev) == [(FIRED, "monitor_down:ohlcv")]  # sync_lag:trades is muted, ohlcv is not
        assert st.update([firing(since=T0 - timedelta(hours=1)), other], clock.advance(minutes=59), REPEAT_S) == []
        ev = st.update([firing(since=T0 - timedelta(hours=1)), other], clock.advance(minutes=1), REPEAT_S)
        assert kinds(ev) == [(FIRED, "sync_lag:trades")]  # the silence ended while it still fires
        st.silence("monitor_*", clock.now + timedelta(hours=1), "", clock.now)
        resolved_ohlcv = alerts.RuleResult("monitor_down", alerts.OK, "ohlcv OK", key="ohlcv")
        ev = st.update([ok(), resolved_ohlcv], clock.advance(minutes=1), REPEAT_S)
        assert kinds(ev) == [(RESOLVED, "sync_lag:trades")]  # ohlcv's resolution is muted by monitor_*
        assert [s.pattern for s in st.silences(clock.now)] == ["monitor_*"]
        assert st.unsilence(sid + 1) and not st.unsilence(999)
