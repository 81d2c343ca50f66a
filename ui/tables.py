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

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from ui import state

ACCOUNT_COLUMN: Mapping[str, Any] = {
    "account": st.column_config.TextColumn("Account", help="The Hyperliquid account; a sub-account after the ·"),
}


def by_account(df: pl.DataFrame) -> pl.DataFrame:
    """The frame with its `account` column as a trader reads it (lib.format.account_label), kept only when
    the rows come from several accounts ("All accounts"); one account's rows need no account column."""
    if "account" not in df.columns:
        return df
    if df["account"].n_unique() <= 1:
        return df.drop("account")
    names = df["account"].unique().to_list()
    return df.with_columns(pl.col("account").replace_strict({n: fmt.account_label(n) for n in names}))


WEIGHT_COLUMNS = ("actual_weight", "weight_t2", "weight_t1", "err_t2", "err_t1")
WEIGHT_FORMAT = "%+.2f%%"  # weights are shown in percent of equity, signed, as the playbook quotes them
ERROR_FORMAT = "%+.2f pp"  # a weight difference is in percentage points
ERROR_COLUMNS = ("err_t2", "err_t1")
# Prices are rounded by magnitude (`rounded_prices`) and shown with separators: 3,765.79, 0.0123457.
NUMBER_FORMAT = fmt.GRID_PRICE
# Position sizes keep every digit a fill can carry (PUMP -20,876,668, not -2.08767e+07), with separators;
# 12 significant digits also hide float noise such as 0.30000000000000004.
UNITS_FORMAT = fmt.GRID_UNITS
COUNT_FORMAT = fmt.GRID_COUNT


def money_column(label: str, help: str | None = None, cents: bool = False, decimals: int | None = None) -> Any:
    """A USD column: $1,235 with separators (whole dollars, or cents with `cents`, or `decimals`); numeric, so it
    sorts by value, and a negative reads -$1,235 (lib.format.GRID_MONEY says why not −$1,235)."""
    places = decimals if decimals is not None else (2 if cents else 0)
    return st.column_config.NumberColumn(label, format=fmt.GRID_MONEY, step=10.0**-places, help=help)


