"""Tests for lib.tracking.classification (the playbook-000 taxonomy, sums, TE and the day story)."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import numpy as np
import pandas as pd
import polars as pl
import pytest

from lib.config import ANNUALISATION_DAYS, MAG_EPS, W_EPS
from lib.tracking import classification as te
from lib.tracking.classification import (
    CATEGORIES,
    EXTRA_POSITION,
    MAGNITUDE_ERROR,
    MATCHED,
    MATCHED_ZERO,
    MISSING_POSITION,
    PROBLEM_CATEGORIES,
    UNPRICED,
    WRONG_DIRECTION,
)


def frame(rows: list[tuple], **extra) -> pl.DataFrame:
    """rows of (sym, actual_weight, weight_t2, weight_t1)."""
    data = {
        "sym": [r[0] for r in rows],
        "actual_weight": [r[1] for r in rows],
        "weight_t2": [r[2] for r in rows],
        "weight_t1": [r[3] for r in rows],
    }
    data.update(extra)
    return pl.DataFrame(
        data,
        schema_overrides={"actual_weight": pl.Float64, "weight_t2": pl.Float64, "weight_t1": pl.Float64},
    )


def one(actual, target, t1=None, **kw) -> dict:
    return te.classify(frame([("X", actual, target, t1)]), **kw).row(0, named=True)


# --- constants -----------------------------------------------------------------
def test_category_constants():
    assert CATEGORIES == (
        "MATCHED_ZERO",
        "MISSING_POSITION",
        "EXTRA_POSITION",
        "WRONG_DIRECTION",
        "MAGNITUDE_ERROR",
        "MATCHED",
        "UNPRICED",
    )
    assert PROBLEM_CATEGORIES == (
        "MISSING_POSITION",
        "EXTRA_POSITION",
        "WRONG_DIRECTION",
        "MAGNITUDE_ERROR",
        "UNPRICED",
    )
    assert (MATCHED_ZERO, MATCHED, UNPRICED) == ("MATCHED_ZERO", "MATCHED", "UNPRICED")


def test_thresholds_come_from_config():
    # the defaults are the config values, not a private copy
    assert te.classify.__defaults__ == (W_EPS, MAG_EPS, "absolute")
    assert te.ex_post_te.__defaults__ == (ANNUALISATION_DAYS,)


# --- classify: categories and boundaries -----------------------------------------
@pytest.mark.parametrize(
    "actual, target, expected",
    [
        # flat vs flat
        (0.0, 0.0, MATCHED_ZERO),
        (0.0009, -0.0009, MATCHED_ZERO),
        (-0.000999, 0.000999, MATCHED_ZERO),
        # W_EPS boundary on the target side: |t2| == W_EPS is held
        (0.0, 0.001, MISSING_POSITION),
        (0.0, -0.001, MISSING_POSITION),
        (0.0, 0.0009999999, MATCHED_ZERO),
        (0.0009999999, 0.001, MISSING_POSITION),
        # W_EPS boundary on the actual side
        (0.001, 0.0, EXTRA_POSITION),
        (-0.001, 0.0, EXTRA_POSITION),
        (0.0009999999, 0.0, MATCHED_ZERO),
        (0.001, 0.0009999999, EXTRA_POSITION),
        # both exactly at W_EPS
        (0.001, 0.001, MATCHED),
        (-0.001, 0.001, WRONG_DIRECTION),
        # sign flips
        (-0.03, 0.02, WRONG_DIRECTION),
        (0.05, -0.05, WRONG_DIRECTION),
        # magnitude
        (0.05, 0.02, MAGNITUDE_ERROR),
        (-0.09, -0.05, MAGNITUDE_ERROR),
        (0.0701, 0.05, MAGNITUDE_ERROR),
        (0.05, 0.04, MATCHED),
        (-0.0479, -0.0517, MATCHED),
    ],
)
def test_classify_categories(actual, target, expected):
    assert one(actual, target)["category"] == expected


@pytest.mark.parametrize(
    "actual, target",
    [
        (0.021, 0.001),  # 0.021 - 0.001 == 0.02 exactly in float
        (0.001, 0.021),  # -0.02
        (-0.041, -0.021),  # -0.02
        (0.07, 0.05),  # 0.020000000000000004 in float: still MATCHED (tolerance)
        (0.03, 0.01),  # 0.019999999999999997
    ],
)
def test_gap_of_exactly_mag_eps_is_matched(actual, target):
    row = one(actual, target)
    assert row["category"] == MATCHED
    assert row["err_t2"] == actual - target  # plain subtraction, no rounding


def test_float_noise_is_why_the_tolerance_exists():
    # documents the decision: the raw float comparison would call this a magnitude error
    assert abs(0.07 - 0.05) > MAG_EPS
    assert te.MAG_TOL == 1e-12
    assert one(0.07, 0.05)["category"] == MATCHED


@pytest.mark.parametrize(
    "actual, target, expected",
    [
        (0.05 + MAG_EPS + 1e-13, 0.05, MATCHED),  # inside the 1e-12 tolerance
        (0.05 + MAG_EPS + 1e-9, 0.05, MAGNITUDE_ERROR),  # just above
        (0.05 + 0.0200001, 0.05, MAGNITUDE_ERROR),
        (-(0.05 + 0.0200001), -0.05, MAGNITUDE_ERROR),
        (0.05 - 0.0200001, 0.05, MAGNITUDE_ERROR),
    ],
)
def test_just_above_mag_eps(actual, target, expected):
    assert one(actual, target)["category"] == expected


def test_custom_thresholds():
    assert one(0.005, 0.0, w_eps=0.01)["category"] == MATCHED_ZERO
    assert one(0.01, 0.0, w_eps=0.01)["category"] == EXTRA_POSITION
    assert one(0.05, 0.04, mag_eps=0.005)["category"] == MAGNITUDE_ERROR
    assert one(0.05, 0.04, mag_eps=0.01)["category"] == MATCHED


def test_zero_w_eps_means_any_nonzero_weight_is_held():
    assert one(0.0, 0.0, w_eps=0.0)["category"] == MATCHED_ZERO
    assert one(1e-9, 0.0, w_eps=0.0)["category"] == EXTRA_POSITION
    assert one(0.0, -1e-9, w_eps=0.0)["category"] == MISSING_POSITION


def test_errors_are_plain_subtraction_and_flip():
    row = one(0.03, 0.05, 0.03)
    assert row["err_t2"] == 0.03 - 0.05
    assert row["err_t1"] == 0.0
    assert row["flip_explained"] is True
    # equally close to T+1 and T+2: not a flip (strict <)
    row = one(0.04, 0.05, 0.03)
    assert row["err_t1"] == 0.04 - 0.03
    assert row["flip_explained"] is (abs(0.04 - 0.03) < abs(0.04 - 0.05))
    # closer to T+2 than T+1
    assert one(0.049, 0.05, 0.01)["flip_explained"] is False


def test_a_flip_needs_targets_that_differ_by_more_than_the_threshold():
    """BNB: T+1 +5.55% vs T+2 +5.61% (a hair apart). A book at +5.10% is closer to T+1, but that is sizing
    noise, not a timing slip: no flip. Targets 0.30% apart (> FLIP_MIN_TARGET_GAP 0.25%) do make one."""
    from lib import config

    assert config.FLIP_MIN_TARGET_GAP == 0.0025
    assert one(0.0510, 0.0561, 0.0555)["flip_explained"] is False
    assert one(0.0510, 0.0561, 0.0531)["flip_explained"] is True
    # exactly the threshold apart is not more than it
    assert one(0.0, 0.0050, 0.0025)["flip_explained"] is False


def test_null_t1_gives_null_err_t1_and_no_flip():
    row = one(0.0, 0.03, None)
    assert row["category"] == MISSING_POSITION
    assert row["err_t1"] is None
    assert row["flip_explained"] is False


def test_zero_target_and_zero_actual():
    row = one(0.0, 0.0, 0.0)
    assert row["category"] == MATCHED_ZERO
    assert row["err_t2"] == 0.0
    assert row["err_t1"] == 0.0
    assert row["flip_explained"] is False
    assert row["no_target_row"] is False


def test_null_target_row_is_target_zero():
    out = te.classify(frame([("A", 0.05, None, None), ("B", 0.0005, None, 0.01), ("C", -0.02, 0.0, None)]))
    a, b, c = out.to_dicts()
    assert a["category"] == EXTRA_POSITION
    assert a["weight_t2"] == 0.0
    assert a["err_t2"] == 0.05
    assert a["no_target_row"] is True
    assert b["category"] == MATCHED_ZERO
    assert b["err_t2"] == 0.0005
    assert b["no_target_row"] is True
    assert c["category"] == EXTRA_POSITION
    assert c["no_target_row"] is False  # an explicit 0 target is a target row


@pytest.mark.parametrize("bad", [None, float("nan"), float("inf"), float("-inf")])
def test_unpriced_rows_are_never_zero(bad):
    row = one(bad, 0.03, 0.03)
    assert row["category"] == UNPRICED
    assert row["actual_weight"] is None
    assert row["err_t2"] is None
    assert row["err_t1"] is None
    assert row["flip_explained"] is False
    # an unpriced coin with no target is still unpriced, not matched-zero
    row = one(bad, None, None)
    assert row["category"] == UNPRICED
    assert row["no_target_row"] is True


def test_nan_weights_are_normalised_to_null():
    out = te.classify(frame([("A", 0.02, float("nan"), float("nan"))]))
    row = out.row(0, named=True)
    assert row["weight_t1"] is None
    assert row["err_t1"] is None
    assert row["weight_t2"] == 0.0 and row["no_target_row"] is True
    assert row["category"] == EXTRA_POSITION
    assert out.select(pl.col(pl.Float64).is_nan().any()).sum_horizontal().item() == 0


def test_pandas_input():
    pdf = pd.DataFrame(
        {
            "sym": ["A", "B", "C", "D"],
            "actual_weight": [0.0, np.nan, 0.05, -0.02],
            "weight_t2": [0.01, 0.02, np.nan, 0.02],
            "weight_t1": [None, None, None, None],  # all-None object column
            "note": ["x", "y", "z", "w"],
        }
    )
    out = te.classify(pdf)
    assert isinstance(out, pl.DataFrame)
    assert out["category"].to_list() == [MISSING_POSITION, UNPRICED, EXTRA_POSITION, WRONG_DIRECTION]
    assert out["actual_weight"].to_list()[1] is None
    assert out["no_target_row"].to_list() == [False, False, True, False]
    assert out["weight_t1"].dtype == pl.Float64
    assert out["note"].to_list() == ["x", "y", "z", "w"]


def test_extra_columns_pass_through_in_order():
    df = frame(
        [("B", 0.01, 0.01, None), ("A", 0.0, 0.02, None)],
        ts_hour=[dt.datetime(2025, 12, 7, 2), dt.datetime(2025, 12, 7, 2)],
        equity_usd=[1e6, 1e6],
    )
    df = df.select("ts_hour", "sym", "actual_weight", "equity_usd", "weight_t2", "weight_t1")
    out = te.classify(df)
    assert out.columns == [
        "ts_hour",
        "sym",
        "actual_weight",
        "equity_usd",
        "weight_t2",
        "weight_t1",
        "err_t2",
        "err_t1",
        "category",
        "flip_explained",
        "no_target_row",
    ]
    assert out["sym"].to_list() == ["B", "A"]  # row order kept
    assert out["equity_usd"].to_list() == [1e6, 1e6]
    assert out.schema["category"] == pl.String
    assert out.schema["flip_explained"] == pl.Boolean
    assert out.schema["no_target_row"] == pl.Boolean


def test_integer_weights_and_empty_frame():
    out = te.classify(pl.DataFrame({"sym": ["A"], "actual_weight": [0], "weight_t2": [0], "weight_t1": [None]}))
    assert out["category"].to_list() == [MATCHED_ZERO]
    empty = te.classify(frame([]))
    assert empty.height == 0
    assert "category" in empty.columns


def test_reclassify_keeps_no_target_flag():
    first = te.classify(frame([("A", 0.005, None, None)]))
    assert first["category"].to_list() == [EXTRA_POSITION]
    again = te.classify(first, w_eps=0.01)
    assert again["category"].to_list() == [MATCHED_ZERO]
    assert again["no_target_row"].to_list() == [True]


@pytest.mark.parametrize(
    "kw",
    [
        {"w_eps": -0.001},
        {"w_eps": float("nan")},
        {"w_eps": float("inf")},
        {"w_eps": 1.0},
        {"w_eps": "0.001"},
        {"w_eps": None},
        {"w_eps": True},
        {"mag_eps": -1e-9},
        {"mag_eps": float("nan")},
        {"mag_eps": float("-inf")},
        {"mag_eps": 1.5},
    ],
)
def test_bad_thresholds_raise(kw):
    name = next(iter(kw))
    with pytest.raises(ValueError, match=name):
        te.classify(frame([("A", 0.0, 0.0, None)]), **kw)


def test_missing_columns_are_named():
    df = pl.DataFrame({"sym": ["A"], "actual_weight": [0.1]})
    with pytest.raises(ValueError) as err:
        te.classify(df)
    assert "weight_t2" in str(err.value) and "weight_t1" in str(err.value)
    assert "'sym'" not in str(err.value).split(";")[0]


def test_bad_input_types():
    with pytest.raises(ValueError, match="actual_weight"):
        te.classify(pl.DataFrame({"sym": ["A"], "actual_weight": ["x"], "weight_t2": [0.0], "weight_t1": [0.0]}))
    with pytest.raises(TypeError):
        te.classify({"sym": ["A"]})


# --- summarize / snapshot_te -----------------------------------------------------
@pytest.fixture
def book() -> pl.DataFrame:
    return te.classify(
        frame(
            [
                ("A", 0.0, 0.03, 0.0),  # MISSING, err -0.03, flip (err_t1 0)
                ("B", 0.0, -0.01, None),  # MISSING, err 0.01
                ("C", 0.02, None, None),  # EXTRA (no target row), err 0.02
                ("D", -0.02, 0.02, -0.02),  # WRONG, err -0.04, flip
                ("E", 0.10, 0.05, 0.06),  # MAGNITUDE, err 0.05, flip (0.04 < 0.05)
                ("F", 0.05, 0.04, 0.04),  # MATCHED, err 0.01, no flip (equal)
                ("G", 0.0, 0.0, None),  # MATCHED_ZERO, err 0
                ("H", None, 0.02, 0.02),  # UNPRICED
            ]
        )
    )


def test_book_fixture_categories(book):
    assert dict(zip(book["sym"], book["category"])) == {
        "A": MISSING_POSITION,
        "B": MISSING_POSITION,
        "C": EXTRA_POSITION,
        "D": WRONG_DIRECTION,
        "E": MAGNITUDE_ERROR,
        "F": MATCHED,
        "G": MATCHED_ZERO,
        "H": UNPRICED,
    }
    assert book["flip_explained"].to_list() == [True, False, False, True, True, False, False, False]


def test_summarize_sums_and_shares(book):
    s = te.summarize(book)
    assert s.columns == ["category", "n", "sq_err", "sq_err_share", "flip_sq_err_share", "abs_err"]
    assert s["category"].to_list() == list(CATEGORIES)  # all present here, in order
    got = {r["category"]: r for r in s.to_dicts()}
    total = 0.0009 + 0.0001 + 0.0004 + 0.0016 + 0.0025 + 0.0001
    expect = {
        MATCHED_ZERO: (1, 0.0, 0.0, None, 0.0),
        MISSING_POSITION: (2, 0.0010, 0.0010 / total, 0.9, 0.04),
        EXTRA_POSITION: (1, 0.0004, 0.0004 / total, 0.0, 0.02),
        WRONG_DIRECTION: (1, 0.0016, 0.0016 / total, 1.0, 0.04),
        MAGNITUDE_ERROR: (1, 0.0025, 0.0025 / total, 1.0, 0.05),
        MATCHED: (1, 0.0001, 0.0001 / total, 0.0, 0.01),
    }
    for cat, (n, sq, share, flip_share, abs_err) in expect.items():
        r = got[cat]
        assert r["n"] == n, cat
        assert r["sq_err"] == pytest.approx(sq, abs=1e-15), cat
        assert r["sq_err_share"] == pytest.approx(share, rel=1e-12), cat
        if flip_share is None:
            assert r["flip_sq_err_share"] is None, cat
        else:
            assert r["flip_sq_err_share"] == pytest.approx(flip_share, rel=1e-12), cat
        assert r["abs_err"] == pytest.approx(abs_err, abs=1e-15), cat
    u = got[UNPRICED]
    assert (u["n"], u["sq_err"], u["sq_err_share"], u["flip_sq_err_share"], u["abs_err"]) == (1, None, None, None, None)
    assert s["sq_err_share"].sum() == pytest.approx(1.0)


def test_summarize_only_present_categories_in_order():
    c = te.classify(frame([("X", 0.05, -0.05, None), ("Y", 0.0, 0.0, None), ("Z", 0.0, 0.02, None)]))
    s = te.summarize(c)
    assert s["category"].to_list() == [MATCHED_ZERO, MISSING_POSITION, WRONG_DIRECTION]
    assert s["n"].to_list() == [1, 1, 1]


def test_summarize_zero_total_gives_null_shares():
    c = te.classify(frame([("X", 0.0, 0.0, None), ("Y", 0.03, 0.03, 0.01), ("Z", None, 0.01, None)]))
    s = te.summarize(c)
    assert s["category"].to_list() == [MATCHED_ZERO, MATCHED, UNPRICED]
    assert s["sq_err"].to_list() == [0.0, 0.0, None]
    assert s["sq_err_share"].to_list() == [None, None, None]
    assert s["flip_sq_err_share"].to_list() == [None, None, None]


def test_summarize_empty_and_bad_category():
    s = te.summarize(te.classify(frame([])))
    assert s.height == 0
    assert s.columns == ["category", "n", "sq_err", "sq_err_share", "flip_sq_err_share", "abs_err"]
    bad = pl.DataFrame({"category": ["NOPE"], "err_t2": [0.1], "flip_explained": [False]})
    with pytest.raises(ValueError, match="NOPE"):
        te.summarize(bad)
    with pytest.raises(ValueError, match="flip_explained"):
        te.summarize(pl.DataFrame({"category": [MATCHED], "err_t2": [0.0]}))


def test_snapshot_te(book):
    snap = te.snapshot_te(book)
    assert snap["te"] == pytest.approx(math.sqrt(0.0056), rel=1e-12)
    assert snap["active_share"] == pytest.approx(0.5 * (0.03 + 0.01 + 0.02 + 0.04 + 0.05 + 0.01), rel=1e-12)
    assert snap["n_priced"] == 7
    assert snap["n_unpriced"] == 1
    assert all(type(snap[k]) is float for k in ("te", "active_share"))
    assert all(type(snap[k]) is int for k in ("n_priced", "n_unpriced"))


def test_snapshot_te_without_priced_rows():
    snap = te.snapshot_te(te.classify(frame([("A", None, 0.01, None), ("B", float("nan"), 0.0, None)])))
    assert snap == {"te": None, "active_share": None, "n_priced": 0, "n_unpriced": 2}
    assert te.snapshot_te(te.classify(frame([]))) == {
        "te": None,
        "active_share": None,
        "n_priced": 0,
        "n_unpriced": 0,
    }


# --- daily active returns and ex-post TE -------------------------------------------
def test_daily_active_returns_two_coins():
    d1, d2, d3, d4 = (dt.date(2025, 12, d) for d in (1, 2, 3, 4))
    df = pl.DataFrame(
        {
            "date": [d2, d1, d1, d2, d3, d3, d4],
            "sym": ["BTC", "BTC", "ETH", "ETH", "BTC", "ETH", "BTC"],
            "actual_weight": [0.5, 0.6, -0.4, -0.5, None, -0.5, 0.5],
            "weight_t2": [0.5, 0.5, -0.5, -0.4, 0.5, None, 0.5],
            "ret": [0.01, 0.02, -0.01, None, 0.03, 0.02, float("nan")],
        }
    )
    out = te.daily_active_returns(df)
    assert out.columns == [
        "date",
        "book_return",
        "target_return",
        "active_return",
        "n_used",
        "n_no_return",
        "n_unpriced",
    ]
    assert out["date"].to_list() == [d1, d2, d3, d4]
    r = out.to_dicts()
    # d1: book 0.6*0.02 + (-0.4)(-0.01) = 0.016; target 0.5*0.02 + (-0.5)(-0.01) = 0.015
    assert r[0]["book_return"] == pytest.approx(0.016)
    assert r[0]["target_return"] == pytest.approx(0.015)
    assert r[0]["active_return"] == pytest.approx(0.001)
    assert (r[0]["n_used"], r[0]["n_no_return"], r[0]["n_unpriced"]) == (2, 0, 0)
    # d2: ETH has no return -> excluded and counted
    assert r[1]["book_return"] == pytest.approx(0.005)
    assert r[1]["target_return"] == pytest.approx(0.005)
    assert r[1]["active_return"] == pytest.approx(0.0)
    assert (r[1]["n_used"], r[1]["n_no_return"], r[1]["n_unpriced"]) == (1, 1, 0)
    # d3: BTC unpriced -> excluded; ETH has no target row -> target 0
    assert r[2]["book_return"] == pytest.approx(-0.01)
    assert r[2]["target_return"] == 0.0
    assert r[2]["active_return"] == pytest.approx(-0.01)
    assert (r[2]["n_used"], r[2]["n_no_return"], r[2]["n_unpriced"]) == (1, 0, 1)
    # d4: NaN return, nothing usable -> null returns, not zero
    assert (r[3]["book_return"], r[3]["target_return"], r[3]["active_return"]) == (None, None, None)
    assert (r[3]["n_used"], r[3]["n_no_return"]) == (0, 1)


def test_daily_active_returns_refuses_duplicates_and_missing_columns():
    df = pl.DataFrame(
        {"date": [1, 1], "sym": ["A", "A"], "actual_weight": [0.1, 0.1], "weight_t2": [0.1, 0.1], "ret": [0.0, 0.0]}
    )
    with pytest.raises(ValueError, match="duplicate"):
        te.daily_active_returns(df)
    with pytest.raises(ValueError, match="ret"):
        te.daily_active_returns(df.drop("ret"))


VALUES = [0.01, -0.02, 0.015, 0.003, -0.007]


def expected_rolling(values, window, ppy=ANNUALISATION_DAYS):
    out = []
    for i in range(len(values)):
        if i + 1 < window:
            out.append(None)
        else:
            out.append(statistics.stdev(values[i + 1 - window : i + 1]) * math.sqrt(ppy))
    return out


def assert_series_close(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if w is None:
            assert g is None
        else:
            assert g == pytest.approx(w, rel=1e-9)


def test_ex_post_te_series():
    out = te.ex_post_te(pl.Series("active_return", VALUES), window=3)
    assert isinstance(out, pl.Series)
    assert out.name == "ex_post_te"
    want = expected_rolling(VALUES, 3)
    assert want[2] == pytest.approx(statistics.stdev([0.01, -0.02, 0.015]) * math.sqrt(365))
    assert_series_close(out.to_list(), want)
    # pandas Series and another annualisation
    out = te.ex_post_te(pd.Series(VALUES), window=2, periods_per_year=252)
    assert_series_close(out.to_list(), expected_rolling(VALUES, 2, 252))


def test_ex_post_te_frame_keeps_row_order():
    dates = [dt.date(2025, 12, d) for d in range(1, 6)]
    df = pl.DataFrame({"date": dates, "active_return": VALUES, "tag": list("abcde")})
    shuffled = df[[3, 0, 4, 2, 1]]
    out = te.ex_post_te(shuffled, window=3)
    assert out.columns == ["date", "active_return", "tag", "ex_post_te"]
    assert out["tag"].to_list() == list("daecb")
    want = dict(zip(dates, expected_rolling(VALUES, 3)))
    assert_series_close(out["ex_post_te"].to_list(), [want[d] for d in out["date"]])


def test_ex_post_te_null_inside_window():
    vals = [0.01, None, 0.02, 0.03, -0.01, 0.0]
    out = te.ex_post_te(pl.Series(vals, dtype=pl.Float64), window=3).to_list()
    assert out[:4] == [None, None, None, None]  # every window touching the null is null
    assert out[4] == pytest.approx(statistics.stdev([0.02, 0.03, -0.01]) * math.sqrt(365))


@pytest.mark.parametrize("window", [1, 0, -3, 2.0, 2.5, True, "3", None])
def test_ex_post_te_bad_window(window):
    with pytest.raises(ValueError, match="window"):
        te.ex_post_te(pl.Series(VALUES), window=window)


def test_ex_post_te_bad_input():
    with pytest.raises(ValueError, match="periods_per_year"):
        te.ex_post_te(pl.Series(VALUES), window=3, periods_per_year=0)
    with pytest.raises(ValueError, match="duplicate"):
        te.ex_post_te(pl.DataFrame({"date": [1, 1, 2], "active_return": [0.0, 0.1, 0.2]}), window=2)
    with pytest.raises(ValueError, match="active_return"):
        te.ex_post_te(pl.DataFrame({"date": [1, 2]}), window=2)


# --- day story -----------------------------------------------------------------------
DEC7 = [
    ("ARB", 0.00022, 0.01679, 0.0),
    ("WLD", 0.0, -0.00476, None),
    ("BCH", 0.0, 0.00104, None),
    ("AAVE", 0.0385, 0.0518, 0.05),
    ("PUMP", -0.0479, -0.0517, -0.05),
    ("TNSR", -0.0518, -0.0556, None),
    ("BTC", 0.0596, 0.0569, None),
    ("DOGE", 0.0, 0.0, None),
]


def test_module_is_streamlit_free():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(te))
    imported = {
        (n.module or "") if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        for a in (n.names if isinstance(n, ast.Import) else [n])
    }
    assert not any(name.split(".")[0] == "streamlit" for name in imported)


def test_relative_magnitude_rule_scales_with_target():
    df = pl.DataFrame(
        {
            "sym": ["A", "B", "C"],
            "actual_weight": [0.0515, 0.0505, -0.0300],
            "weight_t2": [0.0500, 0.0500, -0.0250],
            "weight_t1": [None, None, None],
        },
        schema_overrides={"weight_t1": pl.Float64},
    )
    rel = te.classify(df, mag_eps=0.02, mag_rule="relative")
    assert rel["category"].to_list() == ["MAGNITUDE_ERROR", "MATCHED", "MAGNITUDE_ERROR"]
    absolute = te.classify(df, mag_eps=0.02)
    assert absolute["category"].to_list() == ["MATCHED", "MATCHED", "MATCHED"]
    with pytest.raises(ValueError):
        te.classify(df, mag_rule="percent")
