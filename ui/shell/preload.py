"""Start loading the front end's chart and grid code as a run begins, not when the first chart arrives.

Streamlit's front end loads the code for Plotly charts and data grids lazily: a fresh browser tab requests
it only when the page's first chart or grid is drawn, i.e. after the sidebar, the title and every metric
above it, and then parses ~5 MB of JavaScript before it can draw (bench/floor_app.py: ~1.3 s of a page's
first load). Every desk page has both, so the shared sidebar asks the browser to import those two chunks at
the very start of the run: they load while the page's queries run and the elements above the first chart
arrive, and the chart's own lazy import then finds the module already loaded (the browser keeps one module
per URL). Nothing is drawn and nothing takes space: the script rides in the sidebar's existing st.html.

The chunk file names carry a content hash, so they are read from Streamlit's own static folder; a
Streamlit whose chunks are named otherwise gets no preload (the page is then exactly as before).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path

import streamlit

# the lazily loaded components every desk page draws (their chunk file name starts with it)
CHART_CHUNK = "PlotlyChart"
CHUNKS = (CHART_CHUNK, "DataFrame")


@functools.cache
def chunk_names(static_js: Path | None = None) -> tuple[str, ...]:
    """The file names of the chart and grid chunks in Streamlit's static/js folder (one per component)."""
    folder = static_js or Path(streamlit.__file__).parent / "static" / "static" / "js"
    names = []
    for component in CHUNKS:
        found = sorted(p.name for p in folder.glob(f"{component}.*.js"))
        if len(found) == 1:  # none (renamed) or several (ambiguous): no preload rather than a wrong one
            names.append(found[0])
    return tuple(names)


def script(names: tuple[str, ...] | None = None, charts: bool = True) -> str:
    """JavaScript (no <script> tags) that imports each chunk once per browser tab, resolved against the URL of
    Streamlit's own entry module, as its lazy imports are. Constant text: file names from Streamlit's package.

    `charts=False` (a first screen with no chart, `first_view_draws_charts`) leaves the chart code to the first
    chart, as Streamlit does: evaluating it holds the browser's main thread ~0.8 s (a Chromium profile of a fresh
    Trades load) while the page's own elements wait. Measured on a fresh Trades load, paired: 6.0 -> 4.3 s to
    settled; the first chart tab opened after it pays the load instead (Per day 1.2 -> 3.4 s), once per tab."""
    names = chunk_names() if names is None else names
    if not charts:
        names = tuple(n for n in names if not n.startswith(f"{CHART_CHUNK}."))
    if not names:
        return ""
    return (
        "{\n"  # a block: the script runs again with every sidebar, and a top-level const would be declared twice
        "  const done = (window.__deskPreloaded = window.__deskPreloaded || {});\n"
        '  const entry = document.querySelector(\'script[type="module"][src*="/static/js/index."]\');\n'
        "  if (entry) {\n"
        f"    for (const name of {json.dumps(list(names))}) {{\n"
        "      if (done[name]) continue;\n"
        "      done[name] = true;\n"
        "      import(new URL(name, entry.src).href).catch(() => {});\n"
        "    }\n"
        "  }\n"
        "}\n"
    )


def first_view_draws_charts(url_path: str, query: Mapping[str, str]) -> bool:
    """Whether the page this URL opens draws a chart on its first screen. Trades opens on its fills table, which
    has none, unless the URL asks for another tab or a coin's drill-down (pages/trades.py; its AppTest checks
    that the fills view draws no chart). Every other page draws charts above its fold."""
    if url_path == "trades":
        return bool(query.get("coin")) or query.get("tab") not in (None, "", "fills")
    return True
