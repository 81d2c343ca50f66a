"""lib.format: units that say what they are (percentage points, snapshot hours)."""

from __future__ import annotations

from datetime import date

import pytest

from lib import config
from lib import format as fmt
from lib.inputs import InputError, parse_hour


def test_a_te_change_is_in_percentage_points():
    assert fmt.pp(0.0038) == "+0.38 pp"
    assert fmt.pp(-0.0038) == "−0.38 pp"
    assert fmt.pp(-0.00001) == "+0.00 pp"  # never "−0.00"
    assert fmt.pp(None) == fmt.MISSING and fmt.pp(float("nan")) == fmt.MISSING


def test_snapshot_hour_is_named_by_its_end():
    assert fmt.snapshot_when(date(2025, 12, 7), 2) == "2025-12-07 02:00 hour (positions as of 03:00 UTC)"
    assert fmt.snapshot_when("2025-12-07", 23) == "2025-12-07 23:00 hour (positions as of 00:00 UTC the next day)"
    assert "rebalance" in fmt.snapshot_hour_option(0) and "as of 01:00" in fmt.snapshot_hour_option(0)
    pre = config.PRE_REBALANCE_HOUR
    assert fmt.snapshot_when("2025-12-07", pre) == "2025-12-07 00:00:00 UTC (before the rebalance)"
    assert fmt.snapshot_file_tag(pre) == "pre-rebalance-0000Z" and fmt.snapshot_file_tag(2) == "0200Z"


def test_hour_input_offers_before_the_rebalance():
    assert parse_hour("-1") == config.PRE_REBALANCE_HOUR and parse_hour("0") == 0 and parse_hour("23") == 23
    for bad in ("24", "-2", "x", "1.5"):
        with pytest.raises(InputError):
            parse_hour(bad)


def test_countdown_reads_like_a_clock():
    from datetime import timedelta

    assert fmt.countdown(timedelta(hours=2, minutes=17, seconds=40)) == "2 h 17 min"
    assert fmt.countdown(timedelta(hours=1, minutes=5)) == "1 h 05 min"
    assert fmt.countdown(timedelta(minutes=45)) == "45 min"
    assert fmt.countdown(30) == "30 s"
    assert fmt.countdown(None) == fmt.MISSING and fmt.countdown(-5) == fmt.MISSING


def test_one_way_to_say_a_cost_a_drawdown_an_age_and_a_window():
    from datetime import UTC, date, datetime

    from lib import format as fmt

    # a cost acts on PnL: fees paid 3,788 are −$3,788 on every surface; a net rebate is positive
    assert fmt.usd(fmt.cost(3788.0), signed=True) == "−$3,788" and fmt.cost(-12.0) == 12.0
    assert fmt.cost(None) is None and fmt.cost(0.0) == 0.0
    # a drawdown names the peak it is measured from
    peak = datetime(2026, 9, 11, 14, 5, tzinfo=UTC)
    assert fmt.drawdown(-0.1221, peak) == "−12.21% from the 2026-09-11 peak"
    assert fmt.drawdown(0.0, peak) == "+0.00% (at its peak, 2026-09-11)"
    assert fmt.drawdown(None, peak) == fmt.MISSING and fmt.drawdown(-0.05, None) == "−5.00%"
    # an age: never "in the future ago"
    assert fmt.ago(720) == "12 min ago" and fmt.ago(-30) == "just now" and fmt.ago(-3600) == "in the future"
    assert fmt.age_since(datetime(2099, 1, 1, tzinfo=UTC)) == "in the future"
    # a window: its UTC days, or the last 24 hours
    assert fmt.window_text(date(2025, 12, 1), date(2025, 12, 7)) == "2025-12-01 – 2025-12-07 (UTC days)"
    lo, hi = datetime(2026, 12, 5, 0, 6, tzinfo=UTC), datetime(2026, 12, 6, 0, 6, tzinfo=UTC)
    assert fmt.window_text(lo, hi) == "last 24 h, 2026-12-05 00:06 – 2026-12-06 00:06 UTC"
    # a snapshot hour is read at its end
    assert fmt.snapshot_hour_text(2) == "02:00 hour (positions as of 03:00 UTC)"
    assert fmt.snapshot_hour_text(23) == "23:00 hour (positions as of 00:00 UTC the next day)"
