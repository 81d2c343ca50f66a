"""lib/rebalance/sizing.py (sizes to the exchange's step, toward zero) and lib/rebalance/checks.py (the mandate's
weights check, the one definition of absurd targets)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from lib import config
from lib.rebalance import checks, sizing


@pytest.mark.parametrize(
    "units,decimals,expected",
    [
        (1.239, 2, 1.23),
        (-1.239, 2, -1.23),  # toward zero, never past the target
        (2.9999999999999996, 2, 3.0),  # float noise is not a missing step
        (0.3 - 0.1 - 0.2, 2, 0.0),
        (-87098.7, 0, -87098.0),
        (0.000123456, 5, 0.00012),
        (0.0, 3, 0.0),
        (float("nan"), 2, 0.0),
    ],
)
def test_to_step_rounds_toward_zero(units, decimals, expected):
    assert sizing.to_step(units, decimals) == expected


def test_significant_digits_where_no_step_is_known():
    assert sizing.to_significant(1234567.89) == 1234560.0
    assert sizing.to_significant(-0.000123456789) == -0.000123456
    assert sizing.round_size(1234567.89, None) == 1234560.0  # no invented step
    assert sizing.round_size(1234567.89, 0) == 1234567.0
    assert sizing.rounding_label(None) == f"{config.FALLBACK_SIGNIFICANT_DIGITS} significant digits (no step known)"
    assert sizing.rounding_label(3) == "step 0.001" and sizing.rounding_label(0) == "step 1"


def test_minimum_order_value():
    assert sizing.below_minimum(9.99) and sizing.below_minimum(-9.99)
    assert not sizing.below_minimum(config.HL_MIN_ORDER_USD) and not sizing.below_minimum(None)


def frame(weights: dict[str, float]) -> pl.DataFrame:
    return pl.DataFrame({"sym": list(weights), "weight": list(weights.values())})


def test_weights_check_passes_a_normal_book_and_gives_its_numbers():
    c = checks.weights_check(frame({"BTC": 0.05, "ETH": -0.04, "SOL": 0.03, "DOGE": -0.5}))
    assert c.status == checks.FAIL and c.names == ("DOGE 50.00% above 10%",)  # net -46% is inside ±60%
    ok = checks.weights_check(frame({f"C{i}": (0.05 if i % 2 else -0.05) for i in range(26)}))
    assert ok.status == checks.PASS and ok.names == ()
    assert ok.values["gross"] == pytest.approx(1.3) and ok.values["sum"] == pytest.approx(0.0, abs=1e-12)
    assert "gross 130.0%" in ok.numbers and "26 symbols" in ok.numbers


def test_weights_in_percent_instead_of_fractions_fail_named():
    c = checks.weights_check(frame({"BTC": 5.0, "ETH": -4.0, "SOL": 3.5}))
    assert c.failed
    assert any(n.startswith("gross 1250.0% above 200%") for n in c.names)
    assert any(n.startswith("BTC 500.00% above 10%") for n in c.names)
    assert any(n.startswith("net +450.00%") for n in c.names)


def test_weights_check_counts_non_numbers_and_refuses_an_empty_file():
    bad = checks.weights_check(frame({"A": 0.3, "B": float("nan")}))
    assert bad.values["n_bad"] == 1 and "1 weight not a number" in bad.names
    empty = checks.weights_check(
        pl.DataFrame({"sym": [], "weight": []}, schema={"sym": pl.String, "weight": pl.Float64})
    )
    assert empty.failed and empty.names == ("no weights",)


def test_absurd_days_of_a_timeline():
    d1, d2 = date(2025, 12, 6), date(2025, 12, 7)
    good = [(d1, f"C{i}", 0.05 if i % 2 else -0.05, True) for i in range(26)]
    absurd = [(d2, "A", 50.0, True), (d2, "B", -40.0, True), (d2, "X", None, False)]  # X: held, no target row
    tl = pl.DataFrame(good + absurd, schema=["holdings_date", "sym", "weight_t2", "has_t2_row"], orient="row")
    out = checks.absurd_days(tl)
    assert [d for d, _ in out] == [d2]
    assert out[0][1].values["gross"] == pytest.approx(90.0) and out[0][1].values["n"] == 2
