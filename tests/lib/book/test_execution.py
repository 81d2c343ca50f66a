"""lib.book.execution: slippage sign convention, rebalance window, allow-lists."""

from __future__ import annotations

from datetime import UTC

import pytest

from lib import inputs
from lib.book import execution as ex
from lib.inputs import InputError

UTC = UTC


@pytest.mark.parametrize(
    "side,px,ref,expected",
    [
        ("B", 101.0, 100.0, 100.0),  # bought above the open: worse -> positive
        ("B", 99.0, 100.0, -100.0),  # bought below: better -> negative
        ("A", 99.0, 100.0, 100.0),  # sold below the open: worse -> positive
        ("A", 101.0, 100.0, -100.0),  # sold above: better -> negative
        ("B", 100.0, 100.0, 0.0),
    ],
)
def test_slippage_sign_positive_is_worse(side, px, ref, expected):
    assert ex.slippage_bps(side, px, ref) == pytest.approx(expected)


@pytest.mark.parametrize("ref", [None, 0.0, -1.0, float("nan"), float("inf")])
def test_slippage_without_a_price_is_none_not_zero(ref):
    assert ex.slippage_bps("B", 100.0, ref) is None


def test_slippage_unknown_side():
    assert ex.slippage_bps("X", 100.0, 100.0) is None


def test_duration_text():
    assert ex.duration_text(42) == "42 s"
    assert ex.duration_text(59.6) == "1 min 00 s"
    assert ex.duration_text(185) == "3 min 05 s"
    assert ex.duration_text(2 * 3600 + 14 * 60) == "2 h 14 min"
    assert ex.duration_text(None) == "—"


def test_sort_allow_list_refuses_sql():
    assert inputs.parse_sort("notional") == "notional"
    for bad in ("time; DROP TABLE x", "tid", "", "Time"):
        with pytest.raises(InputError):
            inputs.parse_sort(bad)


def test_side_and_liquidity_parsers():
    assert inputs.parse_side("b") == "B"
    assert inputs.parse_liquidity("Maker") == "maker"
    with pytest.raises(InputError):
        inputs.parse_side("buy'--")
    with pytest.raises(InputError):
        inputs.parse_liquidity("both")


def test_page_count():
    assert ex.page_count(0, 100) == 1
    assert ex.page_count(100, 100) == 1
    assert ex.page_count(101, 100) == 2
    assert ex.page_count(None, 100) == 1
