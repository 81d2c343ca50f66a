"""Tracking Error page in headless Chromium: the effective-lag strip, the day's verdict, TE attribution."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_run

pytestmark = pytest.mark.browser


def test_lag_strip_verdict_and_attribution_render(server, tabs):
    page = tabs.open(1440, 1000)
    try:
        page.goto(
            f"{server.url}/tracking_error?from=2025-12-01&to=2025-12-14&day=2025-12-13", wait_until="domcontentloaded"
        )
        wait_for_run(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert "Traceback" not in body
        assert "Verdict: skipped rebalance." in body
        assert "matched the D−3 targets better than D−2" in body
        assert "What the tracking cost:" in body
        # the strip and the share-of-days chart are drawn (Plotly renders their titles as SVG text)
        assert page.get_by_text("Effective execution lag by day").count() >= 1
        assert page.get_by_text("Share of days at each lag").count() >= 1
        screenshot(page, "tracking-error-lag")
        # the attribution is in the "What drives the TE" tab: a click opens it
        assert "TE attribution over the range" not in body
        page.get_by_role("tab", name="What drives the TE", exact=True).click()
        page.get_by_text("TE attribution over the range").wait_for(timeout=60_000)  # the tab's rerun drew it
        wait_for_run(page)
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "TE attribution over the range" in body
        assert "of 62 names carry" in body
        assert page.get_by_text("Symbols per problem category").count() >= 1
        assert "section=drivers" in page.url
        screenshot(page, "tracking-error-drivers")
    finally:
        tabs.release(page)
