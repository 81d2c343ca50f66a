"""The one place that deals with Streamlit's legacy `pages/` router.

Streamlit treats a `pages/` folder beside the entry script as a legacy
multipage app until some session has run `st.navigation`. On a fresh server a
direct link such as /positions would then run pages/positions.py on its own:
no sign-in check, no sidebar, no connection set-up. So every page starts with
`router.guard()`, which switches the process to app.py's `st.navigation`
router and reruns; app.py then runs (sign-in first) and resolves the same page.

AppTest resets the flag before every run, which would run a switched-to page
alone; `use_navigation()` makes every later run in the process go through
app.py, as a real server does after its first session. The tests and the
benchmark call it; the app itself needs only `guard()`.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

_HOOKED = "_desk_navigation_router"


def use_navigation() -> None:
    """From now on this process routes through app.py's `st.navigation` (idempotent)."""
    PagesManager.uses_pages_directory = False
    if getattr(PagesManager.__init__, _HOOKED, False):
        return
    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    setattr(init, _HOOKED, True)
    PagesManager.__init__ = init  # type: ignore[method-assign]


def guard() -> None:
    """First statement of every page: a page run on its own reruns through app.py."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
