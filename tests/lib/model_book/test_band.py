"""lib/model_book/band.py: sigma from the desk's own history, the ±kσ√t band, the run outside and its words."""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

import pytest

from lib.model_book import band as bands

DAYS = [date(2025, 12, 1) + timedelta(days=i) for i in range(10)]
HISTORY = [3.0, -5.0, 4.0, -2.0, 1.0, 0.0, -6.0, 2.5, 3.5, -1.0, 2.0, -3.0]


def test_sigma_is_the_sample_std_of_the_known_history_and_needs_enough_days():
    s, n = bands.sigma([*HISTORY, None, float("nan")])
    assert n == len(HISTORY) and s == pytest.approx(statistics.stdev(HISTORY))
    assert bands.sigma(HISTORY[:5]) == (None, 5)


def test_the_band_opens_with_the_square_root_of_time_and_the_curve_sums_the_days():
    daily = [1.0, None, -2.0] + [0.5] * 7
    b = bands.band(DAYS, daily, HISTORY, 30, 2.0)
    s = statistics.stdev(HISTORY)
    assert b.limit_bp[0] == pytest.approx(2 * s) and b.limit_bp[3] == pytest.approx(2 * s * math.sqrt(4))
    assert b.cumulative_bp[:3] == (1.0, None, -1.0)  # an unknown day is a gap; the sum goes on
    assert b.cumulative_bp[-1] == pytest.approx(1.0 - 2.0 + 3.5)
    assert b.status(9) == bands.INSIDE and b.outside_since() is None
    assert b.te_annual == pytest.approx(s / 1e4 * math.sqrt(365))
    assert "±2σ√t" in b.method and f"σ = {s:.1f} bp" in b.method
    assert b.sentence().startswith("Live is +2.5 bp ahead of the model over 10 days, within the ±2σ band of ±")


def test_a_run_below_the_band_says_since_when():
    daily = [0.0, 0.0, -20.0, -15.0, 5.0, -30.0, -10.0, 0.0, 0.0, -5.0]
    b = bands.band(DAYS, daily, HISTORY, 30, 2.0)
    statuses = [b.status(i) for i in range(10)]
    assert statuses[2] == bands.BELOW and statuses[-1] == bands.BELOW
    first_of_run = max(i for i in range(10) if statuses[i] != bands.BELOW) + 1
    assert b.outside_since() == DAYS[first_of_run]
    assert "behind the model over 10 days, beyond the 2σ band of −" in b.sentence()


def test_without_history_there_is_no_band_and_it_says_why():
    b = bands.band(DAYS, [1.0] * 10, HISTORY[:3], 30, 2.0)
    assert b.sigma_bp is None and all(v is None for v in b.limit_bp) and b.status(0) is None
    assert b.method.startswith("No band") and "no band" in b.sentence()
