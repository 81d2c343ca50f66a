"""Overview SQL (equity series, PnL window, headline, exposure) on chdb vs plain Python."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from lib import config
from lib.book import pnl
from queries.book import overview, risk
from queries.engine.run import use_client
from tests.queries.fixture_desk import ACCOUNT_COLS, POSITION_COLS, TRADE_COLS, create_tables, fixture_client, t

PREFIX = "fxov"
ACCT = "0xov"
UTC = UTC
START, END = date(2025, 4, 1), date(2025, 4, 4)
LEDGER_COLS = ["time", "account", "type", "usdc", "hash", "ingested_at", "synced_at"]
FUNDING_COLS = ["time", "account", "coin", "usdc", "szi", "funding_rate", "ingested_at", "synced_at"]
ROUND = timedelta(seconds=config.SNAPSHOT_ROUND_S)
MAX_AGE = timedelta(minutes=config.POSITIONS_MARK_MAX_AGE_MIN)


@dataclass
class OverviewFixture:
    account: list[list] = field(default_factory=list)
    ledger: list[list] = field(default_factory=list)
    trades: list[list] = field(default_factory=list)
    funding: list[list] = field(default_factory=list)
    positions: list[list] = field(default_factory=list)

    def build(self) -> OverviewFixture:
        # deposits / withdrawals: one before the range, one exactly at a snapshot time, one
        # between two snapshots (synced twice), one after the last snapshot of a day
        flows = [
            (t(2025, 3, 30, 5, 0), "deposit", 1_000.0, "0xl1"),
            (t(2025, 4, 1, 8, 0), "deposit", 5_000.0, "0xl2"),
            (t(2025, 4, 2, 10, 10), "deposit", 50_000.0, "0xl3"),
            (t(2025, 4, 3, 23, 50), "withdraw", -20_000.0, "0xl4"),
        ]
        for ts, typ, usdc, h in flows:
            self.ledger.append([ts, ACCT, typ, usdc, h, ts, ts])
        dup = list(self.ledger[2])
        dup[6] = dup[6] + timedelta(minutes=3)
        self.ledger.append(dup)

        def base(ts: datetime) -> float:
            k = (ts - t(2025, 3, 30)).total_seconds() / 1800.0
            drop = -4_000.0 if t(2025, 4, 3, 4) <= ts < t(2025, 4, 4, 6) else 0.0
            return 100_000.0 + 600.0 * math.sin(k / 7.0) + 25.0 * k + drop

        ts = t(2025, 3, 30, 0, 0)
        while ts <= t(2025, 4, 5, 12, 0):
            value = base(ts) + sum(f[2] for f in flows if f[0] <= ts)
            if ts == t(2025, 4, 2, 6, 0):
                value = None  # unknown equity: skipped
            if ts == t(2025, 4, 3, 7, 30):
                value = 0.0  # zero equity: skipped, not a -100% day
            ntl = 0.0 if ts == t(2025, 3, 30, 0, 0) else None  # flat book at the very first snapshot
            self.account.append([ts, ACCT, value, ntl, None, None, ts, ts])
            ts += timedelta(minutes=30)
        self.account.append(list(self.account[4 * 48 // 2 + 24]))  # a duplicated snapshot

        # fills: one before the range, one exactly duplicated by the sync, one after the range
        tid = iter(range(500, 600))

        def fill(ts, coin, side, px, sz, pnl_, fee, dup=False):
            n = next(tid)
            row = [
                ts,
                ACCT,
                coin,
                side,
                px,
                sz,
                0.0,
                "Open Long" if side == "B" else "Close Long",
                pnl_,
                fee,
                "USDC",
                n,
                n,
                None,
                True,
                "0xh",
                ts,
                ts,
            ]
            self.trades.append(row)
            if dup:
                copy = list(row)
                copy[17] = ts + timedelta(minutes=7)
                self.trades.append(copy)

        fill(t(2025, 3, 31, 0, 1), "AAA", "B", 10.0, 10.0, 0.0, 0.5)
        fill(t(2025, 4, 1, 0, 1), "AAA", "B", 10.0, 100.0, 0.0, 0.45)
        fill(t(2025, 4, 1, 0, 2), "BBB", "A", 20.0, 50.0, 12.5, 0.30, dup=True)
        fill(t(2025, 4, 2, 0, 3), "AAA", "A", 11.0, 40.0, 40.0, 0.20)
        fill(t(2025, 4, 3, 14, 0), "BBB", "B", 19.0, 50.0, -7.0, -0.05)  # a maker rebate
        fill(t(2025, 4, 5, 0, 1), "AAA", "A", 12.0, 60.0, 120.0, 0.33)  # after the range

        for day in range(30, 37):
            d0 = t(2025, 3, 30) + timedelta(days=day - 30)
            for h in (0, 8, 16):
                ts = d0 + timedelta(hours=h)
                self.funding.append([ts, ACCT, "AAA", -1.25, 60.0, 0.0001, ts, ts])
                self.funding.append([ts, ACCT, "BBB", 0.75, -50.0, 0.0001, ts, ts])
        self.funding.append(list(self.funding[20]))

        # positions: hourly, AAA long and BBB short; BBB's value unknown at one hour
        ts = t(2025, 3, 30, 0, 0)
        i = 0
        while ts <= t(2025, 4, 5, 12, 0):
            upnl_a = 10.0 * math.sin(i / 5.0)
            upnl_b = 3.0 * math.cos(i / 3.0)
            val_b = None if ts == t(2025, 4, 2, 13, 0) else 1_000.0 + i
            upnl_b = None if ts == t(2025, 4, 4, 23, 0) else upnl_b
            self.positions.append([ts, ACCT, "AAA", 60.0, 10.0, 2_000.0 + 2 * i, upnl_a, 3.0, None, None, ts, ts])
            tb = ts + timedelta(milliseconds=700)  # one monitor pass stamps its coins a moment apart
            self.positions.append([tb, ACCT, "BBB", -50.0, 20.0, val_b, upnl_b, 3.0, None, None, tb, tb])
            if ts == t(2025, 4, 4, 23, 0):
                dup = list(self.positions[-1])  # BBB's row synced twice
                dup[11] = ts + timedelta(minutes=1)
                self.positions.append(dup)
            ts += timedelta(hours=1)
            i += 1
        # an extra snapshot at the moment equity reads zero
        z = t(2025, 4, 3, 7, 30)
        self.positions.append([z, ACCT, "AAA", 60.0, 10.0, 2_100.0, 1.0, 3.0, None, None, z, z])
        return self

    def insert(self, writer, tm) -> None:
        writer.insert(tm.qualified("account"), self.account, column_names=ACCOUNT_COLS)
        writer.insert(tm.qualified("ledger"), self.ledger, column_names=LEDGER_COLS)
        writer.insert(tm.qualified("trades"), self.trades, column_names=TRADE_COLS)
        writer.insert(tm.qualified("funding"), self.funding, column_names=FUNDING_COLS)
        writer.insert(tm.qualified("positions"), self.positions, column_names=POSITION_COLS)

    # ------------------------------------------------------------- independent truth
    def snaps(self) -> list[tuple[datetime, float]]:
        seen = {}
        for r in self.account:
            seen[r[0]] = r[2]
        return sorted((ts, v) for ts, v in seen.items() if v is not None and v > 0)

    def flows_unique(self) -> list[tuple[datetime, float]]:
        return sorted({(r[0], r[4]): r[3] for r in self.ledger}.items())

    def chain(self, lo: datetime, hi: datetime) -> list[dict]:
        """Every usable snapshot in [lo, hi] as a sub-period from the previous one, chained (independent truth)."""
        snaps = [(ts, v) for ts, v in self.snaps() if lo <= ts <= hi]
        out, index, peak, peak_ts = [], 1.0, None, None
        for i, (ts, e) in enumerate(snaps):
            row = {"ts": ts, "equity": e, "flows": 0.0, "ret": None}
            if i:
                ts0, e0 = snaps[i - 1]
                inside = [(ft, u) for (ft, _h), u in self.flows_unique() if ts0 < ft <= ts]
                fl = sum(u for _, u in inside)
                fw = sum(u * (ts - ft) / (ts - ts0) for ft, u in inside)
                row.update(prev_ts=ts0, prev_equity=e0, flows=fl, ret=(e - e0 - fl) / (e0 + fw))
                index *= 1 + row["ret"]
            if peak is None or index >= peak:
                peak, peak_ts = index, ts
            row.update(index=index, dd=index / peak - 1, peak_ts=peak_ts)
            out.append(row)
        return out

    def start_mark(self, t_from: datetime, lookback: timedelta = timedelta(days=7)) -> datetime:
        snaps = self.snaps()
        before = [ts for ts, _ in snaps if t_from - lookback <= ts <= t_from]
        return before[-1] if before else next(ts for ts, _ in snaps if ts > t_from)

    def equity_series(self, start: date, end: date, bucket_s: int) -> list[dict]:
        t_start = datetime(start.year, start.month, start.day, tzinfo=UTC)
        t_end = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
        points = self.chain(self.start_mark(t_start), t_end)

        def bucket(ts):  # (b, b + bucket_s]: a snapshot exactly on a boundary closes the bucket before it
            ms = round(ts.timestamp() * 1000) - 1
            sec = ms // 1000
            return datetime.fromtimestamp(sec - sec % bucket_s, tz=UTC)

        groups: dict[datetime, list[dict]] = {}
        for p in points:
            groups.setdefault(bucket(p["ts"]), []).append(p)
        out = []
        for b, ps in sorted(groups.items()):
            periods = [p for p in ps if p["ret"] is not None]
            growth = 1.0
            for p in periods:
                growth *= 1 + p["ret"]
            worst = min(ps, key=lambda p: (p["dd"], p["ts"]))
            out.append(
                {
                    "bucket": b,
                    "equity_ts": ps[-1]["ts"],
                    "equity": ps[-1]["equity"],
                    "prev_equity_ts": periods[0]["prev_ts"] if periods else None,
                    "prev_equity": periods[0]["prev_equity"] if periods else None,
                    "flows": sum(p["flows"] for p in ps),
                    "pnl": ps[-1]["equity"] - periods[0]["prev_equity"] - sum(p["flows"] for p in ps)
                    if periods
                    else None,
                    "ret": growth - 1 if periods else None,
                    "index": ps[-1]["index"],
                    "dd_min": worst["dd"],
                    "trough_ts": worst["ts"],
                    "trough_peak_ts": worst["peak_ts"],
                    "dd_last": ps[-1]["dd"],
                    "peak_ts_last": ps[-1]["peak_ts"],
                    "first_high_ts": next((p["ts"] for p in ps if p["dd"] >= 0), None),
                    "first_high_after_trough_ts": next(
                        (p["ts"] for p in ps if p["dd"] >= 0 and p["ts"] > worst["ts"]), None
                    ),
                    "n_snapshots": len(ps),
                }
            )
        return out

    def carried(self, round_ts: datetime, present: set[str]) -> list[tuple[str, float, float | None]]:
        """Coins the fills say are held at a round but that the round lacks: (coin, fills size, value at last mark)."""
        start = round_ts - ROUND
        fills = sorted({(r[1], r[12]): r for r in self.trades}.values(), key=lambda r: (r[0], r[12]))
        held: dict[str, float] = {}
        for r in fills:
            if r[0] <= start:
                held[r[2]] = r[6] + (r[5] if r[3] == "B" else -r[5])
        out = []
        for coin, szi in sorted(held.items()):
            if coin in present or abs(szi) <= 1e-8:
                continue
            earlier = [
                r
                for r in self.positions_unique().values()
                if r[2] == coin and start - timedelta(days=8) <= r[0] < start and r[3] != 0 and r[5] is not None
            ]
            last = max(earlier, key=lambda r: r[0], default=None)
            out.append((coin, szi, abs(szi) * abs(last[5]) / abs(last[3]) if last else None))
        return out

    def positions_unique(self) -> dict:
        return {(r[1], r[0], r[2]): r for r in self.positions}

    def round_at(self, p: datetime, both_sides: bool = True) -> dict[str, list]:
        """Each coin's newest row within ROUND of p (the monitor pass p belongs to)."""
        hi = p + ROUND if both_sides else p
        rows = [r for r in self.positions_unique().values() if p - ROUND <= r[0] <= hi]
        newest: dict[str, list] = {}
        for r in sorted(rows, key=lambda r: r[0]):
            newest[r[2]] = r
        return newest

    def window(self, start: date, end: date) -> dict:
        """The breakdown's marks under the one marking rule (last snapshot at or before each instant)."""
        t_from = datetime(start.year, start.month, start.day, tzinfo=UTC)
        t_to = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
        snaps = [(ts, v) for ts, v in self.snaps() if t_from - timedelta(days=7) <= ts <= t_to]
        ntl = {r[0]: r[3] for r in self.account}
        before = [s for s in snaps if s[0] <= t_from]
        t0, e0 = before[-1] if before else snaps[0]
        t1, e1 = snaps[-1]
        pos_ts = sorted({r[0] for r in self.positions_unique().values()})

        fill_times = sorted({(r[1], r[12]): r[0] for r in self.trades}.values())

        def nearest(mark):
            nxt = next((ft for ft in fill_times if mark < ft <= mark + MAX_AGE), None)
            near = [
                x for x in pos_ts if abs(x - mark) <= MAX_AGE and x <= t_to and (x <= mark or nxt is None or x < nxt)
            ]
            return min(near, key=lambda x: abs(x - mark)) if near else None

        p0, p1 = nearest(t0), nearest(t1)

        def unrealized(p, mark_ts):
            if p is not None:
                return sum(r[6] for r in self.round_at(p).values() if r[6] is not None)
            return 0.0 if ntl.get(mark_ts) == 0.0 else None

        paired0, paired1 = p0 is not None, p1 is not None
        inside = lambda ts: t0 < ts <= t1  # noqa: E731
        fills = {(r[1], r[12]): r for r in self.trades}.values()
        funding = {(r[1], r[2], r[0]): r for r in self.funding}.values()
        return {
            "equity_start_ts": t0,
            "equity_start": e0,
            "equity_end_ts": t1,
            "equity_end": e1,
            "flows": sum(u for (ft, _), u in self.flows_unique() if inside(ft)),
            "realized": sum(r[8] for r in fills if inside(r[0])),
            "fees": sum(r[9] for r in fills if inside(r[0])),
            "n_fills": sum(1 for r in fills if inside(r[0])),
            "funding": sum(r[3] for r in funding if inside(r[0])),
            "unrealized_start": unrealized(p0, t0),
            "unrealized_end": unrealized(p1, t1),
            "unrealized_start_ts": p0 if paired0 else None,
            "unrealized_end_ts": p1 if paired1 else None,
        }


