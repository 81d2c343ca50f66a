"""The Trades page on the demo desk (AppTest): filters, paging, sort, tabs, drill-down, bad URLs."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from lib import config
from lib import format as fmt
from ui.trades import views

PAGE = "pages/trades.py"
RANGE = {"from": "2025-11-20", "to": "2025-12-15"}
FILLS = (
    "(SELECT * FROM maicro_monitors.trades WHERE time >= '2025-11-20' AND time < '2025-12-16' LIMIT 1 BY account, tid)"
)


@pytest.fixture(scope="module")
def open_page(desk_client, module_caches):
    """A module-scoped AppTest opener; every run goes through app.py (sidebar included), as on a server.
    Its tests read the demo desk as it is, so their query caches are kept between them (`module_caches`)."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    from ui.shell import router

    mp = pytest.MonkeyPatch()
    router.use_navigation()

    def opener(query=None):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        for k, v in (query or {}).items():
            at.query_params[k] = v
        at.switch_page(PAGE)  # a direct link: the session's first run is the page
        at.run()
        return at

    yield opener
    mp.undo()


def _q(engine, sql):
    return engine.query(sql).result_rows


def _metric(at, label):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}; have {[m.label for m in at.metric]}"
    return found[0]


def _count_caption(at):
    return next(c.value for c in at.caption if c.value.startswith("Fills ") and "matching" in c.value)


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.main.error, [e.value for e in at.main.error]


@pytest.fixture(scope="module")
def page(open_page):
    return open_page(RANGE)


def test_summary_matches_the_tables(page, desk_client):
    _ok(page)
    assert page.title[0].value == "Trades"
    n, untracked = _q(
        desk_client,
        f"SELECT count(), countIf((account, oid) NOT IN "
        f"(SELECT account, oid FROM maicro_monitors.orders)) FROM {FILLS}",
    )[0]
    late = _q(
        desk_client,
        f"SELECT countIf(toHour(time) > 0 OR toMinute(time) >= {config.REBALANCE_WINDOW_MINUTES}) FROM {FILLS}",
    )[0][0]
    assert _metric(page, "Fills").value == f"{n:,}"
    assert _metric(page, "Untracked fills").value == f"{untracked:,}" and untracked > 0
    assert _metric(page, "Off-window fills").value == f"{late:,}" and late > 0
    realized = _q(desk_client, f"SELECT sum(closed_pnl) FROM {FILLS}")[0][0]
    assert _metric(page, "Realized PnL").value == fmt.usd(realized, signed=True)


