"""The alert state file under stress: concurrent runs, a kill mid-run, corrupt/truncated files, a held lock,
pruning, an old file's upgrade. Real SQLite files, real processes and threads, a real SMTP server on loopback."""

from __future__ import annotations

import dataclasses
import fcntl
import io
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli import alerts as alerts_cli
from lib import config
from lib.alerting import rules as alerts
from lib.alerting import settings as alert_settings
from lib.alerting.state import FIRED, AlertState, StateBusy, StateUnusable
from lib.alerting.store import database, outbox
from tests.alert_servers import smtp_server

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2025, 12, 7, 3, 0, tzinfo=UTC)
DOWN = alerts.RuleResult(
    "monitor_down", alerts.FIRING, "Monitor ohlcv DOWN", "HTTP 429", key="ohlcv", since=NOW - timedelta(hours=1)
)


def settings_for(path: Path, smtp_port: int) -> alert_settings.AlertSettings:
    return alert_settings.load(
        {
            "DESK_ALERT_STATE": str(path),
            "DESK_ALERT_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "DESK_ALERT_EMAIL_FROM": "desk@example.com",
            "DESK_ALERT_EMAIL_TO": "pm@example.com",
        },
        {},
    )


def test_two_concurrent_notify_runs_send_one_message(tmp_path, monkeypatch):
    """Both runs decide at the same moment (a barrier holds each one where it reads the alerts): the lock lets
    only one in; the other finds the alert already sent."""
    barrier = threading.Barrier(2, timeout=3)
    real_silences = AlertState.silences

    def meeting(self, now):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # the other run is (rightly) still waiting for the lock
        return real_silences(self, now)

    monkeypatch.setattr(AlertState, "silences", meeting)
    with smtp_server() as (port, box):
        settings = settings_for(tmp_path / "s.sqlite", port)
        errors: list[BaseException] = []

        def one_run():
            try:
                alerts_cli.notify_results(settings, [DOWN], NOW, io.StringIO(), backoff_s=0)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=one_run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        assert len(box.messages) == 1 and "Monitor ohlcv DOWN" in box.messages[0]["Subject"]


def test_outbox_rows_are_claimed_by_one_run_only(tmp_path):
    path = tmp_path / "s.sqlite"
    with AlertState(path) as st:
        st.enqueue(["webhook"], "s", '{"subject": "s", "text": "t", "key": "k"}', NOW)
    a = database.open_read_only(path)  # two plain connections, no file lock: the claim alone must hold
    a.close()
    one, two = sqlite3.connect(path, isolation_level=None), sqlite3.connect(path, isolation_level=None)
    one.row_factory = two.row_factory = sqlite3.Row
    t = NOW.timestamp()
    assert [i.key for i in outbox.claim(one, "webhook", "run-1", t, 900)] == ["k"]
    assert outbox.claim(two, "webhook", "run-2", t + 1, 900) == []  # taken
    assert [i.key for i in outbox.claim(two, "webhook", "run-2", t + 901, 900)] == ["k"]  # run-1 died long ago
    one.close()
    two.close()


KILLER = """
import io, os, signal, sys
from datetime import datetime, timedelta, UTC
sys.path.insert(0, {root!r})
from cli import alerts as alerts_cli
from lib.alerting import messages, rules as alerts, settings as alert_settings
NOW = datetime(2025, 12, 7, 3, 0, tzinfo=UTC)
down = alerts.RuleResult("monitor_down", alerts.FIRING, "Monitor ohlcv DOWN", "HTTP 429", key="ohlcv",
                         since=NOW - timedelta(hours=1))
settings = alert_settings.load({env!r}, {{}})
messages.compose = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)  # killed between state and outbox
alerts_cli.notify_results(settings, [down], NOW, io.StringIO())
"""


