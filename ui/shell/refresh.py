"""Panels that refresh in place: the page stays put while its live panels redraw on the sidebar's timer.

A full-page rerun marks every element of the page stale (greyed) until the run ends, and once moved the
scroll and closed an open expander. A live panel is an `st.fragment(run_every=…)`: the timer reruns the
panel alone, the rest of the page is neither rerun nor greyed, and the browser keeps the scroll position
and the expanders outside it.

Streamlit's own timer (`run_every`) is a fixed interval in the browser, started when the panel is drawn by
a full run: a panel slower than the interval would rerun as soon as it ended, for ever. So each run of a
live panel ends by sending the browser the panel's interval again, a millisecond different from the last
one sent (the browser restarts its timer only when the interval changes): the next refresh comes `every`
seconds after the END of the panel's last run, the rule `sidebar.refresh_due` keeps for full pages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, get_script_run_ctx

from ui import data
from ui.shell import sidebar

F = TypeVar("F", bound=Callable[..., Any])

# The pages whose live parts are panels of their own (their url_path): the sidebar's full-page timer is off there.
PANEL_PAGES = frozenset({"system_health"})
# The pages run whole as one live panel (`run_page`): Overview (url_path ""), Positions, Trades, Tracking Error.
WHOLE_PAGES = frozenset({"", "positions", "trades", "tracking_error"})
IN_PLACE_PAGES = PANEL_PAGES | WHOLE_PAGES  # every page: none reruns the app on the timer any more
_RUNS = "_live_panel_runs"  # session state: {fragment id: runs ended}


def restart_interval(every: int, runs_ended: int) -> float:
    """The interval sent at the end of a panel's run: `every` plus 1 or 2 ms, alternating, so it differs
    from the one sent before (also from a full run's plain `every`) and the browser restarts its timer."""
    return every + 0.001 * (1 + runs_ended % 2)


def _restart_timer(every: int) -> None:
    ctx = get_script_run_ctx()
    fragment_id = ThreadState.get().fragment_id if ctx is not None else None
    if ctx is None or fragment_id is None:
        return
    runs: dict[str, int] = st.session_state.setdefault(_RUNS, {})
    runs[fragment_id] = runs.get(fragment_id, 0) + 1
    msg = ForwardMsg()
    msg.auto_rerun.interval = restart_interval(every, runs[fragment_id])
    msg.auto_rerun.fragment_id = fragment_id
    ctx.enqueue(msg)


def panel(every: int) -> Callable[[F], F]:
    """Decorator: the function is a live panel, rerun alone `every` seconds after its last run ended
    (0 = no timer: it still reruns alone when one of its own widgets changes)."""

    def decorate(body: F) -> F:
        @functools.wraps(body)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return body(*args, **kwargs)
            finally:
                if every:
                    _restart_timer(every)

        return st.fragment(run, run_every=every or None)  # type: ignore[return-value]

    return decorate


def _in_a_timer_run() -> bool:
    """Whether this run is a fragment's own rerun (the timer or one of its widgets), not a full run."""
    ctx = get_script_run_ctx()
    return ctx is not None and bool(ctx.fragment_ids_this_run)


def run_page(page: Any, chosen: sidebar.Selection) -> None:
    """Run `page` (app.py's st.navigation page) as one live panel when the sidebar's auto-refresh is on: the
    timer reruns the page alone, so the sidebar is neither rerun nor greyed and the browser keeps the scroll
    position and the open expanders (a full-page rerun lost both). A rerun in place reads the data's clock
    again (the "data as of" the page measures against); when that moved to another UTC day the sidebar's
    range moves too, so the whole app reruns instead (sidebar.refreshed). A widget of the page reruns the page
    alone as well. Off (0), the page runs as any script: a widget reruns the app."""
    every = chosen.refresh_s
    if not every:
        page.run()
        return

    @panel(every)
    def whole_page() -> None:
        if not _in_a_timer_run():
            page.run()
            return
        data.begin_run()  # this run's failures, explained in full
        fresh = sidebar.refreshed(chosen)
        if fresh is None:
            st.rerun(scope="app")  # the range's days moved (a new UTC day): the sidebar shows them
            return
        page._can_be_called = True  # st.navigation's page runs once per full run; this is its panel's rerun
        with sidebar.selected(fresh):
            page.run()

    whole_page()
