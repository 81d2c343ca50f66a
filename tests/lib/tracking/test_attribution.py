"""lib.tracking.attribution against a plain-Python computation on a classified range with awkward cases.

The range: 8 days, one of them without targets (no rows at all: it ends a MISSING run); a
symbol missing 3 days, then present, then missing 2 days up to the last day; a symbol with no
candle on some days (UNPRICED: counted, out of the sums); an extra position (no target); a
symbol that only appears on some days; long, short and tiny targets across the size buckets.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

import polars as pl
import pytest

from lib import config
from lib.tracking import attribution as ta
from lib.tracking import classification as te

START = date(2025, 12, 1)
NO_TARGET_DAY = START + timedelta(days=5)


def build() -> pl.DataFrame:
    rows = []
    for k in range(8):
        d = START + timedelta(days=k)
        if d == NO_TARGET_DAY:
            continue
        # APT: a short of -0.4% missing on days 0-2 and 6-7 (day 5 has no targets), held on day 3-4
        rows.append((d, "APT", -0.004, 0.0 if k in (0, 1, 2, 6, 7) else -0.0041))
        # BTC: a large long, persistently over-sized
        rows.append((d, "BTC", 0.05, 0.053 + 0.001 * k))
        # ETH: a large short, slightly under-sized
        rows.append((d, "ETH", -0.03, -0.029))
        # PURR: held, no candle -> unpriced on days 0-3, then priced and matched
        rows.append((d, "PURR", 0.01, None if k < 4 else 0.0101))
        # OP: extra position, no target, on odd days only
        if k % 2:
            rows.append((d, "OP", 0.0, 0.004))
        # DOGE: a medium long traded the wrong way on day 7
        rows.append((d, "DOGE", 0.012, -0.006 if k == 7 else 0.0118))
        # HBAR: a tiny target below W_EPS, flat: matched zero
        rows.append((d, "HBAR", 0.0005, 0.0))
    frame = pl.DataFrame(
        rows,
        schema={"holdings_date": pl.Date, "sym": pl.String, "weight_t2": pl.Float64, "actual_weight": pl.Float64},
        orient="row",
    )
    return te.classify(frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("weight_t1")))


CLASSIFIED = build()


def expected_by_symbol(df: pl.DataFrame) -> dict[str, dict]:
    rows = df.to_dicts()
    total = sum(r["err_t2"] ** 2 for r in rows if r["category"] != te.UNPRICED)
    last_day = max(r["holdings_date"] for r in rows)
    out: dict[str, dict] = {}
    by_sym: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_sym[r["sym"]].append(r)
    for sym, rs in by_sym.items():
        rs.sort(key=lambda r: r["holdings_date"])
        priced = [r for r in rs if r["category"] != te.UNPRICED]
        sq = sum(r["err_t2"] ** 2 for r in priced)
        runs, run, prev = [], 0, None
        for r in rs:
            if r["category"] == te.MISSING_POSITION:
                run = run + 1 if (prev is not None and r["holdings_date"] - prev == timedelta(days=1) and run) else 1
                prev = r["holdings_date"]
                runs.append((run, r["holdings_date"]))
            else:
                run, prev = 0, None
        out[sym] = {
            "days": len(rs),
            "sq_err": sq,
            "share": sq / total,
            "mean_err": sum(r["err_t2"] for r in priced) / len(priced) if priced else None,
            "longest_missing_run": max((n for n, _ in runs), default=0),
            "missing_run_now": next((n for n, d in reversed(runs) if d == last_day), 0),
            "latest_state": rs[-1]["category"],
            **{f"days_{key}": sum(r["category"] == cat for r in rs) for cat, key in ta.CATEGORY_KEYS.items()},
            **{
                f"last_{key}": max((r["holdings_date"] for r in rs if r["category"] == cat), default=None)
                for cat, key in ta.CATEGORY_KEYS.items()
            },
        }
    return out


def test_by_symbol_matches_independent_computation():
    got = ta.by_symbol(CLASSIFIED)
    exp = expected_by_symbol(CLASSIFIED)
    assert sorted(got["sym"].to_list()) == sorted(exp)
    for row in got.iter_rows(named=True):
        e = exp[row["sym"]]
        for col, value in e.items():
            if isinstance(value, float):
                assert row[col] == pytest.approx(value, rel=1e-12, abs=1e-18), (row["sym"], col)
            else:
                assert row[col] == value, (row["sym"], col, row[col], value)
    shares = got["share"].to_list()
    assert shares == sorted(shares, reverse=True)  # sorted by share
    assert sum(shares) == pytest.approx(1.0)


def test_missing_runs_stop_at_a_day_without_targets():
    apt = ta.by_symbol(CLASSIFIED).filter(pl.col("sym") == "APT").row(0, named=True)
    assert apt["days_missing"] == 5
    assert apt["longest_missing_run"] == 3  # days 0-2; days 6-7 are a run of 2 (day 5 has no targets)
    assert apt["missing_run_now"] == 2
    assert apt["last_missing"] == START + timedelta(days=7) and apt["last_matched"] == START + timedelta(days=4)
    assert apt["latest_state"] == te.MISSING_POSITION


def test_unpriced_rows_counted_not_summed():
    purr = ta.by_symbol(CLASSIFIED).filter(pl.col("sym") == "PURR").row(0, named=True)
    assert purr["days_unpriced"] == 4 and purr["days"] == 7
    assert purr["mean_err"] == pytest.approx(0.0001)  # over the 3 priced days only
    assert purr["last_unpriced"] == START + timedelta(days=3)


def test_by_bucket_matches_independent_computation():
    got = {(r["dimension"], r["bucket"]): r for r in ta.by_bucket(CLASSIFIED).iter_rows(named=True)}
    lo, hi = config.ATTRIBUTION_SIZE_BUCKETS
    rows = CLASSIFIED.to_dicts()
    total = sum(r["err_t2"] ** 2 for r in rows if r["category"] != te.UNPRICED)

    def side(w):
        return ta.NO_TARGET if abs(w) < config.W_EPS else ta.SIDE_LONG if w > 0 else ta.SIDE_SHORT

    def size(w):
        a = abs(w)
        if a < config.W_EPS:
            return ta.NO_TARGET
        return ta.SIZE_SMALL if a < lo else ta.SIZE_MEDIUM if a < hi else ta.SIZE_LARGE

    labels = dict(zip((ta.SIZE_SMALL, ta.SIZE_MEDIUM, ta.SIZE_LARGE), ta._size_labels()))
    for dim, fn in (("side", side), ("size", size)):
        groups: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            b = fn(r["weight_t2"])
            groups[labels.get(b, b)].append(r)
        for bucket, rs in groups.items():
            g = got[(dim, bucket)]
            priced = [r for r in rs if r["category"] != te.UNPRICED]
            sq = sum(r["err_t2"] ** 2 for r in priced)
            assert g["days"] == len(rs) and g["symbols"] == len({r["sym"] for r in rs})
            assert g["sq_err"] == pytest.approx(sq) and g["share"] == pytest.approx(sq / total)
            assert g["mean_err"] == pytest.approx(sum(r["err_t2"] for r in priced) / len(priced))
            assert g["days_missing"] == sum(r["category"] == te.MISSING_POSITION for r in rs)
    side_shares = sum(r["share"] for k, r in got.items() if k[0] == "side")
    assert side_shares == pytest.approx(1.0)
    assert got[("size", ta.NO_TARGET)]["days_extra"] == 3  # OP, on the odd days 1, 3, 7 (5 has no targets)


def test_every_bucket_listed_even_when_empty():
    only_long = CLASSIFIED.filter(pl.col("sym") == "BTC")
    b = ta.by_bucket(only_long)
    assert b.height == 7
    short = b.filter(pl.col("bucket") == ta.SIDE_SHORT).row(0, named=True)
    assert short["days"] == 0 and short["sq_err"] is None and short["share"] is None


def test_empty_range():
    assert ta.by_symbol(CLASSIFIED.head(0)).height == 0
    assert ta.by_bucket(CLASSIFIED.head(0))["days"].to_list() == [0] * 7


def test_headline_concentration_and_current_run():
    symbols = ta.by_symbol(CLASSIFIED)
    h = ta.headline(symbols)
    shares = symbols["share"].to_list()
    n = next(i + 1 for i in range(len(shares)) if sum(shares[: i + 1]) >= 0.5)
    assert h["n_names"] == n and h["names"] == symbols["sym"].head(n).to_list()
    assert h["covered"] == pytest.approx(sum(shares[:n]))
    assert h["run_sym"] == "APT" and h["run_days"] == 2
    assert math.isclose(sum(shares), 1.0)
