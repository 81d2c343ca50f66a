"""Soak: many browser sessions with auto-refresh on the live demo for an hour; does the server's memory settle?

    python -m bench.soak [--sessions 10] [--minutes 60] [--sample-s 30] [--warmup-min 10]
                         [--after-min 5] [--every 30] [--out bench/soak.json] [--png bench/soak.png]

Builds the demo desk (`python -m cli demo`, in its own process), starts the app on it with Streamlit's own
server as `streamlit run app.py` does (`bench/serve.py`, whose loopback control port reports what the
process holds) with nothing configured (DESK_DEMO_PATH: the demo feeder catches it up and
writes new rows every DESK_DEMO_TICK_S, as a live desk would),
opens SESSIONS browser contexts in the system Chromium (Playwright), round-robin over the five pages,
each with the sidebar's shortest auto-refresh (`?every=30`), and samples every SAMPLE_S:

  rss_mb            the server process's resident memory (/proc/<pid>/status VmRSS)
  cache_mb          what Streamlit's own caches hold, by kind (its /_stcore/metrics: st.cache_data for
                    the queries and the drawn sections, st.cache_resource for the views)
  sessions          sessions the server holds (/_stcore/metrics)
  last_good(_mb)    the last good results ui/data.py remembers for a failure, clickhouse_*_mb the
                    memory chdb tracks (bench/serve.py's /stats)

After MINUTES the sessions close and sampling goes on for AFTER_MIN. The verdict: from WARMUP_MIN on
(the caches fill during the first minutes), every sample with the sessions open stays within
TOLERANCE (10 %) of the sample at WARMUP_MIN. Writes OUT (JSON: samples and verdict) and PNG (the
curve, drawn as SVG and rendered by the same Chromium: no plotting dependency).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.chromium import CHROMIUM_FLAGS as BROWSER_TEST_FLAGS  # noqa: E402
from tests.browser.chromium import chromium_path  # noqa: E402
from tests.fault_servers import free_port  # noqa: E402

PAGES = ("", "positions", "trades", "tracking_error", "system_health")
TOLERANCE = 0.10
CHROMIUM_FLAGS = [
    *BROWSER_TEST_FLAGS,
    "--disable-background-timer-throttling",  # a hidden tab's timers (the auto-refresh) run on time
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
_METRIC = re.compile(r"^cache_memory_bytes\{(?P<labels>[^}]*)\} (?P<v>[0-9.eE+]+)")
_KIND = re.compile(r'cache_type="(?P<kind>[^"]+)"')
_SESSIONS = re.compile(r"^active_sessions (?P<v>[0-9.eE+]+)", re.M)


def rss_mb(pid: int) -> float:
    """Resident memory of one process, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for {pid}")


def cache_metrics(url: str) -> dict[str, Any]:
    """Streamlit's cache memory by kind (MB) and its session count, from /_stcore/metrics."""
    try:
        query = "families=cache_memory_bytes&families=active_sessions"
        with urllib.request.urlopen(f"{url}/_stcore/metrics?{query}", timeout=10) as r:
            text = r.read().decode()
    except OSError:
        return {}
    by_kind: dict[str, float] = {}
    for line in text.splitlines():
        m = _METRIC.match(line)
        kind = _KIND.search(m["labels"]) if m else None
        if m and kind:
            by_kind[kind["kind"]] = by_kind.get(kind["kind"], 0.0) + float(m["v"]) / 1e6
    sessions = _SESSIONS.search(text)
    return {
        "cache_mb": {k: round(v, 1) for k, v in sorted(by_kind.items())},
        "sessions": int(float(sessions["v"])) if sessions else None,
    }


def build_demo(path: Path) -> None:
    """The demo desk as `python -m cli demo` builds it (in its own process, as a deployment would have it)."""
    subprocess.run([sys.executable, "-m", "cli", "demo", "--path", str(path)], cwd=ROOT, check=True, timeout=3600)


def control_stats(control: str) -> dict[str, Any]:
    """What the server holds beyond Streamlit's caches (bench/serve.py's /stats)."""
    try:
        req = urllib.request.Request(f"{control}/stats", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())
    except OSError as exc:
        return {"stats_error": str(exc)[:120]}