@pytest.fixture(scope="module")
def fx(engine, desk_url):
    f = OverviewFixture().build()
    tm = create_tables(engine, PREFIX)
    f.insert(engine, tm)
    return f, fixture_client(desk_url, PREFIX)


def _run(client, fn, *args):
    fn.clear()
    with use_client(client):
        return fn(*args)


def _close(a, b, tol=1e-9):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, datetime):
        return a == b
    return math.isclose(a, b, rel_tol=tol, abs_tol=1e-9)


@pytest.mark.parametrize("bucket_s", [3600, 86400])
def test_equity_series_matches_python(fx, bucket_s):
    f, client = fx
    df = _run(client, overview.equity_series, START, END, bucket_s)
    exp = f.equity_series(START, END, bucket_s)
    assert df.height == len(exp)
    for row, e in zip(df.iter_rows(named=True), exp):
        for k, v in e.items():
            assert _close(row[k], v), (k, row[k], v, row["bucket"])


def test_daily_series_flows_and_returns(fx):
    f, client = fx
    df = _run(client, overview.equity_series, START, END, 86400)
    by_day = {r["bucket"].date(): r for r in df.iter_rows(named=True)}
    # the start mark (the last snapshot at or before Apr 1 00:00) is Apr 1 00:00 itself: a boundary snapshot
    # closes the day before it, so Mar 31 comes first as the start mark's bucket, without a return
    assert sorted(by_day) == [date(2025, 3, 31)] + [date(2025, 4, d) for d in (1, 2, 3, 4)]
    assert by_day[date(2025, 3, 31)]["start_mark"] == 1 and by_day[date(2025, 3, 31)]["ret"] is None
    # the deposit synced twice counts once; the exact-time deposit is in day 1
    assert by_day[date(2025, 4, 1)]["flows"] == pytest.approx(5_000.0)
    assert by_day[date(2025, 4, 2)]["flows"] == pytest.approx(50_000.0)
    # the 23:50 withdrawal is reflected in the 00:00 snapshot, and that boundary snapshot closes Apr 3
    assert by_day[date(2025, 4, 3)]["flows"] == pytest.approx(-20_000.0)
    assert by_day[date(2025, 4, 4)]["flows"] == 0.0
    # the deposit day's PnL is the market move only (no 50k "gain")
    d2 = by_day[date(2025, 4, 2)]
    assert abs(d2["pnl"]) < 2_000
    assert d2["equity"] - d2["prev_equity"] > 45_000
    # zero and null equity snapshots were skipped: no -100% day
    assert all(r["ret"] > -0.2 for d, r in by_day.items() if d >= START)
    assert by_day[date(2025, 4, 3)]["n_bad_snapshots"] == 1 and by_day[date(2025, 4, 2)]["n_bad_snapshots"] == 1
    # every day in the fixture is finished (snapshots go on to Apr 5 12:00)
    assert all(r["complete"] == 1 for r in by_day.values())


