"""`python -m cli alerts` on the demo desk (session engine), with real SMTP and webhook receivers on loopback."""

from __future__ import annotations

import json

import pytest

import cli as command_line
from lib.alerting import rules as alerts
from lib.alerting.channels import slack_text
from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import ClientSettings, endpoint_from_url
from lib.clickhouse.errors import QueryFailed
from queries.engine.run import use_client
from tests.alert_servers import http_receiver, smtp_server
from tests.fault_servers import free_port

CHANNEL_ENV = (
    "DESK_ALERT_SMTP_URL",
    "DESK_ALERT_EMAIL_FROM",
    "DESK_ALERT_EMAIL_TO",
    "DESK_ALERT_WEBHOOK_URL",
    "DESK_ALERT_RESEND_API_KEY",
    "DESK_ALERT_MARGIN_USED_MAX",
)


@pytest.fixture
def run_cli(desk_client, fresh_caches, capsys, monkeypatch, tmp_path):
    for k in CHANNEL_ENV:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("DESK_ALERT_STATE", str(tmp_path / "alerts.sqlite"))

    def run(*argv: str):
        code = command_line.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def by_rule(report):
    return {a["rule"]: a for a in report["alerts"]}


def test_check_json_on_the_demo_desk(run_cli):
    code, out, err = run_cli("alerts", "check", "--json")
    report = json.loads(out)  # one JSON object
    assert code == 1, err  # the demo's data is old: stale data fires
    assert set(report) == {"checked_at", "alerts"}
    assert all(set(a) == {"rule", "severity", "state", "since", "subject", "detail", "ack"} for a in report["alerts"])
    rules = by_rule(report)
    assert {r.split(":")[0] for r in rules} == set(alerts.SPECS)
    assert rules["clickhouse"]["state"] == "ok"
    stale = rules["data_stale:account"]
    assert stale["state"] == "firing" and stale["severity"] == "critical"
    assert stale["since"] == "2025-12-15T12:00:02.042000Z"  # newest snapshot 11:45:02.042 + 15 min
    # the demo ends with ohlcv down (error beat) and every sync table failing twice in a row
    assert rules["monitor_down:ohlcv"]["state"] == "firing" and "HTTP 429" in rules["monitor_down:ohlcv"]["detail"]
    assert rules["sync_failing:maicro_monitors.trades"]["state"] == "firing"
    # day rules judge the newest data's day (2025-12-15), with the pages' own numbers
    assert rules["te_high"]["subject"] == "Tracking error 0.76% at 2025-12-15 02:00 hour (positions as of 03:00 UTC)"
    assert rules["missing_positions"]["state"] == "ok"
    # the demo's scripted 2025-12-14 traded the D-1 targets (dated Dec 13), which are Dec 15's D-2 targets:
    # the book already holds them, nothing had to trade on Dec 15 (answers.rebalance.completion), and the rule
    # says so instead of calling a rebalance with no fills late
    late = rules["rebalance_late"]
    assert late["state"] == "ok" and late["subject"] == "Rebalance of 2025-12-15: nothing to trade"
    # the next targets (dated Dec 14) pass their pre-trade checks
    assert rules["targets_preflight"]["state"] == "ok"
    assert rules["targets_preflight"]["subject"] == "Targets dated 2025-12-14 pass the pre-trade checks (on landing)"
    assert rules["margin_used"]["subject"] == "Margin used 48.9% of equity"
    assert rules["fees_high"]["state"] == "ok" and rules["fees_high"]["subject"] == "No traded notional on 2025-12-15"