def start_server(workdir: Path, log: Path) -> tuple[subprocess.Popen, str, str]:
    """`streamlit run app.py` on the embedded demo desk in `workdir` (its feeder live: it catches the desk
    up, then writes new rows every DESK_DEMO_TICK_S)."""
    port, control = free_port(), free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("CLICKHOUSE_URL", "CLICKHOUSE_SECONDARY_URL", "DESK_TABLES")
    }
    env["DESK_DEMO_PATH"] = str(workdir / "demo.chdb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.serve",
            str(ROOT / "app.py"),
            "--port",
            str(port),
            "--control-port",
            str(control),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url, f"http://127.0.0.1:{control}"
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")


def wait_settled(page: Any, timeout_ms: int) -> None:
    """The page has its title and Streamlit shows no running status for a moment."""
    page.wait_for_selector("h1", timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const s = document.querySelector('[data-testid="stStatusWidget"]');
            const running = s && /running|stop/i.test(s.innerText || '');
            if (running) { window.__idle = 0; return false; }
            window.__idle = (window.__idle || 0) + 1;
            return window.__idle > 6;
        }""",
        polling=250,
        timeout=timeout_ms,
    )


def verdict(samples: list[dict[str, Any]], warmup_s: float, open_until_s: float) -> dict[str, Any]:
    """Within TOLERANCE of the RSS at the end of the warm-up, for every sample with the sessions open."""
    steady = [s for s in samples if warmup_s <= s["t_s"] <= open_until_s]
    if not steady:
        return {"ok": None, "why": "no sample after the warm-up"}
    ref = steady[0]["rss_mb"]
    lo, hi = min(s["rss_mb"] for s in steady), max(s["rss_mb"] for s in steady)
    worst = max(abs(hi - ref), abs(ref - lo)) / ref
    after = [s["rss_mb"] for s in samples if s["t_s"] > open_until_s]
    return {
        "ok": worst <= TOLERANCE,
        "reference_mb": round(ref, 1),
        "reference_t_s": steady[0]["t_s"],
        "min_mb": round(lo, 1),
        "max_mb": round(hi, 1),
        "end_open_mb": round(steady[-1]["rss_mb"], 1),
        "worst_deviation": round(worst, 4),
        "tolerance": TOLERANCE,
        "after_close_mb": round(after[-1], 1) if after else None,
    }


def curve_svg(samples: list[dict[str, Any]], result: dict[str, Any], warmup_s: float, open_until_s: float) -> str:
    """The RSS curve as an SVG: the tolerance band around the reference, the warm-up and close marks."""
    w, h, left, right, top, bottom = 960, 420, 70, 20, 40, 50
    ts = [s["t_s"] / 60 for s in samples]
    rs = [s["rss_mb"] for s in samples]
    ref = result.get("reference_mb") or rs[0]
    y_lo = min(min(rs), ref * (1 - TOLERANCE)) * 0.95
    y_hi = max(max(rs), ref * (1 + TOLERANCE)) * 1.05
    x_hi = max(ts[-1], 1.0)

    def x(v: float) -> float:
        return left + (w - left - right) * v / x_hi

    def y(v: float) -> float:
        return top + (h - top - bottom) * (1 - (v - y_lo) / (y_hi - y_lo))

    path = " ".join(f"{'M' if i == 0 else 'L'}{x(t):.1f},{y(r):.1f}" for i, (t, r) in enumerate(zip(ts, rs)))
    band = (
        f'<rect x="{x(warmup_s / 60):.1f}" y="{y(ref * (1 + TOLERANCE)):.1f}" '
        f'width="{x(open_until_s / 60) - x(warmup_s / 60):.1f}" '
        f'height="{y(ref * (1 - TOLERANCE)) - y(ref * (1 + TOLERANCE)):.1f}" fill="#2e9d5b" opacity="0.12"/>'
    )
    ticks_y = "".join(
        f'<line x1="{left}" x2="{w - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e7eb"/>'
        f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{v:.0f}</text>'
        for v in _nice_ticks(y_lo, y_hi)
    )
    ticks_x = "".join(
        f'<text x="{x(v):.1f}" y="{h - bottom + 16}" text-anchor="middle" font-size="11">{v:.0f}</text>'
        for v in _nice_ticks(0, x_hi)
    )
    marks = "".join(
        f'<line x1="{x(m / 60):.1f}" x2="{x(m / 60):.1f}" y1="{top}" y2="{h - bottom}" stroke="#7d8793" '
        f'stroke-dasharray="4 3"/><text x="{x(m / 60) + 4:.1f}" y="{top + 12}" font-size="11" '
        f'fill="#40464d">{label}</text>'
        for m, label in ((warmup_s, "end of warm-up"), (open_until_s, "sessions closed"))
    )
    ok = "within" if result.get("ok") else "OUTSIDE"
    title = (
        f"Server RSS, {result.get('sessions', '?')} sessions, auto-refresh every {result.get('every_s', '?')} s: "
        f"{ok} ±{TOLERANCE:.0%} of {ref:.0f} MB after the warm-up (worst {result.get('worst_deviation', 0):.1%})"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif">'
        f'<rect width="{w}" height="{h}" fill="white"/>{ticks_y}{band}{marks}'
        f'<path d="{path}" fill="none" stroke="#1f5fa8" stroke-width="2"/>'
        f'<text x="{left}" y="22" font-size="14" fill="#111">{title}</text>{ticks_x}'
        f'<text x="{(w + left) / 2:.0f}" y="{h - 12}" text-anchor="middle" font-size="12">minutes</text>'
        f'<text x="16" y="{(h + top) / 2:.0f}" font-size="12" transform="rotate(-90 16 {(h + top) / 2:.0f})"'
        ' text-anchor="middle">RSS, MB</text></svg>'
    )


def _nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    span = max(hi - lo, 1e-9)
    raw = span / n
    step = min((s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500) if s >= raw), default=raw)
    first = step * int(lo / step + 0.999)
    return [first + k * step for k in range(int((hi - first) / step) + 1)]


def run(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    if chromium is None:
        raise SystemExit("the soak needs the system Chromium (scripts/ensure_chromium.sh)")
    workdir = Path(args.path or tempfile.mkdtemp(prefix="desk-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if not (workdir / "demo.chdb").exists():
        build_demo(workdir / "demo.chdb")
    proc, url, control = start_server(workdir, workdir / "streamlit.log")
    samples: list[dict[str, Any]] = []
    errors: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, headless=True)
            first = browser.new_page()
            first.goto(f"{url}/", wait_until="domcontentloaded")  # builds the demo desk, starts the feeder
            wait_settled(first, 900_000)
            first.close()
            contexts, pages = [], []
            for i in range(args.sessions):
                ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
                page = ctx.new_page()
                page.goto(f"{url}/{PAGES[i % len(PAGES)]}?every={args.every}", wait_until="domcontentloaded")
                contexts.append(ctx)
                pages.append(page)
            t0 = time.monotonic()
            open_until = args.minutes * 60.0
            end = open_until + args.after_min * 60.0
            closed = False
            while True:
                t = time.monotonic() - t0
                if not closed and t >= open_until:
                    for ctx in contexts:
                        ctx.close()
                    closed = True
                sample = {"t_s": round(t, 1), "rss_mb": round(rss_mb(proc.pid), 1), "open": not closed}
                sample.update(cache_metrics(url))
                sample.update(control_stats(control))
                if not closed:
                    sick = sum(p.locator('[data-testid="stException"]').count() for p in pages)
                    sample["exceptions_shown"] = sick
                    if sick:
                        errors.append(f"{t:.0f} s: {sick} page(s) show an exception")
                samples.append(sample)
                print(json.dumps(sample), flush=True)
                if t >= end:
                    break
                wait_ms = max(0.0, (len(samples) * args.sample_s - (time.monotonic() - t0)) * 1000)
                if closed:
                    time.sleep(wait_ms / 1000)
                else:
                    pages[0].wait_for_timeout(wait_ms)
            trimmed = {}
            try:  # how much of the resident memory is free heap the allocator kept (diagnosis)
                req = urllib.request.Request(f"{control}/trim", data=b"", method="POST")
                with urllib.request.urlopen(req, timeout=60) as r:
                    trimmed = json.loads(r.read())
            except OSError as exc:
                trimmed = {"trim_error": str(exc)[:120]}
            result: dict[str, Any] = {
                "sessions": args.sessions,
                "minutes": args.minutes,
                "every_s": args.every,
                "sample_s": args.sample_s,
                "warmup_min": args.warmup_min,
                "pages": [p or "overview" for p in PAGES],
                **verdict(samples, args.warmup_min * 60.0, open_until),
                "errors": errors[:20],
                "malloc_trim_at_end": trimmed,
                "samples": samples,
            }
            svg = curve_svg(samples, result, args.warmup_min * 60.0, open_until)
            shot = browser.new_page(viewport={"width": 980, "height": 440})
            shot.set_content(f"<html><body style='margin:0'>{svg}</body></html>")
            Path(args.png).parent.mkdir(parents=True, exist_ok=True)
            shot.locator("svg").screenshot(path=args.png)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--sample-s", type=float, default=30.0)
    ap.add_argument("--warmup-min", type=float, default=10.0)
    ap.add_argument("--after-min", type=float, default=5.0)
    ap.add_argument("--every", type=int, default=30, help="auto-refresh, s (the sidebar's shortest choice)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "soak.json"))
    ap.add_argument("--png", default=str(ROOT / "bench" / "soak.png"))
    ap.add_argument("--path", default=None, help="working directory (the demo desk, the server log)")
    args = ap.parse_args(argv)
    result = run(args)
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
