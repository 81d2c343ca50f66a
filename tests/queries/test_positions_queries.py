"""queries.book.positions.exchange_positions_at on a hand-made desk, and the reconciliation built on it.

The fixture reuses the timeline fixture's fills/prices/targets (so the fills-implied
positions come from the real timeline query) and adds exchange position snapshots
with the awkward cases: per-coin rows of one round a moment apart (as the monitor
writes them), an exact duplicate row, a re-synced row whose later copy corrects szi,
a snapshot exactly at the hour end (excluded), a coin held per the fills but absent
from the latest round (its last row is an older round's), a coin only the exchange
knows, float noise, and a second account whose latest round is older.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest

from lib import config
from lib.tracking import snapshot as te_snapshot
from queries.book.positions import exchange_positions_at
from queries.engine.run import use_client
from queries.tracking.tracking_error import timeline
from tests.queries.fixture_desk import POSITION_COLS, TimelineFixture, create_tables, fixture_client, t

PREFIX = "fxpos"
DAY = date(2025, 3, 10)
HOUR = 2


def snap(ts: datetime, account: str, coin: str, szi: float, synced_delay_s: int = 30) -> list:
    return [ts, account, coin, szi, 1.0, abs(szi), 0.0, 3.0, None, None, ts, ts + timedelta(seconds=synced_delay_s)]


def position_rows() -> list[list]:
    a, b = "0xfixture", "0xother"
    rows = []
    # an older snapshot of account a: must be ignored (a newer one exists before the hour end)
    for coin, szi in (("AAA", 1.0), ("BBB", -1.0), ("DDD", 500.0)):
        rows.append(snap(t(2025, 3, 10, 1, 30), a, coin, szi))
    # the latest round of account a before 2025-03-10 03:00: one row per coin, a moment apart
    last = t(2025, 3, 10, 2, 59, 30)
    ms = timedelta(milliseconds=1)
    rows.append(snap(last + 40 * ms, a, "AAA", 100.0))
    rows.append(snap(last + 40 * ms, a, "AAA", 100.0))  # exact duplicate from the sync
    rows.append(snap(last, a, "BBB", -40.0 + 1e-12))  # float noise only
    rows.append(snap(last + 900 * ms, a, "EEE", 70.0))  # re-synced below with the corrected size
    rows.append(snap(last + 900 * ms, a, "EEE", 90.0, synced_delay_s=600))
    rows.append(snap(last + 1450 * ms, a, "kPEPE", 100000.0))
    rows.append(snap(last + 300 * ms, a, "ZZZ", 3.0))  # only the exchange knows this one
    # DDD (500 units per the fills) is missing from the latest round (its last row is 01:30's)
    # exactly at the hour end: not "before the hour end", must be ignored
    rows.append(snap(t(2025, 3, 10, 3, 0), a, "AAA", 999.0))
    # account b: its latest snapshot is older, and still counts
    rows.append(snap(t(2025, 3, 9, 22, 0), b, "AAA", 5.0))
    rows.append(snap(t(2025, 3, 9, 21, 0), b, "AAA", 7.0))
    return rows


def expected_snapshot(rows: list[list], day: date, hour: int) -> dict[str, float]:
    """Independent: per account the latest ts < hour end (7-day lookback), newest sync per key, summed per coin."""
    end = datetime(day.year, day.month, day.day, tzinfo=rows[0][0].tzinfo) + timedelta(hours=hour + 1)
    keyed: dict[tuple, list] = {}
    for r in rows:
        if not (end - timedelta(days=7) <= r[0] < end):
            continue
        k = (r[1], r[0], r[2])
        if k not in keyed or r[11] > keyed[k][11]:
            keyed[k] = r
    latest: dict[str, datetime] = {}
    for acct, ts, _coin in keyed:
        latest[acct] = max(latest.get(acct, ts), ts)
    newest: dict[tuple, list] = {}  # per (account, coin): its newest row of the account's latest round
    for (acct, ts, coin), r in keyed.items():
        if ts >= latest[acct] - timedelta(seconds=config.SNAPSHOT_ROUND_S):
            if (acct, coin) not in newest or ts > newest[(acct, coin)][0]:
                newest[(acct, coin)] = r
    out: dict[str, float] = {}
    for (_acct, coin), r in newest.items():
        out[coin] = out.get(coin, 0.0) + r[3]
    return out


@pytest.fixture(scope="module")
def fx(engine, desk_url):
    f = TimelineFixture().build()
    tm = create_tables(engine, PREFIX)
    f.insert(engine, tm)
    rows = position_rows()
    engine.insert(tm.qualified("positions"), rows, column_names=POSITION_COLS)
    client = fixture_client(desk_url, PREFIX)
    with use_client(client):
        timeline.clear()
        exchange_positions_at.clear()
        tl = timeline(DAY, DAY, HOUR)
        snapshot = exchange_positions_at(DAY, HOUR)
        empty = exchange_positions_at(date(2025, 4, 1), HOUR)
        day3 = exchange_positions_at(date(2025, 3, 12), HOUR)
    timeline.clear()
    exchange_positions_at.clear()
    return {"fixture": f, "rows": rows, "timeline": tl, "snapshot": snapshot, "empty": empty, "day3": day3}


def test_snapshot_matches_independent_computation(fx):
    got = {r["coin"]: r["szi"] for r in fx["snapshot"].iter_rows(named=True)}
    exp = expected_snapshot(fx["rows"], DAY, HOUR)
    assert set(got) == set(exp) == {"AAA", "BBB", "EEE", "kPEPE", "ZZZ"}
    for coin, szi in exp.items():
        assert math.isclose(got[coin], szi, rel_tol=1e-12), coin


def test_snapshot_dedups_keeps_newest_sync_and_sums_accounts(fx):
    got = {r["coin"]: r["szi"] for r in fx["snapshot"].iter_rows(named=True)}
    assert got["AAA"] == 105.0  # 100 once (duplicate dropped), + account b's latest 5; 999 at 03:00 excluded
    assert got["EEE"] == 90.0  # the re-synced copy wins
    assert fx["snapshot"]["coin"].is_duplicated().sum() == 0
    assert fx["snapshot"]["snapshot_ts"].max() == t(2025, 3, 10, 2, 59, 31, 450000)


def test_no_snapshot_in_window_is_empty_not_flat(fx):
    assert fx["empty"].height == 0
    # 2025-03-12 03:00: the newest snapshots (Mar 10) are still within the 7-day look-back
    got = {r["coin"]: r["szi"] for r in fx["day3"].iter_rows(named=True)}
    assert got == pytest.approx(expected_snapshot(fx["rows"], date(2025, 3, 12), HOUR))
    assert got["AAA"] == 999.0 + 5.0


def test_reconciliation_lists_only_real_differences(fx):
    tl = fx["timeline"]
    fills = {r["sym"]: r["pos_units"] for r in tl.iter_rows(named=True)}
    exch = expected_snapshot(fx["rows"], DAY, HOUR)
    expected = {}
    for coin in set(fills) | set(exch):
        f, x = fills.get(coin, 0.0), exch.get(coin, 0.0)
        if abs(f - x) > max(1e-8, 1e-6 * max(abs(f), abs(x))):
            expected[coin] = (f, x)
    rec = te_snapshot.reconcile(tl, fx["snapshot"])
    got = {r["sym"]: (r["fills_units"], r["exchange_units"]) for r in rec.iter_rows(named=True)}
    assert got == expected
    # AAA: 100 by fills vs 105 (two accounts); DDD missing from the snapshot; EEE 100 vs 90; ZZZ exchange-only
    assert set(got) == {"AAA", "DDD", "EEE", "ZZZ"}
    ddd = rec.filter(rec["sym"] == "DDD").row(0, named=True)
    assert ddd["in_snapshot"] is False and ddd["diff_units"] == 500.0
    zzz = rec.filter(rec["sym"] == "ZZZ").row(0, named=True)
    assert zzz["in_snapshot"] is True and zzz["fills_units"] == 0.0 and zzz["diff_units"] == -3.0
    assert rec["sym"].to_list()[0] == "DDD"  # largest |diff| first
