"""Crafted links never crash: every URL parameter of every page, fuzzed.

The parameters are found in the code (every `url_value("name", ...)` in pages/
and ui/, plus the sidebar's `from`/`to`), so a new one is fuzzed without
editing this file. Two layers: every parser in lib/inputs.py against every
value (fast, exhaustive), and every page opened with every parameter set to
each kind of garbage at once (the proof that no error box appears).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lib import inputs
from tests.test_reliability import PAGES, assert_clean

pytestmark = pytest.mark.shared_caches  # reads the demo desk as it is (tests/conftest.py, app)

ROOT = Path(__file__).resolve().parent.parent
UNICODE_DIGITS = ["²", "１２", "٣", "𝟙", "½", "Ⅻ", "৭", "2²", "1\u200b2", "0x10"]
HUGE = ["5" * 5000, "9" * 19, "9" * 7, "1e9", "-2", "-0", "+1", "1.0", "１" * 5000]
EMPTY = ["", " ", "\t", "\x00", "%00", "null", "None", "[]"]
VALUES = UNICODE_DIGITS + HUGE + EMPTY


def url_parameters() -> dict[str, set[str]]:
    """{page script: names it reads from the URL}; ui/ parameters apply to every page that uses them. A page's
    lazy tabs name theirs in `lazy_tabs("section", ...)`, and a widget started from the URL in
    `init_from_url("key", "name", ...)`: both read it through url_value."""
    found: dict[str, set[str]] = {}
    pattern = re.compile(r"(?:url_value\(|init_from_url\(\s*\"\w+\",)\s*\"(\w+)\"")
    tabs = re.compile(r"lazy_tabs\(\s*\"(\w+)\"")
    shared = set()
    for path in (ROOT / "ui").rglob("*.py"):
        shared |= set(pattern.findall(path.read_text()))
    for page in PAGES:
        text = (ROOT / page).read_text()
        names = set(pattern.findall(text)) | set(tabs.findall(text)) | {"from", "to", "account"}  # sidebar: every page
        if "threshold_inputs" in text:
            names |= shared
        found[page] = names
    return found


PARAMS = url_parameters()


def test_the_pages_read_the_parameters_the_issue_names():
    everything = set().union(*PARAMS.values())
    assert {
        "hour",
        "window",
        "every",
        "res",
        "hours",
        "date",
        "day",
        "coin",
        "rule",
        "from",
        "to",
        "account",
        "section",
        "tab",
    } <= everything
    with_sections = ("pages/overview.py", "pages/tracking_error.py", "pages/system_health.py")  # their lazy tabs
    assert all("section" in PARAMS[page] for page in with_sections) and "tab" in PARAMS["pages/trades.py"], PARAMS


# -------------------------------------------------------------- the parsers

PARSERS = {
    "parse_hour": inputs.parse_hour,
    "parse_window": inputs.parse_window,
    "parse_bucket": inputs.parse_bucket,
    "parse_hours": inputs.parse_hours,
    "parse_refresh": inputs.parse_refresh,
    "parse_date": inputs.parse_date,
    "parse_coin": inputs.parse_coin,
    "parse_mag_rule": inputs.parse_mag_rule,
    "parse_sort": inputs.parse_sort,
    "parse_side": inputs.parse_side,
    "parse_liquidity": inputs.parse_liquidity,
    "parse_preset": inputs.parse_preset,
    "parse_list": lambda raw: inputs.parse_list(raw, inputs.parse_coin, "coins"),
    "parse_direction": inputs.parse_direction,
    "parse_monitor": inputs.parse_monitor,
    "parse_order": inputs.parse_order,
    "parse_tab": lambda raw: inputs.parse_tab(raw, ("fills", "orders")),
    "parse_page": inputs.parse_page,
    "parse_categories": lambda raw: inputs.parse_categories(raw, ("MISSING_POSITION", "MATCHED")),
    "parse_url_int": lambda raw: inputs.parse_url_int(raw, "n", 0, 10**6),
    "parse_choice": lambda raw: inputs.parse_choice(raw, "n", (0, 7, 99)),
    "parse_trend_band": inputs.parse_trend_band,
    "parse_url_decimal": lambda raw: inputs.parse_url_decimal(raw, "x", 0.0, 10.0**6),
    "parse_account": inputs.parse_account,
    "parse_flag": lambda raw: inputs.parse_flag(raw, "flag"),
    "parse_duration": inputs.parse_duration,  # a command-line value (alerts silence --for), as strict
    "parse_target_set": inputs.parse_target_set,
}
# Command-line free text, never read from a URL: a glob over alert ids may hold '[]', a note any printable text
# (both are tested in tests/cli/test_alerts_cli.py).
NOT_URL_PARSERS = {
    "parse_range",
    "parse_threshold",
    "parse_alert_pattern",
    "parse_note",
    "parse_server_version",  # what the server reports (SELECT version()), never a URL value
}


def test_every_url_parser_of_lib_inputs_is_fuzzed():
    public = {n for n in dir(inputs) if n.startswith("parse_") and n not in NOT_URL_PARSERS}
    assert public <= set(PARSERS), public - set(PARSERS)


@pytest.mark.parametrize("name", list(PARSERS))
def test_parsers_refuse_garbage_with_input_error_only(name):
    parse = PARSERS[name]
    for value in VALUES:
        try:
            parse(value)
        except inputs.InputError as err:
            assert len(str(err)) < 200  # the message quotes at most a short prefix
            continue
        # accepted: only a short plain-ASCII value can get here (a coin such as "null", a band such as "1.0",
        # a monitor named "-2", an empty list)
        assert re.fullmatch(r"[A-Za-z0-9._-]{0,20}", value.strip(), re.ASCII), (name, value[:20])


def test_the_strict_number_parser():
    assert inputs.parse_url_int("07", "n", 0, 23) == 7
    assert inputs.parse_url_int(" 23 ", "n", 0, 23) == 23
    for bad in ("²", "１", "٣", "24", "-1", "", "1" * 7, "2 3", "1_0"):
        with pytest.raises(inputs.InputError):
            inputs.parse_url_int(bad, "n", 0, 23)
    assert inputs.parse_hour("23") == 23 and inputs.parse_window("30") in (30,)


# ----------------------------------------------------------------- the pages

NUMBERS = {"hour", "window", "every", "res", "hours"}
CASES = {
    "unicode": lambda i: UNICODE_DIGITS[i % len(UNICODE_DIGITS)],
    "huge": lambda i: HUGE[i % len(HUGE)],
    "empty": lambda i: EMPTY[i % len(EMPTY)],  # page-level only on System Health (most parameters)
    "repeated": lambda i: ["²", "5" * 5000, "1"],  # ?hour=²&hour=5...5&hour=1
}


# empty values at page level on System Health only (most parameters); the parser test covers every parser
PAGE_CASES = [
    (page, title, case)
    for page, title in PAGES.items()
    for case in CASES
    if case != "empty" or page == "pages/system_health.py"
]


@pytest.mark.parametrize("page,title,case", PAGE_CASES)
def test_every_parameter_of_every_page_survives_garbage(app, page, title, case):
    query = {name: CASES[case](i) for i, name in enumerate(sorted(PARAMS[page]))}
    at = app(None if page == "pages/overview.py" else page, query=query)  # a direct link: its first run is the page
    assert_clean(at, title)
    if case == "repeated":
        return  # the last value counts (Streamlit's rule); surviving is the point
    warnings = " ".join(w.value for w in [*at.main.warning, *at.sidebar.warning])
    for name, value in query.items():
        if value.strip() == "":
            continue  # an empty value means "not given": the default, without a message
        if name in NUMBERS:  # none of the fuzz values is a valid number: each is refused, by name
            assert f"Ignored URL parameter `{name}`" in warnings, (name, warnings)
    if any(query.get(k, "").strip() for k in ("from", "to")):
        assert "Ignored the date range in the URL" in warnings, warnings
