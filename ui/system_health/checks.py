"""System Health's lower tabs (ClickHouse, Prices, Data quality) and their labels.

Only the open tab is drawn (ui.state.lazy_tabs), so each label carries its panel's status, worked out from the
same loads the panel draws (lib/health/checks.py): support sees "Prices · 3 problems" without opening the tab.
The URL names the open tab by its slug (`?section=prices`), which never changes when a status does.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from lib.clickhouse import server_version
from lib.health import checks
from lib.health.checks import CheckStatus
from ui.data import Notes
from ui.system_health.prices import PriceSanity

TITLES = {"clickhouse": "ClickHouse", "prices": "Prices", "data": "Data quality"}
# the colour of a status's words in the label (Markdown colour names)
COLORS = {checks.OK: "green", checks.WARN: "orange", checks.FAIL: "red", checks.UNKNOWN: "gray"}


def label(title: str, status: CheckStatus) -> str:
    """'Prices · :orange[3 problems]': the name, then the status in its colour (our own words, no data)."""
    return f"{title} · :{COLORS[status.level]}[{status.words}]"


def tab_labels(clickhouse: CheckStatus, prices: CheckStatus, data: CheckStatus) -> dict[str, str]:
    """URL slug -> label, the first tab (ClickHouse, cheap to draw) open by default."""
    by_slug = {"clickhouse": clickhouse, "prices": prices, "data": data}
    return {slug: label(TITLES[slug], by_slug[slug]) for slug in TITLES}


def _stale(status: CheckStatus, notes: Notes) -> CheckStatus:
    """A panel showing a last good result (and no failure with nothing to show) says so in its label too."""
    return checks.marked_stale(status) if notes.stale and not notes.failed else status


def clickhouse_check(client: Any, ping: dict[str, Any] | None) -> CheckStatus:
    untested = server_version.untested_warning(ping["version"]) is not None if ping else False
    return checks.clickhouse_status(ping is not None, untested, client.active == "secondary")


def prices_check(view: PriceSanity, notes: Notes) -> CheckStatus:
    status = checks.prices_status(
        view.n_flagged if view.coins is not None else None,
        view.n_problems if view.problems is not None else None,
        failed=notes.failed,
    )
    return _stale(status, notes)


def data_check(
    contract_rows: pl.DataFrame | None,
    future: pl.DataFrame | None,
    stray: pl.DataFrame | None,
    null_keys: pl.DataFrame | None,
    notes: Notes,
) -> CheckStatus:
    summary = checks.contract_summary(contract_rows) if contract_rows is not None else None
    odd = checks.odd_row_count(future, stray, null_keys.iter_rows(named=True) if null_keys is not None else None)
    return _stale(checks.data_quality_status(summary, odd, failed=notes.failed), notes)