def test_drawdown_is_exact_at_snapshot_resolution_for_any_bucket(fx):
    f, client = fx
    lo = f.start_mark(t(2025, 4, 1))
    truth = f.chain(lo, t(2025, 4, 5))
    worst = min(truth, key=lambda p: (p["dd"], p["ts"]))
    for bucket_s in (3600, 86400):
        summary = pnl.drawdown_summary(_run(client, overview.equity_series, START, END, bucket_s))
        assert summary["max_drawdown"] == pytest.approx(worst["dd"], rel=1e-12)
        assert summary["trough_ts"] == worst["ts"] and summary["peak_ts"] == worst["peak_ts"]
        after = next((p["ts"] for p in truth if p["ts"] > worst["ts"] and p["dd"] >= 0), None)
        assert summary["recovered_ts"] == after
        assert summary["current_drawdown"] == pytest.approx(truth[-1]["dd"], rel=1e-12, abs=1e-15)
        assert summary["current_peak_ts"] == truth[-1]["peak_ts"]
    assert worst["dd"] < -0.025  # the fixture's 4k drop on Apr 3 is in there


def test_drawdown_over_nested_ranges_is_monotone(fx):
    """A longer range from the same start is never shallower, across the hourly/daily chart switch too."""
    _f, client = fx
    start = date(2025, 3, 30)
    previous = 0.0
    for end in (date(2025, 3, 31), date(2025, 4, 2), date(2025, 4, 3), date(2025, 4, 4), date(2025, 4, 5)):
        summaries = [pnl.drawdown_summary(_run(client, overview.equity_series, start, end, b)) for b in (3600, 86400)]
        assert summaries[0] == summaries[1]  # the bucket does not change the answer
        assert summaries[0]["max_drawdown"] <= previous + 1e-15
        previous = summaries[0]["max_drawdown"]


