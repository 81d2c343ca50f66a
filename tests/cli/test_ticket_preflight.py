"""`python -m cli ticket` and `python -m cli preflight`, in-process: on the demo desk, and on a copy of it whose
next target file holds an unknown symbol and weights in the wrong units (preflight exits 1 naming both)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

import cli as command_line
from lib.clickhouse.errors import QueryFailed
from queries.engine.run import use_client
from tests.queries.fixture_desk import create_tables, fixture_client

PREFIX = "fxpf21"
COPIED = ("trades", "orders", "positions", "account", "targets", "klines", "asset_meta", "ledger", "funding")
BAD_DATE = date(2025, 12, 14)  # the demo's next targets (the data's day is 2025-12-15)


@pytest.fixture
def run(desk_client, fresh_caches, capsys):
    """`main(argv)`; returns (exit code, stdout, stderr)."""

    def call(*argv: str):
        code = command_line.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return call


def test_ticket_text_json_and_csv(run):
    code, out, err = run("ticket")
    assert code == 0, err
    assert out.startswith("Trades to target · Targets dated 2025-12-13 (today: the 2025-12-15 00:00 UTC rebalance)")
    assert "Not traded:\n  BNB: below the $10 minimum order value" in out and "read-only" in out
    code, out, err = run("ticket", "--targets", "next", "--json")
    assert code == 0, err
    t = json.loads(out)
    assert t["targets"] == "next" and t["target_date"] == "2025-12-14" and t["trade_day"] == "2025-12-16"
    assert t["totals"]["n_legs"] == len(t["legs"]) == 62 and t["totals"]["te_after"] < t["totals"]["te_before"]
    assert {"sym", "side", "delta_units", "delta_notional", "reduce_only", "est_cost"} <= set(t["legs"][0])
    assert all(leg["est_cost"] < 0 for leg in t["legs"])  # a cost is negative
    code, out, err = run("ticket", "--csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["status"] == "order" and rows[-1]["sym"] == "BNB" and rows[-1]["status"].startswith("dropped: below")
    assert len(rows) == 62  # 61 orders + 1 dropped


@pytest.mark.parametrize(
    "argv, message",
    [
        (["ticket", "--targets", "tomorrow"], "invalid choice: 'tomorrow'"),
        (["ticket", "--json", "--csv"], "not allowed with argument"),
        (["preflight", "--date", "2025-02-30"], "not a real calendar date"),
    ],
)
def test_bad_arguments_exit_2(run, argv, message):
    code, out, err = run(*argv)
    assert code == 2 and out == "" and message in err


def test_preflight_of_the_demo_passes(run):
    code, out, err = run("preflight")
    assert code == 0, err
    assert out.startswith("Next targets · dated 2025-12-14 for the 2025-12-16 rebalance")
    assert out.count("✅") == 8 and "❌" not in out and out.rstrip().endswith("every check passed")
    code, out, err = run("preflight", "--json")
    assert code == 0
    p = json.loads(out)
    assert p["passed"] is True and p["failed"] == [] and len(p["checks"]) == 8
    assert {c["status"] for c in p["checks"]} == {"pass"}
    code, out, err = run("preflight", "--date", "2025-10-01")
    assert code == 2 and "no targets dated 2025-10-01: nothing to check" in err


def test_clickhouse_failure_exits_3(run, monkeypatch):
    from queries.rebalance import inputs

    def broken(*args, **kwargs):
        raise QueryFailed("unreachable", "http://db.example:8123", "connection refused")

    monkeypatch.setattr(inputs, "targets_on", broken)
    for argv in (["ticket"], ["preflight", "--json"]):
        code, out, err = run(*argv)
        assert code == 3 and out == "" and "connection refused" in err and "Traceback" not in err


@pytest.fixture
def bad_targets(desk_client, desk_url):
    """A copy of the demo desk whose targets dated 2025-12-14 are in percent (x100 of one symbol) and name NOPE."""
    tm = create_tables(desk_client, PREFIX)
    for name in COPIED:
        desk_client.command(f"INSERT INTO {tm.qualified(name)} SELECT * FROM {command_line_default(name)}")
    desk_client.command(
        f"ALTER TABLE {tm.qualified('targets')} DELETE WHERE date = '{BAD_DATE}' SETTINGS mutations_sync = 1"
    )
    rows = desk_client.query(
        f"SELECT sym, weight FROM {command_line_default('targets')} WHERE date = '{BAD_DATE}'"
    ).result_rows
    bad = [[BAD_DATE, sym, w * 2.0] for sym, w in rows] + [[BAD_DATE, "NOPE", 0.01]]
    desk_client.insert(tm.qualified("targets"), bad, column_names=["date", "sym", "weight"])
    with use_client(fixture_client(desk_url, PREFIX)):
        yield


def command_line_default(name: str) -> str:
    from lib import config

    return config.table_map().qualified(name)


def test_unknown_symbol_and_gross_above_the_limit_fail_preflight_with_both_named(run, bad_targets):
    code, out, err = run("preflight", "--json")
    assert code == 1, err
    p = json.loads(out)
    failed = {c["check"]: c for c in p["checks"] if c["status"] == "fail"}
    assert {"weights", "listed", "priced"} <= set(failed)
    assert any(n.startswith("gross 3") and "above 200%" in n for n in failed["weights"]["names"])
    assert failed["listed"]["names"] == ["NOPE (not on the exchange)"]
    assert failed["priced"]["names"][0].startswith("NOPE (no close in 48 h")
    code, out, err = run("preflight")
    assert code == 1
    assert (
        "❌ Weights within the mandate: gross" in out and "❌ Listed on Hyperliquid: NOPE (not on the exchange)" in out
    )
    assert f"\n{len(failed)} checks failed" in out  # the count with its noun, not "check(s)"
    code, out, err = run("ticket", "--targets", "next", "--json")
    assert code == 0  # the ticket still sizes what it can; NOPE has no price and is listed apart
    t = json.loads(out)
    assert {"sym": "NOPE"}.items() <= next(d for d in t["dropped"] if d["sym"] == "NOPE").items()
