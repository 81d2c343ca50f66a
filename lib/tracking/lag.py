"""Effective execution lag: which day's targets the book actually tracks, and what that cost.

Pure and UI-free. Input is `queries.tracking.tracking_error.lag_sweep`'s frame (one row
per holdings_date x lag: the weight-space TE of the snapshot against the
targets dated D - lag, null when those targets are missing, and the day's
best lag). The playbook's flip attribution asks "closer to T+1 than to T+2?"
per symbol; the sweep asks it of the whole book, for D-0 .. D-3.

The desk's schedule is T+2 (`config.T_PLUS_TARGET`): holdings day D trades
the weights dated D-2. A best lag of 1 is a one-day timing slip (the book
traded the next day's weights), 3 a skipped rebalance (the book still holds
the previous day's positions, which tracked D-3), 0 a two-day slip. A lag
other than 2 is called a slip only when it is clearly better
(TE < LAG_CLEAR_RATIO x the T+2 TE); otherwise the day is "no clear lag".

`effective` is that one classification: the strip, the share of days, the day's verdict and
`python -m cli lag` all read it, so a day is never painted a slip that its verdict calls "no clear lag".
`best_lag` stays what the sweep says: the lag with the smallest TE, clearly or not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from lib import config
from lib import format as fmt
from lib.tracking import classification as te

SCHEDULED = config.T_PLUS_TARGET
LAGS: tuple[int, ...] = tuple(range(config.LAG_SWEEP_MAX + 1))

# --- what kind of day it was ---------------------------------------------------
ON_TIME = "on time"
MISSING_NAMES = "a few missing names"
ONE_DAY_SLIP = "one-day timing slip"
TWO_DAY_SLIP = "two-day timing slip"
SKIPPED_REBALANCE = "skipped rebalance"
NO_CLEAR_LAG = "no clear lag"
UNKNOWN = "unknown"
PENDING = "not closed yet"  # the day's snapshot hour has not ended in the data (lib.clock): nothing is compared

_SLIP_BY_LAG = {SCHEDULED - 1: ONE_DAY_SLIP, SCHEDULED - 2: TWO_DAY_SLIP, SCHEDULED + 1: SKIPPED_REBALANCE}
_SLIP_NOTE = {
    ONE_DAY_SLIP: "it traded the next day's weights",
    TWO_DAY_SLIP: "it traded the same day's weights",
    SKIPPED_REBALANCE: "it still holds the previous day's positions",
}


def lag_label(lag: int | None) -> str:
    """'D−2' for a lag; the missing dash for none."""
    return fmt.MISSING if lag is None else f"D{fmt.MINUS}{int(lag)}"


def te_column(lag: int) -> str:
    return f"te_lag{lag}"


def effective(by_lag: dict[int, float | None], best: int | None) -> tuple[int | None, str]:
    """The day's one lag classification: (the lag the day is attributed to, its kind).

    On time at the schedule; a slip (ONE_DAY_SLIP, TWO_DAY_SLIP, SKIPPED_REBALANCE) at `best` only when its TE is
    below LAG_CLEAR_RATIO x the scheduled lag's; otherwise NO_CLEAR_LAG (lag None), also when the scheduled lag's
    targets are missing; UNKNOWN (lag None) when no lag could be compared.
    """
    if best is None:
        return None, UNKNOWN
    if best == SCHEDULED:
        return SCHEDULED, ON_TIME
    sched, t_best, slip = by_lag.get(SCHEDULED), by_lag.get(best), _SLIP_BY_LAG.get(best)
    if slip is not None and sched is not None and t_best is not None and t_best < config.LAG_CLEAR_RATIO * sched:
        return best, slip
    return None, NO_CLEAR_LAG


def lag_days(sweep: pl.DataFrame, days: list[date] | None = None, last_complete: date | None = None) -> pl.DataFrame:
    """One row per day: `date, te_lag0 .. te_lagN, best_lag, effective_lag, kind` (every day of `days` when given,
    nulls where unknown). `effective_lag` and `kind` are `effective`'s: the lag the day is attributed to (null for
    "no clear lag" and "unknown") and the kind of day. A day after `last_complete` (its snapshot has not closed,
    lib.clock.latest_complete_day) is PENDING with every value null: never compared."""
    if last_complete is not None:
        sweep = sweep.filter(pl.col("holdings_date") <= last_complete)
    wide = (
        sweep.select(pl.col("holdings_date").alias("date"), "lag", "te")
        .with_columns(pl.format("te_lag{}", pl.col("lag")).alias("_col"))
        .pivot(on="_col", index="date", values="te")
    )
    for lag in LAGS:
        if te_column(lag) not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(te_column(lag)))
    best = sweep.group_by(pl.col("holdings_date").alias("date")).agg(pl.col("best_lag").first().cast(pl.Int8))
    out = wide.join(best, on="date", how="left")
    if days is not None:
        out = pl.DataFrame({"date": days}, schema={"date": pl.Date}).join(out, on="date", how="left")
    out = out.sort("date").select("date", *[te_column(lag) for lag in LAGS], "best_lag")
    kinds = [
        (None, PENDING)
        if last_complete is not None and row["date"] > last_complete
        else effective(te_by_lag(row), row["best_lag"])
        for row in out.iter_rows(named=True)
    ]
    return out.with_columns(
        pl.Series("effective_lag", [k[0] for k in kinds], dtype=pl.Int8),
        pl.Series("kind", [k[1] for k in kinds], dtype=pl.String),
    )


NO_CLEAR_LABEL = "no clear lag"


def lag_shares(days_frame: pl.DataFrame) -> pl.DataFrame:
    """Share of the days at each effective lag, and of the days with no clear lag: `lag, label, n_days, share`
    (every lag listed, then the "no clear lag" row with a null lag).

    `share` is over the days that could be compared (every kind but UNKNOWN and PENDING); null when there is none.
    """
    known = days_frame.filter(~pl.col("kind").is_in([UNKNOWN, PENDING]))
    counts = dict(known.filter(pl.col("effective_lag").is_not_null()).group_by("effective_lag").len().iter_rows())
    unclear = known.filter(pl.col("kind") == NO_CLEAR_LAG).height
    total = known.height
    n_days = [int(counts.get(lag, 0)) for lag in LAGS] + [unclear]
    return pl.DataFrame(
        {
            "lag": [*LAGS, None],
            "label": [lag_label(lag) for lag in LAGS] + [NO_CLEAR_LABEL],
            "n_days": n_days,
            "share": [n / total if total else None for n in n_days],
        },
        schema={"lag": pl.Int8, "label": pl.String, "n_days": pl.Int64, "share": pl.Float64},
    )


def te_by_lag(row: dict[str, Any]) -> dict[int, float | None]:
    """A `lag_days` row as {lag: te} (None where the targets are missing)."""
    out: dict[int, float | None] = {}
    for lag in LAGS:
        v = row.get(te_column(lag))
        out[lag] = float(v) if v is not None and math.isfinite(v) else None
    return out


def to_json(days_frame: pl.DataFrame) -> dict:
    """The `python -m cli lag --json` object:
    {"days": [{"date", "te_by_lag": {"0": x, ...}, "best_lag", "effective_lag", "kind"}]}."""
    days = []
    for row in days_frame.iter_rows(named=True):
        days.append(
            {
                "date": row["date"].isoformat(),
                "te_by_lag": {str(lag): v for lag, v in te_by_lag(row).items()},
                "best_lag": None if row["best_lag"] is None else int(row["best_lag"]),
                "effective_lag": None if row["effective_lag"] is None else int(row["effective_lag"]),
                "kind": row["kind"],
            }
        )
    return {"days": days}


# --- the day's verdict -----------------------------------------------------------
@dataclass(frozen=True)
class DayVerdict:
    """What kind of day it was, in words, and what the tracking cost in $ and bp."""

    kind: str
    best_lag: int | None
    te_by_lag: dict[int, float | None]
    lag_sentence: str  # "the book matched the D−1 targets better than D−2 (TE 0.40% vs 1.90%): ..."
    cost_usd: float | None  # next day's active return x equity
    cost_bp: float | None  # next day's active return in bp of equity
    cost_sentence: str

    def to_markdown(self) -> str:
        """Markdown: the sentences are text (they name symbols from the data), escaped by lib.format.md_text."""
        return (
            f"**Verdict: {fmt.md_text(self.kind)}.** {fmt.md_text(_capital(self.lag_sentence))}\n\n"
            f"**What the tracking cost:** {fmt.md_text(self.cost_sentence)}\n"
        )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _te(x: float | None) -> str:
    return fmt.pct(x, 2, missing="n/a")


# an on-time day whose Σerr² is mostly one problem category is named after it
_DOMINANT_KINDS = {
    te.MISSING_POSITION: MISSING_NAMES,
    te.WRONG_DIRECTION: "wrong-direction positions",
    te.EXTRA_POSITION: "extra positions",
    te.MAGNITUDE_ERROR: "sizing errors",
}
_CATEGORY_WORDS = {
    te.MISSING_POSITION: ("missing name", "missing names"),
    te.WRONG_DIRECTION: ("wrong-direction position", "wrong-direction positions"),
    te.EXTRA_POSITION: ("extra position", "extra positions"),
    te.MAGNITUDE_ERROR: ("magnitude error", "magnitude errors"),
}


def _dominant(classified: pl.DataFrame | None) -> tuple[str, list[str], float] | None:
    """The problem category carrying >= LAG_DOMINANT_SHARE of the day's priced Σerr², its names (largest |err|
    first) and share; None when no category does (or MISSING_POSITION has more than "a few" names)."""
    if classified is None or classified.height == 0 or "category" not in classified.columns:
        return None
    priced = classified.filter(pl.col("category") != te.UNPRICED)
    total = float((priced["err_t2"] ** 2).sum())
    if total <= 0:
        return None
    per = (
        priced.filter(pl.col("category").is_in(list(_DOMINANT_KINDS)))
        .group_by("category")
        .agg((pl.col("err_t2") ** 2).sum().alias("sq"))
        .sort("sq", descending=True)
        .head(1)
        .to_dicts()
    )
    if not per or per[0]["sq"] / total < config.LAG_DOMINANT_SHARE:
        return None
    cat = per[0]["category"]
    names = (
        priced.filter(pl.col("category") == cat)
        .sort([pl.col("err_t2").abs(), pl.col("sym").cast(pl.String)], descending=[True, False])["sym"]
        .cast(pl.String)
        .to_list()
    )
    if cat == te.MISSING_POSITION and len(names) > config.LAG_MISSING_MAX_NAMES:
        return None
    return cat, names, per[0]["sq"] / total


def _names(names: list[str], limit: int = config.LAG_MISSING_MAX_NAMES) -> str:
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, +{len(names) - limit} more"


def lag_sentence(
    by_lag: dict[int, float | None], best: int | None, classified: pl.DataFrame | None = None
) -> tuple[str, str]:
    """(kind, sentence) for a day's TE by lag and best lag (the kind is `effective`'s, an on-time day named after
    a dominant error category); `classified` (the day's rows) names missing names."""
    sched = by_lag.get(SCHEDULED)
    _, kind = effective(by_lag, best)
    if best is None:
        return UNKNOWN, "no day's targets could be compared with the book (targets or equity missing)"
    t_best = by_lag[best]
    others = ", ".join(
        f"{lag_label(lag)} {_te(v)}" for lag, v in sorted(by_lag.items()) if lag != best and v is not None
    )
    others = f"; {others}" if others else ""
    if best == SCHEDULED:
        text = f"the book matched the {lag_label(best)} targets best (TE {_te(t_best)}{others}): on time"
        dominant = _dominant(classified)
        if dominant is None:
            return ON_TIME, text
        cat, names, share = dominant
        one, many = _CATEGORY_WORDS[cat]
        return (_DOMINANT_KINDS[cat] if len(names) > 1 else f"one {one}"), (  # not "a few missing names" of one
            f"{text}, but {fmt.plural(len(names), one, many)} "
            f"({_names(names)}) {fmt.agree(len(names), 'carries', 'carry')} {fmt.pct(share, 0)} of Σerr²"
        )
    if sched is None:
        return NO_CLEAR_LAG, (
            f"the {lag_label(SCHEDULED)} targets are missing; the closest were "
            f"{lag_label(best)} (TE {_te(t_best)}{others})"
        )
    text = (
        f"the book matched the {lag_label(best)} targets better than {lag_label(SCHEDULED)} "
        f"(TE {_te(t_best)} vs {_te(sched)})"
    )
    if kind != NO_CLEAR_LAG:
        return kind, f"{text}: a {kind} ({_SLIP_NOTE[kind]})"
    return NO_CLEAR_LAG, f"{text}, but only marginally: no clear timing slip; the gaps are sizing or missing names"


def tracking_cost(active_return: float | None, equity: float | None) -> tuple[float | None, float | None, str]:
    """(usd, bp, sentence): the next day's active return (book − T+2 target) in bp and × equity in $."""
    if active_return is None or not math.isfinite(active_return):
        return (
            None,
            None,
            (
                "not known yet: the next day's snapshot has no return to compare "
                "(or this day's targets or prices are missing)"
            ),
        )
    bp = active_return * 1e4
    if equity is None or not math.isfinite(equity) or equity <= 0:
        return None, bp, f"active return {fmt.bps(bp)} to the next day's snapshot; equity unknown, so no dollar figure"
    usd = active_return * equity
    verb = "cost" if usd < 0 else "earned"
    return (
        usd,
        bp,
        (
            f"the next day's active return (book − T+{SCHEDULED} target) was {fmt.bps(bp)} "
            f"× equity {fmt.usd(equity)} = {fmt.usd(usd, signed=True)}: the deviation {verb} "
            f"{fmt.usd(abs(usd))}"
        ),
    )


def day_verdict(
    by_lag: dict[int, float | None],
    best: int | None,
    classified: pl.DataFrame | None,
    active_return: float | None,
    equity: float | None,
) -> DayVerdict:
    kind, sentence = lag_sentence(by_lag, best, classified)
    usd, bp, cost = tracking_cost(active_return, equity)
    return DayVerdict(
        kind=kind,
        best_lag=best,
        te_by_lag=dict(by_lag),
        lag_sentence=sentence,
        cost_usd=usd,
        cost_bp=bp,
        cost_sentence=cost,
    )
