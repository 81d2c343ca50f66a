"""The waterfall from the model book's PnL to the live book's: bars in $ and bp that add up to the gap.

Pure. Input: the per-day rows of queries/tracking/model_book.shortfall (kind 'day', the range's days), whose
bars SQL computed per day and symbol. Over a range every bar is the sum of its days ($), and its bp the sum
of each day's $ over that day's live equity at 00:00, so a range's bp is the sum of its daily active returns.
The residual bar is what is left of the gap once the named bars are taken out, so the bars add up to the gap
by construction; shown rounded, they are rounded together (largest remainder) so the shown numbers add up too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from lib import config
from lib import format as fmt

# the bars, in the order the waterfall draws them (model PnL first, live PnL last)
NAMED_BARS: tuple[str, ...] = ("sizing", "timing", "execution", "fees", "funding", "basis")
BARS: tuple[str, ...] = (*NAMED_BARS, "residual")
LABELS: dict[str, str] = {
    "sizing": "Sizing and missing legs",
    "timing": "Timing",
    "execution": "Execution",
    "fees": "Fees",
    "funding": "Funding",
    "basis": "Basis",
    "residual": "Residual",
}
HELP: dict[str, str] = {
    "sizing": "The live $ position against the model's (live − target weight, and the model's own equity), "
    "times each symbol's Binance return over the day: missing legs, partial fills, wrong sizes.",
    "timing": "A rebalance traded on the wrong day's targets (the days the lag sweep calls a timing slip: "
    "the targets it matched instead of D−2, against D−2), and legs filled after the 00:00 hour "
    "(the price move from the 00:00 close to the start of the fill's hour).",
    "execution": "Fill prices against Binance at the start of the fill's hour (the 00:00 close the model "
    "trades at, for the rebalance burst).",
    "fees": "The live book's fees (paid in USD tokens); with the model's fees on, minus the model's.",
    "funding": "The live book's funding payments (+ received); the model pays none.",
    "basis": "Exchange marks against Binance closes: the positions round nearest each 00:00, its units × "
    "(mark − Binance close), next 00:00 minus this one.",
    "residual": "What the tables do not explain: a coin without a Binance price, fees in other tokens, the "
    "seconds between a positions round and an account snapshot, fills the exchange does not show.",
}
SLIP_NOTE = {
    3: "a skipped rebalance (the book matched the D−3 targets)",
    1: "a rebalance traded on the D−1 targets (a one-day slip)",
    0: "a rebalance traded on the D−0 targets (a two-day slip)",
}


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    usd: float
    bp: float


@dataclass(frozen=True)
class Waterfall:
    """Model PnL → bars → live PnL over `days` complete days (None when no day has a known gap)."""

    first: date | None
    last: date | None
    n_days: int
    model_pnl: float | None
    live_pnl: float | None
    gap_usd: float | None
    gap_bp: float | None
    bars: tuple[Bar, ...]
    residual_large: bool
    notes: tuple[str, ...] = field(default_factory=tuple)

    def bar(self, key: str) -> Bar:
        return next(b for b in self.bars if b.key == key)

    def sentence(self) -> str:
        """'Live −$3,040 (−23.4 bp) against the model book: fees −$4,388, timing +$1,986, …' (bars by size)."""
        if self.gap_usd is None or self.gap_bp is None:
            return "No day of the range has both live marks and a model book yet."
        return _split_sentence(self.gap_usd, self.gap_bp, self.bars)


def _f(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _sum(values: Sequence[Any]) -> float:
    return math.fsum(v for v in (_f(x) for x in values) if v is not None)


def rounded_together(values: Sequence[float], total: float, decimals: int = 0) -> list[float]:
    """`values` rounded to `decimals` so that they add up to `total` rounded (largest remainder).

    Each is its own value rounded down or up: the waterfall's shown bars add up to its shown gap.
    """
    if not values:
        return []
    unit = 10.0**-decimals
    scaled = [v / unit for v in values]
    floors = [math.floor(s) for s in scaled]
    by_remainder = sorted(range(len(values)), key=lambda i: scaled[i] - floors[i], reverse=True)
    need = round(total / unit) - sum(floors)  # how many to round up (0 <= need < n when total is their sum)
    out = list(floors)
    for k in range(abs(need)):
        i = by_remainder[k % len(values)] if need > 0 else by_remainder[-1 - k % len(values)]
        out[i] += 1 if need > 0 else -1
    return [round(o * unit, decimals) for o in out]


def assemble(days: pl.DataFrame) -> Waterfall:
    """The range's waterfall from its per-day rows (gap, live_pnl, model_pnl, each bar in $ and bp)."""
    known = days.filter(pl.col("gap").is_not_null() & pl.col("sizing").is_not_null()) if days.height else days
    if known.height == 0:
        return Waterfall(None, None, 0, None, None, None, None, (), False, ("no complete day with both marks",))
    gap_usd, gap_bp = _sum(known["gap"].to_list()), _sum(known["gap_bp"].to_list())
    named = {k: (_sum(known[k].to_list()), _sum(known[f"{k}_bp"].to_list())) for k in NAMED_BARS}
    residual_usd = gap_usd - math.fsum(u for u, _ in named.values())
    residual_bp = gap_bp - math.fsum(b for _, b in named.values())
    bars = tuple(Bar(k, LABELS[k], u, b) for k, (u, b) in named.items()) + (
        Bar("residual", LABELS["residual"], residual_usd, residual_bp),
    )
    large = abs(residual_bp) > config.MODEL_RESIDUAL_LARGE_BP and abs(residual_usd) > (
        config.MODEL_RESIDUAL_LARGE_SHARE * abs(gap_usd)
    )
    notes = []
    if large:
        notes.append(
            f"The residual is large ({fmt.usd(residual_usd, signed=True)}, {fmt.bps(residual_bp)}): "
            "the tables do not explain that much of the gap (see the residual bar's help)."
        )
    return Waterfall(
        known["day"].min(),  # type: ignore[arg-type]
        known["day"].max(),  # type: ignore[arg-type]
        known.height,
        _sum(known["model_pnl"].to_list()),
        _sum(known["live_pnl"].to_list()),
        gap_usd,
        gap_bp,
        bars,
        large,
        tuple(notes),
    )


