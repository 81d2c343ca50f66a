"""lib.book.risk: account totals never sum a missing part, ratios need positive equity; nearest liquidations."""

from __future__ import annotations

import polars as pl
import pytest

from lib.book import risk


def _latest(rows):
    return pl.DataFrame(
        rows,
        schema=[
            "account",
            "ts",
            "equity",
            "margin_used",
            "total_ntl",
            "withdrawable",
            "prev_margin_pct",
            "prev_leverage",
        ],
        orient="row",
    )


def test_one_account_keeps_its_24h_reference():
    out = risk.account_totals(_latest([("a", 1, 100.0, 0.0, 150.0, 100.0, 0.1, 1.4)]))
    assert out["margin_pct"] == 0.0 and out["leverage"] == 1.5  # zero margin is 0 %, not missing
    assert out["prev_margin_pct"] == 0.1 and out["n_accounts"] == 1


def test_several_accounts_sum_and_a_missing_part_is_missing():
    out = risk.account_totals(
        _latest([("a", 1, 100.0, 10.0, 100.0, 90.0, 0.1, 1.0), ("b", 2, 50.0, None, 50.0, 50.0, 0.0, 1.0)])
    )
    assert out["equity"] == 150.0 and out["total_ntl"] == 150.0 and out["leverage"] == pytest.approx(1.0)
    assert out["margin_used"] is None and out["margin_pct"] is None
    assert out["prev_margin_pct"] is None and out["ts"] == 2


def test_zero_equity_has_no_ratio_and_nothing_loaded_is_empty():
    out = risk.account_totals(_latest([("a", 1, 0.0, 10.0, 100.0, 0.0, None, None)]))
    assert out["margin_pct"] is None and out["leverage"] is None
    assert risk.account_totals(None) == {} and risk.account_totals(_latest([])) == {}


def test_closest_to_liquidation_skips_positions_without_a_price():
    pos = pl.DataFrame({"coin": ["A", "B", "C", "D"], "liq_distance_pct": [30.0, None, 5.0, 12.0]})
    assert risk.closest_to_liquidation(pos, 2)["coin"].to_list() == ["C", "D"]
