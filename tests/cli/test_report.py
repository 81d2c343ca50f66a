"""`python -m cli report`, in-process against the session engine (the demo desk)."""

from __future__ import annotations

import json

import pytest

import cli as command_line
from lib import config
from lib.clickhouse.errors import QueryFailed
from lib.tracking import classification as te


@pytest.fixture
def cli(desk_client, fresh_caches, capsys):
    """Run `main(argv)`; returns (exit code, stdout, stderr)."""

    def run(*argv: str):
        code = command_line.main(["report", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_json_report_for_reference_day(cli):
    code, out, err = cli("--date", "2025-12-07", "--json")
    assert code == 0, err
    report = json.loads(out)  # exactly one JSON object on stdout
    assert set(report) == {"date", "hour", "counts", "symbols", "te", "rule"}
    assert report["date"] == "2025-12-07" and report["hour"] == 2
    counts = report["counts"]
    assert set(counts) == set(te.CATEGORIES)
    assert sum(counts.values()) == 62
    assert counts[te.MISSING_POSITION] == 3
    assert counts[te.EXTRA_POSITION] == 0 and counts[te.WRONG_DIRECTION] == 0
    assert set(report["symbols"]) == set(te.CATEGORIES) - {te.MATCHED, te.MATCHED_ZERO}
    missing = report["symbols"][te.MISSING_POSITION]
    assert [s["sym"] for s in missing] == ["ARB", "WLD", "BCH"]  # |target| descending
    assert report["symbols"][te.EXTRA_POSITION] == [] and report["symbols"][te.WRONG_DIRECTION] == []
    arb = missing[0]
    assert set(arb) == {"sym", "weight_t2", "weight_t1", "actual_weight", "err_t2", "flip_explained"}
    assert arb["weight_t2"] == pytest.approx(0.01679, abs=5e-5)
    assert arb["actual_weight"] == pytest.approx(0.00022, abs=5e-5)
    assert report["te"]["te"] > 0 and report["te"]["active_share"] > 0


def test_json_report_other_reference_days_and_thresholds(cli):
    for day, names in (("2025-12-05", {"APT", "HBAR"}), ("2025-12-06", {"WLFI", "TRX", "LINK"})):
        code, out, _ = cli("--date", day, "--hour", "2", "--json")
        assert code == 0
        report = json.loads(out)
        assert {s["sym"] for s in report["symbols"][te.MISSING_POSITION]} == names
        assert sum(report["counts"].values()) == 62
    code, out, _ = cli("--date", "2025-12-07", "--mag-eps", "0.01", "--json")
    report = json.loads(out)
    assert "AAVE" in {s["sym"] for s in report["symbols"][te.MAGNITUDE_ERROR]}


def test_json_report_carries_the_rule_and_thresholds_it_used(cli):
    code, out, err = cli("--date", "2025-12-07", "--hour", "2", "--mag-eps", "0.01", "--mag-rule", "relative", "--json")
    assert code == 0, err
    assert json.loads(out)["rule"] == {
        "target": "T+2",
        "target_date": "2025-12-05",
        "positions_at": "2025-12-07T03:00:00Z",  # hour 2 is read at its end
        "w_eps": config.W_EPS,
        "mag_eps": 0.01,
        "mag_rule": "relative",
    }
    code, out, err = cli("--date", "2025-12-07", "--json")
    rule = json.loads(out)["rule"]
    assert (rule["w_eps"], rule["mag_eps"], rule["mag_rule"]) == (config.W_EPS, config.MAG_EPS, config.DEFAULT_MAG_RULE)


def test_text_story(cli):
    code, out, err = cli("--date", "2025-12-07")
    assert code == 0, err
    assert "2025-12-07 02:00 hour (positions as of 03:00 UTC)" in out  # the snapshot hour named by its end
    assert "3 missing positions (ARB, WLD, BCH)" in out
    assert "MISSING_POSITION 3" in out  # plain text: no markdown escapes
    assert "previous 7 days" in out
    assert "No runtime found" not in err and "ScriptRunContext" not in err


def test_day_without_data_exits_2(cli):
    code, out, err = cli("--date", "2025-10-01", "--json")
    assert code == 2 and out == ""
    assert "no data for 2025-10-01 02:00 hour (positions as of 03:00 UTC)" in err
    # positions carried forward but no targets dated 2025-12-15 yet
    code, out, err = cli("--date", "2025-12-17")
    assert code == 2 and out == ""
    assert "no model targets dated 2025-12-15" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--date", "2025-13-45"], "not a real calendar date"),
        (["--date", "2025-12-07", "--hour", "24"], "hour must be a whole number 0-23"),
        (["--date", "2025-12-07", "--w-eps", "0.2"], "--w-eps must be between 0.0 and 0.05"),
        (["--date", "2025-12-07", "--mag-eps", "abc"], "--mag-eps must be a number"),
        ([], "the following arguments are required: --date"),
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

    monkeypatch.setattr(q, "timeline", broken)
    code, out, err = cli("--date", "2025-12-07", "--json")
    assert code == 3 and out == ""
    assert "ClickHouse unreachable" in err and "connection refused" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("day,expected", [("2025-12-05", 30), ("2025-12-06", 31), ("2025-12-07", 29)])
def test_relative_magnitude_rule_reproduces_playbook_counts(desk_client, capsys, day, expected):
    """The playbook's ~30/31/29 MAGNITUDE_ERROR counts come from the relative reading; absolute gives 0."""
    import json

    assert command_line.main(["report", "--date", day, "--json", "--mag-rule", "relative"]) == 0
    rel = json.loads(capsys.readouterr().out)
    assert rel["counts"]["MAGNITUDE_ERROR"] == expected
    assert command_line.main(["report", "--date", day, "--json"]) == 0
    absolute = json.loads(capsys.readouterr().out)
    assert absolute["counts"]["MAGNITUDE_ERROR"] == 0
    # the missing set does not depend on the rule
    assert rel["symbols"]["MISSING_POSITION"] == absolute["symbols"]["MISSING_POSITION"]
