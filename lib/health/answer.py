"""System Health's five-second answer: how late is the data, which monitors are down, and one true
sentence about the sync (rows arriving or not, runs failing or not), from the panels' own frames.

Pure functions over `lib.health.rules.assess_tables` / `assess_monitors` / `assess_sync` output, so the
headline can never disagree with the tables below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import polars as pl

from lib import format as fmt
from lib.health.rules import DOWN, LATE, OK, aware, valid_ts
from lib.inputs import finite_float


@dataclass(frozen=True)
class SyncLag:
    """now − the newest row that reached the remote (synced_at), overall and per table."""

    overall_s: float | None  # against the newest synced row of any table
    per_table: dict[str, float | None]
    stalest: str | None  # the table whose newest synced row is oldest
    stalest_s: float | None


def sync_lag(tables: pl.DataFrame) -> SyncLag:
    """From `assess_tables` rows (`table_key, newest_synced, server_now`); unknown stays None."""
    per: dict[str, float | None] = {}
    for r in tables.iter_rows(named=True):
        now, synced = aware(r.get("server_now")), valid_ts(r.get("newest_synced"))
        per[r["table_key"]] = (now - synced).total_seconds() if now and synced else None
    known = {k: v for k, v in per.items() if v is not None}
    if not known:
        return SyncLag(None, per, None, None)
    stalest = max(known, key=lambda k: (known[k], k))
    return SyncLag(min(known.values()), per, stalest, known[stalest])


def monitor_names(assessed: pl.DataFrame) -> dict[str, list[str]]:
    """{DOWN: [names], LATE: [names]} from `assess_monitors` rows, names sorted."""
    out: dict[str, list[str]] = {DOWN: [], LATE: []}
    for r in assessed.iter_rows(named=True) if assessed.height else []:
        if r["status"] in out:
            out[r["status"]].append(str(r["monitor"]))
    return {k: sorted(v) for k, v in out.items()}


def monitors_line(names: dict[str, list[str]], link: str | None = None) -> str:
    """Markdown: 'DOWN: account, trades · LATE: orders', or '' when every monitor is fine. With `link`
    (ending with `monitor=`) each name is a link to that monitor's heartbeat rows. A name is data: its
    text is escaped (`[x](http://evil)` shows as that text) and it enters the link percent-encoded."""

    def name(m: str) -> str:
        return f"[{fmt.md_text(m)}]({link}{quote(m, safe='')})" if link else fmt.md_text(m)

    parts = [f"{status}: {', '.join(name(m) for m in names[status])}" for status in (DOWN, LATE) if names.get(status)]
    return " · ".join(parts)


def failed_runs_24h(sync: pl.DataFrame) -> int:
    """Failed sync runs in the 24 h to the window end, all tables (the sum of `assess_sync`'s failures_24h)."""
    return int(sync["failures_24h"].fill_null(0).sum()) if "failures_24h" in sync.columns else 0


def sync_sentence(table_status: str | None, sync: pl.DataFrame | None, lag: SyncLag) -> str:
    """One sentence (Markdown: the sync log's table names in it are escaped) that says what is true of
    the sync, reconciling the two panels.

    `table_status` is the worst freshness status of the synced tables (rows arriving?),
    `sync` the `assess_sync` rows (runs succeeding?). Both OK, both bad, or one of each each get
    their own words, so "tables OK" beside "sync runs DOWN" reads as what it means.
    """
    arriving = table_status == OK
    newest = (
        f"the newest synced row is {fmt.age(lag.overall_s)} old"
        if lag.overall_s is not None
        else "no synced row is readable"
    )
    if sync is None or sync.height == 0:
        runs = None
    else:
        bad = sync.filter(pl.col("status") != OK)
        failed_24h = failed_runs_24h(sync)
        runs_24h = int(sync["runs_24h"].fill_null(0).sum()) if "runs_24h" in sync.columns else 0
        names = (
            ", ".join(fmt.md_text(f"{r['database']}.{r['table']}") for r in bad.iter_rows(named=True))
            if bad.height
            else ""
        )
        runs = (bad.height, names, failed_24h, runs_24h)
    if runs is None:
        return (
            f"Rows are arriving ({newest}); the sync log has no runs to judge."
            if arriving
            else f"Rows are not arriving on time ({newest}); the sync log has no runs to judge."
        )
    n_bad, names, failed_24h, runs_24h = runs
    failing = f"{failed_24h} of {runs_24h} sync runs failed in the last 24 h"
    if arriving and n_bad == 0:
        return f"Rows are arriving ({newest}) and the sync runs succeed ({failing})."
    if arriving:
        return (
            f"Rows are arriving ({newest}), but the sync log reports trouble for {names}: {failing}. "
            "Data is current; the failing runs are retried."
        )
    if n_bad == 0:
        stalest = f"; stalest: {fmt.md_text(lag.stalest)} ({fmt.age(lag.stalest_s)})" if lag.stalest else ""
        return (
            f"The sync runs succeed, but rows are not arriving on time ({newest}{stalest}): "
            "the source may have stopped producing."
        )
    return f"Rows are not arriving on time ({newest}) and the sync is failing for {names}: {failing}."


def age_of(newest: datetime | None, now: datetime | None) -> float | None:
    """Seconds from `newest` to `now`, None when either is unknown."""
    newest, now = valid_ts(newest), aware(now)
    return (now - newest).total_seconds() if newest and now else None


def candle_age_s(open_time: datetime | None, now: datetime | None) -> float | None:
    """Seconds since the newest hourly candle closed (open time + 1 h); None when unknown."""
    open_time = valid_ts(open_time)
    return age_of(open_time + timedelta(hours=1), now) if open_time else None


def target_age_s(newest: date | None, now: datetime | None) -> float | None:
    """Seconds since the start (UTC midnight) of the newest target date; None when unknown."""
    if newest is None:
        return None
    return age_of(datetime(newest.year, newest.month, newest.day, tzinfo=UTC), now)


def rows_fold_label(filled: Sequence[pl.DataFrame], hours: int) -> str:
    """The folded rows-per-hour chart's label (`rules.fill_hours` frames): its window and each continuous
    table's gap hours, so that a closed fold still says whether the chart holds anything to look at."""
    gaps = {str(f.item(0, "table_key")): int(f["gap"].sum()) for f in filled if f.height}
    found = [f"{fmt.plain_text(name)} {n} h" for name, n in sorted(gaps.items()) if n]
    return f"Rows per hour · {fmt.hours_span(hours)} · " + (f"gaps: {', '.join(found)}" if found else "no gaps")


def durations_fold_label(durations: pl.DataFrame, hours: int) -> str:
    """The folded sync-durations chart's label (`health.sync_durations` rows: hour, target, dur_max_s,
    failures): the longest run and the hours with failed runs, so a closed fold still says both."""
    longest = finite_float(durations["dur_max_s"].max()) if durations.height else None
    failed = (
        durations.filter(pl.col("failures") > 0).select(pl.col("hour").n_unique()).item() if durations.height else 0
    )
    return (
        f"Sync durations · {fmt.hours_span(hours)} · longest run {fmt.duration(longest)} · "
        f"{fmt.plural(failed, 'hour')} with failed runs"
    )
