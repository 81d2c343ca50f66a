"""The one-line status of System Health's checks that sit in lazy tabs (ClickHouse, Prices, Data quality).

A closed tab draws nothing, so its label carries its signal: these functions count the same query results
the panels draw (cheap: the queries are cached; drawing is what costs) and say the result in a few words.
Pure Python: the page loads the frames, `ui/system_health/checks.py` turns a status into a tab label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from lib import format as fmt
from lib.clickhouse import contract
from lib.health import odd_rows

OK, WARN, FAIL, UNKNOWN = "OK", "WARN", "FAIL", "UNKNOWN"


@dataclass(frozen=True)
class CheckStatus:
    level: str  # OK, WARN, FAIL or UNKNOWN
    words: str  # what a tab label says after its name: "OK", "3 problems", "schema drift · 12 odd rows"


@dataclass(frozen=True)
class ContractSummary:
    """The contract check in counts: broken columns (wrong type or missing, in a table that exists), tables not
    found, columns of a compatible other type."""

    broken: int
    absent_tables: tuple[str, ...]
    normalised: int


def contract_summary(check: pl.DataFrame) -> ContractSummary:
    """What the data contract table's summary line says, counted once for the line and the tab label."""
    absent = tuple(sorted(set(check.filter(pl.col("note") == contract.NO_TABLE)["qualified"].to_list())))
    broken = check.filter(pl.col("status").is_in(contract.BROKEN) & (pl.col("note") != contract.NO_TABLE)).height
    normalised = check.filter(pl.col("status") == contract.NORMALISED).height
    return ContractSummary(broken, absent, normalised)


def odd_row_count(
    future: pl.DataFrame | None, stray: pl.DataFrame | None, null_keys: Iterable[Mapping[str, Any]] | None
) -> int | None:
    """Rows dated in the future, before inception or with an empty key, together; None when none was counted."""
    if future is None and stray is None and null_keys is None:
        return None
    n = 0
    if future is not None and future.height:
        n += int(future["n_future"].fill_null(0).sum())
    if stray is not None and stray.height:
        n += int(stray["n_stray"].fill_null(0).sum())
    if null_keys is not None:
        n += odd_rows.null_key_total(odd_rows.null_key_counts(null_keys))
    return n


def prices_status(n_diverging: int | None, n_candle_problems: int | None, failed: bool = False) -> CheckStatus:
    """Coins whose mark diverges from Binance plus candle problems, as one count of problems.

    None is a count that could not be made (the table is absent or the query failed): never called OK."""
    known = [n for n in (n_diverging, n_candle_problems) if n is not None]
    problems = sum(known)
    if problems:
        return CheckStatus(FAIL if failed else WARN, fmt.plural(problems, "problem"))
    if failed:
        return CheckStatus(FAIL, "failed")
    if len(known) < 2:
        return CheckStatus(UNKNOWN, "not available" if not known else "partly checked")
    return CheckStatus(OK, OK)


def data_quality_status(summary: ContractSummary | None, odd: int | None, failed: bool = False) -> CheckStatus:
    """The data contract and the odd rows: broken columns, missing tables, compatible drift, odd rows."""
    parts: list[str] = []
    level = OK
    if failed:
        parts.append("check failed")
        level = FAIL
    if summary is not None:
        if summary.broken:
            parts.append(fmt.plural(summary.broken, "column broken", "columns broken"))
            level = FAIL
        if summary.absent_tables:
            parts.append(fmt.plural(len(summary.absent_tables), "table missing", "tables missing"))
            level = FAIL if level == FAIL else WARN
        if summary.normalised and not summary.broken:
            parts.append("schema drift")
            level = FAIL if level == FAIL else WARN
    if odd:
        parts.append(fmt.plural(odd, "odd row"))
        level = FAIL if level == FAIL else WARN
    if parts:
        return CheckStatus(level, " · ".join(parts))
    if summary is None or odd is None:
        return CheckStatus(UNKNOWN, "not available" if summary is None and odd is None else "partly checked")
    return CheckStatus(OK, OK)


def marked_stale(status: CheckStatus) -> CheckStatus:
    """The status of a panel that shows its last good result (its query failed): said in the label too."""
    if status.level == FAIL:
        return CheckStatus(FAIL, f"{status.words} · stale")
    if status.level in (OK, UNKNOWN):
        return CheckStatus(WARN, "stale")
    return CheckStatus(WARN, f"{status.words} · stale")


def clickhouse_status(answering: bool, untested_version: bool, on_secondary: bool) -> CheckStatus:
    """The server: not answering, on the secondary endpoint, or a version the queries are not tested on."""
    if not answering:
        return CheckStatus(FAIL, "not answering")
    parts = (["on secondary"] if on_secondary else []) + (["untested version"] if untested_version else [])
    return CheckStatus(WARN, " · ".join(parts)) if parts else CheckStatus(OK, OK)
