"""lib.tracking.snapshot on a hand-made timeline, every expected value computed by hand (see the comments)."""

from __future__ import annotations

import math
from datetime import UTC, date, timedelta

import polars as pl
import pytest

from lib import config
from lib.tracking import classification as te
from lib.tracking import daily as te_daily
from lib.tracking import snapshot as te_snapshot

D1, D2, D3, D4, D5 = (date(2025, 12, d) for d in range(1, 6))
UTC = UTC

COLS = (
    "holdings_date",
    "sym",
    "pos_units",
    "bn_px",
    "equity_usd",
    "weight_t2",
    "weight_t1",
    "t2_rows_for_day",
    "ret_24h",
)


def timeline() -> pl.DataFrame:
    """Equity 1000 USD, prices 10 USD: weight = units / 100.

    D1 (4 target rows): A matched, B magnitude (flip), C missing, D unpriced, E extra (no target row)
    D2: no targets at all (t2_rows_for_day 0) -> never classified
    D3 (4 target rows): A magnitude (flip), B matched, C matched-zero, F wrong direction
    D4 (1 target row): A matched, no return yet
    D5: no rows at all
    """
    rows = [
        # day, sym, units, px, equity, t2, t1, n_t2, ret
        (D1, "A", 10.0, 10.0, 1000.0, 0.10, 0.08, 4, 0.10),
        (D1, "B", -5.0, 10.0, 1000.0, -0.08, -0.05, 4, -0.02),
        (D1, "C", 0.0, 10.0, 1000.0, 0.02, None, 4, 0.05),
        (D1, "D", 3.0, None, 1000.0, 0.01, 0.01, 4, 0.01),
        (D1, "E", 2.0, 10.0, 1000.0, None, None, 4, 0.0),
        (D2, "A", 10.0, 10.0, 1000.0, None, 0.10, 0, 0.02),
        (D2, "B", -5.0, 10.0, 1000.0, None, None, 0, 0.01),
        (D3, "A", 10.0, 10.0, 1000.0, 0.125, 0.10, 4, 0.01),
        (D3, "B", -5.0, 10.0, 1000.0, -0.05, None, 4, 0.02),
        (D3, "C", 0.0, 10.0, 1000.0, 0.0005, None, 4, -0.01),
        (D3, "F", 3.0, 10.0, 1000.0, -0.02, None, 4, 0.03),
        (D4, "A", 10.0, 10.0, 1000.0, 0.10, 0.125, 1, None),
    ]
    df = pl.DataFrame(
        rows,
        schema={
            "holdings_date": pl.Date,
            "sym": pl.String,
            "pos_units": pl.Float64,
            "bn_px": pl.Float64,
            "equity_usd": pl.Float64,
            "weight_t2": pl.Float64,
            "weight_t1": pl.Float64,
            "t2_rows_for_day": pl.UInt64,
            "ret_24h": pl.Float64,
        },
        orient="row",
    )
    return df.with_columns(
        pl.format("{}USDT", "sym").alias("bn_symbol"),
        (pl.col("pos_units") * pl.col("bn_px")).alias("notional_usd"),
        pl.when(pl.col("pos_units") == 0)
        .then(0.0)
        .when(pl.col("bn_px").is_null() | pl.col("equity_usd").is_null() | (pl.col("equity_usd") <= 0))
        .then(None)
        .otherwise(pl.col("pos_units") * pl.col("bn_px") / pl.col("equity_usd"))
        .alias("actual_weight"),
        pl.col("weight_t2").is_not_null().alias("has_t2_row"),
    )


@pytest.fixture
def tl() -> pl.DataFrame:
    return timeline()


def day(df: pl.DataFrame, d: date) -> pl.DataFrame:
    return df.filter(pl.col("holdings_date") == d)


def test_thresholds_accept_range_and_refuse_outside_with_message():
    ok = te_snapshot.thresholds(0.002, "0.05")
    assert (ok.w_eps, ok.mag_eps, ok.errors) == (0.002, 0.05, ())
    bad = te_snapshot.thresholds(0.2, -1)
    assert (bad.w_eps, bad.mag_eps) == (config.W_EPS, config.MAG_EPS)
    assert len(bad.errors) == 2
    assert "W_EPS must be between 0.0 and 0.05" in bad.errors[0] and "default 0.001" in bad.errors[0]
    assert "MAG_EPS must be between 0.0 and 0.5" in bad.errors[1]
    nan = te_snapshot.thresholds(float("nan"), 0.02)
    assert nan.w_eps == config.W_EPS and nan.errors


