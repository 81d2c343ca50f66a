"""Browser benchmark: every page as a person sees it, in Chromium, against Streamlit's own floor.

    python -m bench.browser [--coins 200] [--days 365] [--sessions 10] [--loads 5] [--rounds 5]
                            [--out bench/browser.json] [--path DIR] [--pages a,b] [--quick]

Seeds its own desk (and the same desk with twice the history) like `bench.run`,
starts a real Streamlit server on it (`bench/serve.py`: Streamlit's own server,
plus a loopback control port that clears the caches and replays the recorded
statements) and drives the system Chromium through Playwright. Per page:

  warm_s             median of LOADS loads, each in a fresh browser context, from
                     navigation to settled, with the server's caches warm
  cold_s             the same with every server cache cleared before each load
  bare_s             the same harness on a page that shows only a title (Streamlit's floor)
  floor_s            ... on a page with a title, one small Plotly chart and one small grid
                     (bench/floor_app.py): the front-end code every desk page loads
  sql_only_s         the statements of a cold load, replayed straight on ClickHouse
  ws_bytes           bytes the server sent over the websocket for one load
  ws_bytes_2x        the same on the desk with twice the history
  largest_elements   the five biggest messages by bytes (element type, bytes)
  switch_s           what a trader feels all day: ONE browser context (the tab left open), the server's
                     caches warm, a real mouse click on the page's link in the sidebar navigation, to that
                     page settled (its title up, then the same rule as below, the clock reset at the click);
                     the pages are visited round-robin ROUNDS times after one warming round, median per page
                     (switch_runs: every switch). No websocket connect and no code download: a script rerun
                     plus the front end's redraw. Diagnostics beside it: switch_painted_s, the last change
                     outside a <canvas> (whose children are never painted: a grid redraws its accessibility
                     table there ~250 ms after its last paint), and switch_last_change, what changed last.

"Settled" = the page has its title, Streamlit shows no running status, no stale
element, spinner or skeleton, and the DOM has not changed for QUIET_MS; the time
reported is that of the last DOM change (performance.now() in the page).

Then SESSIONS browser contexts load the pages at once, round-robin: p50_s / p95_s
of their settle times against single_p50_s (the median warm load of the same pages),
and SESSIONS of the bare and the floor page at once, for what the browsers alone
cost when they share the machine's cores with the server.

`targets` in the JSON: issue 24's limits with pass/fail: switch_s <= 1.0 s, (warm - floor) / bare <= 1.0
(content_over_bare), (cold - floor) / SQL-only <= 2.5 (cold_over_sql_floor), and the pages' p95 / single
under SESSIONS at once within 1.3x the floor page's under the same load (concurrency.over_floor).
`--quick` (with e.g. `--loads 2 --rounds 2 --pages trades`) is for iterating: no concurrency and no
2x-history phase, and the JSON goes to a temp file unless --out says where.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import _tables_for, seed  # noqa: E402
from tests.browser.chromium import CHROMIUM_FLAGS, chromium_path  # noqa: E402
from tests.fault_servers import free_port  # noqa: E402

PAGES = {
    "overview": "",
    "positions": "positions",
    "trades": "trades",
    "tracking_error": "tracking_error",
    "system_health": "system_health",
}
TITLES = {
    "overview": "Overview",
    "positions": "Positions",
    "trades": "Trades",
    "tracking_error": "Tracking Error",
    "system_health": "System Health",
}
SWITCH_ROUNDS = 5
# issue 24's targets: a page switch, the first visit, and ten sessions at once
TARGET_SWITCH_S = 1.0
TARGET_CONTENT_OVER_BARE = 1.0
TARGET_COLD_OVER_SQL_FLOOR = 2.5
TARGET_CONCURRENCY_OVER_FLOOR = 1.3
VIEWPORT = {"width": 1440, "height": 900}
QUIET_MS = 1000
TIMEOUT_MS = 180_000

# Before any page script runs: remember when the DOM last changed.
_OBSERVER = """
window.__lastChange = 0;
window.__lastWhat = '';
window.__lastPainted = 0;
new MutationObserver((records) => {
  window.__lastChange = performance.now();
  const t = records[records.length - 1].target;
  const el = t.nodeType === 1 ? t : t.parentElement;
  const owner = el && el.closest('[data-testid]');
  window.__lastWhat = owner ? owner.getAttribute('data-testid') : (el ? el.tagName : '');
  // a canvas's children are never painted (a grid's accessibility table lives there): what the reader can see
  // last changed at the newest record outside one
  for (const r of records) {
    const n = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    if (!(n && n.closest('canvas'))) { window.__lastPainted = window.__lastChange; break; }
  }
}).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
// a click (a page switch in one tab) restarts the clock: the switch is timed from the click
window.__clickAt = 0;
document.addEventListener('click', () => {
  window.__clickAt = performance.now();
  window.__lastChange = window.__clickAt;
  window.__lastPainted = window.__clickAt;
}, true);
"""
# Settled: the page's title is up (one starting with `title`, after a click in the sidebar; any, when it is ''),
# Streamlit shows no running status, no stale element, spinner or skeleton, and the DOM has been quiet since.
_SETTLED = """([title, quietMs]) => {
    const h = document.querySelector('h1');
    if (!h || !(h.innerText || '').trim().startsWith(title)) return false;
    const s = document.querySelector('[data-testid="stStatusWidget"]');
    if (s && /running|stop/i.test(s.innerText || '')) return false;
    if (document.querySelector('[data-stale="true"], [data-testid="stSpinner"], [data-testid="stSkeleton"]'))
        return false;
    return performance.now() - window.__lastChange > quietMs;
}"""


class Server:
    """`python -m bench.serve SCRIPT` in a child process, with its control port."""

    def __init__(self, script: Path, env: dict[str, str], log: Path) -> None:
        self.port, self.control = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.serve",
                str(script),
                "--port",
                str(self.port),
                "--control-port",
                str(self.control),
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"server did not start:\n{log.read_text()[-3000:]}")

    def call(self, action: str) -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.control}/{action}", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=TIMEOUT_MS / 1000) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _element_kind(payload: bytes) -> str:
    """What one websocket message carries: the element type of a new element, else the message type."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload)
    except Exception:  # noqa: BLE001 - not a ForwardMsg: counted, labelled as such
        return "unparsed"
    kind = msg.WhichOneof("type") or "empty"
    if kind == "delta":
        delta = msg.delta
        which = delta.WhichOneof("type")
        if which == "new_element":
            return f"element:{delta.new_element.WhichOneof('type')}"
        if which == "add_block":
            return "block"
        return f"delta:{which}"
    return kind


