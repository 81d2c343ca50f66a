"""PnL maths for the Overview: returns net of cash flows, drawdown, daily statistics, decomposition.

Pure and UI-free (no streamlit import). SQL (queries/book/overview.py) aggregates the raw
tables into per-period rows; this module turns them into the numbers a daily report
prints.

Conventions
-----------
* Equity is the account value in USD. Flows (deposits +, withdrawals -) are never PnL:
  ``pnl = equity_end - equity_start - flows``.
* Returns are time-weighted at snapshot resolution, computed in SQL
  (queries/book/subperiods.sql): every usable account snapshot to the next is a sub-period,
  a deposit/withdrawal only splits its own sub-period (a few minutes), and the sub-periods
  are chained into the equity index that the headline returns, the daily returns and the
  drawdown all read. This module does not recompute them.
* One marking rule for every window: the end mark is the latest usable snapshot at or
  before the window's end instant, the start mark the last one at or before its start.
* Missing is null, never 0: an unknown, zero or negative equity is skipped and counted.
* Returns and drawdowns are fractions (0.0123 = 1.23%); drawdowns are <= 0.
* Volatility and Sharpe rest on finished UTC days only, annualised with
  ``config.ANNUALISATION_DAYS`` (365: crypto trades every day); Sharpe uses a zero
  risk-free rate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from lib.config import ANNUALISATION_DAYS, HOURLY_CHART_MAX_DAYS
from lib.inputs import finite_float as _num


def _positive(x: Any) -> float | None:
    v = _num(x)
    return v if v is not None and v > 0 else None


# --- single windows ----------------------------------------------------------
def window_pnl(equity_start: Any, equity_end: Any, flows: Any) -> float | None:
    """PnL of a window: change in equity minus net deposits/withdrawals (None if an end is unknown)."""
    e0, e1 = _positive(equity_start), _positive(equity_end)
    if e0 is None or e1 is None:
        return None
    return e1 - e0 - (_num(flows) or 0.0)


def chart_bucket_seconds(start: date, end: date) -> int:
    """Hourly points for short ranges, daily beyond `HOURLY_CHART_MAX_DAYS` (bounded rows)."""
    days = (end - start).days + 1
    return 3600 if days <= HOURLY_CHART_MAX_DAYS else 86400


def window_label(window: str, equity_start_ts: Any = None) -> str:
    """What a headline window is, in words: 'today (UTC day)', 'last 7 × 24 h', 'since 2025-11-01'."""
    if window == "all":
        return f"since {equity_start_ts:%Y-%m-%d}" if equity_start_ts is not None else "since start"
    return HEADLINE_LABELS.get(window, window)


HEADLINE_LABELS = {"today": "today (UTC day)", "7d": "last 7 × 24 h", "30d": "last 30 × 24 h"}
HEADLINE_DAYS = {"7d": 7, "30d": 30}
# the start mark is the last snapshot at or before the window's start: one later than this after it means the
# history begins inside the window (the window is shorter than its name says)
LATE_START_TOLERANCE = timedelta(hours=1)


def data_from(window: str, equity_start_ts: Any, equity_end_ts: Any) -> Any:
    """The start mark when a 7 or 30 × 24 h window starts late because the history begins inside it, else None:
    on a 26-day desk "last 30 × 24 h" is the PnL since the first snapshot, and the tile must say so."""
    days = HEADLINE_DAYS.get(window)
    if days is None or equity_start_ts is None or equity_end_ts is None:
        return None
    late = equity_start_ts > equity_end_ts - timedelta(days=days) + LATE_START_TOLERANCE
    return equity_start_ts if late else None


def headline(frame: pl.DataFrame) -> dict[str, dict]:
    """Per headline window (`queries.book.overview.headline_pnl` rows): PnL, time-weighted return, label.

    Returns {window: {"pnl", "ret", "flows", "label", "data_from", "equity_start", "equity_end", "equity_start_ts",
    "equity_end_ts"}}; pnl is None when a mark is unknown. `ret` is SQL's chained sub-period
    return (the equity index's), not recomputed here.
    """
    out: dict[str, dict] = {}
    for r in frame.iter_rows(named=True):
        out[r["window"]] = {
            "pnl": window_pnl(r["equity_start"], r["equity_end"], r["flows"]),
            "ret": _num(r["ret"]),
            "flows": _num(r["flows"]) or 0.0,
            "label": window_label(r["window"], r["equity_start_ts"]),
            "data_from": data_from(r["window"], r["equity_start_ts"], r["equity_end_ts"]),
            "equity_start": _num(r["equity_start"]),
            "equity_end": _num(r["equity_end"]),
            "equity_start_ts": r["equity_start_ts"],
            "equity_end_ts": r["equity_end_ts"],
        }
    return out


# --- equity now: what the account reports, usable as a mark or not --------------
EQUITY_USABLE, EQUITY_NOT_POSITIVE, EQUITY_MISSING = "usable", "at or below zero", "missing"


@dataclass(frozen=True)
class EquityNow:
    """The account's equity at its newest snapshot (`queries.book.overview.equity_now`), shown as reported.

    A zero or negative equity is a real report (shown as such, with a warning and the `equity_not_positive`
    alert); it is not a mark a return or a PnL window can use, so those end at `last_usable_ts`. `since`: the
    first snapshot after the last usable one (None while the newest equity is usable).
    """

    ts: datetime | None
    equity: float | None  # None: missing (NULL, NaN or infinite)
    last_usable_ts: datetime | None
    last_usable_equity: float | None
    since: datetime | None

    @property
    def usable(self) -> bool:
        return self.equity is not None and self.equity > 0

    @property
    def state(self) -> str:
        if self.equity is None:
            return EQUITY_MISSING
        return EQUITY_USABLE if self.equity > 0 else EQUITY_NOT_POSITIVE


def _utc(x: Any) -> datetime | None:
    if not isinstance(x, datetime):
        return None
    return x.replace(tzinfo=UTC) if x.tzinfo is None else x.astimezone(UTC)


def equity_now(frame: pl.DataFrame | None) -> EquityNow | None:
    """The one row of `equity_now` as an EquityNow; None when there is no account snapshot."""
    if frame is None or frame.height == 0:
        return None
    r = frame.row(0, named=True)
    equity = _num(r["equity"])
    return EquityNow(
        _utc(r["ts"]),
        equity,
        _utc(r["last_usable_ts"]),
        _positive(r["last_usable_equity"]),
        None if equity is not None and equity > 0 else _utc(r["unusable_since"]),
    )


# --- equity index and drawdown (computed per snapshot in SQL) ------------------
def drawdown_summary(series: pl.DataFrame) -> dict:
    """The worst and the current drawdown from `queries.book.overview.equity_series` rows.

    SQL computes the drawdown at every account snapshot and keeps, per chart bucket, the
    deepest point (dd_min, trough_ts, trough_peak_ts), the last one (dd_last,
    peak_ts_last) and the first new highs (first_high_ts, first_high_after_trough_ts).
    The answer is therefore exact at snapshot resolution whatever the bucket size, and a
    longer range with the same start is never shallower. Same keys as `max_drawdown`.
    """
    empty = {
        "max_drawdown": None,
        "peak_ts": None,
        "trough_ts": None,
        "recovered_ts": None,
        "current_drawdown": None,
        "current_peak_ts": None,
    }
    if series.height == 0:
        return empty
    rows = series.sort("bucket").to_dicts()
    worst_i = min(range(len(rows)), key=lambda i: (rows[i]["dd_min"], i))
    worst = rows[worst_i]
    last = rows[-1]
    out = {
        **empty,
        "max_drawdown": min(worst["dd_min"], 0.0),
        "current_drawdown": last["dd_last"],
        "current_peak_ts": last["peak_ts_last"],
    }
    if worst["dd_min"] < 0:
        recovered = worst["first_high_after_trough_ts"]
        if recovered is None:
            recovered = next((r["first_high_ts"] for r in rows[worst_i + 1 :] if r["first_high_ts"] is not None), None)
        out.update(peak_ts=worst["trough_peak_ts"], trough_ts=worst["trough_ts"], recovered_ts=recovered)
    return out


def underwater_points(series: pl.DataFrame) -> pl.DataFrame:
    """What the underwater chart draws: each bucket's deepest drawdown at its time (`ts`, `drawdown`).

    The start mark (index 1.0, drawdown 0) comes first, so the chart's lowest point is the
    max drawdown the page states.
    """
    return (
        series.sort("bucket")
        .select(pl.col("trough_ts").alias("ts"), pl.col("dd_min").alias("drawdown"))
        .with_columns(pl.col("ts").cast(pl.Datetime("ms", "UTC")))
    )


def complete_days(daily: pl.DataFrame, start: date) -> pl.DataFrame:
    """Finished UTC days from `start` of a daily `equity_series` frame.

    Out: the start mark's day when it lies before `start`, and an unfinished day (the data
    has no snapshot at or after its end yet): its return is not a day's return.
    """
    return daily.filter(pl.col("complete").cast(pl.Boolean) & (pl.col("bucket").dt.date() >= start))


# --- daily statistics --------------------------------------------------------
def daily_stats(
    days: Iterable[Any],
    returns: Iterable[Any],
    pnl: Iterable[Any] | None = None,
    periods_per_year: float = ANNUALISATION_DAYS,
) -> dict:
    """What a daily report prints, from one return (and PnL) per UTC day.

    `n_days` counts days with a return; `n_missing` the days without one. `mean_return`
    is the arithmetic mean per day (MRD); `win_rate` the share of days with a return
    > 0; `vol_ann` = stdev (ddof=1) * sqrt(periods_per_year); `sharpe_ann` = mean /
    stdev * sqrt(periods_per_year) (None with fewer than 2 days or zero stdev);
    `compounded` = prod(1 + r) - 1; `total_pnl` the sum of the days' PnL.
    """
    days = list(days)
    rets = [_num(r) for r in returns]
    if len(days) != len(rets):
        raise ValueError("daily_stats: days and returns differ in length")
    pnls = [_num(p) for p in pnl] if pnl is not None else [None] * len(rets)
    used = [(d, r, p) for d, r, p in zip(days, rets, pnls) if r is not None]
    n = len(used)
    out: dict[str, Any] = {
        "n_days": n,
        "n_missing": len(rets) - n,
        "mean_return": None,
        "win_rate": None,
        "n_up": None,
        "n_down": None,
        "best_day": None,
        "best_return": None,
        "worst_day": None,
        "worst_return": None,
        "vol_ann": None,
        "sharpe_ann": None,
        "compounded": None,
        "total_pnl": sum(p for p in pnls if p is not None) if any(p is not None for p in pnls) else None,
    }
    if n == 0:
        return out
    r = [x[1] for x in used]
    mean = sum(r) / n
    best = max(used, key=lambda x: x[1])
    worst = min(used, key=lambda x: x[1])
    comp = 1.0
    for x in r:
        comp *= 1.0 + x
    out.update(
        mean_return=mean,
        win_rate=sum(1 for x in r if x > 0) / n,
        n_up=sum(1 for x in r if x > 0),
        n_down=sum(1 for x in r if x < 0),
        best_day=best[0],
        best_return=best[1],
        worst_day=worst[0],
        worst_return=worst[1],
        compounded=comp - 1.0,
    )
    if n >= 2:
        var = sum((x - mean) ** 2 for x in r) / (n - 1)
        sd = math.sqrt(var)
        out["vol_ann"] = sd * math.sqrt(periods_per_year)
        out["sharpe_ann"] = mean / sd * math.sqrt(periods_per_year) if sd > 0 else None
    return out


# --- decomposition -----------------------------------------------------------
COMPONENTS = ("realized", "fees", "funding", "unrealized_change")
COMPONENT_LABELS = {
    "realized": "Realized (closed PnL)",
    "fees": "Fees",
    "funding": "Funding",
    "unrealized_change": "Change in unrealized",
    "residual": "Residual (unexplained)",
}


def decompose(row: dict) -> dict:
    """Reconcile total PnL with its parts over one window.

    Input keys: `equity_start, equity_end, flows` (net deposits - withdrawals in the
    window), `realized` (sum closed_pnl), `fees` (sum fee paid; a rebate is negative),
    `funding` (sum funding usdc, + received), `unrealized_start, unrealized_end`.

    Output: `total = equity_end - equity_start - flows`, each component with the sign
    it adds to PnL (`fees` becomes `-fees`), `unrealized_change`, `explained` (their
    sum) and `residual = total - explained`. Unknown inputs give None, never 0: no
    equity at an end -> total and residual None; no unrealized snapshot -> its change,
    `explained` and `residual` None.
    """
    total = window_pnl(row.get("equity_start"), row.get("equity_end"), row.get("flows"))
    realized = _num(row.get("realized"))
    fees = _num(row.get("fees"))
    funding = _num(row.get("funding"))
    u0, u1 = _num(row.get("unrealized_start")), _num(row.get("unrealized_end"))
    du = u1 - u0 if u0 is not None and u1 is not None else None
    parts = {
        "realized": realized,
        "fees": -fees if fees is not None else None,
        "funding": funding,
        "unrealized_change": du,
    }
    explained = sum(parts.values()) if all(v is not None for v in parts.values()) else None  # type: ignore[arg-type]
    residual = total - explained if total is not None and explained is not None else None
    e0, e1 = _num(row.get("equity_start")), _num(row.get("equity_end"))
    return {
        "equity_start": e0,
        "equity_end": e1,
        "equity_change": e1 - e0 if e0 is not None and e1 is not None else None,
        "flows": _num(row.get("flows")) or 0.0,
        "total": total,
        **parts,
        "explained": explained,
        "residual": residual,
    }


def decomposition_frame(parts: dict) -> pl.DataFrame:
    """The decomposition as rows for a chart/table: component, label, usd (PnL-signed)."""
    keys = list(COMPONENTS) + ["residual"]
    return pl.DataFrame(
        {
            "component": keys,
            "label": [COMPONENT_LABELS[k] for k in keys],
            "usd": [parts.get(k) for k in keys],
        },
        schema={"component": pl.String, "label": pl.String, "usd": pl.Float64},
    )


def exposure_pct(value: Any, equity: Any) -> float | None:
    """A USD amount as a fraction of equity (None when equity is unknown, zero or negative)."""
    v, e = _num(value), _positive(equity)
    if v is None or e is None:
        return None
    return v / e
