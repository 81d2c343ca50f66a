"""The risk, regime, price and orders panels in headless Chromium: Overview (risk, PnL windows and regimes), Positions (risk and
price check), Trades (Orders tab), System Health (Prices). No exception box; screenshots saved."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_run

pytestmark = pytest.mark.browser
RANGE = "from=2025-11-20&to=2025-12-15"


def _open(tabs, url: str):
    page = tabs.open(1440, 1000)
    page.goto(url, wait_until="domcontentloaded")
    wait_for_run(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    return page


@pytest.mark.parametrize(
    "path,texts,name",
    [
        (
            f"?{RANGE}&section=regimes",
            ["Risk", "Closest to liquidation", "PnL windows and market regimes", "By market regime"],
            "risk_panels_overview",
        ),
        (
            "positions",
            ["Risk and price check (newest positions snapshot)", "nearest to liquidation first"],
            "risk_panels_positions",
        ),
        (
            "system_health?every=0&section=prices",
            ["Prices · ", "Coins diverging", "Candle problems"],
            "risk_panels_system_health",
        ),
    ],
)
def test_risk_regime_price_order_panels_render(server, tabs, path, texts, name):
    page = _open(tabs, f"{server.url}/{path}")
    try:
        body = page.locator('[data-testid="stMain"]').inner_text()
        for text in texts:
            assert text in body, text
        assert "Traceback" not in body
        screenshot(page, name)
    finally:
        tabs.release(page)


def test_trades_orders_tab(server, tabs):
    page = _open(tabs, f"{server.url}/trades?{RANGE}")
    try:
        page.get_by_role("tab", name="Orders").click()
        wait_for_run(page)
        page.get_by_text("Reject reasons: not in the data").first.wait_for(timeout=60_000)
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert "Open orders now" in body and "Reject reasons: not in the data" in body
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "risk_panels_trades")
    finally:
        tabs.release(page)
