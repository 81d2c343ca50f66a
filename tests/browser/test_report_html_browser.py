"""The daily report's HTML email rendered in headless Chromium, JavaScript off (as a mail client), screenshotted."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from answers import report_inputs
from lib import config
from lib.alerting import rules as alerts
from lib.reports import html as report_html
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
SHOTS = Path("/work/coord/shots")


def test_daily_report_html_renders_in_chromium(desk_client, fresh_caches, browser):
    report = report_inputs.daily(date(2025, 12, 7), alerts.thresholds(), dict(config.REPORT_TARGETS))
    html = report_html.daily(report)
    page = browser.new_page(viewport={"width": 760, "height": 900}, java_script_enabled=False)
    try:
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.set_content(html, wait_until="load")
        assert requests == []  # self-contained: nothing fetched
        text = page.inner_text("body")
        assert "Missing (3)" in text and "ARB, WLD, BCH" in text and "2.37%" in text
        assert "FAIL" in text and "PASS" in text
        # every chart drew at a real size
        sizes = page.eval_on_selector_all("svg", "els => els.map(e => [e.clientWidth, e.clientHeight])")
        assert len(sizes) >= 3 and all(w > 200 and h > 80 for w, h in sizes)
        # the card layout fits the email width: nothing wider than the viewport
        assert page.evaluate("document.documentElement.scrollWidth") <= 760
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        out = ARTIFACTS / "report_daily_2025-12-07.png"
        page.screenshot(path=str(out), full_page=True)
        if SHOTS.parent.is_dir():
            SHOTS.mkdir(exist_ok=True)
            shutil.copy(out, SHOTS / "report_daily_2025-12-07.png")
    finally:
        page.close()