def test_first_page_is_the_newest_hundred(page, desk_client):
    n = _q(desk_client, f"SELECT count() FROM {FILLS}")[0][0]
    assert _count_caption(page).startswith(f"Fills 1–100 of **{n:,}** matching")
    table = page.dataframe[0].value
    newest = _q(desk_client, f"SELECT tid FROM {FILLS} ORDER BY time DESC, tid DESC LIMIT 100")
    assert len(table) == 100
    assert [int(x) for x in table["tid"]] == [r[0] for r in newest]
    assert page.get("pagination")[0].proto.num_pages == -(-n // 100)


def test_next_page(open_page, desk_client):
    at = open_page(RANGE)
    at.get("pagination")[0].set_value(2).run()
    _ok(at)
    n = _q(desk_client, f"SELECT count() FROM {FILLS}")[0][0]
    assert _count_caption(at).startswith(f"Fills 101–200 of **{n:,}**")
    second = _q(desk_client, f"SELECT tid FROM {FILLS} ORDER BY time DESC, tid DESC LIMIT 100 OFFSET 100")
    assert [int(x) for x in at.dataframe[0].value["tid"]] == [r[0] for r in second]


def test_coin_filter_and_sort(open_page, desk_client):
    at = open_page(RANGE)
    at.multiselect(key="tr_coins").set_value(["BTC", "ETH"]).run()
    _ok(at)
    n = _q(desk_client, f"SELECT count() FROM {FILLS} WHERE coin IN ('BTC', 'ETH')")[0][0]
    assert _count_caption(at).startswith(f"Fills 1–{min(n, 100)} of **{n:,}** matching")
    assert set(at.dataframe[0].value["coin"]) <= {"BTC", "ETH"}
    at.selectbox(key="tr_sort").set_value("notional").run()
    _ok(at)
    notional = [float(x) for x in at.dataframe[0].value["notional"]]
    top = _q(desk_client, f"SELECT max(px * sz) FROM {FILLS} WHERE coin IN ('BTC', 'ETH')")[0][0]
    assert notional[0] == pytest.approx(top) and notional == sorted(notional, reverse=True)
    at.segmented_control(key="tr_order").set_value("asc").run()
    notional = [float(x) for x in at.dataframe[0].value["notional"]]
    assert notional == sorted(notional)
    assert "sorted by Notional, ascending" in _count_caption(at)


def test_side_and_liquidity_filters(open_page, desk_client):
    at = open_page(RANGE)
    at.multiselect(key="tr_sides").set_value(["A"]).run()
    at.segmented_control(key="tr_liq").set_value("maker").run()
    _ok(at)
    n = _q(desk_client, f"SELECT count() FROM {FILLS} WHERE side = 'A' AND NOT crossed")[0][0]
    assert n > 0
    assert _count_caption(at).startswith(f"Fills 1–{min(n, 100)} of **{n:,}** matching")
    table = at.dataframe[0].value
    assert set(table["side"]) == {"Sell"} and not any(table["crossed"])


def test_csv_download_of_the_filtered_set(open_page):
    at = open_page(RANGE)
    at.multiselect(key="tr_coins").set_value(["BTC"]).run()
    _ok(at)
    buttons = at.get("download_button")
    n = int(re.search(r"of \*\*([\d,]+)\*\* matching", _count_caption(at)).group(1).replace(",", ""))
    assert buttons and buttons[0].proto.label == f"CSV of the {n:,} matching fills"  # one click, no toggle
    # what the button writes when pressed: the same fills, in the house CSV format
    text = views.fills_csv(date(2025, 11, 20), date(2025, 12, 15), (("BTC",), (), (), ""), "time", True)()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == n and {r["coin"] for r in rows} == {"BTC"}
    assert all(r["time"].endswith("Z") and "T" in r["time"] for r in rows)
    for flag in ("crossed", "tracked", "off_window"):
        assert {r[flag] for r in rows} <= {"true", "false"}, flag
    assert {r["side"] for r in rows} <= {"Buy", "Sell"}
    assert rows[0]["time"] >= rows[-1]["time"]  # descending, as chosen


def test_per_day_tab_flags_off_window_fills(open_page, desk_client):
    at = open_page(RANGE)
    at.session_state["tr_tab"] = "Per day"
    at.run()
    _ok(at)
    late_days = _q(
        desk_client,
        f"SELECT DISTINCT toDate(time) FROM {FILLS} WHERE toHour(time) > 0 "
        f"OR toMinute(time) >= {config.REBALANCE_WINDOW_MINUTES} ORDER BY 1",
    )
    warning = next(w.value for w in at.main.warning if "rebalance window" in w.value)
    for (d,) in late_days:
        assert str(d) in warning
    days = at.dataframe[0].value
    n_days = _q(desk_client, f"SELECT dateDiff('day', min(toDate(time)), max(toDate(time))) + 1 FROM {FILLS}")[0][0]
    assert len(days) == n_days
    assert (
        int(days["n_off_window"].sum())
        == _q(desk_client, f"SELECT count() FROM {FILLS} WHERE toHour(time) > 0 OR toMinute(time) >= 5")[0][0]
    )


def test_untracked_tab_lists_them(open_page, desk_client):
    at = open_page(RANGE)
    at.session_state["tr_tab"] = "Untracked fills"
    at.run()
    _ok(at)
    expected = _q(
        desk_client,
        f"SELECT tid FROM {FILLS} WHERE (account, oid) NOT IN "
        "(SELECT account, oid FROM maicro_monitors.orders) ORDER BY time DESC, tid DESC",
    )
    assert [int(x) for x in at.dataframe[0].value["tid"]] == [r[0] for r in expected]


def test_coin_drilldown_from_the_url_and_switching_coin(open_page, desk_client):
    at = open_page({**RANGE, "coin": "BTC"})
    _ok(at)
    n, last_pos = _q(
        desk_client,
        f"SELECT count(), argMax(start_position + if(side = 'B', sz, -sz), (time, tid)) "
        f"FROM {FILLS} WHERE coin = 'BTC'",
    )[0]
    assert any(m.label == "Fills" and m.value == f"{n:,}" for m in at.metric)  # the drill-down metric
    assert _metric(at, "Position after the last fill").value == fmt.units(last_pos)  # every digit, separators
    assert at.get("plotly_chart"), "no drill-down chart"
    at.selectbox(key="tr_coin").set_value("ETH").run()
    _ok(at)
    assert at.query_params["coin"] in ("ETH", ["ETH"])
    n_eth = _q(desk_client, f"SELECT count() FROM {FILLS} WHERE coin = 'ETH'")[0][0]
    assert any(m.label == "Fills" and m.value == f"{n_eth:,}" for m in at.metric)


@pytest.mark.parametrize(
    "query",
    [
        {**RANGE, "coin": "BTC';DROP TABLE x--"},
        {"from": "2025-02-31", "to": "2025-12-15"},
        {**RANGE, "coin": "ZZZ"},
    ],
)
def test_hostile_or_unknown_url_params(open_page, query):
    at = open_page(query)
    _ok(at)
    assert at.title[0].value == "Trades"
    if query.get("coin", "").startswith("BTC'"):
        assert any("Ignored URL parameter `coin`" in w.value for w in at.main.warning)
    if query.get("coin") == "ZZZ":
        assert any("ZZZ has no fills" in i.value for i in at.main.info)
    if query["from"] == "2025-02-31":
        # the sidebar refused the date and fell back to its default range (the last 30 days)
        assert at.query_params["from"] not in ("2025-02-31", ["2025-02-31"])


def _chart(at, title_start):
    import json

    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    found = [s for s in specs if s["layout"].get("title", {}).get("text", "").startswith(title_start)]
    assert found, f"no chart {title_start!r}; have {[s['layout'].get('title') for s in specs]}"
    return found[0]


def _series(spec, name):
    found = [t for t in spec["data"] if t.get("name") == name]
    assert found, f"no trace {name!r}"
    return found[0]


def test_rerun_replays_the_same_page(page):
    """A rerun with nothing changed draws the same metrics and fills (replayed sections)."""
    before = ([(m.label, m.value) for m in page.metric], list(page.dataframe[0].value["tid"]))
    page.run()
    _ok(page)
    assert ([(m.label, m.value) for m in page.metric], list(page.dataframe[0].value["tid"])) == before
    assert _count_caption(page).startswith("Fills 1–100 of")


def test_per_day_chart_turnover_and_off_window(open_page, desk_client):
    at = open_page(RANGE)
    at.session_state["tr_tab"] = "Per day"
    at.run()
    _ok(at)
    spec = _chart(at, "Turnover per UTC day")
    late = _q(
        desk_client,
        f"SELECT toString(toDate(time)), count() FROM {FILLS} WHERE toHour(time) > 0 "
        f"OR toMinute(time) >= {config.REBALANCE_WINDOW_MINUTES} GROUP BY 1 ORDER BY 1",
    )
    off = _series(spec, "Off-window fills")
    assert list(zip(off["x"], off["y"])) == [tuple(r) for r in late] and off["yaxis"] == "y2"
    table = at.dataframe[0].value
    turnover = _series(spec, "Turnover")
    assert len(turnover["x"]) == len(table)
    expected = [
        None if v != v or v is None else pytest.approx(v * 100, abs=1e-4) for v in table["turnover"]
    ]  # 4 decimals of a percent (plot.PERCENT_DECIMALS)
    assert turnover["y"] == expected  # a day without start-of-day equity is a gap, not 0


def test_by_coin_tab_matches_the_fills(open_page, desk_client):
    at = open_page(RANGE)
    at.session_state["tr_tab"] = "By coin"
    at.run()
    _ok(at)
    table = at.dataframe[0].value
    expected = _q(desk_client, f"SELECT coin, count(), sum(closed_pnl) FROM {FILLS} GROUP BY coin")
    got = {c: (int(n), float(r)) for c, n, r in zip(table["coin"], table["n_fills"], table["realized"])}
    assert set(got) == {c for c, _n, _r in expected}
    for coin, n, realized in expected:
        assert got[coin][0] == n and got[coin][1] == pytest.approx(realized)
    bars = _chart(at, "Slippage vs Binance 1h open")["data"][0]
    slip = dict(zip(table["coin"], table["avg_slippage_bps"]))
    assert bars["x"] == sorted(bars["x"]) and 0 < len(bars["y"]) <= 25
    for coin, x, colour in zip(bars["y"], bars["x"], bars["marker"]["color"]):
        assert x == pytest.approx(slip[coin])
        assert colour == fmt.SERIES_COLORS["sell" if x > 0 else "buy"]


def test_drilldown_chart_position_ends_at_the_book(open_page, desk_client):
    at = open_page({**RANGE, "coin": "BTC"})
    _ok(at)
    last_pos = _q(
        desk_client,
        f"SELECT argMax(start_position + if(side = 'B', sz, -sz), (time, tid)) FROM {FILLS} WHERE coin = 'BTC'",
    )[0][0]
    n_buys = _q(desk_client, f"SELECT countIf(side = 'B') FROM {FILLS} WHERE coin = 'BTC'")[0][0]
    spec = _chart(at, "BTC: Binance price with fills")
    pos = _series(spec, "Position")
    assert pos["y"][-1] == pytest.approx(last_pos) and pos["yaxis"] == "y2"
    assert len(_series(spec, "Buy")["x"]) == n_buys
    assert _series(spec, "Binance close")["y"], "no price line"


def test_a_linked_page_past_the_last_is_replaced_with_a_notice(open_page):
    """?page= past the last page used to open the last page silently."""
    at = open_page({**RANGE, "coins": "BTC", "page": "999"})
    _ok(at)
    notices = " ".join(i.value for i in at.info)
    assert "The link's `page` is 999, which is past the last page of these fills" in notices
    last = int(dict(at.query_params)["page"]) if "page" in dict(at.query_params) else 1
    assert f"showing {last} instead" in notices


def _preloaded(at) -> str:
    """The sidebar's script: which of the front end's chunks it imports as the run begins (ui/shell/preload.py)."""
    return "\n".join(h.proto.body for h in at.get("html") if "__deskPreloaded" in h.proto.body)


def test_the_fills_view_draws_no_chart_and_leaves_the_chart_code_to_the_first_chart(open_page):
    """preload.first_view_draws_charts says Trades' fills view has no chart: this holds it to that (a chart added
    there would otherwise wait for code no one asked for early)."""
    at = open_page(RANGE)
    assert not at.exception
    assert not at.get("plotly_chart")
    assert "DataFrame." in _preloaded(at) and "PlotlyChart." not in _preloaded(at)
    at = open_page({**RANGE, "tab": "per_day"})
    assert at.get("plotly_chart"), "the Per day tab draws its chart"
    assert "PlotlyChart." in _preloaded(at) and "DataFrame." in _preloaded(at)
