"""AppTest helpers shared by the page-level tests.

AppTest resets `PagesManager.uses_pages_directory` to None before every run,
so with a `pages/` folder beside app.py every run after `switch_page` is
executed in legacy multipage mode: the page file alone, without app.py (no
sidebar, no data-source box, no `data.begin_run()`). A real server runs
app.py on every rerun once `st.navigation` has been called. Forcing the flag
back to False after each PagesManager is built restores that behaviour.
"""

from __future__ import annotations

import pytest


def force_navigation_router(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def category_table_values(shown):
    """A `ui.tables.category_table` as AppTest sees it, back in data units: the category
    pill (a one-item list) as its text, weight columns (shown in percent points) as fractions."""
    from ui.tables import WEIGHT_COLUMNS

    df = shown.copy()
    if "category" in df.columns:
        df["category"] = [None if v is None else list(v)[0] for v in df["category"]]
    for c in WEIGHT_COLUMNS:
        if c in df.columns:
            df[c] = df[c] / 100.0
    return df
