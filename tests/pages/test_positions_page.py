"""Positions page through Streamlit's AppTest on the demo desk: values, widgets, URL, bad input."""

from __future__ import annotations

from datetime import date

import pytest

from lib import clock
from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import resolve_settings
from lib.tracking import classification as te
from lib.tracking import snapshot as te_snapshot
from queries.engine.run import use_client
from queries.tracking.tracking_error import timeline
from tests.apptest_support import category_table_values, playbook_category, shown

pytestmark = pytest.mark.shared_caches  # reads the demo desk as it is (tests/conftest.py, app)

PAGE = "pages/positions.py"
LABEL = te_snapshot.CATEGORY_LABELS


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def counts_shown(at) -> dict[str, int]:
    shown = metrics(at)
    return {cat: int(shown[LABEL[cat]]) for cat in te.CATEGORIES}


def table(at):
    for df in at.dataframe:
        v = df.value
        if list(v.columns)[:2] == ["sym", "pos_units"]:
            return category_table_values(v)
    raise AssertionError("no positions table")


def texts(at, kind: str) -> str:
    return "\n".join(shown(str(e.value)) for e in getattr(at, kind))


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def expected_counts(desk_url: str, day: date, hour: int, w_eps: float = 0.001, mag_eps: float = 0.02) -> dict:
    """Independent of the page: the timeline on its own client (the statement tests/queries/test_timeline.py checks
    against the raw tables), each row classified by the playbook's rules in plain Python and counted."""
    with use_client(DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))):
        timeline.clear()
        df = timeline(day, day, hour)
    timeline.clear()
    counts = dict.fromkeys(te.CATEGORIES, 0)
    for row in df.iter_rows(named=True):
        counts[playbook_category(row["actual_weight"], row["weight_t2"], w_eps, mag_eps)] += 1
    return counts


def test_reference_day_metrics_table_and_reconciliation(app):
    at = app(PAGE, query={"date": "2025-12-05", "hour": "2"})
    no_exception(at)
    assert at.title[0].value == "Positions"
    c = counts_shown(at)
    assert c[te.MISSING_POSITION] == 2
    assert c[te.EXTRA_POSITION] == 0 and c[te.WRONG_DIRECTION] == 0 and c[te.UNPRICED] == 0
    assert sum(c.values()) == 62
    assert metrics(at)["Symbols"] == "62"
    t = table(at)
    assert len(t) == 62
    missing = t[t["category"] == te.MISSING_POSITION]
    assert sorted(missing["sym"]) == ["APT", "HBAR"]
    assert t["err_t2"].abs().is_monotonic_decreasing  # largest gap first
    # exposure metrics are percentages of equity computed from the same rows
    assert metrics(at)["Gross exposure"].endswith("%")
    assert "Book at 2025-12-05 02:00 hour (positions as of 03:00 UTC) vs targets dated 2025-12-03" in texts(
        at, "subheader"
    )
    assert "match the exchange snapshot" in texts(at, "success")
    assert at.get("plotly_chart"), "the actual-vs-target chart is drawn"
    assert at.get("download_button"), "the CSV download is offered"
    assert dict(at.query_params)["date"] == "2025-12-05" and dict(at.query_params)["hour"] == "2"


def test_change_date_and_hour(app, desk_url):
    at = app(PAGE, query={"date": "2025-12-05", "hour": "2"})
    at.date_input(key="pos_date").set_value(date(2025, 12, 7)).run()
    no_exception(at)
    assert dict(at.query_params)["date"] == "2025-12-07"
    t = table(at)
    missing = t[t["category"] == te.MISSING_POSITION]
    assert sorted(missing["sym"]) == ["ARB", "BCH", "WLD"]
    arb = t[t["sym"] == "ARB"].iloc[0]
    assert arb["weight_t2"] == pytest.approx(0.01679, abs=5e-5)
    assert arb["actual_weight"] == pytest.approx(0.00022, abs=5e-5)
    aave = t[t["sym"] == "AAVE"].iloc[0]
    assert aave["weight_t2"] == pytest.approx(0.0518, abs=5e-4)
    assert aave["actual_weight"] == pytest.approx(0.0385, abs=5e-4)

    at.selectbox(key="pos_hour").set_value(10).run()
    no_exception(at)
    assert dict(at.query_params)["hour"] == "10"
    assert "Book at 2025-12-07 10:00 hour (positions as of 11:00 UTC)" in texts(at, "subheader")
    assert counts_shown(at) == expected_counts(desk_url, date(2025, 12, 7), 10)


