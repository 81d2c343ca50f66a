"""System Health SQL on the real engine, against independent Python computations.

A hand-made desk under the prefix "fxhl": heartbeats with duplicates, errors,
an outage, a second host, a monitor that never reported and one nobody
configured; synced tables with duplicated deliveries, a zero ingested_at,
clock skew and an empty table; a sync log with failures, a duplicated row,
an unfinished run and a negative duration.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from lib import config
from lib import format as fmt
from lib.health import rules
from queries.engine.run import use_client
from queries.health import health
from tests.queries.fixture_desk import create_tables, fixture_client
from ui.system_health import charts

UTC = UTC
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)  # the newest heartbeat is just before this
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

HB_COLS = ["ts", "monitor", "host", "status", "message", "rows", "duration_ms"]
ACCOUNT_COLS = [
    "ts",
    "account",
    "account_value",
    "total_ntl_pos",
    "total_margin_used",
    "withdrawable",
    "ingested_at",
    "synced_at",
]
TRADE_COLS = [
    "time",
    "account",
    "coin",
    "side",
    "px",
    "sz",
    "start_position",
    "dir",
    "closed_pnl",
    "fee",
    "fee_token",
    "oid",
    "tid",
    "cloid",
    "crossed",
    "hash",
    "ingested_at",
    "synced_at",
]
SYNC_COLS = ["started_at", "finished_at", "database", "table", "rows", "max_source_ts", "status", "error"]


def quantile_exact(values: list[float], q: float) -> float | None:
    """ClickHouse quantileExact: the element at floor(q * n) of the sorted values."""
    if not values:
        return None
    s = sorted(values)
    return s[min(int(q * len(s)), len(s) - 1)]


class HealthFixture:
    def __init__(self) -> None:
        self.hb: list[list] = []
        self.account: list[list] = []
        self.trades: list[list] = []
        self.sync: list[list] = []

    def build(self) -> HealthFixture:
        start = T0 - timedelta(hours=30)
        # account: every minute, odd seconds so no beat sits on a bucket edge
        for i in range(30 * 60):
            ts = start + timedelta(minutes=i, seconds=7)
            self.hb.append([ts, "account", "h1", "ok", "", 10, 50])
        self.hb.append(list(self.hb[-5]))  # a duplicated heartbeat row
        # positions: a 40-minute outage 3 h before T0, then an error burst, then ok again
        for i in range(30 * 60):
            ts = start + timedelta(minutes=i, seconds=11)
            if T0 - timedelta(hours=3, minutes=40) <= ts < T0 - timedelta(hours=3):
                continue
            err = T0 - timedelta(hours=2) <= ts < T0 - timedelta(hours=1, minutes=50)
            self.hb.append(
                [ts, "positions", "h1", "error" if err else "ok", "HL API 502 Bad Gateway" if err else "", 0, 70]
            )
        # trades: ok every minute, the very last beat is an error
        for i in range(30 * 60 - 1):
            ts = start + timedelta(minutes=i, seconds=13)
            self.hb.append([ts, "trades", "h1", "ok", "fills 3", 3, 40])
        self.hb.append(
            [
                start + timedelta(minutes=30 * 60 - 1, seconds=13),
                "trades",
                "h1",
                "error",
                "timeout talking to Hyperliquid",
                0,
                30000,
            ]
        )
        # ledger: two hosts, each every 2 minutes, interleaved; host h2 stops 20 min before T0
        for i in range(0, 30 * 60, 2):
            self.hb.append([start + timedelta(minutes=i, seconds=17), "ledger", "h1", "ok", "", 0, 5])
            ts2 = start + timedelta(minutes=i + 1, seconds=19)
            if ts2 < T0 - timedelta(minutes=20):
                self.hb.append([ts2, "ledger", "h2", "ok", "", 0, 5])
        # orders: stopped 6 hours before T0 (DOWN), status written in capitals
        for i in range(24 * 60):
            self.hb.append([start + timedelta(minutes=i, seconds=23), "orders", "h1", "OK", "", 0, 5])
        # a monitor nobody configured
        for i in range(0, 30 * 60, 5):
            self.hb.append([start + timedelta(minutes=i, seconds=29), "mystery", "h9", "ok", "", 0, 5])
        # funding, ohlcv, sync: never report

        # account snapshots: 3 days, one per minute, synced ~30-90 s after ingest, with awkward rows
        a0 = T0 - timedelta(days=3)
        for i in range(3 * 24 * 60):
            ts = a0 + timedelta(minutes=i)
            if T0 - timedelta(hours=10) <= ts < T0 - timedelta(hours=7):
                continue  # a 3-hour hole: gap hours
            ing = ts + timedelta(seconds=2)
            syn = ing + timedelta(seconds=30 + (i * 7) % 61, milliseconds=(i * 13) % 1000)
            self.account.append([ts, "0xacct", 10_000.0 + i, None, None, None, ing, syn])
        n = len(self.account)
        for j in range(0, n, 97):  # ~1% delivered twice, the copy later
            copy = list(self.account[j])
            copy[7] = copy[7] + timedelta(minutes=5)
            self.account.append(copy)
        self.account[n - 3][6] = EPOCH  # ingested_at missing (zero)
        self.account[n - 7][7] = self.account[n - 7][6] - timedelta(seconds=4)  # clock skew
        # trades: a few fills, one delivered three times
        for k in range(20):
            ts = T0 - timedelta(hours=20) + timedelta(minutes=37 * k)
            row = [
                ts,
                "0xacct",
                "BTC",
                "B",
                100.0,
                1.0,
                0.0,
                "Open Long",
                0.0,
                0.1,
                "USDC",
                500 + k,
                900 + k,
                None,
                True,
                "0xh",
                ts + timedelta(seconds=1),
                ts + timedelta(seconds=61 + k),
            ]
            self.trades.append(row)
            if k == 3:
                for extra in (1, 2):
                    c = list(row)
                    c[17] = row[17] + timedelta(minutes=5 * extra)
                    self.trades.append(c)

        # sync log: every 5 minutes for two days, two tables, failures with errors
        s0 = T0 - timedelta(days=2)
        for i in range(2 * 24 * 12):
            st = s0 + timedelta(minutes=5 * i, seconds=3)
            for db, tbl, off in (("maicro_monitors", "account_snapshots", 0), ("maicro_monitors", "trades", 1)):
                started = st + timedelta(seconds=off)
                fail = tbl == "trades" and i % 50 == 7
                dur = timedelta(seconds=2 + (i % 9), milliseconds=250 * off)
                self.sync.append(
                    [
                        started,
                        started + dur,
                        db,
                        tbl,
                        0 if fail else 60 + i % 5,
                        started,
                        "error" if fail else "ok",
                        f"Code: 241. Memory limit exceeded (run {i})" if fail else "",
                    ]
                )
        self.sync.append(list(self.sync[10]))  # duplicated row
        last = self.sync[-3]
        self.sync.append([last[0] + timedelta(minutes=1), None, last[2], "account_snapshots", 0, None, "ok", ""])
        self.sync.append([last[0] + timedelta(minutes=2), last[0], last[2], "account_snapshots", 5, None, "ok", ""])
        # the newest run of the trades table failed
        self.sync.append(
            [
                T0 - timedelta(seconds=30),
                T0 - timedelta(seconds=20),
                "maicro_monitors",
                "trades",
                0,
                None,
                "error",
                "Connection refused by remote",
            ]
        )
        return self

    def insert(self, writer, tm) -> None:
        """Insert as a sync would: duplicates stay (no merge on insert, merges stopped)."""
        for name, rows, cols in (
            ("heartbeat", self.hb, HB_COLS),
            ("account", self.account, ACCOUNT_COLS),
            ("trades", self.trades, TRADE_COLS),
            ("sync_log", self.sync, SYNC_COLS),
        ):
            writer.command(f"SYSTEM STOP MERGES {tm.qualified(name)}")
            writer.insert(tm.qualified(name), rows, column_names=cols, settings={"optimize_on_insert": 0})


@pytest.fixture(scope="module")
def fx(engine, desk_url):
    f = HealthFixture().build()
    tm = create_tables(engine, "fxhl")
    f.insert(engine, tm)
    client = fixture_client(desk_url, "fxhl")
    return f, client


def _run(client, fn, *args):
    with use_client(client):
        fn.clear()
        return fn(*args)


def _hb_dedup(f: HealthFixture) -> list[list]:
    seen = {}
    for r in f.hb:
        seen[(r[1], r[2], r[0])] = r
    return list(seen.values())


# ------------------------------------------------------------------ monitors


def test_monitor_status_matches_python(fx):
    f, client = fx
    df = _run(client, health.monitor_status)
    rows = _hb_dedup(f)
    newest = max(r[0] for r in rows)
    ref = newest  # the fixture is far behind the wall clock, so windows end at the newest beat
    got = {r["monitor"]: r for r in df.iter_rows(named=True)}
    assert set(got) == set(config.MONITOR_INTERVALS_S) | {"mystery"}
    by = defaultdict(list)
    for r in rows:
        by[r[1]].append(r)
    for name, g in got.items():
        beats = by.get(name, [])
        if not beats:
            assert g["last_ts"] is None and g["last_status"] is None and g["beats_24h"] is None, name
            continue
        last = max(beats, key=lambda r: r[0])
        errs = [r for r in beats if r[3].strip().lower() != "ok"]
        assert g["last_ts"] == last[0], name
        assert (g["last_status"], g["last_message"], g["last_host"]) == (last[3], last[4], last[2]), name
        if errs:
            e = max(errs, key=lambda r: r[0])
            assert (g["last_error_ts"], g["last_error_message"]) == (e[0], e[4]), name
        else:
            assert g["last_error_ts"] is None and g["last_error_message"] is None, name
        assert g["beats_24h"] == sum(1 for r in beats if r[0] > ref - timedelta(days=1)), name
        assert g["errors_24h"] == sum(1 for r in errs if r[0] > ref - timedelta(days=1)), name
        assert g["newest_beat"] == newest


def test_monitor_beats_newest_and_errors_only_match_python(fx):
    """The heartbeat rows of one monitor: the newest `limit`, each beat once; errors only keeps the beats whose
    status is not ok (the incident), again newest first."""
    f, client = fx
    end = T0
    rows = [r for r in _hb_dedup(f) if r[1] == "positions" and end - timedelta(days=7) < r[0] <= end]
    newest = sorted(rows, key=lambda r: (-r[0].timestamp(), r[2]))
    errors = [r for r in newest if r[3].strip().lower() != "ok"]
    assert 0 < len(errors) < 50 and errors[0] not in newest[:50]  # the incident is older than the newest 50
    got = _run(client, health.monitor_beats, "positions", end, 5)
    assert [(t.replace(tzinfo=UTC), h) for t, h in zip(got["ts"], got["host"])] == [(r[0], r[2]) for r in newest[:5]]
    with use_client(client):
        health.monitor_beats.clear()
        only = health.monitor_beats("positions", end, 50, errors_only=True)
    assert [(t.replace(tzinfo=UTC), s) for t, s in zip(only["ts"], only["status"])] == [(r[0], r[3]) for r in errors]


def test_monitor_statuses_at_fixture_time(fx):
    f, client = fx
    df = _run(client, health.monitor_status)
    now = T0  # judge as if the server clock were T0
    a = {r["monitor"]: r for r in rules.assess_monitors(df, now).iter_rows(named=True)}
    assert a["account"]["status"] == "OK"
    assert a["positions"]["status"] == "OK"  # recovered after its outage and errors
    assert a["trades"]["status"] == "DOWN" and "error" in a["trades"]["reason"]
    assert a["trades"]["last_error_message"] == "timeout talking to Hyperliquid"
    assert a["ledger"]["status"] == "OK" and a["ledger"]["host"] == "h1"  # h1 still beats
    assert a["orders"]["status"] == "DOWN"  # silent 6 h
    assert a["funding"]["status"] == "DOWN" and a["funding"]["reason"] == "no heartbeat recorded"
    # every 5 min, judged against the fallback interval (60 s): silent 4.5 min at T0 -> LATE
    assert a["mystery"]["status"] == "LATE" and not a["mystery"]["configured"]
    assert "not configured" in a["mystery"]["reason"]
    summary = rules.overall_status(df)  # judged against the real server clock: everything is old
    assert summary.status == "DOWN" and summary.behind_s > 100 * 86400
    at_t0 = rules.summarize(rules.assess_monitors(df, now), now)
    assert at_t0.status == "DOWN" and at_t0.counts == {"OK": 3, "LATE": 1, "DOWN": 5}
    assert at_t0.problems[0].startswith("funding DOWN") and at_t0.problems[-1].startswith("mystery LATE")


def test_empty_heartbeat_table_gives_unknown_not_down(engine, desk_url):
    create_tables(engine, "fxhe")
    client = fixture_client(desk_url, "fxhe")
    df = _run(client, health.monitor_status)
    assert df.height == len(config.MONITOR_INTERVALS_S)
    assert df["last_ts"].null_count() == df.height and df["newest_beat"].null_count() == df.height
    assert df["server_now"].null_count() == 0
    s = rules.overall_status(df)
    assert s.status == "UNKNOWN" and s.label == "Monitor status unknown"


# -------------------------------------------------------------- the timeline


def _sampled_states(beats: list[list], start, end, bucket_s, interval) -> dict:
    """Brute force: the live rule evaluated every second and at every supremum point, worst per bucket.

    A silence grows until the next beat or the bucket end, so besides a one-second
    grid the rule is also evaluated 1 ms before each beat and 1 ms before each bucket end.
    """
    beats = sorted(beats, key=lambda r: r[0])
    times = [r[0] for r in beats]
    eps = timedelta(milliseconds=1)

    def rule(t):
        import bisect

        i = bisect.bisect_right(times, t) - 1
        if i < 0 or beats[i][0] < start - timedelta(days=1):
            return "UNKNOWN"
        if beats[i][3].strip().lower() != "ok":
            return "DOWN"
        return rules.age_status((t - beats[i][0]).total_seconds(), interval)

    out = {}
    b = start
    while b < end:
        b_end = min(b + timedelta(seconds=bucket_s), end)
        points = [b + timedelta(seconds=k) for k in range(int((b_end - b).total_seconds()))]
        points += [b_end - eps] + [ts - eps for ts in times if b < ts - eps < b_end]
        out[b] = rules.worst(rule(t) for t in points)
        b += timedelta(seconds=bucket_s)
    return out


@pytest.mark.parametrize("bucket_s", [60, 300])
def test_timeline_states_match_brute_force(fx, bucket_s):
    f, client = fx
    end = T0 - timedelta(minutes=1, seconds=30)
    start = rules.window_start(end, 6, bucket_s)
    df = _run(client, health.heartbeat_buckets, start, end, bucket_s)
    states = rules.timeline_states(df, start, end, bucket_s)
    rows = _hb_dedup(f)
    for name in ("account", "positions", "trades", "ledger", "orders", "funding", "mystery"):
        beats = [r for r in rows if r[1] == name and r[0] <= end]
        interval, _ = rules.interval_for(name)
        exp = _sampled_states(beats, start, end, bucket_s, interval)
        got = {r["bucket_start"]: r["status"] for r in states.filter(states["monitor"] == name).iter_rows(named=True)}
        assert got == exp, name


def test_timeline_bucket_counts_match_python(fx):
    f, client = fx
    end = T0
    start = rules.window_start(end, 24, 300)
    df = _run(client, health.heartbeat_buckets, start, end, 300)
    rows = _hb_dedup(f)
    exp = defaultdict(lambda: [0, 0])
    for r in rows:
        if start <= r[0] <= end:
            epoch = int(r[0].timestamp())
            b = datetime.fromtimestamp(epoch - epoch % 300, tz=UTC)
            exp[(r[1], b)][0] += 1
            exp[(r[1], b)][1] += r[3].strip().lower() != "ok"
    got = {(r["monitor"], r["bucket"]): [r["beats"], r["errors"]] for r in df.iter_rows(named=True) if not r["prior"]}
    assert got == dict(exp)
    prior = {r["monitor"]: r["last_ts"] for r in df.iter_rows(named=True) if r["prior"]}
    for name, ts in prior.items():
        assert ts == max(r[0] for r in rows if r[1] == name and r[0] < start)
    # the positions outage shows as DOWN buckets, its error burst too
    states = rules.timeline_states(df, start, end, 300)
    pos = states.filter(states["monitor"] == "positions")
    down = pos.filter(pos["status"] == "DOWN")
    assert down.height >= 8 + 2
    segs = rules.segments(states)
    assert segs.filter((segs["monitor"] == "funding") & (segs["status"] == "UNKNOWN")).height == 1
    share = rules.time_in_status(states)
    acc = share.filter(share["monitor"] == "account").row(0, named=True)
    assert acc["OK"] == pytest.approx(1.0)


def test_status_seconds_match_the_live_rule_second_by_second(fx):
    """DOWN/LATE/UNKNOWN time at heartbeat resolution (the daily report's minutes) vs the live rule sampled
    every second over 6 hours: an error beat counts until the next beat, not a whole bucket."""
    import bisect

    f, client = fx
    end = T0 - timedelta(minutes=1, seconds=30)
    start = end - timedelta(hours=6)
    df = _run(client, health.status_seconds, start, end)
    got = {r["monitor"]: r for r in df.iter_rows(named=True)}
    rows = _hb_dedup(f)
    checked = 0
    for name in ("account", "positions", "trades", "ledger", "orders", "funding", "mystery"):
        beats = sorted((r for r in rows if r[1] == name and r[0] < end), key=lambda r: r[0])
        times = [r[0] for r in beats]
        interval, _ = rules.interval_for(name)
        spent = {"DOWN": 0, "LATE": 0, "UNKNOWN": 0}
        for k in range(int((end - start).total_seconds())):
            t = start + timedelta(seconds=k + 0.5)  # the middle of each second
            i = bisect.bisect_right(times, t) - 1
            if i < 0 or beats[i][0] < start - timedelta(days=1):
                status = "UNKNOWN"
            elif beats[i][3].strip().lower() != "ok":
                status = "DOWN"
            else:
                status = rules.age_status((t - beats[i][0]).total_seconds(), interval)
            if status in spent:
                spent[status] += 1
        if name not in got:
            assert not [b for b in beats if b[0] >= start - timedelta(days=1)], name
            continue
        checked += 1
        for status, column in (("DOWN", "down_s"), ("LATE", "late_s"), ("UNKNOWN", "unknown_s")):
            assert got[name][column] == pytest.approx(spent[status], abs=3), (name, status)
        assert got[name]["beats"] == sum(1 for b in beats if b[0] >= start)
    assert checked >= 5
    assert sum(r["down_s"] for r in got.values()) > 0  # the fixture's outages are in the window


def test_status_spells_cover_the_same_seconds_and_merge_an_outage_into_one(fx):
    """The spans behind the minutes: per monitor and status they add up to status_seconds, and the live rule
    sampled second by second is DOWN exactly inside the merged DOWN spells (an outage of many beats is one)."""
    import bisect

    f, client = fx
    end = T0 - timedelta(minutes=1, seconds=30)
    start = end - timedelta(hours=6)
    seconds = {r["monitor"]: r for r in _run(client, health.status_seconds, start, end).iter_rows(named=True)}
    spans = _run(client, health.status_spans, start, end)
    for r in seconds.values():
        mine = spans.filter(pl.col("monitor") == r["monitor"])
        for status, column in (("DOWN", "down_s"), ("LATE", "late_s"), ("UNKNOWN", "unknown_s")):
            part = mine.filter(pl.col("status") == status)
            total = sum((e - s).total_seconds() for s, e in zip(part["start"], part["end"]))
            assert total == pytest.approx(r[column], abs=0.01), (r["monitor"], status)
    spells = rules.spells(spans).filter(pl.col("status") == rules.DOWN)
    assert spells.height and spells.height <= spans.filter(pl.col("status") == "DOWN").height
    rows = _hb_dedup(f)
    for name in ("account", "trades"):
        beats = sorted((r for r in rows if r[1] == name and r[0] < end), key=lambda r: r[0])
        times = [r[0] for r in beats]
        interval, _ = rules.interval_for(name)
        mine = [(s, e) for m, s, e in spells.select("monitor", "start", "end").iter_rows() if m == name]
        for k in range(0, int((end - start).total_seconds()), 7):
            t = start + timedelta(seconds=k + 0.5)
            i = bisect.bisect_right(times, t) - 1
            down = i >= 0 and (
                beats[i][3].strip().lower() != "ok"
                or rules.age_status((t - beats[i][0]).total_seconds(), interval) == rules.DOWN
            )
            assert down == any(s <= t < e for s, e in mine), (name, t)


def test_timeline_rejects_bad_windows(fx):
    _, client = fx
    with use_client(client), pytest.raises(ValueError):
        health.heartbeat_buckets(T0, T0 - timedelta(hours=1), 300)
    with use_client(client), pytest.raises(ValueError):
        health.heartbeat_buckets(T0 - timedelta(days=30), T0, 300)
    with use_client(client), pytest.raises(ValueError):
        health.heartbeat_buckets(T0 - timedelta(hours=1), T0, 7)


# ----------------------------------------------------------- synced tables


def _close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _expected_stats(
    rows: list[list], t_idx: int, key_idx: tuple[int, ...], ing_idx: int, syn_idx: int, end: datetime = T0
) -> dict:
    """Independent truth; the windows are the hour / day / 7 days before `end` (the page's now)."""
    newest = max(r[t_idx] for r in rows)
    groups: dict[tuple, list] = defaultdict(list)
    for r in rows:
        if end - timedelta(days=7) < r[t_idx] <= end:
            groups[tuple(r[i] for i in key_idx)].append(r)
    exp = {"newest": newest, "keys_7d": len(groups), "rows_7d": sum(len(g) for g in groups.values())}
    lat_1h, lat_1d, latest = [], [], None
    missing = neg = 0
    keys_1d = rows_1d = 0
    for g in groups.values():
        t = max(r[t_idx] for r in g)
        ing = min(r[ing_idx] for r in g)
        syn = min(r[syn_idx] for r in g)
        in_1d = t > end - timedelta(days=1)
        in_1h = t > end - timedelta(hours=1)
        if in_1d:
            keys_1d += 1
            rows_1d += len(g)
        valid = ing.year >= 2000 and syn.year >= 2000
        lat = (syn - ing).total_seconds()
        if in_1d and not valid:
            missing += 1
        if in_1d and valid and lat < 0:
            neg += 1
        if valid and lat >= 0:
            if latest is None or syn > latest[0]:
                latest = (syn, lat)
            if in_1h:
                lat_1h.append(lat)
            if in_1d:
                lat_1d.append(lat)
    exp.update(
        {
            "keys_1d": keys_1d,
            "rows_1d": rows_1d,
            "dup_rows_1d": rows_1d - keys_1d,
            "missing_ts_1d": missing,
            "neg_latency_1d": neg,
            "lat_latest_s": latest[1] if latest else None,
            "n_1h": len(lat_1h),
            "lat_p50_1h": quantile_exact(lat_1h, 0.5),
            "lat_p95_1h": quantile_exact(lat_1h, 0.95),
            "n_1d": len(lat_1d),
            "lat_p50_1d": quantile_exact(lat_1d, 0.5),
            "lat_p95_1d": quantile_exact(lat_1d, 0.95),
            "lat_max_1d": max(lat_1d) if lat_1d else None,
        }
    )
    return exp


def test_sync_stats_account_matches_python(fx):
    f, client = fx
    got = _run(client, health.sync_stats, "account", T0).row(0, named=True)
    exp = _expected_stats(f.account, 0, (1, 0), 6, 7)
    for k, v in exp.items():
        assert _close(got[k], v) if isinstance(v, float) or v is None else got[k] == v, (k, got[k], v)
    assert got["dup_rows_1d"] > 0 and got["missing_ts_1d"] == 1 and got["neg_latency_1d"] == 1


def test_sync_stats_trades_counts_triple_delivery_once(fx):
    f, client = fx
    got = _run(client, health.sync_stats, "trades", T0).row(0, named=True)
    exp = _expected_stats(f.trades, 0, (1, 12), 16, 17)
    for k, v in exp.items():
        assert _close(got[k], v) if isinstance(v, float) or v is None else got[k] == v, (k, got[k], v)
    assert got["keys_1d"] == 20 and got["rows_1d"] == 22


def test_sync_stats_of_empty_table_is_null_not_zero(fx):
    _, client = fx
    got = _run(client, health.sync_stats, "ledger", T0).row(0, named=True)
    assert got["newest"] is None and got["newest_synced"] is None
    for col in ("lat_latest_s", "lat_p50_1h", "lat_p95_1h", "lat_p50_1d", "lat_p95_1d", "lat_max_1d"):
        assert got[col] is None, col
    assert got["rows_1d"] == 0 and got["keys_1d"] == 0
    a = rules.assess_tables(_run(client, health.sync_stats, "ledger", T0)).row(0, named=True)
    assert a["status"] == "UNKNOWN" and a["age_s"] is None and a["dup_share_1d"] is None


def test_latency_windows_are_anchored_at_now_not_at_the_newest_row(fx):
    """The newest fill is 8 h old: "the last hour" before now has no row (not the hour before that fill)."""
    f, client = fx
    got = _run(client, health.sync_stats, "trades", T0).row(0, named=True)
    newest = max(r[0] for r in f.trades)
    assert T0 - newest > timedelta(hours=8)
    assert got["newest"] == newest and got["window_end"] == T0
    assert got["n_1h"] == 0 and got["lat_p50_1h"] is None and got["lat_p95_1h"] is None
    assert got["n_1d"] == 20  # the day before now does hold them
    shown = charts.tables_table(rules.assess_tables(_run(client, health.sync_stats, "trades", T0))).row(0, named=True)
    assert shown["p50 · last 1 h"] == "no rows" and shown["p50 · last 1 d"] not in (fmt.MISSING, "no rows")
    # a later now: the day before it is empty too, and says so
    later = _run(client, health.sync_stats, "trades", T0 + timedelta(days=2)).row(0, named=True)
    assert later["n_1d"] == 0 and later["lat_p50_1d"] is None and later["newest"] == newest
    # the account table, one snapshot a minute up to T0 - 1 min: the last hour is full
    acct = _run(client, health.sync_stats, "account", T0).row(0, named=True)
    assert acct["n_1h"] >= 55  # 60 minutes less the rows with a missing or skewed timestamp


def test_sync_stats_rejects_unknown_table(fx):
    _, client = fx
    with use_client(client), pytest.raises(ValueError):
        health.sync_stats("klines", T0)


def test_rows_per_hour_with_gap(fx):
    f, client = fx
    end = T0
    df = _run(client, health.rows_per_hour, "account", end, 24)
    filled = rules.fill_hours(df, end, 24, "account")
    first, stop = rules.hour_window(end, 24)
    exp_keys, exp_rows = defaultdict(set), defaultdict(int)
    for r in f.account:
        if first <= r[0] < stop:
            h = r[0].replace(minute=0, second=0, microsecond=0)
            exp_keys[h].add((r[1], r[0]))
            exp_rows[h] += 1
    assert filled.height == 24
    for r in filled.iter_rows(named=True):
        assert r["keys"] == len(exp_keys.get(r["hour"], ())), r["hour"]
        assert r["rows"] == exp_rows.get(r["hour"], 0), r["hour"]
    gaps = filled.filter(filled["gap"])["hour"].to_list()
    assert gaps == [T0 - timedelta(hours=10), T0 - timedelta(hours=9), T0 - timedelta(hours=8)]
    assert rules.gap_runs(filled) == [(T0 - timedelta(hours=10), T0 - timedelta(hours=7))]
    # an event-driven table: empty hours are shown, never called gaps
    tr = rules.fill_hours(_run(client, health.rows_per_hour, "trades", end, 24), end, 24, "trades")
    assert tr["empty"].any() and not tr["gap"].any()
    assert tr["keys"].sum() == 20 and tr["rows"].sum() == 22


# ------------------------------------------------------------------ sync log


def _sync_dedup(f: HealthFixture) -> list[list]:
    seen = {}
    for r in f.sync:
        seen[(r[2], r[3], r[0])] = r
    return list(seen.values())


def test_sync_summary_matches_python(fx):
    f, client = fx
    end = T0
    df = _run(client, health.sync_summary, end)
    rows = [r for r in _sync_dedup(f) if end - timedelta(days=7) < r[0] <= end]
    got = {(r["database"], r["table"]): r for r in df.iter_rows(named=True)}
    assert set(got) == {(r[2], r[3]) for r in rows}
    for key, g in got.items():
        rs = [r for r in rows if (r[2], r[3]) == key]
        ok = [r for r in rs if r[6] == "ok"]
        bad = [r for r in rs if r[6] != "ok"]
        day = [r for r in rs if r[0] > end - timedelta(days=1)]
        durs = [(r[1] - r[0]).total_seconds() for r in day if r[1] is not None and r[1] >= r[0]]
        last = max(rs, key=lambda r: r[0])
        assert g["last_run"] == last[0] and g["last_status"] == last[6]
        assert g["last_success"] == max(r[0] for r in ok)
        assert g["last_failure"] == (max(r[0] for r in bad) if bad else None)
        assert g["last_error"] == (max(bad, key=lambda r: r[0])[7] if bad else None)
        assert g["runs_24h"] == len(day)
        assert g["failures_24h"] == sum(1 for r in day if r[6] != "ok")
        assert g["rows_24h"] == sum(r[4] for r in day if r[6] == "ok")
        assert _close(g["dur_p50_s"], quantile_exact(durs, 0.5))
        assert _close(g["dur_p95_s"], quantile_exact(durs, 0.95))
        assert _close(g["dur_max_s"], max(durs))
        assert g["unfinished"] == sum(1 for r in rs if r[1] is None)
        assert g["bad_duration"] == sum(1 for r in rs if r[1] is not None and r[1] < r[0])
    a = {(r["database"], r["table"]): r for r in rules.assess_sync(df).iter_rows(named=True)}
    assert a[("maicro_monitors", "trades")]["status"] == "DOWN"
    assert a[("maicro_monitors", "trades")]["last_error"] == "Connection refused by remote"
    acct = a[("maicro_monitors", "account_snapshots")]
    assert acct["status"] == "OK" and "never finished" in acct["reason"]


def test_sync_failures_and_durations(fx):
    f, client = fx
    end = T0
    fails = _run(client, health.sync_failures, end, 5)
    rows = [r for r in _sync_dedup(f) if end - timedelta(days=7) < r[0] <= end and r[6] != "ok"]
    rows.sort(key=lambda r: r[0], reverse=True)
    assert fails["started_at"].to_list() == [r[0] for r in rows[:5]]
    assert fails["error"].to_list() == [r[7] for r in rows[:5]]
    durs = _run(client, health.sync_durations, end, 24)
    day = [r for r in _sync_dedup(f) if end - timedelta(hours=24) < r[0] <= end]
    assert durs["runs"].sum() == len(day)
    assert durs["failures"].sum() == sum(1 for r in day if r[6] != "ok")
    one = durs.filter(durs["target"] == "maicro_monitors.trades").row(0, named=True)
    hr = [r for r in day if r[3] == "trades" and r[0].replace(minute=0, second=0) == one["hour"]]
    assert _close(one["dur_max_s"], max((r[1] - r[0]).total_seconds() for r in hr))


def test_missing_sync_log_is_missing_table(engine, desk_url):
    from lib.clickhouse.errors import QueryFailed

    tm = create_tables(engine, "fxhm")
    engine.command(f"DROP TABLE {tm.qualified('sync_log')}")
    client = fixture_client(desk_url, "fxhm")
    with use_client(client), pytest.raises(QueryFailed) as info:
        health.sync_summary.clear()
        health.sync_summary(T0)
    assert info.value.kind == "missing_table"
    # the other panels still work
    assert _run(client, health.sync_stats, "account", T0).item(0, "rows_1d") == 0


def test_server_info_reports_endpoint_and_version(fx):
    _, client = fx
    info = _run(client, health.server_info)
    assert info["version"] and info["rtt_s"] >= 0 and info["role"] == "primary"
    assert client.last_success_at is not None
