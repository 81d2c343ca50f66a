"""The Tracking Error page's "Live against the model book" section: the two equity curves, the cumulative
active return and its band, the waterfall from the model's PnL to the live PnL, the per-symbol split, and
each day's split in one sentence for the day story.

One answer feeds it all (`answers.shortfall`: the model book and the shortfall, ClickHouse-computed); the
live hourly equity is the Overview's (`queries.book.overview.equity_series`). The model's fee switch is the
one widget (URL `model_fees=1`); the range is the sidebar's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
import streamlit as st

from answers import shortfall as answers
from lib import format as fmt
from lib.book import pnl
from lib.inputs import parse_flag
from lib.model_book import band as bands
from lib.model_book import curves
from lib.model_book import waterfall as falls
from queries.book import overview
from ui import cache, layout, plot, tables
from ui.data import load
from ui.plot import Spec
from ui.shell.sidebar import Selection
from ui.state import init_from_url, set_url, url_value
from ui.tracking_error import shortfall_charts as charts

FEES_KEY = "te_model_fees"


def _url_fees(raw: str) -> bool:
    return parse_flag(raw, "model_fees")


def fees_chosen() -> bool:
    """The fee switch's value without drawing it: the day story reads it while the model book's tab is closed
    (the switch's own state, else the URL, which keeps `model_fees` while the tab is closed)."""
    if FEES_KEY in st.session_state:
        return bool(st.session_state[FEES_KEY])
    return url_value("model_fees", _url_fees, False)


def fee_switch() -> bool:
    """The model's costs: none (default) or the desk's own fee rate on its turnover (URL `model_fees=1`)."""
    init_from_url(FEES_KEY, "model_fees", _url_fees, False)
    on = st.toggle(
        "Model pays the desk's fee rate",
        key=FEES_KEY,
        help="Off (default): the model book trades for free. On: it pays the live book's own fee rate "
        "(fees / traded notional over the range) on its turnover at each 00:00 rebalance.",
    )
    set_url(model_fees=1 if on else None)
    return bool(on)


@dataclass(frozen=True)
class ShortfallView:
    """Everything the section draws, finished."""

    title: str
    metrics: tuple[tuple[str, str, str | None, str], ...]  # label, value, delta, help
    equity: Spec
    active: Spec
    waterfall: Spec
    symbols: pl.DataFrame
    lines: tuple[str, ...]  # markdown, values already escaped
    pending: str | None


def _metrics(answer: answers.Shortfall) -> tuple[tuple[str, str, str | None, str], ...]:
    fall, band = answer.waterfall, answer.band
    i = band.last
    if i is None or band.limit_bp[i] is None:
        band_value, band_help = fmt.MISSING, band.method
    else:
        status = band.status(i)
        edge = band.limit_bp[i] or 0.0
        band_value = {bands.INSIDE: f"inside ±{edge:.0f} bp", bands.BELOW: f"below −{edge:.0f} bp"}.get(
            status or "", f"above +{edge:.0f} bp"
        )
        band_help = band.method
    return (
        (
            "Live book PnL",
            fmt.usd(fall.live_pnl, signed=True),
            None,
            "Account equity at the 00:00 marks, deposits and withdrawals excluded.",
        ),
        (
            "Model book PnL",
            fmt.usd(fall.model_pnl, signed=True),
            None,
            "The paper book that holds each day's T+2 "
            "targets at 00:00 on its own equity, priced on Binance closes, with the same deposits and withdrawals.",
        ),
        (
            "Live − model",
            fmt.usd(fall.gap_usd, signed=True),
            fmt.bps(fall.gap_bp),
            "The cumulative active return: the sum of the days' (live PnL − model PnL), in bp of each day's "
            "live equity at 00:00.",
        ),
        (f"Band (±{band.k:g}σ√t)", band_value, None, band_help),
    )


def _fee_line(answer: answers.Shortfall) -> str:
    if not answer.fees:
        return "Model costs: **none** (switch on to charge the model the desk's own fee rate on its turnover)."
    if answer.fee_rate is None:
        return "Model costs: the desk's fee rate is **unknown** for this range (no traded notional), so **none**."
    return (
        f"Model costs: the desk's own fee rate, **{answer.fee_rate * 1e4:.2f} bp** of traded notional over the "
        "range, on the model's turnover at each 00:00."
    )


@cache.view()
def shortfall_view(
    answer: answers.Shortfall, book: answers.ModelBook, live_hourly: pl.DataFrame | None, symbol_link: str | None
) -> ShortfallView:
    window = answer.window
    last = window.end.isoformat() if window.end else fmt.MISSING
    title = f"{window.start.isoformat()} – {last} (UTC holdings days)"
    live = curves.live_hourly_curve(live_hourly) if live_hourly is not None else book.live_marks
    symbols = answer.symbols
    if symbols.height:
        symbols = tables.whole_dollars(symbols, ("total", *falls.NAMED_BARS, "live_trading", "model_trading"))
    if symbol_link and symbols.height:
        symbols = symbols.with_columns(
            pl.when(pl.col("sym") == falls.UNEXPLAINED)
            .then(pl.col("sym"))
            .otherwise(pl.concat_str([pl.lit(symbol_link), pl.col("sym")]))
            .alias("sym")
        )
    lines = [fmt.md_text(answer.waterfall.sentence()), fmt.md_text(answer.band.sentence()), _fee_line(answer)]
    lines += [f":material/warning: {fmt.md_text(n)}" for n in answer.waterfall.notes]
    if answer.slips:
        slips = ", ".join(f"{d.isoformat()} (D−{lag})" for d, lag in sorted(answer.slips.items()))
        lines.append(f"Timing slips from the lag sweep (their rebalance's cost is under timing): {slips}.")
    return ShortfallView(
        title=title,
        metrics=_metrics(answer),
        equity=charts.equity_curves(live, book.curve, f"Live and model book equity, {title}"),
        active=charts.active_return(answer.days, answer.band, "Cumulative active return, live − model (bp)"),
        waterfall=charts.waterfall(answer.waterfall, "From the model book's PnL to the live book's"),
        symbols=symbols,
        lines=tuple(lines),
        pending=window.pending,
    )


_SYMBOL_CONFIG_HELP = {k: falls.HELP[k] for k in falls.NAMED_BARS}


@cache.section()
def section(view: ShortfallView, symbol_link: str | None) -> None:
    """Draw the section (no widgets: the fee switch is drawn before it)."""
    if view.pending:
        st.caption(f"Not in the numbers yet: {fmt.md_text(view.pending)}.")
    slots = layout.metric_row(len(view.metrics))
    for slot, (label, value, delta, help_text) in zip(slots, view.metrics):
        slot.metric(label, value, help=help_text, **layout.delta(delta))
    st.markdown("  \n".join(view.lines))
    plot.show(view.equity, key="te_model_equity")
    plot.show(view.active, key="te_model_active")
    plot.show(view.waterfall, key="te_model_waterfall")
    st.caption(
        "Each bar is the sum of its days; bp are each day's $ over that day's live equity at 00:00, summed. The "
        "y axis is zoomed to the gap. Hover a bar for what it measures."
    )
    config_columns = {
        "sym": st.column_config.LinkColumn(
            "Symbol",
            display_text=tables.SYMBOL_LINK,
            pinned=True,
            help="Opens the coin's fills on the Trades page (same range).",
        )
        if symbol_link
        else st.column_config.TextColumn("Symbol", pinned=True),
        "total": tables.money_column("Live − model", help="The symbol's bars, summed."),
        **{
            k: tables.money_column(falls.LABELS[k].split(" and ")[0].capitalize(), help=h)
            for k, h in _SYMBOL_CONFIG_HELP.items()
        },
        "live_trading": tables.money_column(
            "Live PnL", help="The live book's trading PnL on Binance closes and its fill prices."
        ),
        "model_trading": tables.money_column("Model PnL", help="The model book's PnL on the symbol (before its fees)."),
        "n_unpriced": st.column_config.NumberColumn(
            "Days unpriced", format="%d", help="Days without a Binance price: that PnL is in the residual."
        ),
    }
    st.markdown(
        "**The bars per symbol over the range**, largest |live − model| first; the residual is a row of its own, "
        "so the table adds up to the gap"
    )
    st.dataframe(view.symbols, hide_index=True, height=380, placeholder=fmt.MISSING, column_config=config_columns)


def _answer(sidebar: Selection, fees: bool) -> answers.Shortfall | None:
    """The one answer the section and the day story's sentence both read (cached)."""
    return load(
        answers.shortfall,
        sidebar.start,
        sidebar.end,
        fees=fees,
        as_of=sidebar.as_of,
        what="live against the model book",
    )


def show(sidebar: Selection, symbol_link: str | None) -> None:
    """The section: its fee switch, then everything else."""
    st.subheader("Live against the model book")
    fees = fee_switch()
    start, end = sidebar.start, sidebar.end
    answer = _answer(sidebar, fees)
    if answer is None:
        return
    if answer.window.end is None:
        st.info(
            f"No day of {start.isoformat()} – {end.isoformat()} has closed yet: "
            f"{fmt.md_text(answer.window.pending or '')}.",
            icon=":material/schedule:",
        )
        return
    hourly = pnl.chart_bucket_seconds(start, answer.window.end) == 3600
    book = load(answers.model_book, start, end, fees=fees, hourly=hourly, as_of=sidebar.as_of, what="the model book")
    if book is None:
        return
    live_hourly = load(overview.equity_series, start, answer.window.end, 3600, what="live equity") if hourly else None
    section(shortfall_view(answer, book, live_hourly, symbol_link), symbol_link)


@cache.section()
def day_line(sentence: str | None) -> None:
    """The day story's one sentence of the day's split (live − model)."""
    if sentence:
        st.markdown(f"**Against the model book:** {fmt.md_text(sentence)}")


def day_sentence(sidebar: Selection, day: date) -> str | None:
    """The day's split (live − model) in one sentence, from the same answer the section draws (cached: the
    section's tab need not be open)."""
    answer = _answer(sidebar, fees_chosen())
    return answer.day_sentence(day) if answer is not None else None
