"""PnL maths for the Overview: returns net of cash flows, drawdown, daily statistics, decomposition.

Pure and UI-free (no streamlit import). SQL (queries/overview.py) aggregates the raw
tables into per-period rows; this module turns them into the numbers a daily report
prints.

Conventions
-----------
* Equity is the account value in USD. A period runs from the previous equity mark
  (``prev_equity`` at ``prev_equity_ts``) to this one (``equity`` at ``equity_ts``).
* ``flows`` is the net of deposits (+) and withdrawals (-) that happened inside the
  period (after the previous mark, at or before this one). Flows are never PnL:
  ``pnl = equity - prev_equity - flows``.
* ``flows_weighted`` is the sum of each flow times the fraction of the period left
  after it (1.0 for a flow right after the previous mark, 0.0 for one at this mark).
  The period return is Modified Dietz: ``pnl / (prev_equity + flows_weighted)``, so a
  deposit neither counts as a gain nor makes a jump in the return series.
* Missing is null, never 0: an unknown, zero or negative equity at either end makes
  the period's PnL and return null. Null returns are counted and skipped by the
  statistics; the equity index carries its level through them.
* Returns and drawdowns are fractions (0.0123 = 1.23%); drawdowns are <= 0.
* Volatility and Sharpe are annualised with ``config.ANNUALISATION_DAYS`` (365: crypto
  trades every day); Sharpe uses a zero risk-free rate.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

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


def window_return(equity_start: Any, equity_end: Any, flows: Any, flows_weighted: Any = None) -> float | None:
    """Modified Dietz return of a window; `flows_weighted` defaults to half the flows (mid-window)."""
    pnl = window_pnl(equity_start, equity_end, flows)
    if pnl is None:
        return None
    f = _num(flows) or 0.0
    fw = _num(flows_weighted)
    base = float(equity_start) + (fw if fw is not None else 0.5 * f)
    if base <= 0:
        return None
    return pnl / base


def chart_bucket_seconds(start: date, end: date) -> int:
    """Hourly points for short ranges, daily beyond `HOURLY_CHART_MAX_DAYS` (bounded rows)."""
    days = (end - start).days + 1
    return 3600 if days <= HOURLY_CHART_MAX_DAYS else 86400


def headline(frame: pl.DataFrame) -> dict[str, dict]:
    """Per headline window (`queries.overview.headline_pnl` rows): PnL and Modified Dietz return.

    Returns {window: {"pnl", "ret", "flows", "equity_start", "equity_end", "equity_start_ts",
    "equity_end_ts"}}; pnl/ret are None when a mark is unknown.
    """
    out: dict[str, dict] = {}
    for r in frame.iter_rows(named=True):
        out[r["window"]] = {
            "pnl": window_pnl(r["equity_start"], r["equity_end"], r["flows"]),
            "ret": window_return(r["equity_start"], r["equity_end"], r["flows"], r["flows_weighted"]),
            "flows": _num(r["flows"]) or 0.0,
            "equity_start": _num(r["equity_start"]),
            "equity_end": _num(r["equity_end"]),
            "equity_start_ts": r["equity_start_ts"],
            "equity_end_ts": r["equity_end_ts"],
        }
    return out


def latest_snapshot_day(as_of: datetime | None, hour: int) -> date | None:
    """The newest UTC day whose snapshot hour is complete in the data (as_of >= day hour:00 + 1h)."""
    if as_of is None:
        return None
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=timezone.utc)
    return (as_of.astimezone(timezone.utc) - timedelta(hours=int(hour) + 1)).date()


def te_headline(timeline: pl.DataFrame | None, day: date | None) -> dict:
    """Weight-space TE of `day`, of the day before and the change, and `day`'s category counts.

    `timeline` is `queries.tracking_error.timeline(day - 1, day, hour)`; classification and
    TE are lib.tracking_error's (read-only use). `counts` lists every category present (display
    order), `problems` the problem categories among them. Values are None when a day has no rows;
    `state` says why `day` is not classified (lib.te_views.day_state: no targets, no fills).
    """
    from lib import tracking_error as te
    from lib.te_views import day_state

    out: dict[str, Any] = {"day": day, "te": None, "te_prev": None, "delta": None, "counts": [], "problems": [],
                           "state": None}
    if timeline is None or timeline.height == 0 or day is None:
        return out
    for d, key in ((day - timedelta(days=1), "te_prev"), (day, "te")):
        rows = timeline.filter(pl.col("holdings_date") == d)
        if rows.height == 0:
            continue
        state = day_state(rows)  # the Positions and Tracking Error pages' rule: no targets / no fills
        if d == day:
            out["state"] = state
        if state is not None:
            continue
        classified = te.classify(rows)
        out[key] = te.snapshot_te(classified)["te"]
        if d == day:
            summary = te.summarize(classified)
            rows = [(r["category"], int(r["n"])) for r in summary.iter_rows(named=True) if r["n"]]
            out["counts"] = rows
            out["problems"] = [(c, n) for c, n in rows if c in te.PROBLEM_CATEGORIES]
    if out["te"] is not None and out["te_prev"] is not None:
        out["delta"] = out["te"] - out["te_prev"]
    return out


# --- period series -----------------------------------------------------------
PERIOD_COLUMNS = ("equity", "prev_equity", "flows", "flows_weighted")


def period_returns(frame: pl.DataFrame) -> pl.DataFrame:
    """Add `pnl` and `ret` (Modified Dietz, see module docstring) to a period frame.

    Input columns: `equity, prev_equity, flows, flows_weighted` (others pass through).
    Null `flows`/`flows_weighted` mean "no flow" (0); NaN/inf in the four columns become null.
    `pnl`/`ret` are null when either
    equity is null, zero or negative, or when the return's base is not positive.
    """
    missing = [c for c in PERIOD_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"period_returns: missing column(s) {missing}")
    f = frame.with_columns(
        [pl.col(c).cast(pl.Float64) for c in PERIOD_COLUMNS]
    ).with_columns(
        [pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(None).alias(c) for c in PERIOD_COLUMNS]
    )
    e1 = pl.col("equity")
    e0 = pl.col("prev_equity")
    flows = pl.col("flows").fill_null(0.0)
    fw = pl.col("flows_weighted").fill_null(0.0)
    ok = (e1 > 0) & (e0 > 0)
    pnl = pl.when(ok).then(e1 - e0 - flows).otherwise(None)
    base = e0 + fw
    ret = pl.when(ok & (base > 0)).then((e1 - e0 - flows) / base).otherwise(None)
    return f.with_columns(pnl.alias("pnl"), ret.alias("ret"))


def equity_index(returns: Iterable[Any], base: float = 1.0) -> list[float]:
    """Chain-linked index after each period: base * prod(1 + r). A null return keeps the level."""
    level = base
    out: list[float] = []
    for r in returns:
        v = _num(r)
        if v is not None:
            level *= 1.0 + v
        out.append(level)
    return out


def drawdown_series(frame: pl.DataFrame, ts: str = "equity_ts", ret: str = "ret",
                    start_ts: str | None = "prev_equity_ts") -> pl.DataFrame:
    """Deposit-adjusted drawdown: `ts, index, peak, drawdown` (drawdown = index / running peak - 1).

    The index starts at 1.0 at the first period's start mark (`start_ts` of the first
    row, when known), so a loss in the very first period is a drawdown too.
    """
    schema = {"ts": pl.Datetime("ms", "UTC"), "index": pl.Float64, "peak": pl.Float64, "drawdown": pl.Float64}
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    times = list(frame[ts])
    index = equity_index(frame[ret].to_list())
    first_start = frame[start_ts][0] if start_ts and start_ts in frame.columns else None
    if first_start is not None:
        times = [first_start] + times
        index = [1.0] + index
    peaks: list[float] = []
    peak = -math.inf
    for v in index:
        peak = max(peak, v)
        peaks.append(peak)
    dd = [v / p - 1.0 for v, p in zip(index, peaks)]
    out = pl.DataFrame({"ts": times, "index": index, "peak": peaks, "drawdown": dd})
    return out.with_columns(pl.col("ts").cast(pl.Datetime("ms", "UTC")))


def max_drawdown(dd: pl.DataFrame) -> dict:
    """Worst drawdown of a `drawdown_series` frame, with its peak and trough times.

    Returns `max_drawdown` (<= 0; None when there is no point), `peak_ts` (when the
    index last stood at the peak before the trough), `trough_ts`, `recovered_ts` (first
    time back at or above that peak; None if not yet), `current_drawdown` and
    `current_peak_ts` (the peak the current drawdown is measured from).
    """
    empty = {"max_drawdown": None, "peak_ts": None, "trough_ts": None, "recovered_ts": None,
             "current_drawdown": None, "current_peak_ts": None}
    if dd.height == 0:
        return empty
    times = dd["ts"].to_list()
    index = dd["index"].to_list()
    draw = dd["drawdown"].to_list()
    trough_i = min(range(len(draw)), key=lambda i: (draw[i], i))
    worst = draw[trough_i]

    def peak_before(i: int) -> int:
        best = 0
        for j in range(i + 1):
            if index[j] >= index[best]:
                best = j
        return best

    if worst >= 0:
        peak_i = trough_i = None
        recovered = None
    else:
        peak_i = peak_before(trough_i)
        recovered = next((times[j] for j in range(trough_i + 1, len(index)) if index[j] >= index[peak_i]), None)
    last = len(index) - 1
    cur_peak = peak_before(last)
    return {
        "max_drawdown": min(worst, 0.0),
        "peak_ts": times[peak_i] if peak_i is not None else None,
        "trough_ts": times[trough_i] if trough_i is not None else None,
        "recovered_ts": recovered,
        "current_drawdown": draw[last],
        "current_peak_ts": times[cur_peak],
    }


# --- daily statistics --------------------------------------------------------
def daily_stats(days: Iterable[Any], returns: Iterable[Any], pnl: Iterable[Any] | None = None,
                periods_per_year: float = ANNUALISATION_DAYS) -> dict:
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
    parts = {"realized": realized, "fees": -fees if fees is not None else None,
             "funding": funding, "unrealized_change": du}
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
