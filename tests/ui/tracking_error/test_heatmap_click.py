"""A click on the TE heatmap opens the day its cell shows: the cell's day, or on a weekly heatmap (a range
past HEATMAP_WEEKLY_AFTER_DAYS) the symbol's worst day of that week, not the week's Monday."""

from __future__ import annotations

from datetime import date

import polars as pl

from lib.tracking import daily as te_daily
from ui.tracking_error import views


def _page(weekly: bool) -> views.RangePage:
    classified = pl.DataFrame(
        {
            "sym": ["ETH", "ETH", "ETH", "SOL"],
            "holdings_date": [date(2025, 6, 2), date(2025, 6, 4), date(2025, 6, 6), date(2025, 6, 3)],
            "category": ["MATCHED"] * 4,
            "err_t2": [0.01, -0.05, 0.02, 0.03],
        }
    )
    empty = pl.DataFrame()
    view = te_daily.RangeView(
        te_daily.calendar(date(2025, 6, 2), date(2025, 6, 8)), [], classified, empty, empty, empty
    )
    return views.RangePage(view, {}, None, None, {}, weekly)  # type: ignore[arg-type]


def test_a_weekly_cell_opens_the_symbols_worst_day_of_the_week() -> None:
    page = _page(weekly=True)
    assert views.clicked_day(page, {"x": "2025-06-02", "y": "ETH"}) == date(2025, 6, 4)  # |−5%| the largest
    assert views.clicked_day(page, {"x": "2025-06-02", "y": "SOL"}) == date(2025, 6, 3)


def test_a_daily_cell_opens_its_own_day_and_a_click_off_the_cells_nothing() -> None:
    page = _page(weekly=False)
    assert views.clicked_day(page, {"x": "2025-06-02", "y": "ETH"}) == date(2025, 6, 2)
    assert views.clicked_day(page, {"x": "2025-06-05", "y": "ETH"}) == date(2025, 6, 6)  # nearest day with targets
    assert views.clicked_day(page, {"x": "not a day", "y": "ETH"}) is None