def test_pnl_window_components_match_python(fx):
    f, client = fx
    row = _run(client, overview.pnl_window, START, END).row(0, named=True)
    exp = f.window(START, END)
    for k, v in exp.items():
        assert _close(row[k], v), (k, row[k], v)
    assert row["flows"] == pytest.approx(35_000.0)  # 5k + 50k (once) - 20k; the March deposit is outside
    assert row["n_fills"] == 4  # the duplicated fill once; the fills outside the window not at all
    parts = pnl.decompose(row)
    assert parts["total"] == pytest.approx(row["equity_end"] - row["equity_start"] - 35_000.0)
    assert parts["residual"] == pytest.approx(parts["total"] - parts["explained"])
    assert parts["fees"] == pytest.approx(-(0.45 + 0.30 + 0.20 - 0.05))


def test_pnl_window_marks_follow_the_one_marking_rule(fx):
    f, client = fx
    row = _run(client, overview.pnl_window, START, END).row(0, named=True)
    # start: the last snapshot at or before Apr 1 00:00 (itself), the 00:00 positions pass nearest to it
    assert row["equity_start_ts"] == t(2025, 4, 1, 0, 0) and row["unrealized_start_ts"] == t(2025, 4, 1, 0, 0)
    # end: the last snapshot at or before Apr 5 00:00 (the boundary snapshot itself), and its positions pass
    assert row["equity_end_ts"] == t(2025, 4, 5, 0, 0)
    assert row["unrealized_end_ts"] == t(2025, 4, 5, 0, 0)


