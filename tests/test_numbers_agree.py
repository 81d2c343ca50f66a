"""Every desk number agrees on every surface that shows it (docs/NUMBERS.md), at two data moments.

The moments are demo desks built with `python -m cli demo --end …`: mid-afternoon, and 00:07 UTC just after
the rebalance's fills, when TE "now" is yesterday's 02:00 snapshot and today's has not closed. chdb binds one
database path per process, so each moment is read in a process of its own (tests/numbers_reader.py): the pages
through AppTest, `python -m cli report / lag / alerts check / daily / weekly` with their JSON. This test only
compares what those surfaces show; it computes nothing of its own beyond formatting a JSON number the way the
page prints it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from lib import clock
from lib import format as fmt
from lib.tracking import classification as te
from lib.tracking import lag as el

ROOT = Path(__file__).resolve().parent.parent
MOMENTS = {"afternoon": "2025-12-08T15:20Z", "after_rebalance": "2025-12-09T00:07Z"}
PAST_BUILD_DAYS, COINS = "40", "35"


def _env(**extra: str) -> dict[str, str]:
    drop = ("CLICKHOUSE_URL", "CLICKHOUSE_SECONDARY_URL", "DESK_TABLES")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("DESK_ALERT_")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def readings(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("numbers")
    builds = {  # the two desks are built side by side (each in its own process)
        name: subprocess.Popen(
            [sys.executable, "-m", "cli", "demo", "--path", str(root / f"{name}.chdb"), "--end", end]
            + ["--days", PAST_BUILD_DAYS, "--coins", COINS],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for name, end in MOMENTS.items()
    }
    procs = {}
    for name, build in builds.items():
        _, err = build.communicate(timeout=180)
        assert build.returncode == 0, err[-3000:]
        desk = root / f"{name}.chdb"
        env = _env(CLICKHOUSE_URL=f"chdb://{desk}", DESK_ALERT_STATE=str(root / name / "alerts.sqlite"))
        out = root / f"{name}.json"
        procs[name] = (
            subprocess.Popen(
                [sys.executable, "-m", "tests.numbers_reader", str(out)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            out,
        )
    got = {}
    for name, (proc, out) in procs.items():
        _, err = proc.communicate(timeout=280)
        assert proc.returncode == 0, err[-3000:]
        got[name] = json.loads(out.read_text())
    return got


@pytest.fixture(params=list(MOMENTS))
def r(request, readings) -> dict:
    return readings[request.param]


def day(text: str) -> date:
    return date.fromisoformat(text[:10])


def ts(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def alert(r: dict, rule: str) -> dict:
    return next(a for a in r["alerts"]["alerts"] if a["rule"] == rule)


def metric(page: dict, label: str) -> str:
    return page["metrics"][label]["value"]


def delta(page: dict, label: str) -> str:
    return page["metrics"][label]["delta"]


def plain(markdown: str) -> str:
    """Markdown as a reader sees it: links as their text, escapes gone."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")  # the word joiners md_text adds


# --------------------------------------------------------------------------------------------- the clock


def test_the_moment_and_the_latest_complete_snapshot(r):
    as_of = ts(r["as_of"])
    assert day(r["te_day"]) == clock.latest_complete_day(as_of, 2)
    if as_of.hour < 3:  # 00:07: today's 02:00 snapshot has not closed; TE "now" is yesterday's
        assert day(r["te_day"]) == day(r["today"]) - timedelta(days=1)
    else:
        assert day(r["te_day"]) == day(r["today"])
    assert "24:00" not in json.dumps(r)  # no label says 24:00, anywhere


