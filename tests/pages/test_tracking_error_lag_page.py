"""Tracking Error page (AppTest, demo desk): the effective-lag strip, the day's verdict and the TE attribution.

Every number on the page is checked against the lib's computation on an independent query
(a client of its own, caches cleared), so page and lib cannot drift apart.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import resolve_settings
from lib.tracking import attribution as ta
from lib.tracking import daily as te_daily
from lib.tracking import lag as el
from queries.engine.run import use_client
from queries.tracking.tracking_error import lag_sweep, timeline
from tests.apptest_support import shown

PAGE = "pages/tracking_error.py"


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def markdown(at) -> str:
    return "\n".join(shown(str(m.value)) for m in at.markdown)


def verdict(at) -> str:
    for m in at.markdown:
        if str(m.value).startswith("**Verdict:"):
            return shown(str(m.value))
    raise AssertionError("no verdict")


def frame(at, first_column: str):
    for df in at.dataframe:
        if list(df.value.columns)[:1] == [first_column]:
            return df.value
    raise AssertionError(f"no table starting with {first_column}")


def independent(desk_url: str, start: date, end: date, hour: int = 2):
    with use_client(DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))):
        timeline.clear()
        lag_sweep.clear()
        tl = timeline(te_daily.lookback_start(start), end, hour)
        sweep = lag_sweep(start, end, hour)
    timeline.clear()
    lag_sweep.clear()
    return te_daily.range_view(tl, start, end, 14), el.lag_days(sweep, te_daily.calendar(start, end))


def test_lag_strip_and_share_of_days(app, desk_url):
    at = app(PAGE, query={"from": "2025-12-01", "to": "2025-12-14", "day": "2025-12-13"})
    no_exception(at)
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # lag strip, its share of days, the TE lines
    _, days = independent(desk_url, date(2025, 12, 1), date(2025, 12, 14))
    assert days["best_lag"].to_list() == [2] * 12 + [3, 1]
    assert days["effective_lag"].to_list() == [2] * 12 + [3, 1]
    captions = "\n".join(shown(str(c.value)) for c in at.caption)
    assert "14 of 14 days could be compared" in captions
    import json

    strip = next(json.loads(c.proto.spec) for c in charts if "Effective execution lag" in c.proto.spec)
    painted = {t["name"]: t["x"] for t in strip["data"]}
    assert painted == {
        "D−1": ["2025-12-14"],
        "D−2 (schedule)": [f"2025-12-{d:02d}" for d in range(1, 13)],
        "D−3": ["2025-12-13"],
    }


def test_skipped_rebalance_verdict_in_words_and_dollars(app, desk_url):
    at = app(PAGE, query={"from": "2025-12-01", "to": "2025-12-14", "day": "2025-12-13"})
    no_exception(at)
    v = verdict(at)
    assert v.startswith("**Verdict: skipped rebalance.**")
    assert "matched the D−3 targets better than D−2" in v
    view, days = independent(desk_url, date(2025, 12, 1), date(2025, 12, 14))
    d = date(2025, 12, 13)
    row = days.filter(pl.col("date") == d).row(0, named=True)
    active = view.daily.filter(pl.col("date") == d)["active_return"].item()
    equity = view.day(d)["equity_usd"].drop_nulls()[0]
    expected = el.day_verdict(el.te_by_lag(row), row["best_lag"], view.day(d), active, equity)
    assert v.strip() == shown(expected.to_markdown()).strip()
    assert expected.cost_usd == pytest.approx(active * equity)
    assert f"{abs(expected.cost_usd):,.0f}" in v

    at.selectbox(key="te_day").set_value(date(2025, 12, 14)).run()
    no_exception(at)
    assert verdict(at).startswith("**Verdict: one-day timing slip.**")
    assert "matched the D−1 targets better than D−2" in verdict(at)

    at.selectbox(key="te_day").set_value(date(2025, 12, 7)).run()
    no_exception(at)
    v = verdict(at)
    assert v.startswith("**Verdict: a few missing names.**") and "ARB, WLD, BCH" in v


def test_attribution_tables_match_the_lib(app, desk_url):
    at = app(PAGE, query={"from": "2025-12-01", "to": "2025-12-10", "section": "drivers"})
    no_exception(at)
    assert "TE attribution over the range" in [h.value for h in at.subheader]
    view, _ = independent(desk_url, date(2025, 12, 1), date(2025, 12, 10))
    expected = ta.by_symbol(view.classified)
    shown = frame(at, "sym")
    assert shown["sym"].tolist() == expected["sym"].to_list()  # sorted by share
    assert shown["share"].tolist() == pytest.approx((expected["share"] * 100).to_list())
    assert shown["sq_err"].tolist() == pytest.approx((expected["sq_err"] * 1e4).to_list())
    assert shown["days_missing"].tolist() == expected["days_missing"].to_list()
    assert shown["longest_missing_run"].tolist() == expected["longest_missing_run"].to_list()
    h = ta.headline(expected)
    assert f"{h['n_names']} of {h['n_symbols']} names carry {h['covered'] * 100:.0f}% of Σerr²" in markdown(at)
    assert h["run_sym"] is None and "has been a missing position" not in markdown(at)  # no name missing on Dec 10


def test_a_one_day_missing_run_is_not_called_a_pattern(app, desk_url):
    at = app(PAGE, query={"from": "2025-12-01", "to": "2025-12-07", "section": "drivers"})
    no_exception(at)
    view, _ = independent(desk_url, date(2025, 12, 1), date(2025, 12, 7))
    h = ta.headline(ta.by_symbol(view.classified))
    assert (h["run_sym"], h["run_days"]) == ("ARB", 1)  # its orders were rejected on Dec 7 only
    assert "ARB has been a missing position for 1 day running." in markdown(at)
    assert "order-size or listing problem" not in markdown(at)  # said once a name is missed two days running
    buckets = [df.value for df in at.dataframe if list(df.value.columns)[:1] == ["bucket"]]
    assert len(buckets) == 2
    side, size = buckets
    assert side["bucket"].tolist() == [ta.SIDE_LONG, ta.SIDE_SHORT, ta.NO_TARGET]
    assert side["share"].sum() == pytest.approx(100.0)
    assert size["share"].sum() == pytest.approx(100.0)


def test_lag_sweep_failure_leaves_the_rest_of_the_page(app, monkeypatch):
    from lib.clickhouse.errors import QueryFailed
    from queries.tracking import tracking_error as q

    def broken(*args, **kwargs):
        raise QueryFailed("timeout", "chdb://desk", "query timed out")

    monkeypatch.setattr(q, "lag_sweep", broken)
    at = app(PAGE, query={"from": "2025-12-01", "to": "2025-12-10", "day": "2025-12-07"})
    no_exception(at)
    errors = "\n".join(shown(str(e.value)) for e in at.error)
    assert "execution-lag sweep" in errors
    assert len(at.get("plotly_chart")) == 1  # the TE lines are still drawn
    assert all(not str(m.value).startswith("**Verdict:") for m in at.markdown)
    assert "symbols in snapshot" in markdown(at)  # the day story is still there