# --- target days ------------------------------------------------------------------
def test_days_without_targets_are_not_classified(tl):
    assert te_snapshot.no_target_days(tl) == [D2]
    assert te_snapshot.has_targets(day(tl, D1)) and not te_snapshot.has_targets(day(tl, D2))
    assert not te_snapshot.has_targets(day(tl, D5))
    cls = te_snapshot.classify_days(tl)
    assert sorted(set(cls["holdings_date"].to_list())) == [D1, D3, D4]
    assert cls.filter(pl.col("category") == te.EXTRA_POSITION)["sym"].to_list() == ["E"]  # not D2's A and B


def test_category_counts(tl):
    cls = te_snapshot.classify_days(tl)
    c1 = te_snapshot.category_counts(day(cls, D1))
    assert c1 == {
        te.MATCHED_ZERO: 0,
        te.MISSING_POSITION: 1,
        te.EXTRA_POSITION: 1,
        te.WRONG_DIRECTION: 0,
        te.MAGNITUDE_ERROR: 1,
        te.MATCHED: 1,
        te.UNPRICED: 1,
    }
    c3 = te_snapshot.category_counts(day(cls, D3))
    assert (c3[te.MAGNITUDE_ERROR], c3[te.MATCHED], c3[te.MATCHED_ZERO], c3[te.WRONG_DIRECTION]) == (1, 1, 1, 1)
    assert te_snapshot.category_counts(None) == {c: 0 for c in te.CATEGORIES}


# --- Positions page helpers ----------------------------------------------------------
def test_exposure_over_priced_rows(tl):
    # D1 weights: A +0.10, B -0.05, C 0 (flat), D unpriced, E +0.02
    e = te_snapshot.exposure(day(tl, D1))
    assert e["gross"] == pytest.approx(0.17)
    assert e["net"] == pytest.approx(0.07)
    assert e["long"] == pytest.approx(0.12)
    assert e["short"] == pytest.approx(-0.05)
    assert (e["n_priced"], e["n_unpriced"]) == (3, 1)
    none = te_snapshot.exposure(day(tl, D1).filter(pl.col("sym") == "D"))
    assert none["gross"] is None and none["net"] is None and none["n_unpriced"] == 1


def test_positions_table_order_and_filter(tl):
    cls = te.classify(day(tl, D1))
    t = te_snapshot.positions_table(cls)
    # |err|: B 0.03, C 0.02, E 0.02 (tie -> |target| desc: C 0.02 before E 0), A 0, D null last
    assert t["sym"].to_list() == ["B", "C", "E", "A", "D"]
    assert t.columns == list(te_snapshot.POSITION_COLUMNS)
    assert t.row(0, named=True)["flip_explained"] is True and t.row(0, named=True)["err_t2"] == pytest.approx(0.03)
    only = te_snapshot.positions_table(cls, [te.MISSING_POSITION, te.UNPRICED])
    assert only["sym"].to_list() == ["C", "D"]
    # a no-target day: raw rows, no error/category columns, largest |notional| first
    raw = te_snapshot.positions_table(day(tl, D2))
    assert raw.columns == list(te_snapshot.UNCLASSIFIED_COLUMNS) and "category" not in raw.columns
    assert raw["sym"].to_list() == ["A", "B"]  # |100| > |-50|


