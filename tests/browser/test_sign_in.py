"""Sign-in, end to end, against a real OpenID Connect provider on loopback.

The provider is npm's oidc-provider (tests/oidc_provider.py): discovery, the authorization-code flow with
PKCE, an ID token with the e-mail, RP-initiated logout. Both ways of serving the app are signed into in
Chromium, `streamlit run app.py` and `streamlit run serve.py`:
- an allow-listed e-mail signs in and lands on Overview, its e-mail in the sidebar;
- another e-mail signs in and gets the refusal, with nothing of the desk shown;
- signing out (through the provider's end-session page) gates the app again;
- under serve.py, `/media/` and `/_stcore/metrics` answer only a signed-in, allow-listed user, and
  Streamlit's own static files (`/static/media/` fonts among them) load for everyone.
Also: every page opened by direct URL on a fresh server shows only the sign-in screen (the router guard,
ui/shell/router.py); `streamlit run app.py` answers /_stcore/metrics to anyone (the gap the README names).
Downloads (no [auth], the shared demo server): the CSV exists only after a click and is gone after the next
script runs.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request

import pytest

from tests import oidc_provider
from tests.browser.conftest import PAGES, StreamlitServer, screenshot, wait_for_run
from tests.fault_servers import free_port

pytestmark = pytest.mark.browser

COOKIE_SECRET = "desk-test-cookie-secret-3f9a1c2e7b"
ALLOWED = "pm@desk.example"
STRANGER = "visitor@elsewhere.example"
SIGN_IN = "Sign in with your desk account"
DESK_TEXT = ("Data as of", "Data source", "Book at", "Fills of the UTC days", "Monitors", "PnL ", "Equity")
SCRIPTS = ("app.py", "serve.py")


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    """The loopback provider, with one registered client per Streamlit server (its callback on its port)."""
    why = oidc_provider.missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"the sign-in tests need the loopback OIDC provider in CI: {why}")
        pytest.skip(why)
    ports = {script: free_port() for script in SCRIPTS}
    clients = {
        script: oidc_provider.OidcClient(
            client_id=f"desk-monitor-{script.removesuffix('.py')}",
            client_secret=f"secret-of-{script}-7c1d",
            redirect_uri=f"http://127.0.0.1:{port}/oauth2callback",
        )
        for script, port in ports.items()
    }
    provider = oidc_provider.OidcProvider(list(clients.values()), tmp_path_factory.mktemp("oidc") / "provider.log")
    yield provider, ports, clients
    provider.stop()


def _server(desk_copy, identity, tmp_path_factory, script: str) -> StreamlitServer:
    provider, ports, clients = identity
    client = clients[script]
    secrets = tmp_path_factory.mktemp("auth") / "secrets.toml"
    # what a deployment writes in .streamlit/secrets.toml (README, "Access control")
    secrets.write_text(f"""
[auth]
redirect_uri = "{client.redirect_uri}"
cookie_secret = "{COOKIE_SECRET}"
client_id = "{client.client_id}"
client_secret = "{client.client_secret}"
server_metadata_url = "{provider.discovery_url}"

