"""Live panels (ui/shell/refresh.py): System Health's panels refresh in place, counted from the end of
their last run; the other pages run whole as one live panel (`run_page`), so no page keeps the sidebar's
full-page timer (tests/ui/shell/test_auto_refresh.py tests the timer itself).
The browser side (nothing outside the panels greys, scroll and expanders survive) is
tests/browser/test_refresh_in_place_browser.py."""

from __future__ import annotations

from ui.shell import refresh


def test_the_interval_sent_after_a_run_always_differs_from_the_last_one():
    sent = [30.0] + [refresh.restart_interval(30, n) for n in range(1, 6)]  # a full run sends plain 30
    assert all(a != b for a, b in zip(sent, sent[1:]))  # the browser restarts its timer on every change
    assert all(30 < s <= 30.002 for s in sent[1:])  # a millisecond or two: the refresh stays at 30 s


def test_system_health_panels_restart_their_timer_at_the_end_of_each_run(app):
    at = app("pages/system_health.py", query={"every": "30"})
    assert not at.exception
    runs = at.session_state[refresh._RUNS]
    # the alerts and the panels, one run each (AppTest's first run lands on Overview, one live panel, first)
    assert len(runs) in (2, 3) and set(runs.values()) == {1}
    main = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Checked" in main


def test_off_sends_no_timer_and_the_other_pages_are_one_live_panel(app):
    at = app("pages/system_health.py", query={"every": "0"})
    assert not at.exception and refresh._RUNS not in at.session_state
    overview = app(query={"every": "30"})
    assert not overview.exception and list(overview.session_state[refresh._RUNS].values()) == [1]
    assert [t.value for t in overview.title] == ["Overview"]
    off = app(query={"every": "0"})
    assert not off.exception and refresh._RUNS not in off.session_state  # off: the page runs as a script
    assert refresh.PANEL_PAGES == {"system_health"}
    assert refresh.IN_PLACE_PAGES == {"", "positions", "trades", "tracking_error", "system_health"}