def test_pnl_window_flat_book_at_data_start(fx):
    f, client = fx
    # the range starts before the data: the first snapshot is the start mark, and the positions pass
    # at that moment gives the unrealized PnL there
    row = _run(client, overview.pnl_window, date(2025, 3, 29), date(2025, 3, 31)).row(0, named=True)
    exp = f.window(date(2025, 3, 29), date(2025, 3, 31))
    for k, v in exp.items():
        assert _close(row[k], v), (k, row[k], v)
    assert row["equity_start_ts"] == t(2025, 3, 30, 0, 0) and row["unrealized_start"] == pytest.approx(3.0)
    assert pnl.decompose(row)["residual"] is not None


def test_pnl_window_without_data_is_null_not_zero(fx):
    _f, client = fx
    row = _run(client, overview.pnl_window, date(2024, 1, 1), date(2024, 1, 5)).row(0, named=True)
    assert row["equity_start"] is None and row["equity_end"] is None
    parts = pnl.decompose(row)
    assert parts["total"] is None and parts["residual"] is None


def test_headline_windows(fx):
    f, client = fx
    df = _run(client, overview.headline_pnl)
    rows = {r["window"]: r for r in df.iter_rows(named=True)}
    assert list(df["window"]) == ["today", "7d", "30d", "all"]
    snaps = f.snaps()
    first, last = snaps[0], snaps[-1]
    assert all(r["equity_end_ts"] == last[0] and r["equity_end"] == pytest.approx(last[1]) for r in rows.values())
    assert rows["today"]["equity_start_ts"] == t(2025, 4, 5, 0, 0)
    # the data is younger than 7 and 30 days: those windows start at the first snapshot
    for w in ("7d", "30d", "all"):
        assert rows[w]["equity_start_ts"] == first[0]
        assert rows[w]["flows"] == pytest.approx(1_000.0 + 5_000.0 + 50_000.0 - 20_000.0)
    assert rows["today"]["flows"] == 0.0
    total = pnl.window_pnl(rows["all"]["equity_start"], rows["all"]["equity_end"], rows["all"]["flows"])
    assert total == pytest.approx(last[1] - first[1] - 36_000.0)
    labels = {k: v["label"] for k, v in pnl.headline(df).items()}
    assert labels == {
        "today": "today (UTC day)",
        "7d": "last 7 × 24 h",
        "30d": "last 30 × 24 h",
        "all": "since 2025-03-30",
    }
    # the since-start return is the chained index over every snapshot, not a Modified Dietz of the window
    chain = f.chain(first[0], last[0])
    assert rows["all"]["ret"] == pytest.approx(chain[-1]["index"] - 1, rel=1e-12)


