"""The live demo (ui/shell/bootstrap.py) never touches a configured ClickHouse.

The session engine is a *configured* `chdb://` path (tests/conftest.py sets
CLICKHOUSE_URL): the whole app runs on it here, and afterwards no row of any
table changed, no feeder heartbeat was written and no feeder thread runs.
"""

from __future__ import annotations

import threading

from lib.config import DEMO_FEEDER_MONITOR, table_map


def _fingerprint(engine) -> dict[str, tuple]:
    out = {}
    for name in table_map().tables:
        out[name] = engine.query(
            f"SELECT count(), groupBitXor(cityHash64(*)) FROM {table_map().qualified(name)}"
        ).result_rows[0]
    out["state"] = engine.query("SELECT count(), max(end_ms) FROM maicro_monitors.demo_desk_state").result_rows[0]
    return out


def test_a_configured_chdb_path_is_never_written(app, desk_client, engine):
    before = _fingerprint(engine)
    at = app("pages/system_health.py")
    assert not at.exception
    at = app("pages/overview.py")
    assert not at.exception
    sidebar = " ".join(m.value for m in at.sidebar.markdown) + " ".join(
        getattr(e, "body", "") for e in list(at.sidebar.info) + list(at.sidebar.success)
    )
    assert "live, simulated" not in sidebar
    assert not [t for t in threading.enumerate() if t.name == "demo-feeder"]
    assert _fingerprint(engine) == before
    beats = engine.command(
        f"SELECT count() FROM {table_map().qualified('heartbeat')} WHERE monitor = '{DEMO_FEEDER_MONITOR}'"
    )
    assert int(beats) == 0
