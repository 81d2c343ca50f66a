"""ui.positions.charts: valid Plotly, the right values and colours."""

from __future__ import annotations

import polars as pl

from lib import format as fmt
from lib.tracking import classification as te
from tests.ui.spec_check import assert_valid, trace
from ui.positions import charts


def test_weights_vs_target_in_percent_with_gaps() -> None:
    table = pl.DataFrame(
        {
            "sym": ["BTC", "PURR", "ETH"],
            "actual_weight": [0.0168, None, -0.0133],
            "weight_t2": [0.0150, 0.001, -0.0140],
            "category": [te.MAGNITUDE_ERROR, te.UNPRICED, te.MATCHED],
            "err_t2": [0.0018, None, 0.0007],
        }
    )
    spec = charts.weights_vs_target(table, max_symbols=2)
    assert_valid(spec)
    actual = trace(spec, "Actual")
    assert actual["x"] == ["BTC", "PURR"]  # top 2 in the table's order
    assert actual["y"][0] == 1.68 and actual["y"][1] is None  # unpriced: no bar, not 0
    assert trace(spec, "T+2 target")["marker"]["color"] == fmt.SERIES_COLORS["target_t2"]
    assert "top 2 of 3" in spec["layout"]["title"]["text"]
