"""`python -m cli daily` and `weekly` on the demo desk: the playbook's 2025-12-07, content asserted."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

import cli as command_line
from lib.book import pnl
from lib.tracking import classification as te
from lib.tracking import daily as te_daily
from lib.tracking import snapshot as te_snapshot
from queries.book import overview
from queries.tracking import tracking_error
from tests.alert_servers import email_parts, smtp_server


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
    # a snapshot is named at the end of its hour, as on every surface
    assert "FIRING [warning] 3 missing positions at 2025-12-07 02:00 hour (positions as of 03:00 UTC)" in out
    assert "Tracking error · snapshot 2025-12-07 02:00 hour (positions as of 03:00 UTC) vs T+2 targets" in out
    assert re.search(r"Drawdown\s+current −\d+\.\d\d% from the 2025-\d\d-\d\d peak", out)  # names its peak
    assert re.search(r"fees −\$[\d,]+ = \d\.\d\d bp of notional", out)  # a cost is negative
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
        ("Rebalance complete", False),  # 88.0% by 00:15 UTC: ARB rejected, WLD and BCH closed, AAVE traded away
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
    assert "<link" not in html and "@import" not in html and "<svg" not in html
    sources = re.findall(r'src="([^"]*)"', html)  # nothing fetched: the charts are PNG data URIs
    # PnL components, equity, TE history and the rebalance's checkpoints
    assert len(sources) == 4 and all(s.startswith("data:image/png;base64,") for s in sources)
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
    assert_report_email(mail, criteria=6, charts=4)  # + Rebalance complete, + the rebalance's checkpoints
    assert "Missing (3): ARB, WLD, BCH" in mail.get_body(preferencelist=("plain",)).get_content()


def assert_report_email(mail, criteria: int, charts: int = 3) -> None:
    """What mail clients need: the charts as PNG parts the HTML names by cid:, no SVG, the verdicts in both."""
    assert mail.get_content_type() == "multipart/alternative"
    plain, related_part = mail.get_payload()
    assert plain.get_content_type() == "text/plain" and related_part.get_content_type() == "multipart/related"
    text, html, related = email_parts(mail)
    cids = re.findall(r'src="cid:([^"]+)"', html)
    assert len(cids) == charts and len(set(cids)) == charts and set(cids) == set(related)
    for cid in cids:
        mime, data = related[cid]
        assert mime == "image/png" and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000, cid
    assert "<svg" not in html.lower() and "<script" not in html.lower()
    assert not re.findall(r'src="(?!cid:)', html)  # nothing else to fetch
    # the same verdicts in both parts: (PASS|FAIL|N/A, criterion)
    in_html = re.findall(r">(PASS|FAIL|N/A)</span></td><td[^>]*>([^<]+)</td>", html)
    in_text = [(m, c.strip()) for m, c in re.findall(r"^  (PASS|FAIL|N/A)  (.{18})", text, re.M)]
    assert len(in_html) == criteria and in_html == in_text


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
    assert code == 0 and "<svg" not in out and "<script" not in out
    assert len(re.findall(r'src="data:image/png;base64,', out)) == 3  # returns, TE per day, the model waterfall


def test_weekly_send_carries_its_charts_as_png(run_cli, monkeypatch):
    with smtp_server() as (port, box):
        monkeypatch.setenv("DESK_ALERT_SMTP_URL", f"smtp://127.0.0.1:{port}")
        monkeypatch.setenv("DESK_ALERT_EMAIL_FROM", "desk@example.com")
        monkeypatch.setenv("DESK_ALERT_EMAIL_TO", "pm@example.com")
        code, out, err = run_cli("weekly", "--week-ending", "2025-12-14", "--send")
    assert code == 0, err
    text, html, related = email_parts(box.messages[0])
    cids = re.findall(r'src="cid:([^"]+)"', html)
    assert len(cids) == 3 and all(related[c][0] == "image/png" and len(related[c][1]) > 5_000 for c in cids)
    assert "<svg" not in html and "Repeat offenders" in text


def test_daily_report_prints_no_local_path(run_cli, tmp_path, monkeypatch):
    """The footer said "no alert state at /opt/desk/data/alerts.sqlite": a local path in a mailed report."""
    state = tmp_path / "private-dir" / "alerts.sqlite"
    monkeypatch.setenv("DESK_ALERT_STATE", str(state))
    for fmt_name in ("text", "html", "json"):
        code, out, err = run_cli("daily", "--date", "2025-12-07", "--format", fmt_name)
        assert code == 0, err
        assert "private-dir" not in out and str(tmp_path) not in out, fmt_name
        assert "no alert state" in out and "has not run" in out, fmt_name


def test_daily_minutes_down_at_heartbeat_resolution(run_cli, engine):
    """The demo's sync monitor reports two error beats on 2025-12-07, each followed a minute later by an OK beat:
    2 minutes DOWN, not two whole 5-minute buckets (10)."""
    code, out, err = run_cli("daily", "--date", "2025-12-07", "--format", "json")
    assert code == 0, err
    monitors = {m["monitor"]: m for m in json.loads(out)["monitors"]}
    # independently: the live rule between consecutive raw beats (DOWN after an error until the next beat, or
    # after 10 silent intervals of 60 s)
    lo, hi = datetime(2025, 12, 7, tzinfo=UTC), datetime(2025, 12, 8, tzinfo=UTC)
    rows = engine.query(
        "SELECT DISTINCT monitor, ts, lower(status) = 'ok' FROM maicro_monitors.monitor_heartbeat "
        "WHERE ts >= '2025-12-06 00:00:00' AND ts < '2025-12-08 00:00:00' ORDER BY monitor, ts"
    ).result_rows
    beats: dict[str, list] = {}
    for monitor, ts, ok in rows:
        beats.setdefault(monitor, []).append((ts.replace(tzinfo=UTC), ok))
    for monitor, seq in beats.items():
        down = 0.0
        for (ts, ok), nxt in zip(seq, [b[0] for b in seq[1:]] + [hi]):
            begin = ts if not ok else ts + timedelta(seconds=600)
            down += max(0.0, (min(nxt, hi) - max(begin, lo)).total_seconds())
        assert monitors[monitor]["down_min"] == pytest.approx(down / 60, abs=0.05), monitor
    assert monitors["sync"]["down_min"] == 2 and monitors["sync"]["ok_share"] == pytest.approx(1 - 2 / 1440, abs=1e-4)
    code, out, err = run_cli("daily", "--date", "2025-12-07")
    assert "sync DOWN 2 min" in out


def test_the_daily_report_documents_its_return_as_chained_time_weighted():
    """The module said "Modified Dietz"; the return it reports is the chained time-weighted one (each interval
    between snapshots net of its flows, chained: queries.book.overview.equity_series)."""
    from lib.reports import daily as daily_report

    doc = " ".join((daily_report.__doc__ or "").split())
    assert "Modified Dietz" not in doc and "chained time-weighted return" in doc
