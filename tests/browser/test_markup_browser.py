"""lib.format's escapes in a real browser: Streamlit's own Markdown renderer and Plotly draw a hostile
name as its text, with no link, image, HTML or reordering. (AppTest sees only the Markdown source; this is
what the reader's browser makes of it.)"""

from __future__ import annotations

import pytest

from tests.browser.conftest import StreamlitServer, screenshot, wait_for_run
from tests.browser.hostile import HOSTILE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def markup_server(tmp_path_factory):
    srv = StreamlitServer({}, tmp_path_factory.mktemp("markup") / "streamlit.log", script="tests/browser/markup_app.py")
    yield srv
    srv.stop()


def test_hostile_names_render_as_their_text(markup_server, tabs):
    page = tabs.open(1200, 1600)
    try:
        page.goto(markup_server.url, wait_until="domcontentloaded")
        wait_for_run(page)
        main = page.locator('[data-testid="stMain"]')
        assert main.locator("a[href*='evil']").count() == 0  # no link, autolink or mailto
        assert main.locator("img").count() == 0  # no image loaded
        assert main.locator("b, strong, em, code, del, h1 ~ h1, ol, table").count() == 0
        assert main.locator(".katex").count() == 0  # no LaTeX
        texts = [main.locator('[data-testid="stMarkdownContainer"]').nth(i).inner_text() for i in range(3 * 4)]
        body = main.inner_text().replace("\u2060", "")  # the invisible word joiners that stop autolinks
        for i, name in enumerate(HOSTILE):
            shown = name.replace("\u202e", "\ufffd")  # the override is shown, not obeyed
            assert f"name-{i}: {shown}" in body, (i, texts)
        plotly = page.locator(".js-plotly-plot")
        assert plotly.count() == 1 and plotly.locator("a").count() == 0
        assert "<b>bold</b>" in plotly.inner_text() or "bold" in plotly.inner_text()
        screenshot(page, "markup-as-text")
    finally:
        tabs.release(page)
