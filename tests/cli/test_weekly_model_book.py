"""The weekly report's waterfall against the model book (`python -m cli weekly`, the demo desk's week to 2025-12-14)."""

from __future__ import annotations

import json
import math

import pytest

import cli as command_line


@pytest.fixture
def run_cli(desk_client, fresh_caches, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("DESK_ALERT_STATE", str(tmp_path / "alerts.sqlite"))

    def run(*argv: str):
        code = command_line.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_weekly_has_the_weeks_waterfall_and_the_band(run_cli):
    code, out, err = run_cli("weekly", "--week-ending", "2025-12-14", "--format", "json")
    assert code == 0, err
    model = json.loads(out)["model"]
    assert (model["first"], model["last"], model["n_days"]) == ("2025-12-08", "2025-12-14", 7)
    assert [b["bar"] for b in model["bars"]] == [
        "sizing",
        "timing",
        "execution",
        "fees",
        "funding",
        "basis",
        "residual",
    ]
    assert math.fsum(b["usd"] for b in model["bars"]) == pytest.approx(model["gap_usd"], abs=1e-6)
    assert sum(b["shown_usd"] for b in model["bars"]) == round(model["gap_usd"])
    assert model["live_pnl"] - model["model_pnl"] == pytest.approx(model["gap_usd"], abs=1e-6)
    assert model["band"].startswith("Live is ")
    # the same numbers as the command that shows only them
    code, out, err = run_cli("shortfall", "--from", "2025-12-08", "--to", "2025-12-14", "--json")
    assert code == 0, err
    assert json.loads(out)["gap"]["usd"] == pytest.approx(model["gap_usd"], abs=1e-9)


def test_weekly_text_and_html_show_it(run_cli):
    code, out, err = run_cli("weekly", "--week-ending", "2025-12-14")
    assert code == 0, err
    section = out.split("Live against the model book", 1)[1].split("Health incidents", 1)[0]
    assert "Model book" in section and "→ live" in section and "over 7 days" in section
    for label in ("Sizing and missing legs", "Timing", "Execution", "Fees", "Funding", "Basis", "Residual"):
        assert label in section
    code, out, err = run_cli("weekly", "--week-ending", "2025-12-14", "--format", "html")
    assert code == 0, err
    assert "Live against the model book" in out and "Model → live, USD" in out
