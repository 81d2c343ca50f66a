"""ui/state.lazy_expander: a fold draws its content only while open, and stays open when its label's count moves."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _fold_script() -> None:
    import streamlit as st

    from ui.state import lazy_expander

    fold = lazy_expander(f"Details ({st.session_state.get('count', 3)})", "details_fold")
    if fold.open:
        with fold:
            st.markdown("the body")


def _bodies(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_a_closed_fold_draws_nothing_and_an_opened_one_draws_its_body():
    at = AppTest.from_function(_fold_script).run()
    assert [e.label for e in at.expander] == ["Details (3)"]
    assert _bodies(at) == []
    at.session_state["details_fold"] = True  # a click
    at.run()
    assert _bodies(at) == ["the body"]
    assert not at.exception


def test_an_open_fold_stays_open_when_its_count_changes_and_a_closed_one_stays_closed():
    at = AppTest.from_function(_fold_script).run()
    at.session_state["details_fold"] = True
    at.run()
    at.session_state["count"] = 4  # a refresh finds one more row: a new label is a new expander
    at.run()
    assert [e.label for e in at.expander] == ["Details (4)"]
    assert _bodies(at) == ["the body"]
    at.session_state["details_fold"] = False  # the reader closes it
    at.run()
    at.session_state["count"] = 5
    at.run()
    assert _bodies(at) == []
    assert not at.exception
