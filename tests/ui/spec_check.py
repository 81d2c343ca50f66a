"""Checks every chart-spec test uses: the spec is valid Plotly and reaches Streamlit unchanged."""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools

from ui.plot import SpecFigure


def assert_valid(spec: dict[str, Any]) -> go.Figure:
    """Plotly's validator accepts the spec (a misspelt property raises), and Streamlit's
    path (`return_figure_from_figure_or_data` + `to_json`) carries the same traces and layout."""
    assert set(spec) <= {"data", "layout"}, set(spec)
    fig = go.Figure(spec)  # validates; raises ValueError on an unknown property or a bad value
    sent = json.loads(
        pio.to_json(plotly.tools.return_figure_from_figure_or_data(SpecFigure(spec), True), validate=False)
    )
    assert len(sent["data"]) == len(spec["data"])
    assert [t.get("type") for t in sent["data"]] == [t.type for t in fig.data]
    return fig


def trace(spec: dict[str, Any], name: str) -> dict[str, Any]:
    """The trace called `name` (a test that looks for a missing series fails here)."""
    found = [t for t in spec["data"] if t.get("name") == name]
    assert found, f"no trace {name!r} in {[t.get('name') for t in spec['data']]}"
    return found[0]
