"""Tracking Error's "Live against the model book" section in headless Chromium at 1280 px: the day story says the
day's split with the section's tab closed; a click opens the tab, the section is drawn with no error, the fee
switch works; a screenshot of the section (artifacts/screenshots/tracking-error-model-book.png)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, wait_for_run

pytestmark = pytest.mark.browser


def _section_shot(page, name: str) -> None:
    """The section alone: from its heading to the end of the page, at the page's width."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        """() => { const m = document.querySelector('[data-testid="stMain"]'); const inner = m && m.firstElementChild;
        return Math.max(m ? m.scrollHeight : 0, inner ? inner.scrollHeight : 0, document.body.scrollHeight); }"""
    )
    page.set_viewport_size({"width": 1280, "height": int(min(height + 40, 16000))})
    page.wait_for_timeout(1500)  # charts and grids re-layout client-side
    top = page.get_by_role("heading", name="Live against the model book").bounding_box()
    assert top
    page.screenshot(
        path=str(ARTIFACTS / f"{name}.png"),
        clip={"x": 0, "y": top["y"] - 16, "width": 1280, "height": min(height + 40 - top["y"] + 16, 4000)},
        full_page=True,
    )


def test_model_book_section_renders_and_its_fee_switch_works(server, tabs):
    page = tabs.open(1280, 1000)
    try:
        page.goto(
            f"{server.url}/tracking_error?from=2025-12-01&to=2025-12-14&day=2025-12-13", wait_until="domcontentloaded"
        )
        wait_for_run(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        body = (
            page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")
        )  # the word joiners md_text adds
        assert "Traceback" not in body
        # the day story (the first tab) says the day's split; the section's own tab is closed
        assert "Against the model book: The day: live" in body and "timing carries a skipped rebalance" in body
        assert "Model costs: none" not in body
        page.get_by_role("tab", name="Live against the model book", exact=True).click()
        page.get_by_text("Model costs:", exact=False).wait_for(timeout=60_000)  # the tab's rerun drew it
        wait_for_run(page)
        assert "section=model_book" in page.url
        body = page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "Live against the model book" in body and "Model costs: none" in body
        # the charts are drawn (Plotly renders titles and annotations as SVG text)
        assert page.get_by_text("Live and model book equity").count() >= 1
        assert page.get_by_text("Cumulative active return, live − model (bp)").count() >= 1
        assert page.get_by_text("Band ±2σ√t around 0", exact=False).count() >= 1
        assert page.get_by_text("From the model book's PnL to the live book's").count() >= 1
        _section_shot(page, "tracking-error-model-book")
        page.get_by_text("Model pays the desk's fee rate").click()
        # "the desk's own fee rate" is in the switched-off caption too: wait for the switched-on one
        page.get_by_text("Model costs: the desk's own fee rate", exact=False).wait_for(timeout=60_000)
        page.wait_for_url(re.compile(r"[?&]model_fees=1(&|$)"), timeout=30_000)
        wait_for_run(page)
        assert "Model costs: none" not in page.locator('[data-testid="stMain"]').inner_text()
    finally:
        tabs.release(page)
