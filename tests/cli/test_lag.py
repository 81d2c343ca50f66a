"""`python -m cli lag`, in-process against the session engine (the demo desk 2025-11-20 .. 2025-12-15 12:00)."""

from __future__ import annotations

import json

import pytest

import cli as command_line
from lib.clickhouse.errors import QueryFailed


@pytest.fixture
def cli(desk_client, fresh_caches, capsys):
    """Run `main(["lag", *argv])`; returns (exit code, stdout, stderr)."""

    def run(*argv: str):
        code = command_line.main(["lag", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_playbook_days_are_at_lag_2(cli):
    code, out, err = cli("--from", "2025-12-05", "--to", "2025-12-07", "--json")
    assert code == 0, err
    report = json.loads(out)  # exactly one JSON object
    assert set(report) == {"days"}
    assert [d["date"] for d in report["days"]] == ["2025-12-05", "2025-12-06", "2025-12-07"]
    for day in report["days"]:
        assert set(day) == {"date", "te_by_lag", "best_lag", "effective_lag", "kind"}
        assert (day["effective_lag"], day["kind"]) == (2, "on time")
        assert set(day["te_by_lag"]) == {"0", "1", "2", "3"}
        assert day["best_lag"] == 2
        tes = day["te_by_lag"]
        assert all(isinstance(v, float) for v in tes.values())
        assert tes["2"] == min(tes.values())
    # the playbook's elevated Dec 7 at the scheduled lag
    assert report["days"][2]["te_by_lag"]["2"] > report["days"][0]["te_by_lag"]["2"]


def test_scripted_whole_book_days_and_a_missing_lag(cli):
    code, out, err = cli("--from", "2025-12-12", "--to", "2025-12-15", "--hour", "2", "--json")
    assert code == 0, err
    days = {d["date"]: d for d in json.loads(out)["days"]}
    assert days["2025-12-12"]["best_lag"] == 2
    assert days["2025-12-13"]["best_lag"] == 3  # skipped rebalance: the book kept Dec 12's positions
    assert days["2025-12-14"]["best_lag"] == 1  # the rebalance traded the D-1 targets
    # the demo's targets end on Dec 14: no targets dated D-0 for Dec 15 -> null, not 0
    assert days["2025-12-15"]["te_by_lag"]["0"] is None
    assert days["2025-12-15"]["te_by_lag"]["2"] is not None


def test_text_table(cli):
    code, out, err = cli("--from", "2025-12-13", "--to", "2025-12-14")
    assert code == 0, err
    assert "snapshot 02:00 hour (positions as of 03:00 UTC)" in out
    lines = [line for line in out.splitlines() if line.startswith("2025-12-1")]
    assert len(lines) == 2
    assert "D−3" in lines[0] and "skipped rebalance" in lines[0]
    assert "one-day timing slip" in lines[1]
    assert "No runtime found" not in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--from", "2025-12-05"], "the following arguments are required: --to"),
        (["--from", "2025-12-32", "--to", "2025-12-07"], "not a real calendar date"),
        (["--from", "2025-12-05", "--to", "2025-12-07", "--hour", "25"], "hour must be a whole number 0-23"),
        (["--from", "2025-12-07", "--to", "2025-12-05"], "starts (2025-12-07) after it ends"),
    ],
)
def test_bad_arguments_exit_2(cli, argv, message):
    code, out, err = cli(*argv)
    assert code == 2 and out == ""
    assert message in err


def test_clickhouse_failure_exits_3_without_traceback(cli, monkeypatch):
    from queries.tracking import tracking_error as q

    def broken(*args, **kwargs):
        raise QueryFailed("unreachable", "http://db.example:8123", "connection refused")

    monkeypatch.setattr(q, "lag_sweep", broken)
    code, out, err = cli("--from", "2025-12-05", "--to", "2025-12-07", "--json")
    assert code == 3 and out == ""
    assert "connection refused" in err and "Traceback" not in err


def test_a_day_whose_snapshot_has_not_closed_is_not_compared(cli):
    """The data ends 2025-12-15 11:45: Dec 15's 02:00 snapshot has closed, Dec 16's has not (lib/clock.py)."""
    code, out, err = cli("--from", "2025-12-15", "--to", "2025-12-16", "--json")
    assert code == 0, err
    days = {d["date"]: d for d in json.loads(out)["days"]}
    assert days["2025-12-15"]["kind"] == "on time"
    assert days["2025-12-16"] == {
        "date": "2025-12-16",
        "te_by_lag": {"0": None, "1": None, "2": None, "3": None},
        "best_lag": None,
        "effective_lag": None,
        "kind": "not closed yet",
    }
