"""Tracking Error page through Streamlit's AppTest on the demo desk: trend, drivers, day story, bad input."""

from __future__ import annotations

import math
import re
import statistics
from datetime import date, timedelta

import pytest

from lib import config
from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import resolve_settings
from lib.tracking import classification as te
from lib.tracking import daily as te_daily
from queries.engine.run import use_client
from queries.tracking.tracking_error import timeline
from tests.apptest_support import active_return, category_table_values, classifiable, day_numbers, shown

pytestmark = pytest.mark.shared_caches  # reads the demo desk as it is (tests/conftest.py, app)

PAGE = "pages/tracking_error.py"
RANGE = {"from": "2025-12-01", "to": "2025-12-10"}


def texts(at, kind: str) -> str:
    return "\n".join(shown(str(e.value)) for e in getattr(at, kind))


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def story(at) -> str:
    for m in at.markdown:
        if "symbols in snapshot" in shown(str(m.value)):
            return shown(str(m.value))
    raise AssertionError("no day story")


def story_table(at):
    for df in at.dataframe:
        v = df.value
        if list(v.columns)[:2] == ["sym", "actual_weight"]:
            return category_table_values(v)
    raise AssertionError("no classified table")


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def by_day(desk_url: str, start: date, end: date, hour: int = 2) -> dict[date, list[dict]]:
    """The timeline's rows per holdings day, on a client of their own (the statement tests/queries/test_timeline.py
    checks against the raw tables)."""
    with use_client(DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))):
        timeline.clear()
        df = timeline(start, end, hour)
    timeline.clear()
    out: dict[date, list[dict]] = {}
    for row in df.iter_rows(named=True):
        out.setdefault(row["holdings_date"], []).append(row)
    return out


def independent_view(desk_url: str, start: date, end: date, hour: int = 2, window: int = 14) -> te_daily.RangeView:
    with use_client(DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))):
        timeline.clear()
        df = timeline(te_daily.lookback_start(start), end, hour)
    timeline.clear()
    return te_daily.range_view(df, start, end, window)


def test_range_trend_and_day_story(app, desk_url):
    at = app(PAGE, query={**RANGE, "day": "2025-12-07"})
    no_exception(at)
    assert at.title[0].value == "Tracking Error"
    s = story(at)
    assert "2025-12-07" in s and "ARB" in s and "WLD" in s and "BCH" in s
    assert "3 missing positions" in s
    t = story_table(at)
    assert len(t) == 62
    assert sorted(t[t["category"] == te.MISSING_POSITION]["sym"]) == ["ARB", "BCH", "WLD"]
    # the headline numbers against the timeline's rows worked out by hand (tests/apptest_support.py)
    days = by_day(desk_url, date(2025, 11, 1), date(2025, 12, 10))
    te_of = {d: day_numbers(rows)["te"] for d, rows in days.items() if classifiable(rows)}
    in_range = [te_of[d] for d in sorted(te_of) if date(2025, 12, 1) <= d <= date(2025, 12, 10)]
    m = metrics(at)
    assert m["Daily TE, 2025-12-10"] == f"{in_range[-1] * 100:.2f}%"
    assert m["Mean daily TE over the range"] == f"{statistics.mean(in_range) * 100:.2f}%"
    known = [a for d, rows in sorted(days.items()) if classifiable(rows) and (a := active_return(rows)) is not None]
    ex_post = statistics.stdev(known[-14:]) * math.sqrt(365)  # the latest 14 known daily active returns
    assert m["Ex-post TE (14d, annualised ×√365)"] == f"{ex_post * 100:.2f}%"
    assert m["Days with targets"] == "10 / 10"
    # the day story: its TE, active share, the previous 7 days' mean and the flips, by hand
    d = date(2025, 12, 7)
    mine = day_numbers(days[d])
    plain = shown(re.sub(r"\[([A-Za-z0-9]+)\]\(trades\?[^)]*&coin=\1\)", r"\1", s))
    assert f"TE {mine['te'] * 100:.2f}% (sqrt of Σerr² vs T+2 target over 62 priced symbols)" in plain
    assert f"active share {mine['active_share'] * 100:.2f}%" in plain
    before = [te_of[x] for x in te_of if d - timedelta(days=7) <= x < d]
    assert f"{statistics.mean(before) * 100:.2f}% average over the previous 7 days" in plain
    assert f"on {mine['n_flips']} symbol{'s' if mine['n_flips'] != 1 else ''} explain " in plain
    assert f"explain {mine['flip_share'] * 100:.1f}% of Σerr²" in plain
    assert mine["counts"]["MISSING_POSITION"] == 3 and "Missing positions (3): ARB" in plain
    assert "[ARB](trades?from=2025-12-01&to=2025-12-10&tab=drilldown&coin=ARB)" in s
    # charts: lag strip, share of days per lag, TE lines; the other tabs' charts are drawn only when their tab is
    # open (test_each_tab_draws_its_own_charts_only_when_open)
    assert chart_keys(at) == TOP_CHARTS | SECTION_CHARTS["day"]
    assert dict(at.query_params)["day"] == "2025-12-07" and "section" not in at.query_params


TOP_CHARTS = {"te_lag_strip", "te_lag_share", "te_lines"}
SECTION_CHARTS = {  # the tabs below the trend (URL ?section=, the first tab's left out)
    "day": set(),
    "drivers": {"te_sq_err", "te_counts", "te_flip", "te_heatmap"},
    "model_book": {"te_model_equity", "te_model_active", "te_model_waterfall"},
}


def chart_keys(at) -> set[str]:
    return {c.key for c in at.get("plotly_chart")}


