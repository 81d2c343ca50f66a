"""The one CSV writer behind every download: a file a spreadsheet or a script reads as it is meant.

- floats rounded to 12 significant digits: 0.20560599999999998 is written 0.205606, real precision
  (prices of 1e-8, sizes of 1e6) is kept;
- times as ISO 8601 in UTC with a `Z` (2025-12-05T00:01:02.345Z), days as 2025-12-05;
- booleans as true/false, missing values as empty fields (never 0);
- a text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
  carriage return: OWASP's CSV-injection rule) starts with a `'` instead, so `=HYPERLINK(…)` from the data
  is text in Excel or Sheets. Numbers are never touched: −5.2 stays a number.
"""

from __future__ import annotations

from datetime import date

import polars as pl

SIGNIFICANT_DIGITS = 12
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.3fZ"
FORMULA_START = r"^[=+\-@\t\r]"  # OWASP: the first characters that make a spreadsheet cell a formula


def _text_cell(col: pl.Expr) -> pl.Expr:
    """A text column with formula-looking cells neutralised by a leading `'`."""
    text = col.cast(pl.String)
    return pl.when(text.str.contains(FORMULA_START)).then(pl.lit("'") + text).otherwise(text)


def csv_text(df: pl.DataFrame) -> str:
    """`df` as CSV text in the house format (see the module docstring)."""
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype.is_float():
            exprs.append(col.round_sig_figs(SIGNIFICANT_DIGITS))
        elif isinstance(dtype, pl.Datetime):
            if dtype.time_zone:
                col = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            exprs.append(col.dt.strftime(TIME_FORMAT))
        elif dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)):
            exprs.append(_text_cell(col).alias(name))
    out = df.with_columns(exprs) if exprs else df
    return out.write_csv(date_format="%Y-%m-%d")


def file_name(what: str, *parts: date | str) -> str:
    """A download's name that says what it holds: `fills_2025-12-01_2025-12-07.csv`."""
    bits = [what] + [p.isoformat() if isinstance(p, date) else str(p) for p in parts]
    return "_".join(b.replace(" ", "-") for b in bits if b) + ".csv"