def test_headline_and_breakdown_agree(fx):
    """Full history and today: the breakdown's total is the headline's PnL, from the same two marks."""
    f, client = fx
    head = pnl.headline(_run(client, overview.headline_pnl))
    first_day, last_day = f.snaps()[0][0].date(), f.snaps()[-1][0].date()
    for window, (start, end) in (("all", (first_day, last_day)), ("today", (last_day, last_day))):
        row = _run(client, overview.pnl_window, start, end).row(0, named=True)
        parts = pnl.decompose(row)
        assert row["equity_start_ts"] == head[window]["equity_start_ts"], window
        assert row["equity_end_ts"] == head[window]["equity_end_ts"], window
        assert parts["total"] == pytest.approx(head[window]["pnl"], abs=1e-6), window
    # and the since-start return equals the equity index the drawdown chart chains
    daily = _run(client, overview.equity_series, first_day, last_day, 86400)
    assert head["all"]["ret"] == pytest.approx(daily["index"][-1] - 1, rel=1e-12)


@pytest.mark.parametrize("bucket_s", [3600, 86400])
def test_exposure_series_matches_python(fx, bucket_s):
    f, client = fx
    df = _run(client, overview.exposure_series, START, END, bucket_s)
    t_start, t_end = t(2025, 4, 1), t(2025, 4, 5)
    rows_in = [r for r in f.positions_unique().values() if t_start <= r[0] < t_end]

    def bucket(ts):
        epoch = int(ts.timestamp())
        return epoch - epoch % bucket_s

    round_end: dict[int, datetime] = {}
    for r in rows_in:
        b = bucket(r[0])
        round_end[b] = max(round_end.get(b, r[0]), r[0])
    assert df.height == len(round_end)
    raw = sorted({r[0]: r[2] for r in f.account if r[2] is not None}.items())
    for row, (b, ts) in zip(df.iter_rows(named=True), sorted(round_end.items())):
        newest: dict[str, list] = {}
        for r in sorted((r for r in rows_in if bucket(r[0]) == b and r[0] >= ts - ROUND), key=lambda r: r[0]):
            newest[r[2]] = r
        rows = [(r[3], r[5]) for r in newest.values()]
        carried = f.carried(ts, set(newest))
        rows += [(szi, pv) for _coin, szi, pv in carried]
        long_ = sum(abs(v) for szi, v in rows if szi > 0 and v is not None)
        short = sum(abs(v) for szi, v in rows if szi < 0 and v is not None)
        eq = [v for s_, v in raw if s_ <= ts][-1]
        assert row["ts"] == ts
        assert row["gross_usd"] == pytest.approx(long_ + short)
        assert row["net_usd"] == pytest.approx(long_ - short)
        assert row["n_long"] == sum(1 for szi, _ in rows if szi > 0)
        assert row["n_short"] == sum(1 for szi, _ in rows if szi < 0)
        assert row["n_unvalued"] == sum(1 for _, v in rows if v is None)
        assert row["n_missing"] == len(carried) and row["incomplete"] == (1 if carried else 0)
        assert row["missing_coins"] == sorted(c for c, _, _ in carried)
        assert _close(row["equity"], eq)
        if eq > 0:
            assert row["gross_pct"] == pytest.approx((long_ + short) / eq)
        else:
            assert row["gross_pct"] is None
    # one pass, two coins 0.7 s apart: both counted
    assert (
        df.filter(df["bucket"] == t(2025, 4, 2, 0, 0) if bucket_s == 86400 else df["bucket"] == t(2025, 4, 2, 5))[
            "n_short"
        ].item()
        == 1
    )


