"""`python -m cli`: one entry, --help on every command, the demo command end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import cli

ROOT = Path(__file__).resolve().parents[2]


def _run(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *argv], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )


def test_help_lists_every_command():
    out = _run("--help")
    assert out.returncode == 0, out.stderr
    for name in cli.COMMANDS:  # a name longer than argparse's column ("shortfall") has its help on the next line
        assert re.search(rf"^    {name}(\s|$)", out.stdout, re.M), name
    assert {"demo", "report"} <= set(cli.COMMANDS)


@pytest.mark.parametrize("command", cli.COMMANDS)
def test_every_command_has_help(command):
    out = _run(command, "--help")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"usage: python -m cli {command}")


def test_unknown_command_and_missing_command_exit_2(capsys):
    assert cli.main(["nope"]) == 2
    assert cli.main([]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_demo_builds_a_desk_in_its_own_path(tmp_path):
    """A separate process (chdb binds one path per process), on a 35-coin (the fewest), 3-day desk."""
    path = tmp_path / "desk.chdb"
    env = {k: v for k, v in os.environ.items() if k != "CLICKHOUSE_URL"}
    out = _run("demo", "--path", str(path), "--end", "2025-12-08T06:00Z", "--days", "3", "--coins", "35", env=env)
    assert out.returncode == 0, out.stderr
    assert f"seeded {path}: 2025-12-05 .. 2025-12-08 06:00 UTC" in out.stdout
    assert "trades" in out.stdout and path.is_dir()
    again = _run("demo", "--path", str(path), "--end", "2025-12-08T06:00Z", "--days", "3", "--coins", "35", env=env)
    assert again.returncode == 0 and "already seeded" in again.stdout


def test_demo_refuses_start_and_days_together():
    out = _run("demo", "--start", "2025-12-01T00:00Z", "--days", "3")
    assert out.returncode == 2 and "not both" in out.stderr


def test_demo_with_two_accounts_names_both(tmp_path):
    path = tmp_path / "desk2.chdb"
    env = {k: v for k, v in os.environ.items() if k != "CLICKHOUSE_URL"}
    out = _run(
        "demo",
        "--path",
        str(path),
        "--end",
        "2025-12-08T06:00Z",
        "--days",
        "2",
        "--coins",
        "35",
        "--accounts",
        "2",
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert (
        "accounts 0x7a3f5c1e9b2d4f60a8c3e7b1d5f9a2c4e6b8d0f3, 0x7a3f5c1e9b2d4f60a8c3e7b1d5f9a2c4e6b8d0f3:sub1"
        in out.stdout
    )


@pytest.mark.parametrize("value", ["0", "4", "two", "-1", "1.5", "２"])
def test_demo_refuses_an_account_count_it_cannot_build(value, tmp_path):
    out = _run("demo", "--path", str(tmp_path / "never.chdb"), "--accounts", value)
    assert out.returncode == 2
    assert "argument --accounts: must be a whole number from 1 to 3" in out.stderr
    assert not (tmp_path / "never.chdb").exists()


@pytest.mark.parametrize(
    "value,said",
    [("20", "20 coins: the demo desk needs at least 35 (the playbook's names)"), ("many", "'many' is not a whole")],
)
def test_demo_refuses_fewer_coins_than_the_playbook_names(value, said, tmp_path):
    out = _run("demo", "--path", str(tmp_path / "never.chdb"), "--coins", value)
    assert out.returncode == 2 and f"argument --coins: {said}" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "never.chdb").exists()