def test_notify_sends_once_then_nothing_then_the_resolution(run_cli, monkeypatch):
    with smtp_server() as (port, box), http_receiver() as (url, rec):
        monkeypatch.setenv("DESK_ALERT_SMTP_URL", f"smtp://127.0.0.1:{port}")
        monkeypatch.setenv("DESK_ALERT_EMAIL_FROM", "desk@example.com")
        monkeypatch.setenv("DESK_ALERT_EMAIL_TO", "pm@example.com")
        monkeypatch.setenv("DESK_ALERT_WEBHOOK_URL", f"{url}/hook")
        monkeypatch.setenv("DESK_ALERT_MARGIN_USED_MAX", "0.30")  # 48.9% margin used fires
        code, out, err = run_cli("alerts", "check", "--notify", "--json")
        assert code == 1 and "notify: sent" in err
        assert len(box.messages) == 1 and len(rec.requests) == 1
        text = box.messages[0].get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        assert "FIRING [critical] Monitor ohlcv DOWN" in text and "FIRING [warning] Margin used 48.9%" in text
        hook = rec.requests[0]["json"]
        words, ref = text.rstrip("\n").split("\n\n-- \nref ")  # the email ends with its idempotency key
        assert hook["text"] == slack_text(words) and hook["idempotency_key"] == ref  # the same words on both
        fired = {e["rule"] for e in hook["events"]}
        assert {"monitor_down:ohlcv", "margin_used", "data_stale:account"} <= fired
        assert all(e["kind"] == "firing" for e in hook["events"])

        code, out, err = run_cli("alerts", "check", "--notify")
        assert code == 1 and "nothing new to send" in err
        assert len(box.messages) == 1 and len(rec.requests) == 1  # deduplicated

        monkeypatch.delenv("DESK_ALERT_MARGIN_USED_MAX")  # back to 60%: the margin alert resolves
        code, out, err = run_cli("alerts", "check", "--notify")
        assert len(box.messages) == 2 and len(rec.requests) == 2
        assert box.messages[1]["Subject"] == "[Desk Monitor] RESOLVED: Margin used 48.9% of equity"
        assert [(e["kind"], e["rule"]) for e in rec.requests[1]["json"]["events"]] == [("resolved", "margin_used")]


def test_clickhouse_failure_is_a_firing_alert_and_exit_3(run_cli, monkeypatch):
    from queries.health import health

    def broken(*a, **k):
        raise QueryFailed("unreachable", "http://db.example:8123", "[Errno 111] Connection refused")

    monkeypatch.setattr(health, "data_as_of", broken)
    code, out, err = run_cli("alerts", "check", "--json")
    assert code == 3 and "ClickHouse unreachable" in err and "Traceback" not in err
    rules = by_rule(json.loads(out))
    assert rules["clickhouse"]["state"] == "firing"
    assert rules["clickhouse"]["subject"] == "Dashboard cannot read ClickHouse"
    assert "Connection refused" in rules["clickhouse"]["detail"]
    assert {a["state"] for r, a in rules.items() if r != "clickhouse"} == {"not evaluated"}


def test_missing_tables_are_not_evaluated(run_cli, desk_url):
    client = DeskClient(
        ClientSettings(
            primary=endpoint_from_url(desk_url),
            table_overrides={
                "sync_log": "maicro_monitors.no_such_sync_log",
                "heartbeat": "maicro_monitors.no_such_heartbeat",
            },
        )
    )
    with use_client(client):
        code, out, err = run_cli("alerts", "check", "--json")
    rules = by_rule(json.loads(out))
    assert code == 1  # still exit 1 (stale data), not 3: a missing table is not an outage
    for rule in ("sync_failing", "monitor_down"):
        assert rules[rule]["state"] == "not evaluated" and "not available on this ClickHouse" in rules[rule]["detail"]
    assert rules["clickhouse"]["state"] == "ok" and rules["te_high"]["state"] == "ok"


