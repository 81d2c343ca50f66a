"""Rows with NULL in a key column are left out of every statement and counted (issue 25 §2).

Before: on a remote whose key columns are Nullable, NULL tids merged fills (LIMIT 1 BY account, tid keeps one row of
all the NULL-tid fills), NULL times and coins dropped or merged rows (fills 1,055 -> 1,043, TE 3.64% -> 6.81%), and
a NULL account became a phantom second account in the picker and in "all". Now every read of such a table leaves
those rows out (lib.clickhouse.contract.NULL_KEYS, at the choke point) and System Health and the pages count them.

The dirty desk is the clean desk plus extra rows holding NULLs (never a real row changed), so every number must be
the clean desk's; the fill count is also checked against the raw clean rows in plain Python.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from lib.demo import seed_client
from queries.book import accounts, overview, positions, risk, trades
from queries.engine import drift
from queries.engine.run import use_client
from queries.health import odd_data
from queries.tracking import tracking_error
from tests.queries.fixture_desk import create_tables, fixture_client
from ui.shell import router

UTC = UTC
PREFIX, CLEAN = "fxnullk", "fxnullkc"
SPAN = (datetime(2025, 12, 1, tzinfo=UTC), datetime(2025, 12, 8, 12, tzinfo=UTC))
DAY = date(2025, 12, 6)
LC_NULL = "LowCardinality(Nullable(String))"
TYPES = {
    "trades.tid": "Nullable(UInt64)",
    "trades.time": "Nullable(DateTime64(3, 'UTC'))",
    "trades.coin": LC_NULL,
    "trades.account": LC_NULL,
    "account.account": LC_NULL,
    "positions.coin": LC_NULL,
    "funding.account": LC_NULL,
    "targets.sym": "Nullable(String)",
}
RAW = {"optimize_on_insert": 0}
# (table, column set to NULL, rows copied, ORDER BY of the copied rows, extra REPLACE): each copy is a real row with a
# NULL key and a changed value, so a statement that kept it would show another number
ODD = [
    ("trades", "tid", 5, "time DESC", ", sz * 7 AS sz, fee * 7 AS fee"),
    ("trades", "time", 3, "time DESC", ", sz * 7 AS sz"),
    ("trades", "coin", 2, "time DESC", ", sz * 7 AS sz"),
    ("trades", "account", 4, "time DESC", ", sz * 7 AS sz, closed_pnl + 1000 AS closed_pnl"),
    ("account", "account", 3, "ts DESC", ", account_value * 5 AS account_value"),
    ("positions", "coin", 2, "ts DESC", ", szi * 9 AS szi"),
    ("funding", "account", 2, "time DESC", ", usdc * 9 AS usdc"),
    ("targets", "sym", 2, "date = toDate('2025-12-04') DESC, sym", ", weight + 0.5 AS weight"),  # DAY's T+2
]


@pytest.fixture(scope="module")
def fx(engine, desk_url):
    clean = create_tables(engine, CLEAN)
    seed_client(engine, start=SPAN[0], end=SPAN[1], tables=clean)
    tm = create_tables(engine, PREFIX, TYPES)
    seed_client(engine, start=SPAN[0], end=SPAN[1], tables=tm)
    for name, column, n, order, extra in ODD:  # copies of the clean desk's rows: one NULL key each
        engine.command(
            f"INSERT INTO {tm.qualified(name)} SELECT * REPLACE (NULL AS {column}{extra}) "
            f"FROM {clean.qualified(name)} ORDER BY {order} LIMIT {n}",
            settings=RAW,
        )
    fills = engine.query(f"SELECT account, tid, time FROM {clean.qualified('trades')}").result_rows
    drift.forget()
    return tm, fills, fixture_client(desk_url, PREFIX), fixture_client(desk_url, CLEAN)


QUERIES = [
    ("fills summary", trades.fills_summary, (SPAN[0].date(), SPAN[1].date())),
    ("fills page", trades.fills_page, (SPAN[0].date(), SPAN[1].date())),
    ("coin execution", trades.coin_execution, (SPAN[0].date(), SPAN[1].date())),
    ("headline PnL", overview.headline_pnl, ()),
    ("PnL decomposition", overview.pnl_window, (SPAN[0].date(), SPAN[1].date())),  # funding with NULL accounts
    ("exchange positions", positions.exchange_positions_at, (SPAN[1].date(), 11)),  # the round with NULL coins
    ("equity now", overview.equity_now, ()),
    ("TE timeline", tracking_error.timeline, (DAY, DAY, 2)),
    ("newest account risk", risk.latest_account_risk, ()),
    ("position risk", risk.position_risk, ()),
]


def _answers(client) -> dict[str, list[dict]]:
    with use_client(client):
        out = {}
        for what, fn, args in QUERIES:
            fn.clear()
            out[what] = fn(*args).to_dicts()
            fn.clear()
        return out


def test_numbers_are_the_clean_desks(fx):
    _, fills, client, clean_client = fx
    got, clean = _answers(client), _answers(clean_client)
    for what, _, _ in QUERIES:
        assert got[what] == clean[what], what
    # independently: every distinct (account, tid) fill of the clean rows in the window, no more, no less
    lo, hi = SPAN[0], datetime(2025, 12, 9, tzinfo=UTC)
    expected = len({(a, tid) for a, tid, ts in fills if lo <= ts.replace(tzinfo=UTC) < hi})
    assert got["fills summary"][0]["n_fills"] == expected


def test_a_null_account_is_never_an_account(fx):
    _, _, client, _ = fx
    with use_client(client):
        accounts.account_list.clear()
        names = accounts.names(accounts.account_list())
        accounts.account_list.clear()
    assert len(names) == 1 and names[0]  # one real account: no NULL, no phantom second (before: [None, '0x7a3f…'])


def test_system_health_counts_them(fx):
    _, _, client, _ = fx
    with use_client(client):
        odd_data.null_key_rows.clear()
        rows = {(r["table_key"], r["key_column"]): r["n_null"] for r in odd_data.null_key_rows().iter_rows(named=True)}
        odd_data.null_key_rows.clear()
    expected: dict[tuple[str, str], int] = {}
    for name, column, n, _, _ in ODD:
        expected[(name, column)] = expected.get((name, column), 0) + n
        expected[(name, "")] = expected.get((name, ""), 0) + n
    assert {k: v for k, v in rows.items() if v} == expected


def test_a_conforming_remote_reads_its_tables_unchanged(fx):
    _, _, _, clean_client = fx
    assert drift.null_key_columns(clean_client) == {}
    with use_client(clean_client):
        odd_data.null_key_rows.clear()
        assert odd_data.null_key_rows().height == 0
        odd_data.null_key_rows.clear()


def test_pages_say_so(fx, app, monkeypatch):
    tm, _, _, _ = fx
    router.use_navigation()
    monkeypatch.setenv("DESK_TABLES", json.dumps({k: tm.qualified(k) for k in tm.tables}))
    at = app("pages/system_health.py")
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.tabs][
        2
    ] == "Data quality · :orange[schema drift · 23 odd rows]"  # Nullable keys: compatible drift
    at = app("pages/system_health.py", query={"section": "data"})  # the tab itself says which rows
    assert not at.exception, [e.value for e in at.exception]
    warn = [w.value for w in at.warning if "empty (NULL) key" in w.value]
    assert warn and warn[0].startswith("**23 rows with an empty (NULL) key left out**"), [w.value for w in at.warning]
    assert "14 fills" in warn[0] and "3 account snapshots" in warn[0]
    at = app("pages/trades.py", query={"from": "2025-12-01", "to": "2025-12-08"})
    assert not at.exception, [e.value for e in at.exception]
    note = [c.value for c in at.caption if "Left out of these numbers" in c.value]
    assert note and "14 fills" in note[0] and "account snapshots" not in note[0], note
    at = app("pages/overview.py")
    assert not at.exception, [e.value for e in at.exception]
    assert any("3 account snapshots" in c.value for c in at.caption)
    # the account picker offers no phantom account
    picker = [s for s in at.sidebar.selectbox if "ccount" in (s.label or "")]
    assert all(len([o for o in s.options if o]) <= 2 for s in picker), [s.options for s in picker]


def test_reports_say_so(fx):
    """The daily and weekly reports name the rows left out, as the pages do (before: they said nothing)."""
    from answers import report_inputs
    from lib import config
    from lib.alerting import rules as alerts

    _, _, client, clean_client = fx
    with use_client(client):
        odd_data.null_key_rows.clear()
        day = report_inputs.daily(DAY, alerts.thresholds({}), dict(config.REPORT_TARGETS))
        week = report_inputs.weekly(DAY, alerts.thresholds({}))
        odd_data.null_key_rows.clear()
    for notes in (day.notes, week.notes):
        said = [n for n in notes if "empty (NULL) key" in n]
        assert said and "14 fills" in said[0] and "3 account snapshots" in said[0], notes
    with use_client(clean_client):
        odd_data.null_key_rows.clear()
        clean_day = report_inputs.daily(DAY, alerts.thresholds({}), dict(config.REPORT_TARGETS))
        odd_data.null_key_rows.clear()
    assert not [n for n in clean_day.notes if "empty (NULL) key" in n]
