"""AppTest helpers shared by the page-level tests."""

from __future__ import annotations


def category_table_values(shown):
    """A `ui.tables.category_table` as AppTest sees it, back in data units: the category
    pill (a one-item list) as its text, weight columns (shown in percent points) as fractions."""
    from ui.tables import WEIGHT_COLUMNS

    df = shown.copy()
    if "sym" in df.columns:  # a symbol link (…&coin=BTC) back to the symbol
        df["sym"] = [None if v is None else str(v).rsplit("coin=", 1)[-1] for v in df["sym"]]
    if "category" in df.columns:
        df["category"] = [None if v is None else list(v)[0] for v in df["category"]]
    for c in WEIGHT_COLUMNS:
        if c in df.columns:
            df[c] = df[c] / 100.0
    return df


def shown(markdown: str) -> str:
    """What a reader sees of Markdown that lib.format.md_text escaped: the backslash escapes and the
    invisible word joiners (they stop autolinks) removed."""
    import re

    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>~$:=&])", r"\1", markdown).replace("\u2060", "")