@pytest.mark.parametrize(
    "argv, env, message",
    [
        (["alerts", "check", "--notify"], {}, "--notify needs a channel"),
        (["alerts", "check"], {"DESK_ALERT_TE_MAX": "abc"}, "alert threshold te_max must be a number"),
        (["alerts", "check"], {"DESK_ALERT_SMTP_URL": "http://mail"}, "the SMTP URL must look like smtp://"),
        (["alerts", "watch", "--every", "1"], {}, "--every must be between 5 and 86400"),
        (["alerts"], {}, "required"),
    ],
)
def test_bad_arguments_and_configuration_exit_2(run_cli, monkeypatch, argv, env, message):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    code, out, err = run_cli(*argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_watch_checks_and_notifies(run_cli, monkeypatch):
    with http_receiver() as (url, rec):
        monkeypatch.setenv("DESK_ALERT_WEBHOOK_URL", f"{url}/hook")
        code, out, err = run_cli("alerts", "watch", "--every", "5", "--runs", "1")
    assert code == 0 and "watch: check exited 1" in err
    assert len(rec.requests) == 1 and "Monitor ohlcv DOWN" in rec.requests[0]["json"]["text"]


def test_silence_mutes_a_rule_for_the_next_checks(run_cli, monkeypatch):
    with http_receiver() as (url, rec):
        monkeypatch.setenv("DESK_ALERT_WEBHOOK_URL", f"{url}/hook")
        code, out, err = run_cli("alerts", "silence", "monitor_down", "--for", "2h", "--reason", "binance maintenance")
        assert code == 0 and "monitor_down muted until" in out
        code, out, err = run_cli("alerts", "silences")
        assert "monitor_down" in out and "binance maintenance" in out
        code, out, err = run_cli("alerts", "check", "--notify")
        assert "[silenced until" in out
        rules = {e["rule"] for e in rec.requests[0]["json"]["events"]}
        assert "data_stale:account" in rules and not any(r.startswith("monitor_down") for r in rules)
    assert run_cli("alerts", "silence", "nosuchrule", "--for", "1h")[0] == 2
    assert run_cli("alerts", "silence", "monitor_down", "--for", "soon")[0] == 2
    assert run_cli("alerts", "unsilence", "1")[1].startswith("silence 1 ended")


# ------------------------------------------------------------------ the pipeline's own failures


@pytest.fixture
def webhook(monkeypatch):
    with http_receiver() as (url, rec):
        monkeypatch.setenv("DESK_ALERT_WEBHOOK_URL", f"{url}/hook")
        yield rec


def unreachable(monkeypatch):
    from lib.clickhouse.client import reset_default_client

    monkeypatch.setenv("CLICKHOUSE_URL", f"http://reader:pw@127.0.0.1:{free_port()}/maicro_monitors")
    reset_default_client()


def test_clickhouse_down_when_the_check_starts_is_evaluated_and_sent(run_cli, monkeypatch, webhook):
    unreachable(monkeypatch)
    code, out, err = run_cli("alerts", "check", "--notify")
    assert code == 3 and "Traceback" not in err
    assert "FIRING" in out and "Dashboard cannot read ClickHouse" in out  # stdout says what fires
    assert len(webhook.requests) == 1
    sent = webhook.requests[0]["json"]
    assert sent["subject"] == "[Desk Monitor] FIRING: Dashboard cannot read ClickHouse"
    assert [(e["kind"], e["rule"]) for e in sent["events"]] == [("firing", "clickhouse")]
    assert "Connection refused" in sent["events"][0]["detail"] and "pw" not in json.dumps(sent)
    code, out, err = run_cli("alerts", "check", "--notify", "--json")  # still down: not sent twice
    assert code == 3 and len(webhook.requests) == 1
    assert by_rule(json.loads(out))["clickhouse"]["state"] == "firing"


def test_watch_keeps_evaluating_through_an_outage_and_sends_the_recovery(run_cli, monkeypatch, webhook, desk_url):
    from cli import alerts as alerts_cli
    from lib.clickhouse.client import reset_default_client

    unreachable(monkeypatch)

    def back_up(seconds, stop):  # between the passes, ClickHouse comes back
        monkeypatch.setenv("CLICKHOUSE_URL", desk_url)
        reset_default_client()

    monkeypatch.setattr(alerts_cli, "pause", back_up)
    code, out, err = run_cli("alerts", "watch", "--every", "5", "--runs", "2")
    assert code == 0 and "watch: check exited 3" in err and "watch: check exited 1" in err
    kinds = [[(e["kind"], e["rule"]) for e in r["json"]["events"]] for r in webhook.requests]
    assert kinds[0] == [("firing", "clickhouse")]
    assert ("resolved", "clickhouse") in kinds[1] and ("firing", "monitor_down:ohlcv") in kinds[1]


@pytest.mark.parametrize(
    "duration", ["２h", "1_0h", "1e-9m", "1.5h", "0m", "31d", "99999999d", "2", "h", "-1h", "2 h", "2H"]
)
def test_silence_durations_are_ascii_digits_with_a_unit_and_bounded(run_cli, duration):
    code, out, err = run_cli("alerts", "silence", "monitor_down", f"--for={duration}")
    assert code == 2 and "--for must" in err and "Traceback" not in err
    assert run_cli("alerts", "silences")[1].strip() == "no active silence"


def test_muting_every_rule_needs_all(run_cli):
    for pattern in ("*", "**", "*?*"):
        code, out, err = run_cli("alerts", "silence", pattern, "--for", "1h")
        assert code == 2 and "matches every rule; add --all" in err
    assert run_cli("alerts", "silences")[1].strip() == "no active silence"
    code, out, err = run_cli("alerts", "silence", "*", "--for", "30m", "--all", "--reason", "datacenter move")
    assert code == 0 and "* muted until" in out
    assert run_cli("alerts", "silence", "sync_*", "--for", "1h")[0] == 0  # a glob over some rules is fine
    assert run_cli("alerts", "silence", "bad pattern!", "--for", "1h")[0] == 2


def test_ack_stops_repeats_until_resolution_then_a_new_firing_is_sent(run_cli, monkeypatch):
    """Against a real SMTP server: every check repeats (repeat_hours=0) until `alerts ack`; the acknowledged
    alert is then quiet; it resolves (RESOLVED sent) and when it fires again it is sent as new."""
    with smtp_server() as (port, box):
        monkeypatch.setenv("DESK_ALERT_SMTP_URL", f"smtp://127.0.0.1:{port}")
        monkeypatch.setenv("DESK_ALERT_EMAIL_FROM", "desk@example.com")
        monkeypatch.setenv("DESK_ALERT_EMAIL_TO", "pm@example.com")
        monkeypatch.setenv("DESK_ALERT_REPEAT_HOURS", "0")
        monkeypatch.setenv("DESK_ALERT_MARGIN_USED_MAX", "0.30")  # 48.9% margin used fires

        def mail_text(i):
            return box.messages[i].get_body(preferencelist=("plain",)).get_content()

        assert run_cli("alerts", "check", "--notify")[0] == 1
        assert run_cli("alerts", "check", "--notify")[0] == 1
        assert "STILL FIRING [warning] Margin used 48.9%" in mail_text(1)  # repeats while nobody took it

        code, out, err = run_cli("alerts", "ack", "margin_used", "--by", "alice", "--comment", "cutting leverage")
        assert code == 0 and "acknowledged margin_used by alice" in out
        assert box.messages[2]["Subject"] == "[Desk Monitor] ACKNOWLEDGED: Margin used 48.9% of equity"
        assert "by alice: cutting leverage" in mail_text(2)

        code, out, err = run_cli("alerts", "check", "--notify", "--json")
        margin = by_rule(json.loads(out))["margin_used"]
        assert margin["state"] == "firing" and margin["ack"]["by"] == "alice"
        assert margin["ack"]["comment"] == "cutting leverage" and margin["ack"]["at"].endswith("Z")
        assert by_rule(json.loads(out))["data_stale:account"]["ack"] is None
        assert "STILL FIRING [critical] Monitor ohlcv DOWN" in mail_text(3)  # the others still repeat
        assert "Margin used" not in mail_text(3)  # the acknowledged one does not
        code, out, err = run_cli("alerts", "check")
        assert "[acknowledged by alice]" in out

        monkeypatch.delenv("DESK_ALERT_MARGIN_USED_MAX")  # resolves
        run_cli("alerts", "check", "--notify")
        assert "RESOLVED [warning] Margin used 48.9%" in mail_text(4)
        monkeypatch.setenv("DESK_ALERT_MARGIN_USED_MAX", "0.30")  # fires again: new, and nobody has it
        code, out, err = run_cli("alerts", "check", "--notify", "--json")
        assert "\nFIRING [warning] Margin used 48.9%" in mail_text(5)  # new, not "STILL FIRING"
        assert by_rule(json.loads(out))["margin_used"]["ack"] is None

    assert run_cli("alerts", "ack", "te_high", "--by", "bob")[0] == 2  # not firing: nothing to take
    assert run_cli("alerts", "ack", "margin_used", "--by", "")[0] == 2
    assert run_cli("alerts", "ack", "*", "--by", "bob")[0] == 2  # everything needs --all


def test_a_corrupt_state_file_is_moved_aside_reported_and_alerted(run_cli, webhook, tmp_path):
    (tmp_path / "alerts.sqlite").write_bytes(b"\x00garbage, not SQLite\n" * 50)
    code, out, err = run_cli("alerts", "check", "--notify")
    assert code == 4 and "Traceback" not in err
    assert "note: the alert state file" in err and "moved aside to alerts.sqlite.corrupt-" in err
    assert len(list(tmp_path.glob("alerts.sqlite.corrupt-*"))) == 1
    sent = webhook.requests[0]["json"]
    assert sent["events"][0]["kind"] == "notice" and sent["events"][0]["subject"] == "Alert state started afresh"
    assert "NOTICE [critical] Alert state started afresh" in sent["text"]
    assert any(e["rule"] == "monitor_down:ohlcv" for e in sent["events"])  # the firing alerts, sent again
    assert run_cli("alerts", "check", "--notify")[0] == 1  # the fresh file is fine


def test_a_corrupt_state_file_found_by_another_command_is_still_told(run_cli, webhook, tmp_path):
    (tmp_path / "alerts.sqlite").write_bytes(b"\x00garbage, not SQLite\n" * 50)
    code, out, err = run_cli("alerts", "silences")
    assert code == 4 and "moved aside" in err and "no active silence" in out
    assert run_cli("alerts", "check", "--notify")[0] == 1  # the fresh file is sound ...
    first = webhook.requests[0]["json"]["events"][0]  # ... and the next message says what happened
    assert first["kind"] == "notice" and "moved aside to alerts.sqlite.corrupt-" in first["detail"]
    run_cli("alerts", "check", "--notify")
    assert len(webhook.requests) == 1  # once


def test_watch_survives_an_unusable_state_file_and_alerts_once(run_cli, monkeypatch, webhook, tmp_path):
    from cli import alerts as alerts_cli

    monkeypatch.setenv("DESK_ALERT_STATE", str(tmp_path / "state-dir"))
    (tmp_path / "state-dir").mkdir()  # not a file: nothing can be recorded
    monkeypatch.setattr(alerts_cli, "pause", lambda seconds, stop: None)
    code, out, err = run_cli("alerts", "watch", "--every", "5", "--runs", "3")
    assert code == 0 and err.count("watch: check exited 4") == 3 and "Traceback" not in err
    assert len(webhook.requests) == 1  # once per repeat period, not every pass
    sent = webhook.requests[0]["json"]
    assert sent["events"][0]["subject"] == "Alert state unusable" and "is not a regular file" in sent["text"]
    assert any(e["rule"] == "monitor_down:ohlcv" for e in sent["events"])  # what fires, all the same


def test_read_only_state_file_exits_4_with_a_message_and_an_alert():
    """As a user who cannot write the file (root ignores file modes: the run drops to nobody)."""
    import os
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from lib.alerting.state import AlertState

    tmp_path = Path(tempfile.mkdtemp(prefix="desk-readonly-"))  # under /tmp: reachable by the other user
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    AlertState(state_dir / "alerts.sqlite").close()
    os.chmod(state_dir / "alerts.sqlite", 0o444)
    os.chmod(state_dir, 0o555)
    os.chmod(tmp_path, 0o755)
    root = Path(__file__).resolve().parents[2]
    with http_receiver() as (url, rec):
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "PYTHONDONTWRITEBYTECODE": "1",
            "CLICKHOUSE_URL": f"http://127.0.0.1:{free_port()}/db",
            "DESK_ALERT_STATE": str(state_dir / "alerts.sqlite"),
            "DESK_ALERT_WEBHOOK_URL": f"{url}/hook",
        }
        cmd = [sys.executable, "-m", "cli", "alerts", "check", "--notify"]
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        try:
            proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=120)
        finally:
            os.chmod(state_dir, 0o755)
            shutil.rmtree(tmp_path, ignore_errors=True)
    assert proc.returncode == 4, proc.stderr
    assert "is read-only" in proc.stderr and "nothing was recorded or sent as new" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(rec.requests) == 1
    sent = rec.requests[0]["json"]
    assert sent["events"][0]["subject"] == "Alert state unusable" and "is read-only" in sent["events"][0]["detail"]
    assert ("firing", "clickhouse") in [(e["kind"], e["rule"]) for e in sent["events"]]


