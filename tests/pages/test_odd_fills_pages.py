"""Odd fills on the pages: counted and said, never silent (data of tests/queries/test_odd_fills.py)."""

from __future__ import annotations

import json

import pytest

from tests.queries.fixture_desk import (
    ACCOUNT_COLS,
    KLINE_COLS,
    TARGET_COLS,
    TRADE_COLS,
    create_tables,
)
from tests.queries.test_odd_fills import DAY, _rows
from ui.shell import router

PREFIX = "fxoddpg"


@pytest.fixture(scope="module")
def tables(engine):
    tm = create_tables(engine, PREFIX)
    tr, kl, ac, tg = _rows()
    engine.insert(tm.qualified("trades"), tr, column_names=TRADE_COLS)
    engine.insert(tm.qualified("klines"), kl, column_names=KLINE_COLS)
    engine.insert(tm.qualified("account"), ac, column_names=ACCOUNT_COLS)
    engine.insert(tm.qualified("targets"), tg, column_names=TARGET_COLS)
    return {k: tm.qualified(k) for k in tm.tables}


@pytest.fixture
def on_tables(tables, monkeypatch):
    router.use_navigation()
    monkeypatch.setenv("DESK_TABLES", json.dumps(tables))


def test_trades_says_what_the_sums_leave_out(app, on_tables):
    at = app("pages/trades.py", query={"from": DAY.isoformat(), "to": DAY.isoformat()})
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("**4 fills with a price or size that is not a positive number**") for w in warnings)
    assert any(
        "**1 fee paid in a token without a known USD price** is not in" in w and "XYZ 7 (1 fill)" in w for w in warnings
    ), warnings
    assert any("2 spot fills (e.g. PURR/USDC, @107) are in the fills" in c.value for c in at.caption)
    fees = next(m for m in at.metric if m.label == "Fees")
    # −1,060.51, a cost: USDC fees + 5,000 PURR at $0.20 + 2 HYPE at $30, without the XYZ fee
    assert fees.value == "−$1,061"


def test_trades_filter_accepts_a_spot_coin(app, on_tables):
    at = app("pages/trades.py", query={"from": DAY.isoformat(), "to": DAY.isoformat(), "coin": "PURR/USDC"})
    assert not at.exception, [e.value for e in at.exception]
    assert not [w.value for w in at.warning if "Refused" in w.value or "coin must" in w.value]
    assert at.selectbox(key="tr_coin").value == "PURR/USDC"


def test_positions_flags_a_chain_that_does_not_close(app, on_tables):
    at = app("pages/positions.py", query={"day": DAY.isoformat(), "hour": "2"})
    assert not at.exception, [e.value for e in at.exception]
    warn = [w.value for w in at.warning if "not chain" in w.value]
    assert warn and warn[0].startswith("**1 position from fills that does not chain**") and "FFF" in warn[0]
