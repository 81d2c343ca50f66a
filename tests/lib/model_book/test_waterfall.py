"""lib/model_book/waterfall.py: the bars add up to the gap, shown rounded too; the residual is said when large."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest

from lib.model_book import waterfall


def _days(rows: list[dict]) -> pl.DataFrame:
    cols = ["day", "gap", "gap_bp", "live_pnl", "model_pnl"]
    cols += [c for k in waterfall.NAMED_BARS for c in (k, f"{k}_bp")]
    cols += ["residual", "residual_bp", "timing_lag"]
    return pl.DataFrame([{c: r.get(c) for c in cols} for r in rows], schema_overrides={"day": pl.Date})


def _row(day: date, equity: float, **usd: float) -> dict:
    """A day whose bars are `usd` (the rest 0); the gap is their sum plus `residual`."""
    residual = usd.pop("residual", 0.0)
    bars = {k: usd.get(k, 0.0) for k in waterfall.NAMED_BARS}
    gap = sum(bars.values()) + residual
    row = {"day": day, "gap": gap, "gap_bp": gap / equity * 1e4, "live_pnl": 1000.0 + gap, "model_pnl": 1000.0}
    row.update(bars)
    row.update({f"{k}_bp": v / equity * 1e4 for k, v in bars.items()})
    row.update({"residual": residual, "residual_bp": residual / equity * 1e4, "timing_lag": 2})
    return row


@pytest.mark.parametrize(
    "values,total,decimals",
    [
        ([0.4, 0.4, 0.4], 1.2, 0),
        ([1.5, -2.5, 3.49, -0.51], 1.98, 0),
        ([0.123, 0.456, -0.789], -0.21, 1),
        ([1234.5, -1234.5], 0.0, 0),
        ([], 0.0, 0),
    ],
)
def test_rounded_together_adds_up_and_moves_each_value_less_than_a_unit(values, total, decimals):
    shown = waterfall.rounded_together(values, total, decimals)
    assert round(sum(shown), decimals) == round(total, decimals)
    unit = 10.0**-decimals
    assert all(abs(s - v) < unit + 1e-9 for s, v in zip(shown, values))


def test_assemble_sums_the_days_and_the_bars_add_up_exactly():
    days = _days(
        [
            _row(date(2025, 12, 1), 1_000_000, sizing=120.0, fees=-45.5, execution=-10.25, residual=0.3),
            _row(date(2025, 12, 2), 1_100_000, timing=-2_000.0, funding=12.0, basis=-3.3, residual=-0.1),
        ]
    )
    fall = waterfall.assemble(days)
    assert fall.n_days == 2 and fall.first == date(2025, 12, 1) and fall.last == date(2025, 12, 2)
    assert fall.gap_usd == pytest.approx(120 - 45.5 - 10.25 + 0.3 - 2000 + 12 - 3.3 - 0.1)
    assert [b.key for b in fall.bars] == list(waterfall.BARS)
    assert math.fsum(b.usd for b in fall.bars) == fall.gap_usd
    assert math.fsum(b.bp for b in fall.bars) == pytest.approx(fall.gap_bp, abs=1e-12)
    assert fall.bar("timing").bp == pytest.approx(-2000 / 1_100_000 * 1e4)
    assert fall.bar("residual").usd == pytest.approx(0.2)
    assert not fall.residual_large and fall.notes == ()
    assert fall.live_pnl - fall.model_pnl == pytest.approx(fall.gap_usd)


def test_a_large_residual_is_said():
    fall = waterfall.assemble(_days([_row(date(2025, 12, 1), 1_000_000, sizing=100.0, residual=-900.0)]))
    assert fall.residual_large
    assert "residual is large" in fall.notes[0] and "−$900" in fall.notes[0]


def test_a_range_without_a_known_day_has_no_waterfall():
    fall = waterfall.assemble(pl.DataFrame())
    assert fall.gap_usd is None and fall.bars == () and "No day" in fall.sentence()


def test_the_day_sentence_states_the_split_largest_first_and_the_slip():
    row = _row(date(2025, 12, 13), 1_160_000, timing=2_297.0, sizing=307.0, funding=190.0, basis=-7.0, residual=7.0)
    row["timing_lag"] = 3
    text = waterfall.day_sentence(row)
    assert text.startswith("The day: live +$2,794 (+24.1 bp) ahead of the model book: timing +$2,297, sizing")
    assert text.index("timing") < text.index("sizing") < text.index("funding")
    assert "execution" not in text  # a zero bar is not listed
    assert text.endswith("timing carries a skipped rebalance (the book matched the D−3 targets).")
    assert "not known" in waterfall.day_sentence({"gap": None})


def test_the_symbol_table_adds_up_to_the_gap_with_the_residual_row():
    fall = waterfall.assemble(_days([_row(date(2025, 12, 1), 1e6, sizing=100.0, fees=-40.0, residual=5.0)]))
    symbols = pl.DataFrame(
        {
            "sym": ["AAA", "BBB", "PPP"],
            "sizing": [120.0, -20.0, None],
            "timing": [0.0, 0.0, None],
            "execution": [0.0, 0.0, None],
            "fees": [-30.0, -10.0, 0.0],
            "funding": [0.0, 0.0, 0.0],
            "basis": [0.0, 0.0, 0.0],
            "live_trading": [1.0, 2.0, None],
            "model_trading": [1.0, 2.0, None],
            "n_unpriced": [0, 0, 1],
        }
    )
    table = waterfall.symbol_table(symbols, fall)
    assert table["sym"].to_list() == ["AAA", "BBB", "PPP", waterfall.UNEXPLAINED]
    assert table.filter(pl.col("sym") == "PPP")["sizing"].item() is None  # unknown, never 0
    assert table["total"].sum() == pytest.approx(fall.gap_usd)