def test_thresholds_reclassify_and_out_of_range_is_refused(app, desk_url):
    at = app(PAGE, query={"date": "2025-12-05", "hour": "2"})
    at.number_input(key="pos_mag_eps").set_value(0.001).run()
    no_exception(at)
    got = counts_shown(at)
    assert got == expected_counts(desk_url, date(2025, 12, 5), 2, mag_eps=0.001)
    assert got[te.MAGNITUDE_ERROR] > 0

    at.number_input(key="pos_w_eps").set_value(0.005).run()
    got = counts_shown(at)
    assert got == expected_counts(desk_url, date(2025, 12, 5), 2, w_eps=0.005, mag_eps=0.001)
    t = table(at)
    # APT (-0.00365) and HBAR (-0.002) are below a 0.5% W_EPS: flat both sides now
    assert set(t[t["sym"].isin(["APT", "HBAR"])]["category"]) == {te.MATCHED_ZERO}

    at.number_input(key="pos_w_eps").set_value(0.2).run()
    no_exception(at)
    errors = texts(at, "error")
    assert "W_EPS must be between 0.0 and 0.05" in errors and "default 0.001" in errors
    # refused -> the playbook default is used (with the still-valid MAG_EPS 0.001)
    assert counts_shown(at) == expected_counts(desk_url, date(2025, 12, 5), 2, mag_eps=0.001)


def test_category_filter_limits_table(app):
    at = app(PAGE, query={"date": "2025-12-06", "hour": "2"})
    at.multiselect(key="pos_categories").set_value([te.MISSING_POSITION]).run()
    no_exception(at)
    t = table(at)
    assert sorted(t["sym"]) == ["LINK", "TRX", "WLFI"]
    assert set(t["category"]) == {te.MISSING_POSITION}
    assert "3 of 62 symbols" in texts(at, "caption")
    at.multiselect(key="pos_categories").set_value([te.EXTRA_POSITION]).run()
    no_exception(at)
    assert len(table(at)) == 0
    assert "No symbol in the selected categories" in texts(at, "info")


def test_category_filter_is_in_the_url_and_a_link_restores_it(app):
    at = app(PAGE, query={"date": "2025-12-06", "hour": "2"})
    assert "categories" not in dict(at.query_params)  # every category: left out of the link
    at.multiselect(key="pos_categories").set_value([te.WRONG_DIRECTION, te.MISSING_POSITION]).run()
    assert dict(at.query_params)["categories"] == f"{te.MISSING_POSITION},{te.WRONG_DIRECTION}"  # in category order
    at.multiselect(key="pos_categories").set_value([]).run()
    assert dict(at.query_params)["categories"] == "none"
    # the link opens the same filter
    linked = app(PAGE, query={"date": "2025-12-06", "hour": "2", "categories": te.MISSING_POSITION})
    no_exception(linked)
    assert linked.multiselect(key="pos_categories").value == [te.MISSING_POSITION]
    assert sorted(table(linked)["sym"]) == ["LINK", "TRX", "WLFI"]
    # an unknown category is refused by name, and every category is shown
    bad = app(PAGE, query={"date": "2025-12-06", "hour": "2", "categories": "MISSING_POSITION,BOGUS"})
    assert "Ignored URL parameter `categories`" in texts(bad, "warning")
    assert bad.multiselect(key="pos_categories").value == list(te.CATEGORIES)


@pytest.fixture(scope="module")
def gap_desk(engine):
    """A demo desk whose model skipped the weights dated 2025-12-05: holdings day 2025-12-07 has no targets."""
    from datetime import UTC, datetime

    from lib.demo import seed_client
    from tests.queries.fixture_desk import create_tables

    tm = create_tables(engine, "fxposgap")
    seed_client(engine, start=datetime(2025, 12, 1, tzinfo=UTC), end=datetime(2025, 12, 9, 12, tzinfo=UTC), tables=tm)
    engine.command(
        f"ALTER TABLE {tm.qualified('targets')} DELETE WHERE date = '2025-12-05'", settings={"mutations_sync": 2}
    )
    assert engine.command(f"SELECT count() FROM {tm.qualified('targets')} WHERE date = '2025-12-05'") == 0
    return {k: tm.qualified(k) for k in tm.tables}


