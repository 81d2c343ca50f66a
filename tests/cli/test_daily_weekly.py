"""`python -m cli daily` and `weekly` on the demo desk: the playbook's 2025-12-07, content asserted."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

import cli as command_line
from lib.book import pnl
from lib.tracking import classification as te
from lib.tracking import daily as te_daily
from lib.tracking import snapshot as te_snapshot
from queries.book import overview
from queries.tracking import tracking_error
from tests.alert_servers import smtp_server


@pytest.fixture
def run_cli(desk_client, fresh_caches, capsys, monkeypatch, tmp_path):
    for k in ("DESK_ALERT_SMTP_URL", "DESK_ALERT_EMAIL_FROM", "DESK_ALERT_EMAIL_TO", "DESK_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("DESK_ALERT_STATE", str(tmp_path / "alerts.sqlite"))

    def run(*argv: str):
        code = command_line.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_daily_text_2025_12_07_names_the_missing_and_the_te(run_cli):
    code, out, err = run_cli("daily", "--date", "2025-12-07")
    assert code == 0, err
    assert "Desk daily report · 2025-12-07 (UTC day)" in out
    assert "TE 2.37% · active share" in out
    assert "Missing (3): ARB, WLD, BCH" in out
    assert "3 missing positions (ARB, WLD, BCH)" in out  # the day story, as the TE page tells it
    assert re.search(r"FAIL  Missing positions\s+3 \(ARB, WLD, BCH\)\s+target ≤ 2", out)
    assert re.search(r"PASS  Tracking error\s+2\.37%", out)
    assert "FIRING [warning] 3 missing positions at 2025-12-07 02:00 UTC" in out
    assert "no alert state" in out  # the watcher never ran in this test


def test_daily_json_matches_independent_computations(run_cli):
    code, out, err = run_cli("daily", "--date", "2025-12-07", "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    assert r["names"]["MISSING_POSITION"] == ["ARB", "WLD", "BCH"]
    assert round(r["te"] * 100, 2) == 2.37
    # the TE is the TE page's: classify the timeline's day independently
    day = date(2025, 12, 7)
    rows = tracking_error.timeline(day, day, 2)
    assert r["te"] == pytest.approx(te.snapshot_te(te.classify(rows))["te"], abs=1e-12)
    # PnL is the Overview decomposition; deposits are not PnL
    w = overview.pnl_window(day, day).row(0, named=True)
    parts = pnl.decompose(w)
    assert r["pnl_total"] == pytest.approx(parts["total"]) and r["equity_end"] == pytest.approx(w["equity_end"])
    comps = r["components"]
    assert sum(comps.values()) == pytest.approx(r["pnl_total"])  # parts + residual reconcile to the total
    assert r["n_fills"] == 53 and r["n_untracked"] == 0
    assert [(v["criterion"], v["ok"]) for v in r["verdicts"]] == [
        ("Tracking error", True),
        ("Missing positions", False),
        ("Rebalance window", True),
        ("Fees", True),
        ("Data freshness", True),
        ("Rebalance complete", False),  # 90.3% by 00:15 UTC: ARB rejected, WLD and BCH closed, AAVE short
    ]
    assert [a["rule"] for a in r["day_alerts"]] == ["missing_positions", "rebalance_late"]
    # the rebalance section is answers.rebalance.completion's, the alert's own numbers
    reb = r["rebalance"]
    assert reb["target_date"] == "2025-12-05" and [o["sym"] for o in reb["open"]][:3] == ["ARB", "BCH", "WLD"]
    assert reb["progress"] == pytest.approx(reb["checkpoints"]["00:15"]) and reb["progress"] < 0.95
    assert r["preflight"]["target_date"] == "2025-12-14" and r["preflight"]["passed"] is True


def test_daily_html_is_a_self_contained_email(run_cli, tmp_path):
    path = tmp_path / "daily.html"
    code, out, err = run_cli("daily", "--date", "2025-12-07", "--format", "html", "-o", str(path))
    assert code == 0, err
    html = path.read_text()
    assert html.startswith("<!doctype html>") and "<script" not in html.lower()
    assert "<link" not in html and "src=" not in html and "@import" not in html  # nothing fetched
    assert html.count("<svg") >= 3
    assert "ARB, WLD, BCH" in html and "2.37%" in html and ">FAIL<" in html and ">PASS<" in html
    assert "Rebalance · 2025-12-07 00:00 UTC" in html and "1 order rejected (first at 00:01:05 UTC)" in html
    assert "Next targets, checked before they trade" in html
    assert not re.search("[\U0001f300-\U0001faff\u2705\u274c]", html)  # no emoji: the desk has no emoji font


def test_daily_send_emails_text_and_html(run_cli, monkeypatch):
    with smtp_server() as (port, box):
        monkeypatch.setenv("DESK_ALERT_SMTP_URL", f"smtp://127.0.0.1:{port}")
        monkeypatch.setenv("DESK_ALERT_EMAIL_FROM", "desk@example.com")
        monkeypatch.setenv("DESK_ALERT_EMAIL_TO", "pm@example.com")
        code, out, err = run_cli("daily", "--date", "2025-12-07", "--send")
    assert code == 0, err
    mail = box.messages[0]
    # the day runs from the last account snapshot at or before Dec 7 00:00 to the last at or before Dec 8 00:00
    assert mail["Subject"] == "[Desk Monitor] Daily report 2025-12-07: 2 failed · PnL −$6,457"
    assert "Missing (3): ARB, WLD, BCH" in mail.get_body(preferencelist=("plain",)).get_content()
    assert "<svg" in mail.get_body(preferencelist=("html",)).get_content()


def test_daily_errors(run_cli, monkeypatch):
    code, out, err = run_cli("daily", "--date", "2025-13-01")
    assert code == 2 and "not a real calendar date" in err
    code, out, err = run_cli("daily", "--date", "2025-12-07", "--send")
    assert code == 2 and "--send needs the email channel" in err
    from lib.clickhouse.errors import QueryFailed
    from queries.health import health

    def broken(*a, **k):
        raise QueryFailed("unreachable", "http://db.example:8123", "connection refused")

    monkeypatch.setattr(health, "data_as_of", broken)
    code, out, err = run_cli("daily", "--date", "2025-12-07")
    assert code == 3 and "ClickHouse unreachable" in err and out == ""


def test_weekly_report(run_cli):
    code, out, err = run_cli("weekly", "--week-ending", "2025-12-14", "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    days = [d for d, _ in r["te_days"]]
    assert days[0] == "2025-12-08" and days[-1] == "2025-12-14" and len(days) == 7
    # TE trend from the TE page's daily TE
    tl = tracking_error.timeline(date(2025, 12, 8), date(2025, 12, 14), 2)
    daily = te_daily.daily_te(te_snapshot.classify_days(tl), te_daily.calendar(date(2025, 12, 8), date(2025, 12, 14)))
    assert r["te_max"] == pytest.approx(daily["te"].max()) and r["te_mean"] == pytest.approx(daily["te"].mean())
    assert r["days_above"] == int((daily["te"] > 0.03).sum())
    assert r["week"]["n_days"] == 7 and r["month"]["n_days"] >= 20
    assert r["n_fills"] > 0 and 0 < r["fee_bps"] < 10 and r["gross_range"][0] <= r["gross_range"][1]
    code, out, err = run_cli("weekly", "--week-ending", "2025-12-14")
    assert code == 0 and "Desk weekly risk report · 2025-12-08 – 2025-12-14" in out and "Repeat offenders" in out
    code, out, err = run_cli("weekly", "--week-ending", "2025-12-14", "--format", "html")
    assert code == 0 and "<svg" in out and "<script" not in out