def test_no_page_classifies_a_snapshot_that_has_not_closed(r):
    as_of, te_day, today = ts(r["as_of"]), day(r["te_day"]), day(r["today"])
    tep = r["tracking_error"]
    # the category chart and the TE line stop at the latest complete day: no 60-UNPRICED spike, no 2-symbol TE
    for trace in tep["category_counts"]["data"]:
        assert all(day(x) <= te_day for x in trace["x"]), trace["name"]
    assert tep["story_day"] == te_day.isoformat()
    assert f"Daily TE, {te_day}" in tep["metrics"]
    lag_days = {d["date"]: d for d in r["cli_lag"]["days"]}
    strip_days = {x for trace in tep["lag_strip"]["data"] for x in trace["x"]}
    pos_today = r["positions_today"]
    if te_day < today:
        note = clock.pending_note(today, 2, as_of, showing=te_day)
        assert note and note.startswith("today's 02:00 snapshot closes at 03:00 UTC (in ")
        assert any(i.startswith(note[:1].upper() + note[1:]) for i in tep["infos"]), tep["infos"]
        assert lag_days[today.isoformat()]["kind"] == el.PENDING and today.isoformat() not in strip_days
        assert r["cli_report_today"]["exit"] == 2
        daily_today = r["daily_today"]
        assert daily_today["classified"] is False and daily_today["te"] is None
        assert daily_today["te_note"].startswith("today's 02:00 snapshot closes at 03:00 UTC")
        assert any("Today's 02:00 snapshot closes at 03:00 UTC" in w for w in pos_today["warnings"])
        assert not any(te_snapshot_label in pos_today["metrics"] for te_snapshot_label in ("Matched", "Unpriced"))
        assert metric(pos_today, "Snapshot TE (√Σerr²)") == fmt.MISSING
        week = r["weekly_today"]  # a week ending today: today is a gap, said in a note, never averaged
        assert week["te_days"][-1] == [today.isoformat(), None]
        assert f"the snapshots after {te_day} have not closed yet: not classified" in week["notes"]
    else:
        assert r["weekly_today"]["te_days"][-1] == [te_day.isoformat(), pytest.approx(r["cli_report"]["te"]["te"])]
        assert not any("snapshot closes at" in i for i in tep["infos"])
        assert metric(pos_today, "Snapshot TE (√Σerr²)") == metric(r["positions"], "Snapshot TE (√Σerr²)")
    # Positions opens on the latest complete snapshot (any hour)
    d, h = clock.latest_complete(as_of)
    assert r["positions_default"]["query"] == {"date": d.isoformat(), "hour": str(h)}
    assert any(fmt.snapshot_when(d.isoformat(), h) in s for s in r["positions_default"]["subheaders"])


def test_the_24h_preset_is_the_last_24_hours(r):
    as_of = ts(r["as_of"])
    hi = as_of.replace(second=0, microsecond=0) + timedelta(minutes=1)
    lo = hi - timedelta(hours=24)
    span = f"{fmt.utc(lo)} – {fmt.utc(hi)}"
    assert any(span in c for c in r["trades_24h"]["captions"]), r["trades_24h"]["captions"]
    assert f"PnL last 24 h, {fmt.utc(lo)[:-4]} – {fmt.utc(hi)}" in r["overview_24h"]["subheaders"]


# --------------------------------------------------------------------------------------------- tracking error


def test_te_now_and_te_of_the_snapshot(r):
    te_day = r["te_day"]
    value = r["cli_report"]["te"]["te"]
    shown = fmt.pct(value)
    when = fmt.snapshot_when(te_day, 2)
    assert metric(r["overview"], "Tracking error") == shown
    assert when in r["overview"]["metrics"]["Tracking error"]["help"]
    assert metric(r["positions"], "Snapshot TE (√Σerr²)") == shown
    assert metric(r["tracking_error"], f"Daily TE, {te_day}") == shown
    assert alert(r, "te_high")["subject"] == f"Tracking error {fmt.pct(value, 2)} at {when}"
    assert r["daily_te_day"]["te"] == pytest.approx(value, abs=1e-12)
    lag = {d["date"]: d for d in r["cli_lag"]["days"]}
    assert lag[te_day]["te_by_lag"]["2"] == pytest.approx(value, abs=1e-12)  # the sweep's D−2 column
    # the weekly TE list is the same number per day as the sweep's D−2 (one definition, two statements)
    for d, v in r["weekly"]["te_days"]:
        if d in lag and v is not None:
            assert v == pytest.approx(lag[d]["te_by_lag"]["2"], abs=1e-12), d


def test_category_counts(r):
    counts = r["cli_report"]["counts"]
    assert r["daily_te_day"]["counts"] == counts
    shown = {k: int(v["value"]) for k, v in r["positions"]["metrics"].items() if k in LABELS}
    assert {LABELS[k]: v for k, v in shown.items()} == counts
    summary = {row["category"]: row["n"] for row in r["tracking_error"]["summary"]}
    assert summary == {k: v for k, v in counts.items() if v}
    chart = {t["name"]: dict(zip(t["x"], t["y"])) for t in r["tracking_error"]["category_counts"]["data"]}
    for cat, per_day in chart.items():
        assert per_day[r["te_day"]] == counts[cat], cat
    n = counts[te.MISSING_POSITION]
    assert alert(r, "missing_positions")["subject"].startswith(f"{n} missing position")
    for rule, cat in (("wrong_direction", te.WRONG_DIRECTION), ("extra_position", te.EXTRA_POSITION)):
        assert alert(r, rule)["subject"].startswith(f"{counts[cat]} ")


