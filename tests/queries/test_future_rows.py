"""Rows dated in the future (a bad clock, a bad row) never set "data as of"; System Health counts them.

Before, one account row dated 2099 moved every page's default range to 2098 and blanked it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from lib.demo import seed_client
from queries.book import overview, risk
from queries.engine.run import use_client
from queries.health import health, odd_data
from tests.queries.fixture_desk import create_tables, fixture_client
from ui.shell import router

UTC = UTC
PREFIX = "fxfuture"
FUTURE = datetime(2099, 1, 1, tzinfo=UTC)
NEAR_FUTURE = "now64(3, 'UTC') + INTERVAL 1 HOUR"


FUTURE_DATE = re.compile(r"2099\\?-")  # a 2099 date (plain or Markdown-escaped), not a number with 2099 in it


@pytest.fixture(scope="module")
def fx(engine, desk_url):
    tm = create_tables(engine, PREFIX)
    seed_client(engine, start=datetime(2025, 12, 1, tzinfo=UTC), end=datetime(2025, 12, 8, 12, tzinfo=UTC), tables=tm)
    truth = {
        "account": engine.command(f"SELECT toString(max(ts)) FROM {tm.qualified('account')}"),
        "positions": engine.command(f"SELECT toString(max(ts)) FROM {tm.qualified('positions')}"),
        "heartbeat": engine.command(f"SELECT toString(max(ts)) FROM {tm.qualified('heartbeat')}"),
    }
    a, p, h, f = (tm.qualified(n) for n in ("account", "positions", "heartbeat", "trades"))
    raw = {"optimize_on_insert": 0}  # every inserted row stays (as a sync would deliver them)
    engine.command(
        f"INSERT INTO {a} SELECT * REPLACE (toDateTime64('2099-01-01 00:00:00', 3, 'UTC') AS ts, "
        f"account_value * 3 AS account_value) FROM {a} ORDER BY ts DESC LIMIT 1",
        settings=raw,
    )
    engine.command(f"INSERT INTO {a} SELECT * REPLACE ({NEAR_FUTURE} AS ts) FROM {a} ORDER BY ts LIMIT 1", settings=raw)
    engine.command(
        f"INSERT INTO {p} SELECT * REPLACE (toDateTime64('2099-01-01 00:00:00', 3, 'UTC') AS ts) "
        f"FROM {p} ORDER BY ts DESC LIMIT 1",
        settings=raw,
    )
    engine.command(
        f"INSERT INTO {h} SELECT * REPLACE ({NEAR_FUTURE} AS ts) FROM {h} ORDER BY ts DESC LIMIT 3", settings=raw
    )
    engine.command(
        f"INSERT INTO {f} SELECT * REPLACE (toDateTime64('2099-01-01 00:00:00', 3, 'UTC') AS time) "
        f"FROM {f} ORDER BY time DESC LIMIT 1",
        settings=raw,
    )
    return tm, truth, fixture_client(desk_url, PREFIX)


def _ts(v) -> str:
    return v.strftime("%Y-%m-%d %H:%M:%S")


def test_data_as_of_and_latest_marks_ignore_future_rows(fx):
    _, truth, client = fx
    with use_client(client):
        for fn in (
            health.data_as_of,
            risk.latest_account_risk,
            risk.position_risk,
            overview.headline_pnl,
            overview.latest_exposure,
            health.monitor_status,
            health.sync_stats,
            odd_data.future_rows,
        ):
            fn.clear()
        as_of = health.data_as_of()
        assert _ts(as_of.item(0, "account_ts")) == truth["account"][:19]
        assert _ts(as_of.item(0, "positions_ts")) == truth["positions"][:19]
        # the newest account snapshot and the newest positions round: one rule, never a row dated 2099
        assert _ts(risk.latest_account_risk().item(0, "ts")) == truth["account"][:19]
        assert risk.position_risk().height > 0 and all(t.year == 2025 for t in risk.position_risk()["ts"])
        head = overview.headline_pnl()
        assert {_ts(t) for t in head["equity_end_ts"]} == {truth["account"][:19]}
        assert overview.latest_exposure().item(0, "ts").year == 2025
        assert _ts(health.monitor_status()["newest_beat"][0]) == truth["heartbeat"][:19]
        assert health.sync_stats("account", datetime(2025, 12, 8, 12, tzinfo=UTC)).item(0, "newest").year == 2025
        future = {
            r["table_key"]: (r["n_future"], r["newest_future"]) for r in odd_data.future_rows().iter_rows(named=True)
        }
    assert future["account"][0] == 2 and future["account"][1].year == 2099
    assert future["positions"][0] == 1 and future["trades"][0] == 1 and future["heartbeat"][0] == 3
    assert {k for k, (n, _) in future.items() if n} == {"account", "positions", "trades", "heartbeat"}
    assert future["klines"] == (0, None)


def test_pages_keep_the_real_range_and_system_health_flags_the_rows(fx, app, monkeypatch):
    tm, truth, _ = fx
    router.use_navigation()
    monkeypatch.setenv("DESK_TABLES", json.dumps({k: tm.qualified(k) for k in tm.tables}))
    at = app("pages/overview.py")
    assert not at.exception, [e.value for e in at.exception]
    pnl_heading = next(h.value for h in at.subheader if h.value.startswith("PnL "))
    assert pnl_heading.endswith(f"– {truth['account'][:10]} (UTC days)"), pnl_heading  # the range ends at the data
    # Overview's risk is the newest real snapshot: 3x equity from 2099 would halve margin and leverage
    help_texts = {m.label: m.help for m in at.metric}
    assert f"({truth['account'][:16]} UTC)" in help_texts["Margin used"], help_texts["Margin used"]
    assert not FUTURE_DATE.search(_all_text(at)) and "in the future" not in _all_text(at)
    at = app("pages/positions.py")
    assert not at.exception, [e.value for e in at.exception]
    caption = next(c.value for c in at.caption if "at the newest positions snapshot" in c.value)
    assert f"({truth['positions'][:16]} UTC)" in caption, caption  # Positions' "newest snapshot" is real
    assert not FUTURE_DATE.search(_all_text(at)) and "in the future" not in _all_text(at)
    at = app("pages/system_health.py")
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.tabs][2] == "Data quality · :orange[7 odd rows]"  # said while the tab is closed
    at = app("pages/system_health.py", query={"section": "data"})  # the tab itself says which rows
    assert not at.exception, [e.value for e in at.exception]
    warn = [w.value for w in at.warning if "dated in the future" in w.value]
    assert warn and warn[0].startswith("**7 rows dated in the future**") and "in 4 tables: they do not" in warn[0]
    # ages are measured to real rows: no "in the future ago" (the rows themselves are listed in the warning)
    assert "in the future ago" not in _all_text(at)


def _all_text(at) -> str:
    from tests.test_reliability import texts

    return texts(at)