def test_a_kill_between_the_state_update_and_the_outbox_loses_nothing(tmp_path):
    """A run killed after deciding what is new but before queueing its message leaves no trace: the next
    run sends it (the decision and the queueing are one transaction)."""
    with smtp_server() as (port, box):
        settings = settings_for(tmp_path / "s.sqlite", port)
        env = {
            "DESK_ALERT_STATE": str(settings.state_path),
            "DESK_ALERT_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "DESK_ALERT_EMAIL_FROM": "desk@example.com",
            "DESK_ALERT_EMAIL_TO": "pm@example.com",
        }
        proc = subprocess.run(
            [sys.executable, "-c", KILLER.format(root=str(ROOT), env=env)], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == -9, proc.stderr  # it was killed, not finished
        assert box.messages == []
        alerts_cli.notify_results(settings, [DOWN], NOW + timedelta(minutes=1), io.StringIO(), backoff_s=0)
        assert len(box.messages) == 1 and box.messages[0]["Subject"] == "[Desk Monitor] FIRING: Monitor ohlcv DOWN"


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_or_truncated_file_is_moved_aside_and_a_fresh_one_started(tmp_path, damage):
    path = tmp_path / "s.sqlite"
    with AlertState(path) as st:
        st.update([DOWN], NOW)
        st.db.executemany(
            "INSERT INTO history (at, id, rule, severity, kind, since, subject, detail) VALUES (?,?,?,?,?,?,?,?)",
            [(NOW.timestamp(), f"x{i}", "x", "warning", FIRED, None, "s" * 200, "d" * 400) for i in range(300)],
        )
    raw = path.read_bytes()
    damaged = b"not a database at all " * 100 if damage == "garbage" else raw[: len(raw) // 2]
    path.write_bytes(damaged)
    with AlertState(path) as st:
        assert st.note is not None and "moved aside to s.sqlite.corrupt-" in st.note and "fresh one started" in st.note
        assert st.active() == []
    aside = list(tmp_path.glob("s.sqlite.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged  # kept for a post-mortem
    with AlertState(path) as st:
        assert st.note is None  # the fresh file is sound


def test_a_held_lock_makes_a_run_wait_then_give_up_with_a_clear_message(tmp_path):
    path = tmp_path / "s.sqlite"
    AlertState(path).close()
    fd = os.open(database.lock_path(path), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.pwrite(fd, b"4242\n", 0)
    try:
        with pytest.raises(StateBusy, match=r"held by another alerts run \(process 4242\)"):
            AlertState(path, wait_s=0.2)
    finally:
        os.close(fd)
    AlertState(path, wait_s=0.2).close()  # released: the next run gets it


def test_a_state_path_that_is_not_a_file_is_refused_before_anything_is_decided(tmp_path):
    (tmp_path / "dir.sqlite").mkdir()
    with pytest.raises(StateUnusable, match="is not a regular file"):
        AlertState(tmp_path / "dir.sqlite")


def test_prune_deletes_settled_messages_and_history_older_than_keep_days(tmp_path):
    old, recent = NOW - timedelta(days=40), NOW - timedelta(days=5)
    with AlertState(tmp_path / "s.sqlite") as st:
        for when in (old, recent):
            st.update([dataclasses.replace(DOWN, since=None)], when)
            st.update([alerts.RuleResult("monitor_down", alerts.OK, "ok", key="ohlcv")], when + timedelta(hours=1))
            st.enqueue(["email"], "s", '{"subject": "s", "text": "t", "key": "k"}', when)
            st.enqueue(["webhook"], "s", '{"subject": "s", "text": "t", "key": "k"}', when)
            st.settle(st.claim("email", when)[0], when, True, None, 1, False)
        st.silence("sync_lag", old + timedelta(hours=2), "old", old)
        assert len(st.history(old - timedelta(days=1), NOW)) == 4
        pruned = st.prune(NOW, keep_days=30)
        assert pruned == {"messages": 1, "history": 2, "silences": 1}
        assert [e.at.date() for e in st.history(old - timedelta(days=1), NOW)] == [recent.date()] * 2
        rows = st.db.execute("SELECT channel, status, created FROM outbox ORDER BY nid").fetchall()
        # the old undelivered webhook message is not pruned (it expires through the outbox's own rule)
        assert [(r[0], r[1]) for r in rows] == [("webhook", "queued"), ("email", "delivered"), ("webhook", "queued")]


@pytest.mark.parametrize(
    "raw, ok", [("30", 30), ("3650", 3650), ("6", None), ("３０", None), ("1_0", None), ("1e2", None), ("-5", None)]
)
def test_keep_days_is_a_config_key_read_strictly(raw, ok):
    if ok is None:
        with pytest.raises(config.ConfigError, match="keep_days"):
            alert_settings.load({"DESK_ALERT_KEEP_DAYS": raw}, {})
    else:
        assert alert_settings.load({"DESK_ALERT_KEEP_DAYS": raw}, {}).keep_days == ok
        assert alert_settings.load({}, {"keep_days": int(raw)}).keep_days == ok
    assert alert_settings.load({}, {}).keep_days == config.ALERT_KEEP_DAYS


OLD_SCHEMA = """
CREATE TABLE alerts (id TEXT PRIMARY KEY, rule TEXT NOT NULL, severity TEXT NOT NULL, first_seen REAL NOT NULL,
    since REAL, state TEXT NOT NULL, notified INTEGER NOT NULL DEFAULT 0, last_notified REAL,
    subject TEXT NOT NULL, detail TEXT NOT NULL, last_seen REAL NOT NULL);
CREATE TABLE history (at REAL NOT NULL, id TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL,
    kind TEXT NOT NULL, since REAL, subject TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE silences (sid INTEGER PRIMARY KEY AUTOINCREMENT, pattern TEXT NOT NULL, created REAL NOT NULL,
    until REAL NOT NULL, reason TEXT NOT NULL);
CREATE TABLE outbox (nid INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, created REAL NOT NULL,
    subject TEXT NOT NULL, message TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, delivered REAL);
INSERT INTO outbox (channel, created, subject, message, delivered) VALUES ('email', 1, 'a', '{"subject":"a","text":"t"}', 2);
INSERT INTO outbox (channel, created, subject, message) VALUES ('webhook', 1, 'b', '{"subject":"b","text":"t"}');
"""


def test_a_file_from_the_previous_version_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.close()
    with AlertState(path) as st:
        assert st.outbox_counts() == {"webhook": 1}
        rows = st.db.execute("SELECT status, idem_key FROM outbox ORDER BY nid").fetchall()
        assert [r[0] for r in rows] == ["delivered", "queued"] and all(r[1] for r in rows)
        assert st.acks() == {}


def test_the_daily_report_reads_history_read_only_without_waiting_for_the_lock(tmp_path):
    from lib.alerting.store import status

    path = tmp_path / "s.sqlite"
    with AlertState(path) as st:
        st.update([DOWN], NOW)
        before = path.read_bytes()
        events = status.day_history(path, NOW.date())  # while this run holds the lock
    assert [(e.kind, e.id) for e in events] == [(FIRED, "monitor_down:ohlcv")]
    assert path.read_bytes() == before and status.day_history(tmp_path / "missing.sqlite", NOW.date()) is None