def load(browser: Any, url: str, keep_frames: bool = False) -> dict:
    """One load in a fresh context: settle time, websocket bytes, and (optionally) the messages' sizes."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(_OBSERVER)
    page = context.new_page()
    frames: list[bytes] = []

    def on_socket(ws: Any) -> None:
        ws.on(
            "framereceived", lambda payload: frames.append(payload if isinstance(payload, bytes) else payload.encode())
        )

    page.on("websocket", on_socket)
    try:
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        page.wait_for_function(_SETTLED, arg=["", QUIET_MS], polling=100, timeout=TIMEOUT_MS)
        settled_s = page.evaluate("window.__lastChange") / 1000.0
        last_what = page.evaluate("window.__lastWhat")
        errors = page.locator('[data-testid="stException"]').count()
    finally:
        context.close()
    out = {
        "settle_s": round(settled_s, 3),
        "ws_bytes": sum(len(f) for f in frames),
        "exceptions": errors,
        "last_change": last_what,
    }
    if keep_frames:
        out["frames"] = [(len(f), _element_kind(f)) for f in frames]
    return out


def _largest(frames: list[tuple[int, str]], n: int = 5) -> list[dict]:
    return [{"kind": kind, "bytes": size} for size, kind in sorted(frames, reverse=True)[:n]]


def measure_pages(browser: Any, server: Server, names: list[str], loads: int) -> dict[str, dict]:
    results: dict[str, dict] = {}
    for name in names:
        url = f"{server.url}/{PAGES[name]}"
        load(browser, url)  # warm the server's caches (and its imports) for this page
        warm = [load(browser, url, keep_frames=(i == 0)) for i in range(loads)]
        cold, replays = [], []
        for _ in range(loads):
            server.call("clear")
            server.call("record/start")
            cold.append(load(browser, url))
            replays.append(server.call("record/stop"))
        results[name] = {
            "warm_s": statistics.median(r["settle_s"] for r in warm),
            "cold_s": statistics.median(r["settle_s"] for r in cold),
            "sql_only_s": statistics.median(r["sql_only_s"] for r in replays),
            "statements": replays[0]["statements"],
            "rows_to_python": replays[0]["rows"],
            "ws_bytes": int(statistics.median(r["ws_bytes"] for r in warm)),
            "largest_elements": _largest(warm[0]["frames"]),
            "exceptions": sum(r["exceptions"] for r in warm + cold),
            "last_change": warm[-1]["last_change"],
        }
        r = results[name]
        print(
            f"{name:<15} warm {r['warm_s']:.2f}s cold {r['cold_s']:.2f}s sql {r['sql_only_s']:.3f}s "
            f"ws {r['ws_bytes'] / 1e3:.0f} kB",
            flush=True,
        )
    return results


def measure_reference(browser: Any, tmp: Path, loads: int, script: str, sessions: int) -> dict:
    """A reference page (bench/bare_app.py, bench/floor_app.py): its median load, and `sessions` of it at once
    (what the browsers alone cost when they share this machine's cores with the server)."""
    server = Server(ROOT / "bench" / script, {}, tmp / f"{script}.log")
    try:
        load(browser, server.url)
        single = statistics.median(load(browser, server.url)["settle_s"] for _ in range(loads))
        if not sessions:
            return {"single_s": round(single, 3)}
        together = concurrency(browser, server, ["reference"], sessions, {"reference": ""})
        return {
            "single_s": round(single, 3),
            "p95_s": together["p95_s"],
            "p95_over_single": round(together["p95_s"] / single, 3),
        }
    finally:
        server.stop()


def switch(browser: Any, server: Server, names: list[str], rounds: int) -> dict[str, dict]:
    """A trader's tab open all day: ONE browser context, the server's caches warm, a real mouse click on each
    page's link in the sidebar navigation in turn (`rounds` times round-robin, after one round that warms the
    tab's front-end code); per page the median time from the click to that page settled."""
    cycle = list(names) if len(names) > 1 else [*names, next(n for n in PAGES if n not in names)]
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(_OBSERVER)
    page = context.new_page()
    times: dict[str, list[float]] = {name: [] for name in names}
    painted: dict[str, list[float]] = {name: [] for name in names}
    last: dict[str, list[str]] = {name: [] for name in names}
    errors = 0
    try:
        page.goto(f"{server.url}/{PAGES[cycle[-1]]}", wait_until="commit", timeout=TIMEOUT_MS)
        page.wait_for_function(_SETTLED, arg=["", QUIET_MS], polling=100, timeout=TIMEOUT_MS)
        for round_ in range(rounds + 1):
            for name in cycle:
                link = page.locator('[data-testid="stSidebarNav"] a').filter(has_text=TITLES[name]).first
                link.click(timeout=TIMEOUT_MS)
                page.wait_for_function(_SETTLED, arg=[TITLES[name], QUIET_MS], polling=100, timeout=TIMEOUT_MS)
                took, shown, what = page.evaluate(
                    "[window.__lastChange - window.__clickAt, window.__lastPainted - window.__clickAt, window.__lastWhat]"
                )
                errors += page.locator('[data-testid="stException"]').count()
                if round_ and name in times:  # round 0 warms
                    times[name].append(took / 1000.0)
                    painted[name].append(shown / 1000.0)
                    last[name].append(what)
    finally:
        context.close()
    return {
        name: {
            "switch_s": round(statistics.median(t), 3),
            "switch_runs": [round(x, 3) for x in t],
            # diagnostics, not a target: the last change a reader can see, and what changed last
            "switch_painted_s": round(statistics.median(painted[name]), 3),
            "switch_last_change": max(set(last[name]), key=last[name].count),
            "switch_exceptions": errors,
        }
        for name, t in times.items()
    }


def targets(out: dict) -> dict[str, dict]:
    """Issue 24's targets, each with the measured value(s) and pass/fail."""
    pages = out["pages"]

    def per_page(field: str, limit: float) -> dict:
        values = {name: r.get(field) for name, r in pages.items()}
        ok = all(v is not None and v <= limit for v in values.values())
        return {"limit": limit, "values": values, "pass": ok}

    result = {
        "switch_s": per_page("switch_s", TARGET_SWITCH_S),
        "content_over_bare": per_page("content_over_bare", TARGET_CONTENT_OVER_BARE),
        "cold_over_sql_floor": per_page("cold_over_sql_floor", TARGET_COLD_OVER_SQL_FLOOR),
    }
    conc, floor = out.get("concurrency"), out.get("floor")
    if conc and floor and conc.get("p95_over_single") and floor.get("p95_over_single"):
        ratio = round(conc["p95_over_single"] / floor["p95_over_single"], 3)
        result["concurrency_over_floor"] = {
            "limit": TARGET_CONCURRENCY_OVER_FLOOR,
            "values": {"pages": conc["p95_over_single"], "floor": floor["p95_over_single"], "ratio": ratio},
            "pass": ratio <= TARGET_CONCURRENCY_OVER_FLOOR,
        }
    result["all_pass"] = {"pass": all(t["pass"] for t in result.values())}
    return result


def concurrency(browser: Any, server: Server, names: list[str], sessions: int, paths: dict[str, str] = PAGES) -> dict:
    """`sessions` fresh contexts start their loads together, pages round-robin; their settle times."""
    contexts, pages = [], []
    for i in range(sessions):
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(_OBSERVER)
        contexts.append(context)
        pages.append((names[i % len(names)], context.new_page()))
    for name, page in pages:
        page.goto(f"{server.url}/{paths[name]}", wait_until="commit", timeout=TIMEOUT_MS)
    times, errors = [], 0
    for _name, page in pages:
        page.wait_for_function(_SETTLED, arg=["", QUIET_MS], polling=200, timeout=TIMEOUT_MS)
        times.append(page.evaluate("window.__lastChange") / 1000.0)
        errors += page.locator('[data-testid="stException"]').count()
    for context in contexts:
        context.close()
    times.sort()
    return {
        "sessions": sessions,
        "p50_s": round(statistics.median(times), 3),
        "p95_s": round(times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))], 3),
        "max_s": round(times[-1], 3),
        "exceptions": errors,
    }


