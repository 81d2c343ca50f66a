"""Tests for lib.tracking.story: the day's narrative and the `report` command's JSON."""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics

import numpy as np
import pandas as pd
import polars as pl
import pytest

from lib.tracking import classification as te
from lib.tracking import story as stories
from lib.tracking.classification import (
    CATEGORIES,
    EXTRA_POSITION,
    MAGNITUDE_ERROR,
    MATCHED,
    MATCHED_ZERO,
    MISSING_POSITION,
    UNPRICED,
    WRONG_DIRECTION,
)
from lib.tracking.story import MINUS_SIGN
from tests.apptest_support import shown
from tests.lib.tracking.test_classification import DEC7, book, frame  # noqa: F401, F811 (book is a fixture)


@pytest.fixture
def dec7() -> pl.DataFrame:
    return te.classify(frame(DEC7))


def m(text: str) -> str:
    """Write expectations with '-' and get the typographic minus the story uses."""
    return text.replace("-", MINUS_SIGN)


def test_fmt_weight():
    assert stories.fmt_weight(0.01679) == "+1.68%"
    assert stories.fmt_weight(-0.0133) == MINUS_SIGN + "1.33%"
    assert stories.fmt_weight(-0.000001) == "+0.00%"  # no "-0.00%"
    assert stories.fmt_weight(None) == "n/a"


def test_day_story_dec7(dec7):
    story = stories.day_story(dt.date(2025, 12, 7), dec7)
    assert story.headline == m(
        "Book aligned in direction; 3 missing positions (ARB, WLD, BCH); largest sizing gap AAVE -1.33%"
    )
    assert story.counts == {
        MATCHED_ZERO: 1,
        MISSING_POSITION: 3,
        EXTRA_POSITION: 0,
        WRONG_DIRECTION: 0,
        MAGNITUDE_ERROR: 0,
        MATCHED: 4,
        UNPRICED: 0,
    }
    text = "\n".join(story.bullets)
    assert text.startswith("8 symbols in snapshot: MATCHED_ZERO 1, MISSING_POSITION 3")
    assert (
        m(
            "Missing positions (3): ARB target +1.68% actual +0.02%; WLD target -0.48% actual +0.00%; BCH target +0.10% actual +0.00%"
        )
        in text
    )
    assert "No extra or wrong-direction positions" in text
    # no magnitude errors: say so and list the largest matched deviations, by |err| desc
    assert (
        m(
            "No magnitude errors; largest deviations among matched names: "
            "AAVE target +5.18% actual +3.85% (gap -1.33%); PUMP target -5.17% actual -4.79% (gap +0.38%); "
            "TNSR target -5.56% actual -5.18% (gap +0.38%); BTC target +5.69% actual +5.96% (gap +0.27%)"
        )
        in text
    )
    assert story.te == te.snapshot_te(dec7)
    assert f"TE {story.te['te'] * 100:.2f}%" in text
    # flips: ARB (err_t1 0.00022 < 0.01658; targets 0 vs +1.68% differ by far more than 0.25%). AAVE
    # (0.0115 < 0.0133) and PUMP (0.0021 < 0.0038) are closer to T+1 too, but their targets differ by 0.18%
    # and 0.17% only: sizing noise, not a timing slip (config.FLIP_MIN_TARGET_GAP)
    e2 = {s: (a - t) ** 2 for s, a, t, _ in DEC7}
    share = e2["ARB"] / sum(e2.values())
    assert (
        "Flips (closer to the T+1 than the T+2 target, where the two targets differ by more than 0.25% of "
        f"equity) on 1 symbol explain {share * 100:.1f}% of Σerr²"
    ) in text
    assert "Data quality" not in text


