"""The test harness's own AppTest wait (tests/apptest_harness.py) keeps AppTest's contract: a run is read when it
has finished, and a run that outlasts its timeout fails with AppTest's error."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _slow_script() -> None:
    import time

    import streamlit as st

    st.title("first")
    time.sleep(0.3)  # the run is still under way well after the wait begins
    st.markdown("last")


def test_the_wait_ends_when_the_run_has_finished():
    at = AppTest.from_function(_slow_script, default_timeout=30).run()
    assert [t.value for t in at.title] == ["first"]
    assert [m.value for m in at.markdown] == ["last"]  # the element sent last is there: the whole run was read


def test_a_run_longer_than_its_timeout_fails_as_apptests_own():
    with pytest.raises(RuntimeError, match=r"timed out after 0\.1\(s\)"):
        AppTest.from_function(_slow_script, default_timeout=0.1).run()
