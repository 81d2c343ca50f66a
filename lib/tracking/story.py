"""A day's tracking-error story in the playbook's words, and the `report` command's JSON.

Pure: a `lib.tracking.classification.classify` result in, text or plain data out.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass
from typing import Any

import polars as pl

from lib import config
from lib import format as fmt
from lib.tracking.classification import (
    CATEGORIES,
    EXTRA_POSITION,
    MAGNITUDE_ERROR,
    MATCHED,
    MATCHED_ZERO,
    MISSING_POSITION,
    UNPRICED,
    WRONG_DIRECTION,
    as_polars,
    checked_classified,
    float_columns,
    require_columns,
    snapshot_te,
)

# --- day-story wording -------------------------------------------------------
ELEVATED_RATIO = 1.25  # today's TE > 1.25x the previous days' mean -> "elevated"
BELOW_RATIO = 0.8  # today's TE < 0.8x the previous days' mean -> "below"
HEADLINE_MAX_NAMES = 5  # names listed per category in the headline
STORY_MAX_NAMES = 10  # names listed per category in a bullet
MINUS_SIGN = fmt.MINUS  # typographic minus used in displayed percentages


# --- narrative ---------------------------------------------------------------
def fmt_weight(w: float | None) -> str:
    """A weight as a signed percent with 2 decimals: 0.01679 -> '+1.68%', -0.0133 -> '−1.33%'."""
    return fmt.weight(w, missing="n/a")


def _fmt_level(x: float | None) -> str:
    """An unsigned level (TE, active share) as a percent with 2 decimals."""
    return fmt.pct(x, 2, missing="n/a")


def _names(names: list[str], limit: int) -> str:
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, +{len(names) - limit} more"


def _by_target(df: pl.DataFrame) -> pl.DataFrame:
    """Deterministic order: |target| descending, then name."""
    return df.sort(
        [pl.col("weight_t2").abs(), pl.col("sym").cast(pl.String)],
        descending=[True, False],
        nulls_last=True,
    )


def _by_error(df: pl.DataFrame) -> pl.DataFrame:
    return df.sort(
        [pl.col("err_t2").abs(), pl.col("sym").cast(pl.String)],
        descending=[True, False],
        nulls_last=True,
    )


def _describe(row: dict, gap: bool = False) -> str:
    text = f"{row['sym']} target {fmt_weight(row['weight_t2'])} actual {fmt_weight(row['actual_weight'])}"
    if gap:
        text += f" (gap {fmt_weight(row['err_t2'])})"
    return text


def _list(rows: list[dict], limit: int, gap: bool = False) -> str:
    text = "; ".join(_describe(r, gap) for r in rows[:limit])
    if len(rows) > limit:
        text += f"; +{len(rows) - limit} more"
    return text


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ValueError(f"expected a date, datetime or 'YYYY-MM-DD' string, got {value!r}")


def _history_mean(history: Any, today: dt.date) -> tuple[float, int] | None:
    """Mean TE and day count over the history rows dated before `today` (finite te only)."""
    h = as_polars(history, "day_story history")
    require_columns(h, ("date", "te"), "day_story history")
    dtype = h.schema["date"]
    if dtype == pl.Date:
        d = pl.col("date")
    elif isinstance(dtype, pl.Datetime):
        d = pl.col("date").dt.date()
    elif dtype == pl.String:
        d = pl.col("date").str.slice(0, 10).str.to_date("%Y-%m-%d")
    else:
        raise ValueError(f"day_story history: date column must be a date, datetime or string, got {dtype}")
    h = float_columns(h, ("te",), "day_story history")
    prev = h.filter((d < today) & pl.col("te").is_not_null())
    if prev.height == 0:
        return None
    return float(prev["te"].mean()), prev.height  # type: ignore[arg-type]


@dataclass
class DayStory:
    """One day's tracking-error narrative (see `day_story`)."""

    headline: str
    bullets: list[str]
    counts: dict[str, int]
    te: dict
    date: str = ""

    def to_markdown(self) -> str:
        title = f"{self.date} — {self.headline}" if self.date else self.headline
        lines = [f"**{fmt.md_text(title)}**", ""]
        lines += [f"- {fmt.md_text(b)}" for b in self.bullets]
        return "\n".join(lines) + "\n"


def _te_comparison(te: float, mean: float, days: int) -> str:
    if te > ELEVATED_RATIO * mean:
        verdict = "is elevated vs"
    elif te < BELOW_RATIO * mean:
        verdict = "is below"
    else:
        verdict = "is in line with"
    return f"TE {_fmt_level(te)} {verdict} {_fmt_level(mean)} average over the previous {fmt.plural(days, 'day')}"


