"""The data's clock for everything outside a page run (commands, reports, alerts): one read of `data_as_of`.

Pages get the same clock from the sidebar (ui/shell/sidebar.py), which loads the same statement with the page's
failure handling; both turn the row into a `lib.clock.DeskClock` with `lib.clock.from_data_as_of`.
"""

from __future__ import annotations

from lib import clock
from queries.health import health


def desk_clock() -> clock.DeskClock:
    """The data's now (newest account snapshot, never after the server's clock), the server's clock, the first day.

    Raises `lib.clickhouse.errors.QueryFailed` when ClickHouse cannot answer (the caller decides what that means).
    """
    frame = health.data_as_of()
    return clock.from_data_as_of(frame.row(0, named=True) if frame.height else None)
