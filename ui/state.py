"""Selections that live in the URL, so a link reproduces the view.

Values are read from `st.query_params`, validated by `lib.inputs`, and
written back when a widget changes. A bad value shows a clear message and
falls back to the default; it never reaches a query.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import streamlit as st

from lib import config
from lib import format as fmt
from lib.inputs import InputError, parse_preset, parse_range, parse_tab
from lib.ranges import Bounds, day_bounds, preset_bounds

T = TypeVar("T")


def _fallback_words(default: object) -> str:
    """What the page does instead of a refused URL value, in words (never 'Using None.')."""
    if default is None or default == () or default == []:
        return "Showing the page without it."
    if isinstance(default, (list, tuple)):
        return f"Using {fmt.md_text(', '.join(str(v) for v in default))}."
    shown = default.isoformat() if isinstance(default, date) else default
    return f"Using {fmt.md_text(shown)}."


def url_value(name: str, parse: Callable[[str], T], default: T) -> T:
    """The URL parameter `name` (a literal of the code) parsed, or `default` with a warning that shows
    the refused value and the parser's reason as text, never as Markdown."""
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except InputError as err:
        st.warning(
            f"Ignored URL parameter `{name}`: {fmt.md_text(err)}. {_fallback_words(default)}",
            icon=":material/warning:",
        )
        return default


def url_replaced(name: str, wanted: object, shown: object, why: str, where: Any = None) -> None:
    """A valid URL value the page cannot show (a day outside the range, a page past the last) was replaced:
    say so, never open another day or page silently."""
    from lib.format import md_text

    (where or st).info(
        f"The link's `{name}` is {md_text(wanted)}, which {why}: showing {md_text(shown)} instead.",
        icon=":material/swap_horiz:",
    )


def init_from_url(key: str, name: str, parse: Callable[[str], T], default: T) -> None:
    """Start widget `key` from URL parameter `name` the first time this session shows it."""
    if key not in st.session_state:
        st.session_state[key] = url_value(name, parse, default)


def set_url(**values: object) -> None:
    for name, value in values.items():
        if value is None:
            st.query_params.pop(name, None)
        else:
            if isinstance(value, (list, tuple)):
                text = ",".join(str(v) for v in value)
                if not text:
                    st.query_params.pop(name, None)
                    continue
            else:
                text = value.isoformat() if isinstance(value, date) else str(value)
            if st.query_params.get(name) != text:
                st.query_params[name] = text


RANGE_KEY = "global_range"  # the sidebar's date box
PRESET_KEY = "range_preset"  # the preset buttons beside it


def _dates_picked() -> None:
    """A date typed or picked in the date box replaces the preset."""
    st.session_state[PRESET_KEY] = None


