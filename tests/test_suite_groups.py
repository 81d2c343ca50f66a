"""`make test` relies on pytest-xdist's `--dist loadgroup` (tests/conftest.py): each group of browser tests shares one
Streamlit server and Chromium, and each other module builds its module fixtures once. pytest 9.2 moved the node id
to a structure that pytest-xdist 3.8 does not update, and every group was silently spread over all workers. This
test fails when the group no longer reaches the scheduler."""

from __future__ import annotations

import pytest


def test_the_xdist_group_reaches_the_scheduler(request: pytest.FixtureRequest) -> None:
    if not hasattr(request.config, "workerinput") or not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only under `pytest -n N --dist loadgroup` (make test)")
    assert request.node.nodeid.endswith("@tests.test_suite_groups"), request.node.nodeid
