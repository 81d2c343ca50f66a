"""The pure pieces behind views that travel in links: range presets, URL lists and choices, the CSV
writer, and System Health's headline (lib/ranges.py, lib/inputs.py, lib/csv_export.py,
lib/health/answer.py). Expected values are worked out by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib import config, csv_export, ranges
from lib.health import answer as health_answer
from lib.inputs import (
    InputError,
    nearest_day,
    parse_coin,
    parse_direction,
    parse_list,
    parse_page,
    parse_preset,
    parse_refresh,
    parse_tab,
)
from tests.apptest_support import shown

UTC = UTC
NOW = datetime(2025, 12, 15, 11, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    "preset,start,end",
    [
        ("7d", date(2025, 12, 9), date(2025, 12, 15)),
        ("30d", date(2025, 11, 16), date(2025, 12, 15)),
        ("mtd", date(2025, 12, 1), date(2025, 12, 15)),
        ("ytd", date(2025, 1, 1), date(2025, 12, 15)),
        ("all", date(2025, 11, 20), date(2025, 12, 15)),
    ],
)
def test_day_presets_end_with_the_newest_day(preset, start, end):
    b = ranges.preset_bounds(preset, NOW, first_day=date(2025, 11, 20))
    assert (b.start, b.end) == (start, end)
    assert b.lo == datetime(start.year, start.month, start.day, tzinfo=UTC) and not b.intraday
    assert b.hi == datetime(2025, 12, 16, tzinfo=UTC)  # nothing of the newest day is cut


def test_24h_is_the_last_24_hours_over_two_days():
    b = ranges.preset_bounds("24h", NOW)
    assert b.hi == NOW + timedelta(minutes=1) and b.hi - b.lo == timedelta(hours=24) and b.intraday
    assert (b.start, b.end) == (date(2025, 12, 14), date(2025, 12, 15))
    # just after midnight: the last 24 hours, not yesterday 00:05 to the end of today (47 h 55 min)
    b = ranges.preset_bounds("24h", datetime(2026, 12, 6, 0, 5, 9, tzinfo=UTC))
    assert (b.lo, b.hi) == (datetime(2026, 12, 5, 0, 6, tzinfo=UTC), datetime(2026, 12, 6, 0, 6, tzinfo=UTC))
    assert (b.start, b.end) == (date(2026, 12, 5), date(2026, 12, 6))


def test_all_without_a_known_first_day_is_capped():
    b = ranges.preset_bounds("all", NOW)
    assert (b.end - b.start).days + 1 == 3 * 366
    with pytest.raises(InputError):
        ranges.preset_bounds("2w", NOW)


def test_url_parsers():
    assert parse_list("BTC,ETH,,BTC", parse_coin, "coins") == ("BTC", "ETH")  # order kept, duplicates dropped
    with pytest.raises(InputError):
        parse_list("BTC,'; DROP", parse_coin, "coins")
    with pytest.raises(InputError):
        parse_list(",".join(["A"] * 201), parse_coin, "coins")
    assert parse_direction("Open Long") == "Open Long" and parse_direction("Long > Short") == "Long > Short"
    with pytest.raises(InputError):
        parse_direction("x'); --")
    assert parse_page("3") == 3
    for bad in ("0", "-1", "x"):
        with pytest.raises(InputError):
            parse_page(bad)
    assert parse_tab("drilldown", ("fills", "drilldown")) == "drilldown"
    assert parse_preset("7D") == "7d" and parse_refresh("0") == 0 and parse_refresh("300") == 300
    with pytest.raises(InputError):
        parse_refresh("10")  # off / 30 s / 1 min / 5 min only
    assert config.DEFAULT_REFRESH_S == 60 and config.REFRESH_CHOICES_S == (0, 30, 60, 300)


def test_nearest_day_lands_on_the_edge_of_a_new_range():
    days = [date(2025, 12, 1), date(2025, 12, 2), date(2025, 12, 5)]
    assert nearest_day(date(2025, 11, 25), days) == date(2025, 12, 1)
    assert nearest_day(date(2025, 12, 20), days) == date(2025, 12, 5)
    assert nearest_day(date(2025, 12, 2), days) == date(2025, 12, 2)
    assert nearest_day(date(2025, 12, 3), days) == date(2025, 12, 2)  # 1 day before 3 days
    with pytest.raises(InputError):
        nearest_day(date(2025, 12, 3), [])


def test_csv_writer_says_what_it_holds():
    df = pl.DataFrame(
        {
            "px": [0.20560599999999998, 1.2345678901234e-8, None],
            "sz": [123456.78901234567, -2.5, 0.0],
            "crossed": [True, False, None],
            "time": [datetime(2025, 12, 5, 0, 1, 2, 345000, tzinfo=UTC)] * 3,
            "day": [date(2025, 12, 5)] * 3,
            "coin": ["BTC", "a,b", None],
        }
    )
    text = csv_export.csv_text(df)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["px"] == "0.205606"  # float noise rounded away
    assert float(rows[1]["px"]) == pytest.approx(1.2345678901234e-8, rel=1e-11)  # real precision kept
    assert rows[0]["sz"] == "123456.789012"
    assert [r["crossed"] for r in rows] == ["true", "false", ""]
    assert rows[0]["time"] == "2025-12-05T00:01:02.345Z" and rows[0]["day"] == "2025-12-05"
    assert rows[1]["coin"] == "a,b" and rows[2]["px"] == "" and rows[2]["coin"] == ""  # missing is empty, not 0
    assert (
        csv_export.file_name("fills", date(2025, 12, 1), date(2025, 12, 7), "BTC")
        == "fills_2025-12-01_2025-12-07_BTC.csv"
    )


def _tables(**synced_ago_s):
    return pl.DataFrame(
        [
            {"table_key": k, "newest_synced": None if v is None else NOW - timedelta(seconds=v), "server_now": NOW}
            for k, v in synced_ago_s.items()
        ]
    )


def test_sync_lag_overall_and_per_table():
    lag = health_answer.sync_lag(_tables(trades=30, account=90, ledger=None, orders=7200))
    assert lag.overall_s == 30  # the newest row that reached the remote
    assert lag.per_table == {"trades": 30, "account": 90, "ledger": None, "orders": 7200}
    assert (lag.stalest, lag.stalest_s) == ("orders", 7200)
    empty = health_answer.sync_lag(_tables(ledger=None))
    assert empty.overall_s is None and empty.stalest is None  # unknown, never 0


def test_monitor_names_in_the_summary():
    assessed = pl.DataFrame(
        {"monitor": ["trades", "account", "orders", "funding"], "status": ["DOWN", "DOWN", "LATE", "OK"]}
    )
    names = health_answer.monitor_names(assessed)
    assert names == {"DOWN": ["account", "trades"], "LATE": ["orders"]}
    assert health_answer.monitors_line(names) == "DOWN: account, trades · LATE: orders"
    assert health_answer.monitors_line({"DOWN": [], "LATE": []}) == ""


def test_the_folded_charts_labels_say_what_the_charts_hold():
    """The rows-per-hour and sync-durations charts are drawn on demand: a closed fold's label carries the gaps,
    the longest run and the hours with failed runs, counted by hand here."""
    from lib import format as fmt
    from lib.health import rules

    end = datetime(2025, 12, 15, 5, 30, tzinfo=UTC)
    per = pl.DataFrame({"hour": [datetime(2025, 12, 15, 1, tzinfo=UTC)], "keys": [60], "rows": [61]})
    # 6 hours: 00:00, 02:00-04:00 empty (4 gap hours), 05:00 under way (never a gap); the ledger's quiet hours
    # are normal (an event table has no gaps)
    filled = [rules.fill_hours(per, end, 6, "positions"), rules.fill_hours(per, end, 6, "ledger")]
    assert health_answer.rows_fold_label(filled, 48) == "Rows per hour · 2 d · gaps: positions 4 h"
    full = pl.DataFrame(
        {"hour": [datetime(2025, 12, 15, k, tzinfo=UTC) for k in range(5)], "keys": 5 * [1], "rows": 5 * [1]}
    )
    assert (
        health_answer.rows_fold_label([rules.fill_hours(full, end, 5, "account")], 24)
        == "Rows per hour · 24 h · no gaps"
    )

    hour = [datetime(2025, 12, 15, k, tzinfo=UTC) for k in (1, 1, 2, 3)]
    durations = pl.DataFrame(
        {"hour": hour, "target": ["a", "b", "a", "a"], "dur_max_s": [4.0, 31.0, None, 2.5], "failures": [1, 2, 3, 0]}
    )
    # two distinct hours with failures (01:00 counted once for both targets); 02:00 all failed: no duration
    assert (
        health_answer.durations_fold_label(durations, 24)
        == "Sync durations · 24 h · longest run 31 s · 2 hours with failed runs"
    )
    one = durations.filter(pl.col("hour") != hour[0])
    assert health_answer.durations_fold_label(one, 24).endswith("longest run 2.50 s · 1 hour with failed runs")
    assert [fmt.hours_span(h) for h in config.HEALTH_HOURS_CHOICES] == ["24 h", "2 d", "7 d"]


def _sync(*statuses, failures=12, runs=288):
    return pl.DataFrame(
        [
            {
                "database": "db",
                "table": f"t{i}",
                "status": s,
                "failures_24h": failures if s != "OK" else 0,
                "runs_24h": runs,
            }
            for i, s in enumerate(statuses)
        ]
    )


def test_sync_sentence_never_contradicts_the_panels():
    lag = health_answer.sync_lag(_tables(trades=45))
    arriving_failing = shown(health_answer.sync_sentence("OK", _sync("OK", "DOWN"), lag))
    assert arriving_failing.startswith("Rows are arriving (the newest synced row is 45 s old), but the sync log")
    assert "db.t1" in arriving_failing and "12 of 576 sync runs failed in the last 24 h" in arriving_failing
    assert health_answer.sync_sentence("OK", _sync("OK"), lag).startswith(
        "Rows are arriving"
    ) and "succeed" in health_answer.sync_sentence("OK", _sync("OK"), lag)
    stopped = health_answer.sync_sentence("DOWN", _sync("OK"), lag)
    assert stopped.startswith("The sync runs succeed, but rows are not arriving on time")
    both = shown(health_answer.sync_sentence("DOWN", _sync("DOWN"), lag))
    assert both.startswith("Rows are not arriving on time") and "failing for db.t0" in both
    assert "no runs to judge" in health_answer.sync_sentence("OK", None, lag)


def test_feed_ages():
    assert health_answer.candle_age_s(NOW - timedelta(hours=2), NOW) == 3600  # closed an hour after it opened
    assert health_answer.candle_age_s(None, NOW) is None
    assert health_answer.target_age_s(date(2025, 12, 14), NOW) == (24 + 11.75) * 3600
    assert health_answer.target_age_s(None, NOW) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        (True, None),
        (False, None),
        (float("nan"), None),
        (float("inf"), None),
        ("x", None),
        ("1.5", 1.5),
        (2, 2.0),
        (-0.0, 0.0),
    ],
)
def test_finite_float_keeps_missing_missing(raw, expected):
    """Every report and alert reads numbers through this one function: a bool is not a number, NaN is missing."""
    from lib.inputs import finite_float

    assert finite_float(raw) == expected


def test_the_weekly_report_reads_numbers_through_finite_float():
    """The weekly report had its own copy that let True through as 1.0."""
    import inspect

    from lib.reports import weekly

    assert "finite_float(" in inspect.getsource(weekly)
    assert not hasattr(weekly, "_num")
