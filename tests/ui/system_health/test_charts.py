"""ui.system_health.charts: valid Plotly specs and display tables with the right values, status colours,
UTC times, gaps and missing values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from lib import format as fmt
from lib.health import rules
from tests.ui.spec_check import assert_valid, trace
from ui.system_health import charts

S = fmt.STATUS_COLORS
UTC = UTC
T0 = datetime(2025, 12, 15, 10, 0, tzinfo=UTC)


def _states(rows: list[tuple[str, int, str, int, int]], bucket_min: int = 5) -> pl.DataFrame:
    """States frame (as rules.timeline_states makes it) from (monitor, bucket index, status, beats, errors)."""
    step = timedelta(minutes=bucket_min)
    return pl.DataFrame(
        [
            {
                "monitor": m,
                "bucket_start": T0 + k * step,
                "bucket_end": T0 + (k + 1) * step,
                "status": s,
                "beats": b,
                "errors": e,
                "max_silence_s": None,
            }
            for m, k, s, b, e in rows
        ],
        schema={
            "monitor": pl.String,
            "bucket_start": pl.Datetime("ms", "UTC"),
            "bucket_end": pl.Datetime("ms", "UTC"),
            "status": pl.String,
            "beats": pl.Int64,
            "errors": pl.Int64,
            "max_silence_s": pl.Float64,
        },
        orient="row",
    )


# ------------------------------------------------------------- monitor timeline


def test_monitor_timeline_one_bar_trace_per_status_in_status_colours() -> None:
    segs = rules.segments(
        _states(
            [
                ("account", 0, "OK", 5, 0),
                ("account", 1, "OK", 5, 0),
                ("account", 2, "DOWN", 3, 2),
                ("sync", 0, "UNKNOWN", 0, 0),
                ("sync", 1, "LATE", 1, 0),
                ("sync", 2, "OK", 5, 0),
            ]
        )
    )
    end = T0 + timedelta(minutes=15)
    spec = charts.monitor_timeline(segs, T0, end, ["account", "sync"])
    assert_valid(spec)
    assert [t["name"] for t in spec["data"]] == ["OK", "LATE", "DOWN", "UNKNOWN"]  # rules.STATUS_ORDER
    for t in spec["data"]:
        assert t["type"] == "bar" and t["orientation"] == "h"
        assert t["marker"]["color"] == S[t["name"]]
    ok = trace(spec, "OK")
    # account's two OK buckets are one segment of 10 minutes; sync's OK bucket 5 minutes
    assert ok["y"] == ["account", "sync"]
    assert ok["x"] == [600_000.0, 300_000.0]  # durations in ms on a date axis
    assert ok["base"] == ["2025-12-15T10:00:00.000", "2025-12-15T10:10:00.000"]  # naive UTC text
    down = trace(spec, "DOWN")
    assert down["y"] == ["account"] and down["base"] == ["2025-12-15T10:10:00.000"]
    assert "from 2025-12-15 10:10 UTC for 5 min" in down["hovertext"][0]  # start and duration
    assert down["x"] == [300_000.0]  # 5 of 15 minutes: wider than the minimum, drawn as it is
    assert "errors 2" in down["hovertext"][0]
    lay = spec["layout"]
    assert lay["xaxis"]["type"] == "date" and lay["xaxis"]["title"]["text"] == "UTC"
    assert lay["xaxis"]["range"] == ["2025-12-15T10:00:00.000", "2025-12-15T10:15:00.000"]
    assert lay["yaxis"]["categoryarray"] == ["sync", "account"]  # first monitor on top
    assert lay["barmode"] == "overlay" and lay["hovermode"] == "closest"
    assert lay["height"] == 70 + 34 * 2


def test_monitor_timeline_without_segments_is_an_empty_valid_chart() -> None:
    spec = charts.monitor_timeline(rules.segments(_states([])), T0, T0 + timedelta(hours=1), [])
    assert_valid(spec)
    # no bars, but every status in the legend (LATE included)
    assert [(t["name"], t["x"], t["showlegend"]) for t in spec["data"]] == [(s, [], True) for s in rules.STATUS_ORDER]
    one = charts.monitor_timeline(rules.segments(_states([])), T0, T0 + timedelta(hours=1), ["account"])
    # with a monitor, a bar of no width carries the entry (Plotly lists no trace without a point)
    assert [(t["name"], t["x"], t["y"]) for t in one["data"]] == [(s, [0.0], ["account"]) for s in rules.STATUS_ORDER]
    assert spec["layout"]["height"] == 70 + 34


def test_a_one_minute_outage_in_24_h_is_drawn_wide_and_listed_with_a_link_to_its_beats() -> None:
    segs = pl.DataFrame(
        {
            "monitor": ["account", "account", "sync"],
            "status": ["OK", "DOWN", "LATE"],
            "start": [T0, T0 + timedelta(hours=5), T0 + timedelta(hours=7)],
            "end": [T0 + timedelta(hours=5), T0 + timedelta(hours=5, minutes=1), T0 + timedelta(hours=9)],
            "beats": [300, 1, 0],
            "errors": [0, 1, 0],
        },
        schema_overrides={"start": pl.Datetime("ms", "UTC"), "end": pl.Datetime("ms", "UTC")},
    )
    spec = charts.monitor_timeline(segs, T0, T0 + timedelta(hours=24), ["account", "sync"])
    assert_valid(spec)
    down, late = trace(spec, "DOWN"), trace(spec, "LATE")
    assert down["x"] == [24 * 3600_000 * charts.OUTAGE_MIN_WIDTH]  # 1 min would be 0.7 px of 1000: 5 px
    assert f"for {fmt.age(60)} " in down["hovertext"][0]  # the true duration
    assert late["x"] == [2 * 3600_000.0]  # two hours: as it is
    assert trace(spec, "OK")["x"] == [5 * 3600_000.0]
    table = charts.outage_table(segs, "system_health?every=30&monitor=")
    assert table["Monitor"].to_list() == ["sync", "account"]  # newest first, OK spells left out
    assert table["Status"].to_list() == [["LATE"], ["DOWN"]]
    assert table["Start"].to_list() == [datetime(2025, 12, 15, 17), datetime(2025, 12, 15, 15)]  # naive UTC
    assert table["Duration"].to_list() == [fmt.age(7200), fmt.age(60)]
    assert table["Beats"].to_list() == [
        "system_health?every=30&monitor=sync&errors=1",
        "system_health?every=30&monitor=account&errors=1",
    ]
    assert charts.outage_table(segs.filter(pl.col("status") == "OK"), "x").height == 0


# ---------------------------------------------------------------- rows per hour


def _per_hour(rows: list[tuple[int, int, int]]) -> pl.DataFrame:
    """rows_per_hour frame: (hour offset from T0, distinct keys, rows)."""
    return pl.DataFrame(
        [{"hour": T0 + timedelta(hours=h), "keys": k, "rows": r} for h, k, r in rows],
        schema={"hour": pl.Datetime("ms", "UTC"), "keys": pl.UInt64, "rows": pl.UInt64},
        orient="row",
    )


def _filled() -> list[pl.DataFrame]:
    end = T0 + timedelta(hours=5, minutes=30)  # the window is 10:00 .. 15:00 (6 hours)
    account = rules.fill_hours(_per_hour([(0, 12, 12), (1, 12, 14), (4, 12, 12), (5, 12, 12)]), end, 6, "account")
    trades = rules.fill_hours(_per_hour([(2, 40, 40)]), end, 6, "trades")
    return [account, trades]


def test_rows_per_hour_stacked_panels_share_one_utc_axis() -> None:
    spec = charts.rows_per_hour_chart(_filled())
    assert_valid(spec)
    lay = spec["layout"]
    # two panels: account on top (x/y), trades below (x2/y2), the x axis shared, labels on the bottom only
    assert lay["xaxis"]["anchor"] == "y" and lay["xaxis2"]["anchor"] == "y2"
    assert lay["xaxis2"]["matches"] == "x" and "matches" not in lay["xaxis"]
    assert lay["xaxis"]["showticklabels"] is False and lay["xaxis2"]["showticklabels"] is True
    assert lay["xaxis"]["type"] == lay["xaxis2"]["type"] == "date"
    top, bottom = lay["yaxis"]["domain"], lay["yaxis2"]["domain"]
    assert top[1] == 1.0 and bottom[0] == 0.0
    assert top[0] - bottom[1] == pytest.approx(charts.ROWS_SPACING)
    assert top[1] - top[0] == pytest.approx(bottom[1] - bottom[0])
    assert lay["yaxis"]["rangemode"] == lay["yaxis2"]["rangemode"] == "tozero"
    assert lay["height"] == 60 + 120 * 2
    assert lay["hovermode"] == "x"  # an area has no point under the cursor: the hour under it, both series
    assert [a["text"] for a in lay["annotations"]] == ["account", "trades"]
    assert [a["y"] for a in lay["annotations"]] == [top[1], bottom[1]]


def test_rows_per_hour_values_duplicates_and_gaps() -> None:
    spec = charts.rows_per_hour_chart(_filled())
    keys = [t for t in spec["data"] if t["name"] == "distinct rows"]
    assert [t.get("yaxis", "y") for t in keys] == ["y", "y2"]
    assert keys[1]["xaxis"] == "x2"
    # stepped areas: each hour's value held to the next hour, and a closing point at the last hour's end (16:00)
    # so the last hour has its width; its hover names the hour it belongs to (15:00)
    hours = [f"2025-12-15T{h:02d}:00:00.000" for h in range(10, 17)]
    assert keys[0]["x"] == hours and keys[0]["y"] == [12, 12, 0, 0, 12, 12, 12]  # empty hours have no rows
    assert keys[1]["y"] == [0, 0, 40, 0, 0, 0, 0]
    assert keys[0]["customdata"] == [f"2025-12-15 {h:02d}:00 UTC" for h in (*range(10, 16), 15)]
    assert all(t["type"] == "scatter" and t["line"]["shape"] == "hv" for t in spec["data"])
    assert [t["stackgroup"] for t in spec["data"]] == ["rows", "rows", "rows2"]  # copies stack on their panel
    assert all(t["fillcolor"] == fmt.SERIES_COLORS["gross"] for t in keys)
    assert [t["showlegend"] for t in keys] == [True, False]  # one legend entry per series
    dups = trace(spec, "duplicated copies")  # only account delivered copies
    assert dups["y"] == [0, 2, 0, 0, 0, 0, 0] and dups["yaxis"] == "y" and dups["fillcolor"] == S["LATE"]
    assert len([t for t in spec["data"] if t["name"] == "duplicated copies"]) == 1
    # the account gap (12:00-14:00) is shaded red on its own panel; the quiet trades hours are not
    shapes = spec["layout"]["shapes"]
    assert [(s["x0"], s["x1"]) for s in shapes] == [("2025-12-15T12:00:00.000", "2025-12-15T14:00:00.000")]
    assert shapes[0]["xref"] == "x" and shapes[0]["yref"] == "y domain"
    assert shapes[0]["fillcolor"] == S["DOWN"] and shapes[0]["opacity"] == charts.GAP_OPACITY
    assert keys[0]["hovertemplate"].startswith("%{customdata}")  # the hour, "… UTC", from customdata


def test_rows_per_hour_gap_shading_on_a_lower_panel() -> None:
    account, trades = _filled()
    spec = charts.rows_per_hour_chart([trades, account])
    assert_valid(spec)
    assert [(s["xref"], s["yref"]) for s in spec["layout"]["shapes"]] == [("x2", "y2 domain")]


def test_rows_per_hour_three_panels_and_none() -> None:
    account, trades = _filled()
    spec = charts.rows_per_hour_chart([account, trades, account.with_columns(pl.lit("funding").alias("table_key"))])
    assert_valid(spec)
    lay = spec["layout"]
    assert [lay[f"xaxis{s}"]["showticklabels"] for s in ("", "2", "3")] == [False, False, True]
    assert lay["xaxis3"]["matches"] == "x"
    doms = [lay[f"yaxis{s}"]["domain"] for s in ("", "2", "3")]
    assert doms[0][1] == 1.0 and doms[2][0] == 0.0
    assert all(a[0] > b[1] for a, b in zip(doms, doms[1:]))  # stacked top to bottom, no overlap
    empty = charts.rows_per_hour_chart([])
    assert_valid(empty)
    assert empty["data"] == [] and empty["layout"]["height"] == 180


# --------------------------------------------------------------- sync durations


def _durs() -> pl.DataFrame:
    rows = [
        (1, "db.trades", 12, 0, 4.5),
        (0, "db.trades", 12, 0, 3.0),
        (2, "db.trades", 12, 3, 9.0),
        (0, "db.account", 12, 0, 2.0),
        (1, "db.account", 6, 6, None),  # every run of that hour failed
    ]
    return pl.DataFrame(
        [
            {"hour": T0 + timedelta(hours=h), "target": t, "runs": r, "failures": f, "dur_max_s": d}
            for h, t, r, f, d in rows
        ],
        schema={
            "hour": pl.Datetime("ms", "UTC"),
            "target": pl.String,
            "runs": pl.UInt64,
            "failures": pl.UInt64,
            "dur_max_s": pl.Float64,
        },
        orient="row",
    )


def test_sync_duration_lines_per_target_and_failure_marks() -> None:
    spec = charts.sync_duration_chart(_durs())
    assert_valid(spec)
    assert [t["name"] for t in spec["data"]] == ["db.account", "db.account failures", "db.trades", "db.trades failures"]
    acc, trades = trace(spec, "db.account"), trace(spec, "db.trades")
    assert acc["line"]["color"] == charts.PALETTE[0] and trades["line"]["color"] == charts.PALETTE[1]
    assert trades["x"] == ["2025-12-15T10:00:00.000", "2025-12-15T11:00:00.000", "2025-12-15T12:00:00.000"]
    assert trades["y"] == [3.0, 4.5, 9.0]  # sorted by hour
    assert acc["y"] == [2.0, None]  # an hour without a successful duration is a gap, not 0
    fail = trace(spec, "db.account failures")
    assert fail["marker"]["symbol"] == "x" and fail["marker"]["color"] == S["DOWN"]
    assert fail["x"] == ["2025-12-15T11:00:00.000"] and fail["y"] == [0.0]  # the × sits on the axis
    assert fail["hovertext"] == ["db.account: 6 failed runs of 6"] and fail["showlegend"] is False
    assert trace(spec, "db.trades failures")["y"] == [9.0]
    lay = spec["layout"]
    assert lay["xaxis"]["type"] == "date" and lay["xaxis"]["title"]["text"] == "UTC"
    assert lay["yaxis"]["title"]["text"] == "longest run (s)"


def test_sync_duration_without_rows() -> None:
    spec = charts.sync_duration_chart(_durs().head(0))
    assert_valid(spec)
    assert spec["data"] == []


# --------------------------------------------------------------- display tables


def _labels(frame: pl.DataFrame, column: str = "Status") -> list[str | None]:
    cells = frame[column].to_list()
    assert all(c is None or len(c) == 1 for c in cells), cells  # one coloured pill per cell
    return [None if c is None else c[0] for c in cells]


def test_status_column_config_uses_status_colours() -> None:
    cfg = charts.status_column_config()["Status"]
    assert cfg["type_config"]["type"] == "multiselect"
    assert {o["value"]: o["color"] for o in cfg["type_config"]["options"]} == dict(S)


def test_monitor_table_statuses_ages_and_missing_values() -> None:
    latest = pl.DataFrame(
        [
            {
                "monitor": "account",
                "last_ts": T0 - timedelta(seconds=30),
                "last_status": "ok",
                "last_host": "h1",
                "last_error_ts": None,
                "last_error_message": None,
                "beats_24h": 1440,
                "errors_24h": 0,
            },
            {
                "monitor": "positions",
                "last_ts": T0 - timedelta(minutes=5),
                "last_status": "ok",
                "last_host": None,
                "last_error_ts": T0 - timedelta(hours=1),
                "last_error_message": "HTTP 502",
                "beats_24h": 1400,
                "errors_24h": 1234,
            },
        ],
        schema={
            "monitor": pl.String,
            "last_ts": pl.Datetime("ms", "UTC"),
            "last_status": pl.String,
            "last_host": pl.String,
            "last_error_ts": pl.Datetime("ms", "UTC"),
            "last_error_message": pl.String,
            "beats_24h": pl.Int64,
            "errors_24h": pl.Int64,
        },
        orient="row",
    )
    assessed = rules.assess_monitors(latest, T0)
    share = pl.DataFrame({"monitor": ["account"], "OK": [0.75], "LATE": [0.25], "DOWN": [0.0], "UNKNOWN": [0.0]})
    table = charts.monitor_table(assessed, share)
    assert list(table.columns) == list(charts.MONITOR_COLUMNS)
    rows = {r["Monitor"]: r for r in table.iter_rows(named=True)}
    assert _labels(table) == assessed["status"].to_list()
    assert rows["account"]["Status"] == ["OK"] and rows["positions"]["Status"] == ["LATE"]
    assert rows["account"]["Age"] == "30 s" and rows["positions"]["Age"] == "5 min"
    assert rows["account"]["Up in window"] == "75.0%" and rows["positions"]["Up in window"] == fmt.MISSING
    assert rows["account"]["Last error (UTC)"] == fmt.MISSING and rows["account"]["Host"] == "h1"
    assert rows["positions"]["Host"] == fmt.MISSING and rows["positions"]["Errors (24 h)"] == "1,234"
    assert rows["positions"]["Last error (UTC)"] == "2025-12-15 09:00:00 UTC"
    assert rows["trades"]["Status"] == ["DOWN"] and rows["trades"]["Age"] == fmt.MISSING  # never reported
    assert rows["trades"]["Errors (24 h)"] == fmt.MISSING


def _stats(**over) -> dict:
    base = {
        "table_key": "account",
        "server_now": T0,
        "newest": T0 - timedelta(minutes=2),
        "lat_latest_s": 1.234,
        "lat_p50_1h": 2.0,
        "lat_p95_1h": 75.0,
        "lat_p50_1d": None,
        "lat_p95_1d": -3.0,
        "keys_1d": 288,
        "rows_1d": 290,
        "dup_rows_1d": 2,
        "neg_latency_1d": 0,
        "missing_ts_1d": 0,
        "n_1h": 12,
        "n_1d": 288,
    }
    return {**base, **over}


def test_tables_table_statuses_durations_and_missing_values() -> None:
    stats = pl.DataFrame(
        [
            _stats(),
            _stats(
                table_key="positions",
                newest=None,
                rows_1d=0,
                keys_1d=0,
                dup_rows_1d=0,
                lat_latest_s=None,
                n_1h=0,
                n_1d=0,
                lat_p50_1h=None,
                lat_p95_1h=None,
                lat_p95_1d=None,
            ),
            _stats(table_key="trades"),
        ]
    )
    table = charts.tables_table(rules.assess_tables(stats))
    assert list(table.columns) == list(charts.TABLES_COLUMNS)
    assert _labels(table) == ["OK", "UNKNOWN", "N/A"]
    acc = table.row(0, named=True)
    assert acc["Freshness"] == "2 min" and acc["Latency latest"] == "1.23 s" and acc["p95 · last 1 h"] == "75 s"
    assert acc["p50 · last 1 d"] == fmt.MISSING and acc["p95 · last 1 d"] == "-3.00 s"
    assert acc["Duplicated · last 1 d"] == "2 (0.69%)" and "2 duplicated rows" in acc["Why / flags"]
    pos = table.row(1, named=True)
    assert pos["Freshness"] == fmt.MISSING and pos["Latency latest"] == fmt.MISSING
    assert pos["Duplicated · last 1 d"] == fmt.MISSING  # no rows: no share, not 0%
    # an empty window says so, measured back from now (not a dash that could mean "not measured")
    assert pos["p50 · last 1 h"] == "no rows" and pos["p95 · last 1 d"] == "no rows"  # the header says the window


def test_sync_and_failures_tables() -> None:
    summ = pl.DataFrame(
        [
            {
                "database": "db",
                "table": "trades",
                "last_run": T0,
                "last_status": "ok",
                "last_success": T0,
                "last_error": None,
                "runs_24h": 288,
                "failures_24h": 0,
                "rows_24h": 12345,
                "dur_p50_s": 2.5,
                "dur_p95_s": 12.0,
                "dur_max_s": None,
                "unfinished": 0,
                "window_end": T0,
            },
            {
                "database": "db",
                "table": "ledger",
                "last_run": T0,
                "last_status": "error",
                "last_success": None,
                "last_error": "timeout",
                "runs_24h": 10,
                "failures_24h": 10,
                "rows_24h": 0,
                "dur_p50_s": None,
                "dur_p95_s": None,
                "dur_max_s": None,
                "unfinished": 0,
                "window_end": T0,
            },
        ]
    )
    table = charts.sync_table(rules.assess_sync(summ))
    assert list(table.columns) == list(charts.SYNC_COLUMNS)
    assert _labels(table) == ["OK", "DOWN"]
    ok = table.row(0, named=True)
    assert ok["Table"] == "db.trades" and ok["Rows synced · 24 h"] == "12,345" and ok["max"] == fmt.MISSING
    assert ok["Duration p50"] == "2.50 s" and ok["p95"] == "12 s"
    down = table.row(1, named=True)
    assert down["Last success (UTC)"] == fmt.MISSING and down["Why"] == "no successful run in the window"
    fails = pl.DataFrame([{"started_at": T0, "database": "db", "table": "ledger", "duration_s": None, "error": None}])
    ft = charts.failures_table(fails)
    assert list(ft.columns) == list(charts.FAILURE_COLUMNS)
    assert ft.row(0) == ("2025-12-15 10:00:00 UTC", "db.ledger", fmt.MISSING, "(no message)")