LABELS = {
    "Matched zero": te.MATCHED_ZERO,
    "Missing position": te.MISSING_POSITION,
    "Extra position": te.EXTRA_POSITION,
    "Wrong direction": te.WRONG_DIRECTION,
    "Magnitude error": te.MAGNITUDE_ERROR,
    "Matched": te.MATCHED,
    "Unpriced": te.UNPRICED,
}


def test_active_share(r):
    value = r["cli_report"]["te"]["active_share"]
    assert r["daily_te_day"]["active_share"] == pytest.approx(value, abs=1e-12)
    assert f"active share {fmt.pct(value, 2)}" in alert(r, "te_high")["detail"]
    story = plain(r["tracking_error"]["stories"][r["te_day"]][0])
    assert f"active share {fmt.pct(value, 2)}" in story


FLIPS = re.compile(  # "No flips (…)" on a day without any
    r"(?:Flips|No flips) \(closer to the T\+1 than the T\+2 target, where the two targets differ by more than "
    r"0\.25% of equity\)(?: on \d+ symbols? explain [\d.]+% of Σerr²)?"
)


def test_flips(r):
    """The day story (TE page), the report command's story and the daily report tell the same flips."""
    page = {FLIPS.search(plain(s[0])).group(0) for d, s in r["tracking_error"]["stories"].items() if d == r["te_day"]}
    command = {m.group(0) for m in FLIPS.finditer(r["cli_report_text"])}
    daily = {m.group(0) for b in r["daily_te_day"]["story_bullets"] if (m := FLIPS.search(b))}
    assert page == command == daily and len(page) == 1


def test_effective_lag_strip_verdict_and_command_agree(r):
    days = {d["date"]: d for d in r["cli_lag"]["days"]}
    painted = {x: t["name"] for t in r["tracking_error"]["lag_strip"]["data"] for x in t["x"]}
    for d, row in days.items():
        if row["kind"] == el.PENDING:
            assert d not in painted
        elif row["effective_lag"] is None:
            assert painted[d] == ("no clear lag" if row["best_lag"] is not None else "unknown"), d
        else:
            assert painted[d].startswith(f"D−{row['effective_lag']}"), d
    for d, verdict in r["tracking_error"]["verdicts"].items():
        kind = days[d]["kind"]
        if kind == el.ON_TIME:
            assert "): on time" in verdict, verdict
        else:
            assert verdict.startswith(f"**Verdict: {kind}.**"), verdict


# --------------------------------------------------------------------------------------------- PnL and costs


def test_pnl_today_and_its_return(r):
    """'PnL today' is the new UTC day's after midnight: the Overview, the daily report of today, the alert."""
    d = r["daily_today"]
    assert d["day"] == r["today"]
    assert metric(r["overview"], "PnL today (UTC day)") == fmt.usd(d["pnl_total"], signed=True)
    assert delta(r["overview"], "PnL today (UTC day)") == fmt.pct(d["day_return"], signed=True)
    subject = f"PnL {fmt.usd(d['pnl_total'], signed=True)} ({fmt.pct(d['day_return'], 2, signed=True)}) on {r['today']}"
    assert alert(r, "daily_loss")["subject"] == subject
    assert any(f"**total PnL {fmt.usd(d['pnl_total'], signed=True)}**" in m for m in r["overview_today"]["markdown"])
    if ts(r["as_of"]).hour < 3:
        # 00:07: the only positions round near the end mark (23:59:30) holds the book before the rebalance, so
        # the change in unrealized PnL is unknown, never that round's figure with the rebalance in the residual
        assert d["components"]["unrealized_change"] is None and d["components"]["residual"] is None


def test_pnl_of_a_day_fees_and_funding(r):
    d = r["daily_past"]
    line = next(m for m in r["overview_past"]["markdown"] if "**total PnL" in m)
    assert f"**total PnL {fmt.usd(d['pnl_total'], signed=True)}**" in line
    c = d["components"]
    assert d["fees"] == pytest.approx(c["fees"], rel=1e-9) and d["fees"] < 0  # a cost is negative, everywhere
    assert f"fees {fmt.usd(c['fees'], signed=True)}" in line and f"funding {fmt.usd(c['funding'], signed=True)}" in line
    trades = r["trades_past"]
    assert metric(trades, "Fees") == fmt.usd(d["fees"], signed=True)
    assert delta(trades, "Fees") == f"{d['fee_bps']:.2f} bp of notional"
    today = r["daily_today"]
    assert f"fees {fmt.usd(today['fees'], signed=True)} on" in alert(r, "fees_high")["detail"]
    assert alert(r, "fees_high")["subject"] == f"Fees {today['fee_bps']:.2f} bp on {r['today']}"


