"""Live against the model book: the one function per number every surface calls (issue 22).

`model_book(start, end, …)` — the model book beside the live book: per-day PnL and active return, the two
equity curves, the band. The Tracking Error page, the Overview line and the alert read it.
`shortfall(start, end, …)` — where the difference went: the waterfall, its per-day and per-symbol split
and the band. The Tracking Error page, `python -m cli shortfall`, the weekly report and the alert read it.

Both read only complete days (lib/clock.py: a day is in the numbers once its last hour has closed in the
data), the band's look-back (config.MODEL_BAND_WINDOW_DAYS days before the range) and, for the timing bar,
the execution-lag sweep (queries/tracking/lag_sweep.sql read through lib/tracking/lag.py: a day the sweep
calls a timing slip has its rebalance's cost under timing). A ClickHouse failure raises
`lib.clickhouse.errors.QueryFailed`: the caller shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl

from lib import clock, config
from lib import format as fmt
from lib.model_book import band as bands
from lib.model_book import curves
from lib.model_book import waterfall as falls
from lib.tracking import lag as execution_lag
from queries.tracking import model_book as statements
from queries.tracking import tracking_error

DAY_CLOSE_HOUR = 23  # a holdings day is complete once its 23:00 hour has closed (the next 00:00 mark exists)
SLIP_KINDS = frozenset({execution_lag.ONE_DAY_SLIP, execution_lag.TWO_DAY_SLIP, execution_lag.SKIPPED_REBALANCE})


@dataclass(frozen=True)
class Window:
    """The complete days of a requested range: [start, end]; end None when no day is complete yet."""

    start: date
    end: date | None
    requested_end: date
    pending: str | None  # why the requested range's last day(s) are not in the numbers yet


def complete_window(start: date, end: date, as_of: datetime | None) -> Window:
    """The days of [start, end] whose close (the next day's 00:00) the data has reached."""
    days = clock.complete_days(start, end, DAY_CLOSE_HOUR, as_of)
    last = days[-1] if days else None
    pending = None
    if last is None or last < end:
        first_open = start if last is None else last + timedelta(days=1)
        left = clock.closes_in(first_open, DAY_CLOSE_HOUR, as_of)
        when = f"00:00 UTC on {(first_open + timedelta(days=1)).isoformat()}"
        pending = f"{first_open.isoformat()} closes at {when}" + (f" (in {fmt.countdown(left)})" if left else "")
    return Window(start, last, end, pending)


@dataclass(frozen=True)
class ModelBook:
    """The model book over the complete days of a range, beside the live book."""

    window: Window
    fees: bool
    fee_rate: float | None  # the desk's fee rate the model paid (0 without fees; None: unknown, so none paid)
    days: pl.DataFrame  # one row per range day: marks, live and model PnL, gap ($, bp), cumulative
    curve: pl.DataFrame  # ts, equity: the model book (hourly when asked for)
    live_marks: pl.DataFrame  # ts, equity: the live book at each 00:00 mark
    band: bands.Band

    @property
    def gap_usd(self) -> float | None:
        known = self.days["gap"].drop_nulls() if self.days.height else None
        return float(known.sum()) if known is not None and known.len() else None

    @property
    def gap_bp(self) -> float | None:
        known = self.days["gap_bp"].drop_nulls() if self.days.height else None
        return float(known.sum()) if known is not None and known.len() else None


def _range_days(rows: pl.DataFrame) -> pl.DataFrame:
    days = rows.filter((pl.col("kind") == "day") & pl.col("in_range")).sort("day")
    return days.with_columns(
        pl.col("gap").cum_sum().alias("cumulative_gap"), pl.col("gap_bp").cum_sum().alias("cumulative_gap_bp")
    )


def _band(rows: pl.DataFrame, days: pl.DataFrame) -> bands.Band:
    history = rows.filter((pl.col("kind") == "day") & ~pl.col("in_range")).sort("day")
    return bands.band(
        days["day"].to_list(),
        days["gap_bp"].to_list(),
        history["active_rebased_bp"].to_list(),
        config.MODEL_BAND_WINDOW_DAYS,
        config.MODEL_BAND_SIGMAS,
    )


def _fee_rate(days: pl.DataFrame, fees: bool) -> float | None:
    if not fees:
        return 0.0
    rates = days["fee_rate"].drop_nulls() if days.height else None
    return float(rates[0]) if rates is not None and rates.len() else None


def _empty_band() -> bands.Band:
    return bands.band([], [], [], config.MODEL_BAND_WINDOW_DAYS, config.MODEL_BAND_SIGMAS)


def model_book(
    start: date, end: date, *, fees: bool = False, hourly: bool = False, as_of: datetime | None = None
) -> ModelBook:
    """The model book over the complete days of [start, end] (hourly equity with `hourly`)."""
    window = complete_window(start, end, as_of)
    if window.end is None:
        empty = pl.DataFrame()
        return ModelBook(
            window,
            fees,
            0.0 if not fees else None,
            empty,
            curves.model_curve(empty),
            curves.live_marks_curve(pl.DataFrame(schema={"day": pl.Date, "equity": pl.Float64})),
            _empty_band(),
        )
    rows = statements.model_book(start, window.end, fees, hourly, config.MODEL_BAND_WINDOW_DAYS)
    days = _range_days(rows)
    return ModelBook(
        window,
        fees,
        _fee_rate(days, fees),
        days,
        curves.model_curve(rows),
        curves.live_marks_curve(days),
        _band(rows, days),
    )


@dataclass(frozen=True)
class Shortfall:
    """Where live − model went over the complete days of a range."""

    window: Window
    fees: bool
    fee_rate: float | None
    days: pl.DataFrame  # one row per range day: gap and every bar ($, bp), the day's timing lag
    symbols: pl.DataFrame  # the per-symbol split ($), largest first, the residual as its own row
    waterfall: falls.Waterfall
    band: bands.Band
    slips: dict[date, int] = field(default_factory=dict)  # days the lag sweep calls a timing slip -> lag

    def day_sentence(self, day: date) -> str | None:
        """The day's split in one sentence; None when the day is not in the range's complete days."""
        row = self.days.filter(pl.col("day") == day).to_dicts() if self.days.height else []
        return falls.day_sentence(row[0]) if row else None


def timing_slips(start: date, end: date) -> dict[date, int]:
    """The days of [start, end] the execution-lag sweep calls a timing slip (one- or two-day slip, skipped
    rebalance: lib/tracking/lag.py), with the lag the book matched instead of the schedule's."""
    sweep = tracking_error.lag_sweep(start, end, config.DEFAULT_SNAPSHOT_HOUR)
    slips: dict[date, int] = {}
    for row in execution_lag.lag_days(sweep).iter_rows(named=True):
        kind, _ = execution_lag.lag_sentence(execution_lag.te_by_lag(row), row["best_lag"])
        if kind in SLIP_KINDS and row["best_lag"] is not None:
            slips[row["date"]] = int(row["best_lag"])
    return slips


def shortfall(start: date, end: date, *, fees: bool = False, as_of: datetime | None = None) -> Shortfall:
    """The waterfall from the model book's PnL to the live PnL over the complete days of [start, end]."""
    window = complete_window(start, end, as_of)
    if window.end is None:
        empty = falls.assemble(pl.DataFrame())
        return Shortfall(window, fees, 0.0 if not fees else None, pl.DataFrame(), pl.DataFrame(), empty, _empty_band())
    slips = timing_slips(start, window.end)
    ordered = sorted(slips)
    rows = statements.shortfall(
        start, window.end, fees, tuple(ordered), tuple(slips[d] for d in ordered), config.MODEL_BAND_WINDOW_DAYS
    )
    days = _range_days(rows)
    fall = falls.assemble(days)
    return Shortfall(
        window,
        fees,
        _fee_rate(days, fees),
        days,
        falls.symbol_table(rows.filter(pl.col("kind") == "symbol"), fall),
        fall,
        _band(rows, days),
        slips,
    )
