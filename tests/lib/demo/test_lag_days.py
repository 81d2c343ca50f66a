"""The demo's whole-book scripted days (lib/demo/simulation/book.py SCRIPTED), from the raw rows read back.

Dec 13 2025 skips the rebalance (no fill at all that day, the book keeps Dec 12's positions),
Dec 14 trades the whole book on the D-1 weights. The effective lag is recomputed here in
plain Python from the de-duplicated fills, candles, equity and targets (not with the SQL):
Dec 13 tracks D-3 best, Dec 14 D-1, and the playbook days Dec 5-7 stay at D-2.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib.demo.simulation.book import PROTECTED, SCRIPTED
from tests.lib.demo.test_desk import Raw

UTC = UTC
SKIP, LAG1 = date(2025, 12, 13), date(2025, 12, 14)


@pytest.fixture(scope="module")
def raw(desk_client):
    return Raw(desk_client)


def te_by_lag(raw: Raw, d: date, hour: int = 2) -> dict[int, float | None]:
    h = datetime(d.year, d.month, d.day, hour, tzinfo=UTC)
    end = h + timedelta(hours=1)
    pos = {c: u for c, u in raw.pos_units(end).items() if u != 0}
    eq = raw.equity(end)
    actual = {}
    for c, u in pos.items():
        px = raw.close(c, h)
        if px is not None:
            actual[c] = u * px / eq
    out: dict[int, float | None] = {}
    for lag in range(4):
        w = raw.weights(d - timedelta(days=lag))
        if not w:
            out[lag] = None
            continue
        syms = (set(w) | set(pos)) - (set(pos) - set(actual))  # unpriced held names are left out
        out[lag] = math.sqrt(sum((actual.get(s, 0.0) - w.get(s, 0.0)) ** 2 for s in syms))
    return out


def best(tes: dict[int, float | None]) -> int:
    return min((v, abs(k - 2), k) for k, v in tes.items() if v is not None)[2]


def test_scripted_days_are_outside_the_playbook_window():
    for d in (SKIP, LAG1):
        assert not (PROTECTED[0] <= d <= PROTECTED[1])
    assert SCRIPTED[SKIP] == ("skip",) and SCRIPTED[LAG1] == ("lag1",)


def test_skipped_rebalance_has_no_fill_and_tracks_d_minus_3(raw):
    day = raw.trades.filter(pl.col("time").dt.date() == SKIP)
    assert day.height == 0
    tes = te_by_lag(raw, SKIP)
    assert best(tes) == 3
    assert tes[3] < 0.5 * tes[2]  # clearly, not marginally


def test_rebalance_on_the_d_minus_1_targets(raw):
    burst = raw.trades.filter(pl.col("time").dt.date() == LAG1)
    assert burst["coin"].n_unique() >= 30  # the whole book moved
    tes = te_by_lag(raw, LAG1)
    assert best(tes) == 1
    assert tes[1] < 0.5 * tes[2]


@pytest.mark.parametrize("d", [date(2025, 12, 5), date(2025, 12, 6), date(2025, 12, 7)])
def test_playbook_days_stay_at_d_minus_2(raw, d):
    assert best(te_by_lag(raw, d)) == 2


def test_sql_sweep_agrees_with_the_raw_rows(raw, desk_client, fresh_caches):
    from queries.tracking.tracking_error import lag_sweep

    sweep = lag_sweep(date(2025, 12, 12), date(2025, 12, 15), 2)
    for d in (date(2025, 12, 12), SKIP, LAG1, date(2025, 12, 15)):
        tes = te_by_lag(raw, d)
        got = {r["lag"]: r["te"] for r in sweep.filter(pl.col("holdings_date") == d).iter_rows(named=True)}
        for lag, v in tes.items():
            if v is None:
                assert got[lag] is None, (d, lag)
            else:
                assert got[lag] == pytest.approx(v, rel=1e-9), (d, lag)