def test_day_story_top_n_and_magnitude_errors():
    c = te.classify(
        frame(
            [
                ("PENGU", -0.0728, -0.0428, None),
                ("PAXG", 0.0850, 0.0550, None),
                ("BTC", 0.0969, 0.0569, None),
                ("ETH", 0.05, 0.05, None),
            ]
        )
    )
    story = stories.day_story("2025-12-06", c, top_n=2)
    text = "\n".join(story.bullets)
    assert (
        m(
            "Largest magnitude errors (3): BTC target +5.69% actual +9.69% (gap +4.00%); PAXG target +5.50% actual +8.50% (gap +3.00%); +1 more"
        )
        in text
    )
    assert "No magnitude errors" not in text
    assert "No flips (closer to the T+1 than the T+2 target" in text and "on 0 symbols" not in text
    assert (
        story.headline
        == "Book aligned in direction; no missing positions; 3 magnitude errors, largest sizing gap BTC +4.00%"
    )
    with pytest.raises(ValueError, match="top_n"):
        stories.day_story("2025-12-06", c, top_n=0)


def test_day_story_extra_wrong_unpriced_and_no_target():
    c = te.classify(
        frame(
            [
                ("SOL", -0.03, 0.02, -0.03),
                ("XRP", 0.015, None, None),
                ("ADA", 0.012, 0.0, None),
                ("LTC", None, 0.01, None),
                ("ETH", 0.05, 0.05, None),
            ]
        )
    )
    story = stories.day_story("2025-12-08", c)
    # ETH matches exactly (gap 0): no "largest sizing gap" part
    assert story.headline == (
        "1 wrong-direction position (SOL); 2 extra positions (ADA, XRP); no missing positions; 1 unpriced"
    )
    text = "\n".join(story.bullets)
    # extra positions: equal |target| 0 -> by name
    assert "Extra positions (2): ADA target +0.00% actual +1.20%; XRP target +0.00% actual +1.50%" in text
    assert "Wrong-direction positions (1): " + m("SOL target +2.00% actual -3.00%") in text
    assert "1 symbol with no target row (target taken as 0): XRP" in text
    assert "Data quality: 1 unpriced symbol (no price or equity, left out of TE): LTC (target +1.00%)" in text
    assert "No extra or wrong-direction" not in text
    assert story.counts[UNPRICED] == 1


def test_day_story_history_comparison(dec7):
    today = te.snapshot_te(dec7)["te"]
    days = [dt.date(2025, 12, d) for d in (3, 4, 5, 6)]
    prev = [today / 2, today / 1.5, today / 1.8, today / 1.7]
    mean = statistics.mean(prev)
    # today's own row (and later days) in the history are not "previous days"
    hist = pl.DataFrame({"date": days + [dt.date(2025, 12, 7), dt.date(2025, 12, 9)], "te": prev + [today, 1.0]})
    text = "\n".join(stories.day_story("2025-12-07", dec7, history=hist).bullets)
    assert f"TE {today * 100:.2f}% is elevated vs {mean * 100:.2f}% average over the previous 4 days" in text

    hist = pd.DataFrame({"date": ["2025-12-05", "2025-12-06"], "te": [today * 1.1, today * 0.95]})
    text = "\n".join(stories.day_story("2025-12-07", dec7, history=hist).bullets)
    assert "is in line with" in text and "over the previous 2 days" in text

    hist = pl.DataFrame({"date": [dt.datetime(2025, 12, 6, 2)], "te": [today * 2]})
    text = "\n".join(stories.day_story("2025-12-07", dec7, history=hist).bullets)
    assert f"TE {today * 100:.2f}% is below {today * 200:.2f}% average over the previous 1 day" in text

    hist = pl.DataFrame({"date": [dt.date(2025, 12, 8)], "te": [0.01]})
    text = "\n".join(stories.day_story("2025-12-07", dec7, history=hist).bullets)
    assert "No TE history before this day" in text
    assert "average over" not in "\n".join(stories.day_story("2025-12-07", dec7).bullets)


def test_te_comparison_boundaries():
    assert stories.ELEVATED_RATIO == 1.25 and stories.BELOW_RATIO == 0.8
    assert "is in line with" in stories._te_comparison(1.25, 1.0, 3)  # exactly 1.25x: not elevated
    assert "is elevated vs" in stories._te_comparison(1.2500001, 1.0, 3)
    assert "is in line with" in stories._te_comparison(0.8, 1.0, 3)  # exactly 0.8x: not below
    assert "is below" in stories._te_comparison(0.7999999, 1.0, 3)
    assert "is in line with" in stories._te_comparison(0.0, 0.0, 3)