def test_slippage_maker_share_and_untracked_fills(r):
    for page, report in ((r["trades_past"], r["daily_past"]), (r["trades_week"], r["weekly"])):
        assert metric(page, "Slippage vs 1h open") == fmt.bps(report["slippage_bps"])
        assert metric(page, "Maker share") == fmt.pct(report["maker_share"], 1)
        assert metric(page, "Untracked fills") == f"{report['n_untracked']:,}"
    w = r["weekly"]
    assert metric(r["trades_week"], "Fees") == fmt.usd(w["fees"], signed=True)
    assert delta(r["trades_week"], "Fees") == f"{w['fee_bps']:.2f} bp of notional"
    n = r["daily_today"]["n_untracked"]
    assert alert(r, "untracked_fills")["subject"].startswith(f"{n} untracked fill")


def test_drawdown_names_its_window_and_peak(r):
    """Overview over the 90 days to today, the drawdown alert and today's daily report: one definition."""
    d = r["daily_today"]
    cur, peak = d["drawdown_current"], ts(d["drawdown_peak_ts"])
    ov = r["overview"]
    assert metric(ov, "Current drawdown") == fmt.pct(cur, signed=True)
    assert delta(ov, "Current drawdown") == fmt.drawdown(cur, peak)[len(fmt.pct(cur, signed=True)) :].strip()
    assert alert(r, "drawdown")["subject"] == f"Drawdown {fmt.drawdown(cur, peak)}"
    assert metric(ov, "Max drawdown") == fmt.pct(d["drawdown_max"], signed=True)
    assert fmt.drawdown(d["drawdown_max"], ts(d["drawdown_max_peak_ts"])) in alert(r, "drawdown")["detail"]
    # the weekly report's week figure is measured within the week: its peak lies in the week
    week = r["weekly"]["week"]
    assert week["max_drawdown"] <= 0
    assert day(r["week_start"]) - timedelta(days=1) <= ts(week["peak_ts"]).date() <= day(r["week_ending"])


# --------------------------------------------------------------------------------------------- risk


def test_margin_leverage_and_liquidation_distance(r):
    m = alert(r, "margin_used")
    assert m["subject"] == f"Margin used {metric(r['overview'], 'Margin used')} of equity"
    assert m["detail"].startswith(f"{metric(r['overview'], 'Margin used (USD)')} of ")
    assert metric(r["overview"], "Leverage").endswith("x")
    closest_ov = r["overview"]["closest"][0]
    closest_pos = min(
        (row for row in r["positions"]["risk"] if row["liq_distance_pct"] is not None),
        key=lambda row: row["liq_distance_pct"],
    )
    assert (closest_ov["coin"], closest_ov["liq_distance_pct"]) == (
        closest_pos["coin"],
        closest_pos["liq_distance_pct"],
    )
    shown = fmt.pct(closest_ov["liq_distance_pct"] / 100, 1)
    assert alert(r, "liquidation_near")["detail"] == f"closest {closest_ov['coin']} {shown} away"


# --------------------------------------------------------------------------------------------- data and health


def test_data_age_and_sync_latency(r):
    as_of = ts(r["as_of"])
    stale = alert(r, "data_stale:account")
    assert f"newest account snapshot {fmt.utc(as_of)}" in stale["detail"]
    assert any(c.startswith(f"Data as of {fmt.utc(as_of)} · ") for c in r["overview"]["captions"])
    tables = {row["Table"]: row for row in r["system_health"]["tables"]}
    assert tables["account"]["Newest row (UTC)"].startswith(fmt.utc(as_of)[:-4])
    assert stale["subject"].endswith(f"newest {tables['account']['Freshness']} old")
    for key, row in tables.items():
        rule = alert(r, f"sync_lag:{key}")
        if row["Latency latest"] == fmt.MISSING:
            assert rule["state"] == "not evaluated"
        else:
            assert rule["subject"] == f"Sync latency of {key} {row['Latency latest']}", key


def test_monitor_down_minutes(r):
    """One rule at heartbeat resolution: the week's seconds DOWN are the sum of its seven days' (daily report)."""
    days = r["daily_week"]
    total: dict[str, float] = {}
    for monitors in days.values():
        for m in monitors:
            total[m["monitor"]] = total.get(m["monitor"], 0.0) + m["down_s"]
    week = r["weekly"]["down_seconds"]
    assert set(week) <= set(total)
    assert {m: round(week.get(m, 0.0), 3) for m in total} == {m: round(v, 3) for m, v in total.items()}
    assert any(total.values())  # the demo's sync monitor has DOWN spells every day