def _chromium() -> str:
    found = chromium_path()
    if found is None:
        raise SystemExit("chromium is not installed: run scripts/ensure_chromium.sh")
    return found


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(out: dict) -> str:
    lines = [
        "| page | switch s | warm s | cold s | SQL-only s | (warm−bare)/bare | (warm−floor)/bare | (cold−bare)/SQL | "
        "(cold−floor)/SQL | ws kB | ws 2x/1x |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in out["pages"].items():
        lines.append(
            f"| {name} | {_num(r.get('switch_s'))} | {r['warm_s']:.2f} | {r['cold_s']:.2f} | {r['sql_only_s']:.3f} | "
            f"{_num(r['warm_over_bare'])} | {_num(r['content_over_bare'])} | {_num(r['cold_over_sql'])} | "
            f"{_num(r['cold_over_sql_floor'])} | {r['ws_bytes'] / 1e3:.0f} | {_num(r.get('ws_ratio_2x'))} |"
        )
    c, bare, floor = out["concurrency"], out["bare"], out["floor"]
    lines.append(f"\nbare {bare['single_s']:.2f} s, floor (title + one chart + one grid) {floor['single_s']:.2f} s")
    if c:
        lines.append(
            f"{c['sessions']} sessions at once: p50 {c['p50_s']:.2f} s, p95 {c['p95_s']:.2f} s, "
            f"single p50 {c['single_p50_s']:.2f} s (p95 / single p50 = {c['p95_over_single']:.2f}); "
            f"the same on the bare page {bare['p95_over_single']:.2f}, on the floor page "
            f"{floor['p95_over_single']:.2f} (pages / floor = {c['over_floor']:.2f})"
        )
    lines.append("\ntargets (issue 24):")
    for name, t in out.get("targets", {}).items():
        if name == "all_pass":
            continue
        lines.append(f"  {'PASS' if t['pass'] else 'FAIL'} {name} ≤ {t['limit']}: {t['values']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from lib.demo.simulation.market import coin_count

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--coins", type=coin_count, default=200)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=SWITCH_ROUNDS, help="page switches per page (one tab)")
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument(
        "--quick",
        action="store_true",
        help="for iterating: no concurrency and no 2x-history phase, and the JSON goes to a temp file unless --out",
    )
    ap.add_argument("--out", default=None, help="default bench/browser.json")
    ap.add_argument("--path", default=None, help="engine directory (default: a temp dir; reuse to skip seeding)")
    a = ap.parse_args(argv)
    names = [n for n in a.pages.split(",") if n]
    unknown = [n for n in names if n not in PAGES]
    if unknown or not names:
        ap.error(f"--pages: unknown {unknown}; choose from {','.join(PAGES)}")
    tmp = Path(tempfile.mkdtemp(prefix="desk-browser-bench-"))
    out_path = Path(a.out) if a.out else (tmp / "browser.json" if a.quick else ROOT / "bench" / "browser.json")
    path = Path(a.path) if a.path else tmp / "desk.chdb"
    seeded = seed(path, a.coins, a.days)
    url = f"chdb://{path.resolve()}"
    sessions = 0 if a.quick else a.sessions
    load_at_start = os.getloadavg()  # the machine is shared: a run on a busy one says so in its JSON

    from playwright.sync_api import sync_playwright

    conc: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=list(CHROMIUM_FLAGS), headless=True)
        bare = measure_reference(browser, tmp, a.loads, "bare_app.py", sessions)
        floor = measure_reference(browser, tmp, a.loads, "floor_app.py", sessions)
        bare_s, floor_s = bare["single_s"], floor["single_s"]
        print(f"bare            {bare_s:.2f}s ({sessions} at once: p95 {bare.get('p95_s', 0):.2f}s)", flush=True)
        print(f"floor           {floor_s:.2f}s ({sessions} at once: p95 {floor.get('p95_s', 0):.2f}s)", flush=True)
        server = Server(
            ROOT / "app.py", {"CLICKHOUSE_URL": url, "DESK_TABLES": json.dumps(_tables_for("b1"))}, tmp / "app-1x.log"
        )
        try:
            pages = measure_pages(browser, server, names, a.loads)
            switches = switch(browser, server, names, a.rounds)
            for name, r in switches.items():
                pages[name].update(r)
                print(
                    f"{name:<15} switch {r['switch_s']:.2f}s {r['switch_runs']} (painted {r['switch_painted_s']:.2f}s;"
                    f" last change: {r['switch_last_change']})",
                    flush=True,
                )
            if sessions:
                conc = concurrency(browser, server, names, sessions)
        finally:
            server.stop()
        if not a.quick:
            server = Server(
                ROOT / "app.py",
                {"CLICKHOUSE_URL": url, "DESK_TABLES": json.dumps(_tables_for("b2"))},
                tmp / "app-2x.log",
            )
            try:
                for name in names:
                    page_url = f"{server.url}/{PAGES[name]}"
                    load(browser, page_url)
                    pages[name]["ws_bytes_2x"] = int(
                        statistics.median(load(browser, page_url)["ws_bytes"] for _ in range(3))
                    )
            finally:
                server.stop()
        browser.close()

    for r in pages.values():
        r["warm_over_bare"] = round((r["warm_s"] - bare_s) / bare_s, 3)
        r["cold_over_sql"] = round((r["cold_s"] - bare_s) / r["sql_only_s"], 3) if r["sql_only_s"] else None
        # the first visit: the same two with the chart and grid code's own load (floor_s) counted as floor,
        # not as content; issue 24's targets are on these two
        r["content_over_bare"] = round((r["warm_s"] - floor_s) / bare_s, 3)
        r["cold_over_sql_floor"] = round((r["cold_s"] - floor_s) / r["sql_only_s"], 3) if r["sql_only_s"] else None
        r["ws_ratio_2x"] = round(r["ws_bytes_2x"] / r["ws_bytes"], 3) if r.get("ws_bytes_2x") else None
    if conc:
        single = statistics.median(r["warm_s"] for r in pages.values())
        conc["single_p50_s"] = round(single, 3)
        conc["p95_over_single"] = round(conc["p95_s"] / single, 3) if single else None
        conc["over_floor"] = round(conc["p95_over_single"] / floor["p95_over_single"], 3)
    out = {
        "pages": pages,
        "bare_s": round(bare_s, 3),
        "floor_s": round(floor_s, 3),
        "bare": bare,
        "floor": floor,
        "concurrency": conc,
        "params": {
            "coins": a.coins,
            "days": a.days,
            "sessions": sessions,
            "loads": a.loads,
            "switch_rounds": a.rounds,
            "pages": names,
            "quick": a.quick,
            "quiet_ms": QUIET_MS,
            "viewport": VIEWPORT,
            "seeded": seeded,
            "cpus": os.cpu_count(),
            "load_average_1m": {"start": round(load_at_start[0], 2), "end": round(os.getloadavg()[0], 2)},
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    }
    out["targets"] = targets(out)
    out_path.write_text(json.dumps(out, indent=2, default=str) + "\n")
    print(table(out))
    print(f"written to {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
