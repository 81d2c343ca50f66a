"""System Health's headline: the five-second answer under the status badges (lib/health/answer.py).

Sync lag overall and per table, the names of the monitors that are DOWN or LATE, one true sentence
about the sync, and how fresh the two feeds that are not synced tables are (Binance prices, the
model's targets), beside the Hyperliquid tables.
"""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from lib import format as fmt
from lib.health.answer import SyncLag
from ui import cache, layout


@cache.section()
def headline(
    lag: SyncLag | None,
    monitors_line: str,
    sentence: str,
    kline_newest: datetime | None,
    kline_age_s: float | None,
    targets_newest: date | None,
    targets_age_s: float | None,
) -> None:
    """The headline numbers and sentences (every age measured against the server clock)."""
    slots = layout.metric_row(3)
    if lag is not None:
        per_table = " · ".join(f"{fmt.md_text(name)} {fmt.age(s)}" for name, s in sorted(lag.per_table.items()))
        slots[0].metric(
            "Sync lag",
            fmt.age(lag.overall_s),
            delta=f"stalest: {fmt.md_text(lag.stalest)} {fmt.age(lag.stalest_s)}" if lag.stalest else None,
            delta_arrow="off",
            delta_color="off",
            help="Server now − the newest row that reached this ClickHouse (synced_at), over every synced "
            f"table. Per table: {per_table or fmt.MISSING}.",
        )
    slots[1].metric(
        "Binance prices (1h klines)",
        fmt.ago(kline_age_s) if kline_age_s is not None else fmt.MISSING,
        delta=f"newest candle {fmt.utc(kline_newest)}" if kline_newest else "not available",
        delta_arrow="off",
        delta_color="off",
        help="Since the newest hourly candle closed (open time + 1 h). A new candle is expected every hour.",
    )
    slots[2].metric(
        "Model targets",
        f"{fmt.age(targets_age_s)} old" if targets_age_s is not None else fmt.MISSING,
        delta=f"newest weights dated {targets_newest.isoformat()}" if targets_newest else "not available",
        delta_arrow="off",
        delta_color="off",
        help="Since the start of the newest target date (UTC). Holdings date D trades the weights dated D−2.",
    )
    if monitors_line:
        st.markdown(f":material/error: **Monitors** {monitors_line}")
    if sentence:
        st.markdown(f"**Sync:** {sentence}")
