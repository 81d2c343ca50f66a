"""Inception: one stray old row cannot become "the start" (issue 25 §2).

Before: one account snapshot dated 2016-01-04 (ten years before the desk's real history) turned Overview's
"PnL since 2016-01-04" into −99.99% and moved the "All" range preset to 2016. Now inception is the first snapshot
of the continuous history (no gap longer than config.INCEPTION_MAX_GAP_DAYS days after it) or the configured date
(DESK_INCEPTION); every row before it is a stray, counted on System Health.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib import config
from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import resolve_settings
from lib.demo import seed_client
from queries.book import overview
from queries.engine.run import recording, use_client
from queries.health import health, odd_data
from tests.queries.fixture_desk import create_tables, fixture_client
from ui.shell import router

UTC = UTC
PREFIX, CLEAN = "fxincept", "fxinceptc"
SPAN = (datetime(2025, 12, 1, tzinfo=UTC), datetime(2025, 12, 8, 12, tzinfo=UTC))
STRAY = datetime(2016, 1, 4, 8, tzinfo=UTC)
RAW = {"optimize_on_insert": 0}


def _stray(engine, tm, name: str, col: str, when: datetime, factor: str = "") -> None:
    table = tm.qualified(name)
    repl = f"toDateTime64('{when:%Y-%m-%d %H:%M:%S}', 3, 'UTC') AS {col}" + factor
    engine.command(  # the oldest real row, copied (an ORDER BY beside the REPLACE would sort by the new value)
        f"INSERT INTO {table} SELECT * REPLACE ({repl}) FROM (SELECT * FROM {table} ORDER BY {col} LIMIT 1)",
        settings=RAW,
    )


@pytest.fixture(scope="module")
def fx(engine, desk_url):
    clean = create_tables(engine, CLEAN)
    seed_client(engine, start=SPAN[0], end=SPAN[1], tables=clean)
    tm = create_tables(engine, PREFIX)
    seed_client(engine, start=SPAN[0], end=SPAN[1], tables=tm)
    # a stray snapshot with a far larger equity (the −99.99% case), and a stray fill and positions row beside it
    _stray(engine, tm, "account", "ts", STRAY, ", account_value * 10000 AS account_value")
    _stray(engine, tm, "positions", "ts", STRAY)
    _stray(engine, tm, "trades", "time", STRAY + timedelta(hours=1))
    first_real = engine.command(f"SELECT toString(min(ts)) FROM {clean.qualified('account')}")
    return tm, first_real, fixture_client(desk_url, PREFIX), fixture_client(desk_url, CLEAN)


def _clear() -> None:
    for fn in (health.data_as_of, overview.headline_pnl, odd_data.stray_rows):
        fn.clear()


def _headline(client: DeskClient) -> list[dict]:
    with use_client(client):
        _clear()
        return overview.headline_pnl().to_dicts()


def test_a_stray_old_snapshot_is_not_the_start(fx):
    _, first_real, client, clean_client = fx
    with use_client(client):
        _clear()
        inception = health.data_as_of().item(0, "inception_ts")
    assert inception.strftime("%Y-%m-%d %H:%M:%S") == first_real[:19]  # the first snapshot of the real history
    got, clean = _headline(client), _headline(clean_client)
    since = next(r for r in got if r["window"] == "all")
    assert since["equity_start_ts"].strftime("%Y-%m-%d %H:%M:%S") == first_real[:19]
    assert since["ret"] > -0.5  # not −99.99%
    assert got == clean  # every window, every number: as on the desk without the stray row


def test_a_window_whose_look_back_reaches_the_stray_starts_at_the_real_history(fx):
    """The start mark (start_mark.sql) reads inception computed first and bound (queries/engine/inception.py):
    a window starting the day after the stray looks back over it, and still starts at the first real snapshot, in
    the PnL window and the equity series alike."""
    _, first_real, client, _ = fx
    start, end = (STRAY + timedelta(days=1)).date(), SPAN[0].date()
    with use_client(client), recording() as log:
        overview.pnl_window.clear()
        overview.equity_series.clear()
        window = overview.pnl_window(start, end).row(0, named=True)
        series = overview.equity_series(start, end, 86400)
    assert window["equity_start_ts"].strftime("%Y-%m-%d %H:%M:%S") == first_real[:19]
    (first,) = series.filter(pl.col("start_mark") == 1).to_dicts()
    assert first["bucket"].date() == SPAN[0].date() and first["prev_equity_ts"] == window["equity_start_ts"]
    assert series["bucket"].min() == first["bucket"]  # nothing from 2016
    rules = [sql for sql, _params, _rows in log if "inception_gap_days" in sql]
    bound = [params["desk_inception_ts"] for _sql, params, _rows in log if "desk_inception_ts" in params]
    assert len(rules) == len(bound) == 2  # the rule ran on its own before each statement, and was bound in it
    assert {b.strftime("%Y-%m-%d %H:%M:%S") for b in bound} == {first_real[:19]}


def test_system_health_counts_the_strays(fx):
    _, first_real, client, _ = fx
    with use_client(client):
        _clear()
        rows = {r["table_key"]: r for r in odd_data.stray_rows().iter_rows(named=True)}
    assert {k: r["n_stray"] for k, r in rows.items() if r["n_stray"]} == {"account": 1, "positions": 1, "trades": 1}
    assert rows["account"]["first_stray"] == STRAY and rows["trades"]["last_stray"] == STRAY + timedelta(hours=1)
    assert rows["ledger"]["n_stray"] == 0
    assert {r["inception"].strftime("%Y-%m-%d %H:%M:%S") for r in rows.values()} == {first_real[:19]}


def test_a_configured_inception_wins(fx):
    _, _, client, _ = fx
    configured = dataclasses.replace(client.settings, inception=date(2025, 12, 3))
    fixed = DeskClient(configured)
    with use_client(fixed):
        _clear()
        assert health.data_as_of().item(0, "inception_ts") == datetime(2025, 12, 3, tzinfo=UTC)
        since = overview.headline_pnl().filter(pl.col("window") == "all").to_dicts()[0]
        strays = {r["table_key"]: r["n_stray"] for r in odd_data.stray_rows().iter_rows(named=True)}
        _clear()
    assert since["equity_start_ts"].date() == date(2025, 12, 3)  # the first snapshot of that day
    assert since["equity_start_ts"] < datetime(2025, 12, 3, 1, tzinfo=UTC)
    assert strays["account"] > 1 and strays["trades"] > 1  # everything before 2025-12-03 is before inception


def test_the_gap_rule_on_its_boundary(engine, desk_url):
    """A gap of exactly INCEPTION_MAX_GAP_DAYS days keeps the history continuous; one day more starts it anew."""
    tm = create_tables(engine, "fxinceptgap")
    table = tm.qualified("account")
    gap = config.INCEPTION_MAX_GAP_DAYS
    days = [date(2025, 1, 1), date(2025, 1, 1) + timedelta(days=gap)]  # a gap of `gap` days: continuous
    days += [days[-1] + timedelta(days=gap + 1)]  # a gap of gap + 1 days: a new start
    days += [days[-1] + timedelta(days=i) for i in (1, 2)]
    values = ", ".join(
        f"(toDateTime64('{d} 06:00:00', 3, 'UTC'), 'acct', 100.0, 0, 0, 0, now64(3), now64(3))" for d in days
    )
    engine.command(f"INSERT INTO {table} VALUES {values}")
    client = fixture_client(desk_url, "fxinceptgap")
    with use_client(client):
        _clear()
        assert health.data_as_of().item(0, "inception_ts") == datetime.combine(days[2], datetime.min.time(), UTC) + (
            timedelta(hours=6)
        )
        strays = {r["table_key"]: r["n_stray"] for r in odd_data.stray_rows().iter_rows(named=True)}
        _clear()
    assert strays["account"] == 2


def test_desk_inception_is_read_from_the_environment_and_the_secrets():
    assert resolve_settings({"DESK_INCEPTION": "2025-03-01"}).inception == date(2025, 3, 1)
    assert resolve_settings({}, {"inception": "2025-04-01"}).inception == date(2025, 4, 1)
    assert resolve_settings({"DESK_INCEPTION": "2025-03-01"}, {"inception": "2025-04-01"}).inception == date(2025, 3, 1)
    assert resolve_settings({}).inception is None
    for bad in ("2025-02-30", "١٢٠٢٥-03-01", "2014-06-01", "yesterday"):
        with pytest.raises(config.ConfigError, match="inception"):
            resolve_settings({}, {"inception": bad})


def test_overview_and_system_health_pages(fx, app, monkeypatch):
    tm, first_real, _, _ = fx
    router.use_navigation()
    monkeypatch.setenv("DESK_TABLES", json.dumps({k: tm.qualified(k) for k in tm.tables}))
    at = app("pages/overview.py")
    assert not at.exception, [e.value for e in at.exception]
    text = _all_text(at)
    assert "2016" not in text and f"since {first_real[:10]}" in text
    at = app("pages/system_health.py")
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.tabs][2] == "Data quality · :orange[3 odd rows]"  # said while the tab is closed
    at = app("pages/system_health.py", query={"section": "data"})  # the tab itself says which rows
    assert not at.exception, [e.value for e in at.exception]
    warn = [w.value for w in at.warning if "before the desk's inception" in w.value]
    assert warn, [w.value for w in at.warning]
    assert warn[0].startswith("**3 rows dated before the desk's inception**"), warn[0]
    assert f"({first_real[:16]} UTC)" in warn[0] and "2016-01-04" in warn[0]


def _all_text(at) -> str:
    from tests.test_reliability import texts

    return texts(at)
