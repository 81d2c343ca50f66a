"""The model_band alert: live − model beyond ±kσ√days is FIRING, pending for its pending time first."""

from __future__ import annotations

from datetime import date, timedelta

from lib.alerting import rules
from lib.model_book import band as bands

DAYS = [date(2025, 12, 2) + timedelta(days=i) for i in range(30)]
HISTORY = [10.0, -12.0, 8.0, -9.0, 11.0, -10.0, 9.0, -8.0, 12.0, -11.0, 10.0, -10.0]  # sigma ~ 10 bp


def _band(daily: list[float | None]) -> bands.Band:
    return bands.band(DAYS, daily, HISTORY, 30, 2.0)


def test_inside_the_band_is_ok():
    (r,) = rules.model_band(_band([-1.0] * 30), rules.thresholds())
    assert r.status == rules.OK and r.rule == "model_band" and r.group == "Tracking"
    assert "within the ±2σ band" in r.detail


def test_behind_beyond_the_band_fires_after_its_pending_time():
    daily = [0.0] * 20 + [-25.0] * 10  # a bad last ten days: −250 bp against a band of ~±110
    (r,) = rules.model_band(_band(daily), rules.thresholds())
    assert r.status == rules.FIRING
    assert "Live −250.0 bp against the model book over 30 days" in r.subject
    assert "beyond the 2σ band of −" in r.detail
    assert r.since is not None and r.since.date() > DAYS[20]  # the close of the first day of the run outside
    pending = r.pending_s
    assert pending == 60 * 60
    assert rules.state_of(r, r.since + timedelta(minutes=30)) == rules.STATE_PENDING
    assert rules.state_of(r, r.since + timedelta(minutes=61)) == rules.STATE_FIRING


def test_ahead_beyond_the_band_fires_too_and_sigmas_are_a_threshold():
    daily = [6.0] * 30  # +180 bp: ahead of the model by more than it explains
    (r,) = rules.model_band(_band(daily), rules.thresholds())
    assert r.status == rules.FIRING and "ahead of the model" in r.detail
    (wide,) = rules.model_band(_band(daily), rules.thresholds({"model_band_sigmas": 4}))
    assert wide.status == rules.OK and "±4σ band" in wide.detail


def test_not_evaluated_without_history_or_data():
    (r,) = rules.model_band(bands.band(DAYS, [1.0] * 30, [], 30, 2.0), rules.thresholds())
    assert r.status == rules.NOT_EVALUATED and "No band" in r.detail
    (r,) = rules.model_band(None, rules.thresholds())
    assert r.status == rules.NOT_EVALUATED
    (r,) = rules.model_band(rules.Unavailable("model book: timeout"), rules.thresholds())
    assert r.status == rules.NOT_EVALUATED and "timeout" in r.detail


def test_it_is_one_of_the_rules_with_a_pending_time():
    assert "model_band" in rules.SPECS and rules.SPECS["model_band"].pending_key == "model_band_pending_min"
    assert "model_band" in rules.__all__
