"""lib/clock.py: the data's now, the latest complete snapshot, and what a page says while one is pending."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from lib import clock, config

D1 = date(2025, 12, 1)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_latest_complete_any_hour_floors_then_steps_back():
    assert clock.latest_complete(at(2025, 12, 15, 11, 59, 30)) == (date(2025, 12, 15), 10)
    assert clock.latest_complete(datetime(2025, 12, 15, 12, 0, 0)) == (date(2025, 12, 15), 11)  # naive = UTC
    # just after midnight: the previous day's 23:00 hour, whose positions are those of 00:00
    assert clock.latest_complete(at(2025, 12, 15, 0, 10)) == (date(2025, 12, 14), 23)
    # unknown as-of: the given clock
    assert clock.latest_complete(None, now=at(2025, 12, 1, 5, 1)) == (D1, 4)


def test_latest_complete_day_at_the_playbook_hour():
    """The 02:00 snapshot closes at 03:00: until then the latest complete one is yesterday's."""
    hour = config.DEFAULT_SNAPSHOT_HOUR
    assert clock.latest_complete(at(2026, 12, 6, 0, 7), hour) == (date(2026, 12, 5), 2)
    assert clock.latest_complete_day(at(2026, 12, 6, 2, 59, 59), hour) == date(2026, 12, 5)
    assert clock.latest_complete_day(at(2026, 12, 6, 3, 0), hour) == date(2026, 12, 6)
    # the pre-rebalance book (00:00:00) is complete from midnight on
    assert clock.latest_complete_day(at(2026, 12, 6, 0, 0), config.PRE_REBALANCE_HOUR) == date(2026, 12, 6)
    assert clock.latest_complete_day(at(2026, 12, 5, 23, 59), config.PRE_REBALANCE_HOUR) == date(2026, 12, 5)


def test_snapshot_end_and_completeness():
    assert clock.snapshot_end(D1, 2) == at(2025, 12, 1, 3)
    assert clock.snapshot_end(D1, 23) == at(2025, 12, 2, 0)
    assert clock.snapshot_end(D1, -1) == at(2025, 12, 1, 0)
    assert not clock.is_complete(D1, 2, at(2025, 12, 1, 2, 59))
    assert clock.is_complete(D1, 2, at(2025, 12, 1, 3, 0))
    # as-of unknown: judged by the given clock, never "complete" by default
    assert not clock.is_complete(D1, 2, None, now=at(2025, 12, 1, 2, 0))
    assert clock.is_complete(D1, 2, None, now=at(2025, 12, 1, 4, 0))


def test_complete_days_stop_at_the_latest_complete_snapshot():
    days = clock.complete_days(date(2026, 12, 1), date(2026, 12, 6), 2, at(2026, 12, 6, 0, 7))
    assert days == [date(2026, 12, d) for d in range(1, 6)]
    assert clock.complete_days(date(2026, 12, 6), date(2026, 12, 6), 2, at(2026, 12, 6, 0, 7)) == []
    assert clock.complete_days(date(2026, 12, 1), date(2026, 12, 3), 2, at(2026, 12, 6, 0, 7))[-1] == date(2026, 12, 3)


def test_pending_note_in_the_desks_words():
    note = clock.pending_note(date(2026, 12, 6), 2, at(2026, 12, 6, 0, 43), showing=date(2026, 12, 5))
    assert note == "today's 02:00 snapshot closes at 03:00 UTC (in 2 h 17 min); showing 2026-12-05"
    assert clock.pending_note(date(2026, 12, 6), 2, at(2026, 12, 6, 3, 0)) is None
    late = clock.pending_note(date(2026, 12, 5), 23, at(2026, 12, 5, 23, 30))
    assert late is not None and "00:00 UTC on 2026-12-06" in late and "24:00" not in late


def test_desk_clock_from_the_data_as_of_row():
    row = {
        "account_ts": datetime(2026, 12, 6, 0, 6),
        "server_now": datetime(2026, 12, 6, 0, 7),
        "positions_ts": datetime(2026, 12, 6, 0, 0),
        "inception_ts": datetime(2025, 11, 1, 0, 0, 5),
    }
    c = clock.from_data_as_of(row)
    assert (c.as_of, c.server_now, c.first_day) == (at(2026, 12, 6, 0, 6), at(2026, 12, 6, 0, 7), date(2025, 11, 1))
    # a snapshot stamped after the server's clock (a bad clock within the allowed skew) never moves "now" ahead
    ahead = clock.from_data_as_of({**row, "account_ts": datetime(2026, 12, 6, 0, 9)})
    assert ahead.as_of == at(2026, 12, 6, 0, 7)
    # an empty table: max() gives the epoch, which is no time at all
    empty = clock.from_data_as_of({"account_ts": datetime(1970, 1, 1), "server_now": datetime(2026, 12, 6)})
    assert empty.as_of is None and empty.now == at(2026, 12, 6)
    assert clock.from_data_as_of(None).as_of is None
    assert clock.target_date(date(2025, 12, 7)) == date(2025, 12, 5)
    assert clock.reference_date(date(2025, 12, 7)) == date(2025, 12, 6)
    assert clock.closes_in(D1, 2, at(2025, 12, 1, 2, 30)) == timedelta(minutes=30)
