"""lib/rebalance/completion.py on a hand-made day: each state, its reason, the checkpoints, the step series, the
book's % complete against an independent sum, and slippage pending until the hour's candle exists."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib.rebalance import completion as c

DAY = date(2025, 12, 7)
T0 = datetime(2025, 12, 7, tzinfo=UTC)
E = 100_000.0
PX = 100.0


def pre(equity: float = E, rows: list | None = None) -> pl.DataFrame:
    rows = rows or [  # sym, units before 00:00, price, target weight
        ("DONE", 0.0, PX, 0.05),
        ("PART", 0.0, PX, 0.05),
        ("OVER", -20.0, PX, -0.005),
        ("REJ", 0.0, PX, 0.02),
        ("NONE", 0.0, PX, 0.03),
        ("NOPX", 0.0, None, 0.01),
        ("ONT", 20.0, PX, 0.02),
        ("LATE", 0.0, PX, 0.04),
    ]
    return pl.DataFrame(
        {
            "holdings_date": [DAY] * len(rows),
            "sym": [r[0] for r in rows],
            "pos_units": [r[1] for r in rows],
            "bn_px": [r[2] for r in rows],
            "equity_usd": [equity] * len(rows),
            "weight_t2": [r[3] for r in rows],
            "has_t2_row": [True] * len(rows),
        }
    )


def steps() -> pl.DataFrame:
    rows = [
        ("DONE", T0 + timedelta(seconds=50), 50.0),
        ("PART", T0 + timedelta(seconds=70), 30.0),
        ("OVER", T0 + timedelta(seconds=120), 20.0),  # closes the short the target only trims
        ("LATE", T0 + timedelta(minutes=7), 40.0),
    ]
    return pl.DataFrame(rows, schema=["coin", "time", "d_units"], orient="row")


def orders() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "coin": ["REJ", "DONE"],
            "n_orders": [1, 2],
            "n_rejected": [1, 0],
            "n_canceled": [0, 1],  # a canceled maker attempt on a done symbol: done wins
            "n_open": [0, 0],
            "rejected_at": [T0 + timedelta(seconds=65), None],
            "canceled_at": [None, T0 + timedelta(seconds=40)],
        }
    )


DAY_EXEC = {
    "n_fills": 4,
    "notional_usd": 14_000.0,
    "fees": 6.3,
    "fee_bps": 4.5,
    "avg_slippage_bps": None,
    "n_unpriced": 4,
}


def build(measured=T0 + timedelta(minutes=30), newest_candle=T0 - timedelta(hours=1), **kw):
    return c.build(DAY, measured, kw.get("pre", pre()), kw.get("steps", steps()), orders(), DAY_EXEC, newest_candle)


def test_states_and_reasons():
    r = build()
    rows = {x["sym"]: x for x in r.symbols.iter_rows(named=True)}
    assert rows["DONE"]["state"] == c.DONE and rows["LATE"]["state"] == c.DONE
    assert rows["PART"]["state"] == c.PARTIAL and rows["PART"]["progress"] == pytest.approx(0.6)
    assert rows["PART"]["reason"] == "60% of the change done"
    over = rows["OVER"]
    assert over["state"] == c.PARTIAL and over["progress"] == pytest.approx(1 - 5 / 15)
    assert "traded past the target (closed the position)" in over["reason"] and "missing" in over["reason"]
    assert rows["REJ"]["state"] == c.ORDERS_FAILED and rows["REJ"]["reason"].startswith(
        "1 order rejected (first at 00:01:05"
    )
    assert rows["NONE"]["state"] == c.NOT_STARTED and rows["NONE"]["reason"].startswith("no order placed")
    assert rows["NOPX"]["state"] == c.NO_PRICE
    assert "ONT" not in rows and r.n_on_target == 1
    assert r.open_symbols[:2] == ["REJ", "NONE"]  # worst first
    assert r.counts == {c.ORDERS_FAILED: 1, c.NOT_STARTED: 1, c.PARTIAL: 2, c.BLOCKED: 0, c.NO_PRICE: 1, c.DONE: 2}


def test_book_progress_and_checkpoints_against_a_plain_sum():
    r = build()
    required = {"DONE": 5000, "PART": 5000, "OVER": 1500, "REJ": 2000, "NONE": 3000, "LATE": 4000}
    assert r.required_notional == pytest.approx(sum(required.values()))
    now = (5000 * 1 + 5000 * 0.6 + 1500 * (1 - 5 / 15) + 4000 * 1) / 20500
    assert r.progress == pytest.approx(now)
    assert r.checkpoints[1] == pytest.approx(5000 / 20500)  # only DONE by 00:01
    assert r.checkpoints[5] == pytest.approx((5000 + 3000 + 1000) / 20500)
    assert r.checkpoints[15] == pytest.approx(now)  # LATE filled at 00:07
    assert r.checkpoints[60] is None  # measured at 00:30: 01:00 has not come
    rows = {x["sym"]: x for x in r.symbols.iter_rows(named=True)}
    assert rows["LATE"]["p_5"] == 0.0 and rows["LATE"]["p_15"] == 1.0 and rows["LATE"]["p_60"] is None
    s = r.series
    assert s["progress"][0] == 0.0 and s["time"][0] == T0 and s["time"][-1] == T0 + timedelta(minutes=30)
    assert s["progress"].to_list() == sorted(s["progress"].to_list())  # fills only add here
    assert s["progress"][-1] == pytest.approx(now)


def test_a_symbol_traded_away_from_its_target_counts_by_all_it_left():
    """AWAY had to buy 10 units ($1,000) and sold 40 instead: its row says 0% done, and the book counts the $5,000
    it left, not the $1,000 it required (floored per symbol, the book read 84.6% with a $5,000 miss in it)."""
    rows = [("ON", 0.0, PX, 0.10), ("HALF", 0.0, PX, 0.02), ("AWAY", 0.0, PX, 0.01)]
    fills = pl.DataFrame(
        [
            ("ON", T0 + timedelta(seconds=30), 100.0),
            ("HALF", T0 + timedelta(seconds=40), 10.0),
            ("AWAY", T0 + timedelta(seconds=50), -40.0),
        ],
        schema=["coin", "time", "d_units"],
        orient="row",
    )
    r = build(pre=pre(rows=rows), steps=fills)
    got = {x["sym"]: x for x in r.symbols.iter_rows(named=True)}
    assert got["AWAY"]["progress"] == 0.0 and got["AWAY"]["remaining_notional"] == pytest.approx(5000)
    assert r.required_notional == pytest.approx(10_000 + 2_000 + 1_000)
    left = 1_000 + 5_000  # HALF's and AWAY's remaining notional; ON is done
    assert r.progress == pytest.approx(1 - left / 13_000)  # 53.8%, not (10,000 + 1,000) / 13,000 = 84.6%
    assert r.series["progress"][-1] == pytest.approx(r.progress)
    assert r.checkpoints[1] == pytest.approx(r.progress)  # every fill was before 00:01
    worse = build(pre=pre(rows=[("AWAY", 0.0, PX, 0.01)]), steps=fills.filter(pl.col("coin") == "AWAY"))
    assert worse.progress == 0.0  # the book never reads below 0%
    assert worse.series["progress"].to_list() == [0.0, 0.0, 0.0]


def test_slippage_pending_until_the_hour_has_a_candle():
    assert build().slippage_state == c.SLIPPAGE_PENDING
    assert build(newest_candle=T0 + timedelta(hours=2)).slippage_state == c.SLIPPAGE_MISSING
    r = build()
    assert r.fees == 6.3 and r.to_json()["fees"] == -6.3  # a cost is negative


def test_blocked_by_minimum_on_a_small_book():
    small = pre(5_000.0, [("TINY", 0.0, PX, 0.0015), ("BIG", 0.0, PX, 0.02)])  # $7.50 to open TINY
    r = build(
        pre=small,
        steps=pl.DataFrame(schema={"coin": pl.String, "time": pl.Datetime("ms", "UTC"), "d_units": pl.Float64}),
    )
    rows = {x["sym"]: x for x in r.symbols.iter_rows(named=True)}
    assert rows["TINY"]["state"] == c.BLOCKED and "$7.50 left, below the $10 minimum order" in rows["TINY"]["reason"]
    assert rows["BIG"]["state"] == c.NOT_STARTED


def test_nothing_to_trade_and_no_targets():
    on = pre(rows=[("A", 50.0, PX, 0.05), ("B", -30.0, PX, -0.03)])
    empty = pl.DataFrame(schema={"coin": pl.String, "time": pl.Datetime("ms", "UTC"), "d_units": pl.Float64})
    r = build(pre=on, steps=empty)
    assert r.progress == 1.0 and r.required_notional == 0 and r.n_on_target == 2 and r.symbols.height == 0
    assert r.checkpoints[15] == 1.0
    none = pre().with_columns(pl.lit(False).alias("has_t2_row"))
    r = build(pre=none)
    assert not r.has_targets and r.progress is None and "no model targets dated 2025-12-05" in r.notes[0]


def test_every_state_has_its_colour():
    from lib import format as fmt

    assert set(fmt.REBALANCE_STATE_COLORS) == set(c.STATES)