[desk]
allowed_emails = ["{ALLOWED}"]
""")
    return StreamlitServer(
        {"CLICKHOUSE_URL": desk_copy()},  # its own copy: another server may hold the shared one
        tmp_path_factory.mktemp("logs-auth") / "streamlit.log",
        script=script,
        args=("--secrets.files", str(secrets)),
        port=ports[script],
    )


@pytest.fixture(scope="module")
def auth_server(desk_copy, identity, tmp_path_factory):
    srv = _server(desk_copy, identity, tmp_path_factory, "app.py")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def gated_server(desk_copy, identity, tmp_path_factory):
    srv = _server(desk_copy, identity, tmp_path_factory, "serve.py")
    yield srv
    srv.stop()


@pytest.fixture(params=SCRIPTS)
def signed_server(request) -> tuple[str, StreamlitServer]:
    """Each way of serving the app, for the tests that sign in."""
    fixture = "auth_server" if request.param == "app.py" else "gated_server"
    return request.param, request.getfixturevalue(fixture)


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
    text = page.locator('[data-testid="stApp"]').inner_text().replace("\u2060", "")
    assert SIGN_IN in text, (path, text[:500])
    assert page.locator("h1").first.inner_text().replace("\u2060", "").strip() == "Desk Monitor"
    for leak in DESK_TEXT:
        assert leak not in text, (path, leak)
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # no page list either
    assert page.locator('[data-testid="stException"]').count() == 0


def test_every_page_by_direct_url_shows_only_the_sign_in_screen(auth_server, tabs):
    """Fresh server: the first request is a direct link to a page, before any session ran app.py. The reused tab
    carries no cookies (tabs.release clears them) and never signs in."""
    order = ["positions", "trades", "tracking_error", "system_health", ""]
    assert set(order) == set(PAGES)
    page = tabs.open(1280, 800)
    try:
        for path in order:
            page.goto(f"{auth_server.url}/{path}", wait_until="domcontentloaded")
            wait_for_run(page)
            assert_sign_in_screen(page, path)
            if path == "positions":
                screenshot(page, "sign-in-positions")
    finally:
        tabs.release(page)


def test_plain_streamlit_run_serves_metrics_to_anyone(auth_server):
    """The gap: `streamlit run app.py` cannot protect Streamlit's own routes (see README)."""
    status, body = get(f"{auth_server.url}/_stcore/metrics")
    assert status == 200 and b"session" in body.lower()


def test_serve_py_closes_media_and_metrics_without_a_session(gated_server, tabs):
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
    page = tabs.open(1280, 800)
    try:
        page.goto(f"{base}/trades", wait_until="domcontentloaded")
        wait_for_run(page)
        assert_sign_in_screen(page, "trades")
    finally:
        tabs.release(page)
    assert get(base + "/_stcore/health")[0] == 200  # health checks stay open for the load balancer


def sign_in(page, server: StreamlitServer, provider: oidc_provider.OidcProvider, email: str) -> None:
    """From the sign-in screen through the provider's form and back to the app, as a person does it."""
    page.goto(f"{server.url}/", wait_until="domcontentloaded")
    wait_for_run(page)
    assert_sign_in_screen(page, "/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(provider.issuer) + r"/interaction/"), timeout=30_000)
    page.locator('input[name="email"]').fill(email)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(server.url) + r"/(\?.*)?$"), timeout=30_000)
    wait_for_run(page)


def sign_out(page, server: StreamlitServer, provider: oidc_provider.OidcProvider) -> None:
    """The app's Sign out, then the provider's end-session page, back to the app's sign-in screen."""
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(re.escape(provider.issuer) + r"/session/end"), timeout=30_000)
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(re.compile(re.escape(server.url) + r"/(\?.*)?$"), timeout=30_000)
    wait_for_run(page)


def gated_routes(context, server: StreamlitServer) -> dict[str, int]:
    """What /_stcore/metrics and a /media/ file answer with this browser context's cookies."""
    media = f"{server.url}/media/0123456789abcdef0123456789abcdef01234567.csv"
    return {
        "metrics": context.request.get(f"{server.url}/_stcore/metrics").status,
        "media": context.request.get(media).status,
    }