def global_range(now: datetime, first_day: date | None) -> Bounds:
    """The sidebar's range: a preset (URL `range`, default the last 30 days) or the UTC days of the
    date box (URL `from`/`to`). `now` is the newest data; presets are relative to it."""
    sb = st.sidebar
    if PRESET_KEY not in st.session_state:  # first run of this session: from the URL
        has_dates = bool(st.query_params.get("from") or st.query_params.get("to"))
        st.session_state[PRESET_KEY] = url_value(
            "range", parse_preset, None if has_dates else config.DEFAULT_RANGE_PRESET
        )
    preset = st.session_state[PRESET_KEY]
    latest = now.date()
    if preset:
        bounds = preset_bounds(preset, now, first_day)
        st.session_state[RANGE_KEY] = (bounds.start, bounds.end)  # the date box shows the preset's days
    else:
        bounds = preset_bounds(config.DEFAULT_RANGE_PRESET, now, first_day)
        raw_from, raw_to = st.query_params.get("from"), st.query_params.get("to")
        if raw_from or raw_to:  # a link's range; garbage in it is said every time it is there
            try:
                linked = day_bounds(*parse_range(raw_from or bounds.start, raw_to or bounds.end))
            except InputError as err:
                sb.warning(f"Ignored the date range in the URL: {fmt.md_text(err)}.", icon=":material/warning:")
                linked = bounds
            if RANGE_KEY not in st.session_state:  # first run of this session: the link decides
                bounds = linked
                st.session_state[RANGE_KEY] = (bounds.start, bounds.end)
    picked = sb.date_input(
        "Date range (UTC)",
        key=RANGE_KEY,
        max_value=max(latest, bounds.end),
        on_change=_dates_picked,
        help="Applies to Overview, Trades and Tracking Error. Days are UTC. Type a range and press Enter, "
        "or pick one in the calendar.",
    )
    sb.segmented_control(
        "Range presets",
        list(config.RANGE_PRESETS),
        key=PRESET_KEY,
        format_func=config.RANGE_PRESETS.get,
        label_visibility="collapsed",
        help="Relative to the newest data; 24 h is an intraday window where a page can use it.",
    )
    if not preset and isinstance(picked, (tuple, list)) and len(picked) == 2:
        try:
            bounds = day_bounds(*parse_range(picked[0], picked[1]))
        except InputError as err:
            sb.error(fmt.md_text(err))
    if preset:
        set_url(**{"range": None if preset == config.DEFAULT_RANGE_PRESET else preset, "from": None, "to": None})
    else:
        set_url(**{"range": None, "from": bounds.start, "to": bounds.end})
    return bounds


def lazy_tabs(url_name: str, tabs: Mapping[str, str], key: str, start: str | None = None) -> list[Any]:
    """Tabs whose content runs only while open (`st.tabs(on_change="rerun")`; test `tab.open`), the open one
    in the URL (`?url_name=slug`, left out for the first tab). `tabs` maps URL slugs to labels; `start` is
    the tab a link without the parameter opens (default: the first).

    The URL picks the tab only when the tabs appear (their key is not in the session yet): it is written
    to the widget's state, never passed as `default`. `default` is part of a keyed st.tabs' identity, so
    a default that followed the URL made a new widget after every switch, which dropped the next click
    (tests/browser/test_tabs_browser.py).

    A label may carry a status ("Prices · 3 problems") and change between runs: the tab that was open (or just
    clicked, under its old label) stays open under its new label, found by its slug, never reset to the first."""
    slugs = list(tabs)
    known = f"{key}__slugs"  # the previous run's label -> slug
    if key not in st.session_state:
        wanted = url_value(url_name, lambda raw: parse_tab(raw, slugs), start or slugs[0])
        st.session_state[key] = tabs[wanted]
    elif st.session_state[key] not in tabs.values():
        slug = st.session_state.get(known, {}).get(st.session_state[key])
        if slug in tabs:
            st.session_state[key] = tabs[slug]
    st.session_state[known] = {label: slug for slug, label in tabs.items()}
    opened = st.tabs(list(tabs.values()), key=key, on_change="rerun")
    open_slug = next((slug for slug, tab in zip(slugs, opened) if tab.open), slugs[0])
    set_url(**{url_name: None if open_slug == slugs[0] else open_slug})
    return opened


def lazy_expander(label: str, key: str, icon: str | None = None) -> Any:
    """A fold whose content the caller draws only while it is open (`st.expander(on_change="rerun")`; test
    `.open`): a folded table or long text costs the first paint nothing (System Health's first load: 118 → 85 kB,
    −0.24 s in a paired A/B); opening one reruns the script (or its fragment) once.

    A label is part of an expander's identity, so a count in it that moves on a refresh ("Details (13)" →
    "(14)") makes a new expander, closed: an open fold stays open under its new label (the last run's label
    and state are kept beside `key`)."""
    last = f"{key}__fold"
    before = st.session_state.get(last)
    if before is not None and before[0] != label and before[1]:
        st.session_state[key] = True
    box = st.expander(label, key=key, icon=icon, on_change="rerun")
    st.session_state[last] = (label, bool(box.open))
    return box
