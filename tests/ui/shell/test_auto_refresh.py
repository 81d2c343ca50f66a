"""The auto-refresh counts from the END of the last completed run, so a page slower than its interval
completes, rests for the interval, and says it is slower than asked.

Time is a fake clock: every query advances it 3 s (the slow ClickHouse of issue 25), so the test counts
runs and queries, never wall-clock durations. The timer fragment's rule is `sidebar.refresh_due`, asked
here as the browser's timer would ask it, every `tick_seconds`.
"""

from __future__ import annotations

import streamlit as st

from lib.clickhouse.client import DeskClient
from ui.shell import sidebar

QUERY_S = 3.0
EVERY = 60


class FakeClock:
    def __init__(self) -> None:
        self.t = 10_000.0

    def __call__(self) -> float:
        return self.t


def slow_queries(monkeypatch, clock: FakeClock) -> list[str]:
    sent: list[str] = []
    real = DeskClient.query_arrow

    def query_arrow(self, sql, parameters=None):
        clock.t += QUERY_S
        sent.append(sql)
        return real(self, sql, parameters)

    monkeypatch.setattr(DeskClient, "query_arrow", query_arrow)
    monkeypatch.setattr(sidebar, "_clock", clock)
    return sent


def test_the_rule_counts_from_the_end_and_never_during_a_run():
    assert not sidebar.refresh_due(1074.0, 1074.0, 1000.0, 60)  # just finished a 74 s run: rest first
    assert not sidebar.refresh_due(1133.9, 1074.0, 1000.0, 60)
    assert sidebar.refresh_due(1134.0, 1074.0, 1000.0, 60)  # 60 s after the END
    assert not sidebar.refresh_due(2000.0, 1074.0, 1140.0, 60)  # a run started and has not finished
    assert not sidebar.refresh_due(2000.0, None, 1000.0, 60)  # no run has finished yet
    assert not sidebar.refresh_due(2000.0, 1074.0, 1000.0, 0)  # off
    assert sidebar.tick_seconds(60) == 10 and sidebar.tick_seconds(30) == 5 and sidebar.tick_seconds(300) == 50


def test_a_page_slower_than_its_refresh_completes_rests_and_says_so(app, monkeypatch):
    clock = FakeClock()
    sent = slow_queries(monkeypatch, clock)
    at = app(query={"every": str(EVERY)})  # Overview, the default page: one full run
    assert not at.exception, [e.value for e in at.exception]
    first_run_queries = len(sent)
    assert first_run_queries * QUERY_S > EVERY  # the run is slower than the interval (by count of queries)
    state = at.session_state
    assert state[sidebar.LAST_RUN_S] == first_run_queries * QUERY_S
    note = f"Refresh is slower than asked (last run {first_run_queries * QUERY_S:.0f} s, refresh every {EVERY} s)."
    assert any(note in c.value for c in at.sidebar.caption), [c.value for c in at.sidebar.caption]

    # the browser's timer asks every tick; a due tick reruns the whole page (its queries cost 3 s each again)
    runs = [(state[sidebar.RUN_STARTED_AT], state[sidebar.RUN_FINISHED_AT])]
    queries_per_run = [first_run_queries]
    horizon = clock.t + 1200
    tick = sidebar.tick_seconds(EVERY)
    while clock.t < horizon:
        clock.t += tick
        if sidebar.refresh_due(clock(), state[sidebar.RUN_FINISHED_AT], state[sidebar.RUN_STARTED_AT], EVERY):
            st.cache_data.clear()  # the TTLs have expired: every query goes to the slow server again
            before = len(sent)
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            runs.append((state[sidebar.RUN_STARTED_AT], state[sidebar.RUN_FINISHED_AT]))
            queries_per_run.append(len(sent) - before)
    # every run completed, and the next began an interval (plus at most one tick) after it ended
    for (_, ended), (started, _) in zip(runs, runs[1:]):
        assert EVERY <= started - ended < EVERY + tick
    run_s = first_run_queries * QUERY_S
    assert len(runs) == 1 + int(1200 // (run_s + EVERY)) or len(runs) == 2 + int(1200 // (run_s + EVERY))
    # before: a tick right after the slow run found it 74 s "since the start" and reran at once, so the
    # page ran back to back (1200 / 74 ≈ 16 runs instead of about 9)
    assert len(runs) < 1200 / run_s
    assert sum(queries_per_run) == len(sent)


def test_a_fast_page_shows_no_note(app, monkeypatch):
    at = app(query={"every": str(EVERY)})
    assert not any("slower than asked" in c.value for c in at.sidebar.caption)
    assert at.session_state[sidebar.RUN_FINISHED_AT] >= at.session_state[sidebar.RUN_STARTED_AT]
