"""The queries alerts and reports share with the pages, on a hand-made desk with duplicated synced rows ("fxal").

sync_streaks (failed runs since the last success), position_risk (the newest positions round, the newest sync
winning a re-synced row: the one de-duplication rule), latest_account_risk (the newest account snapshot, the same
rule) and account_risk_series (margin and leverage per hour, the weekly report's), each against an independent
Python computation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from queries.book import risk
from queries.engine.run import use_client
from queries.health import health
from tests.queries.fixture_desk import POSITION_COLS, create_tables, fixture_client

UTC = UTC
T = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SYNC_COLS = ["started_at", "finished_at", "database", "table", "rows", "max_source_ts", "status", "error"]
ACC_COLS = [
    "ts",
    "account",
    "account_value",
    "total_ntl_pos",
    "total_margin_used",
    "withdrawable",
    "ingested_at",
    "synced_at",
]


def run(t0, table, ok, err=""):
    return [t0, t0 + timedelta(seconds=2), "maicro_monitors", table, 10, t0, "ok" if ok else "error", err]


SYNC = (
    [
        run(T - timedelta(minutes=m), "trades", ok, "" if ok else f"fail {m}")
        for m, ok in ((30, True), (25, True), (20, False), (15, True), (10, False), (5, False))
    ]
    + [run(T - timedelta(minutes=5), "trades", False, "fail 5")]  # the sync log row delivered twice
    + [run(T - timedelta(minutes=m), "orders", False, "refused") for m in (15, 10, 5)]
    + [run(T - timedelta(minutes=m), "account_snapshots", True) for m in (10, 5)]
)


def pos(ts, coin, szi, value, liq, synced):
    return [ts, "acc", coin, szi, 1.0, value, 0.0, 3.0, liq, value / 3, ts, synced]


POSITIONS = [
    pos(T - timedelta(hours=1), "DOGE", 100.0, 50.0, 0.1, T - timedelta(hours=1)),  # an older round only
    pos(T, "BTC", 1.0, 60_000.0, 40_000.0, T + timedelta(seconds=5)),
    pos(T, "BTC", 1.0, 60_000.0, 45_000.0, T + timedelta(seconds=65)),  # re-synced: the newest sync wins
    pos(T + timedelta(seconds=1), "ETH", -10.0, 30_000.0, 4_000.0, T + timedelta(seconds=5)),
    pos(T + timedelta(seconds=1), "SOL", 0.0, 0.0, None, T + timedelta(seconds=5)),  # flat: left out
]


def acc(ts, equity, ntl, margin, synced=None):
    return [ts, "acc", equity, ntl, margin, 0.0, ts, synced or ts]


ACCOUNT = [
    acc(T - timedelta(days=1, hours=2), 1000.0, 1500.0, 400.0),
    acc(T - timedelta(days=1, hours=2), 1000.0, 1500.0, 400.0),  # duplicate
    acc(T - timedelta(days=1, hours=1), 900.0, 1800.0, 450.0),
    acc(T - timedelta(days=1), None, 5000.0, 5000.0),  # no equity: left out
    acc(T, 1100.0, 1100.0, 330.0),
    acc(T, 1200.0, 1080.0, 360.0, synced=T + timedelta(minutes=1)),  # re-synced with new values: it wins
]


@pytest.fixture(scope="module")
def client(engine, desk_url):
    tm = create_tables(engine, "fxal")
    for name, rows, cols in (
        ("sync_log", SYNC, SYNC_COLS),
        ("positions", POSITIONS, POSITION_COLS),
        ("account", ACCOUNT, ACC_COLS),
    ):
        engine.insert(tm.qualified(name), rows, column_names=cols, settings={"optimize_on_insert": 0})
    return fixture_client(desk_url, "fxal")


def expected_streaks(rows):
    runs = {}
    for r in rows:
        runs[(r[3], r[0])] = r  # dedup on the natural key (database, table, started_at)
    out = {}
    for table in {t for t, _ in runs}:
        mine = sorted((ts, r[6] == "ok") for (t, ts), r in runs.items() if t == table)
        last_ok = max((ts for ts, ok in mine if ok), default=None)
        fails = [ts for ts, ok in mine if not ok and (last_ok is None or ts > last_ok)]
        out[table] = (last_ok, len(fails), fails)
    return out


def test_sync_streaks(client):
    health.sync_streaks.clear()
    with use_client(client):
        got = health.sync_streaks(T)
    want = expected_streaks(SYNC)
    assert sorted(got["table"].to_list()) == sorted(want)
    for r in got.iter_rows(named=True):
        last_ok, n, times = want[r["table"]]
        assert r["failed_in_row"] == n
        assert r["last_success"] == last_ok
        assert r["failure_times"] == times
    trades = got.filter(got["table"] == "trades").row(0, named=True)
    assert trades["failed_in_row"] == 2 and trades["last_error"] == "fail 5"


def newest_sync(rows, key):
    """Python's own de-duplication: per natural key, the row with the newest synced_at."""
    out = {}
    for r in rows:
        k = key(r)
        if k not in out or r[-1] > out[k][-1]:
            out[k] = r
    return list(out.values())


