"""What the Positions and Tracking Error pages show, computed from the hourly timeline.

Pure and UI-free (no streamlit import): the pages call these and only draw.
Every function takes the frame `queries.tracking.tracking_error.timeline` returns (one
row per holdings_date x sym at the snapshot hour, see queries/tracking/timeline.sql) or
a `lib.tracking.classification.classify` result of it, and returns polars frames or
plain Python values.

Conventions
-----------
* A holdings day whose D-2 model targets are missing (`t2_rows_for_day == 0`)
  is NOT classified: without targets every held coin would look like an
  EXTRA_POSITION. Such a day is a "no-target day"; its TE, counts and active
  return are null (a gap in a chart), never 0.
* Weights are fractions of equity; exposure and TE are fractions too.
* UNPRICED rows (actual_weight null) are out of every sum and are listed with
  the reason (no price / equity missing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from typing import Any

import polars as pl

from lib import config
from lib import format as fmt
from lib.inputs import InputError, parse_threshold
from lib.tracking import classification as te

UTC = UTC

# Columns of the Positions table, in display order.
POSITION_COLUMNS: tuple[str, ...] = (
    "sym",
    "pos_units",
    "bn_px",
    "notional_usd",
    "actual_weight",
    "weight_t2",
    "weight_t1",
    "err_t2",
    "category",
    "flip_explained",
)

UNCLASSIFIED_COLUMNS: tuple[str, ...] = POSITION_COLUMNS[:7]  # a no-target day: no error, no category

# Short display labels for the categories (metrics, legends); the category names stay the data.
CATEGORY_LABELS: dict[str, str] = {
    te.MATCHED_ZERO: "Matched zero",
    te.MISSING_POSITION: "Missing position",
    te.EXTRA_POSITION: "Extra position",
    te.WRONG_DIRECTION: "Wrong direction",
    te.MAGNITUDE_ERROR: "Magnitude error",
    te.MATCHED: "Matched",
    te.UNPRICED: "Unpriced",
}

# The day-story table: the weights and the verdict only.
STORY_COLUMNS: tuple[str, ...] = (
    "sym",
    "actual_weight",
    "weight_t2",
    "weight_t1",
    "err_t2",
    "category",
    "flip_explained",
)

REASON_NO_PRICE = "no price"
REASON_NO_EQUITY = "equity missing"


@dataclass(frozen=True)
class Thresholds:
    """Classification thresholds after validation; `errors` says what was refused."""

    w_eps: float = config.W_EPS
    mag_eps: float = config.MAG_EPS
    errors: tuple[str, ...] = field(default_factory=tuple)
    mag_rule: str = config.DEFAULT_MAG_RULE

    @property
    def label(self) -> str:
        rule = "" if self.mag_rule == "absolute" else " of |target| (relative rule)"
        return f"W_EPS {self.w_eps:g} · MAG_EPS {self.mag_eps:g}{rule}"


def thresholds(w_eps: Any, mag_eps: Any, mag_rule: Any = config.DEFAULT_MAG_RULE) -> Thresholds:
    """Validate user thresholds against lib.config's ranges; a refused value falls back to the default."""
    errors = []
    try:
        w = parse_threshold(w_eps, "W_EPS", *config.W_EPS_RANGE)
    except InputError as err:
        errors.append(f"{err}; using the playbook default {config.W_EPS}")
        w = config.W_EPS
    try:
        m = parse_threshold(mag_eps, "MAG_EPS", *config.MAG_EPS_RANGE)
    except InputError as err:
        errors.append(f"{err}; using the playbook default {config.MAG_EPS}")
        m = config.MAG_EPS
    rule = str(mag_rule)
    if rule not in config.MAG_RULES:
        errors.append(f"magnitude rule must be one of {', '.join(config.MAG_RULES)}; using {config.DEFAULT_MAG_RULE}")
        rule = config.DEFAULT_MAG_RULE
    return Thresholds(w, m, tuple(errors), rule)


# --- days with / without targets -------------------------------------------
def has_targets(day_rows: pl.DataFrame) -> bool:
    """True when the day's D-2 target set is present (at least one target row for the day)."""
    if day_rows.height == 0:
        return False
    return bool((day_rows["t2_rows_for_day"].fill_null(0) > 0).any())


NO_TARGETS = "no targets"
NO_FILLS = "no fills"
PENDING = "not closed yet"  # the snapshot's hour has not ended in the data (lib.clock.is_complete)