def _split_sentence(gap_usd: float, gap_bp: float, bars: Sequence[Bar], lead: str = "Live") -> str:
    shown = rounded_together([b.usd for b in bars], gap_usd)
    parts = sorted(zip(bars, shown), key=lambda p: -abs(p[1]))
    listed = ", ".join(f"{b.label.lower()} {fmt.usd(v, signed=True)}" for b, v in parts if v != 0) or "nothing"
    verb = "ahead of" if gap_usd > 0 else "behind" if gap_usd < 0 else "level with"
    return f"{lead} {fmt.usd(gap_usd, signed=True)} ({fmt.bps(gap_bp)}) {verb} the model book: {listed}."


def day_sentence(row: dict) -> str:
    """One day's split in one sentence, from its shortfall row (None-safe: an unknown day says so)."""
    gap, gap_bp = _f(row.get("gap")), _f(row.get("gap_bp"))
    if gap is None or gap_bp is None or _f(row.get("sizing")) is None:
        return "Live against the model book: not known for this day (a live mark or the model book is missing)."
    named = [Bar(k, LABELS[k], _f(row.get(k)) or 0.0, _f(row.get(f"{k}_bp")) or 0.0) for k in NAMED_BARS]
    residual = Bar("residual", LABELS["residual"], _f(row.get("residual")) or 0.0, _f(row.get("residual_bp")) or 0.0)
    text = _split_sentence(gap, gap_bp, [*named, residual], lead="The day: live")
    lag = row.get("timing_lag")
    if lag is not None and int(lag) != config.T_PLUS_TARGET:
        text = text[:-1] + f"; timing carries {SLIP_NOTE.get(int(lag), f'the D−{int(lag)} targets')}."
    return text


SYMBOL_COLUMNS: tuple[str, ...] = ("sym", "total", *NAMED_BARS, "live_trading", "model_trading", "n_unpriced")
UNEXPLAINED = "(not by symbol)"


def symbol_table(symbols: pl.DataFrame, waterfall: Waterfall) -> pl.DataFrame:
    """The per-symbol split ($), largest |total| first, and one row for the residual (not by symbol), so the
    table adds up to the waterfall's gap."""
    if symbols.height == 0 or waterfall.gap_usd is None:
        return pl.DataFrame(schema={c: pl.Float64 for c in SYMBOL_COLUMNS} | {"sym": pl.String, "n_unpriced": pl.Int64})
    table = (
        symbols.select(
            pl.col("sym").cast(pl.String),
            *[pl.col(k).cast(pl.Float64) for k in NAMED_BARS],  # a symbol without a Binance price: unknown, null
            pl.col("live_trading").cast(pl.Float64),
            pl.col("model_trading").cast(pl.Float64),
            pl.col("n_unpriced").cast(pl.Int64),
        )
        .with_columns(pl.sum_horizontal(*NAMED_BARS).alias("total"))
        .sort([pl.col("total").abs(), pl.col("sym")], descending=[True, False])
    )
    residual = waterfall.bar("residual").usd
    extra = pl.DataFrame(
        {
            "sym": [UNEXPLAINED],
            "total": [residual],
            **{k: [0.0] for k in NAMED_BARS},
            "live_trading": [None],
            "model_trading": [None],
            "n_unpriced": [0],
        },
        schema=table.select(SYMBOL_COLUMNS).schema,
    )
    return pl.concat([table.select(SYMBOL_COLUMNS), extra])
