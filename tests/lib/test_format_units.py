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
