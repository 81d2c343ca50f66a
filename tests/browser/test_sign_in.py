"""Sign-in covers everything the server serves.

A fresh Streamlit server with an `[auth]` section (dummy OIDC values in a
temporary secrets file; the provider is never contacted, nobody signs in):
- every page opened by direct URL shows the sign-in screen and no page
  content: the router guard (ui/shell/router.py) sends a direct link through
  app.py's sign-in check even before any session ran app.py;
- `streamlit run app.py` answers /_stcore/metrics and /media/* to anyone (the
  gap the README names); `streamlit run serve.py` closes both for anyone
  without Streamlit's signed sign-in cookie of an allow-listed e-mail.
Downloads (no [auth], the shared demo server): the CSV exists only after a
click and is gone after the next script runs.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

from tests.browser.conftest import PAGES, StreamlitServer, screenshot, wait_for_run

pytestmark = pytest.mark.browser

COOKIE_SECRET = "desk-test-cookie-secret-3f9a1c2e7b"
ALLOWED = "pm@desk.example"
SIGN_IN = "Sign in with your desk account"


@pytest.fixture(scope="module")
def auth_secrets(tmp_path_factory):
    path = tmp_path_factory.mktemp("auth") / "secrets.toml"
    path.write_text(f"""
[auth]
redirect_uri = "http://127.0.0.1:9/oauth2callback"
cookie_secret = "{COOKIE_SECRET}"
client_id = "desk-monitor-test"
client_secret = "not-a-real-secret"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"

[desk]
allowed_emails = ["{ALLOWED}"]
""")
    return path


def _server(browser_db, auth_secrets, tmp_path_factory, script: str) -> StreamlitServer:
    return StreamlitServer(
        {"CLICKHOUSE_URL": browser_db},
        tmp_path_factory.mktemp("logs-auth") / "streamlit.log",
        script=script,
        args=("--secrets.files", str(auth_secrets)),
    )


@pytest.fixture(scope="module")
def auth_server(browser_db, auth_secrets, tmp_path_factory):
    srv = _server(browser_db, auth_secrets, tmp_path_factory, "app.py")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def gated_server(browser_db, auth_secrets, tmp_path_factory):
    srv = _server(browser_db, auth_secrets, tmp_path_factory, "serve.py")
    yield srv
    srv.stop()


def get(url: str, cookie: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def signed_cookie(payload: dict) -> str:
    """A sign-in cookie as Streamlit issues it after OIDC (signed with [auth] cookie_secret)."""
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    value = create_signed_value(COOKIE_SECRET, "_streamlit_user", json.dumps(payload)).decode("latin-1")
    return f"_streamlit_user={value}"


def assert_sign_in_screen(page, path: str) -> None:
    text = page.locator('[data-testid="stApp"]').inner_text()
    assert SIGN_IN in text, (path, text[:500])
    assert page.locator("h1").first.inner_text().strip() == "Desk Monitor"
    for leak in ("Data as of", "Data source", "Book at", "Fills of the UTC days", "Monitors", "PnL "):
        assert leak not in text, (path, leak)
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # no page list either
    assert page.locator('[data-testid="stException"]').count() == 0


def test_every_page_by_direct_url_shows_only_the_sign_in_screen(auth_server, browser):
    """Fresh server: the first request is a direct link to a page, before any session ran app.py."""
    order = ["positions", "trades", "tracking_error", "system_health", ""]
    assert set(order) == set(PAGES)
    for path in order:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            page.goto(f"{auth_server.url}/{path}", wait_until="domcontentloaded")
            wait_for_run(page)
            assert_sign_in_screen(page, path)
            if path == "positions":
                screenshot(page, "sign-in-positions")
        finally:
            page.close()


def test_plain_streamlit_run_serves_metrics_to_anyone(auth_server):
    """The gap: `streamlit run app.py` cannot protect Streamlit's own routes (see README)."""
    status, body = get(f"{auth_server.url}/_stcore/metrics")
    assert status == 200 and b"session" in body.lower()


def test_serve_py_closes_media_and_metrics_without_a_session(gated_server, browser):
    base = gated_server.url
    for route in ("/_stcore/metrics", "/media/0123456789abcdef0123456789abcdef01234567.csv"):
        status, body = get(base + route)
        assert status == 401 and b"Sign in" in body, route
        assert get(base + route, cookie="_streamlit_user=forged")[0] == 401
        assert (
            get(
                base + route,
                cookie=signed_cookie(
                    {"is_logged_in": True, "email": "intruder@evil.example", "origin": "http://127.0.0.1:9"}
                ),
            )[0]
            == 401
        )
        assert get(base + route, cookie=signed_cookie({"is_logged_in": False, "email": ALLOWED}))[0] == 401
    # Streamlit's own signed cookie for an allow-listed user passes the gate
    ok = signed_cookie({"is_logged_in": True, "email": ALLOWED, "origin": "http://127.0.0.1:9"})
    assert get(base + "/_stcore/metrics", cookie=ok)[0] == 200
    assert get(base + "/media/0123456789abcdef0123456789abcdef01234567.csv", cookie=ok)[0] == 404  # no such file
    # the app behind the gate is the same app: a direct link still meets the sign-in screen
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(f"{base}/trades", wait_until="domcontentloaded")
        wait_for_run(page)
        assert_sign_in_screen(page, "trades")
    finally:
        page.close()
    assert get(base + "/_stcore/health")[0] == 200  # health checks stay open for the load balancer


def test_csv_exists_only_after_the_click_and_not_for_long(server, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    try:
        page.goto(f"{server.url}/positions", wait_until="domcontentloaded")
        wait_for_run(page)
        # nothing stored while the page is merely shown (no /media/<id> file link in the page)
        assert not re.search(r"(?<!static)/media/[0-9a-f]{16,}", page.content())
        with page.expect_download(timeout=30_000) as info:
            page.get_by_role("button", name="CSV", exact=True).click()
        download = info.value
        csv = open(download.path(), encoding="utf-8").read()
        assert csv.splitlines()[0].startswith("sym,pos_units,") and len(csv.splitlines()) > 5
        assert download.suggested_filename.startswith("positions_") and "/media/" in download.url
        wait_for_run(page)
        for _ in range(2):  # two more script runs of the session: the file is marked, then removed
            page.reload(wait_until="domcontentloaded")
            wait_for_run(page)
        assert get(download.url)[0] == 404
    finally:
        page.close()
