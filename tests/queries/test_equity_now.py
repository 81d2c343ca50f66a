"""Equity at or below zero is shown as the account reports it, with a warning and an alert (issue 25 §2).

Before: the account reported $0 and then a negative equity for the last 6 hours, and Overview kept showing the
last positive snapshot as "Equity (AUM)" (queries/book/headline.sql picks the last usable mark), with no word and
no alert. A non-positive equity is still not a mark a return can use: the PnL windows and the returns end at the
last positive snapshot, and the page says so.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from answers import alert_inputs
from lib import format as fmt
from lib.alerting import rules as alerts
from lib.book import pnl
from lib.demo import seed_client
from queries.book import overview
from queries.engine.run import use_client
from tests.queries.fixture_desk import create_tables, fixture_client
from ui.shell import router

UTC = UTC
PREFIX = "fxeqz"
SPAN = (datetime(2025, 12, 1, tzinfo=UTC), datetime(2025, 12, 8, 12, tzinfo=UTC))
ZERO_FROM = SPAN[1] - timedelta(hours=6)  # the account reports 0 from here ...
NEGATIVE_FROM = SPAN[1] - timedelta(hours=3)  # ... and a negative equity from here
NEGATIVE = -12_345.5


@pytest.fixture(scope="module")
def fx(engine, desk_url):
    tm = create_tables(engine, PREFIX)
    seed_client(engine, start=SPAN[0], end=SPAN[1], tables=tm)
    table = tm.qualified("account")
    engine.command(
        f"ALTER TABLE {table} UPDATE account_value = if(ts >= toDateTime64('{NEGATIVE_FROM:%Y-%m-%d %H:%M:%S}', 3, "
        f"'UTC'), {NEGATIVE}, 0.) WHERE ts >= toDateTime64('{ZERO_FROM:%Y-%m-%d %H:%M:%S}', 3, 'UTC')",
        settings={"mutations_sync": 2},
    )
    rows = engine.query(f"SELECT ts, account_value, synced_at FROM {table} ORDER BY ts, synced_at").result_rows
    return tm, rows, fixture_client(desk_url, PREFIX)


def truth(rows: list) -> dict:
    """Equity now, its first bad snapshot and the last positive one, straight from the raw rows."""
    by_ts: dict = {}
    for ts, value, synced in rows:  # the newest sync of each snapshot wins
        if ts not in by_ts or synced >= by_ts[ts][1]:
            by_ts[ts] = (value, synced)
    ordered = sorted(by_ts.items())
    newest_ts, (newest_value, _) = ordered[-1]
    usable = [(ts, v) for ts, (v, _) in ordered if v is not None and v == v and v > 0]
    last_ts, last_value = usable[-1]
    since = min(ts for ts, _ in ordered if ts > last_ts)
    return {"ts": newest_ts, "equity": newest_value, "last_ts": last_ts, "last_equity": last_value, "since": since}


def _utc(x: datetime) -> datetime:
    return x.replace(tzinfo=UTC) if x.tzinfo is None else x


def test_equity_now_is_what_the_account_reports(fx):
    _, rows, client = fx
    want = truth(rows)
    assert want["equity"] == NEGATIVE and _utc(want["since"]) >= ZERO_FROM  # the fixture holds the case
    with use_client(client):
        overview.equity_now.clear()
        overview.headline_pnl.clear()
        now = pnl.equity_now(overview.equity_now())
        head = pnl.headline(overview.headline_pnl())
    assert now is not None
    assert now.equity == NEGATIVE and now.ts == _utc(want["ts"])
    assert not now.usable and now.state == pnl.EQUITY_NOT_POSITIVE
    assert now.since == _utc(want["since"])
    assert now.last_usable_ts == _utc(want["last_ts"]) and now.last_usable_equity == pytest.approx(want["last_equity"])
    # returns stay truthful: the PnL windows end at the last positive snapshot, never at a non-positive one
    assert {w["equity_end_ts"] for w in head.values()} == {_utc(want["last_ts"])}


def test_the_alert_fires_on_equity_at_or_below_zero(fx):
    _, rows, client = fx
    want = truth(rows)
    with use_client(client):
        overview.equity_now.clear()
        inputs = alert_inputs.gather()
        results = alerts.evaluate(inputs, alerts.thresholds())
    got = [r for r in results if r.rule == "equity_not_positive"]
    assert len(got) == 1 and got[0].status == alerts.FIRING, got
    assert got[0].since == _utc(want["since"])
    assert fmt.usd(NEGATIVE) in got[0].subject
    assert fmt.utc(_utc(want["last_ts"])) in got[0].detail  # where the last positive equity was


def test_the_alert_fires_when_the_newest_equity_is_missing_and_is_ok_otherwise():
    t = alerts.thresholds()
    ts = datetime(2025, 12, 8, 11, 55, tzinfo=UTC)
    missing = pnl.EquityNow(ts, None, ts - timedelta(hours=1), 1_000.0, ts)
    r = alerts.equity_not_positive(missing, t)
    assert len(r) == 1 and r[0].status == alerts.FIRING and "no equity" in r[0].subject and r[0].since == ts
    healthy = pnl.EquityNow(ts, 1_820_000.0, ts, 1_820_000.0, None)
    assert [x.status for x in alerts.equity_not_positive(healthy, t)] == [alerts.OK]
    assert [x.status for x in alerts.equity_not_positive(None, t)] == [alerts.NOT_EVALUATED]
    gone = alerts.Unavailable("account table: not available")
    assert [x.status for x in alerts.equity_not_positive(gone, t)] == [alerts.NOT_EVALUATED]


def test_overview_shows_the_reported_equity_with_a_warning(fx, app, monkeypatch):
    tm, rows, _ = fx
    want = truth(rows)
    router.use_navigation()
    monkeypatch.setenv("DESK_TABLES", json.dumps({k: tm.qualified(k) for k in tm.tables}))
    at = app("pages/overview.py")
    assert not at.exception, [e.value for e in at.exception]
    equity = next(m for m in at.metric if m.label == "Equity (AUM)")
    assert equity.value == fmt.usd(NEGATIVE), equity.value  # not the last positive $1.8M
    warning = next(w.value for w in at.warning if "at or below zero" in w.value)
    assert fmt.utc(_utc(want["since"])) in warning  # since when
    assert fmt.utc(_utc(want["last_ts"])) in warning  # where the returns end
