"""Every page in headless Chromium: renders, no exception box, screenshot saved."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PAGES, StreamlitServer, free_port, screenshot, wait_for_run

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path,title", list(PAGES.items()))
def test_page_renders_without_exception(page_visit, path, title):
    seen = page_visit(path)  # at 1440 px; the screenshot is artifacts/screenshots/page-<page>.png
    assert seen["h1"].startswith(title)
    assert seen["exceptions"] == 0
    assert "Traceback" not in seen["main"]
    assert "Data as of" in seen["main"]
    assert seen["not_found"] == 0


@pytest.fixture(scope="module")
def dead_server(tmp_path_factory):
    srv = StreamlitServer(
        {"CLICKHOUSE_URL": f"http://reader:hunter2@127.0.0.1:{free_port()}/maicro_monitors"},
        tmp_path_factory.mktemp("logs-dead") / "streamlit.log",
    )
    yield srv
    srv.stop()


@pytest.mark.parametrize("path,title", list(PAGES.items()))
def test_page_with_unreachable_clickhouse_says_so(dead_server, tabs, path, title):
    page = tabs.open(1440, 900)
    try:
        page.goto(f"{dead_server.url}/{path}", wait_until="domcontentloaded")
        wait_for_run(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        text = page.locator('[data-testid="stApp"]').inner_text()
        assert "ClickHouse unreachable" in text
        assert "127.0.0.1" in text
        assert "hunter2" not in text
        screenshot(page, f"unreachable-{path or 'overview'}")
    finally:
        tabs.release(page)
