"""The live demo desk (lib/demo/feeder.py), driven by a fake clock across midnight.

Everything runs in the session engine (one chdb path per process) under its own
database names: a desk the feeder seeds, ticks and (after a "restart") catches
up, and a second desk seeded fresh to the same end for comparison.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib.config import DEMO_FEEDER_MONITOR, table_map
from lib.demo import DeskModel, read_state, seed_client
from lib.demo.feeder import Feeder, for_settings
from lib.demo.simulation.market import ms_of
from lib.demo.tables import MONITORS, NEVER

UTC = UTC
START = datetime(2025, 12, 12, tzinfo=UTC)
COINS = 35  # the fewest the generator allows: fast
T_SEED = datetime(2025, 12, 15, 22, 30, tzinfo=UTC)
T_STOP = datetime(2025, 12, 16, 0, 40, 13, tzinfo=UTC)  # the app stops after the 00:00 rebalance
T_RESTART = datetime(2025, 12, 16, 2, 0, tzinfo=UTC)  # ... and starts again 80 minutes later


def _tables(prefix: str):
    return table_map(
        {
            "trades": f"{prefix}_mon.trades",
            "positions": f"{prefix}_mon.positions_snapshots",
            "account": f"{prefix}_mon.account_snapshots",
            "funding": f"{prefix}_mon.funding",
            "ledger": f"{prefix}_mon.ledger",
            "orders": f"{prefix}_mon.orders",
            "heartbeat": f"{prefix}_mon.monitor_heartbeat",
            "sync_log": f"{prefix}_mon.sync_log",
            "targets": f"{prefix}_logs.positions_jianan_v6",
            "klines": f"{prefix}_binance.klines_1h",
            "asset_meta": f"{prefix}_hl.asset_meta",
        }
    )


FED, FRESH = _tables("feed13"), _tables("fresh13")


class FakeClock:
    def __init__(self, t: datetime):
        self.t = t.timestamp()

    def __call__(self) -> float:
        return self.t

    def to(self, t: datetime) -> None:
        self.t = t.timestamp()


def _df(client, sql: str) -> pl.DataFrame:
    return pl.from_arrow(client.query_arrow(sql))


@pytest.fixture(scope="module")
def fed(engine):
    """The feeder's desk: seeded at T_SEED, ticked every 5 minutes (and a few odd steps) to T_STOP,
    then a new Feeder (an app restart) catches up to T_RESTART."""
    clock = FakeClock(T_SEED)
    first = Feeder(engine, tables=FED, clock=clock, start=START, coins=COINS, host="test-host")
    done = [first.prepare()]
    for name in FED.tables:
        engine.command(f"SYSTEM STOP MERGES {FED.qualified(name)}")  # keep the re-sent duplicates to compare
    seen = {"targets_before": _df(engine, f"SELECT max(date) AS d FROM {FED.qualified('targets')}")["d"][0]}
    t, ticks = T_SEED, 0
    while t < T_STOP:
        t = min(t + timedelta(minutes=5, seconds=7 if ticks % 3 else 0, milliseconds=ticks), T_STOP)
        clock.to(t)
        assert first.tick() >= 0, first.status.last_error
        ticks += 1
    seen["ticks"] = ticks
    clock.to(T_RESTART)
    second = Feeder(engine, tables=FED, clock=clock, start=START, coins=COINS, host="test-host")
    progress: list[tuple[float, str]] = []
    done.append(second.prepare(lambda f, m: progress.append((f, m))))
    seen.update(done=done, progress=progress, feeder=second)
    return seen


@pytest.fixture(scope="module")
def fresh(engine):
    seed_client(engine, start=START, end=T_RESTART, coins=COINS, tables=FRESH, force=True)
    return FRESH


def test_feeder_seeds_then_catches_up_after_a_restart(fed, engine):
    assert fed["done"] == ["seeded", "caught up"]
    assert read_state(engine, FED).end_ms == ms_of(T_RESTART)
    assert fed["progress"] and fed["progress"][-1][0] == 1.0
    assert any("catching up" in m for _, m in fed["progress"])


def test_rebalance_happens_after_midnight_against_d_minus_2(fed, engine):
    day = date(2025, 12, 16)  # (Dec 15 has no rebalance: Dec 14 already traded its targets, lag1)
    fills = _df(
        engine,
        f"SELECT coin, time, sz, side FROM {FED.qualified('trades')} WHERE toDate(time) = '{day}' LIMIT 1 BY tid",
    )
    burst = fills.filter(pl.col("time") < datetime(2025, 12, 16, 0, 5, tzinfo=UTC))
    assert burst.height >= 10 and burst["time"].min() >= datetime(2025, 12, 16, 0, 0, 30, tzinfo=UTC)
    # the book after the burst follows the weights dated D-2 (2025-12-14): same sign on the big names
    pos = _df(
        engine,
        f"""
        SELECT toString(coin) AS coin, szi FROM {FED.qualified("positions")}
        WHERE ts >= '2025-12-16 00:59:30' AND ts < '2025-12-16 01:00:00' LIMIT 1 BY coin""",
    )
    w = _df(engine, f"SELECT toString(sym) AS coin, weight FROM {FED.qualified('targets')} WHERE date = '2025-12-14'")
    both = pos.join(w, on="coin").filter(pl.col("weight").abs() > 0.01)
    assert both.height >= 10
    assert (both["szi"].sign() == both["weight"].sign()).mean() >= 0.9


def test_targets_for_the_new_day_appear(fed, engine):
    assert fed["targets_before"] == date(2025, 12, 14)  # at 22:30 on Dec 15: dated Dec 14 is the newest
    after = _df(
        engine,
        f"SELECT max(date) AS d, count() AS n FROM {FED.qualified('targets')} "
        f"WHERE date = (SELECT max(date) FROM {FED.qualified('targets')})",
    )
    assert after["d"][0] == date(2025, 12, 15) and after["n"][0] == COINS + 2  # + kPEPE, kBONK


def test_heartbeats_continue_and_the_feeder_beats(fed, engine):
    hb = _df(
        engine,
        f"SELECT toString(monitor) AS monitor, max(ts) AS last, count() AS n "
        f"FROM {FED.qualified('heartbeat')} WHERE ts >= '2025-12-15 22:30:00' GROUP BY monitor",
    )
    last = dict(zip(hb["monitor"], hb["last"]))
    alive = [m for m in MONITORS if m in last and T_RESTART - last[m] < timedelta(minutes=2)]
    assert len(alive) >= 6, last  # the demo's scripted outages may silence one or two, never all
    feeder_beats = hb.filter(pl.col("monitor") == DEMO_FEEDER_MONITOR)["n"][0]
    assert feeder_beats == fed["ticks"] + 2  # one per tick + one per prepare()
    ok = _df(
        engine,
        f"SELECT countIf(status = 'ok') AS ok, any(host) AS host FROM {FED.qualified('heartbeat')} "
        f"WHERE monitor = '{DEMO_FEEDER_MONITOR}'",
    )
    assert ok["ok"][0] == feeder_beats and ok["host"][0] == "test-host"


# column lists (the sync log names its tables' database, which differs between the two desks)
_COLS = {"sync_log": "started_at, finished_at, table, rows, max_source_ts, status, error"}


@pytest.mark.parametrize(
    "name",
    ["trades", "orders", "funding", "ledger", "account", "positions", "heartbeat", "sync_log", "targets", "klines"],
)
def test_caught_up_desk_equals_a_fresh_seed(fed, fresh, engine, name):
    where = f" WHERE monitor != '{DEMO_FEEDER_MONITOR}'" if name == "heartbeat" else ""
    sql = "SELECT count() AS n, groupBitXor(cityHash64({cols})) AS h, sum(cityHash64({cols})) AS s FROM {t}{w}"
    a = _df(engine, sql.format(cols=_COLS.get(name, "*"), t=FED.qualified(name), w=where))
    b = _df(engine, sql.format(cols=_COLS.get(name, "*"), t=fresh.qualified(name), w=where))
    assert a["n"][0] > 0
    assert a.rows() == b.rows(), name


def test_windows_compose_exactly_in_the_generator():
    """rows(-inf, t1) + rows(t1, t2) from models built through different days == rows(-inf, t2)."""
    t1 = ms_of(datetime(2025, 12, 15, 23, 59, 59, 999000, tzinfo=UTC))
    t2 = ms_of(datetime(2025, 12, 16, 0, 10, tzinfo=UTC))
    early, late = DeskModel(START.date(), date(2025, 12, 15), COINS), DeskModel(START.date(), date(2025, 12, 16), COINS)
    whole, a, b = late.rows(NEVER, t2), early.rows(NEVER, t1), late.rows(t1, t2)
    for name, table in whole.items():
        canon = lambda t: pl.from_arrow(t).with_columns(pl.col(pl.Categorical).cast(pl.Utf8)).sort(pl.all())  # noqa
        assert canon(table).equals(canon(_concat(a[name], b[name]))), name
    assert b["trades"].num_rows > 0  # the burst at ~00:00:45 (synced at 00:05) is in the second window


def _concat(x, y):
    import pyarrow as pa

    return pa.concat_tables([x, y.cast(x.schema)] if x.num_rows else [y])


def test_a_very_old_desk_is_rebuilt(engine):
    tables = _tables("old13")
    clock = FakeClock(datetime(2025, 12, 14, 6, 0, tzinfo=UTC))
    assert Feeder(engine, tables=tables, clock=clock, start=START, coins=COINS).prepare() == "seeded"
    clock.to(datetime(2025, 12, 24, 6, 0, tzinfo=UTC))  # 10 days later: older than DEMO_REBUILD_AFTER_DAYS (7)
    again = Feeder(engine, tables=tables, clock=clock, start=START, coins=COINS, rebuild_after_days=7)
    assert again.prepare() == "rebuilt"
    assert read_state(engine, tables).end_ms == ms_of(datetime(2025, 12, 24, 6, 0, tzinfo=UTC))


def test_a_failing_tick_is_logged_and_beaten_not_raised(engine, caplog):
    tables = _tables("fail13")
    clock = FakeClock(datetime(2025, 12, 14, 6, 0, tzinfo=UTC))
    f = Feeder(engine, tables=tables, clock=clock, start=START, coins=COINS)
    f.prepare()
    engine.command(f"DROP TABLE {tables.qualified('klines')}")  # a table disappears under the feeder
    clock.to(datetime(2025, 12, 14, 7, 0, tzinfo=UTC))
    assert f.tick() == -1
    assert f.status.state == "failed" and "klines" in f.status.last_error
    assert "demo feeder tick failed" in caplog.text
    beat = _df(
        engine,
        f"SELECT status, message FROM {tables.qualified('heartbeat')} "
        f"WHERE monitor = '{DEMO_FEEDER_MONITOR}' ORDER BY ts DESC LIMIT 1",
    )
    assert beat["status"][0] == "error" and "klines" in beat["message"][0]


def test_only_the_embedded_default_gets_a_feeder(tmp_path):
    from lib.clickhouse.endpoints import resolve_settings

    assert for_settings(resolve_settings({})) is not None  # nothing configured: the app's own demo
    assert for_settings(resolve_settings({"CLICKHOUSE_URL": f"chdb://{tmp_path}/x.chdb"})) is None
    assert for_settings(resolve_settings({"CLICKHOUSE_URL": "https://u:p@ch.example:8443/db"})) is None
    assert for_settings(resolve_settings({}, {"path": str(tmp_path / "y.chdb")})) is None  # secrets


def test_no_row_becomes_visible_later_than_the_lookback(desk_client):
    """Windows stay exact only if nothing arrives more than MIN_LOOKBACK_MS after its event
    (outage delays + waiting for a good sync run): checked on the session's 26-day desk."""
    from lib.demo.tables import MIN_LOOKBACK_MS

    tm = table_map()
    for name, col in (
        ("trades", "time"),
        ("orders", "time"),
        ("funding", "time"),
        ("ledger", "time"),
        ("account", "ts"),
        ("positions", "ts"),
    ):
        lag_ms = int(
            desk_client.command(f"SELECT max(dateDiff('millisecond', {col}, synced_at)) FROM {tm.qualified(name)}")
        )
        assert 0 < lag_ms < MIN_LOOKBACK_MS / 2, name
