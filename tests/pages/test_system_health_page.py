"""System Health page through Streamlit's AppTest, on the demo desk and on broken remotes."""

from __future__ import annotations

import json
import re

import pytest

from lib import config
from lib import format as fmt
from queries.health import health
from tests.apptest_support import shown
from tests.pages.folds import open_folds
from tests.queries.fixture_desk import create_tables, table_map_for
from ui.shell import router

pytestmark = pytest.mark.shared_caches  # reads the demo desk as it is (tests/conftest.py, app)

PAGE = "pages/system_health.py"


@pytest.fixture(autouse=True)
def _through_app_py(monkeypatch):
    router.use_navigation()  # run app.py (sidebar included) on every AppTest run


def _texts(at) -> str:
    parts = []
    for kind in ("title", "subheader", "markdown", "caption", "error", "warning", "info", "success", "metric"):
        for el in getattr(at, kind):
            parts.append(shown(str(getattr(el, "value", ""))))
            parts.append(shown(str(getattr(el, "label", ""))))
    for el in at.sidebar:
        parts.append(shown(str(getattr(el, "value", ""))))
    for df in at.dataframe:
        v = df.value
        parts.append(v.to_string() if hasattr(v, "to_string") else str(v))
    return "\n".join(parts)


def _frame(at, first_col: str):
    for df in at.dataframe:
        v = df.value
        if hasattr(v, "columns") and list(v.columns)[:1] == [first_col]:
            return v
    raise AssertionError(f"no table starting with {first_col!r}")


def _labels(column) -> list[str]:
    """A label column's values: each cell is a one-item list (a coloured pill in the grid)."""
    out = []
    for cell in column:
        items = list(cell)
        assert len(items) == 1 and isinstance(items[0], str), cell
        out.append(items[0])
    return out


def _status_config(at, first_col: str) -> dict:
    """The column_config the grid got for the Status column of the table starting with `first_col`."""
    for df in at.dataframe:
        v = df.value
        if hasattr(v, "columns") and list(v.columns)[:1] == [first_col]:
            return json.loads(df.proto.columns)["Status"]
    raise AssertionError(f"no table starting with {first_col!r}")