@pytest.mark.parametrize("section", list(SECTION_CHARTS))
def test_each_tab_draws_its_own_charts_only_when_open(app, section):
    at = app(PAGE, query={**RANGE, "section": section, "day": "2025-12-07"})
    no_exception(at)
    assert chart_keys(at) == TOP_CHARTS | SECTION_CHARTS[section]
    headers = [h.value for h in at.subheader]
    assert ("TE attribution over the range" in headers) == (section == "drivers")
    assert ("Live against the model book" in headers) == (section == "model_book")
    assert ("Day story" in headers) == (section == "day")


def test_a_tab_click_opens_its_tab_and_the_url_says_which(app):
    at = app(PAGE, query={**RANGE, "day": "2025-12-07"})
    tabs = at.tabs
    assert [t.label for t in tabs][-3:] == ["Day story", "What drives the TE", "Live against the model book"]
    at.session_state["te_tab"] = "What drives the TE"  # what a click writes (st.tabs on_change="rerun")
    at.run()
    no_exception(at)
    assert chart_keys(at) == TOP_CHARTS | SECTION_CHARTS["drivers"]
    assert dict(at.query_params)["section"] == "drivers"
    assert dict(at.query_params)["day"] == "2025-12-07"  # the day the story showed stays for the way back


def test_pick_another_day_window_and_hour(app):
    at = app(PAGE, query={**RANGE, "day": "2025-12-07"})
    at.selectbox(key="te_day").set_value(date(2025, 12, 5)).run()
    no_exception(at)
    s = story(at)
    assert "2025-12-05" in s and "APT" in s and "HBAR" in s and "2 missing positions" in s
    assert dict(at.query_params)["day"] == "2025-12-05"

    at.selectbox(key="te_window").set_value(7).run()
    no_exception(at)
    assert "Ex-post TE (7d, annualised ×√365)" in metrics(at)
    assert dict(at.query_params)["window"] == "7"

    at.selectbox(key="te_hour").set_value(10).run()
    no_exception(at)
    assert dict(at.query_params)["hour"] == "10"
    assert "each day's snapshot at the 10:00 hour (positions as of 11:00 UTC)" in texts(at, "caption")


def test_thresholds_change_the_story_and_bad_ones_are_refused(app):
    at = app(PAGE, query={**RANGE, "day": "2025-12-07"})
    at.number_input(key="te_mag_eps").set_value(0.01).run()
    no_exception(at)
    # AAVE is 1.33% under its target: a magnitude error once MAG_EPS is 1%
    t = story_table(at)
    assert t[t["sym"] == "AAVE"]["category"].iloc[0] == te.MAGNITUDE_ERROR
    assert "AAVE" in story(at) and "magnitude error" in story(at)

    at.number_input(key="te_mag_eps").set_value(0.9).run()
    no_exception(at)
    assert "MAG_EPS must be between 0.0 and 0.5" in texts(at, "error")
    t = story_table(at)
    assert t[t["sym"] == "AAVE"]["category"].iloc[0] == te.MATCHED  # back to the default 0.02


def test_days_without_targets_are_gaps(app, desk_url):
    # the demo desk starts on 2025-11-20: Nov 16-19 have no data and no targets
    at = app(PAGE, query={"from": "2025-11-16", "to": "2025-11-25"})
    no_exception(at)
    info = texts(at, "info")
    assert "4 days without model targets or data" in info and "2025-11-16" in info
    assert metrics(at)["Days with targets"] == "6 / 10"
    v = independent_view(desk_url, date(2025, 11, 16), date(2025, 11, 25))
    assert v.daily["te"].to_list()[:4] == [None] * 4  # gaps, not zeros

    at = app(PAGE, query={"from": "2025-10-01", "to": "2025-10-05"})
    no_exception(at)
    assert "nothing to show" in texts(at, "info")


def test_garbage_url_params_warn_and_fall_back(app):
    at = app(PAGE, query={**RANGE, "day": "';DROP", "hour": "99", "window": "5"})
    no_exception(at)
    warnings = texts(at, "warning")
    assert "Ignored URL parameter `day`" in warnings
    assert "Ignored URL parameter `hour`" in warnings
    assert "Ignored URL parameter `window`" in warnings
    q = dict(at.query_params)
    assert q["day"] == "2025-12-10" and q["hour"] == str(config.DEFAULT_SNAPSHOT_HOUR) and q["window"] == "14"
    assert "2025-12-10" in story(at)

    # a real date outside the range lands on the nearest day of the range, and the page says so
    at = app(PAGE, query={**RANGE, "day": "2025-11-25"})
    no_exception(at)
    assert "Ignored URL parameter" not in texts(at, "warning")
    assert dict(at.query_params)["day"] == "2025-12-01"
    assert "2025-12-01" in story(at)


def test_a_linked_day_the_range_cannot_show_is_replaced_with_a_notice(app):
    """?day= outside the range used to open another day silently."""
    at = app(PAGE, query={**RANGE, "day": "2025-11-25"})
    no_exception(at)
    notices = texts(at, "info")
    assert f"The link's `day` is 2025-11-25, which is outside the range {RANGE['from']} – {RANGE['to']}" in notices
    assert "showing 2025-12-01 instead" in notices
    # a day inside the range is shown as asked, without a notice
    at = app(PAGE, query={**RANGE, "day": "2025-12-05"})
    assert "The link's `day`" not in texts(at, "info") and dict(at.query_params)["day"] == "2025-12-05"


@pytest.mark.parametrize("day", ["2025-13-45", "x" * 200])
def test_malformed_day_never_raises(app, day):
    at = app(PAGE, query={**RANGE, "day": day})
    no_exception(at)
    assert "Ignored URL parameter `day`" in texts(at, "warning")
