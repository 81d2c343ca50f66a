"""One de-duplication rule for the synced tables: on the natural key, the newest synced_at winning.

The sync can deliver a row twice, and a re-sync can carry corrected values. Every statement reads a synced table
through `ORDER BY synced_at DESC LIMIT 1 BY <natural key>` (or `argMax(…, synced_at)`), never an unordered
`LIMIT 1 BY`, which keeps whichever copy the engine meets first.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from queries.book import trades
from queries.engine.run import use_client
from tests.queries.fixture_desk import TRADE_COLS, create_tables, fixture_client

ROOT = Path(__file__).resolve().parents[2]
# natural keys of the synced tables (queries/schema.sql)
SYNCED_KEYS = {
    "account, tid",
    "account, ts, coin",
    "account, ts",
    "account, coin, time",
    "account, time, hash",
    "account, oid, status",
}
LIMIT_BY = re.compile(r"LIMIT 1 BY ([a-z_]+(?:, [a-z_]+)*)")


def statements() -> list[tuple[Path, str]]:
    return [(p, p.read_text()) for p in sorted((ROOT / "queries").rglob("*")) if p.suffix in (".py", ".sql")]


def test_every_synced_table_is_read_newest_sync_first():
    seen = 0
    for path, text in statements():
        for m in LIMIT_BY.finditer(text):
            if m.group(1) not in SYNCED_KEYS:
                continue  # candles, targets, heartbeats, the sync log: not synced rows, no synced_at
            seen += 1
            before = text[max(0, m.start() - 60) : m.start()]
            assert re.search(r"ORDER BY [^\n]*synced_at DESC\s*$", before), (
                f"{path.name}: {text[m.start() - 120 : m.end()]}"
            )
    assert seen >= 25  # the rule is where the statements are


def test_a_re_synced_fill_with_a_corrected_fee_counts_once_with_the_new_fee(engine, desk_url):
    tm = create_tables(engine, "fxdedup")
    t = datetime(2025, 7, 1, 0, 1, tzinfo=UTC)

    def fill(tid: int, fee: float, synced: datetime) -> list:
        return [
            t,
            "acc",
            "BTC",
            "B",
            100.0,
            1.0,
            0.0,
            "Open Long",
            0.0,
            fee,
            "USDC",
            7,
            tid,
            None,
            False,
            "h",
            t,
            synced,
        ]

    rows = [
        fill(1, 0.05, t + timedelta(minutes=1)),
        fill(1, 0.03, t + timedelta(minutes=6)),  # the re-sync corrected the fee: it wins
        fill(1, 0.04, t + timedelta(minutes=3)),
        fill(2, 0.02, t + timedelta(minutes=1)),
    ]
    engine.insert(tm.qualified("trades"), rows, column_names=TRADE_COLS, settings={"optimize_on_insert": 0})
    newest = {}
    for r in rows:  # by hand: per (account, tid) the copy with the newest synced_at
        if r[12] not in newest or r[-1] > newest[r[12]][-1]:
            newest[r[12]] = r
    trades.fills_summary.clear()
    with use_client(fixture_client(desk_url, "fxdedup")):
        got = trades.fills_summary(date(2025, 7, 1), date(2025, 7, 1)).row(0, named=True)
    trades.fills_summary.clear()
    assert got["n_fills"] == 2
    assert got["fees"] == pytest.approx(sum(r[9] for r in newest.values()))  # 0.03 + 0.02
