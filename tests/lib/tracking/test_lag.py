"""lib.tracking.lag: the sweep reshaped per day, the share of days per lag, the JSON, the day's verdict."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from lib import config
from lib.tracking import classification as te
from lib.tracking import lag as el
from tests.apptest_support import shown

D1, D2, D3, D4 = date(2025, 12, 5), date(2025, 12, 6), date(2025, 12, 7), date(2025, 12, 8)


def sweep(rows: dict[date, tuple[list[float | None], int | None]]) -> pl.DataFrame:
    """The query's long frame from {day: ([te at lag 0..3], best_lag)}."""
    out = {"holdings_date": [], "lag": [], "te": [], "best_lag": []}
    for d, (tes, best) in rows.items():
        for lag, v in enumerate(tes):
            out["holdings_date"].append(d)
            out["lag"].append(lag)
            out["te"].append(v)
            out["best_lag"].append(best)
    return pl.DataFrame(out, schema={"holdings_date": pl.Date, "lag": pl.UInt8, "te": pl.Float64, "best_lag": pl.UInt8})


SWEEP = sweep(
    {
        D1: ([0.09, 0.068, 0.0076, 0.077], 2),
        D2: ([0.07, 0.0058, 0.0349, 0.06], 1),
        D3: ([None, 0.086, 0.0076, None], 2),  # targets dated D-0 and D-3 missing
    }
)


def test_lag_days_wide_with_nulls_and_calendar():
    days = el.lag_days(SWEEP, [D1, D2, D3, D4])
    assert days.columns == [
        "date",
        "te_lag0",
        "te_lag1",
        "te_lag2",
        "te_lag3",
        "best_lag",
        "effective_lag",
        "kind",
    ]
    assert days["date"].to_list() == [D1, D2, D3, D4]
    assert days.row(2) == (D3, None, 0.086, 0.0076, None, 2, 2, el.ON_TIME)
    assert days.row(1)[-2:] == (1, el.ONE_DAY_SLIP)  # 0.58% < 0.8 x 3.49%
    assert days.row(3) == (D4, None, None, None, None, None, None, el.UNKNOWN)  # absent from the sweep: unknown


def test_effective_lag_is_the_verdicts_classification():
    """The strip, the share of days, the verdict and `cli lag` read one rule: a best lag other than the
    schedule is a slip only when clearly better (below LAG_CLEAR_RATIO x the schedule's TE)."""
    marginal = {0: 0.1, 1: 0.0199, 2: 0.02, 3: 0.05}
    assert el.effective(marginal, 1) == (None, el.NO_CLEAR_LAG)
    assert el.lag_sentence(marginal, 1)[0] == el.NO_CLEAR_LAG
    # 2025-11-21 in the demo: D-3 smallest but not clearly below D-2
    assert el.effective({0: 0.08, 1: 0.05, 2: 0.031, 3: 0.029}, 3) == (None, el.NO_CLEAR_LAG)
    assert el.effective({0: 0.07, 1: 0.066, 2: 0.048, 3: 0.0103}, 3) == (3, el.SKIPPED_REBALANCE)
    assert el.effective({0: None, 1: 0.01, 2: None, 3: 0.05}, 1) == (None, el.NO_CLEAR_LAG)  # no D-2 targets
    assert el.effective({2: 0.05}, 2) == (2, el.ON_TIME)
    assert el.effective({}, None) == (None, el.UNKNOWN)
    days = el.lag_days(sweep({D1: ([0.08, 0.05, 0.031, 0.029], 3)}))
    assert days.row(0)[-3:] == (3, None, el.NO_CLEAR_LAG)  # best stays what the sweep says


def test_lag_shares_over_days_with_a_lag():
    shares = el.lag_shares(el.lag_days(SWEEP, [D1, D2, D3, D4]))
    assert shares["lag"].to_list() == [0, 1, 2, 3, None]
    assert shares["label"].to_list() == ["D−0", "D−1", "D−2", "D−3", "no clear lag"]
    assert shares["n_days"].to_list() == [0, 1, 2, 0, 0]
    assert shares["share"].to_list() == pytest.approx([0.0, 1 / 3, 2 / 3, 0.0, 0.0])
    none = el.lag_shares(el.lag_days(SWEEP.head(0), [D4]))
    assert none["share"].to_list() == [None] * 5 and none["n_days"].to_list() == [0] * 5
    # a marginal best lag is counted as "no clear lag", not as a slip
    unclear = el.lag_shares(el.lag_days(sweep({D1: ([0.08, 0.05, 0.031, 0.029], 3), D2: ([0.1, 0.1, 0.01, 0.1], 2)})))
    assert unclear["n_days"].to_list() == [0, 0, 1, 0, 1]


def test_json_shape_and_null_lags():
    out = el.to_json(el.lag_days(SWEEP))
    text = json.dumps(out, allow_nan=False)
    back = json.loads(text)
    assert [d["date"] for d in back["days"]] == ["2025-12-05", "2025-12-06", "2025-12-07"]
    assert back["days"][2] == {
        "date": "2025-12-07",
        "te_by_lag": {"0": None, "1": 0.086, "2": 0.0076, "3": None},
        "best_lag": 2,
        "effective_lag": 2,
        "kind": "on time",
    }
    assert back["days"][1]["best_lag"] == 1