def test_every_exit_code_is_documented_in_help_and_readme(capsys):
    from pathlib import Path

    from cli import alerts as alerts_cli

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for argv in (["alerts", "--help"], ["alerts", "check", "--help"], ["alerts", "watch", "--help"]):
        assert command_line.main(argv) == 0
        text = capsys.readouterr().out
        for code in range(6):
            assert f"\n  {code}  " in text, (argv, code)
    assert alerts_cli.EXIT_STATE == 4 and alerts_cli.EXIT_BUSY == 5
    section = readme[readme.index("## Alerts and reports") :]
    for phrase in ("exit 0", "1 something fires", "2 bad arguments", "3 ClickHouse", "4 the alert state", "5 another"):
        assert phrase in section, phrase


def test_a_run_that_cannot_get_the_state_lock_exits_5_and_watch_carries_on(run_cli, monkeypatch, webhook, tmp_path):
    import fcntl
    import os

    from cli import alerts as alerts_cli
    from lib import config
    from lib.alerting.state import AlertState
    from lib.alerting.store import database

    path = tmp_path / "alerts.sqlite"
    AlertState(path).close()
    monkeypatch.setattr(config, "ALERT_LOCK_WAIT_S", 0.2)
    monkeypatch.setattr(alerts_cli, "pause", lambda seconds, stop: None)
    fd = os.open(database.lock_path(path), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another run holds the state file
    try:
        code, out, err = run_cli("alerts", "check", "--notify")
        assert code == 5 and "is held by another alerts run" in err and "Traceback" not in err
        assert "FIRING" in out  # the check still says what fires
        code, out, err = run_cli("alerts", "watch", "--every", "5", "--runs", "2")
        assert code == 0 and err.count("watch: check exited 5") == 2
    finally:
        os.close(fd)
    assert webhook.requests == []  # the holder sends; nothing twice
    assert run_cli("alerts", "check", "--notify")[0] == 1 and len(webhook.requests) == 1
