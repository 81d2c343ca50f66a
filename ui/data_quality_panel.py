"""System Health's odd-data checks: rows dated in the future.

A row dated after the server's now + FUTURE_SKEW_S (lib/config.py) is a bad
clock or a bad row. It never moves "data as of" or a page's default range;
here it is counted per table so someone fixes the feed.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt


def future_rows(df: pl.DataFrame | None) -> None:
    """A warning and a per-table count when any table holds future-dated rows; a quiet line otherwise."""
    if df is None:
        return
    skew = fmt.age(config.FUTURE_SKEW_S)
    bad = df.filter(pl.col("n_future") > 0)
    if bad.height == 0:
        st.caption(f"No row is dated after the server's now + {skew} (clock skew allowed).")
        return
    st.warning(f"**{int(bad['n_future'].sum())} row(s) dated in the future** (after the server's now + {skew}) "
               f"in {bad.height} table(s): they do not set *data as of* or any page's default range, and "
               "the feed that wrote them needs a look.", icon=":material/update:")
    st.dataframe(bad.select("table_key", "n_future", "newest_future"), hide_index=True, placeholder=fmt.MISSING,
                 column_config={"table_key": "table", "n_future": "future rows",
                                "newest_future": st.column_config.DatetimeColumn("latest date (UTC)")})


def open_chains(timeline: pl.DataFrame | None) -> None:
    """Positions whose last millisecond of fills does not chain into one result (queries/timeline.sql)."""
    if timeline is None or "chain_open" not in timeline.columns:
        return
    bad = timeline.filter(pl.col("chain_open"))["sym"].unique().sort().to_list()
    if bad:
        names = ", ".join(fmt.md_text(s) for s in bad[:15]) + (f", +{len(bad) - 15} more" if len(bad) > 15 else "")
        st.warning(f"**{len(bad)} position(s) from fills that do not chain** (several fills in one millisecond "
                   f"whose start positions and sizes do not lead to one result): {names}. The highest trade id's "
                   "result is used; check these against the exchange snapshot below.", icon=":material/link_off:")