def classified(rows: list[tuple[str, float, float | None, str]]) -> pl.DataFrame:
    """sym, weight_t2, actual_weight, category -> a classify-shaped frame (err_t2 = actual - target)."""
    df = pl.DataFrame(
        rows,
        schema={"sym": pl.String, "weight_t2": pl.Float64, "actual_weight": pl.Float64, "category": pl.String},
        orient="row",
    )
    return df.with_columns((pl.col("actual_weight") - pl.col("weight_t2")).alias("err_t2"))


def test_one_day_slip_and_skipped_rebalance_sentences():
    kind, text = el.lag_sentence({0: 0.07, 1: 0.004, 2: 0.019, 3: 0.06}, 1)
    assert kind == el.ONE_DAY_SLIP
    assert text.startswith(
        "the book matched the D−1 targets better than D−2 (TE 0.40% vs 1.90%): a one-day timing slip"
    )
    kind, text = el.lag_sentence({0: 0.07, 1: 0.066, 2: 0.048, 3: 0.0103}, 3)
    assert kind == el.SKIPPED_REBALANCE and "D−3 targets better than D−2 (TE 1.03% vs 4.80%)" in text
    assert "previous day's positions" in text
    kind, _ = el.lag_sentence({0: 0.01, 1: 0.05, 2: 0.03, 3: 0.06}, 0)
    assert kind == el.TWO_DAY_SLIP


def test_a_marginal_lag_is_no_clear_slip():
    ratio = config.LAG_CLEAR_RATIO
    kind, text = el.lag_sentence({0: 0.1, 1: 0.0199, 2: 0.02, 3: 0.05}, 1)
    assert ratio < 0.995 and kind == el.NO_CLEAR_LAG and "only marginally" in text


def test_on_time_named_after_a_dominant_category():
    rows = classified(
        [
            ("ARB", 0.0168, 0.0002, te.MISSING_POSITION),
            ("WLD", -0.0048, 0.0, te.MISSING_POSITION),
            ("BTC", 0.05, 0.051, te.MATCHED),
            ("ETH", 0.04, 0.039, te.MATCHED),
            ("PURR", 0.0, None, te.UNPRICED),
        ]
    )
    kind, text = el.lag_sentence({0: 0.1, 1: 0.05, 2: 0.0174, 3: 0.06}, 2, rows)
    assert kind == el.MISSING_NAMES
    alone, _ = el.lag_sentence({0: 0.1, 1: 0.05, 2: 0.0174, 3: 0.06}, 2, rows.filter(pl.col("sym") != "WLD"))
    assert alone == "one missing name"  # not "a few missing names" said of one
    share = (0.0166**2 + 0.0048**2) / (0.0166**2 + 0.0048**2 + 0.001**2 + 0.001**2)
    assert text == (
        "the book matched the D−2 targets best (TE 1.74%; D−0 10.00%, D−1 5.00%, D−3 6.00%): on time, "
        f"but 2 missing names (ARB, WLD) carry {share * 100:.0f}% of Σerr²"
    )
    calm = classified([("BTC", 0.05, 0.051, te.MATCHED), ("ETH", 0.04, 0.039, te.MATCHED)])
    assert el.lag_sentence({2: 0.0014}, 2, calm)[0] == el.ON_TIME
    wrong = classified([("TAO", 0.02, -0.01, te.WRONG_DIRECTION), ("BTC", 0.05, 0.051, te.MATCHED)])
    kind, text = el.lag_sentence({2: 0.03}, 2, wrong)
    assert kind == "one wrong-direction position" and "1 wrong-direction position (TAO) carries" in text  # one name
    many = classified([(f"C{i}", 0.01, 0.0, te.MISSING_POSITION) for i in range(config.LAG_MISSING_MAX_NAMES + 1)])
    assert el.lag_sentence({2: 0.03}, 2, many)[0] == el.ON_TIME  # not "a few"


def test_unknown_and_missing_schedule():
    assert el.lag_sentence({0: None, 1: None, 2: None, 3: None}, None)[0] == el.UNKNOWN
    kind, text = el.lag_sentence({0: None, 1: 0.01, 2: None, 3: 0.05}, 1)
    assert kind == el.NO_CLEAR_LAG and "D−2 targets are missing" in text


def test_tracking_cost_in_dollars_and_bp():
    usd, bp, text = el.tracking_cost(-0.00123, 1_000_000.0)
    assert usd == pytest.approx(-1230.0) and bp == pytest.approx(-12.3)
    assert "−12.3 bp" in text and "−$1,230" in text and "cost $1,230" in text
    usd, bp, text = el.tracking_cost(0.0004, 500_000.0)
    assert usd == pytest.approx(200.0) and "+$200" in text and "earned $200" in text
    assert el.tracking_cost(None, 1e6)[:2] == (None, None)
    usd, bp, text = el.tracking_cost(0.001, None)
    assert usd is None and bp == pytest.approx(10.0) and "equity unknown" in text
    assert el.tracking_cost(float("nan"), 1e6)[:2] == (None, None)


def test_verdict_markdown():
    v = el.day_verdict({0: 0.07, 1: 0.004, 2: 0.019, 3: 0.06}, 1, None, -0.0005, 2_000_000.0)
    md = shown(v.to_markdown())
    assert md.startswith("**Verdict: one-day timing slip.** The book matched the D−1 targets")
    assert "**What the tracking cost:**" in md and "−$1,000" in md
    assert v.cost_usd == pytest.approx(-1000.0) and v.cost_bp == pytest.approx(-5.0)