def test_unpriced_reasons():
    rows = pl.DataFrame(
        {
            "sym": ["P", "Q", "R", "S", "T"],
            "bn_symbol": ["PUSDT", "QUSDT", "RUSDT", "SUSDT", "TUSDT"],
            "pos_units": [1.0, 2.0, 3.0, 0.0, 4.0],
            "bn_px": [None, 5.0, None, None, 5.0],
            "equity_usd": [1000.0, None, 0.0, 1000.0, 1000.0],
            "actual_weight": [None, None, None, 0.0, 0.02],
        }
    )
    u = te_snapshot.unpriced(rows)
    assert dict(zip(u["sym"].to_list(), u["reason"].to_list())) == {
        "P": "no price",
        "Q": "equity missing",
        "R": "no price, equity missing",
    }
    assert te_snapshot.unpriced_notes(u) == [
        "equity missing (1): Q",
        "no price (1): P",
        "no price, equity missing (1): R",
    ]
    many = pl.DataFrame({"sym": [f"C{i:02d}" for i in range(20)], "reason": ["no price"] * 20})
    assert te_snapshot.unpriced_notes(many, max_names=3) == ["no price (20): C00, C01, C02, +17 more"]


def test_reconcile_hand_values():
    day_rows = pl.DataFrame({"sym": ["A", "B", "C", "D"], "pos_units": [10.0, -5.0, 0.0, 1e9]})
    snap = pl.DataFrame({"coin": ["A", "B", "X", "D"], "szi": [10.0 + 1e-10, -4.0, 2.5, 1e9 + 1.0]})
    r = te_snapshot.reconcile(day_rows, snap)
    # A: noise; B: -5 vs -4 (diff -1); C flat both sides; X exchange only (0 vs 2.5);
    # D: 1 unit on 1e9 is within the 1e-6 relative tolerance
    assert r["sym"].to_list() == ["X", "B"]
    assert r["diff_units"].to_list() == [-2.5, -1.0]
    assert r["in_snapshot"].to_list() == [True, True]
    missing = te_snapshot.reconcile(day_rows, snap.filter(pl.col("coin") != "B"))
    b = missing.filter(pl.col("sym") == "B").row(0, named=True)
    assert b == {"sym": "B", "fills_units": -5.0, "exchange_units": 0.0, "diff_units": -5.0, "in_snapshot": False}


# --- Tracking Error page helpers --------------------------------------------------------
TE_D1 = math.sqrt(0.03**2 + 0.02**2 + 0.02**2)  # B, C, E (A 0, D unpriced)
TE_D3 = math.sqrt(0.025**2 + 0.0005**2 + 0.05**2)  # A, C, F (B 0)
AR_D1 = (0.10 * 0.10 + -0.05 * -0.02 + 0.0 * 0.05 + 0.02 * 0.0) - (0.10 * 0.10 + -0.08 * -0.02 + 0.02 * 0.05)
AR_D3 = (0.10 * 0.01 + -0.05 * 0.02 + 0.03 * 0.03) - (0.125 * 0.01 + -0.05 * 0.02 + 0.0005 * -0.01 + -0.02 * 0.03)


def test_daily_te_hand_values_and_gaps(tl):
    cls = te_snapshot.classify_days(tl)
    d = te_daily.daily_te(cls, te_daily.calendar(D1, D5))
    assert d["date"].to_list() == [D1, D2, D3, D4, D5]
    assert d["te"].to_list()[1] is None and d["te"].to_list()[4] is None  # gaps, not zeros
    assert d["te"][0] == pytest.approx(TE_D1)  # sqrt(0.0017)
    assert d["te"][2] == pytest.approx(TE_D3)
    assert d["te"][3] == 0.0
    assert d["active_share"][0] == pytest.approx(0.5 * (0.03 + 0.02 + 0.02))
    assert d["active_share"][2] == pytest.approx(0.5 * (0.025 + 0.0005 + 0.05))
    assert d["flip_share"][0] == pytest.approx(0.03**2 / TE_D1**2)  # B flips (closer to T+1)
    assert d["flip_share"][2] == pytest.approx(0.025**2 / TE_D3**2)  # A flips; F has no T+1
    assert d["flip_share"][3] is None  # sum err^2 = 0
    assert d["n_symbols"].to_list()[:4] == [5, None, 4, 1]
    assert (d["n_priced"][0], d["n_unpriced"][0]) == (4, 1)
    # same numbers as the engine's snapshot_te, day by day
    for dd in (D1, D3, D4):
        snap = te.snapshot_te(day(cls, dd))
        row = d.filter(pl.col("date") == dd).row(0, named=True)
        assert row["te"] == pytest.approx(snap["te"]) and row["active_share"] == pytest.approx(snap["active_share"])


