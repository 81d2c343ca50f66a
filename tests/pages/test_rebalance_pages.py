"""The rebalance desk on the pages (AppTest on the demo desk): the Positions ticket and its target-set control,
the pre-trade checks beside the next targets, the Overview panel, the Trades Rebalance tab with its day, the
orders a rebalance leg links to, and the TE day story's missing positions linked to their orders."""

from __future__ import annotations

import pytest

from lib.rebalance import completion

pytestmark = pytest.mark.shared_caches  # reads the demo desk as it is (tests/conftest.py, app)


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame_with(at, first_columns: list[str]):
    for df in at.dataframe:
        if list(df.value.columns)[: len(first_columns)] == first_columns:
            return df.value
    raise AssertionError(f"no table starting with {first_columns}")


def texts(at, kind: str) -> str:
    return "\n".join(str(e.value) for e in getattr(at, kind))


def test_positions_ticket_today_then_next_with_its_checks(app):
    at = app("pages/positions.py")
    no_exception(at)
    assert "Trades to target (newest positions round)" in texts(at, "subheader")
    control = at.button_group(key="pos_targets")
    assert control.value == "today"
    m = metrics(at)
    assert m["Orders"] == "61" and m["Gross to trade"] == "$45,330" and m["TE before → after"] == "0.82% → 0.00%"
    legs = frame_with(at, ["sym", "side", "reduce_only"])
    assert len(legs) == 61 and set(legs["side"]) == {"Buy", "Sell"}
    dropped = frame_with(at, ["sym", "reason"])
    assert list(dropped["sym"]) == ["BNB"] and dropped["reason"][0].startswith("below the $10 minimum")
    assert "Checked before they trade" not in texts(at, "markdown")
    assert any(b.proto.label == "Ticket CSV" for b in at.get("download_button"))

    control.set_value("next").run()  # the fragment reruns with the next targets and their checks beside
    no_exception(at)
    assert dict(at.query_params)["targets"] == "next"
    m = metrics(at)
    assert m["Orders"] == "62" and m["TE before → after"] == "8.63% → 0.00%"
    assert "Checked before they trade" in texts(at, "markdown")
    assert "Every check passed" in texts(at, "success")
    marks = [md for md in texts(at, "markdown").split("\n") if md.startswith(":material/check_circle:")]
    assert len(marks) == 8


def test_positions_bad_target_set_in_the_url_is_refused(app):
    at = app("pages/positions.py", query={"targets": "yesterday"})
    no_exception(at)
    assert "Ignored URL parameter `targets`" in texts(at, "warning")
    assert at.button_group(key="pos_targets").value == "today"


def test_overview_panel_today_has_nothing_to_trade(app):
    at = app()
    no_exception(at)
    assert "Today's rebalance" in texts(at, "subheader")
    m = metrics(at)
    assert m["Done now"] == "100.0%" and m["By 00:15 UTC"] == "100.0%" and m["Required"] == "$0"
    assert "Nothing had to change: 62 symbols were on target." in texts(at, "success")
    links = [e.proto for e in at.get("page_link")]
    assert any("tab=rebalance" in str(link.query_string) for link in links) or any(
        "Another day's rebalance" in link.label for link in links
    )


def test_trades_rebalance_tab_for_dec_7_and_its_orders_link(app):
    at = app("pages/trades.py", query={"tab": "rebalance", "rebalance_day": "2025-12-05"})
    no_exception(at)
    assert at.date_input(key="tr_rebalance_day").value.isoformat() == "2025-12-05"
    at.date_input(key="tr_rebalance_day").set_value(__import__("datetime").date(2025, 12, 7)).run()
    no_exception(at)
    assert dict(at.query_params)["rebalance_day"] == "2025-12-07"
    m = metrics(at)
    # 1 − what the open symbols left ÷ what had to change: (ARB 17,382 + BCH 1,090 + WLD 4,988 + AAVE 13,878) ÷
    # 312,033. AAVE had $6,799 to buy and sold: it counts by the $13,878 it left (floored at its $6,799: 90.3%)
    assert m["Done now"] == "88.0%" and m["By 00:15 UTC"] == "88.0%"
    open_rows = frame_with(at, ["sym", "state", "reason"])
    assert list(open_rows["sym"])[:3] == ["ARB", "BCH", "WLD"]
    arb = open_rows[open_rows["sym"] == "ARB"].iloc[0]
    assert list(arb["state"]) == [completion.ORDERS_FAILED] and arb["reason"].startswith("1 order rejected")
    assert arb["orders"].endswith("tab=orders&orders_coin=ARB") and "from=2025-12-07&to=2025-12-07" in arb["orders"]
    assert "4 symbols not done** (orders rejected or canceled 1, partial 3, done 34)" in texts(at, "markdown")


def test_orders_tab_lists_a_coins_orders_from_the_link(app):
    at = app("pages/trades.py", query={"tab": "orders", "orders_coin": "ARB", "from": "2025-12-07", "to": "2025-12-07"})
    no_exception(at)
    assert "**Orders of ARB placed 2025-12-07 – 2025-12-07 (UTC)** — 1" in texts(at, "markdown")
    rows = frame_with(at, ["placed_at", "final_at", "final_status"])
    assert list(rows["final_status"][0]) == ["rejected"] and rows["first_fill"].isna().all()


def test_te_day_story_links_missing_positions_to_their_orders(app):
    at = app("pages/tracking_error.py", query={"from": "2025-12-01", "to": "2025-12-10", "day": "2025-12-07"})
    no_exception(at)
    line = next(m for m in texts(at, "markdown").split("\n\n") if "Orders behind the missing positions" in m)
    assert "[ARB](trades?from=2025-12-07&to=2025-12-07&tab=orders&orders_coin=ARB)**: 1 order, 1 rejected" in line
    assert "WLD" in line and "BCH" in line


@pytest.mark.parametrize("page", ["pages/positions.py", "pages/tracking_error.py"])
def test_absurd_live_targets_are_flagged(app, fresh_caches, desk_client, page):
    """Targets in percent instead of fractions (the TE 806% of issue 25): the page says why."""
    desk_client.command(
        "ALTER TABLE maicro_logs.positions_jianan_v6 UPDATE weight = weight * 100 WHERE date = '2025-12-13' "
        "SETTINGS mutations_sync = 1"
    )
    try:
        at = app(page, query={"date": "2025-12-15", "from": "2025-12-10", "to": "2025-12-15"})
        no_exception(at)
        errors = texts(at, "error")
        assert "fail the mandate's weight limits" in errors and "holdings 2025-12-15" in errors
        assert "above 200%" in errors and "not meaningful" in errors
    finally:
        desk_client.command(
            "ALTER TABLE maicro_logs.positions_jianan_v6 UPDATE weight = weight / 100 WHERE date = '2025-12-13' "
            "SETTINGS mutations_sync = 1"
        )