def test_position_risk_newest_round_newest_sync(client):
    risk.position_risk.clear()
    with use_client(client):
        got = risk.position_risk()
    rows = {r["coin"]: r for r in got.iter_rows(named=True)}
    assert sorted(rows) == ["BTC", "ETH"]  # DOGE is an older round, SOL is flat
    kept = {r[2]: r for r in newest_sync(POSITIONS, lambda r: (r[1], r[0], r[2]))}
    btc, eth = kept["BTC"], kept["ETH"]
    assert rows["BTC"]["liquidation_px"] == btc[8] == 45_000.0  # the re-synced row, never the first delivery
    mark = abs(btc[5] / btc[3])
    assert rows["BTC"]["liq_distance_pct"] == pytest.approx(100 * (mark - btc[8]) / mark)  # long: (mark - liq)
    mark = abs(eth[5] / eth[3])
    assert rows["ETH"]["liq_distance_pct"] == pytest.approx(100 * (eth[8] - mark) / mark)  # short: (liq - mark)
    assert rows["ETH"]["szi"] == -10.0 and rows["ETH"]["position_value"] == 30_000.0


def test_latest_account_risk_newest_snapshot_newest_sync(client):
    risk.latest_account_risk.clear()
    with use_client(client):
        got = risk.latest_account_risk()
    assert got.height == 1
    r = got.row(0, named=True)
    newest = max(newest_sync(ACCOUNT, lambda r: (r[1], r[0])), key=lambda r: r[0])
    assert newest[2] == 1200.0  # the re-synced values
    assert (r["equity"], r["margin_used"], r["total_ntl"]) == (1200.0, 360.0, 1080.0)
    assert r["margin_pct"] == pytest.approx(360.0 / 1200.0) and r["leverage"] == pytest.approx(1080.0 / 1200.0)
    # 24 h before: the nearest snapshot 23-25 h back with a known ratio (the one exactly 24 h back has no equity)
    assert r["prev_margin_pct"] == pytest.approx(450.0 / 900.0)


def test_account_risk_series(client):
    risk.account_risk_series.clear()
    with use_client(client):
        got = risk.account_risk_series(date(2025, 5, 31), date(2025, 6, 1), 3600)
    want = {}
    for r in sorted(newest_sync(ACCOUNT, lambda r: (r[1], r[0])), key=lambda r: r[0]):
        hour = r[0].replace(minute=0, second=0, microsecond=0)
        equity, ntl, margin = r[2], r[3], r[4]
        ok = equity is not None and equity > 0
        want[hour] = (margin / equity if ok else None, ntl / equity if ok else None)  # the hour's last snapshot
    assert [b.replace(tzinfo=UTC) for b in got["bucket"].to_list()] == sorted(want)
    for row in got.iter_rows(named=True):
        m, lev = want[row["bucket"].replace(tzinfo=UTC)]
        assert row["margin_pct"] == (pytest.approx(m) if m is not None else None)
        assert row["leverage"] == (pytest.approx(lev) if lev is not None else None)
