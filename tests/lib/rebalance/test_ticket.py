"""lib/rebalance/ticket.py on a hand-made book: sizes to the step toward zero, minimums and steps dropped and
named, unpriced and stale prices, a coin without metadata, reduce-only, costs negative, TE before and after."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib import config
from lib.rebalance import ticket as tickets

NOW = datetime(2025, 12, 15, 11, 45, tzinfo=UTC)
TODAY = NOW.date()
E = 100_000.0


def book() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "coin": ["BTC", "DOGE", "PURR"],
            "units": [0.5, -1000.0, 100.0],
            "mark": [90_000.0, 0.2, 0.12],
            "leverage": [5.0, 3.0, 3.0],
            "round_ts": [NOW - timedelta(minutes=45)] * 3,
        }
    )


def targets() -> pl.DataFrame:
    w = {"BTC": 0.30, "ETH": -0.05, "TINY": 0.00005, "STEP": 1e-7, "NOMETA": 0.02, "NOPRICE": 0.01, "STALE": 0.01}
    return pl.DataFrame({"sym": list(w), "weight": list(w.values())})


def prices() -> pl.DataFrame:
    fresh, old = NOW - timedelta(minutes=45), NOW - timedelta(hours=3)
    rows = [
        ("BTC", 89_000.0, fresh),  # held: the exchange mark wins
        ("ETH", 2_500.0, fresh),
        ("TINY", 1.0, fresh),
        ("STEP", 10_000.0, fresh),
        ("NOMETA", 3.3, fresh),
        ("NOPRICE", None, None),
        ("STALE", 2.0, old),
        ("DOGE", 0.21, fresh),
        ("PURR", None, None),  # held, no Binance symbol: priced at its mark
    ]
    return pl.DataFrame(rows, schema=["coin", "price", "close_ts"], orient="row")


def meta() -> pl.DataFrame:
    d = {"BTC": 5, "ETH": 4, "TINY": 0, "STEP": 2, "NOPRICE": 1, "STALE": 1, "DOGE": 0, "PURR": 0}
    return pl.DataFrame({"coin": list(d), "sz_decimals": list(d.values())})


SLIPPAGE = {"BTC": (2.0, 10), "ETH": (9.0, 1)}  # ETH has too few fills: the book's median


def build(meta_frame: pl.DataFrame | None | str = "default", fee_bps=4.0, which=tickets.TODAY):
    meta_frame = meta() if isinstance(meta_frame, str) else meta_frame
    day, when = tickets.target_date(which, TODAY), tickets.trade_day(which, TODAY)
    return tickets.build(which, day, when, targets(), book(), E, prices(), meta_frame, fee_bps, SLIPPAGE, 1.5, NOW)


def legs(t) -> dict[str, dict]:
    return {r["sym"]: r for r in t.legs.iter_rows(named=True)}


def test_target_sets_are_the_clock_dates():
    assert tickets.target_date(tickets.TODAY, TODAY) == date(2025, 12, 13)  # D-2, traded today
    assert tickets.target_date(tickets.NEXT, TODAY) == date(2025, 12, 14)  # D-1, traded tomorrow
    assert tickets.trade_day(tickets.NEXT, TODAY) == date(2025, 12, 16)
    t = build(which=tickets.NEXT)
    assert t.target_date == date(2025, 12, 14) and "next: the 2025-12-16 00:00 UTC rebalance" in t.title


def test_sizes_rounded_toward_zero_to_the_step():
    got = legs(build())
    btc = got["BTC"]
    target_units = 0.30 * E / 90_000.0  # the exchange mark of the held coin
    assert btc["price"] == 90_000.0 and btc["price_source"] == "exchange mark"
    assert btc["delta_units"] == math.trunc((target_units - 0.5) * 1e5) / 1e5 == -0.16666
    assert btc["side"] == tickets.SELL and btc["reduce_only"]
    assert btc["delta_notional"] == pytest.approx(-0.16666 * 90_000.0)
    eth = got["ETH"]
    assert eth["delta_units"] == -2.0 and eth["side"] == tickets.SELL and not eth["reduce_only"]
    assert eth["price_source"].startswith("Binance close")
    doge = got["DOGE"]  # held without a target: closed, reduce-only
    assert doge["delta_units"] == 1000.0 and doge["reduce_only"] and doge["target_weight"] == 0.0
    assert doge["price"] == 0.2  # held: mark, not the Binance close
    purr = got["PURR"]
    assert purr["delta_units"] == -100.0 and purr["price_source"] == "exchange mark"


def test_minimum_and_step_legs_dropped_with_their_reason():
    t = build()
    reasons = dict(t.dropped.select("sym", "reason").iter_rows())
    assert reasons["TINY"] == f"below the {'$10'} minimum order value"  # 5 units x $1
    assert reasons["STEP"] == "smaller than one size step (0.01)"
    assert reasons["NOPRICE"].startswith("no price") and reasons["STALE"] == "no price (Binance close 3.0 h old)"
    assert t.totals["unpriced"] == ["NOPRICE", "STALE"] and t.totals["n_dropped"] == 2
    assert "TINY" not in legs(t) and "STEP" not in legs(t)
    assert any("no price for NOPRICE, STALE" in n for n in t.notes)


def test_a_coin_without_metadata_is_rounded_to_significant_digits_and_named():
    t = build()
    nometa = legs(t)["NOMETA"]
    raw = 0.02 * E / 3.3
    assert nometa["delta_units"] == 606.060 and raw > 606.060
    assert nometa["size_rounding"] == "6 significant digits (no step known)"
    assert any(n.startswith("not in the exchange metadata: NOMETA") for n in t.notes)


def test_no_metadata_table_rounds_everything_and_says_so():
    t = build(meta_frame=None)
    assert t.notes[0].startswith("exchange metadata (hyperliquid.asset_meta) not available")
    btc = legs(t)["BTC"]
    assert btc["delta_units"] == -0.166666 and btc["size_rounding"].startswith("6 significant")


def test_costs_are_negative_at_the_desk_rates():
    got = legs(build())
    btc, eth = got["BTC"], got["ETH"]
    assert btc["est_cost"] == pytest.approx(-abs(btc["delta_notional"]) * (4.0 + 2.0) / 1e4)
    assert btc["slippage_source"] == "BTC median (10 fills)"
    assert eth["est_cost"] == pytest.approx(-5_000.0 * (4.0 + 1.5) / 1e4)
    assert eth["slippage_source"].startswith("book median")
    t = build()
    assert t.totals["est_cost"] == pytest.approx(sum(r["est_cost"] for r in got.values()))
    assert t.totals["cost_bp"] < 0 and t.totals["turnover"] == pytest.approx(t.totals["gross_notional"] / E)


def test_te_before_and_after_and_the_order():
    t = build()
    rows = legs(t)
    # independent: every priced symbol's error, a dropped leg keeps its error
    errors_before = {s: r["weight"] - r["target_weight"] for s, r in rows.items()}
    errors_after = {s: (r["units"] + r["delta_units"]) * r["price"] / E - r["target_weight"] for s, r in rows.items()}
    for r in t.dropped.filter(pl.col("weight").is_not_null()).iter_rows(named=True):
        errors_before[r["sym"]] = errors_after[r["sym"]] = r["weight"] - r["target_weight"]
    assert t.totals["te_before"] == pytest.approx(math.sqrt(sum(e * e for e in errors_before.values())))
    assert t.totals["te_after"] == pytest.approx(math.sqrt(sum(e * e for e in errors_after.values())))
    assert t.totals["te_after"] < t.totals["te_before"]
    ratio = t.legs["te_removed_per_100usd"].to_list()
    assert ratio == sorted(ratio, reverse=True)  # best TE removed per dollar first


def test_no_targets_and_no_equity():
    empty = pl.DataFrame(schema={"sym": pl.String, "weight": pl.Float64})
    t = tickets.build(
        tickets.NEXT, date(2025, 12, 14), date(2025, 12, 16), empty, book(), E, prices(), meta(), 4.0, {}, None, NOW
    )
    assert not t.has_targets and t.legs.height == 0
    t = tickets.build(
        tickets.TODAY, date(2025, 12, 13), TODAY, targets(), book(), 0.0, prices(), meta(), 4.0, {}, None, NOW
    )
    assert t.has_targets and t.legs.height == 0 and "no positive equity" in t.notes[0]
    t = build(fee_bps=None)
    assert any(n.startswith(f"no fills in the last {config.COST_LOOKBACK_DAYS} days") for n in t.notes)


def test_csv_frame_orders_then_dropped():
    t = build()
    out = tickets.csv_frame(t)
    assert out.columns == list(tickets.CSV_COLUMNS)
    assert out["status"].to_list()[: t.legs.height] == ["order"] * t.legs.height
    assert out.filter(pl.col("sym") == "TINY")["status"].item().startswith("dropped: below the")
