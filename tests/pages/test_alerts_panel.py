"""System Health's Alerts panel and Overview's badge count, through AppTest on the demo desk."""

from __future__ import annotations

import pytest

from ui.shell import router


@pytest.fixture(autouse=True)
def _through_app_py():
    router.use_navigation()


def _frames(at):
    return [df.value for df in at.dataframe]


def test_system_health_alerts_panel_lists_what_fires_and_since_when(app, tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_ALERT_STATE", str(tmp_path / "never-written.sqlite"))
    at = app("pages/system_health.py")
    assert not at.exception
    assert "Alerts" in [s.value for s in at.subheader]
    caption = next(c.value for c in at.caption if "evaluated now" in c.value)
    assert "firing" in caption and "this page writes nothing" in caption
    active = next(f for f in _frames(at) if "rule" in f.columns and "since" in f.columns)
    rows = {r["rule"]: r for r in active.to_dict("records")}
    assert rows["monitor_down:ohlcv"]["state"] == ["firing"]
    assert str(rows["monitor_down:ohlcv"]["since"]).startswith("2025-12-15 11:19")
    assert rows["data_stale:account"]["severity"] == "critical"
    assert not (tmp_path / "never-written.sqlite").exists()  # the dashboard writes no state
    ok = [f for f in _frames(at) if "rule" in f.columns and "since" not in f.columns]
    assert ok and "te_high" in set(ok[0]["rule"])


def test_overview_badge_counts_firing_alerts(app):
    at = app()
    assert not at.exception
    badge = next(m.value for m in at.markdown if "System health:" in m.value)
    assert "alerts firing" in badge and ":red-badge[" in badge