def day_story(date: Any, classified: Any, history: Any = None, top_n: int = 5) -> DayStory:
    """The day's narrative from a `classify` result, in the playbook's style.

    `history` (optional): a frame with `date, te` (te in the same units as
    `snapshot_te`, i.e. a fraction); rows dated before `date` with a finite te are
    averaged and today's TE is called elevated (> ELEVATED_RATIO x mean), below
    (< BELOW_RATIO x mean) or in line with it.
    """
    if isinstance(top_n, bool) or not isinstance(top_n, numbers.Integral) or top_n < 1:
        raise ValueError(f"top_n must be an int >= 1, got {top_n!r}")
    day = _as_date(date)
    df = checked_classified(
        classified,
        "day_story",
        ("sym", "actual_weight", "weight_t2", "err_t2", "category", "flip_explained"),
    )
    parts = {key[0]: part for key, part in df.partition_by("category", as_dict=True).items()} if df.height else {}
    counts = {c: 0 for c in CATEGORIES}
    for cat, part in parts.items():
        counts[cat] = part.height
    te = snapshot_te(df)
    rows = {c: [] for c in CATEGORIES}
    for cat in CATEGORIES:
        sub = parts.get(cat)
        if sub is not None and sub.height:
            ordered = _by_error(sub) if cat in (MAGNITUDE_ERROR, MATCHED) else _by_target(sub)
            rows[cat] = ordered.select("sym", "weight_t2", "actual_weight", "err_t2").to_dicts()
    sizing = _by_error(df.filter(pl.col("category").is_in([MAGNITUDE_ERROR, MATCHED])))
    sizing = sizing.filter(pl.col("err_t2") != 0.0).head(1).to_dicts()

    total = df.height
    n_priced = te["n_priced"]

    # headline
    if total == 0:
        headline = "No symbols in snapshot"
    elif n_priced == 0:
        names = [r["sym"] for r in rows[UNPRICED]]
        headline = f"No priced symbols: {counts[UNPRICED]} unpriced ({_names(names, HEADLINE_MAX_NAMES)})"
    else:
        parts = []
        if counts[WRONG_DIRECTION] == 0 and counts[EXTRA_POSITION] == 0:
            parts.append("Book aligned in direction")
        for cat, word in ((WRONG_DIRECTION, "wrong-direction position"), (EXTRA_POSITION, "extra position")):
            if counts[cat]:
                names = [r["sym"] for r in rows[cat]]
                parts.append(f"{fmt.plural(counts[cat], word)} ({_names(names, HEADLINE_MAX_NAMES)})")
        if counts[MISSING_POSITION]:
            names = [r["sym"] for r in rows[MISSING_POSITION]]
            parts.append(
                f"{fmt.plural(counts[MISSING_POSITION], 'missing position')} ({_names(names, HEADLINE_MAX_NAMES)})"
            )
        else:
            parts.append("no missing positions")
        gap = f"largest sizing gap {sizing[0]['sym']} {fmt_weight(sizing[0]['err_t2'])}" if sizing else ""
        if counts[MAGNITUDE_ERROR]:
            parts.append(f"{fmt.plural(counts[MAGNITUDE_ERROR], 'magnitude error')}, {gap}")
        elif gap:
            parts.append(gap)
        if counts[UNPRICED]:
            parts.append(f"{counts[UNPRICED]} unpriced")
        headline = "; ".join(parts)
        headline = headline[0].upper() + headline[1:]

    # bullets
    bullets = []
    bullets.append(f"{fmt.plural(total, 'symbol')} in snapshot: " + ", ".join(f"{c} {counts[c]}" for c in CATEGORIES))
    if te["te"] is None:
        bullets.append("TE not available: no priced symbols")
    else:
        bullets.append(
            f"TE {_fmt_level(te['te'])} (sqrt of Σerr² vs T+2 target over {fmt.plural(n_priced, 'priced symbol')}), "
            f"active share {_fmt_level(te['active_share'])}"
        )
        if history is not None:
            hm = _history_mean(history, day)
            if hm is None:
                bullets.append("No TE history before this day to compare with")
            else:
                bullets.append(_te_comparison(te["te"], hm[0], hm[1]))
    if counts[MISSING_POSITION]:
        bullets.append(
            f"Missing positions ({counts[MISSING_POSITION]}): {_list(rows[MISSING_POSITION], STORY_MAX_NAMES)}"
        )
    elif n_priced:
        bullets.append("No missing positions")
    if counts[EXTRA_POSITION] == 0 and counts[WRONG_DIRECTION] == 0:
        if n_priced:
            bullets.append("No extra or wrong-direction positions: directionality is correct across the book")
    else:
        if counts[EXTRA_POSITION]:
            bullets.append(
                f"Extra positions ({counts[EXTRA_POSITION]}): {_list(rows[EXTRA_POSITION], STORY_MAX_NAMES)}"
            )
        if counts[WRONG_DIRECTION]:
            bullets.append(
                f"Wrong-direction positions ({counts[WRONG_DIRECTION]}): "
                f"{_list(rows[WRONG_DIRECTION], STORY_MAX_NAMES)}"
            )
    if counts[MAGNITUDE_ERROR]:
        bullets.append(
            f"Largest magnitude errors ({counts[MAGNITUDE_ERROR]}): {_list(rows[MAGNITUDE_ERROR], top_n, gap=True)}"
        )
    elif counts[MATCHED]:
        bullets.append(
            f"No magnitude errors; largest deviations among matched names: {_list(rows[MATCHED], top_n, gap=True)}"
        )
    elif n_priced:
        bullets.append("No magnitude errors")
    if n_priced:
        priced = df.filter(pl.col("category") != UNPRICED)
        e2 = pl.col("err_t2") ** 2
        flip = pl.col("flip_explained").cast(pl.Boolean).fill_null(False)
        sq_total, sq_flip, n_flip = priced.select(
            e2.sum().alias("total"), e2.filter(flip).sum().alias("flip"), flip.sum().alias("n")
        ).row(0)
        if not sq_total:
            bullets.append("Σerr² is zero: the book matches the T+2 target exactly")
        else:
            share = float(sq_flip) / float(sq_total)
            what = (
                "(closer to the T+1 than the T+2 target, where the two targets differ by more than "
                f"{fmt.pct(config.FLIP_MIN_TARGET_GAP, 2)} of equity)"
            )
            explain = f"on {fmt.plural(int(n_flip), 'symbol')} explain {fmt.pct(share, 1)} of Σerr²"
            bullets.append(f"Flips {what} {explain}" if n_flip else f"No flips {what}")  # not "on 0 symbols"
    if "no_target_row" in df.columns:
        nt = _by_target(
            df.filter(pl.col("no_target_row").cast(pl.Boolean).fill_null(False) & (pl.col("category") != UNPRICED))
        )
        if nt.height:
            bullets.append(
                f"{fmt.plural(nt.height, 'symbol')} with no target row (target taken as 0): "
                f"{_names(nt['sym'].cast(pl.String).to_list(), STORY_MAX_NAMES)}"
            )
    if counts[UNPRICED]:
        names = [f"{r['sym']} (target {fmt_weight(r['weight_t2'])})" for r in rows[UNPRICED]]
        bullets.append(
            f"Data quality: {fmt.plural(counts[UNPRICED], 'unpriced symbol')} "
            f"(no price or equity, left out of TE): {_names(names, STORY_MAX_NAMES)}"
        )
    return DayStory(headline=headline, bullets=bullets, counts=counts, te=te, date=day.isoformat())


