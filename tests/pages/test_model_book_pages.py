"""Live against the model book on the pages (AppTest on the demo desk 2025-11-20 .. 2025-12-15 12:00): the
Tracking Error section with its fee switch and the sidebar's range, the day story's one sentence, the
Overview's line and link. The numbers are the answer's (`answers.shortfall`, checked against an independent
recomputation in tests/model_book/); here, that the page shows them and reacts to its widgets."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime

import pytest

from answers import shortfall
from lib import format as fmt
from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import resolve_settings
from queries.engine.run import use_client
from tests.apptest_support import shown

pytestmark = pytest.mark.shared_caches  # reads the demo desk as it is (tests/conftest.py, app)

PAGE = "pages/tracking_error.py"
AS_OF = datetime(2025, 12, 15, 12, 0, tzinfo=UTC)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def markdown(at) -> str:
    return "\n".join(shown(str(m.value)) for m in at.markdown)


def answer(desk_url: str, start: date, end: date, fees: bool = False) -> shortfall.Shortfall:
    with use_client(DeskClient(resolve_settings({"CLICKHOUSE_URL": desk_url}, {}))):
        return shortfall.shortfall(start, end, fees=fees, as_of=AS_OF)


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_the_section_shows_the_curves_the_band_the_waterfall_and_the_symbols(app, desk_url):
    at = app(PAGE, query={"from": "2025-12-01", "to": "2025-12-14", "section": "model_book"})
    no_exception(at)
    assert "Live against the model book" in [h.value for h in at.subheader]
    expected = answer(desk_url, date(2025, 12, 1), date(2025, 12, 14))
    m = metrics(at)
    assert m["Live − model"] == fmt.usd(expected.waterfall.gap_usd, signed=True)
    assert m["Model book PnL"] == fmt.usd(expected.waterfall.model_pnl, signed=True)
    assert m["Band (±2σ√t)"].startswith("inside ±")
    text = markdown(at)
    assert "behind the model book" in text or "ahead of the model book" in text
    assert "Model costs: **none**" in text
    assert "Timing slips from the lag sweep" in text and "2025-12-13 (D−3), 2025-12-14 (D−1)" in text
    # the per-symbol split: every symbol links to its Trades drill-down over the same range
    shown = next(df for df in at.dataframe if "total" in df.value.columns and "sizing" in df.value.columns)
    table = shown.value
    labels = {k: v.get("label") for k, v in json.loads(shown.proto.columns).items()}
    assert [labels[k] for k in ("sym", "total", "sizing", "live_trading", "model_trading", "n_unpriced")] == [
        "Symbol", "Live − model", "Sizing", "Live PnL", "Model PnL", "Days unpriced"
    ]  # fmt: skip
    assert "**The bars per symbol over the range**" in text
    zeros = [v for c in ("total", "sizing", "timing", "execution", "fees") for v in table[c] if v == 0]
    assert zeros and all(math.copysign(1.0, v) == 1.0 for v in zeros)  # a −$0.40 shows $0, not "-$0"
    links = [s for s in table["sym"] if s != "(not by symbol)"]
    assert len(links) >= 60 and all(s.startswith("trades?") and "tab=drilldown" in s for s in links)
    assert all("from=2025-12-01" in s and "to=2025-12-14" in s for s in links)
    assert table["total"].sum() == pytest.approx(round(expected.waterfall.gap_usd), abs=len(table))


def test_the_day_story_says_the_days_split_with_the_section_closed(app):
    at = app(PAGE, query={"from": "2025-12-01", "to": "2025-12-14", "day": "2025-12-13"})
    no_exception(at)
    assert "Live against the model book" not in [h.value for h in at.subheader]  # its tab is closed
    text = markdown(at)
    assert "**Against the model book:** The day: live" in text
    assert "timing carries a skipped rebalance" in text


def test_the_day_story_follows_the_fee_switch_while_the_section_is_closed(app, desk_url):
    at = app(PAGE, query={"from": "2025-12-01", "to": "2025-12-14", "day": "2025-12-13", "section": "model_book"})
    at.toggle(key="te_model_fees").set_value(True).run()
    at.session_state["te_tab"] = "Day story"  # what a click on the tab writes
    at.run()
    no_exception(at)
    assert at.query_params["model_fees"] in ("1", ["1"])  # kept while the switch is not drawn
    paid = answer(desk_url, date(2025, 12, 1), date(2025, 12, 14), fees=True)
    line = next(shown(str(m.value)) for m in at.markdown if "**Against the model book:**" in str(m.value))
    assert line == f"**Against the model book:** {shown(fmt.md_text(paid.day_sentence(date(2025, 12, 13))))}"


def test_the_fee_switch_charges_the_model_and_goes_in_the_url(app, desk_url):
    at = app(PAGE, query={"from": "2025-12-01", "to": "2025-12-14", "section": "model_book"})
    no_exception(at)
    free = metrics(at)["Model book PnL"]
    toggle = at.toggle(key="te_model_fees")
    assert toggle.value is False
    toggle.set_value(True).run()
    no_exception(at)
    paid = answer(desk_url, date(2025, 12, 1), date(2025, 12, 14), fees=True)
    assert metrics(at)["Model book PnL"] == fmt.usd(paid.waterfall.model_pnl, signed=True) != free
    assert at.query_params["model_fees"] in ("1", ["1"])
    assert f"the desk's own fee rate, **{paid.fee_rate * 1e4:.2f} bp**" in markdown(at)
    at.toggle(key="te_model_fees").set_value(False).run()
    assert metrics(at)["Model book PnL"] == free and "model_fees" not in at.query_params


def test_the_sidebar_range_drives_the_section(app, desk_url):
    at = app(PAGE, query={"from": "2025-12-01", "to": "2025-12-14", "section": "model_book"})
    at.sidebar.date_input(key="global_range").set_value((date(2025, 12, 5), date(2025, 12, 9))).run()
    no_exception(at)
    expected = answer(desk_url, date(2025, 12, 5), date(2025, 12, 9))
    assert metrics(at)["Live − model"] == fmt.usd(expected.waterfall.gap_usd, signed=True)
    # a range whose last day has not closed: the closed days, and a word on the open one
    at.sidebar.date_input(key="global_range").set_value((date(2025, 12, 12), date(2025, 12, 15))).run()
    no_exception(at)
    assert "2025-12-15 closes at 00:00 UTC on 2025-12-16" in "\n".join(shown(c.value) for c in at.caption)


def test_a_url_fee_switch_that_is_not_a_flag_is_refused(app):
    at = app(PAGE, query={"from": "2025-12-01", "to": "2025-12-14", "model_fees": "maybe", "section": "model_book"})
    no_exception(at)
    assert any("model_fees must be 1 or 0" in shown(w.value) for w in at.warning)
    assert at.toggle(key="te_model_fees").value is False


def test_overview_line_and_link(app, desk_url):
    at = app("pages/overview.py", query={"from": "2025-12-01", "to": "2025-12-14"})
    no_exception(at)
    expected = answer(desk_url, date(2025, 12, 1), date(2025, 12, 14))
    line = next(str(m.value) for m in at.markdown if "Live against the model book:" in str(m.value))
    assert fmt.md_text(fmt.usd(expected.waterfall.gap_usd, signed=True)) in line
    assert "±2σ band" in line
    links = [p for p in at.get("page_link") if "Tracking Error" in p.proto.label]
    assert links and "tracking_error" in links[0].proto.page
    assert "section=model_book" in links[0].proto.query_string  # it opens the section's tab
