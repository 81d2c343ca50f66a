"""Where one page's render time goes: wall time per function, one cold and one warm render.

    python -m bench.phases PAGE --path DIR [--wrap module.function ...]

Uses a desk seeded by `bench.run --path DIR` (the 1x-history databases). It
wraps the query choke point, the ClickHouse call, the rerun cache, the sidebar,
the chart hand-off and any `--wrap` function with timers (no profiler, so the
numbers are real wall times; nested functions are counted in each wrapper),
renders the page cold then warm with the benchmark's harness, and prints the
totals, largest first. A cProfile would double the cost of Python-heavy code.
"""

from __future__ import annotations

import argparse
import collections
import functools
import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_WRAPS = (
    "queries.engine.run.run",
    "ui.shell.sidebar.render",
    "ui.cache.frame_digest",
    "ui.plot.show",
    "ui.tables.show_category_table",
)

totals: dict[str, float] = collections.defaultdict(float)


def _timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - t0

    return wrapper


def wrap(path: str) -> None:
    """Time `module.function` (or `module.Class.method`) wherever it is looked up through its module."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attr in parts[split:-1]:
            owner = getattr(owner, attr)
        setattr(owner, parts[-1], _timed(path, getattr(owner, parts[-1])))
        return
    raise SystemExit(f"cannot wrap {path}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("page", choices=["overview", "positions", "trades", "tracking_error", "system_health"])
    ap.add_argument("--path", required=True, help="engine directory seeded by `bench.run --path`")
    ap.add_argument("--wrap", nargs="*", default=[], help="more functions to time, as module.function")
    args = ap.parse_args(argv)

    os.environ["CLICKHOUSE_URL"] = f"chdb://{Path(args.path).resolve()}"
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from bench import run as bench

    bench._share_script_cache()
    from ui.shell import router

    router.use_navigation()
    bench._use_tables("b1")
    for path in (*DEFAULT_WRAPS, "lib.clickhouse.client.DeskClient.query_arrow", *args.wrap):
        wrap(path)

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import cache, data

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.switch_page(bench.PAGES[args.page])
    at.run()  # imports and compiles out of the way
    for mode in ("cold", "warm"):
        if mode == "cold":
            st.cache_data.clear()
            cache.clear()
            data.clear()
        totals.clear()
        t0 = time.perf_counter()
        at.run()
        total = time.perf_counter() - t0
        print(f"== {args.page} {mode}: {total * 1000:.1f} ms (exceptions: {[e.value for e in at.exception]})")
        for label, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
            print(f"   {label:50s} {seconds * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
