"""Layout pieces that stay readable from a laptop window (800 px) to a wide screen.

`st.columns(n)` gives each metric 1/n of the row whatever its value, so at
800 px a headline value is cut to "$1…". `metric_row(n)` returns n slots in a
horizontal container that wraps: each slot is as wide as its content, and a
slot that does not fit moves to the next line, so a value is never truncated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from lib import format as fmt

# A laptop window (about 800 px): the sidebar narrower (its content wraps; it still collapses with its
# button, and a collapsed sidebar keeps its own width rules), KPI values and labels a size smaller so
# three tiles share a row instead of two and a lone one, and a tab strip that wraps onto a second line
# instead of cutting its last label ("PnL windows a…"), and st.columns one under the other (a chart and its
# table side by side get ~270 px each: the PnL explanation read in a 180 px column). At every width a metric's
# label, delta and the delta's description (Streamlit 1.67 draws a delta's words after its number apart, as
# stMetricDeltaDescription: "time-weighted") wrap onto a second line instead of ending in "…" (Streamlit cuts them
# to one line: "Sharpe (ann. ×√365, zero risk-…", "newest candle 2025-12-…", "time-weigh…"). Style only: no script, nothing from the data.
NARROW_SCREEN_CSS = """<style>
[data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricDelta"] .stMarkdownEllipsis,
[data-testid="stMetricDeltaDescription"] .stMarkdownEllipsis,
[data-testid="stMetricLabel"] .stMarkdownEllipsis p, [data-testid="stMetricDelta"] .stMarkdownEllipsis p,
[data-testid="stMetricDeltaDescription"] .stMarkdownEllipsis p {
  white-space: normal; overflow: visible; text-overflow: clip; }
@media (max-width: 960px) {
  section[data-testid="stSidebar"][data-collapsed="false"] { width: 232px !important; min-width: 232px !important; }
  [data-testid="stMetricValue"] { font-size: 1.55rem; }
  KPIS { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); }
  KPIS:has(> :nth-child(4):last-child), KPIS:has(> :nth-child(2):last-child) {
    grid-template-columns: repeat(2, minmax(0, 1fr)); }
  KPIS:has(> :nth-child(7):last-child), KPIS:has(> :nth-child(8):last-child) {
    grid-template-columns: repeat(4, minmax(0, 1fr)); }
  [data-testid="stMetricLabel"] p { font-size: 0.8rem; }
  [data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap; row-gap: 0.25rem; }
  [data-testid="stTabs"] [role="tab"] p { font-size: 0.9rem; }
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"]) { flex-wrap: wrap; }
  [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] { min-width: 100% !important; }
}
</style>""".replace(
    # a metric_row: a horizontal block whose slots hold a metric; a grid of equal columns (2 for 2 and 4
    # tiles, 4 for 7 and 8, else 3) so a narrow row never ends in a lone tile
    "KPIS",
    '[data-testid="stHorizontalBlock"]:has(> [data-testid="stLayoutWrapper"] > [data-testid="stVerticalBlock"]'
    ' > [data-testid="stElementContainer"] > [data-testid="stMetric"])',
)


# Below NARROW_SIDEBAR_BELOW px the sidebar starts collapsed, once per page load: open it takes 232 of ~800 px
# and leaves a table 536 px (the fills' default columns need ~740), collapsed the main column is ~768 px wide.
# Streamlit's own "auto" collapses only up to 768 px (its md breakpoint), so a laptop window at 800 kept it
# open. The reader opens it with its button and it stays open (the flag lives as long as the browser page, so
# a page switch or a rerun does not collapse it again); nothing in it is lost. No data, nothing from a user.
NARROW_SIDEBAR_BELOW = 900
NARROW_SIDEBAR_SCRIPT = f"""<script>
(() => {{
  if (window.__deskSidebarChecked) return;
  const started = Date.now();
  const tryCollapse = () => {{
    const bar = document.querySelector('[data-testid="stSidebar"]');
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (bar && button) {{
      window.__deskSidebarChecked = true;
      if (window.innerWidth < {NARROW_SIDEBAR_BELOW} && bar.getAttribute('data-collapsed') !== 'true') button.click();
    }} else if (Date.now() - started < 10000) {{
      setTimeout(tryCollapse, 100);
    }}
  }};
  tryCollapse();
}})();
</script>"""


def narrow_screen_style() -> None:
    """The page's CSS for narrow windows and its sidebar collapsed below NARROW_SIDEBAR_BELOW px (app.py,
    once per run; a style-and-script st.html takes no space)."""
    st.html(NARROW_SCREEN_CSS)
    st.html(NARROW_SIDEBAR_SCRIPT, unsafe_allow_javascript=True)


def metric_row(n: int) -> list[Any]:
    """n slots for metrics (and their captions) that wrap onto more lines on a narrow screen."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width="content", gap=None) for _ in range(n)]


def delta(text: str | None, *, inverse: bool = False) -> dict[str, Any]:
    """st.metric's delta arguments for a signed desk number ('−$5,926', '+0.38 pp'), shown with the desk's minus.

    Streamlit keys a delta's arrow and colour off a leading ASCII '-' and shows that hyphen ('-$5,926' beside a
    value of '−$5,926'); here the sign sets them: a fall down and red, a rise up and green (the other way round
    with `inverse`, where less is better: TE, margin, leverage), zero grey without an arrow. None and '—' give
    no delta."""
    if text is None or text == fmt.MISSING:
        return {"delta": None}
    negative = text.startswith((fmt.MINUS, "-"))
    text = fmt.MINUS + text[1:] if text.startswith("-") else text
    if not any(digit in text for digit in "123456789"):
        return {"delta": text, "delta_arrow": "off", "delta_color": "gray"}
    good = negative if inverse else not negative
    return {"delta": text, "delta_arrow": "down" if negative else "up", "delta_color": "green" if good else "red"}


def chart_row(n: int, width: int = 460) -> list[Any]:
    """n chart slots side by side, `width` px at least each, that stack on a narrow screen (st.columns keeps
    two charts side by side down to 640 px, where each is too narrow to read)."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width=width, gap=None) for _ in range(n)]


def control_row(slots: int | Sequence[int], width: int = 200) -> list[Any]:
    """Slots for inputs, `width` px each (or one width per slot), wrapping on a narrow screen so
    labels are never squeezed to a letter."""
    widths = [width] * slots if isinstance(slots, int) else list(slots)
    row = st.container(horizontal=True, gap="medium", vertical_alignment="bottom")
    return [row.container(width=w, gap=None) for w in widths]


def beside(main_width: int = 660, side_width: int = 420) -> list[Any]:
    """A main slot and a side slot next to it on a wide screen (both fit beside the sidebar at 1600 px), the side
    one below it on a narrower one (the row wraps), so neither is squeezed to a ribbon (st.columns keeps both side
    by side down to 640 px)."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width=main_width), row.container(width=side_width)]
