"""`python -m cli alerts` on the demo desk (session engine), with real SMTP and webhook receivers on loopback."""

from __future__ import annotations

import json

import pytest

import cli as command_line
from lib.alerting import rules as alerts
from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import ClientSettings, endpoint_from_url
from lib.clickhouse.errors import QueryFailed
from queries.engine.run import use_client
from tests.alert_servers import http_receiver, smtp_server

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
    assert all(set(a) == {"rule", "severity", "state", "since", "subject", "detail"} for a in report["alerts"])
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
    assert rules["te_high"]["subject"] == "Tracking error 0.76% at 2025-12-15 02:00 UTC"
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
        assert hook["text"] == text.rstrip("\n")  # the same words on both channels
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
