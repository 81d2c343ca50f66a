"""The SQL timeline on the real engine, against an independent Python computation."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from lib import config
from queries.engine.run import use_client
from queries.tracking import tracking_error
from queries.tracking.tracking_error import timeline
from tests.queries.fixture_desk import TimelineFixture, create_tables, fixture_client


@pytest.fixture(scope="module")
def fx(engine, desk_url):
    f = TimelineFixture().build()
    tm = create_tables(engine, "fxtl")
    f.insert(engine, tm)
    client = fixture_client(desk_url, "fxtl")
    with use_client(client):
        timeline.clear()
        df = timeline(f.days[0], f.days[-1], f.hour)
    return f, df, client


def _close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_every_row_matches_independent_computation(fx):
    f, df, _client = fx
    expected = f.expected()
    got = {(r["holdings_date"], r["sym"]): r for r in df.iter_rows(named=True)}
    assert set(got) == set(expected)
    for key, exp in expected.items():
        row = got[key]
        for col, value in exp.items():
            assert _close(row[col], value), (key, col, row[col], value)


def test_duplicated_fill_counted_once(fx):
    _, df, _client = fx
    aaa = df.filter(df["sym"] == "AAA")
    assert aaa["pos_units"].to_list() == [100.0, 150.0, 150.0]


def test_fill_after_snapshot_hour_not_counted_but_same_hour_fill_is(fx):
    _, df, _client = fx
    fff = df.filter(df["sym"] == "FFF").sort("holdings_date")
    # FFF flips within 01:00-02:00 on day 3: position after the last fill, -20
    assert fff["pos_units"].to_list() == [0.0, 0.0, -20.0]
    ddd = df.filter(df["sym"] == "DDD").sort("holdings_date")
    assert ddd["pos_units"].to_list() == [500.0, 500.0, 500.0]  # closed at 05:00 on day 3


def test_missing_and_bad_prices_arrive_as_null_not_zero(fx):
    _, df, _client = fx
    bbb = df.filter((df["sym"] == "BBB") & (df["holdings_date"] == date(2025, 3, 11))).row(0, named=True)
    assert bbb["bn_px"] is None and bbb["actual_weight"] is None and bbb["pos_units"] == -40.0
    eee = df.filter((df["sym"] == "EEE") & (df["holdings_date"] == date(2025, 3, 10))).row(0, named=True)
    assert eee["bn_px"] is None and eee["actual_weight"] is None


def test_never_traded_target_is_flat_not_unknown(fx):
    _, df, _client = fx
    ccc = df.filter(df["sym"] == "CCC")
    assert ccc.height == 3
    assert ccc["pos_units"].to_list() == [0.0, 0.0, 0.0]
    assert ccc["actual_weight"].to_list() == [0.0, 0.0, 0.0]


def test_zero_equity_gives_null_weight_for_held_coins(fx):
    _, df, _client = fx
    day3 = df.filter(df["holdings_date"] == date(2025, 3, 12))
    assert day3["equity_usd"].unique().to_list() == [0.0]
    held = day3.filter(day3["pos_units"] != 0)
    assert held["actual_weight"].null_count() == held.height


def test_symbol_map_prices_1000x_contracts(fx):
    _, df, _client = fx
    pepe = df.filter((df["sym"] == "kPEPE") & (df["holdings_date"] == date(2025, 3, 10))).row(0, named=True)
    assert pepe["bn_symbol"] == "1000PEPEUSDT"
    assert pepe["bn_px"] == pytest.approx(0.008 * 1.01 + 0.003)


def test_t1_reference_and_extra_without_target(fx):
    _, df, _client = fx
    ddd = df.filter((df["sym"] == "DDD") & (df["holdings_date"] == date(2025, 3, 10))).row(0, named=True)
    assert ddd["weight_t2"] is None and ddd["has_t2_row"] is False and ddd["weight_t1"] == 0.1
    assert ddd["t2_rows_for_day"] == 6


def test_hour_zero_includes_the_rebalance_and_pre_rebalance_does_not(fx):
    """Hour 0 is read at its end (01:00), after the 00:00-00:02 fills; -1 is 00:00:00, before them."""
    _f, _df, client = fx
    d = date(2025, 3, 11)
    rows = {}
    for hour in (config.PRE_REBALANCE_HOUR, 0):
        tracking_error.timeline.clear()
        with use_client(client):
            df = tracking_error.timeline(d, d, hour)
        rows[hour] = {r["sym"]: r for r in df.iter_rows(named=True)}
        assert set(df["holdings_date"].to_list()) == {d}  # same holdings date, same T+2 targets
        assert rows[hour]["AAA"]["weight_t2"] == pytest.approx(0.10)
    assert rows[0]["AAA"]["pos_units"] == pytest.approx(150.0)  # 100 + the 00:01:05 fills (20 + 30)
    assert rows[config.PRE_REBALANCE_HOUR]["AAA"]["pos_units"] == pytest.approx(100.0)
    assert rows[config.PRE_REBALANCE_HOUR]["AAA"]["ts_hour"] == datetime(2025, 3, 10, 23, tzinfo=UTC)
    with pytest.raises(ValueError):
        tracking_error.timeline(d, d, 24)
