"""lib/rebalance/preflight.py on hand-made targets: each check passes, fails naming what is wrong, or is not
evaluated without its input; the stage (on landing, final check, after the rebalance)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from lib import config
from lib.rebalance import checks, preflight
from lib.rebalance import ticket as tickets

NOW = datetime(2025, 12, 15, 11, 45, tzinfo=UTC)
DAY = date(2025, 12, 14)  # the next targets on Dec 15, traded Dec 16 00:00
E = 1_000_000.0


def targets(extra: dict[str, float] | None = None, scale: float = 1.0) -> pl.DataFrame:
    w = {f"C{i:02d}": (0.05 if i % 2 else -0.05) * scale for i in range(26)}
    w.update(extra or {})
    return pl.DataFrame({"sym": list(w), "weight": list(w.values())})


def current() -> pl.DataFrame:
    w = {f"C{i:02d}": (0.05 if i % 2 else -0.05) for i in range(25)}  # C25 enters
    w["OLD"] = 0.02  # leaves
    return pl.DataFrame({"sym": list(w), "weight": list(w.values())})


def meta(coins) -> pl.DataFrame:
    poll = NOW - timedelta(hours=5)
    return pl.DataFrame(
        {
            "coin": list(coins),
            "sz_decimals": [2] * len(coins),
            "max_leverage": [5] * len(coins),
            "only_isolated": [False] * len(coins),
            "is_delisted": [c == "GONE" for c in coins],
            "updated_at": [poll - timedelta(days=3) if c == "DROPPED" else poll for c in coins],
            "newest_poll": [poll] * len(coins),
        }
    )


def prices(coins, stale=()) -> pl.DataFrame:
    ts = [NOW - timedelta(hours=5 if c in stale else 1) for c in coins]
    return pl.DataFrame({"coin": list(coins), "price": [10.0] * len(coins), "close_ts": ts})


def run(t: pl.DataFrame, listed=None, stale=(), checked_at=NOW, meta_frame="default"):
    syms = t["sym"].to_list()
    m = meta(listed if listed is not None else syms) if meta_frame == "default" else meta_frame
    px = prices(syms, stale)
    plan = tickets.build(tickets.NEXT, DAY, DAY + timedelta(days=2), t, book(), E, px, m, 4.0, {}, 1.0, checked_at)
    return preflight.run(DAY, DAY + timedelta(days=2), t, current(), m, "no table", px, plan, book(), checked_at)


def book() -> pl.DataFrame:
    """The book holds the current targets (price 10, set leverage 3x)."""
    cur = current()
    n = cur.height
    return pl.DataFrame(
        {
            "coin": cur["sym"],
            "units": cur["weight"] * E / 10.0,
            "mark": [10.0] * n,
            "leverage": [3.0] * n,
            "round_ts": [NOW - timedelta(minutes=45)] * n,
        }
    )


def by_key(result):
    return {c.key: c for c in result.checks}


def test_a_sound_file_passes_every_check():
    r = run(targets())
    assert [c.status for c in r.checks] == [checks.PASS] * 8 and not r.failed
    got = by_key(r)
    assert got["names"].values == {"entering": ["C25"], "leaving": ["OLD"]}
    assert got["changes"].values["largest"] == 0.05  # C25 from 0 to +5%
    assert abs(got["margin"].values["leverage_after"] - 1.3) < 1e-9  # 26 names x 5%
    assert abs(got["margin"].values["margin_used_after"] - 1.3 / 3) < 1e-9  # at the book's 3x
    assert abs(got["cost"].values["turnover"] - 0.07) < 1e-9  # C25 in (5%), OLD out (2%)
    assert r.to_json()["passed"] is True


def test_unknown_symbol_and_gross_above_the_limit_fail_both_named():
    bad = targets({"NOPE": 0.05}, scale=2.0)  # gross 2.6 + 0.05 > 2.0
    r = run(bad, listed=[s for s in bad["sym"].to_list() if s != "NOPE"])
    failed = {c.key: c for c in r.failed}
    assert {"weights", "listed"} <= set(failed)
    assert any(n.startswith("gross 265.0% above 200%") for n in failed["weights"].names)
    assert failed["listed"].names == ("NOPE (not on the exchange)",)


def test_delisted_dropped_stale_and_small():
    t = targets({"GONE": 0.01, "DROPPED": 0.01, "SMALL": 0.000005})
    r = run(t, stale=("C01",))
    got = by_key(r)
    assert set(got["listed"].names) == {
        "GONE (delisted)",
        "DROPPED (not in the newest poll)",
    }
    assert got["priced"].names == ("C01 (last close 5.0 h old)",)
    assert got["minimum"].names == ("SMALL ($5.00)",) and got["minimum"].failed


def test_not_evaluated_without_metadata_or_current_targets():
    r = run(targets(), meta_frame=None)
    assert by_key(r)["listed"].status == checks.NOT_EVALUATED and by_key(r)["listed"].numbers == "no table"
    assert not r.failed  # not evaluated is not a failure


def test_stage():
    assert run(targets()).stage == preflight.ON_LANDING
    final = datetime(2025, 12, 15, 24 - 1, 60 - config.PREFLIGHT_FINAL_CHECK_MIN, tzinfo=UTC)
    assert run(targets(), checked_at=final).stage == preflight.FINAL
    assert run(targets(), checked_at=datetime(2025, 12, 16, 1, tzinfo=UTC)).stage == preflight.AFTER
