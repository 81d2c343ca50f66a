"""One rule for a day that cannot be classified (no targets, no fills): Overview, Positions, TE, report.

Before, Overview's TE headline classified a day without targets (every held coin EXTRA, a TE
of the whole book) and a day without fills (every target MISSING), while Positions and
Tracking Error said "no targets".
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from lib.tracking import classification as te
from lib.tracking import daily as te_daily
from lib.tracking import snapshot as te_snapshot

D1, D2, D3 = date(2025, 12, 1), date(2025, 12, 2), date(2025, 12, 3)
H = datetime(2025, 11, 30, 2, tzinfo=UTC)


def timeline() -> pl.DataFrame:
    rows = [
        # day, sym, units, t2, n_t2, last fill hour
        (D1, "A", 10.0, 0.10, 2, H),  # D1: classified (A matched, B missing)
        (D1, "B", 0.0, 0.05, 2, None),
        (D2, "A", 10.0, None, 0, H),  # D2: no targets for D-2: nothing is EXTRA
        (D2, "C", 5.0, None, 0, H),
        (D3, "A", 0.0, 0.10, 2, None),  # D3: targets, but no fill ever: nothing is MISSING
        (D3, "B", 0.0, 0.05, 2, None),
    ]
    df = pl.DataFrame(
        rows,
        schema={
            "holdings_date": pl.Date,
            "sym": pl.String,
            "pos_units": pl.Float64,
            "weight_t2": pl.Float64,
            "t2_rows_for_day": pl.UInt64,
            "last_fill_hour": pl.Datetime("ms", "UTC"),
        },
        orient="row",
    )
    return df.with_columns(
        pl.format("{}USDT", "sym").alias("bn_symbol"),
        pl.lit(10.0).alias("bn_px"),
        pl.lit(1000.0).alias("equity_usd"),
        pl.lit(None, pl.Float64).alias("weight_t1"),
        pl.lit(0.0).alias("ret_24h"),
        (pl.col("pos_units") * 10.0).alias("notional_usd"),
        (pl.col("pos_units") * 10.0 / 1000.0).alias("actual_weight"),
        pl.col("weight_t2").is_not_null().alias("has_t2_row"),
    )


def test_day_state():
    tl = timeline()
    day = lambda d: tl.filter(pl.col("holdings_date") == d)
    assert te_snapshot.day_state(day(D1)) is None
    assert te_snapshot.day_state(day(D2)) == te_snapshot.NO_TARGETS
    assert te_snapshot.day_state(day(D3)) == te_snapshot.NO_FILLS


def test_te_now_follows_the_rule():
    """Overview's TE metric and the tracking alerts read te_now: a day without targets or fills is not classified."""
    tl = timeline()
    h = te_snapshot.te_now(tl.filter(pl.col("holdings_date") <= D2), D2)
    assert (h.te, h.counts, h.problems, h.state) == (None, [], [], te_snapshot.NO_TARGETS)
    assert h.te_prev is not None  # D1 is classified: A matched (0.1 vs 0.1), B missing (0 vs 0.05)
    assert abs(h.te_prev - 0.05) < 1e-12  # sqrt(0^2 + 0.05^2)
    h3 = te_snapshot.te_now(tl.filter(pl.col("holdings_date") >= D2), D3)
    assert (h3.te, h3.counts, h3.state, h3.te_prev) == (None, [], te_snapshot.NO_FILLS, None)
    assert h3.view is not None and h3.view.names(te.MISSING_POSITION) == []  # targets and no fills: nothing MISSING
    h1 = te_snapshot.te_now(tl, D1)
    assert h1.te == 0.05 and h1.te_prev is None and h1.delta is None  # sqrt(0^2 + 0.05^2), no D0 rows
    assert h1.counts == [(te.MISSING_POSITION, 1), (te.MATCHED, 1)] and h1.problems == [(te.MISSING_POSITION, 1)]
    assert h1.view.names(te.MISSING_POSITION) == ["B"]
    assert te_snapshot.te_now(None, D1).te is None


def test_a_snapshot_that_has_not_closed_is_never_classified():
    tl = timeline()
    view = te_snapshot.snapshot_view(tl.filter(pl.col("holdings_date") == D1), complete=False)
    assert view.state == te_snapshot.PENDING and view.counts is None and view.te is None


def test_positions_and_tracking_error_follow_the_same_rule():
    tl = timeline()
    for d, state in ((D1, None), (D2, te_snapshot.NO_TARGETS), (D3, te_snapshot.NO_FILLS)):
        view = te_snapshot.snapshot_view(tl.filter(pl.col("holdings_date") == d))
        assert view.state == state
        assert (view.counts is None) == (state is not None)
    rv = te_daily.range_view(tl, D1, D3, 7)
    assert rv.days_with_targets == [D1]
    assert rv.days_without_targets == [D2, D3]
    assert set(te_snapshot.classify_days(tl)["holdings_date"].to_list()) == {D1}
