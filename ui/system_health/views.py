"""System Health's views: the page's clock and the derived timelines (see ui/cache.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from lib.health import rules
from ui import cache


@dataclass(frozen=True)
class Clock:
    """The page's times: the server's now, this machine's, and where every chart window ends."""

    server_now: datetime
    machine_now: datetime
    server_known: bool  # False: the server clock was unavailable and server_now is this machine's
    newest_beat: datetime | None
    anchored: bool  # the data is old: windows end at the newest data, not at now
    end: datetime  # where every chart window ends
    end_q: datetime  # `end` rounded up to the minute (query parameter, stable cache key)


def clock(mon: pl.DataFrame | None, info: dict[str, Any] | None, data_as_of: datetime | None) -> Clock:
    """Server clock from the heartbeat query (else the ping); windows anchored on the newest data
    (heartbeats, or the sidebar's data-as-of) when it is old."""
    server_now = None
    if mon is not None and mon.height:
        server_now = mon.item(0, "server_now")
    elif info:
        server_now = info.get("server_now")
    server_now = rules.aware(server_now)
    machine_now = datetime.now(UTC)
    known = server_now is not None
    if server_now is None:
        server_now = machine_now
    newest_beat = rules.valid_ts(mon.item(0, "newest_beat")) if (mon is not None and mon.height) else None
    anchor, _lag = rules.window_end(server_now, [newest_beat, data_as_of])
    end = anchor or server_now
    return Clock(server_now, machine_now, known, newest_beat, anchor is not None, end, rules.ceil_minute(end))


@dataclass(frozen=True)
class Timeline:
    """The monitor timeline of one window: merged status segments and the share of time in each status."""

    segments: pl.DataFrame
    share: pl.DataFrame


def _timeline(hb: pl.DataFrame, start: datetime, end: datetime, bucket_s: int, monitors: tuple[str, ...]) -> Timeline:
    states = rules.timeline_states(hb, start, end, bucket_s, monitors=list(monitors))
    return Timeline(rules.segments(states), rules.time_in_status(states))


timeline_view = cache.view()(_timeline)


def _filled(per_hour: tuple[tuple[str, pl.DataFrame], ...], end: datetime, hours: int) -> list[pl.DataFrame]:
    return [rules.fill_hours(per, end, hours, name) for name, per in per_hour]


filled_hours = cache.view()(_filled)  # (table name, rows_per_hour frame) pairs -> every hour of the window
