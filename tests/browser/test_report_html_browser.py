"""The daily report as a recipient sees it: the e-mail the local SMTP server received, its cid: images
resolved as a mail client does, rendered in headless Chromium with JavaScript off, screenshotted."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import cli as command_line
from tests.alert_servers import email_parts, resolve_cids, smtp_server
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
SHOTS = Path("/work/coord/shots")


def test_the_received_daily_report_email_renders_its_png_charts(
    desk_client, fresh_caches, browser, monkeypatch, tmp_path
):
    for k in ("DESK_ALERT_WEBHOOK_URL", "DESK_ALERT_RESEND_API_KEY"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("DESK_ALERT_STATE", str(tmp_path / "alerts.sqlite"))
    with smtp_server() as (port, box):
        monkeypatch.setenv("DESK_ALERT_SMTP_URL", f"smtp://127.0.0.1:{port}")
        monkeypatch.setenv("DESK_ALERT_EMAIL_FROM", "desk@example.com")
        monkeypatch.setenv("DESK_ALERT_EMAIL_TO", "pm@example.com")
        assert command_line.main(["daily", "--date", "2025-12-07", "--send", "-o", str(tmp_path / "out.txt")]) == 0
    text, html, related = email_parts(box.messages[0])
    assert "<svg" not in html and len(re.findall(r'src="cid:', html)) == 4  # TE, execution, health, rebalance
    shown = resolve_cids(html, related)
    assert "cid:" not in shown

    page = browser.new_page(viewport={"width": 760, "height": 900}, java_script_enabled=False)
    try:
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.set_content(shown, wait_until="load")
        assert [u for u in requests if not u.startswith("data:")] == []  # nothing fetched from anywhere
        body = page.inner_text("body")
        assert "Missing (3)" in body and "ARB, WLD, BCH" in body and "2.37%" in body
        assert "FAIL" in body and "PASS" in body
        # every chart decoded and drew at its size: a PNG, not an empty box
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.alt, e.naturalWidth, e.naturalHeight, e.clientWidth, e.clientHeight])"
        )
        assert len(images) == 4  # PnL components, equity, snapshot TE, rebalance done by checkpoint
        for alt, natural_w, natural_h, w, h in images:
            assert alt and natural_w == 2 * w and natural_h == 2 * h and w >= 300 and h >= 100, alt
        # the card layout fits the e-mail width: nothing wider than the viewport
        assert page.evaluate("document.documentElement.scrollWidth") <= 760
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        out = ARTIFACTS / "report_email_daily_2025-12-07.png"
        page.screenshot(path=str(out), full_page=True)
        if SHOTS.parent.is_dir():
            SHOTS.mkdir(exist_ok=True)
            shutil.copy(out, SHOTS / out.name)
    finally:
        page.close()