def _book_known(day_rows: pl.DataFrame) -> bool:
    """Some fill up to the snapshot exists for the day's symbols (else the book cannot be rebuilt)."""
    return bool((day_rows["last_fill_hour"].is_not_null() | (day_rows["pos_units"].fill_null(0) != 0)).any())


def day_state(day_rows: pl.DataFrame, complete: bool = True) -> str | None:
    """Why one holdings day cannot be classified (PENDING, NO_TARGETS, NO_FILLS), or None when it can.

    The one rule of every page, report, alert and command: a snapshot whose hour has not closed
    (`complete` False, lib.clock.is_complete) is never classified; without the D-2 target set nothing
    is EXTRA, and without a single fill up to the snapshot nothing is MISSING (the book is unknown,
    not flat), so nothing is classified and no TE is computed.
    """
    if not complete:
        return PENDING
    if not has_targets(day_rows):
        return NO_TARGETS
    if "last_fill_hour" in day_rows.columns and not _book_known(day_rows):
        return NO_FILLS
    return None


def classifiable(timeline: pl.DataFrame) -> pl.DataFrame:
    """The rows of the days `day_state` allows to classify."""
    if timeline.height == 0:
        return timeline
    book = pl.col("last_fill_hour").is_not_null() | (pl.col("pos_units").fill_null(0) != 0)
    ok = (pl.col("t2_rows_for_day").fill_null(0) > 0).any().over("holdings_date")
    if "last_fill_hour" in timeline.columns:
        ok = ok & book.any().over("holdings_date")
    return timeline.filter(ok)


def no_target_days(timeline: pl.DataFrame) -> list[date]:
    """Holdings days present in the timeline whose D-2 target set is empty, sorted."""
    if timeline.height == 0:
        return []
    per_day = timeline.group_by("holdings_date").agg(pl.col("t2_rows_for_day").fill_null(0).max().alias("n"))
    return sorted(per_day.filter(pl.col("n") == 0)["holdings_date"].to_list())


def classify_days(
    timeline: pl.DataFrame,
    w_eps: float = config.W_EPS,
    mag_eps: float = config.MAG_EPS,
    mag_rule: str = config.DEFAULT_MAG_RULE,
) -> pl.DataFrame:
    """Classify every (day, sym) row of the days that have targets; no-target days are left out.

    Classification is row-wise, so one call over many days equals one call per day.
    """
    return te.classify(classifiable(timeline), w_eps=w_eps, mag_eps=mag_eps, mag_rule=mag_rule)


def category_counts(classified: pl.DataFrame | None) -> dict[str, int]:
    """Rows per category, every category present (0 when absent)."""
    counts = {c: 0 for c in te.CATEGORIES}
    if classified is None or classified.height == 0:
        return counts
    for cat, n in classified.group_by("category").len().iter_rows():
        counts[cat] = int(n)
    return counts


# --- the Positions page -------------------------------------------------------
def exposure(day_rows: pl.DataFrame) -> dict:
    """Gross / net / long / short exposure as fractions of equity, over the priced rows.

    `gross = sum |w|`, `net = sum w`, `long = sum w>0`, `short = sum w<0` (negative).
    All None when no row is priced; `n_priced` / `n_unpriced` count held rows.
    """
    w = pl.col("actual_weight").cast(pl.Float64)
    w = pl.when(w.is_finite()).then(w).otherwise(None)
    held = pl.col("pos_units") != 0
    row = day_rows.select(
        w.abs().sum().alias("gross"),
        w.sum().alias("net"),
        w.filter(w > 0).sum().alias("long"),
        w.filter(w < 0).sum().alias("short"),
        (held & w.is_not_null()).sum().alias("n_priced"),
        (held & w.is_null()).sum().alias("n_unpriced"),
    ).row(0, named=True)
    n_priced, n_unpriced = int(row["n_priced"] or 0), int(row["n_unpriced"] or 0)
    if n_priced == 0:
        return {"gross": None, "net": None, "long": None, "short": None, "n_priced": 0, "n_unpriced": n_unpriced}
    return {
        "gross": float(row["gross"]),
        "net": float(row["net"]),
        "long": float(row["long"] or 0.0),
        "short": float(row["short"] or 0.0),
        "n_priced": n_priced,
        "n_unpriced": n_unpriced,
    }


