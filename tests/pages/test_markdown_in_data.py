"""A coin name holding Markdown renders as text on every page, never as a link or formatting.

Before, a coin named like a Markdown link rendered as a live link on Positions (the unpriced
note) and Tracking Error (the day story turned its URL into an autolink).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from lib import format as fmt
from lib.demo import seed_client
from tests.queries.fixture_desk import TARGET_COLS, TRADE_COLS, create_tables
from ui.shell import router

UTC = UTC
EVIL = "[pwn](https:evil.example)"
PREFIX = "fxmd"


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
        tm.qualified("targets"),
        [[date(2025, 11, 28) + timedelta(days=k), EVIL, 0.01] for k in range(12)],
        column_names=TARGET_COLS,
    )
    return {k: tm.qualified(k) for k in tm.tables}


def _sources(at) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [str(getattr(m, "help", "") or "") for m in at.metric]
    return out


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
        "\\[a\\]\\(http\\://x\\) \\*b\\* \\_c\\_ \\`d\\` \\$e\\$ \\:red\\[f\\] \\#g h"
    )
    assert fmt.plot_text("<a href='x'>y</a>") == "&lt;a href='x'&gt;y&lt;/a&gt;"
