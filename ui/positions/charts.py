"""Chart specs for the Positions page: the book against its T+2 target per symbol.

Builders take ready-made frames and return a spec for `ui.plot.show`; colours
come from lib.format so a series looks the same everywhere.
"""

from __future__ import annotations

import polars as pl

from lib import format as fmt
from ui import plot
from ui.plot import Spec


def weights_vs_target(table: pl.DataFrame, max_symbols: int | None = None) -> Spec:
    """Grouped bars, actual weight vs T+2 target per symbol, in the table's order (largest |err| first).

    `table` has `sym, actual_weight, weight_t2` and optionally `category`, `err_t2`;
    the hover shows the category and the gap. Unpriced rows have no actual bar.
    """
    df = table if max_symbols is None else table.head(max_symbols)
    syms = [fmt.plot_text(s) for s in df["sym"].cast(pl.String).to_list()]  # axis labels from the data
    cats = df["category"].to_list() if "category" in df.columns else [None] * df.height
    errs = df["err_t2"].to_list() if "err_t2" in df.columns else [None] * df.height
    hover = [f"{c or 'n/a'}<br>gap {fmt.weight(e)}" for c, e in zip(cats, errs)]
    data = [
        {
            "type": "bar",
            "x": syms,
            "y": plot.percent(df["actual_weight"].to_list()),
            "name": "Actual",
            "marker": {"color": fmt.SERIES_COLORS["actual"]},
            "customdata": hover,
            "hovertemplate": "%{x} actual %{y:+.2f}%<br>%{customdata}<extra></extra>",
        },
        {
            "type": "bar",
            "x": syms,
            "y": plot.percent(df["weight_t2"].to_list()),
            "name": "T+2 target",
            "marker": {"color": fmt.SERIES_COLORS["target_t2"]},
            "hovertemplate": "%{x} T+2 target %{y:+.2f}%<extra></extra>",
        },
    ]
    shown = f", top {df.height} of {table.height}" if df.height < table.height else ""
    return plot.spec(
        data,
        plot.layout(
            f"Actual vs T+2 target weight (% of equity), largest gap first{shown}",
            height=380,
            barmode="group",
            bargap=0.25,
            xaxis={"tickangle": -60, "tickfont": {"size": 11}, "type": "category"},
            yaxis={"title": {"text": "weight, % of equity"}, "ticksuffix": "%"},
        ),
    )