def test_day_story_markdown_and_edge_cases(dec7):
    story = stories.day_story(dt.datetime(2025, 12, 7, 2), dec7)
    md = shown(story.to_markdown())
    assert md.startswith("**2025-12-07 — Book aligned in direction; 3 missing positions (ARB, WLD, BCH)")
    assert md.count("\n- ") == len(story.bullets)
    assert "MISSING\\_POSITION 3" in story.to_markdown()  # markdown-escaped underscores

    empty = stories.day_story("2025-12-07", te.classify(frame([])))
    assert empty.headline == "No symbols in snapshot"
    assert empty.te["te"] is None

    unpriced = stories.day_story("2025-12-07", te.classify(frame([("B", None, 0.02, None), ("A", None, 0.03, None)])))
    assert unpriced.headline == "No priced symbols: 2 unpriced (A, B)"
    assert "TE not available" in "\n".join(unpriced.bullets)


def test_day_story_headline_caps_names():
    rows = [(f"C{i}", 0.0, 0.01 + i * 0.001, None) for i in range(7)]
    story = stories.day_story("2025-12-07", te.classify(frame(rows)))
    assert "7 missing positions (C6, C5, C4, C3, C2, +2 more)" in story.headline


# --- to_report -------------------------------------------------------------------------
def test_to_report_shape_and_json(book):
    rep = stories.to_report(dt.date(2025, 12, 7), 2, book)
    assert set(rep) == {"date", "hour", "counts", "symbols", "te"}
    assert rep["date"] == "2025-12-07" and rep["hour"] == 2
    assert list(rep["counts"]) == list(CATEGORIES)
    assert rep["counts"] == {
        MATCHED_ZERO: 1,
        MISSING_POSITION: 2,
        EXTRA_POSITION: 1,
        WRONG_DIRECTION: 1,
        MAGNITUDE_ERROR: 1,
        MATCHED: 1,
        UNPRICED: 1,
    }
    assert list(rep["symbols"]) == [c for c in CATEGORIES if c not in (MATCHED, MATCHED_ZERO)]
    missing = rep["symbols"][MISSING_POSITION]
    assert [r["sym"] for r in missing] == ["A", "B"]  # |target| desc
    assert missing[0] == {
        "sym": "A",
        "weight_t2": 0.03,
        "weight_t1": 0.0,
        "actual_weight": 0.0,
        "err_t2": -0.03,
        "flip_explained": True,
    }
    assert rep["symbols"][UNPRICED] == [
        {
            "sym": "H",
            "weight_t2": 0.02,
            "weight_t1": 0.02,
            "actual_weight": None,
            "err_t2": None,
            "flip_explained": False,
        }
    ]
    assert rep["te"]["te"] == pytest.approx(math.sqrt(0.0056))
    assert rep["te"]["active_share"] == pytest.approx(0.08)
    assert set(rep["te"]) == {"te", "active_share"}
    text = json.dumps(rep, allow_nan=False)
    assert "NaN" not in text
    assert json.loads(text)["counts"][UNPRICED] == 1
    for rows in rep["symbols"].values():
        for r in rows:
            for k in ("weight_t2", "weight_t1", "actual_weight", "err_t2"):
                assert r[k] is None or type(r[k]) is float


def test_to_report_absent_categories_and_validation():
    c = te.classify(
        pd.DataFrame({"sym": ["A"], "actual_weight": [np.nan], "weight_t2": [np.nan], "weight_t1": [np.nan]})
    )
    rep = stories.to_report("2025-12-07T02:00:00", 23, c)
    assert rep["counts"][UNPRICED] == 1 and rep["counts"][MATCHED] == 0
    assert rep["symbols"][MAGNITUDE_ERROR] == []
    assert rep["te"] == {"te": None, "active_share": None}
    json.dumps(rep, allow_nan=False)
    for hour in (24, -1, 2.0, True):
        with pytest.raises(ValueError, match="hour"):
            stories.to_report("2025-12-07", hour, c)
    with pytest.raises(ValueError, match="date"):
        stories.to_report("yesterday", 2, c)
