"""`python -m cli shortfall`, in-process against the session engine (the demo desk 2025-11-20 .. 2025-12-15 12:00).

The numbers themselves are checked against an independent recomputation in tests/model_book/; here: what the
command prints, its JSON's shape, the range cut at the last closed day, the fee switch, the account option,
bad arguments and a ClickHouse failure.
"""

from __future__ import annotations

import json
import math

import pytest

import cli as command_line
from lib.clickhouse.errors import QueryFailed


@pytest.fixture
def cli(desk_client, fresh_caches, capsys):
    def run(*argv: str):
        code = command_line.main(["shortfall", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_json_shape_and_the_bars_add_up(cli):
    code, out, err = cli("--from", "2025-12-05", "--to", "2025-12-14", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert set(report) >= {"from", "to", "fees", "fee_rate", "model_pnl", "live_pnl", "gap", "bars", "band", "days"}
    assert (report["from"], report["to"], report["pending"]) == ("2025-12-05", "2025-12-14", None)
    assert report["fees"] is False and report["fee_rate"] == 0.0
    assert [b["bar"] for b in report["bars"]] == [
        "sizing", "timing", "execution", "fees", "funding", "basis", "residual",
    ]  # fmt: skip
    assert math.fsum(b["usd"] for b in report["bars"]) == pytest.approx(report["gap"]["usd"], abs=1e-6)
    assert report["live_pnl"] - report["model_pnl"] == pytest.approx(report["gap"]["usd"], abs=1e-6)
    assert [d["date"] for d in report["days"]] == [f"2025-12-{d:02d}" for d in range(5, 15)]
    assert report["slips"] == {"2025-12-13": 3, "2025-12-14": 1}
    days = {d["date"]: d for d in report["days"]}
    assert days["2025-12-13"]["timing_lag"] == 3 and "skipped rebalance" in days["2025-12-13"]["sentence"]
    assert report["band"]["method"].startswith("Band ±2σ√t")
    assert report["symbols"][-1]["sym"] == "(not by symbol)"
    fees = report["bars"][3]
    assert fees["usd"] < 0  # the model trades for free by default


def test_the_range_stops_at_the_last_closed_day(cli):
    # the desk ends 2025-12-15 12:00: the 15th has not closed, so it is not in the numbers (and it is said)
    code, out, err = cli("--from", "2025-12-10", "--to", "2025-12-15", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["to"] == "2025-12-14" and report["requested_to"] == "2025-12-15"
    assert report["pending"].startswith("2025-12-15 closes at 00:00 UTC on 2025-12-16")


def test_fees_switch_charges_the_model_the_desks_rate(cli):
    code, out, _ = cli("--from", "2025-12-05", "--to", "2025-12-09", "--json")
    free = json.loads(out)
    code, out, err = cli("--from", "2025-12-05", "--to", "2025-12-09", "--json", "--fees")
    assert code == 0, err
    paid = json.loads(out)
    assert paid["fees"] is True and 0 < paid["fee_rate"] < 0.001
    assert paid["model_pnl"] < free["model_pnl"]  # the model paid its fees
    assert paid["live_pnl"] == pytest.approx(free["live_pnl"])  # the live book is the live book
    assert paid["bars"][3]["usd"] > free["bars"][3]["usd"]


def test_text(cli):
    code, out, err = cli("--from", "2025-12-12", "--to", "2025-12-14")
    assert code == 0, err
    assert "Live against the model book · 2025-12-12 – 2025-12-14 (UTC holdings days, 3 complete)" in out
    assert "model costs: none" in out
    for label in ("Model book PnL", "Sizing and missing legs", "Timing", "Residual", "Live book PnL", "Live − model"):
        assert label in out
    assert "2025-12-13  The day: live" in out and "timing carries a skipped rebalance" in out
    assert "Largest symbols" in out and "No runtime found" not in err


def test_one_account(cli):
    from lib.demo.tables import ACCOUNT

    code, out, err = cli("--from", "2025-12-05", "--to", "2025-12-06", "--json", "--account", ACCOUNT)
    assert code == 0, err
    assert json.loads(out)["gap"]["usd"] is not None


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--from", "2025-12-05"], "the following arguments are required: --to"),
        (["--from", "2025-13-01", "--to", "2025-12-07"], "--from"),
        (["--from", "2025-12-07", "--to", "2025-12-05"], "starts (2025-12-07) after it ends"),
    ],
)
def test_bad_arguments_exit_2(cli, argv, message):
    code, out, err = cli(*argv)
    assert code == 2 and out == ""
    assert message in err


def test_clickhouse_failure_exits_3_without_traceback(cli, monkeypatch):
    from queries.tracking import model_book

    def broken(*args, **kwargs):
        raise QueryFailed("unreachable", "http://db.example:8123", "connection refused")

    monkeypatch.setattr(model_book, "shortfall", broken)
    code, out, err = cli("--from", "2025-12-05", "--to", "2025-12-07", "--json")
    assert code == 3 and out == ""
    assert "connection refused" in err and "Traceback" not in err
