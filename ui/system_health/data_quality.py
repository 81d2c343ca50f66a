"""System Health's data checks: the data contract (schema drift), rows dated in the future or before
inception, rows with an empty (NULL) key.

The contract table compares the remote's columns with queries/schema.sql.

One row per contract column (and per extra remote column), broken ones first:
present, normalised (a compatible type the queries convert: the numbers are
the contract's), wrong type, missing, extra. A panel that reads a broken
column names it in its own error (ui/data.py through lib/contract.explain).
A row dated after the server's now + FUTURE_SKEW_S (lib/config.py) is a bad clock
or a bad row: it never moves "data as of" or a default range; here it is counted.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib.clickhouse import contract
from lib.health import checks, odd_rows
from ui import tables
from ui.tables import as_label, label_column

CONTRACT_COLUMNS = {
    "status": label_column("Status", fmt.CONTRACT_COLORS),
    "table": "Table",
    "column": "Column",
    "expected": "Expected type",
    "actual": "Type found",
    "note": "Note",
}
CONTRACT_SHOWN = ["status", "table", "column", "expected", "actual"]  # the note: under the table, whole
CAPTION = (
    "The columns and types of every configured table (system.columns) against the data contract "
    "(queries/schema.sql). *Normalised*: another but compatible type (DateTime, a non-UTC timezone, "
    "Nullable, Decimal, Enum); the queries convert it and the numbers are unchanged. *Wrong type* and "
    "*missing* break the panels that read the column; *extra* columns are not read."
)


def counts(check: pl.DataFrame) -> dict[str, int]:
    """Columns per status, every status present (0 when none)."""
    got = dict(check.group_by("status").len().iter_rows()) if check.height else {}
    return {s: int(got.get(s, 0)) for s in contract.STATUS_ORDER}


def contract_table(check: pl.DataFrame | None) -> None:
    """The summary line and the table (nothing when the check could not run: load() said why)."""
    st.subheader("Data contract")
    if check is None:
        return
    n = counts(check)
    summary = checks.contract_summary(check)  # the same counts as the Data quality tab's label
    absent, broken = summary.absent_tables, summary.broken
    line = " · ".join(f"{k}: {v}" for k, v in n.items())
    if broken:
        st.error(
            f"**{fmt.plural(broken, 'contract column')} broken** — the panels that read "
            f"{fmt.agree(broken, 'it', 'them')} cannot be shown. {line}",
            icon=":material/error:",
        )
    if absent:
        st.warning(
            f"**{fmt.agree(len(absent), 'Table', 'Tables')} not found or not readable:** "
            f"{', '.join(fmt.md_text(t) for t in absent)} — {fmt.agree(len(absent), 'its', 'their')} panels say so. {line}",
            icon=":material/table_rows:",
        )
    if not (broken or absent) and n[contract.NORMALISED]:
        st.warning(
            f"**Compatible drift:** {fmt.plural(n[contract.NORMALISED], 'column')} of another type, converted. {line}",
            icon=":material/sync_alt:",
        )
    elif not (broken or absent):
        st.success(f"**Every contract column is present with its type.** {line}", icon=":material/check_circle:")
    rank = {s: i for i, s in enumerate(contract.STATUS_ORDER)}
    frame = (
        check.with_columns(pl.col("status").replace_strict(rank, default=len(rank)).alias("_rank"))
        .sort(["_rank", "table", "column"])
        .drop("_rank")
        .select("status", "qualified", "column", "expected", "actual", "note")
        .rename({"qualified": "table"})
        .with_columns(as_label("status"))
    )
    # the notes (what a drifted column converts, why a table is not found) under the table, whole: the table fits
    tables.show(frame, CONTRACT_COLUMNS, CONTRACT_SHOWN, note=False, height=min(38 + 35 * frame.height, 400))
    tables.text_details(frame, "Notes on the columns", ("table", "column"), "note", key="sh_contract_notes")
    st.caption(CAPTION)


def future_rows(df: pl.DataFrame | None) -> None:
    """A warning and a per-table count when any table holds future-dated rows; a quiet line otherwise."""
    if df is None:
        return
    skew = fmt.age(config.FUTURE_SKEW_S)
    bad = df.filter(pl.col("n_future") > 0)
    if bad.height == 0:
        st.caption(f"No row is dated after the server's now + {skew} (clock skew allowed).")
        return
    st.warning(
        f"**{fmt.plural(int(bad['n_future'].sum()), 'row')} dated in the future** (after the server's now + {skew}) "
        f"in {fmt.plural(bad.height, 'table')}: {fmt.agree(int(bad['n_future'].sum()), 'it does', 'they do')} not set *data as of* or any page's default range, and "
        "the feed that wrote them needs a look.",
        icon=":material/update:",
    )
    st.dataframe(
        bad.select("table_key", "n_future", "newest_future"),
        hide_index=True,
        placeholder=fmt.MISSING,
        column_config={
            "table_key": "table",
            "n_future": "future rows",
            "newest_future": st.column_config.DatetimeColumn("latest date (UTC)"),
        },
    )


def stray_rows(df: pl.DataFrame | None, rule: str) -> None:
    """Rows dated before the desk's inception, in words and per table; a quiet line with the rule otherwise."""
    if df is None:
        return
    inception = df["inception"].drop_nulls()
    when = f"{fmt.utc(inception[0])}" if inception.len() else fmt.MISSING
    bad = df.filter(pl.col("n_stray") > 0)
    if bad.height == 0:
        st.caption(f"Inception {when}: no row is dated before it. Inception is {fmt.md_text(rule)}.")
        return
    first = bad["first_stray"].drop_nulls().min()
    first = first if isinstance(first, datetime) else None
    st.warning(
        f"**{fmt.plural(int(bad['n_stray'].sum()), 'row')} dated before the desk's inception** ({when}) in "
        f"{fmt.plural(bad.height, 'table')}, the oldest on {fmt.utc(first)}: "
        f"{fmt.agree(int(bad['n_stray'].sum()), 'it is', 'they are')} not a start mark, the first day of the *All* range or the start of *PnL since inception*. "
        f"Inception is {fmt.md_text(rule)}.",
        icon=":material/history:",
    )
    st.dataframe(
        bad.select("table_key", "n_stray", "first_stray", "last_stray"),
        hide_index=True,
        placeholder=fmt.MISSING,
        column_config={
            "table_key": "table",
            "n_stray": "rows before inception",
            "first_stray": st.column_config.DatetimeColumn("oldest (UTC)", format="YYYY-MM-DD HH:mm"),
            "last_stray": st.column_config.DatetimeColumn("newest (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )


def null_key_rows(df: pl.DataFrame | None) -> None:
    """A warning in words when rows were left out for an empty (NULL) key; a quiet line otherwise."""
    if df is None:
        return
    counts = odd_rows.null_key_counts(df.iter_rows(named=True))
    if not counts:
        st.caption("No row has an empty (NULL) key (trade id, time, coin, account, symbol).")
        return
    st.warning(
        f"**{fmt.plural(odd_rows.null_key_total(counts), 'row')} with an empty (NULL) key left out** in "
        f"{fmt.plural(len(counts), 'table')}: {'; '.join(odd_rows.null_key_parts(counts))}. No page counts them (a NULL account is never an "
        "account); the feed that wrote them needs a look.",
        icon=":material/filter_alt_off:",
    )
