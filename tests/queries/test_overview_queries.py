"""Overview SQL (equity series, PnL window, headline, exposure) on chdb vs plain Python."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import pytest

from lib import config, pnl
from queries import overview
from queries._base import use_client
from tests.queries.fixture_desk import ACCOUNT_COLS, TRADE_COLS, create_tables, fixture_client, t

PREFIX = "fxov"
ACCT = "0xov"
UTC = timezone.utc
START, END = date(2025, 4, 1), date(2025, 4, 4)
LEDGER_COLS = ["time", "account", "type", "usdc", "hash", "ingested_at", "synced_at"]
FUNDING_COLS = ["time", "account", "coin", "usdc", "szi", "funding_rate", "ingested_at", "synced_at"]
ROUND = timedelta(seconds=config.SNAPSHOT_ROUND_S)
MAX_AGE = timedelta(minutes=config.POSITIONS_MARK_MAX_AGE_MIN)
PAIR_TOL = timedelta(minutes=config.MARK_PAIR_TOLERANCE_MIN)
POSITION_COLS = ["ts", "account", "coin", "szi", "entry_px", "position_value", "unrealized_pnl", "leverage",
                 "liquidation_px", "margin_used", "ingested_at", "synced_at"]


@dataclass
class OverviewFixture:
    account: list[list] = field(default_factory=list)
    ledger: list[list] = field(default_factory=list)
    trades: list[list] = field(default_factory=list)
    funding: list[list] = field(default_factory=list)
    positions: list[list] = field(default_factory=list)

    def build(self) -> "OverviewFixture":
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
            row = [ts, ACCT, coin, side, px, sz, 0.0, "Open Long" if side == "B" else "Close Long", pnl_, fee,
                   "USDC", n, n, None, True, "0xh", ts, ts]
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

    def equity_series(self, start: date, end: date, bucket_s: int) -> list[dict]:
        t_start = datetime(start.year, start.month, start.day, tzinfo=UTC)
        t_end = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
        snaps = [(ts, v) for ts, v in self.snaps() if t_start - timedelta(days=7) <= ts < t_end]

        def bucket(ts):
            epoch = int(ts.timestamp())
            return datetime.fromtimestamp(epoch - epoch % bucket_s, tz=UTC)

        last: dict[datetime, tuple[datetime, float]] = {}
        for ts, v in snaps:
            last[bucket(ts)] = (ts, v)
        keys = sorted(last)
        out = []
        for i, b in enumerate(keys):
            ts1, e1 = last[b]
            ts0, e0 = last[keys[i - 1]] if i > 0 else (None, None)
            flows = fw = 0.0
            for (ft, _h), usdc in self.flows_unique():
                if not (t_start - timedelta(days=7) <= ft < t_end):
                    continue
                reflected = next((ts for ts, _ in snaps if ts >= ft), None)
                if reflected is None or bucket(reflected) != b:
                    continue
                flows += usdc
                w = 0.5 if ts0 is None else max(0.0, min(1.0, (ts1 - ft) / (ts1 - ts0)))
                fw += usdc * w
            if b >= t_start:
                out.append({"bucket": b, "equity_ts": ts1, "equity": e1, "prev_equity_ts": ts0, "prev_equity": e0,
                            "flows": flows, "flows_weighted": fw})
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
        t_from = datetime(start.year, start.month, start.day, tzinfo=UTC)
        t_to = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
        snaps = [(ts, v) for ts, v in self.snaps() if t_from - timedelta(days=7) <= ts < t_to]
        ntl = {r[0]: r[3] for r in self.account}
        before = [s for s in snaps if s[0] <= t_from]
        a0 = before[-1] if before else snaps[0]
        a1 = snaps[-1]
        pos_ts = sorted({r[0] for r in self.positions_unique().values() if t_from - timedelta(days=7) <= r[0] < t_to})
        p0 = max((x for x in pos_ts if t_from - MAX_AGE <= x <= t_from), default=None)
        p1 = max((x for x in pos_ts if x >= a1[0] - MAX_AGE), default=None)

        def pair(p, fallback):
            if p is None:
                return fallback, False
            near = min(snaps, key=lambda s: abs(s[0] - p))
            return (near, True) if abs(near[0] - p) <= PAIR_TOL else (fallback, False)

        (t0, e0), paired0 = pair(p0, a0)
        (t1, e1), paired1 = pair(p1, a1)

        def unrealized(p, paired, mark_ts):
            if paired:
                return sum(r[6] for r in self.round_at(p).values() if r[6] is not None)
            return 0.0 if ntl.get(mark_ts) == 0.0 else None

        inside = lambda ts: t0 < ts <= t1  # noqa: E731
        fills = {(r[1], r[12]): r for r in self.trades}.values()
        funding = {(r[1], r[2], r[0]): r for r in self.funding}.values()
        return {
            "equity_start_ts": t0, "equity_start": e0, "equity_end_ts": t1, "equity_end": e1,
            "flows": sum(u for (ft, _), u in self.flows_unique() if inside(ft)),
            "realized": sum(r[8] for r in fills if inside(r[0])),
            "fees": sum(r[9] for r in fills if inside(r[0])),
            "n_fills": sum(1 for r in fills if inside(r[0])),
            "funding": sum(r[3] for r in funding if inside(r[0])),
            "unrealized_start": unrealized(p0, paired0, t0),
            "unrealized_end": unrealized(p1, paired1, t1),
            "unrealized_start_ts": p0 if paired0 else None, "unrealized_end_ts": p1 if paired1 else None,
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
    df = pnl.period_returns(_run(client, overview.equity_series, START, END, 86400))
    by_day = {r["bucket"].date(): r for r in df.iter_rows(named=True)}
    assert sorted(by_day) == [date(2025, 4, d) for d in (1, 2, 3, 4)]
    # the deposit synced twice counts once; the exact-time deposit is in day 1
    assert by_day[date(2025, 4, 1)]["flows"] == pytest.approx(5_000.0)
    assert by_day[date(2025, 4, 2)]["flows"] == pytest.approx(50_000.0)
    # a withdrawal after the day's last snapshot belongs to the next day's equity change
    assert by_day[date(2025, 4, 3)]["flows"] == 0.0
    assert by_day[date(2025, 4, 4)]["flows"] == pytest.approx(-20_000.0)
    # the deposit day's PnL is the market move only (no 50k "gain")
    d2 = by_day[date(2025, 4, 2)]
    assert abs(d2["pnl"]) < 2_000
    assert d2["equity"] - d2["prev_equity"] > 45_000
    # zero and null equity snapshots were skipped: no -100% day
    assert all(r["ret"] is not None and r["ret"] > -0.2 for r in by_day.values())


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


def test_pnl_window_marks_pair_positions_and_equity(fx):
    f, client = fx
    row = _run(client, overview.pnl_window, START, END).row(0, named=True)
    # start: the 00:00 pass (AAA 00:00:00, BBB 00:00:00.7) pairs with the 00:00 account snapshot
    assert row["unrealized_start_ts"] == t(2025, 4, 1, 0, 0) and row["equity_start_ts"] == t(2025, 4, 1, 0, 0)
    # end: the last pass (23:00) pairs with the 23:00 snapshot, not the later 23:30 one
    assert row["unrealized_end_ts"] == t(2025, 4, 4, 23, 0, 0, 700000)
    assert row["equity_end_ts"] == t(2025, 4, 4, 23, 0)
    assert row["n_unrealized_null"] == 1  # BBB's unrealized is unknown at 23:00 (and synced twice)


def test_pnl_window_flat_book_at_data_start(fx):
    f, client = fx
    # the range starts before the data: the first snapshot is the start mark, and the account
    # reports no open notional there, so unrealized at the start is 0, not unknown
    row = _run(client, overview.pnl_window, date(2025, 3, 29), date(2025, 3, 31)).row(0, named=True)
    exp = f.window(date(2025, 3, 29), date(2025, 3, 31))
    for k, v in exp.items():
        assert _close(row[k], v), (k, row[k], v)
    assert row["equity_start_ts"] == t(2025, 3, 30, 0, 0) and row["unrealized_start"] == 0.0
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
        rows = list(newest.values())
        long_ = sum(abs(r[5]) for r in rows if r[3] > 0 and r[5] is not None)
        short = sum(abs(r[5]) for r in rows if r[3] < 0 and r[5] is not None)
        eq = [v for s_, v in raw if s_ <= ts][-1]
        assert row["ts"] == ts
        assert row["gross_usd"] == pytest.approx(long_ + short)
        assert row["net_usd"] == pytest.approx(long_ - short)
        assert row["n_long"] == sum(1 for r in rows if r[3] > 0)
        assert row["n_short"] == sum(1 for r in rows if r[3] < 0)
        assert row["n_unvalued"] == sum(1 for r in rows if r[5] is None)
        assert _close(row["equity"], eq)
        if eq > 0:
            assert row["gross_pct"] == pytest.approx((long_ + short) / eq)
        else:
            assert row["gross_pct"] is None
    # one pass, two coins 0.7 s apart: both counted
    assert df.filter(df["bucket"] == t(2025, 4, 2, 0, 0) if bucket_s == 86400 else df["bucket"] == t(2025, 4, 2, 5))[
        "n_short"].item() == 1


def test_exposure_zero_equity_gives_null_pct(fx):
    _f, client = fx
    df = _run(client, overview.exposure_series, date(2025, 4, 3), date(2025, 4, 3), 3600)
    # hour 07:00 shows its last positions snapshot (07:30), when equity reads 0: unknown, not 0%
    hour7 = df.filter(df["bucket"].dt.hour() == 7).row(0, named=True)
    assert hour7["ts"] == t(2025, 4, 3, 7, 30)
    assert hour7["equity"] == 0.0 and hour7["gross_pct"] is None and hour7["net_pct"] is None
    assert hour7["n_long"] == 1 and hour7["n_short"] == 0
    hour8 = df.filter(df["bucket"].dt.hour() == 8).row(0, named=True)
    assert hour8["gross_pct"] is not None


def test_latest_exposure_and_equity(fx):
    f, client = fx
    row = _run(client, overview.latest_exposure).row(0, named=True)
    assert row["ts"] == t(2025, 4, 5, 12, 0) + timedelta(milliseconds=700)
    assert row["n_long"] == 1 and row["n_short"] == 1
    last_pos = [r for r in f.positions if t(2025, 4, 5, 12, 0) <= r[0]]
    assert row["gross_usd"] == pytest.approx(sum(abs(r[5]) for r in last_pos))
    assert row["equity"] == pytest.approx(f.snaps()[-1][1])
    eq = _run(client, overview.latest_equity).row(0, named=True)
    assert eq["ts"] == t(2025, 4, 5, 12, 0)


def test_flows_list_dedupes(fx):
    _f, client = fx
    df = _run(client, overview.flows_list, START, END)
    assert df["usdc"].to_list() == [-20_000.0, 50_000.0, 5_000.0]


def test_repeated_runs_agree(fx):
    """chdb's query condition cache once returned a different answer on a second run: guard it."""
    _f, client = fx
    for fn, args in ((overview.equity_series, (START, END, 86400)), (overview.pnl_window, (START, END)),
                     (overview.exposure_series, (START, END, 3600)), (overview.headline_pnl, ())):
        first = _run(client, fn, *args)
        again = _run(client, fn, *args)
        assert first.equals(again), fn.__name__