def test_by_category_stack(tl):
    cls = te_snapshot.classify_days(tl)
    b = te_daily.by_category(cls, te_daily.calendar(D1, D5))
    assert sorted(set(b["date"].to_list())) == [D1, D3, D4]  # no rows for D2 / D5
    assert b.filter(pl.col("date") == D1).height == len(te.CATEGORIES)
    d1 = {r["category"]: (r["n"], r["sq_err"]) for r in b.filter(pl.col("date") == D1).iter_rows(named=True)}
    assert d1[te.MAGNITUDE_ERROR] == (1, pytest.approx(0.0009))
    assert d1[te.MISSING_POSITION] == (1, pytest.approx(0.0004))
    assert d1[te.EXTRA_POSITION] == (1, pytest.approx(0.0004))
    assert d1[te.MATCHED] == (1, 0.0)
    assert d1[te.WRONG_DIRECTION] == (0, 0.0)
    assert d1[te.UNPRICED] == (1, None)
    d3 = {r["category"]: r["sq_err"] for r in b.filter(pl.col("date") == D3).iter_rows(named=True)}
    assert d3[te.WRONG_DIRECTION] == pytest.approx(0.0025)
    assert d3[te.MATCHED_ZERO] == pytest.approx(0.0005**2)


def test_active_returns_skip_no_target_days(tl):
    a = te_daily.active_returns(tl, te_daily.calendar(D1, D5))
    ar = a["active_return"].to_list()
    assert ar[0] == pytest.approx(AR_D1)  # -0.0016
    assert ar[1] is None  # D2: no targets -> target leg unknown
    assert ar[2] == pytest.approx(AR_D3)  # 0.001255
    assert ar[3] is None and ar[4] is None  # D4: no return yet; D5: no rows
    assert a["n_used"].to_list()[:3] == [4, None, 4]


def test_rolling_ex_post_over_known_days(tl):
    a = te_daily.active_returns(tl, te_daily.calendar(D1, D5))
    r = te_daily.rolling_ex_post_te(a, 2)
    # window of 2 known returns (D1, D3): sample std of two values is |a - b| / sqrt(2)
    expected = abs(AR_D1 - AR_D3) / math.sqrt(2) * math.sqrt(365)
    assert r["ex_post_te"].to_list()[0] is None
    assert r["ex_post_te"].to_list()[1] is None  # D2 is a gap
    assert r["ex_post_te"][2] == pytest.approx(expected)
    assert r["ex_post_te"].to_list()[3:] == [None, None]
    with pytest.raises(ValueError):
        te_daily.rolling_ex_post_te(a.head(0), 1)


def test_heatmap_order_and_gaps(tl):
    cls = te_snapshot.classify_days(tl)
    h = te_daily.heatmap(cls, te_daily.calendar(D1, D5))
    assert h.columns == ["sym", "2025-12-01", "2025-12-02", "2025-12-03", "2025-12-04", "2025-12-05"]
    # max |err|: F 0.05, B 0.03, A 0.025, C 0.02 = E 0.02 (name), D unpriced only -> absent
    assert h["sym"].to_list() == ["F", "B", "A", "C", "E"]
    f = h.row(0, named=True)
    assert f["2025-12-01"] is None and f["2025-12-03"] == pytest.approx(0.05)
    b = h.row(1, named=True)
    assert b["2025-12-01"] == pytest.approx(0.03) and b["2025-12-02"] is None and b["2025-12-03"] == 0.0
    assert te_daily.heatmap(cls, te_daily.calendar(D1, D5), max_symbols=2)["sym"].to_list() == ["F", "B"]
    assert te_daily.heatmap(cls.head(0), [D1]).columns == ["sym", "2025-12-01"]