def whole_dollars(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """`columns` rounded to whole dollars, for a money_column without cents, with no negative zero: a −$0.40
    rounds to −0.0, which the grid prints "-$0" (and polars keeps −0.0 through `+ 0.0`)."""
    rounded = [pl.col(c).round(0) for c in columns]
    return frame.with_columns(pl.when(r == 0).then(pl.lit(0.0)).otherwise(r).alias(c) for r, c in zip(rounded, columns))


def money_unsigned_zeros(frame: pl.DataFrame, config: Mapping[str, Any]) -> pl.DataFrame:
    """The frame with every value its money column (a money_column entry of `config`) shows as zero set to +0.0:
    the grid prints a −0.40 in a whole-dollar column "-$0", and a −0.004 in a cents column "-$0.00". Other values
    keep every digit (the CSV and sums stay exact)."""
    fixed = []
    for c, entry in config.items():
        kind = (entry.get("type_config") or {}) if isinstance(entry, Mapping) else {}
        if kind.get("format") == fmt.GRID_MONEY and kind.get("step") and c in frame.columns:
            shown_zero = (pl.col(c) > -kind["step"] / 2) & (pl.col(c) <= 0)
            fixed.append(pl.when(shown_zero).then(pl.lit(0.0)).otherwise(pl.col(c)).alias(c))
    return frame.with_columns(fixed) if fixed else frame


def percent_column(label: str, help: str | None = None, decimals: int = 1) -> Any:
    """A share held as a fraction, shown in percent with a fixed number of decimals: 17.6%, 16.8%, 0.0%. Without
    a step the grid trims them by value (17.58%, 16.8%, 0%) down one column."""
    return st.column_config.NumberColumn(label, format="percent", step=10.0 ** -(decimals + 2), help=help)


# The desk's words for the positions/TE table columns (the frame keeps its data names).
DESK_LABELS: Mapping[str, str] = {
    "sym": "Symbol",
    "pos_units": "Units",
    "bn_px": "Price",
    "notional_usd": "Notional",
    "actual_weight": "Weight",
    "weight_t2": "Target (T+2)",
    "weight_t1": "Target (T+1)",
    "err_t2": "Error",
    "err_t1": "Error vs T+1",
    "category": "Category",
    "flip_explained": "Flip",
}
DESK_HELP: Mapping[str, str] = {
    "pos_units": "Signed units held (negative = short), full precision.",
    "bn_px": "Binance close of the snapshot hour, USD.",
    "notional_usd": "Units × price, USD (negative = short).",
    "actual_weight": "Notional as % of equity.",
    "weight_t2": "The model's weight dated two days earlier (the one this day trades), % of equity.",
    "weight_t1": "The model's weight dated the day before (timing reference), % of equity.",
    "err_t2": "Weight − T+2 target, percentage points.",
    "err_t1": "Weight − T+1 target, percentage points.",
    "flip_explained": (
        "Closer to the T+1 target than to T+2, where the two targets differ by more than "
        f"{config.FLIP_MIN_TARGET_GAP * 100:g}% of equity: a timing slip, not a model miss."
    ),
}
SYMBOL_LINK = r"coin=([^&]+)$"  # a symbol link ends with &coin=<symbol>; the cell shows the symbol


def as_label(column: str) -> pl.Expr:
    """`column` as a one-item list for a label column (null stays null)."""
    return (
        pl.when(pl.col(column).is_null())
        .then(None)
        .otherwise(pl.concat_list(pl.col(column).cast(pl.String)))
        .alias(column)
    )


FLIP_TEXT = "flip"  # the Flip column's word for a flip-explained row (empty otherwise, null when unknown)


def label_column(title: str, colors: Mapping[str, str], help: str | None = None) -> Any:
    """A read-only column of coloured labels, one colour per known value."""
    return st.column_config.MultiselectColumn(title, options=list(colors), color=list(colors.values()), help=help)


def as_costs(df: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Amounts paid (fees, costs; SQL sums them as paid) as they act on PnL, the one sign lib.format.cost gives
    every other surface: a cost negative, a rebate positive, 0 stays 0 (never -0), missing stays missing."""
    return df.with_columns(
        pl.when(pl.col(c) == 0).then(0.0).otherwise(-pl.col(c)).alias(c) for c in columns if c in df.columns
    )


def weights_in_percent(df: pl.DataFrame, columns: Iterable[str] = WEIGHT_COLUMNS) -> pl.DataFrame:
    """Weight columns (fractions of equity) as percent points, rounded as WEIGHT_FORMAT shows them
    (so a tiny negative reads +0.00%, never -0.00%, as lib.format.weight writes it)."""

    def shown(c: str) -> pl.Expr:
        pct = (pl.col(c) * 100.0).round(2)
        return pl.when(pct == 0.0).then(0.0).otherwise(pct).alias(c)  # -0.0 would print as -0.00

    return df.with_columns([shown(c) for c in columns if c in df.columns])


def symbol_links(df: pl.DataFrame, link: str, column: str = "sym") -> pl.DataFrame:
    """`column` as links `link + symbol` (link ends with "coin="), shown as the symbol (SYMBOL_LINK)."""
    return df.with_columns(pl.concat_str([pl.lit(link), pl.col(column)]).alias(column))


def link_symbols(markdown: str, symbols: Iterable[str], link: str) -> str:
    """Markdown with each whole-word mention of one of `symbols` made a link `link + symbol`."""
    names = sorted({s for s in symbols if s and re.fullmatch(r"[A-Za-z0-9]{2,20}", s)}, key=len, reverse=True)
    if not names:
        return markdown
    pattern = re.compile(r"(?<![\w\[/=])(" + "|".join(map(re.escape, names)) + r")(?![\w\]])")
    return pattern.sub(lambda m: f"[{m.group(1)}]({link}{m.group(1)})", markdown)


def category_table(
    df: pl.DataFrame,
    usd_columns: Iterable[str] = ("notional_usd",),
    number_columns: Iterable[str] = ("bn_px",),
    units_columns: Iterable[str] = ("pos_units",),
    symbol_link: str | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """(frame, column_config) for a classified positions table in the desk's words: category pills,
    signed % weights, errors in pp, USD, units and prices at full precision; with `symbol_link`
    each symbol opens its Trades drill-down."""
    out = rounded_prices(weights_in_percent(df), number_columns)
    config: dict[str, Any] = {}
    for c in out.columns:
        label, help_text = DESK_LABELS.get(c, c), DESK_HELP.get(c)
        if c in ERROR_COLUMNS:
            config[c] = st.column_config.NumberColumn(label, format=ERROR_FORMAT, help=help_text)
        elif c in WEIGHT_COLUMNS:
            config[c] = st.column_config.NumberColumn(label, format=WEIGHT_FORMAT, help=help_text)
        elif c in usd_columns:
            config[c] = st.column_config.NumberColumn(label, format="dollar", help=help_text)
        elif c in number_columns:
            config[c] = st.column_config.NumberColumn(label, format=NUMBER_FORMAT, help=help_text)
        elif c in units_columns:
            config[c] = st.column_config.NumberColumn(label, format=UNITS_FORMAT, help=help_text)
        elif c == "flip_explained":  # text, not a checkbox: a read-only checkbox looks editable
            flag = pl.col(c).cast(pl.Boolean)
            out = out.with_columns(
                pl.when(flag.is_null())
                .then(pl.lit(None, pl.String))
                .when(flag)
                .then(pl.lit(FLIP_TEXT))
                .otherwise(pl.lit(""))
                .alias(c)
            )
            config[c] = st.column_config.TextColumn(label, help=help_text, width="small")
        elif c == "sym" and symbol_link:
            out = symbol_links(out, symbol_link)
            config[c] = st.column_config.LinkColumn(
                label,
                display_text=SYMBOL_LINK,
                pinned=True,
                help="Opens the coin's fills on the Trades page (same range).",
            )
        elif c in DESK_LABELS:
            config[c] = st.column_config.Column(label, help=help_text, pinned=c == "sym" or None)
    if "category" in out.columns:
        out = out.with_columns(as_label("category"))
        config["category"] = label_column("Category", fmt.CATEGORY_COLORS)
    return out, with_price_formats(out, config, number_columns)


def show_category_table(df: pl.DataFrame, height: int | None = None, symbol_link: str | None = None) -> None:
    """Draw `category_table(df)`."""
    frame, config = category_table(df, symbol_link=symbol_link)
    st.dataframe(
        frame,
        hide_index=True,
        column_config=config,
        height=height if height is not None else "auto",
        placeholder=fmt.MISSING,
    )


# --- tables that fit a laptop -------------------------------------------------------------------------
# The main column is 820 px wide at a 1280 px window (the sidebar open): a table shows by default the
# columns a reader needs, which fit it (tests/browser/test_tables_fit_browser.py); every other column of the
# frame stays one click away in the grid's own "Show/hide columns" menu (the eye icon of its toolbar) and
# in its CSV download.
NOTE_NAMES = 5  # the note names this many of the columns left out, then counts the rest
MORE_COLUMNS_NOTE = "More columns ({names}): the table's Show/hide columns menu (eye icon, top right)."


def rounded_prices(df: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Price columns rounded as lib.format.price shows them (two decimals from $1,000, else six significant
    digits), so the grid's NUMBER_FORMAT prints 3,765.79 and not 3765.790994."""

    def rounded(c: str) -> pl.Expr:
        col = pl.col(c).cast(pl.Float64)
        return (
            pl.when(col.abs() >= fmt.PRICE_CENTS_FROM)
            .then(col.round(2))
            .otherwise(col.round_sig_figs(fmt.PRICE_SIGNIFICANT))
            .alias(c)
        )

    return df.with_columns([rounded(c) for c in columns if c in df.columns])


def price_decimals(column: str) -> pl.Expr:
    """Each price's decimals as lib.format.price_decimals counts them (2 from PRICE_CENTS_FROM, else six
    significant digits), null for a missing or zero price."""
    size = pl.col(column).cast(pl.Float64).abs()
    digits = (fmt.PRICE_SIGNIFICANT - 1 - size.log10().floor()).clip(0, 12)
    return (
        pl.when(size.is_null() | (size == 0.0) | size.is_nan())
        .then(None)
        .when(size >= fmt.PRICE_CENTS_FROM)
        .then(2.0)
        .otherwise(digits)
        .cast(pl.Int64)
    )


PRICE_BAND_SPREAD = 1  # rows whose decimals differ by at most this share one fixed format


def price_format(values: pl.Series) -> str:
    """The grid format of one price column, from its rows: a column has one format, lib.format.price a decimal
    count per price. When the rows' decimal counts are within PRICE_BAND_SPREAD (one coin's prices, coins of
    like prices) the column gets the largest as fixed decimals, so trailing zeros stay as the text writes them
    (70,468.00, 0.500000, not 70,468 and 0.5); across magnitudes (BTC beside PUMP) fixed decimals would print
    70,468.0000000, so the column keeps NUMBER_FORMAT, which trims them (the values are rounded by
    rounded_prices either way)."""
    counts = values.to_frame("p").select(price_decimals("p").drop_nulls().alias("d"))["d"]
    if counts.len() == 0 or counts.max() - counts.min() > PRICE_BAND_SPREAD:  # type: ignore[operator]
        return NUMBER_FORMAT
    return f"%,.{counts.max()}f"


def with_price_formats(frame: Any, config: Mapping[str, Any], columns: Iterable[str]) -> dict[str, Any]:
    """`config` with each of `columns` formatted NUMBER_FORMAT given price_format of its rows in `frame`
    (polars or Arrow)."""
    out = dict(config)
    for c in columns:
        entry = out.get(c)
        if not isinstance(entry, Mapping) or (entry.get("type_config") or {}).get("format") != NUMBER_FORMAT:
            continue
        names = frame.column_names if hasattr(frame, "column_names") else frame.columns
        if c not in names:
            continue
        values = pl.Series(frame.column(c)) if hasattr(frame, "column_names") else frame[c]
        out[c] = {**entry, "type_config": {**entry["type_config"], "format": price_format(values)}}
    return out


def column_label(config: Mapping[str, Any], column: str) -> str:
    """The header a column_config entry gives `column` (its label, or the name itself)."""
    entry = config.get(column)
    if isinstance(entry, str):
        return entry
    if isinstance(entry, Mapping) and entry.get("label"):
        return str(entry["label"])
    return column


def fitted(
    columns: Sequence[str], config: Mapping[str, Any], shown: Sequence[str]
) -> tuple[list[str], dict[str, Any], list[str]]:
    """(column order, column config, the labels of the columns left out) for a table that shows `shown`
    of `columns` (in that order), its first column pinned so a sideways look keeps the row's name."""
    order = [c for c in shown if c in columns]
    out = dict(config)
    if order:
        first = out.get(order[0])
        if first is None or isinstance(first, str):
            out[order[0]] = st.column_config.Column(first or order[0], pinned=True)
        elif isinstance(first, Mapping):
            out[order[0]] = {**first, "pinned": True}
    hidden = [column_label(out, c) for c in columns if c not in order and out.get(c, 0) is not None]
    return order, out, hidden


def show(
    frame: Any,
    config: Mapping[str, Any],
    shown: Sequence[str],
    *,
    note: bool = True,
    **kwargs: Any,
) -> Any:
    """Draw `frame` (polars or Arrow) with the `shown` columns that fit 820 px, the first pinned; the others
    stay in the grid's Show/hide columns menu and its CSV, named in a caption under the table (`note`).
    Missing values show as lib.format.MISSING; keyword arguments go to st.dataframe (key, height, ...)."""
    names = list(frame.column_names) if hasattr(frame, "column_names") else list(frame.columns)  # Arrow or polars
    if isinstance(frame, pl.DataFrame):
        frame = money_unsigned_zeros(frame, config)
    order, column_config, hidden = fitted(names, config, shown)
    column_config = with_price_formats(frame, column_config, order)
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("placeholder", fmt.MISSING)
    drawn = st.dataframe(frame, column_order=order, column_config=column_config, **kwargs)
    if note and hidden:
        named = hidden[:NOTE_NAMES] + ([f"{len(hidden) - NOTE_NAMES} more"] if len(hidden) > NOTE_NAMES else [])
        st.caption(MORE_COLUMNS_NOTE.format(names=", ".join(fmt.md_text(h) for h in named)))
    return drawn


def text_details(
    frame: pl.DataFrame,
    title: str,
    names: Sequence[str],
    texts: str | Sequence[str],
    key: str | None = None,
    limit: int = 50,
) -> None:
    """The long text of a table (an error message, an alert's detail) under it, whole, one line per row
    that has any: "**name · name**: text — text" (`texts` joined, the empty ones left out). The table
    leaves those columns out of its defaults, so it fits; folded under `title` in a lazy fold keyed `key`
    (ui/state.py: drawn only while open, so not from a cached section), or drawn as it is with no key
    (inside a fold already)."""
    columns = [texts] if isinstance(texts, str) else list(texts)
    if not all(c in frame.columns for c in columns):
        return
    parts = [
        pl.when(pl.col(c).cast(pl.String).str.strip_chars() != "").then(pl.col(c).cast(pl.String)) for c in columns
    ]
    rows = frame.with_columns(pl.concat_str(parts, separator=" — ", ignore_nulls=True).alias("_text")).filter(
        pl.col("_text").is_not_null() & (pl.col("_text") != "")
    )
    if rows.height == 0:
        return
    box = state.lazy_expander(f"{fmt.md_text(title)} ({rows.height})", key) if key else st.container()
    if key and not box.open:
        return
    lines = [
        f"- **{' · '.join(fmt.md_text(r[n]) for n in names if r.get(n) is not None)}**: {fmt.md_text(r['_text'])}"
        for r in rows.head(limit).iter_rows(named=True)
    ]
    if rows.height > limit:
        lines.append(f"- … and {rows.height - limit} more")
    shown = "\n".join(lines)  # every value in a line went through fmt.md_text
    with box:
        st.markdown(shown)