def test_page_renders_every_panel_on_the_demo(app, desk_client, desk_url):
    at = app(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "System Health"
    heads = [s.value for s in at.subheader]
    assert heads == ["Alerts", "Monitors", "Synced tables", "Sync runs", "Checks"]
    assert not at.error, [e.value for e in at.error]

    # the monitor table against the heartbeats themselves: each monitor's newest beat and the rule in words
    # (DOWN when the last run failed or after DOWN_FACTOR silent intervals, LATE after LATE_FACTOR), not the
    # page's own functions
    newest = desk_client.query(
        "SELECT toString(monitor), max(ts), argMax(lower(toString(status)), ts), now64(3, 'UTC') "
        "FROM maicro_monitors.monitor_heartbeat GROUP BY monitor"
    ).result_rows
    expected = {}
    for monitor, last, status, now in newest:
        interval = config.MONITOR_INTERVALS_S.get(monitor, config.OPTIONAL_MONITOR_INTERVALS_S.get(monitor, 60))
        silent = (now - last).total_seconds()
        expected[monitor] = (
            "DOWN"
            if status != "ok" or silent > config.DOWN_FACTOR * interval
            else "LATE"
            if silent > config.LATE_FACTOR * interval
            else "OK"
        )
    mon = _frame(at, "Monitor")
    shown = dict(zip(mon["Monitor"].tolist(), _labels(mon["Status"])))
    assert shown == expected
    assert set(config.MONITOR_INTERVALS_S) <= set(mon["Monitor"])
    # every status table colours its Status pills with lib.format's STATUS_COLORS
    for first in ("Monitor", "Table"):
        cfg = _status_config(at, first)["type_config"]
        assert cfg["type"] == "multiselect"
        assert {o["value"]: o["color"] for o in cfg["options"]} == dict(fmt.STATUS_COLORS)

    # the demo ends in 2025: ages are against the server clock, with a note, and charts anchored on the data
    text = _texts(at)
    assert "behind the server clock" in text
    assert "24 h ending at the newest data" in text
    tables = _frame(at, "Table")
    assert set(tables["Table"]) == set(health.SYNCED_TABLES)
    assert any("duplicated" in f for f in tables["Why / flags"])  # the demo delivers ~0.5% twice
    sync = [df.value for df in at.dataframe if "Last success (UTC)" in list(df.value.columns)]
    assert sync, "sync runs table missing"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Endpoint in use"] == "primary"
    assert metrics["Server version"] not in ("", "—")
    assert metrics["Round trip · SELECT version()"].endswith("ms")
    assert "ago" in metrics["Last successful query"]


def test_folds_draw_nothing_until_opened_then_their_tables_and_texts(app, desk_client):
    """The folds are lazy (ui/state.lazy_expander): a first load sends none of their content, a click draws it."""
    at = app(PAGE)
    folds = [e for e in at.expander if e.key]
    labels = [e.label for e in folds]
    assert any(label.endswith("checks OK") for label in labels), labels
    assert any(label.startswith("Why and last errors") for label in labels), labels
    assert all(not e.children for e in folds), labels  # closed: nothing drawn inside
    frames_before = len(at.dataframe)
    open_folds(at)
    assert not at.exception, [e.value for e in at.exception]
    opened = {e.label: e for e in at.expander if e.key}
    assert set(opened) == set(labels) and all(e.children for e in opened.values())
    ok_label = next(label for label in labels if label.endswith("checks OK"))
    ok = next(df.value for df in opened[ok_label].dataframe)
    assert len(ok) == int(ok_label.split()[0])  # "28 checks OK": 28 rows, each of them ok
    assert set(_labels(ok["state"])) == {"ok"}
    assert len(at.dataframe) > frames_before
    failures = next(e for label, e in opened.items() if label.startswith("Recent failures"))
    listed = len(next(df.value for df in failures.dataframe))
    # both windows counted: the 24 h of the sync table's Failures (24 h), and the 7 days the list holds
    assert re.match(rf"Recent failures · \d+ in the 24 h · {listed}\+? in the 7 days to ", failures.label), (
        failures.label
    )
    why = next(e for label, e in opened.items() if label.startswith("Why and last errors"))
    assert all(line.startswith("- **") for line in why.markdown[0].value.splitlines())
    # a last error is dated, as the tables' Last error (UTC) / Last failure (UTC) columns have it
    texts = " ".join(
        e.markdown[0].value.replace("\\", "").replace("\u2060", "")
        for label, e in opened.items()
        if label.startswith("Why and last errors")
    )
    monitors = next(df.value for df in at.dataframe if "Last error message" in df.value.columns)
    erred = [r for r in monitors.to_dict("records") if r["Last error message"]]
    assert erred
    for r in erred:
        assert f"last error {r['Last error (UTC)']}: " in texts
    sync = next(df.value for df in at.dataframe if "Last failure (UTC)" in df.value.columns)
    failed = [r for r in sync.to_dict("records") if r["Last error"]]
    assert failed
    for r in failed:
        assert f"last failed run {r['Last failure (UTC)']}: " in texts


def test_the_lower_charts_are_folds_whose_labels_carry_their_findings(app, desk_client):
    """Rows per hour and sync durations are drawn on demand (a page switch draws one chart, not three); the
    closed folds say the window, the gaps, the longest run and the failed hours, and the window picker lives
    in the rows fold, kept in the URL."""
    at = app(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) == 1
    labels = {e.key: e.label for e in at.expander if e.key}
    assert labels["sh_rows_fold"].startswith("Rows per hour · 2 d · ")
    assert labels["sh_durations_fold"].startswith("Sync durations · 24 h · longest run ")
    at.session_state["sh_rows_fold"] = True
    at.session_state["sh_durations_fold"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) == 3
    fold = {e.key: e for e in at.expander if e.key}
    # each label against its chart, drawn by other code: the longest line point, the failure markers' hours
    lines = json.loads(fold["sh_durations_fold"].get("plotly_chart")[0].proto.spec)["data"]
    longest = max(y for t in lines if t["mode"] == "lines+markers" for y in t["y"] if y is not None)
    failed_hours = {x for t in lines if t["mode"] == "markers" for x in t["x"]}
    assert labels["sh_durations_fold"] == (
        f"Sync durations · 24 h · longest run {fmt.duration(longest)} · {len(failed_hours)} hours with failed runs"
    )
    rows = json.loads(fold["sh_rows_fold"].get("plotly_chart")[0].proto.spec)
    gap_bands = [s for s in rows["layout"].get("shapes", []) if s.get("fillcolor")]
    assert labels["sh_rows_fold"].endswith("no gaps") == (not gap_bands)  # the demo's feeds have no gap
    at.button_group(key="sh_hours").set_value(168).run()
    assert at.query_params["hours"] == "168"
    opened = {e.key: e for e in at.expander if e.key}
    assert opened["sh_rows_fold"].label.startswith("Rows per hour · 7 d · ")
    assert opened["sh_rows_fold"].get("plotly_chart"), "the fold closed when its label changed"


def _tab_labels(at) -> dict[str, str]:
    """The lower tabs' labels by URL slug (their order on the page)."""
    labels = [t.label for t in at.tabs]
    assert len(labels) == 3 and [label.split(" · ")[0] for label in labels] == ["ClickHouse", "Prices", "Data quality"]
    return dict(zip(("clickhouse", "prices", "data"), labels))


def _has_frame(at, first_cols: list[str]) -> bool:
    return any(
        hasattr(df.value, "columns") and list(df.value.columns)[: len(first_cols)] == first_cols for df in at.dataframe
    )


PRICE_TABLE, CONTRACT_TABLE = ["coin", "flag"], ["status", "table"]


def test_checks_are_lazy_tabs_drawn_only_when_open_with_the_status_in_their_labels(app, desk_client):
    at = app(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    labels = _tab_labels(at)
    # closed: Prices and Data quality draw nothing (no price table or metric, no contract table), the labels say
    assert not _has_frame(at, PRICE_TABLE) and not _has_frame(at, CONTRACT_TABLE)
    assert "Coins diverging" not in {m.label for m in at.metric} and "Data contract" not in [
        h.value for h in at.subheader
    ]
    assert labels["clickhouse"] == "ClickHouse · :green[OK]"  # open by default: the endpoint's metrics are drawn
    assert {"Endpoint in use", "Server version"} <= {m.label for m in at.metric}
    assert labels["data"] == "Data quality · :green[OK]"
    assert labels["prices"].startswith("Prices · :orange[")  # the demo has a stuck DOT feed: a problem

    # a click (what it writes to the widget's state) opens Prices: drawn, in the URL, the label's count its numbers
    at.session_state["sh_tab"] = labels["prices"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["section"] == "prices"
    metrics = {m.label: m.value for m in at.metric}
    diverging = int(metrics["Coins diverging"].split(" of ")[0])
    candles = int(metrics["Candle problems"].replace(",", ""))
    assert diverging + candles >= 1
    assert (
        labels["prices"] == f"Prices · :orange[{diverging + candles} problem{'' if diverging + candles == 1 else 's'}]"
    )
    assert _has_frame(at, PRICE_TABLE) and "Endpoint in use" not in metrics  # the ClickHouse tab is closed now
    at.run()  # the auto-refresh's rerun: the open tab stays open
    assert at.query_params["section"] == "prices" and _has_frame(at, PRICE_TABLE)

    # a link with ?section=data opens Data quality: the contract table and the odd-row lines
    at = app(PAGE, query={"section": "data"})
    assert not at.exception, [e.value for e in at.exception]
    assert _has_frame(at, CONTRACT_TABLE) and not _has_frame(at, PRICE_TABLE)
    assert any("Every contract column is present with its type" in s.value for s in at.success)
    assert any("No row is dated after the server's now" in c.value for c in at.caption)
    at.session_state["sh_tab"] = _tab_labels(at)["clickhouse"]  # back to the first tab: the URL drops section
    at.run()
    assert "section" not in at.query_params and not _has_frame(at, CONTRACT_TABLE)


def test_controls_keep_selections_and_go_to_the_url(app, desk_client):
    at = app(PAGE)
    assert at.sidebar.button_group(key="refresh_every").value == 60  # one control on every page, 1 min
    assert any("auto-refresh every 60 s" in c.value for c in at.caption)
    at.radio(key="sh_res").set_value(1).run()
    at.sidebar.button_group(key="refresh_every").set_value(0).run()
    assert not at.exception
    assert at.radio(key="sh_res").value == 1  # the selection survives pausing
    assert at.query_params["res"] == "1" and at.query_params["every"] == "0"
    assert any("auto-refresh paused" in c.value for c in at.caption)
    at.sidebar.button_group(key="refresh_every").set_value(30).run()
    assert at.query_params["every"] == "30"
    assert any("auto-refresh every 30 s" in c.value for c in at.caption)


@pytest.mark.parametrize(
    "query,param",
    [
        ({"res": "2; DROP TABLE x"}, "res"),
        ({"hours": "9999999999999"}, "hours"),
    ],
)
def test_hostile_page_parameters_are_refused_with_a_message(app, desk_client, query, param):
    at = app(None, query=query)
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any(f"Ignored URL parameter `{param}`" in w for w in warnings), warnings
    assert [s.value for s in at.subheader] == ["Alerts", "Monitors", "Synced tables", "Sync runs", "Checks"]


def test_a_hostile_section_opens_the_first_tab_with_a_message(app, desk_client):
    at = app(PAGE, query={"section": "prices'; DROP TABLE x"})
    assert not at.exception
    assert any("Ignored URL parameter `section`" in w.value for w in at.warning), [w.value for w in at.warning]
    assert "Endpoint in use" in {m.label for m in at.metric} and "section" not in at.query_params


def test_missing_sync_log_turns_its_panel_into_not_available(app, fresh_caches, desk_client, monkeypatch):
    monkeypatch.setenv("DESK_TABLES", json.dumps({"sync_log": "maicro_monitors.no_such_sync_log"}))
    at = app(PAGE)
    assert not at.exception
    infos = [shown(i.value) for i in at.info]
    assert any("Sync runs (sync_log): not available" in i for i in infos), infos
    assert not at.error, [e.value for e in at.error]
    assert _tab_labels(at)["data"] == "Data quality · :orange[1 table missing]"  # said while the tab is closed
    assert not any("not found or not readable" in shown(w.value) for w in at.warning)
    at = app(PAGE, query={"section": "data"})  # the tab names the table
    assert any("not found or not readable:** maicro_monitors.no_such_sync_log" in shown(w.value) for w in at.warning)
    _frame(at, "Monitor")  # the rest of the page works
    _frame(at, "Table")


def test_empty_desk_shows_unknown_not_zeros(app, fresh_caches, engine, desk_client, monkeypatch):
    create_tables(engine, "fxhp")
    tm = table_map_for("fxhp")
    monkeypatch.setenv("DESK_TABLES", json.dumps({k: tm.qualified(k) for k in tm.tables}))
    at = app(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.main.error, [e.value for e in at.main.error]  # the sidebar rightly says the desk is empty
    mon = _frame(at, "Monitor")
    assert set(_labels(mon["Status"])) == {"UNKNOWN"}
    tables = _frame(at, "Table")
    assert set(_labels(tables["Status"])) == {"UNKNOWN"}  # no rows at all, event table or not
    assert set(tables["Latency latest"]) == {"—"} and set(tables["Freshness"]) == {"—"}
    assert any("No rows for sync runs" in i.value for i in at.info)
    assert any("Monitor status unknown" in m.value for m in at.markdown)


def test_a_rerun_with_new_data_redraws_the_cached_sections(app, fresh_caches, engine, desk_client, monkeypatch):
    """The sections are replayed while their inputs are unchanged; new query results draw afresh."""
    import streamlit as st

    from lib.clickhouse.client import reset_default_client

    at = app(PAGE)
    assert "DOWN" in _labels(_frame(at, "Monitor")["Status"])  # the demo's monitors stopped in 2025
    at.run()  # unchanged data: the same tables, replayed
    assert not at.exception
    assert "DOWN" in _labels(_frame(at, "Monitor")["Status"])
    assert len(at.get("plotly_chart")) == 1  # the monitor timeline; the two lower charts are folded

    create_tables(engine, "fxhr")  # the remote now answers with empty tables
    tm = table_map_for("fxhr")
    monkeypatch.setenv("DESK_TABLES", json.dumps({k: tm.qualified(k) for k in tm.tables}))
    st.cache_resource.clear()  # the connection (and its table map); the drawn sections stay cached
    reset_default_client()
    for fn in (
        health.data_as_of,
        health.monitor_status,
        health.heartbeat_buckets,
        health.sync_stats,
        health.rows_per_hour,
        health.sync_summary,
        health.sync_failures,
        health.sync_durations,
        health.server_info,
    ):
        fn.clear()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert set(_labels(_frame(at, "Monitor")["Status"])) == {"UNKNOWN"}
    tables = _frame(at, "Table")
    assert set(_labels(tables["Status"])) == {"UNKNOWN"} and set(tables["Freshness"]) == {"—"}
    assert any("No rows for sync runs" in i.value for i in at.info)
