"""A real Streamlit server for `bench.browser`, with a loopback control port beside it.

    python -m bench.serve SCRIPT --port P --control-port C

Runs SCRIPT (app.py, or bench/bare_app.py) with Streamlit's own server, exactly
as `streamlit run` does, in this process. The control port (127.0.0.1 only,
benchmark use only, never part of the product) lets the benchmark do what only
the server process can:

    POST /clear         clear every cache: queries (st.cache_data), views and
                        sections (ui.cache), remembered last good results
    POST /record/start  start recording the statements the queries run
    POST /record/stop   stop, replay them straight on ClickHouse (Arrow, no
                        Python work) and answer {"statements", "rows", "sql_only_s"}
    POST /trim          malloc_trim(0): how much resident memory the heap gives back
    POST /stats         what this process holds (bench.soak samples it): the remembered
                        last good results (count, MB), ClickHouse's own tracked memory
                        (chdb runs in this process), live Python objects

The replay runs in this process because chdb binds one database path per process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_recording: dict = {}


def _clear() -> dict:
    import streamlit as st

    from ui import cache, data

    st.cache_data.clear()
    cache.clear()
    data.clear()
    return {"cleared": True}


def _record_start() -> dict:
    from queries.engine import run as _base

    manager = _base.recording()
    log = manager.__enter__()
    _recording.update(manager=manager, log=log)
    return {"recording": True}


def _record_stop(repeats: int = 3) -> dict:
    from lib.clickhouse.client import default_client

    manager, log = _recording.pop("manager"), _recording.pop("log")
    manager.__exit__(None, None, None)
    client = default_client()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for sql, params, _rows in log:
            client.query_arrow(sql, params)
        times.append(time.perf_counter() - t0)
    return {
        "statements": len(log),
        "rows": sum(rows for _s, _p, rows in log),
        "sql_only_s": round(statistics.median(times), 4),
    }


def _malloc() -> dict:
    """glibc's heap: in use, free but kept (fragmentation/retention), mmapped; MB."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_size_t)
            for name in (
                "arena",
                "ordblks",
                "smblks",
                "hblks",
                "hblkhd",
                "usmblks",
                "fsmblks",
                "uordblks",
                "fordblks",
                "keepcost",
            )
        ]

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    mb = 2**20
    return {
        "malloc_in_use_mb": round(info.uordblks / mb, 1),
        "malloc_free_kept_mb": round(info.fordblks / mb, 1),
        "malloc_mmapped_mb": round(info.hblkhd / mb, 1),
    }


def _trim() -> dict:
    """Give the heap's free pages back to the OS (malloc_trim) and say how much RSS that returned."""
    import ctypes
    import os

    def rss() -> float:
        for line in open(f"/proc/{os.getpid()}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    before = rss()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    return {"rss_before_mb": round(before, 1), "rss_after_mb": round(rss(), 1)}


def _stats() -> dict:
    import gc

    import pyarrow as pa

    from lib.clickhouse.client import default_client
    from ui import data

    out: dict = {"python_objects": len(gc.get_objects()), "arrow_mb": round(pa.total_allocated_bytes() / 2**20, 1)}
    out.update(data.remembered_size())
    out.update(_malloc())
    try:
        table = default_client().query_arrow(
            "SELECT metric, value FROM system.metrics WHERE metric IN ('MemoryTracking', 'MergesMutationsMemoryTracking')"
        )
        for metric, value in zip(table.column("metric").to_pylist(), table.column("value").to_pylist()):
            out[f"clickhouse_{metric}_mb"] = round(value / 2**20, 1)
    except Exception as exc:  # noqa: BLE001 - a benchmark probe: report, do not fail the sample
        out["clickhouse_error"] = str(exc)[:200]
    return out


class _Control(BaseHTTPRequestHandler):
    ROUTES = {
        "/clear": _clear,
        "/record/start": _record_start,
        "/record/stop": _record_stop,
        "/stats": _stats,
        "/trim": _trim,
    }

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        action = self.ROUTES.get(self.path)
        if action is None:
            self.send_error(404)
            return
        body = json.dumps(action()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # quiet
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("script")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--control-port", type=int, default=None)
    a = ap.parse_args()
    if a.control_port:
        control = ThreadingHTTPServer(("127.0.0.1", a.control_port), _Control)
        threading.Thread(target=control.serve_forever, name="bench-control", daemon=True).start()
    from streamlit.web import bootstrap

    flags = {
        "server.port": a.port,
        "server.address": "127.0.0.1",
        "server.headless": True,
        "browser.gatherUsageStats": False,
        "server.fileWatcherType": "none",
    }
    bootstrap.load_config_options(flag_options=flags)  # what `streamlit run --server.port ...` does
    bootstrap.run(a.script, False, [], flags)


if __name__ == "__main__":
    main()
