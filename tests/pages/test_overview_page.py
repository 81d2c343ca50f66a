"""The Overview page on the demo desk (AppTest): headline numbers, reconciliation, flows, bad URLs."""

from __future__ import annotations

from datetime import date

import pytest

from lib import format as fmt

PAGE = "pages/overview.py"
RANGE = {"from": "2025-11-20", "to": "2025-12-15"}
ACCOUNT = "maicro_monitors.account_snapshots"
LEDGER = "maicro_monitors.ledger"
TRADES = "maicro_monitors.trades"


def _metric(at, label):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}; have {[m.label for m in at.metric]}"
    return found[0]


def _scalar(engine, sql):
    return engine.query(sql).result_rows[0][0]


@pytest.fixture(scope="module")
def truth(desk_client):
    """Independent numbers straight from the demo tables (duplicates removed by natural key)."""
    e = desk_client
    snaps = e.query(
        f"SELECT ts, account_value FROM (SELECT * FROM {ACCOUNT} LIMIT 1 BY account, ts) "
        "WHERE account_value > 0 ORDER BY ts"
    ).result_rows
    first, last = snaps[0], snaps[-1]
    flows = e.query(
        f"SELECT time, usdc FROM (SELECT * FROM {LEDGER} LIMIT 1 BY account, time, hash) ORDER BY time"
    ).result_rows
    since_start = last[1] - first[1] - sum(u for t, u in flows if first[0] < t <= last[0])
    return {"first": first, "last": last, "flows": flows, "since_start": since_start}


@pytest.fixture(scope="module")
def page(app_module):
    return app_module(RANGE)


