"""The command line beside a running app: the embedded demo is locked by another process.

chdb lets one process open a database directory. A holder process (standing in
for the dashboard) opens a small demo desk and keeps it open; the commands then
run in their own processes, as a user would run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time, clickhouse_connect
c = clickhouse_connect.get_client(dsn="chdb://" + sys.argv[1])
c.command("SELECT 1")
print("ready", flush=True)
sys.stdin.read()  # until the test closes stdin
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CLICKHOUSE_URL", "CLICKHOUSE_SECONDARY_URL")}
    return {**env, **extra}


def _cli(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The command run to its end; one that waited for the holder's lock would never end, and fails on the
    timeout (how fast it is belongs in bench/, not here)."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *argv], cwd=ROOT, capture_output=True, text=True, timeout=90, env=env
    )


@pytest.fixture(scope="module")
def held(tmp_path_factory):
    """A 3-day, 35-coin desk (Dec 5-8 2025) held open by another process."""
    path = tmp_path_factory.mktemp("held") / "desk.chdb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "demo",
            "--path",
            str(path),
            "--end",
            "2025-12-08T06:00Z",
            "--days",
            "3",
            "--coins",
            "35",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
        env=_env(),
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout.readline().strip() == "ready"
    yield path, proc.pid
    proc.stdin.close()
    proc.wait(20)


def test_report_reads_a_read_only_copy_of_a_running_demo(held):
    path, pid = held
    out = _cli("report", "--date", "2025-12-07", "--json", env=_env(CLICKHOUSE_URL=f"chdb://{path}"))
    assert out.returncode == 0, out.stderr
    assert f"{path} is open in process {pid}" in out.stderr and "read-only copy" in out.stderr
    assert '"date": "2025-12-07"' in out.stdout
    assert not [p for p in path.parent.iterdir() if "snapshot" in p.name]  # the copy is gone afterwards


def test_report_matches_the_desk_itself(held, tmp_path):
    """The copy is the desk: the same report as from an unlocked copy of the directory."""
    import shutil

    path, _ = held
    locked = _cli("report", "--date", "2025-12-06", "--json", env=_env(CLICKHOUSE_URL=f"chdb://{path}"))
    free = tmp_path / "free.chdb"
    shutil.copytree(path, free, symlinks=True, ignore=shutil.ignore_patterns("status"))
    direct = _cli("report", "--date", "2025-12-06", "--json", env=_env(CLICKHOUSE_URL=f"chdb://{free}"))
    assert locked.returncode == direct.returncode == 0, (locked.stderr, direct.stderr)
    assert locked.stdout == direct.stdout and direct.stderr == ""


def test_demo_on_a_held_path_says_who_holds_it_and_what_to_do(held):
    path, pid = held
    out = _cli("demo", "--path", str(path), "--force", env=_env())
    assert out.returncode == 3
    msg = out.stderr
    assert f"the embedded database {path} is open in" in msg and f"process {pid}" in msg
    assert "Stop that process" in msg
    assert "python -m cli demo --path <dir>" in msg and "CLICKHOUSE_URL=chdb://<dir>" in msg
    assert "unreachable" not in msg.lower()


def test_the_client_names_the_lock_not_unreachable(held):
    """Without the command line's copy (e.g. a second dashboard on the same path), the read-only
    client fails with kind 'locked' and the same message, without waiting for the lock (the timeout)."""
    path, pid = held
    code = (
        "import sys\n"
        "from lib.clickhouse.client import DeskClient, QueryFailed, resolve_settings\n"
        "c = DeskClient(resolve_settings({'CLICKHOUSE_URL': 'chdb://' + sys.argv[1]}))\n"
        "try:\n    c.query_arrow('SELECT 1')\n"
        "except QueryFailed as e:\n    print(e.kind); print(e.headline); print(e.detail)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60, env=_env()
    )
    kind, headline, detail = out.stdout.strip().splitlines()[:3]
    assert kind == "locked" and headline.startswith("Embedded database in use by another process")
    assert f"process {pid}" in detail and "python -m cli demo --path <dir>" in detail
    assert "unreachable" not in out.stdout.lower()