def test_exposure_zero_equity_gives_null_pct(fx):
    f, client = fx
    df = _run(client, overview.exposure_series, date(2025, 4, 3), date(2025, 4, 3), 3600)
    # hour 07:00 shows its last positions snapshot (07:30), when equity reads 0: unknown, not 0%
    hour7 = df.filter(df["bucket"].dt.hour() == 7).row(0, named=True)
    assert hour7["ts"] == t(2025, 4, 3, 7, 30)
    assert hour7["equity"] == 0.0 and hour7["gross_pct"] is None and hour7["net_pct"] is None
    # that round has AAA only, yet the fills say BBB is short 50: carried at its last mark, the round flagged
    assert hour7["n_long"] == 1 and hour7["n_short"] == 1
    assert hour7["n_missing"] == 1 and hour7["missing_coins"] == ["BBB"] and hour7["incomplete"] == 1
    bbb_07 = next(r for r in f.positions if r[2] == "BBB" and r[0] == t(2025, 4, 3, 7, 0, 0, 700000))
    assert hour7["missing_usd"] == pytest.approx(50.0 * bbb_07[5] / 50.0)
    assert hour7["short_usd"] == pytest.approx(hour7["missing_usd"])
    hour8 = df.filter(df["bucket"].dt.hour() == 8).row(0, named=True)
    assert hour8["gross_pct"] is not None


def test_latest_exposure_and_account_snapshot(fx):
    f, client = fx
    row = _run(client, overview.latest_exposure).row(0, named=True)
    assert row["ts"] == t(2025, 4, 5, 12, 0) + timedelta(milliseconds=700)
    assert row["n_long"] == 1 and row["n_short"] == 1
    last_pos = [r for r in f.positions if t(2025, 4, 5, 12, 0) <= r[0]]
    assert row["gross_usd"] == pytest.approx(sum(abs(r[5]) for r in last_pos))
    assert row["equity"] == pytest.approx(f.snaps()[-1][1])
    eq = _run(client, risk.latest_account_risk).row(0, named=True)  # the newest account snapshot
    assert eq["ts"] == t(2025, 4, 5, 12, 0) and eq["equity"] == pytest.approx(f.snaps()[-1][1])


