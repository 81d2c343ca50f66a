"""Links between pages and settings in the URL, through AppTest on the demo desk.

A symbol (Positions table, TE day story and its names, the exchange snapshot) links to the Trades
drill-down of that coin over the same range; the target of such a link opens exactly that; the
Overview badge's link opens System Health with the range; every Trades filter and the thresholds
come back from a URL; the sidebar's presets and refresh control are URL values too.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs

import pytest

from tests.apptest_support import shown

pytestmark = pytest.mark.shared_caches  # reads the demo desk as it is (tests/conftest.py, app)

RANGE = {"from": "2025-12-01", "to": "2025-12-10"}
LINK = re.compile(r"^trades\?(.+)$")


def _link_params(url: str) -> dict[str, str]:
    m = LINK.match(url)
    assert m, url
    return {k: v[0] for k, v in parse_qs(m.group(1)).items()}


def _frames_with(at, column: str):
    return [df.value for df in at.dataframe if column in list(df.value.columns)]


def test_positions_symbols_open_their_trades_drilldown(app):
    at = app("pages/positions.py", query={**RANGE, "date": "2025-12-07", "hour": "2"})
    assert not at.exception
    book = next(v for v in _frames_with(at, "sym") if "pos_units" in v.columns)
    links = [str(u) for u in book["sym"]]
    assert links and all(u.startswith("trades?") for u in links)
    params = _link_params(links[0])
    assert params["from"] == "2025-12-01" and params["to"] == "2025-12-10"  # the sidebar range is kept
    assert params["tab"] == "drilldown" and params["coin"] == links[0].rsplit("coin=", 1)[1]
    # the risk table (the exchange's own figures) shows the entry price beside PnL, leverage, liquidation
    risk = next(v for v in _frames_with(at, "liq_distance_pct"))
    assert {"entry_px", "unrealized_pnl", "leverage", "liquidation_px"} <= set(risk.columns)
    assert risk["entry_px"].notna().any()


def test_a_symbol_link_opens_that_coin_over_that_range(app):
    at = app("pages/trades.py", query={"from": "2025-12-01", "to": "2025-12-10", "tab": "drilldown", "coin": "BTC"})
    assert not at.exception
    assert at.selectbox(key="tr_coin").value == "BTC"
    assert at.sidebar.date_input(key="global_range").value == (date(2025, 12, 1), date(2025, 12, 10))
    assert "BTC: Binance price with fills" in str(at.get("plotly_chart")[0].proto.spec)


def test_tracking_error_day_story_names_link_to_trades(app):
    at = app("pages/tracking_error.py", query={**RANGE, "day": "2025-12-07"})
    assert not at.exception
    story = next(m.value for m in at.markdown if "2025-12-07" in shown(m.value) and "**" in m.value)
    linked = re.findall(r"\[([A-Za-z0-9]+)\]\((trades\?[^)]+)\)", story)
    assert ("ARB", "trades?from=2025-12-01&to=2025-12-10&tab=drilldown&coin=ARB") in linked
    table = next(v for v in _frames_with(at, "sym") if "err_t2" in v.columns)
    assert all(str(u).startswith("trades?from=2025-12-01&to=2025-12-10") for u in table["sym"])


def test_overview_health_link_opens_system_health_with_the_range(app):
    at = app("pages/overview.py", query=RANGE)
    assert not at.exception
    links = [e.proto for e in at.get("page_link")]
    health = next(p for p in links if p.label == "System Health")
    assert health.page.endswith("system_health")
    assert parse_qs(health.query_string) == {"from": ["2025-12-01"], "to": ["2025-12-10"]}


def test_trades_filters_sort_page_and_tab_come_back_from_the_url(app):
    query = {**RANGE, "coins": "BTC,ETH", "sides": "B", "sort": "notional", "order": "asc", "page": "1"}
    at = app("pages/trades.py", query=query)
    assert not at.exception
    assert at.multiselect(key="tr_coins").value == ["BTC", "ETH"]
    assert at.multiselect(key="tr_sides").value == ["B"]
    assert at.selectbox(key="tr_sort").value == "notional"
    assert at.button_group(key="tr_order").value == "asc"
    fills = next(v for v in _frames_with(at, "tid"))
    assert set(fills["coin"]) <= {"BTC", "ETH"} and set(fills["side"]) == {"Buy"}
    assert list(fills["notional"]) == sorted(fills["notional"])
    # and a change goes back to the URL
    at.selectbox(key="tr_sort").set_value("fee").run()
    assert at.query_params["sort"] == "fee" and at.query_params["coins"] == "BTC,ETH"
    # a coin the range does not have is dropped quietly, not an error
    at = app("pages/trades.py", query={**RANGE, "coins": "BTC,NOPE"})
    assert not at.exception and at.multiselect(key="tr_coins").value == ["BTC"]
    at = app("pages/trades.py", query={**RANGE, "tab": "by_coin"})
    assert not at.exception
    assert not _frames_with(at, "tid")  # the Fills tab is not the open one
    assert [list(f.columns)[0] for f in _frames_with(at, "notional_usd")] == ["coin"]  # the By coin tab is


@pytest.mark.parametrize("page", ["pages/positions.py", "pages/tracking_error.py"])
def test_thresholds_come_back_from_the_url(app, page):
    at = app(page, query={**RANGE, "date": "2025-12-07", "w_eps": "0.002", "mag_eps": "0.03", "rule": "relative"})
    assert not at.exception
    prefix = "pos" if "positions" in page else "te"
    assert at.number_input(key=f"{prefix}_w_eps").value == pytest.approx(0.002)
    assert at.number_input(key=f"{prefix}_mag_eps").value == pytest.approx(0.03)
    assert at.radio(key=f"{prefix}_rule").value == "relative"
    at.number_input(key=f"{prefix}_w_eps").set_value(0.0025).run()
    assert at.query_params["w_eps"] == "0.0025" and at.query_params["mag_eps"] == "0.03"


def test_sidebar_preset_and_refresh_are_url_values(app):
    at = app("pages/overview.py", query={"range": "7d", "every": "300"})
    assert not at.exception
    assert at.sidebar.button_group(key="range_preset").value == "7d"
    assert at.sidebar.button_group(key="refresh_every").value == 300
    # the demo's newest data is 2025-12-15: the last 7 UTC days
    assert at.sidebar.date_input(key="global_range").value == (date(2025, 12, 9), date(2025, 12, 15))
    assert any("2025-12-09 – 2025-12-15" in s.value for s in at.subheader)
    # picking dates replaces the preset; the URL says so
    at.sidebar.date_input(key="global_range").set_value((date(2025, 12, 2), date(2025, 12, 4))).run()
    assert at.sidebar.button_group(key="range_preset").value is None
    assert at.query_params["from"] == "2025-12-02" and "range" not in at.query_params
    at = app(None, query={"every": "7"})  # the first run of a session reads the URL (the default page: Overview)
    assert any("Ignored URL parameter `every`" in w.value for w in at.warning)
    assert at.sidebar.button_group(key="refresh_every").value == 60


def test_a_down_monitor_links_to_its_heartbeat_rows(app, desk_client):
    at = app("pages/system_health.py")
    assert not at.exception
    # the summary names the DOWN monitors, each a link to its rows on this page (the range kept)
    line = next(m.value for m in at.markdown if m.value.startswith(":material/error: **Monitors**"))
    assert "DOWN: [account](system_health?from=" in line and "&monitor=trades)" in line
    # the link's target: that monitor's newest heartbeats, each once, newest first
    at = app("pages/system_health.py", query={"monitor": "trades"})
    assert not at.exception and at.selectbox(key="sh_monitor").value == "trades"
    beats = next(v for v in _frames_with(at, "duration_ms"))
    expected = (
        desk_client.query_arrow(
            "SELECT count() FROM (SELECT ts, host FROM maicro_monitors.monitor_heartbeat WHERE monitor = 'trades' "
            "AND ts > (SELECT max(ts) FROM maicro_monitors.monitor_heartbeat) - INTERVAL 7 DAY "
            "GROUP BY ts, host)"
        )
        .column(0)[0]
        .as_py()
    )
    assert len(beats) == min(50, expected)
    assert list(beats["ts"]) == sorted(beats["ts"], reverse=True)
    # a name that is no monitor is dropped quietly
    at = app("pages/system_health.py", query={"monitor": "nope"})
    assert not at.exception and at.selectbox(key="sh_monitor").value is None