def test_an_allow_listed_e_mail_signs_in_lands_on_overview_and_signs_out(signed_server, identity, browser):
    script, server = signed_server
    provider = identity[0]
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    try:
        sign_in(page, server, provider, ALLOWED)
        assert page.locator("h1").first.inner_text().replace("\u2060", "").strip() == "Overview"
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text().replace("\u2060", "")
        assert f"Signed in as {ALLOWED}" in sidebar
        assert page.locator('[data-testid="stSidebarNav"]').count() == 1  # the page list is back
        # the desk itself, read from its database: a dated snapshot and a figure, no error
        text = page.locator('[data-testid="stApp"]').inner_text().replace("\u2060", "")
        assert re.search(r"Data as of: 20\d\d-\d\d-\d\d", text), text[:400]
        assert page.locator('[data-testid="stMetricValue"]').first.inner_text().replace("\u2060", "").strip() not in (
            "",
            "—",
        )
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0, text[:800]
        assert page.locator('[data-testid="stException"]').count() == 0
        cookies = {c["name"] for c in context.cookies(server.url)}
        assert "_streamlit_user" in cookies  # Streamlit's own signed cookie, issued after the ID token checked
        if script == "serve.py":
            # the gate lets the signed-in, allow-listed user through: metrics answer, a missing file is a 404
            assert gated_routes(context, server) == {"metrics": 200, "media": 404}
        screenshot(page, f"sign-in-allowed-{script.removesuffix('.py')}")

        sign_out(page, server, provider)
        assert_sign_in_screen(page, "/ after sign-out")
        assert "_streamlit_user" not in {c["name"] for c in context.cookies(server.url)}
        if script == "serve.py":
            assert gated_routes(context, server) == {"metrics": 401, "media": 401}
        # the provider's session ended too: signing in again asks for the e-mail again
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(re.escape(provider.issuer) + r"/interaction/"), timeout=30_000)
        assert page.locator('input[name="email"]').count() == 1
    finally:
        context.close()


def test_another_e_mail_is_refused_and_sees_nothing_of_the_desk(signed_server, identity, browser):
    script, server = signed_server
    provider = identity[0]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, server, provider, STRANGER)
        text = page.locator('[data-testid="stApp"]').inner_text().replace("\u2060", "")
        assert "not on the desk's allow-list" in text and STRANGER in text
        for leak in DESK_TEXT:
            assert leak not in text, leak
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
        # a direct link to a page meets the same refusal
        page.goto(f"{server.url}/positions", wait_until="domcontentloaded")
        wait_for_run(page)
        text = page.locator('[data-testid="stApp"]').inner_text().replace("\u2060", "")
        assert "not on the desk's allow-list" in text and "Book at" not in text
        if script == "serve.py":
            assert gated_routes(context, server) == {"metrics": 401, "media": 401}
        screenshot(page, f"sign-in-refused-{script.removesuffix('.py')}")
        sign_out(page, server, provider)
        assert_sign_in_screen(page, "/ after the refused account signed out")
    finally:
        context.close()


def test_serve_py_serves_streamlit_static_files_to_everyone(gated_server, browser):
    """The sign-in screen needs Streamlit's own fonts and scripts: /static/media/ is not the gated /media/."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    responses: list[tuple[str, int]] = []
    page.on("response", lambda r: responses.append((r.url, r.status)))
    try:
        page.goto(f"{gated_server.url}/", wait_until="domcontentloaded")
        wait_for_run(page)
        assert_sign_in_screen(page, "/")
        fonts = [(u, s) for u, s in responses if "/static/media/" in u]
        assert fonts and all(s == 200 for _, s in fonts), fonts
        assert not [(u, s) for u, s in responses if s == 401], "a signed-out visitor was refused a static file"
        font = fonts[0][0]
    finally:
        context.close()
    assert get(font)[0] == 200  # without any cookie


def _download(page, button):
    """The file a download button gives. One more click after a wait when the first gives nothing: on the shared
    server, after the other tests of its group, a click once produced no download in 30 s (2 of ~6 CI runs, never
    alone; cause not found: noted for the team). What this module asks is when the file exists, not whether a
    click can be lost, so a second click keeps it testing that."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        with page.expect_download(timeout=20_000) as info:
            button.click()
        return info.value
    except PlaywrightTimeout:
        wait_for_run(page)
        with page.expect_download(timeout=30_000) as info:
            button.click()
        return info.value


def test_csv_exists_only_after_the_click_and_not_for_long(server, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    try:
        # no auto-refresh: a timed rerun between the click and the file would redraw the button under it (the
        # download was lost once on a machine loaded past its cores); the reloads below are the script runs asked for
        page.goto(f"{server.url}/positions?every=0", wait_until="domcontentloaded")
        wait_for_run(page)
        # nothing stored while the page is merely shown (no /media/<id> file link in the page)
        assert not re.search(r"(?<!static)/media/[0-9a-f]{16,}", page.content())
        download = _download(page, page.get_by_role("button", name="CSV", exact=True))
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
