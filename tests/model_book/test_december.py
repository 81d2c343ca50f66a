"""The model book and the waterfall over December 2025 on the demo desk, against an independent recomputation.

The product's answers come from a subprocess (tests/model_book/december.py: its own chdb path with the
whole of December, the plain desk and a variant paying ten times the fees); the reference is pandas from the
same desk's raw rows (tests/model_book/reference.py), sharing no code with the product's statements.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.model_book import reference

ROOT = Path(__file__).resolve().parents[2]
START, END = date(2025, 12, 1), date(2025, 12, 31)
USD_TOL = 0.01  # rounding: a cent over the month
BP_TOL = 1e-4


@pytest.fixture(scope="module")
def december(tmp_path_factory):
    out = tmp_path_factory.mktemp("december")
    subprocess.run([sys.executable, "-m", "tests.model_book.december", str(out)], cwd=ROOT, check=True, timeout=600)
    product = json.loads((out / "product.json").read_text())
    raw = reference.load(out / "raw")
    return {
        "product": product,
        "raw": raw,
        "ref": reference.recompute(raw, START, END, fees=False),
        "ref_fees": reference.recompute(raw, START, END, fees=True),
    }


def _days(product: dict) -> pd.DataFrame:
    return pd.DataFrame(product["days"]).assign(day=lambda d: pd.to_datetime(d.date).dt.date)


def test_the_model_book_matches_a_step_by_step_recomputation(december):
    ref = december["ref"]["days"]
    model = pd.DataFrame(december["product"]["model_days"]).assign(day=lambda d: pd.to_datetime(d.day).dt.date)
    assert list(model.day) == list(ref.day) and len(ref) == 31
    np.testing.assert_allclose(model.model_equity, ref.model_equity, rtol=1e-10)
    np.testing.assert_allclose(model.model_pnl, ref.model_pnl, atol=USD_TOL)
    np.testing.assert_allclose(model.live_pnl, ref.live_pnl, atol=USD_TOL)
    # the model book's return over the month (time-weighted: flows are not returns) and where it ends
    product_return = float(np.prod(1 + model.model_return) - 1)
    ref_return = float(np.prod(ref.growth) - 1)
    assert product_return == pytest.approx(ref_return, abs=1e-10)
    assert model.model_equity_next.iloc[-1] == pytest.approx(december["ref"]["model_end"], rel=1e-10)
    # it starts at the live equity of the first day, and takes the withdrawal of 2025-12-10 as live does
    assert model.model_equity.iloc[0] == pytest.approx(model.equity.iloc[0])
    assert model.loc[model.day == date(2025, 12, 10), "flows"].item() == pytest.approx(-100_000.0)


def test_the_hourly_model_equity_matches(december):
    curve = pd.DataFrame(december["product"]["model_curve"])
    curve["ts"] = pd.to_datetime(curve.ts).dt.tz_localize(None)
    for day, hour in (
        (date(2025, 12, 1), 5),
        (date(2025, 12, 10), 9),
        (date(2025, 12, 10), 13),
        (date(2025, 12, 31), 23),
    ):
        at = reference.midnight(day) + pd.Timedelta(hours=hour)
        got = curve.loc[curve.ts == at, "equity"].item()
        assert got == pytest.approx(reference.hourly_model(december["ref"], december["raw"], day, hour), rel=1e-10)


@pytest.mark.parametrize("fees", [0, 1])
def test_every_bar_and_the_gap_match_the_recomputation(december, fees):
    product = december["product"][f"shortfall_fees_{fees}"]
    ref = december["ref_fees" if fees else "ref"]
    days = ref["days"]
    assert product["from"] == "2025-12-01" and product["to"] == "2025-12-31" and product["pending"] is None
    assert product["gap"]["usd"] == pytest.approx(days.gap.sum(), abs=USD_TOL)
    assert product["gap"]["bp"] == pytest.approx(days.gap_bp.sum(), abs=BP_TOL)
    assert product["model_pnl"] == pytest.approx(days.model_pnl.sum(), abs=USD_TOL)
    bars = {b["bar"]: b for b in product["bars"]}
    for name in reference.BARS:
        assert bars[name]["usd"] == pytest.approx(days[name].sum(), abs=USD_TOL), name
        assert bars[name]["bp"] == pytest.approx(days[f"{name}_bp"].sum(), abs=BP_TOL), name
    assert bars["residual"]["usd"] == pytest.approx(days.residual.sum(), abs=USD_TOL)
    # day by day too
    got = _days(product).set_index("day")
    for row in days.itertuples():
        for name in (*reference.BARS, "residual", "gap"):
            expected = getattr(row, name)
            assert got.loc[row.day, "gap_usd" if name == "gap" else name] == pytest.approx(expected, abs=USD_TOL), (
                row.day,
                name,
            )
    if fees:
        assert product["fee_rate"] == pytest.approx(ref["fee_rate"], rel=1e-12)
        assert 0 < product["fee_rate"] < 0.001


def test_the_bars_add_up_to_the_gap_exactly(december):
    for fees in (0, 1):
        product = december["product"][f"shortfall_fees_{fees}"]
        total = math.fsum(b["usd"] for b in product["bars"])
        assert total == pytest.approx(product["gap"]["usd"], abs=1e-6)
        assert math.fsum(b["bp"] for b in product["bars"]) == pytest.approx(product["gap"]["bp"], abs=1e-9)
        assert product["live_pnl"] - product["model_pnl"] == pytest.approx(product["gap"]["usd"], abs=1e-6)
        for day in product["days"]:
            parts = math.fsum(day[b] for b in (*reference.BARS, "residual"))
            assert parts == pytest.approx(day["gap_usd"], abs=1e-6), day["date"]
    # the shown (rounded) bars add up to the shown gap too
    from lib.model_book import waterfall

    product = december["product"]["shortfall_fees_0"]
    shown = waterfall.rounded_together([b["usd"] for b in product["bars"]], product["gap"]["usd"])
    assert sum(shown) == round(product["gap"]["usd"])
    # on the demo the tables explain the month: what is left is the basis' seconds
    assert abs(product["bars"][-1]["usd"]) < 100 and not product["residual_large"]


def test_the_skipped_rebalance_and_the_t_plus_1_day_show_their_cost_under_timing(december):
    product = december["product"]["shortfall_fees_0"]
    ref = december["ref"]
    assert product["slips"] == {"2025-12-13": 3, "2025-12-14": 1, "2025-12-22": 1}
    assert ref["lags"] == {date(2025, 12, 13): 3, date(2025, 12, 14): 1, date(2025, 12, 22): 1}
    days = {d["date"]: d for d in product["days"]}
    for day, lag in (("2025-12-13", 3), ("2025-12-14", 1)):
        row = days[day]
        expected = ref["days"].set_index("day").loc[date.fromisoformat(day)]
        assert row["timing_lag"] == lag
        assert row["timing"] == pytest.approx(expected.timing, abs=USD_TOL)
        assert abs(row["timing"]) > abs(row["sizing"]), (day, row)  # the day's cost is timing, not sizing
        assert "timing carries" in row["sentence"]
    # the skipped rebalance: no fill, so no fees or execution that day; its cost is all position
    skipped = days["2025-12-13"]
    assert skipped["execution"] == 0 and skipped["fees"] == 0 and skipped["timing"] > 2_000
    assert "skipped rebalance" in skipped["sentence"]
    # an ordinary day has no rebalance timing (late legs only)
    assert days["2025-12-05"]["timing_lag"] == 2


def test_the_per_symbol_split_matches(december):
    product = december["product"]["shortfall_fees_0"]
    ref = december["ref"]["symbols"]
    symbols = {s["sym"]: s for s in product["symbols"]}
    named = [s for s in product["symbols"] if s["sym"] != "(not by symbol)"]
    assert len(named) >= 60
    for s in named[:8]:
        for name in reference.BARS:
            assert s[name] == pytest.approx(ref[s["sym"]][name], abs=USD_TOL), (s["sym"], name)
    # with the residual's row the table adds up to the gap
    assert math.fsum(s["total"] for s in symbols.values()) == pytest.approx(product["gap"]["usd"], abs=1e-6)


def test_the_band_rests_on_the_desks_own_history(december):
    product = december["product"]["shortfall_fees_0"]["band"]
    assert product["sigma_bp"] == pytest.approx(december["ref"]["sigma_bp"], rel=1e-9)
    assert product["k"] == 2.0
    n = 31
    assert product["limit_bp"] == pytest.approx(2 * december["ref"]["sigma_bp"] * math.sqrt(n), rel=1e-9)
    assert product["cumulative_bp"] == pytest.approx(december["ref"]["days"].gap_bp.sum(), abs=BP_TOL)
    assert product["status"] == "inside"
    assert "±2σ√t" in product["method"] and "30 days before the range" in product["method"]


def test_the_alert_fires_on_an_underperforming_desk_and_not_on_the_plain_one(december):
    plain, variant = december["product"]["alert_plain"], december["product"]["alert_variant"]
    assert plain["status"] == "OK" and plain["state_at_as_of"] == "ok"
    assert plain["first_day"] == "2025-12-02"  # the last 30 complete days before 2026-01-01 03:00 UTC
    assert abs(plain["cumulative_bp"]) < 2 * plain["sigma_bp"] * math.sqrt(30)
    assert variant["status"] == "FIRING" and variant["state_at_as_of"] == "firing"
    assert variant["cumulative_bp"] < -2 * variant["sigma_bp"] * math.sqrt(30)
    assert variant["since"] is not None and variant["since"] < "2026-01-01"
    assert "behind the model over 30 days, beyond the 2σ band of −" in variant["detail"]