def positions_table(rows: pl.DataFrame, categories: list[str] | None = None) -> pl.DataFrame:
    """The Positions table: one row per symbol.

    `rows` is a classified day: columns POSITION_COLUMNS, largest |err_t2| first (then
    |target|, then name); `categories` keeps only those categories. On a no-target day
    `rows` are the raw timeline rows: there is nothing to classify, so the table has
    no err_t2 / category / flip_explained columns and lists the largest |notional| first.
    """
    if "category" not in rows.columns:
        return rows.sort(
            [pl.col("notional_usd").abs(), pl.col("sym")], descending=[True, False], nulls_last=True
        ).select(UNCLASSIFIED_COLUMNS)
    df = rows
    if categories is not None:
        df = df.filter(pl.col("category").is_in(list(categories)))
    return df.sort(
        [pl.col("err_t2").abs(), pl.col("weight_t2").abs(), pl.col("sym")],
        descending=[True, True, False],
        nulls_last=True,
    ).select(POSITION_COLUMNS)


def unpriced(day_rows: pl.DataFrame) -> pl.DataFrame:
    """Held rows without an actual weight, with the reason: `sym, pos_units, bn_px, equity_usd, reason`."""
    eq = pl.col("equity_usd")
    return (
        day_rows.filter((pl.col("pos_units") != 0) & pl.col("actual_weight").is_null())
        .with_columns(
            pl.when(pl.col("bn_px").is_null() & (eq.is_null() | (eq <= 0)))
            .then(pl.lit(f"{REASON_NO_PRICE}, {REASON_NO_EQUITY}"))
            .when(pl.col("bn_px").is_null())
            .then(pl.lit(REASON_NO_PRICE))
            .otherwise(pl.lit(REASON_NO_EQUITY))
            .alias("reason")
        )
        .sort("sym")
        .select("sym", "bn_symbol", "pos_units", "bn_px", "equity_usd", "reason")
    )


def unpriced_notes(bad: pl.DataFrame, max_names: int = 15) -> list[str]:
    """One line per reason for `unpriced()` rows: 'no price (3): AAA, BBB, CCC', long lists cut with '+N more'.

    Markdown: the names from the data are escaped (lib.format.md_text)."""
    notes = []
    for reason in sorted(set(bad["reason"].to_list())):
        names = [fmt.md_text(n) for n in bad.filter(pl.col("reason") == reason)["sym"].cast(pl.String).to_list()]
        more = f", +{len(names) - max_names} more" if len(names) > max_names else ""
        shown = ", ".join(names[:max_names]) + more
        notes.append(f"{reason} ({len(names)}): {shown}")
    return notes


def reconcile(
    day_rows: pl.DataFrame,
    snapshot: pl.DataFrame,
    abs_tol: float = config.RECON_ABS_TOL,
    rel_tol: float = config.RECON_REL_TOL,
) -> pl.DataFrame:
    """Fills-implied units (timeline `pos_units`) vs the exchange snapshot (`coin, szi`).

    Outer join on the coin; a coin absent on one side holds 0 there (the timeline
    lists every held coin, the exchange lists every open position). Returns only the
    coins that differ by more than `max(abs_tol, rel_tol * max(|fills|, |exchange|))`:
    `sym, fills_units, exchange_units, diff_units (fills - exchange), in_snapshot`,
    largest |diff| first.
    """
    fills = day_rows.select(pl.col("sym"), pl.col("pos_units").cast(pl.Float64).alias("fills_units"))
    exch = snapshot.select(
        pl.col("coin").cast(pl.String).alias("sym"),
        pl.col("szi").cast(pl.Float64).alias("exchange_units"),
        pl.lit(True).alias("in_snapshot"),
    )
    both = fills.with_columns(pl.col("sym").cast(pl.String)).join(exch, on="sym", how="full", coalesce=True)
    f = pl.col("fills_units").fill_null(0.0)
    x = pl.col("exchange_units").fill_null(0.0)
    tol = pl.max_horizontal(pl.lit(abs_tol), rel_tol * pl.max_horizontal(f.abs(), x.abs()))
    return (
        both.with_columns(
            f.alias("fills_units"),
            x.alias("exchange_units"),
            pl.col("in_snapshot").fill_null(False),
        )
        .with_columns((pl.col("fills_units") - pl.col("exchange_units")).alias("diff_units"))
        .filter(pl.col("diff_units").abs() > tol)
        .sort([pl.col("diff_units").abs(), pl.col("sym")], descending=[True, False])
        .select("sym", "fills_units", "exchange_units", "diff_units", "in_snapshot")
    )


