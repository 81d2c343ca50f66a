"""ui.overview.rebalance: the step chart of the book's % complete is a valid Plotly spec with the series' values
(percent, UTC times), the deadline and its floor; nothing to change gives a titled empty frame; the view
splits open and done symbols and links the open ones to their orders."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.lib.rebalance.test_completion import build, pre, steps
from tests.ui.spec_check import assert_valid, trace
from ui import plot
from ui.overview import rebalance as panel

LINK = "trades?from=2025-12-07&to=2025-12-07&tab=orders&orders_coin="


def test_step_chart_values_deadline_and_floor():
    c = build()
    spec = panel.progress_chart(c)
    assert_valid(spec)
    line = trace(spec, "% complete")
    assert line["line"]["shape"] == "hv"
    assert line["y"][0] == 0.0 and line["y"][-1] == round(c.progress * 100, plot.PERCENT_DECIMALS)
    assert line["x"][0] == "2025-12-07T00:00:00.000"
    assert spec["layout"]["xaxis"]["range"][0] == "2025-12-07T00:00:00"
    assert spec["layout"]["xaxis"]["range"][1] == "2025-12-07T00:20:00"  # at least to 00:20 (fills end at 00:07)
    floor, deadline = spec["layout"]["shapes"]
    assert floor["y0"] == 95.0 and deadline["x0"] == "2025-12-07T00:15:00"
    (label,) = spec["layout"]["annotations"]
    assert label["text"].strip() == "95% by 00:15" and label["y"] == 95.0
    assert "bgcolor" not in label  # a white box over the floor read as a gap in the 100% line behind it


def test_nothing_to_change_is_an_empty_titled_frame():
    on_target = pre(rows=[("A", 500.0, 100.0, 0.5)])
    c = build(pre=on_target, steps=steps().filter(steps()["coin"] == "NONE"))
    spec = panel.progress_chart(c)
    assert_valid(spec)
    assert spec["data"] == [] and "nothing had to change" in spec["layout"]["annotations"][0]["text"]


def test_view_splits_open_and_done_and_links_orders():
    view = panel.rebalance_view(build(measured=datetime(2025, 12, 7, 0, 30, tzinfo=UTC)), LINK)
    open_syms = view.open_rows["sym"].to_list()
    assert open_syms[:2] == ["REJ", "NONE"] and set(view.done_rows["sym"]) == {"DONE", "LATE"}
    rej = view.open_rows.filter(view.open_rows["sym"] == "REJ").row(0, named=True)
    assert rej["orders"] == LINK + "REJ" and rej["orders_text"] == "1 rejected, 0 canceled"
    assert rej["state"] == ["orders rejected or canceled"]  # a one-item list: the grid's coloured pill
    assert rej["progress"] == 0.0 and rej["target_weight"] == 2.0  # percent for the grid
    none = view.open_rows.filter(view.open_rows["sym"] == "NONE").row(0, named=True)
    assert none["orders"] is None  # no order: nothing to link to