@pytest.fixture(scope="module")
def app_module(desk_client, module_caches):
    """A module-scoped AppTest opener; every run goes through app.py (sidebar included), as on a server.
    Its tests read the demo desk as it is, so their query caches are kept between them (`module_caches`)."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    from ui.shell import router

    mp = pytest.MonkeyPatch()
    router.use_navigation()

    def open_page(query=None, switch=True):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        for k, v in (query or {}).items():
            at.query_params[k] = v
        at.run()
        if switch:  # Overview is also the default page: the first run already shows it
            at.switch_page(PAGE)
            at.run()
        return at

    yield open_page
    mp.undo()


def test_renders_without_errors(page):
    assert not page.exception, [e.value for e in page.exception]
    assert page.title[0].value == "Overview"
    assert not page.error, [e.value for e in page.error]
    assert any("Data as of" in c.value for c in page.caption)


def test_equity_and_pnl_since_start_match_the_tables(page, truth):
    assert _metric(page, "Equity (AUM)").value == fmt.usd(truth["last"][1])
    # the demo's $1M opening deposit and $100k withdrawal are not PnL
    since = f"PnL since {truth['first'][0]:%Y-%m-%d}"  # the window says what it is
    assert _metric(page, since).value == fmt.usd(truth["since_start"], signed=True)
    assert abs(truth["since_start"]) < 200_000
    for label in ("PnL today (UTC day)", "PnL last 7 × 24 h", "PnL last 30 × 24 h"):
        assert _metric(page, label).value != fmt.MISSING
    # the demo's history is shorter than 30 days: that tile names where its data starts, the 7-day one does not
    described = {
        label: _metric(page, label).proto.delta_description for label in ("PnL last 7 × 24 h", "PnL last 30 × 24 h")
    }
    assert described["PnL last 30 × 24 h"] == f"time-weighted, data from {truth['first'][0]:%b %d}", described
    assert described["PnL last 7 × 24 h"] == "time-weighted", described


def test_full_history_breakdown_agrees_with_the_headline(app_module, truth):
    """One marking rule: the breakdown over the whole history totals what "PnL since start" says."""
    first, last = truth["first"][0].date(), truth["last"][0].date()
    at = app_module({"from": first.isoformat(), "to": last.isoformat()})
    since = _metric(at, f"PnL since {first:%Y-%m-%d}").value
    table = dict(zip(at.table[0].value["Component"], at.table[0].value["USD"]))
    assert table["Total PnL"] == since == fmt.usd(truth["since_start"], signed=True)


def test_exposure_counts_match_the_newest_positions_round(page, desk_client):
    rows = desk_client.query(
        "WITH (SELECT max(ts) FROM maicro_monitors.positions_snapshots) AS newest "
        "SELECT coin, argMax(szi, ts) FROM maicro_monitors.positions_snapshots "
        "WHERE ts >= newest - INTERVAL 30 SECOND GROUP BY coin"
    ).result_rows
    assert _metric(page, "Long positions").value == str(sum(1 for _, s in rows if s > 0))
    assert _metric(page, "Short positions").value == str(sum(1 for _, s in rows if s < 0))
    assert sum(1 for _, s in rows if s != 0) > 20  # a whole round, not one coin's row


def test_decomposition_reconciles_and_realized_matches_fills(page, desk_client):
    tables = [t for t in page.table]
    assert tables, "no decomposition table"
    df = tables[0].value
    usd = dict(zip(df["Component"], df["USD"]))
    assert set(usd) >= {
        "Realized (closed PnL)",
        "Fees",
        "Funding",
        "Change in unrealized",
        "Residual (unexplained)",
        "Total PnL",
    }
    caption = next(c.value for c in page.caption if c.value.startswith("Marks: equity"))
    t0 = caption.split("Marks: equity ")[1].split(" UTC")[0]
    t1 = caption.split(" → ")[1].split(" UTC")[0]
    realized = _scalar(
        desk_client,
        f"SELECT sum(closed_pnl) FROM (SELECT * FROM {TRADES} LIMIT 1 BY account, tid) "
        f"WHERE time > '{t0}' AND time <= '{t1}.999'",
    )
    assert usd["Realized (closed PnL)"] == fmt.usd(realized, signed=True)

    def num(text):
        return float(text.replace("−", "-").replace("$", "").replace(",", "").replace("+", ""))

    total = num(usd["Total PnL"])
    parts = sum(
        num(usd[k])
        for k in ("Realized (closed PnL)", "Fees", "Funding", "Change in unrealized", "Residual (unexplained)")
    )
    assert parts == pytest.approx(total, abs=5)  # whole dollars, rounded per line
    # the end mark is the newest account snapshot (the headline's), up to an hour after the last positions
    # round: the prices moving in between are the residual, still small
    assert abs(num(usd["Residual (unexplained)"])) < 0.02 * max(abs(total), 10_000)


def test_withdrawal_is_not_a_loss(page):
    worst = _metric(page, "Worst day")
    assert float(worst.value.replace("−", "-").rstrip("%")) > -5  # the $100k withdrawal (~10%) is not a bad day
    mdd = _metric(page, "Max drawdown")
    assert float(mdd.value.replace("−", "-").rstrip("%")) > -9


def test_daily_statistics_shown(page):
    for label in ("Mean return / day", "Win rate (days)", "Best day", "Worst day", "Days"):
        assert _metric(page, label).value != fmt.MISSING
    assert int(_metric(page, "Days").value) >= 20


def test_health_badge_links_to_system_health(page):
    links = page.get("page_link")
    # the page id reads "system-health" or "system_health" depending on AppTest's page mode
    assert links and any(
        link.proto.page.replace("_", "-").endswith("system-health") and link.proto.label == "System Health"
        for link in links
    ), [str(link.proto) for link in links]
    assert any("-badge[" in m.value and "System health:" in m.value for m in page.markdown)


def test_tracking_error_metric(page, desk_client):
    """The latest complete 02:00 snapshot (data as of 2025-12-15 11:45: Dec 15's) and the day before, by hand from
    the timeline's rows (tests/apptest_support.py), never the page's own functions."""
    from lib.clickhouse.client import DeskClient
    from lib.clickhouse.endpoints import resolve_settings
    from queries.engine.run import use_client
    from queries.tracking.tracking_error import timeline
    from tests.apptest_support import day_numbers
    from tests.conftest import DESK_URL

    with use_client(DeskClient(resolve_settings({"CLICKHOUSE_URL": DESK_URL}, {}))):
        timeline.clear()
        rows = timeline(date(2025, 12, 14), date(2025, 12, 15), 2).to_dicts()
    timeline.clear()
    now = day_numbers([r for r in rows if r["holdings_date"] == date(2025, 12, 15)])["te"]
    before = day_numbers([r for r in rows if r["holdings_date"] == date(2025, 12, 14)])["te"]
    te = _metric(page, "Tracking error")
    assert te.value == f"{now * 100:.2f}%"
    assert te.proto.delta == f"{'+' if now >= before else fmt.MINUS}{abs(now - before) * 100:.2f} pp"  # desk's minus
    # a smaller TE is better: a fall is green and points down, a rise red and up (ui.layout.delta)
    from streamlit.proto.Metric_pb2 import Metric

    shown = (Metric.MetricDirection.Name(te.proto.direction), Metric.MetricColor.Name(te.proto.color))
    assert shown == (("DOWN", "GREEN") if now < before else ("UP", "RED")), shown
    assert any(
        c.value.startswith("Tracking error at 2025-12-15 02:00 hour (positions as of 03:00 UTC), symbols by category: ")
        and "matched" in c.value
        for c in page.caption
    )


def test_changing_the_date_range_reloads(app_module):
    at = app_module(RANGE)
    at.sidebar.date_input(key="global_range").set_value((date(2025, 12, 1), date(2025, 12, 7))).run()
    assert not at.exception
    assert any(s.value == "PnL 2025-12-01 – 2025-12-07 (UTC days)" for s in at.subheader)
    assert at.query_params["from"] == ["2025-12-01"] or at.query_params["from"] == "2025-12-01"
    assert int(_metric(at, "Days").value) == 7


def test_hostile_url_falls_back_with_a_warning(app_module):
    at = app_module({"from": "2025-02-31", "to": "2025-12-15"}, switch=False)  # the URL as a user opened it
    assert not at.exception
    assert at.title[0].value == "Overview"
    warnings = [w.value for w in at.sidebar.warning]
    assert any("not a real calendar date" in w for w in warnings), warnings
    assert _metric(at, "Equity (AUM)").value != fmt.MISSING


def _charts(at):
    """{title: spec} of the page's Plotly charts, as sent to the browser."""
    import json

    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {s["layout"]["title"]["text"]: s for s in specs}


CHART_TITLES = {
    "PnL decomposition (USD)",
    "Equity (USD, hourly marks, UTC)",
    "Drawdown (time-weighted equity index, deepest point per hour, UTC)",
    "Daily return, net of deposits/withdrawals (UTC days)",
    "Exposure, % of equity (hourly, UTC)",
}
# the charts of the tabs below, drawn only when their tab is open (URL ?section=)
SECTION_CHARTS = {
    "margin": {"Margin used and leverage (hourly, UTC)"},
    "flows": set(),
    "regimes": {
        "PnL by hour of day (UTC)",
        "PnL by weekday (UTC)",
        "Price PnL, funding and fees per regime",
        "PnL by regime (BTC trend × volatility)",
    },
}


@pytest.mark.parametrize("section", list(SECTION_CHARTS))
def test_each_tab_draws_its_own_charts_only_when_open(app_module, section):
    at = app_module({**RANGE, "section": section})
    assert not at.exception
    top = CHART_TITLES - {"Exposure, % of equity (hourly, UTC)"}
    assert set(_charts(at)) == top | SECTION_CHARTS[section]
    if section == "flows":
        assert any("Deposits and withdrawals in the range" in e.label for e in at.expander)
    else:
        assert not any("Deposits and withdrawals in the range" in e.label for e in at.expander)


def test_charts_show_the_tables_numbers(page, truth):
    charts = _charts(page)
    assert set(charts) == CHART_TITLES
    equity = next(t for t in charts["Equity (USD, hourly marks, UTC)"]["data"] if t["name"] == "Equity")
    assert equity["y"][-1] == pytest.approx(truth["last"][1])
    assert equity["x"][-1] == truth["last"][0].strftime("%Y-%m-%d %H:%M")  # naive UTC, to the minute
    names = {t["name"] for t in charts["Equity (USD, hourly marks, UTC)"]["data"]}
    assert {"Deposit (not PnL)", "Withdrawal (not PnL)"} <= names  # the demo's flows are marked
    waterfall = charts["PnL decomposition (USD)"]["data"][0]
    assert waterfall["x"][-1] == "Total PnL"
    table = dict(zip(page.table[0].value["Component"], page.table[0].value["USD"]))
    assert fmt.usd(waterfall["y"][-1], signed=True) == table["Total PnL"]


def test_rerun_replays_the_same_page(app_module):
    at = app_module(RANGE)

    def shown():  # the "Data as of" line says how long ago: it may tick between two runs
        captions = [c.value for c in at.caption if "Data as of" not in c.value]
        return [(m.label, m.value) for m in at.metric], captions, _charts(at)

    before = shown()
    at.run()  # nothing changed: the sections replay their recorded elements
    assert not at.exception
    assert shown() == before
