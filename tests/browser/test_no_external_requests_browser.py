"""No request leaves the machine: every page and each of its tabs (opened by its URL) asks only the app's own host for
anything (scripts, fonts, icons, the tab icon). A `:material/…:` page icon made the browser fetch the
favicon from an external font host (issue 24 §1.7), which fails offline and tells that host who reads."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import wait_for_run
from tests.browser.test_tables_fit_browser import VIEWS

pytestmark = pytest.mark.browser
LOCAL_SCHEMES = {"data", "blob", "about"}


def foreign(urls: list[str], own: str) -> list[str]:
    """The requested URLs that go to a host other than `own` (host:port), inline data excepted."""
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            continue
        if parts.netloc != own:
            out.append(url)
    return out


def test_foreign_finds_another_host():
    own = "127.0.0.1:8501"
    urls = [
        "http://127.0.0.1:8501/static/js/index.js",
        "data:image/svg+xml;base64,AAAA",
        "https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/monitoring/default/24px.svg",
        "http://127.0.0.1:9999/x",
    ]
    assert foreign(urls, own) == [urls[2], urls[3]]


@pytest.mark.parametrize("view", VIEWS)
def test_no_request_leaves_the_machine(server, browser, view):
    own = urlsplit(server.url).netloc
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(f"{server.url}/{view}", wait_until="domcontentloaded")
        wait_for_run(page)
        page.wait_for_timeout(1000)  # the favicon and late fonts
        assert any(urlsplit(u).netloc == own for u in requested)  # the recorder works
        favicon = page.evaluate("() => [...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
        assert favicon and all(urlsplit(h).scheme in LOCAL_SCHEMES or urlsplit(h).netloc == own for h in favicon)
        assert foreign(requested, own) == []
    finally:
        context.close()