# --- CLI report --------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A JSON-safe Python scalar: floats stay floats, NaN/inf become None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        return x if math.isfinite(x) else None
    return value


REPORT_FIELDS: tuple[str, ...] = ("sym", "weight_t2", "weight_t1", "actual_weight", "err_t2", "flip_explained")


def to_report(date: Any, hour: int, classified: Any) -> dict:
    """The CLI day report as a JSON-serialisable dict (see module docstring for units).

    `counts` has every category (0 when absent); `symbols` lists, for every category
    except MATCHED and MATCHED_ZERO, the rows ordered by |target| desc then name.
    """
    if isinstance(hour, bool) or not isinstance(hour, numbers.Integral) or not 0 <= hour <= 23:
        raise ValueError(f"hour must be an int in 0..23, got {hour!r}")
    day = _as_date(date)
    df = checked_classified(classified, "to_report", ("category",) + REPORT_FIELDS)
    counts = {c: 0 for c in CATEGORIES}
    for cat, n in df.group_by("category").len().iter_rows():
        counts[cat] = int(n)
    symbols: dict[str, list[dict]] = {}
    for cat in CATEGORIES:
        if cat in (MATCHED, MATCHED_ZERO):
            continue
        sub = _by_target(df.filter(pl.col("category") == cat)).select(REPORT_FIELDS)
        symbols[cat] = [
            {
                "sym": None if r["sym"] is None else str(r["sym"]),
                "weight_t2": _plain(r["weight_t2"]),
                "weight_t1": _plain(r["weight_t1"]),
                "actual_weight": _plain(r["actual_weight"]),
                "err_t2": _plain(r["err_t2"]),
                "flip_explained": bool(r["flip_explained"]),
            }
            for r in sub.to_dicts()
        ]
    te = snapshot_te(df)
    return {
        "date": day.isoformat(),
        "hour": int(hour),
        "counts": counts,
        "symbols": symbols,
        "te": {"te": _plain(te["te"]), "active_share": _plain(te["active_share"])},
    }