def test_day_without_targets_is_not_all_extra(app, fresh_caches, gap_desk, monkeypatch):
    import json

    monkeypatch.setenv("DESK_TABLES", json.dumps(gap_desk))
    at = app(PAGE, query={"date": "2025-12-07", "hour": "2"})
    no_exception(at)
    warnings = texts(at, "warning")
    assert "No model targets dated 2025-12-05" in warnings
    assert LABEL[te.EXTRA_POSITION] not in metrics(at)
    t = table(at)
    assert len(t) > 0 and "category" not in t.columns and "err_t2" not in t.columns
    assert metrics(at)["Snapshot TE (√Σerr²)"] == "—"
    assert not at.get("plotly_chart")  # nothing to compare the book with


def test_a_snapshot_that_has_not_closed_is_not_classified(app):
    """2025-12-17 02:00 lies after the data (as of 2025-12-15 11:45): said in words, nothing classified."""
    at = app(PAGE, query={"date": "2025-12-17", "hour": "2"})
    no_exception(at)
    warnings = texts(at, "warning")
    assert "2025-12-17's 02:00 snapshot closes at 03:00 UTC (in " in warnings
    assert "The latest complete snapshot at this hour is 2025-12-15 02:00 hour (positions as of 03:00 UTC)" in warnings
    assert not any(LABEL[c] in metrics(at) for c in te.CATEGORIES)
    assert metrics(at)["Snapshot TE (√Σerr²)"] == "—"
    t = table(at)
    assert len(t) > 0 and "category" not in t.columns
    assert "24:00" not in texts(at, "subheader") + warnings


def test_garbage_url_params_warn_and_fall_back(app):
    at = app(PAGE, query={"date": "2025-13-45", "hour": "99"})
    no_exception(at)
    warnings = texts(at, "warning")
    assert "Ignored URL parameter `date`" in warnings and "not a real calendar date" in warnings
    assert "Ignored URL parameter `hour`" in warnings
    # fallback: the latest complete hour of the data (as of ~2025-12-15 11:5x -> 10:00)
    from queries.health import health

    as_of = health.data_as_of().item(0, "account_ts")
    day, hour = clock.latest_complete(as_of)
    assert dict(at.query_params)["date"] == day.isoformat() and dict(at.query_params)["hour"] == str(hour)
    assert f"Book at {day.isoformat()} {hour:02d}:00 hour (positions as of {hour + 1:02d}:00 UTC)" in texts(
        at, "subheader"
    )

    at = app(PAGE, query={"date": "';DROP TABLE x", "hour": "2"})
    no_exception(at)
    assert "Ignored URL parameter `date`" in texts(at, "warning")


def test_relative_magnitude_rule_switch_reproduces_playbook_count(app):
    at = app(PAGE, query={"date": "2025-12-05", "hour": "2"})
    assert counts_shown(at)[te.MAGNITUDE_ERROR] == 0
    at.radio(key="pos_rule").set_value("relative").run()
    no_exception(at)
    c = counts_shown(at)
    assert c[te.MAGNITUDE_ERROR] == 30 and c[te.MISSING_POSITION] == 2
    assert at.query_params.get("rule") in ("relative", ["relative"])


def test_garbage_rule_in_url_falls_back_to_absolute(app):
    at = app(PAGE, query={"date": "2025-12-05", "hour": "2", "rule": "1;DROP"})
    no_exception(at)
    assert "Ignored URL parameter `rule`" in texts(at, "warning")
    assert counts_shown(at)[te.MAGNITUDE_ERROR] == 0


def test_before_the_rebalance_is_a_choice_and_hour_zero_says_it_includes_it(app, desk_client):
    at = app(PAGE, query={"date": "2025-12-07", "hour": "0"})
    no_exception(at)
    box = at.selectbox(key="pos_hour")
    assert "incl. the 00:00–00:02 rebalance" in box.format_func(0)
    assert box.format_func(-1) == "00:00:00 — before the rebalance"
    assert "Hour 0" in box.help and "before the rebalance" in box.help
    assert any("includes the 00:00–00:02 rebalance fills" in c.value for c in at.caption)
    box.set_value(-1).run()
    no_exception(at)
    assert dict(at.query_params)["hour"] == "-1"
    assert "Book at 2025-12-07 00:00:00 UTC (before the rebalance)" in texts(at, "subheader")
    # the book going into the rebalance is the fills up to 00:00:00, not after the 00:00-00:02 fills
    n_fills_in_burst = desk_client.query(
        "SELECT count() FROM (SELECT * FROM maicro_monitors.trades LIMIT 1 BY account, tid) "
        "WHERE time >= '2025-12-07 00:00:00' AND time < '2025-12-07 00:05:00'"
    ).result_rows[0][0]
    assert n_fills_in_burst > 10
