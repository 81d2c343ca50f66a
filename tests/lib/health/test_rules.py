"""Status rules of System Health on hand-made frames (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from lib import config
from lib.health import rules as h

UTC = UTC
NOW = datetime(2025, 12, 15, 12, 0, tzinfo=UTC)


def latest(rows: list[dict], now: datetime | None = NOW) -> pl.DataFrame:
    base = {
        "monitor": None,
        "last_ts": None,
        "last_status": None,
        "last_message": None,
        "last_host": None,
        "last_error_ts": None,
        "last_error_message": None,
        "beats_24h": None,
        "errors_24h": None,
        "newest_beat": None,
        "server_now": now,
    }
    schema = {
        "monitor": pl.String,
        "last_ts": pl.Datetime("ms", "UTC"),
        "last_status": pl.String,
        "last_message": pl.String,
        "last_host": pl.String,
        "last_error_ts": pl.Datetime("ms", "UTC"),
        "last_error_message": pl.String,
        "beats_24h": pl.Int64,
        "errors_24h": pl.Int64,
        "newest_beat": pl.Datetime("ms", "UTC"),
        "server_now": pl.Datetime("ms", "UTC"),
    }
    return pl.DataFrame([{**base, **r} for r in rows], schema=schema, orient="row")


# ------------------------------------------------------------ basic rules


def test_age_status_boundaries_belong_to_the_milder_status():
    iv = 60
    assert h.age_status(0, iv) == "OK"
    assert h.age_status(config.LATE_FACTOR * iv, iv) == "OK"
    assert h.age_status(config.LATE_FACTOR * iv + 0.001, iv) == "LATE"
    assert h.age_status(config.DOWN_FACTOR * iv, iv) == "LATE"
    assert h.age_status(config.DOWN_FACTOR * iv + 0.001, iv) == "DOWN"


def test_beat_status_reasons():
    assert h.beat_status(None, 60, None) == ("DOWN", "no heartbeat recorded")
    assert h.beat_status(5, 60, False)[0] == "DOWN"
    assert h.beat_status(5, 60, True) == ("OK", "")
    s, why = h.beat_status(200, 60, True)
    assert s == "LATE" and "3 min" in why
    s, why = h.beat_status(-120, 60, True)
    assert s == "OK" and "clock skew" in why


def test_worst_and_status_words():
    assert h.worst([]) == "UNKNOWN"
    assert h.worst(["OK", "OK"]) == "OK"
    assert h.worst(["OK", "UNKNOWN"]) == "UNKNOWN"
    assert h.worst(["UNKNOWN", "LATE", "OK"]) == "LATE"
    assert h.worst(["LATE", "DOWN"]) == "DOWN"
    assert h.worst(["N/A", "OK"]) == "OK"
    assert h.is_ok_status(" OK ") and not h.is_ok_status("error") and not h.is_ok_status(None)
    assert not h.is_ok_status("")


def test_valid_ts_treats_epoch_as_missing_and_naive_as_utc():
    assert h.valid_ts(datetime(1970, 1, 1)) is None
    assert h.valid_ts(None) is None
    assert h.valid_ts(datetime(2025, 1, 1, 3)) == datetime(2025, 1, 1, 3, tzinfo=UTC)


# -------------------------------------------------------- monitor table


def test_assess_monitors_every_case():
    df = latest(
        [
            {"monitor": "account", "last_ts": NOW - timedelta(seconds=30), "last_status": "ok", "last_host": "h1"},
            {"monitor": "positions", "last_ts": NOW - timedelta(minutes=5), "last_status": "ok"},
            {
                "monitor": "trades",
                "last_ts": NOW - timedelta(seconds=10),
                "last_status": "error",
                "last_message": "boom",
                "last_error_ts": NOW - timedelta(seconds=10),
                "last_error_message": "boom",
            },
            {"monitor": "orders", "last_ts": NOW - timedelta(hours=2), "last_status": "ok"},
            {"monitor": "ohlcv", "last_ts": datetime(1970, 1, 1, tzinfo=UTC), "last_status": "ok"},
            {"monitor": "extra", "last_ts": NOW - timedelta(seconds=20), "last_status": "ok"},
            {"monitor": "funding"},  # configured, never reported
        ]
    )
    a = {r["monitor"]: r for r in h.assess_monitors(df).iter_rows(named=True)}
    assert set(a) == set(config.MONITOR_INTERVALS_S) | {"extra"}
    assert a["account"]["status"] == "OK" and a["account"]["age_s"] == 30 and a["account"]["host"] == "h1"
    assert a["positions"]["status"] == "LATE"
    assert a["trades"]["status"] == "DOWN" and a["trades"]["last_error_message"] == "boom"
    assert a["orders"]["status"] == "DOWN"
    assert a["ohlcv"]["status"] == "DOWN" and "invalid timestamp" in a["ohlcv"]["reason"]
    assert a["ohlcv"]["last_ts"] is None and a["ohlcv"]["age_s"] is None
    assert a["funding"]["status"] == "DOWN" and a["funding"]["reason"] == "no heartbeat recorded"
    assert a["ledger"]["status"] == "DOWN"  # configured, absent from the frame
    assert a["extra"]["status"] == "OK" and a["extra"]["configured"] is False
    assert "not configured" in a["extra"]["reason"]
    s = h.summarize(h.assess_monitors(df), NOW)
    assert s.status == "DOWN"
    assert s.counts == {"OK": 2, "LATE": 1, "DOWN": 6}
    assert s.monitors == 9 and s.label == "DOWN: 6 DOWN, 1 LATE of 9 monitors"
    assert s.newest_beat == NOW - timedelta(seconds=10) and s.behind_s == 10
    assert s.color == "#d1343b"


def test_all_ok_badge_and_custom_intervals():
    df = latest(
        [
            {"monitor": "a", "last_ts": NOW - timedelta(seconds=100), "last_status": "ok"},
            {"monitor": "b", "last_ts": NOW - timedelta(seconds=10), "last_status": "ok"},
        ]
    )
    assessed = h.assess_monitors(df, intervals={"a": 60, "b": 60})
    assert assessed["status"].to_list() == ["OK", "OK"]
    s = h.summarize(assessed, NOW)
    assert s.status == "OK" and s.label == "All 2 monitors OK" and s.problems == ()
    late = h.assess_monitors(df, intervals={"a": 30, "b": 60})
    assert late.filter(pl.col("monitor") == "a")["status"].item() == "LATE"


def test_empty_or_clockless_input_is_unknown():
    empty = h.assess_monitors(latest([]))
    assert set(empty["monitor"]) == set(config.MONITOR_INTERVALS_S)
    assert set(empty["status"]) == {"UNKNOWN"}  # no rows at all: no server clock
    only_nulls = h.assess_monitors(latest([{"monitor": "account"}]))
    assert set(only_nulls["status"]) == {"UNKNOWN"}
    assert "no rows" in only_nulls["reason"][0]
    s = h.overall_status(latest([{"monitor": "account"}]))
    assert s.status == "UNKNOWN" and s.label == "Monitor status unknown" and s.newest_beat is None


def test_overall_status_uses_server_clock_from_the_frame():
    df = latest(
        [
            {"monitor": m, "last_ts": NOW - timedelta(seconds=5), "last_status": "ok"}
            for m in config.MONITOR_INTERVALS_S
        ],
        now=NOW,
    )
    assert h.overall_status(df).status == "OK"
    later = latest(
        [
            {"monitor": m, "last_ts": NOW - timedelta(seconds=5), "last_status": "ok"}
            for m in config.MONITOR_INTERVALS_S
        ],
        now=NOW + timedelta(days=300),
    )
    s = h.overall_status(later)
    assert s.status == "DOWN" and s.behind_s == pytest.approx(300 * 86400 + 5)


# ------------------------------------------------------------ windows


def test_window_end_anchors_old_data():
    assert h.window_end(NOW, []) == (None, None)
    assert h.window_end(None, [NOW]) == (None, None)
    end, lag = h.window_end(NOW, [NOW - timedelta(hours=2), None])
    assert end is None and lag == 7200
    old = datetime(2025, 1, 1, 10, 0, 30, 500000, tzinfo=UTC)
    end, lag = h.window_end(NOW, [old, datetime(1970, 1, 1, tzinfo=UTC)])
    assert end == datetime(2025, 1, 1, 10, 1, tzinfo=UTC) and lag == (NOW - old).total_seconds()
    exact = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
    assert h.window_end(NOW, [exact])[0] == exact


def test_window_start_and_hour_window():
    end = datetime(2025, 12, 15, 12, 3, 20, tzinfo=UTC)
    assert h.window_start(end, 24, 300) == datetime(2025, 12, 14, 12, 0, tzinfo=UTC)
    assert h.window_start(end, 24, 60) == datetime(2025, 12, 14, 12, 3, tzinfo=UTC)
    assert h.hour_window(end, 3) == (datetime(2025, 12, 15, 10, tzinfo=UTC), datetime(2025, 12, 15, 13, tzinfo=UTC))
    on = datetime(2025, 12, 15, 12, 0, tzinfo=UTC)
    assert h.hour_window(on, 2) == (datetime(2025, 12, 15, 10, tzinfo=UTC), on)


# ----------------------------------------------------------- timeline


def buckets(rows: list[dict]) -> pl.DataFrame:
    schema = {
        "monitor": pl.String,
        "prior": pl.Boolean,
        "bucket": pl.Datetime("ms", "UTC"),
        "beats": pl.Int64,
        "errors": pl.Int64,
        "first_ts": pl.Datetime("ms", "UTC"),
        "last_ts": pl.Datetime("ms", "UTC"),
        "last_status": pl.String,
        "max_inner_gap_s": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def test_timeline_states_and_segments():
    start = datetime(2025, 12, 15, 10, 0, tzinfo=UTC)
    end = start + timedelta(minutes=30)
    m = "account"
    rows = [
        {
            "monitor": m,
            "prior": True,
            "bucket": start,
            "beats": 1,
            "errors": 0,
            "first_ts": start - timedelta(seconds=30),
            "last_ts": start - timedelta(seconds=30),
            "last_status": "ok",
            "max_inner_gap_s": 0.0,
        }
    ]
    # beats every minute in the first 10 minutes (two 5-minute buckets), an error in the second bucket
    for k in range(2):
        b = start + timedelta(minutes=5 * k)
        rows.append(
            {
                "monitor": m,
                "prior": False,
                "bucket": b,
                "beats": 5,
                "errors": k,
                "first_ts": b + timedelta(seconds=30),
                "last_ts": b + timedelta(minutes=4, seconds=30),
                "last_status": "ok",
                "max_inner_gap_s": 60.0,
            }
        )
    # then silence from 10:09:30 to the end: LATE after 3 min, DOWN after 10 min (10:19:30)
    states = h.timeline_states(buckets(rows), start, end, 300, monitors=[m, "ghost"])
    acc = states.filter(pl.col("monitor") == m)
    assert acc["status"].to_list() == ["OK", "DOWN", "LATE", "DOWN", "DOWN", "DOWN"]
    assert acc["beats"].to_list() == [5, 5, 0, 0, 0, 0]
    ghost = states.filter(pl.col("monitor") == "ghost")
    assert set(ghost["status"]) == {"UNKNOWN"} and ghost["max_silence_s"].null_count() == 6
    segs = h.segments(states)
    assert segs.filter(pl.col("monitor") == m).select("status", "start", "end").rows() == [
        ("OK", start, start + timedelta(minutes=5)),
        ("DOWN", start + timedelta(minutes=5), start + timedelta(minutes=10)),
        ("LATE", start + timedelta(minutes=10), start + timedelta(minutes=15)),
        ("DOWN", start + timedelta(minutes=15), end),
    ]
    share = h.time_in_status(states).filter(pl.col("monitor") == m).row(0, named=True)
    assert share["OK"] == pytest.approx(1 / 6) and share["LATE"] == pytest.approx(1 / 6)
    assert share["DOWN"] == pytest.approx(4 / 6) and share["UNKNOWN"] == 0


def test_timeline_error_last_beat_keeps_monitor_down_until_an_ok_beat():
    start = datetime(2025, 12, 15, 10, 0, tzinfo=UTC)
    m = "trades"
    rows = [
        {
            "monitor": m,
            "prior": True,
            "bucket": start,
            "beats": 1,
            "errors": 1,
            "first_ts": start - timedelta(seconds=5),
            "last_ts": start - timedelta(seconds=5),
            "last_status": "error",
            "max_inner_gap_s": 0.0,
        },
        {
            "monitor": m,
            "prior": False,
            "bucket": start + timedelta(minutes=2),
            "beats": 1,
            "errors": 0,
            "first_ts": start + timedelta(minutes=2, seconds=10),
            "last_ts": start + timedelta(minutes=2, seconds=10),
            "last_status": "ok",
            "max_inner_gap_s": 0.0,
        },
    ]
    states = h.timeline_states(buckets(rows), start, start + timedelta(minutes=4), 60, monitors=[m])
    assert states["status"].to_list() == ["DOWN", "DOWN", "DOWN", "OK"]


def test_timeline_partial_last_bucket_and_empty_input():
    start = datetime(2025, 12, 15, 10, 0, tzinfo=UTC)
    end = start + timedelta(minutes=7)
    states = h.timeline_states(buckets([]), start, end, 300, monitors=["account"])
    assert states["bucket_end"].to_list() == [start + timedelta(minutes=5), end]
    assert h.segments(states.head(0)).height == 0
    assert h.time_in_status(states.head(0)).height == 0


# ---------------------------------------------------------- synced tables


def test_table_status_by_cadence():
    assert h.table_status("account", None)[0] == "UNKNOWN"
    assert h.table_status("account", 60)[0] == "OK"
    assert h.table_status("positions", 2 * 3600)[0] == "OK"  # hourly snapshots + the 5-minute sync
    expected = h.TABLE_CADENCE_S["account"] + h.SYNC_PERIOD_S
    assert h.table_status("account", config.LATE_FACTOR * expected + 1)[0] == "LATE"
    assert h.table_status("account", config.DOWN_FACTOR * expected + 1)[0] == "DOWN"
    assert h.table_status("trades", 10 * 86400)[0] == "N/A"


def test_assess_tables_flags_bad_data():
    stats = pl.DataFrame(
        [
            {
                "table_key": "account",
                "newest": NOW - timedelta(minutes=2),
                "server_now": NOW,
                "rows_1d": 1010,
                "keys_1d": 1000,
                "dup_rows_1d": 10,
                "neg_latency_1d": 2,
                "missing_ts_1d": 1,
            },
            {
                "table_key": "ledger",
                "newest": None,
                "server_now": NOW,
                "rows_1d": 0,
                "keys_1d": 0,
                "dup_rows_1d": 0,
                "neg_latency_1d": 0,
                "missing_ts_1d": 0,
            },
        ],
        schema_overrides={"newest": pl.Datetime("ms", "UTC"), "server_now": pl.Datetime("ms", "UTC")},
    )
    a = {r["table_key"]: r for r in h.assess_tables(stats).iter_rows(named=True)}
    assert a["account"]["status"] == "OK" and a["account"]["age_s"] == 120
    assert a["account"]["dup_share_1d"] == pytest.approx(10 / 1010)
    assert "10 duplicated rows" in a["account"]["flags"] and "clock skew" in a["account"]["flags"]
    assert "without ingested_at" in a["account"]["flags"]
    assert a["ledger"]["status"] == "UNKNOWN" and a["ledger"]["dup_share_1d"] is None
    assert a["ledger"]["flags"] == ""
    assert h.assess_tables(stats.head(0)).height == 0


def test_fill_hours_and_gap_runs():
    end = datetime(2025, 12, 15, 5, 30, tzinfo=UTC)
    per = pl.DataFrame(
        {
            "hour": [datetime(2025, 12, 15, 1, tzinfo=UTC), datetime(2025, 12, 15, 4, tzinfo=UTC)],
            "keys": [60, 58],
            "rows": [61, 58],
        }
    )
    f = h.fill_hours(per, end, 6, "positions")
    assert f["hour"].to_list() == [datetime(2025, 12, 15, k, tzinfo=UTC) for k in range(6)]
    assert f["keys"].to_list() == [0, 60, 0, 0, 58, 0]
    # 05:00-05:59 is still under way at 05:30: its rows are arriving, it is not a gap
    assert f["gap"].to_list() == [True, False, True, True, False, False]
    assert f["partial"].to_list() == [False] * 5 + [True]
    assert h.gap_runs(f) == [
        (datetime(2025, 12, 15, 0, tzinfo=UTC), datetime(2025, 12, 15, 1, tzinfo=UTC)),
        (datetime(2025, 12, 15, 2, tzinfo=UTC), datetime(2025, 12, 15, 4, tzinfo=UTC)),
    ]
    ev = h.fill_hours(per, end, 6, "ledger")
    assert ev["empty"].sum() == 3 and not ev["gap"].any()
    # an hour that ended moments ago may still be receiving rows: at 06:02 05:00 is still in flight
    just = h.fill_hours(per, datetime(2025, 12, 15, 6, 2, tzinfo=UTC), 7, "positions")
    assert just["partial"].to_list() == [False] * 5 + [True, True] and just["gap"].to_list()[-2:] == [False, False]
    # once it is over (06:10, more than HOUR_IN_FLIGHT_S later) an empty 05:00 is a gap; 06:00 is under way
    done = h.fill_hours(per, datetime(2025, 12, 15, 6, 10, tzinfo=UTC), 7, "positions")
    assert done["gap"].to_list() == [True, False, True, True, False, True, False]
    assert done["partial"].to_list() == [False] * 6 + [True]


def test_assess_sync():
    df = pl.DataFrame(
        [
            {
                "database": "d",
                "table": "ok_tbl",
                "last_status": "ok",
                "last_success": NOW - timedelta(minutes=4),
                "window_end": NOW,
                "server_now": NOW,
                "unfinished": 0,
            },
            {
                "database": "d",
                "table": "late_tbl",
                "last_status": "ok",
                "last_success": NOW - timedelta(minutes=20),
                "window_end": NOW,
                "server_now": NOW,
                "unfinished": 2,
            },
            {
                "database": "d",
                "table": "failing",
                "last_status": "error",
                "last_success": NOW - timedelta(minutes=6),
                "window_end": NOW,
                "server_now": NOW,
                "unfinished": 0,
            },
            {
                "database": "d",
                "table": "never",
                "last_status": "error",
                "last_success": None,
                "window_end": NOW,
                "server_now": NOW,
                "unfinished": 0,
            },
        ],
        schema_overrides={
            "last_success": pl.Datetime("ms", "UTC"),
            "window_end": pl.Datetime("ms", "UTC"),
            "server_now": pl.Datetime("ms", "UTC"),
        },
    )
    a = {r["table"]: r for r in h.assess_sync(df).iter_rows(named=True)}
    assert a["ok_tbl"]["status"] == "OK" and a["ok_tbl"]["reason"] == ""
    assert a["late_tbl"]["status"] == "LATE" and "2 runs never finished" in a["late_tbl"]["reason"]
    assert a["failing"]["status"] == "DOWN" and a["failing"]["reason"] == "the last run failed"
    assert a["never"]["status"] == "DOWN" and a["never"]["since_success_s"] is None
    assert h.assess_sync(df.head(0)).height == 0


def test_assess_sync_without_a_reference_time_is_unknown_not_a_crash():
    """A row with neither window_end nor server_now cannot age its last success: UNKNOWN (it raised TypeError)."""
    df = pl.DataFrame(
        [{"database": "d", "table": "t", "last_status": "ok", "last_success": NOW, "window_end": None}],
        schema_overrides={"last_success": pl.Datetime("ms", "UTC"), "window_end": pl.Datetime("ms", "UTC")},
    )
    row = h.assess_sync(df).row(0, named=True)
    assert row["status"] == "UNKNOWN" and row["since_success_s"] is None
    assert "server time" in row["reason"]


def test_data_as_of_uses_the_account_tables_freshness_rule():
    """One staleness rule: the sidebar's "data as of" turns amber exactly when System Health says LATE."""
    limit = config.LATE_FACTOR * (h.TABLE_CADENCE_S["account"] + h.SYNC_PERIOD_S)
    for age in (0.0, limit - 1, limit, limit + 1, 20 * limit):
        assert h.data_as_of_status(age) == h.table_status("account", age)
    assert h.data_as_of_status(limit)[0] == h.OK and h.data_as_of_status(limit + 1)[0] == h.LATE
    assert h.data_as_of_status(None)[0] == h.UNKNOWN
