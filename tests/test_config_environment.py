"""A bad DESK_* number in the environment: every entry point names the variable and the form it expects.

lib/config.py reads these at import; `int("20s")` there used to raise a bare ValueError in every entry point
(the app, every command) before anything could explain it. Each case runs in a fresh process, since the values
are read when lib.config is first imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = [
    ("DESK_QUERY_TIME_LIMIT_S", "20s", "a whole number from 1 to 3600"),
    ("DESK_QUERY_TIME_LIMIT_S", "0", "a whole number from 1 to 3600"),
    ("DESK_CONNECT_TIMEOUT_S", "5.5", "a whole number from 1 to 3600"),
    ("DESK_REGIME_TREND_UP", "2%", "a number from 0.0001 to 1"),
    ("DESK_REGIME_TREND_DOWN", "nan", "a number from -1 to -0.0001"),
    ("DESK_DEMO_TICK_S", "fast", "a number from 1 to 60"),
    ("DESK_DEMO_REBUILD_DAYS", "-3", "a number from 0 to 3650"),
    ("DESK_INCEPTION", "2025-13-01", "a date from 2015-01-01 to today"),
    ("DESK_INCEPTION", "２０２５-03-01", "a date from 2015-01-01 to today"),
    ("DESK_INCEPTION", "2014-12-31", "a date from 2015-01-01 to today"),
]


def _env(name: str, value: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESK_")}
    return {**env, name: value, "CLICKHOUSE_URL": "http://127.0.0.1:9"}  # never reached


@pytest.mark.parametrize("name,value,form", BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_the_command_line_names_the_variable_and_runs_nothing(name, value, form):
    done = subprocess.run(
        [sys.executable, "-m", "cli", "report", "--date", "2025-12-07"],
        cwd=ROOT,
        env=_env(name, value),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert f"error: {name}={value!r} is not {form}" in done.stderr
    assert f"e.g. {name}=" in done.stderr  # the expected form, by example


APP_PROBE = """
import json
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=60).run()
print(json.dumps({"errors": [e.value for e in at.error], "exceptions": [e.value for e in at.exception]}))
"""


def test_the_app_names_the_variable_instead_of_a_traceback():
    import json

    done = subprocess.run(
        [sys.executable, "-c", APP_PROBE],
        cwd=ROOT,
        env=_env("DESK_QUERY_TIME_LIMIT_S", "20s"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["exceptions"] == []
    assert len(shown["errors"]) == 1
    assert "DESK_QUERY_TIME_LIMIT_S='20s' is not a whole number from 1 to 3600" in shown["errors"][0]


def test_the_connection_settings_name_where_a_bad_timeout_came_from():
    from lib.clickhouse.endpoints import resolve_settings
    from lib.config import ConfigError

    with pytest.raises(ConfigError, match=r"DESK_CONNECT_TIMEOUT_S='soon' is not a whole number of seconds"):
        resolve_settings({"DESK_CONNECT_TIMEOUT_S": "soon"}, {})
    with pytest.raises(ConfigError, match=r"\[connections.clickhouse\] query_time_limit_s='9999' must be between"):
        resolve_settings({}, {"query_time_limit_s": "9999"})