def test_range_view_trims_to_range_and_keeps_history(tl):
    v = te_daily.range_view(tl, D3, D5, window=2)
    assert v.days == [D3, D4, D5]
    assert v.daily["date"].to_list() == [D3, D4, D5]
    assert v.daily["ex_post_te"][0] == pytest.approx(abs(AR_D1 - AR_D3) / math.sqrt(2) * math.sqrt(365))
    assert v.days_with_targets == [D3, D4]
    assert v.days_without_targets == [D5]
    assert v.no_target_days == []  # D2 is before the range
    assert sorted(set(v.classified["holdings_date"].to_list())) == [D3, D4]
    h = v.history(D4)
    assert h["date"].to_list() == [D1, D2, D3]  # 7 days back, lookback included; D2 a null te
    assert h["te"].to_list()[1] is None
    full = te_daily.range_view(tl, D1, D5, window=2)
    assert full.no_target_days == [D2] and full.days_without_targets == [D2, D5]
    assert full.by_category.filter(pl.col("date") == D2).height == 0


def test_range_view_empty_timeline(tl):
    v = te_daily.range_view(tl.head(0), D1, D2, window=7)
    assert v.days_with_targets == [] and v.days_without_targets == [D1, D2]
    assert v.daily["te"].to_list() == [None, None]


def test_history_before_and_lookback():
    daily = pl.DataFrame({"date": te_daily.calendar(D1, D5), "te": [0.01, None, 0.03, 0.04, 0.05]})
    assert te_daily.history_before(daily, D4, 2)["date"].to_list() == [D2, D3]
    assert te_daily.lookback_start(D5) == date(2025, 11, 5)  # 30-day max window


def test_heatmap_by_week_past_90_days():
    """Past HEATMAP_WEEKLY_AFTER_DAYS the columns are the weeks' Mondays and a cell is the signed err of the
    symbol's largest-|err| day that week (worked out by hand below)."""
    days = te_daily.calendar(date(2025, 6, 2), date(2025, 9, 7))  # Mon 2 Jun .. Sun 7 Sep: 98 days, 14 weeks
    rows = [  # (sym, day, category, err_t2)
        ("A", date(2025, 6, 3), "MATCHED", 0.01),
        ("A", date(2025, 6, 5), "MATCHED", -0.04),  # A's worst day of the week of Jun 2
        ("A", date(2025, 6, 9), "MATCHED", None),  # a null alone: no value that week
        ("B", date(2025, 6, 8), "MATCHED", 0.02),  # a Sunday: the week of Jun 2
        ("B", date(2025, 9, 1), "MATCHED", 0.03),
        ("B", date(2025, 9, 2), te.UNPRICED, 0.5),  # unpriced: never shown
    ]
    cls = pl.DataFrame(
        rows,
        schema={"sym": pl.String, "holdings_date": pl.Date, "category": pl.String, "err_t2": pl.Float64},
        orient="row",
    )
    h = te_daily.heatmap(cls, days)
    mondays = [(date(2025, 6, 2) + timedelta(weeks=k)).isoformat() for k in range(14)]
    assert h.columns == ["sym", *mondays]
    assert h["sym"].to_list() == ["A", "B"]
    a, b = h.row(0, named=True), h.row(1, named=True)
    assert a["2025-06-02"] == pytest.approx(-0.04) and a["2025-06-09"] is None
    assert b["2025-06-02"] == pytest.approx(0.02) and b["2025-09-01"] == pytest.approx(0.03)
    assert sum(v is not None for v in a.values()) == 2 and sum(v is not None for v in b.values()) == 3  # sym + cells
    assert te_daily.heatmap(cls, days[:90]).columns[1:] == [d.isoformat() for d in days[:90]]  # 90 days: daily

    # a weekly cell opens the day it shows: the symbol's largest-|err| day of that week (by hand, above)
    assert te_daily.worst_day_of_week(cls, "A", date(2025, 6, 2)) == date(2025, 6, 5)  # not Monday, not Jun 3
    assert te_daily.worst_day_of_week(cls, "B", date(2025, 6, 2)) == date(2025, 6, 8)  # the Sunday
    assert te_daily.worst_day_of_week(cls, "B", date(2025, 9, 1)) == date(2025, 9, 1)  # the UNPRICED 0.5 left out
    assert te_daily.worst_day_of_week(cls, "A", date(2025, 6, 9)) is None  # only a null error that week
    assert te_daily.worst_day_of_week(cls, "C", date(2025, 6, 2)) is None
