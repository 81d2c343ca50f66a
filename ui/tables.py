"""Tables whose labels (a TE category, a monitor status) are coloured by the grid itself.

A pandas Styler would colour the cells too, but it formats every cell in
Python before the grid sees it (10-30 ms for a 200-row table, more than the
query). Here the frame goes to `st.dataframe` as Arrow and stays numeric, so
sorting works; formats are the grid's own (column_config), and a label
column becomes a one-item list shown as a coloured pill (MultiselectColumn,
read-only in st.dataframe). Colours come from lib.format, as in the charts.
A missing value shows as lib.format.MISSING (the grid's placeholder), never 0.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import polars as pl
import streamlit as st

from lib import format as fmt

WEIGHT_COLUMNS = ("actual_weight", "weight_t2", "weight_t1", "err_t2", "err_t1")
WEIGHT_FORMAT = "%+.2f%%"  # weights are shown in percent of equity, signed, as the playbook quotes them
NUMBER_FORMAT = "%.6g"  # prices
# Position sizes keep every digit a fill can carry (PUMP -20876668, not -2.08767e+07); 12 significant
# digits also hide float noise such as 0.30000000000000004.
UNITS_FORMAT = "%.12g"


def as_label(column: str) -> pl.Expr:
    """`column` as a one-item list for a label column (null stays null)."""
    return pl.when(pl.col(column).is_null()).then(None).otherwise(
        pl.concat_list(pl.col(column).cast(pl.String))).alias(column)


def label_column(title: str, colors: Mapping[str, str], help: str | None = None) -> Any:
    """A read-only column of coloured labels, one colour per known value."""
    return st.column_config.MultiselectColumn(title, options=list(colors), color=list(colors.values()), help=help)


def weights_in_percent(df: pl.DataFrame, columns: Iterable[str] = WEIGHT_COLUMNS) -> pl.DataFrame:
    """Weight columns (fractions of equity) as percent points, rounded as WEIGHT_FORMAT shows them
    (so a tiny negative reads +0.00%, never -0.00%, as lib.format.weight writes it)."""
    def shown(c: str) -> pl.Expr:
        pct = (pl.col(c) * 100.0).round(2)
        return pl.when(pct == 0.0).then(0.0).otherwise(pct).alias(c)  # -0.0 would print as -0.00

    return df.with_columns([shown(c) for c in columns if c in df.columns])


def category_table(df: pl.DataFrame, usd_columns: Iterable[str] = ("notional_usd",),
                   number_columns: Iterable[str] = ("bn_px",),
                   units_columns: Iterable[str] = ("pos_units",)) -> tuple[pl.DataFrame, dict[str, Any]]:
    """(frame, column_config) for a classified positions table: category pills, signed % weights, USD, units."""
    out = weights_in_percent(df)
    config: dict[str, Any] = {}
    for c in out.columns:
        if c in WEIGHT_COLUMNS:
            config[c] = st.column_config.NumberColumn(c, format=WEIGHT_FORMAT, help="% of equity")
        elif c in usd_columns:
            config[c] = st.column_config.NumberColumn(c, format="dollar")
        elif c in number_columns:
            config[c] = st.column_config.NumberColumn(c, format=NUMBER_FORMAT)
        elif c in units_columns:
            config[c] = st.column_config.NumberColumn(c, format=UNITS_FORMAT, help="units, full precision")
    if "category" in out.columns:
        out = out.with_columns(as_label("category"))
        config["category"] = label_column("category", fmt.CATEGORY_COLORS)
    return out, config


def show_category_table(df: pl.DataFrame, height: int | None = None) -> None:
    """Draw `category_table(df)`."""
    frame, config = category_table(df)
    st.dataframe(frame, hide_index=True, column_config=config, height=height if height is not None else "auto",
                 placeholder=fmt.MISSING)