@dataclass
class SnapshotView:
    """One holdings day at one hour, classified: what the Positions page draws, what the alerts and the daily
    report judge, what Overview's TE metric reads (the one definition of "TE of a snapshot")."""

    rows: pl.DataFrame  # classified rows; the raw timeline rows when the day is not classified
    counts: dict[str, int] | None  # per category; None when nothing is classified
    exposure: dict
    snapshot_te: dict | None
    unpriced: pl.DataFrame
    state: str | None = None  # day_state(): why nothing is classified, None when classified

    @property
    def te(self) -> float | None:
        """√Σ err_t2² over the priced rows (None when not classified or nothing is priced)."""
        return self.snapshot_te["te"] if self.snapshot_te else None

    def names(self, category: str) -> list[str]:
        """The symbols of one category, largest |T+2 target| first (then by name); [] when not classified."""
        if self.counts is None:
            return []
        rows = self.rows.filter(pl.col("category") == category)
        rows = rows.sort([pl.col("weight_t2").abs(), pl.col("sym")], descending=[True, False], nulls_last=True)
        return rows["sym"].cast(pl.String).to_list()


def snapshot_view(
    day_rows: pl.DataFrame,
    w_eps: float = config.W_EPS,
    mag_eps: float = config.MAG_EPS,
    mag_rule: str = config.DEFAULT_MAG_RULE,
    complete: bool = True,
) -> SnapshotView:
    """Classify one day's timeline rows (only when `day_state` allows: closed, with targets and fills) and sum up
    the book. `complete` is lib.clock.is_complete for the snapshot: an open hour is never classified."""
    state = day_state(day_rows, complete)
    if state is None:
        rows = te.classify(day_rows, w_eps=w_eps, mag_eps=mag_eps, mag_rule=mag_rule)
        counts: dict[str, int] | None = category_counts(rows)
        snap = te.snapshot_te(rows)
    else:
        rows, counts, snap = day_rows, None, None
    return SnapshotView(
        rows=rows,
        counts=counts,
        exposure=exposure(day_rows),
        snapshot_te=snap,
        unpriced=unpriced(day_rows),
        state=state,
    )


@dataclass(frozen=True)
class TeNow:
    """The desk's "TE now": the latest complete snapshot at the playbook hour, classified, and the day before.

    Overview's metric, the tracking alerts and the System Health panel read this one answer.
    `view` is `day`'s SnapshotView (None when the timeline has no row for it); `te_prev` the day before's TE.
    """

    day: date | None
    hour: int
    view: SnapshotView | None
    te_prev: float | None

    @property
    def te(self) -> float | None:
        return self.view.te if self.view is not None else None

    @property
    def state(self) -> str | None:
        return self.view.state if self.view is not None else None

    @property
    def delta(self) -> float | None:
        return self.te - self.te_prev if self.te is not None and self.te_prev is not None else None

    @property
    def counts(self) -> list[tuple[str, int]]:
        """(category, n) of the categories present, in display order."""
        c = self.view.counts if self.view is not None else None
        return [(cat, n) for cat, n in (c or {}).items() if n]

    @property
    def problems(self) -> list[tuple[str, int]]:
        return [(cat, n) for cat, n in self.counts if cat in te.PROBLEM_CATEGORIES]


def te_now(timeline: pl.DataFrame | None, day: date | None, hour: int = config.DEFAULT_SNAPSHOT_HOUR) -> TeNow:
    """TE of `day`'s snapshot and of the day before, from `queries.tracking.tracking_error.timeline(day - 1, day,
    hour)`. `day` is the latest complete one (lib.clock.latest_complete_day): both snapshots have closed."""
    if timeline is None or timeline.height == 0 or day is None:
        return TeNow(day, hour, None, None)
    views: dict[date, SnapshotView] = {}
    for d in (day - timedelta(days=1), day):
        rows = timeline.filter(pl.col("holdings_date") == d)
        if rows.height:
            views[d] = snapshot_view(rows)
    prev = views.get(day - timedelta(days=1))
    return TeNow(day, hour, views.get(day), prev.te if prev is not None else None)
