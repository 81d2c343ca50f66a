"""lib.format: one number style on every surface (issue 24 §1.5): separators, decimals by magnitude, signed
money with the sign before the $, sides in words, money axes that read like the text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from lib import format as fmt
from lib.reports import daily


def test_units_carry_separators_and_every_digit():
    assert fmt.units(-15567.9) == "−15,567.9"  # never -15567.9
    assert fmt.units(-20876668.0) == "−20,876,668"
    assert fmt.units(0.30000000000000004) == "0.3"  # float noise hidden
    assert fmt.units(0.0042) == "0.0042"
    assert fmt.units(1250.0, signed=True) == "+1,250" and fmt.units(-0.0) == "0"
    assert fmt.units(None) == fmt.MISSING and fmt.units(float("nan")) == fmt.MISSING


def test_prices_have_decimals_by_magnitude():
    assert fmt.price(3765.790994) == "3,765.79"  # not 3765.790994
    assert fmt.price(70468.0) == "70,468.00"  # not 70,468.000000
    assert fmt.price(1.234567) == "1.23457"
    assert fmt.price(0.0123456789) == "0.0123457"
    assert fmt.price(0.0000123456) == "0.0000123456"
    assert fmt.price(None) == fmt.MISSING


def test_signed_money_puts_the_minus_before_the_dollar():
    assert fmt.usd(-1234.4) == "−$1,234" and fmt.usd(1234.4, signed=True) == "+$1,234"
    # a chart axis: d3's currency format writes the sign before the $ (a tickprefix would give $−10,000)
    assert fmt.MONEY_AXIS["tickformat"].startswith("$") and "tickprefix" not in fmt.MONEY_AXIS
    assert fmt.MONEY_AXIS_SI["tickformat"].startswith("$")


def test_basis_points_are_signed_with_the_minus_of_every_other_number():
    """One function for basis points (fmt.bp_signed wrote '−23.4 bp' and fmt.bps '-23.4 bp' on the same desk)."""
    assert fmt.bps(-23.44) == "−23.4 bp" and fmt.bps(3.2) == "+3.2 bp" and fmt.bps(5.318, 2) == "+5.32 bp"
    assert fmt.bps(-0.04) == "+0.0 bp"  # never '−0.0 bp'
    assert fmt.bps(None) == fmt.MISSING and fmt.bps(float("nan")) == fmt.MISSING
    assert not hasattr(fmt, "bp_signed")
    # a rate is unsigned, with separators: the fee rate, a price divergence
    assert fmt.bps(4.0812, 2, signed=False) == "4.08 bp" and fmt.bps(1234.5, 1, signed=False) == "1,234.5 bp"
    assert fmt.bps(0.0, 2, signed=False) == "0.00 bp" and fmt.bps(-5.318, 2, signed=False) == "−5.32 bp"


def test_leverage_has_one_format():
    assert fmt.leverage(2.984) == "2.98x" and fmt.leverage(None) == fmt.MISSING  # never '—x'
    assert fmt.leverage(0.124, signed=True) == "+0.12x" and fmt.leverage(-0.05, signed=True) == "−0.05x"
    assert fmt.leverage(-0.004, signed=True) == "+0.00x"  # never '−0.00x'


def test_sides_are_words():
    assert fmt.side("B") == "Buy" and fmt.side("A") == "Sell" and fmt.side(None) == fmt.MISSING


def test_the_daily_report_writes_the_side_of_an_untracked_fill_in_words():
    report = daily.DailyReport(day=date(2025, 12, 7), generated_at=datetime(2025, 12, 8, 6, 0, tzinfo=UTC))
    untracked = pl.DataFrame(
        {
            "coin": ["EIGEN", "BTC"],
            "side": ["A", "B"],
            "notional": [9195.2, 120.0],
            "time": [datetime(2025, 12, 7, 0, 3, tzinfo=UTC), datetime(2025, 12, 7, 0, 4, tzinfo=UTC)],
        }
    )
    daily.execution_part(report, None, untracked)
    assert report.untracked == ["EIGEN Sell $9,195 at 2025-12-07 00:03 UTC", "BTC Buy $120 at 2025-12-07 00:04 UTC"]
    assert " A $" not in daily.to_text(report)


def test_the_daily_report_counts_sync_runs_with_separators():
    from lib.reports import html

    report = daily.DailyReport(day=date(2025, 12, 7), generated_at=datetime(2025, 12, 8, 6, 0, tzinfo=UTC))
    report.sync = [{"table": "a", "runs": 1440, "failures": 0}, {"table": "b", "runs": 288, "failures": 2}]
    assert "1,728 runs, 2 failed" in daily.to_text(report)  # not "1728 runs"
    assert "1,728 runs, 2 failed" in html.daily(report).html


def test_a_count_has_its_noun_in_the_right_number():
    assert fmt.plural(1, "order") == "1 order" and fmt.plural(3, "order") == "3 orders"
    assert fmt.plural(0, "day") == "0 days" and fmt.plural(1728, "run") == "1,728 runs"
    assert fmt.plural(2, "deposit/withdrawal") == "2 deposit/withdrawals"
    assert fmt.plural(2, "entry", "entries") == "2 entries"


def test_the_word_after_a_count_agrees_with_it():
    assert fmt.agree(1, "is", "are") == "is" and fmt.agree(2, "is", "are") == "are"
    assert fmt.agree(0, "it", "them") == "them"  # "0 fees ... are not in"
    assert f"{fmt.plural(1, 'fill')} {fmt.agree(1, 'has', 'have')}" == "1 fill has"
