"""Time `lib.tracking.classification.classify` on 1,000,000 synthetic rows.

Run from the project root: `python -m bench.bench_classify [--rows N] [--runs K]`.
Prints the median wall time over K runs (after one warm-up run); the target is
well under 1 s for 1M rows. No assertion: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import polars as pl

from lib.tracking.classification import CATEGORIES, classify


def synthetic(rows: int, seed: int = 7) -> pl.DataFrame:
    """A mix that exercises every branch: flats, tiny tails, flips, big gaps, nulls, NaNs."""
    rng = np.random.default_rng(seed)
    target = rng.normal(0.0, 0.03, rows)
    target[rng.random(rows) < 0.2] = 0.0  # flat targets
    noise = rng.normal(0.0, 0.01, rows)
    actual = target + noise
    actual[rng.random(rows) < 0.05] = 0.0  # missing positions
    actual[rng.random(rows) < 0.03] *= -1.0  # wrong direction
    actual[rng.random(rows) < 0.01] = np.nan  # unpriced (NaN)
    t1 = target + rng.normal(0.0, 0.01, rows)
    t1_null = rng.random(rows) < 0.1
    t2_null = rng.random(rows) < 0.02
    actual_null = rng.random(rows) < 0.01
    return pl.DataFrame(
        {
            "sym": pl.select(pl.format("C{}", pl.int_range(rows) % 1000)).to_series(),
            "actual_weight": pl.Series(actual).set(pl.Series(actual_null), None),
            "weight_t2": pl.Series(target).set(pl.Series(t2_null), None),
            "weight_t1": pl.Series(t1).set(pl.Series(t1_null), None),
            "ts_hour": pl.Series(np.arange(rows) // 1000, dtype=pl.Int64),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    frame = synthetic(args.rows)
    out = classify(frame)  # warm-up (and a sanity check of the output)
    assert out.height == args.rows
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        classify(frame)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    counts = dict(out.group_by("category").len().iter_rows())
    print(
        f"classify: {args.rows:,} rows, median {med * 1000:.1f} ms over {args.runs} runs "
        f"(min {min(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms)"
    )
    print("categories: " + ", ".join(f"{c} {counts.get(c, 0):,}" for c in CATEGORIES))


if __name__ == "__main__":
    main()
