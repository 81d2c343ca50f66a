"""A page that draws hostile names through lib.format's escapes, for tests/browser/test_markup_browser.py:
what Streamlit's own Markdown renderer and Plotly make of them in a real browser."""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lib import format as fmt  # noqa: E402
from tests.browser.hostile import HOSTILE  # noqa: E402

st.title("Markup")
for i, name in enumerate(HOSTILE):
    st.markdown(f"name-{i}: {fmt.md_text(name)}")
    st.caption(f"caption-{i}: {fmt.md_text(name)}")
st.warning(f"warning: {fmt.md_text(HOSTILE[0])}")
st.metric(fmt.md_text(HOSTILE[0]), fmt.md_text(HOSTILE[1]), help=fmt.md_text(HOSTILE[2]))
with st.expander(fmt.md_text(HOSTILE[3])):
    st.write("inside")
st.plotly_chart(
    {
        "data": [
            {"type": "bar", "x": [fmt.plot_text(n) for n in HOSTILE], "y": list(range(len(HOSTILE))), "name": "n"}
        ],
        "layout": {"title": {"text": fmt.plot_text(HOSTILE[0])}, "height": 400},
    }
)
