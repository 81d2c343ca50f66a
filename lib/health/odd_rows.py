"""Rows with an empty (NULL) key, in words: what System Health and the pages say about the rows every statement
leaves out (lib.clickhouse.contract.NULL_KEYS; counted by queries.health.odd_data.null_key_rows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# what a row of each table is, for a sentence ("14 fills")
ROW_NAMES = {
    "trades": "fills",
    "positions": "positions rows",
    "account": "account snapshots",
    "funding": "funding payments",
    "ledger": "ledger entries",
    "orders": "order rows",
    "targets": "model target weights",
    "klines": "Binance candles",
}


def null_key_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, tuple[int, dict[str, int]]]:
    """{table: (rows with any NULL key, {key column: rows with it NULL})}, tables with at least one such row only."""
    out: dict[str, tuple[int, dict[str, int]]] = {}
    by_table: dict[str, dict[str, int]] = {}
    for r in rows:
        by_table.setdefault(str(r["table_key"]), {})[str(r["key_column"])] = int(r["n_null"] or 0)
    for table, counts in by_table.items():
        total = counts.get("", 0)
        if total:
            out[table] = (total, {c: n for c, n in counts.items() if c and n})
    return out


def null_key_parts(counts: Mapping[str, tuple[int, dict[str, int]]], tables: Iterable[str] | None = None) -> list[str]:
    """One phrase per table: '14 fills (no tid 5, no time 3)'; only `tables` when given, in ROW_NAMES order."""
    wanted = set(ROW_NAMES if tables is None else tables)
    parts = []
    for table in sorted(counts, key=lambda t: (list(ROW_NAMES).index(t) if t in ROW_NAMES else len(ROW_NAMES), t)):
        if table not in wanted:
            continue
        total, per_column = counts[table]
        detail = ", ".join(f"no {c} {n:,}" for c, n in per_column.items())
        parts.append(f"{total:,} {ROW_NAMES.get(table, table + ' rows')} ({detail})")
    return parts


def null_key_total(counts: Mapping[str, tuple[int, dict[str, int]]], tables: Iterable[str] | None = None) -> int:
    wanted = set(ROW_NAMES if tables is None else tables)
    return sum(total for table, (total, _) in counts.items() if table in wanted)


def null_key_sentence(rows: Iterable[Mapping[str, Any]], tables: Iterable[str] | None = None) -> str | None:
    """The one line a page or a report shows when rows of `tables` (every table when None) were left out for an
    empty (NULL) key (System Health's count), or None when there are none."""
    parts = null_key_parts(null_key_counts(rows), tables)
    if not parts:
        return None
    return (
        "Left out of these numbers for an empty (NULL) key: " + "; ".join(parts) + ". See System Health, data quality."
    )