def test_flows_list_dedupes(fx):
    _f, client = fx
    df = _run(client, overview.flows_list, START, END)
    assert df["usdc"].to_list() == [-20_000.0, 50_000.0, 5_000.0]


def test_repeated_runs_agree(fx):
    """chdb's query condition cache once returned a different answer on a second run: guard it."""
    _f, client = fx
    for fn, args in (
        (overview.equity_series, (START, END, 86400)),
        (overview.pnl_window, (START, END)),
        (overview.exposure_series, (START, END, 3600)),
        (overview.headline_pnl, ()),
    ):
        first = _run(client, fn, *args)
        again = _run(client, fn, *args)
        assert first.equals(again), fn.__name__


# --------------------------------------------------- a deposit day, checked by hand
@pytest.fixture(scope="module")
def flow_day(engine, desk_url):
    """Four marks around one deposit: +10 %, the deposit, -10 %, +10 %, then the next day's first mark.

    Equity: Jun 1 23:00 1,000 · Jun 2 06:00 2,100 (1,100 after +10 %, plus a 1,000 deposit at 06:00:00,
    reflected in that snapshot) · 12:00 1,890 (-10 %) · 23:00 2,079 (+10 %) · Jun 3 01:00 2,079.
    """
    tm = create_tables(engine, "fxtw")
    marks = [
        (t(2025, 6, 1, 23), 1_000.0),
        (t(2025, 6, 2, 6), 2_100.0),
        (t(2025, 6, 2, 12), 1_890.0),
        (t(2025, 6, 2, 23), 2_079.0),
        (t(2025, 6, 3, 1), 2_079.0),
    ]
    engine.insert(
        tm.qualified("account"), [[ts, ACCT, v, 0.0, None, None, ts, ts] for ts, v in marks], column_names=ACCOUNT_COLS
    )
    dep = t(2025, 6, 2, 6)
    engine.insert(
        tm.qualified("ledger"), [[dep, ACCT, "deposit", 1_000.0, "0xd", dep, dep]] * 2, column_names=LEDGER_COLS
    )
    return fixture_client(desk_url, "fxtw")


def test_flow_day_return_is_time_weighted(flow_day):
    df = _run(flow_day, overview.equity_series, date(2025, 6, 2), date(2025, 6, 3), 86400)
    day = df.filter(pl_date(df) == date(2025, 6, 2)).row(0, named=True)
    # by hand: 1.10 * 0.90 * 1.10 - 1 (a Modified Dietz of the day would say 79 / 1,708.33 = +4.62 %)
    assert day["ret"] == pytest.approx(1.1 * 0.9 * 1.1 - 1, rel=1e-12)
    assert day["pnl"] == pytest.approx(2_079.0 - 1_000.0 - 1_000.0)
    assert day["flows"] == pytest.approx(1_000.0)  # synced twice, counted once
    assert day["complete"] == 1
    # the trough is the -10 % sub-period: 0.99 / 1.10 - 1 from the 06:00 peak
    summary = pnl.drawdown_summary(df)
    assert summary["max_drawdown"] == pytest.approx(0.99 / 1.1 - 1, rel=1e-12)
    assert summary["peak_ts"] == t(2025, 6, 2, 6) and summary["trough_ts"] == t(2025, 6, 2, 12)
    assert summary["recovered_ts"] is None  # 1.089 < 1.10
    head = {r["window"]: r for r in _run(flow_day, overview.headline_pnl).iter_rows(named=True)}
    assert head["all"]["ret"] == pytest.approx(1.1 * 0.9 * 1.1 - 1, rel=1e-12)


def test_unfinished_day_is_left_out_of_daily_statistics(flow_day):
    df = _run(flow_day, overview.equity_series, date(2025, 6, 2), date(2025, 6, 3), 86400)
    # Jun 3 has one snapshot (01:00) and nothing after its end: unfinished
    assert df.filter(pl_date(df) == date(2025, 6, 3))["complete"].item() == 0
    days = pnl.complete_days(df, date(2025, 6, 2))
    assert [b.date() for b in days["bucket"]] == [date(2025, 6, 2)]


def pl_date(df):
    return df["bucket"].dt.date()
