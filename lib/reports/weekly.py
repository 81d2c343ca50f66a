"""The weekly risk report, pure: frames in (answers/report_inputs.py), a `WeeklyReport` out.

Returns, volatility, Sharpe and drawdown over the week and the 30 days ending on
`week_ending` (lib.book.pnl.daily_stats on SQL's time-weighted daily returns, deposits excluded;
lib.book.pnl.drawdown_summary, exact at snapshot resolution, each over its own window: the week's
drawdown is measured within the week, from the peak named with it); exposure range (hourly positions
rounds), largest positions and margin/leverage (the Overview's ratios); the TE trend
(lib.tracking.daily.daily_te, at the snapshot hour read at its end) with repeat offenders
(symbols in a problem category on two or more days); execution costs
(notional-weighted over the week's daily_execution rows); health incidents
(DOWN segments of lib.health.rules.timeline_states, failed sync runs).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from lib import config
from lib import format as fmt
from lib.book import pnl
from lib.health import rules as health
from lib.inputs import finite_float
from lib.model_book import band as model_bands
from lib.model_book import waterfall as model_falls
from lib.reports import png_charts
from lib.tracking import classification as te
from lib.tracking import daily as te_daily
from lib.tracking import snapshot as te_snapshot

if TYPE_CHECKING:
    from lib.reports.html import EmailHtml, Figures

UTC = UTC
OFFENDER_CATEGORIES = (te.MISSING_POSITION, te.WRONG_DIRECTION, te.EXTRA_POSITION, te.MAGNITUDE_ERROR)


@dataclass
class WeeklyReport:
    week_ending: date
    generated_at: datetime
    week: dict = field(default_factory=dict)  # lib.book.pnl.daily_stats + max_drawdown
    month: dict = field(default_factory=dict)
    daily_returns: list[tuple[date, float | None]] = field(default_factory=list)
    gross_range: tuple[float | None, float | None] = (None, None)
    net_range: tuple[float | None, float | None] = (None, None)
    largest: list[dict] = field(default_factory=list)  # sym, weight, target
    margin_max: float | None = None
    leverage_max: float | None = None
    leverage_last: float | None = None
    te_days: list[tuple[date, float | None]] = field(default_factory=list)
    te_mean: float | None = None
    te_max: float | None = None
    te_threshold: float | None = None
    snapshot_hour: int = config.DEFAULT_SNAPSHOT_HOUR
    days_above: int = 0
    no_target_days: list[date] = field(default_factory=list)
    offenders: list[dict] = field(default_factory=list)  # sym, days, categories
    notional: float | None = None
    fees: float | None = None
    fee_bps: float | None = None
    slippage_bps: float | None = None
    maker_share: float | None = None
    n_fills: int | None = None
    n_off_window: int | None = None
    n_untracked: int | None = None
    late_rebalances: list[date] = field(default_factory=list)
    fee_days_above: int = 0
    incidents: list[dict] = field(default_factory=list)  # monitor, start, end, minutes
    blips: dict[str, int] = field(default_factory=dict)  # monitor -> DOWN spells of at most monitor_down_min
    down_minutes: dict[str, float] = field(default_factory=dict)  # monitor -> minutes DOWN in the week (as daily's)
    down_seconds: dict[str, float] = field(default_factory=dict)  # the same in seconds: the sum of its days
    sync_failures: dict[str, int] = field(default_factory=dict)
    model: dict = field(default_factory=dict)  # the week's waterfall against the model book (model_part)
    notes: list[str] = field(default_factory=list)

    @property
    def week_start(self) -> date:
        return self.week_ending - timedelta(days=6)


DRAWDOWN_KEYS = ("max_drawdown", "peak_ts", "current_drawdown", "current_peak_ts")


def _stats(series: pl.DataFrame, first: date, last: date) -> dict:
    """Daily statistics of the days [first, last] and the drawdown measured within them: `series` is the
    window's own `equity_series(first, last, 86400)`, so its running peak starts at the window's start mark
    (a peak before the window does not count)."""
    rets = series.with_columns(pl.col("bucket").dt.date().alias("_day"))
    part = rets.filter(pl.col("_day").is_between(first, last))
    out = pnl.daily_stats(part["_day"].to_list(), part["ret"].to_list(), part["pnl"].to_list())
    out.update({k: v for k, v in pnl.drawdown_summary(series).items() if k in DRAWDOWN_KEYS})
    out["first"], out["last"] = first, last
    return out


def returns_part(r: WeeklyReport, month: pl.DataFrame | None, week: pl.DataFrame | None = None) -> None:
    """The week's and the 30 days' statistics, each from its own equity series (lib.book.pnl's per-snapshot
    chain): the week's drawdown is measured within the week, the month's within the 30 days."""
    if month is None or month.height == 0:
        r.notes.append("no account snapshots in the 30 days: returns unknown")
        return
    r.month = _stats(month, r.week_ending - timedelta(days=29), r.week_ending)
    if week is not None and week.height:
        r.week = _stats(week, r.week_start, r.week_ending)
        days = week.with_columns(pl.col("bucket").dt.date().alias("_day"))
        wk = days.filter(pl.col("_day").is_between(r.week_start, r.week_ending))
        r.daily_returns = [(d, finite_float(v)) for d, v in wk.select("_day", "ret").iter_rows()]


def exposure_part(
    r: WeeklyReport, expo: pl.DataFrame | None, timeline: pl.DataFrame | None, last_complete: date | None = None
) -> None:
    """Exposure ranges, and the largest positions at the week's last complete snapshot (`last_complete`:
    lib.clock.latest_complete_day; an open hour has no prices yet)."""
    if expo is not None and expo.height:
        g = expo["gross_pct"].drop_nulls()
        n = expo["net_pct"].drop_nulls()
        # polars types Series.min()/max() as any Python scalar; these Float64 columns give float
        r.gross_range = (g.min(), g.max()) if g.len() else (None, None)  # type: ignore[assignment]
        r.net_range = (n.min(), n.max()) if n.len() else (None, None)  # type: ignore[assignment]
    if timeline is not None and timeline.height:
        shown = min(r.week_ending, last_complete) if last_complete is not None else r.week_ending
        last = timeline.filter(pl.col("holdings_date") == shown)
        if last.height:
            top = (
                last.filter(pl.col("actual_weight").is_not_null())
                .sort(pl.col("actual_weight").abs(), descending=True)
                .head(5)
            )
            r.largest = [
                {"sym": s, "weight": finite_float(w), "target": finite_float(t)}
                for s, w, t in top.select("sym", "actual_weight", "weight_t2").iter_rows()
            ]


def margin_part(r: WeeklyReport, risk: pl.DataFrame | None) -> None:
    """Highest margin used and leverage of the week, and the last leverage, from the hourly account risk series
    (`queries.book.risk.account_risk_series`: each hour's last snapshot summed over accounts, the ratios of the
    Overview's margin panel)."""
    if risk is None or risk.height == 0:
        return
    r.margin_max = finite_float(risk["margin_pct"].max())
    r.leverage_max = finite_float(risk["leverage"].max())
    last = risk.filter(pl.col("leverage").is_not_null()).sort("bucket")
    r.leverage_last = finite_float(last["leverage"][-1]) if last.height else None


def tracking_part(
    r: WeeklyReport, timeline: pl.DataFrame | None, threshold: float, last_complete: date | None = None
) -> None:
    """The week's daily TE at the snapshot hour; a day whose snapshot has not closed (after `last_complete`,
    lib.clock.latest_complete_day) is a gap, never classified or averaged."""
    r.te_threshold = threshold
    if timeline is None or timeline.height == 0:
        r.notes.append("no tracking-error timeline for the week")
        return
    days = te_daily.calendar(r.week_start, r.week_ending)
    last = r.week_ending if last_complete is None else min(r.week_ending, last_complete)
    if last < r.week_ending:
        r.notes.append(f"the snapshots after {last} have not closed yet: not classified")
    week = timeline.filter(pl.col("holdings_date").is_between(r.week_start, last))
    classified = te_snapshot.classify_days(week)
    daily = te_daily.daily_te(classified, days)
    r.te_days = [(d, finite_float(v)) for d, v in daily.select("date", "te").iter_rows()]
    known = [v for _, v in r.te_days if v is not None]
    r.te_mean = sum(known) / len(known) if known else None
    r.te_max = max(known) if known else None
    r.days_above = sum(1 for v in known if v > threshold)
    r.no_target_days = [d for d in te_snapshot.no_target_days(week)]
    bad = classified.filter(pl.col("category").is_in(list(OFFENDER_CATEGORIES)))
    per: dict[str, Counter] = defaultdict(Counter)
    day_sets: dict[str, set] = defaultdict(set)
    for sym, day, cat in bad.select("sym", "holdings_date", "category").iter_rows():
        per[str(sym)][cat] += 1
        day_sets[str(sym)].add(day)
    r.offenders = sorted(
        ({"sym": s, "days": len(day_sets[s]), "categories": dict(per[s])} for s in per if len(day_sets[s]) >= 2),
        key=lambda o: (-o["days"], o["sym"]),
    )


def execution_part(
    r: WeeklyReport, daily: pl.DataFrame | None, fee_bps_max: float, summary: pl.DataFrame | None = None
) -> None:
    """The week's execution costs: `summary` is the Trades page's own statement over the week
    (queries.book.trades.fills_summary: notional, fees, fee bp, slippage, maker share, counts), `daily` its
    per-day rows (days above the fee target, late rebalances)."""
    if daily is None or daily.height == 0:
        r.notes.append("no fills in the week")
        return
    d = daily.filter(pl.col("day").is_between(r.week_start, r.week_ending))
    week = summary.row(0, named=True) if summary is not None and summary.height else {}
    r.notional = finite_float(week.get("notional_usd"))
    paid = finite_float(week.get("fees"))
    r.fees = fmt.cost(paid)  # as it acts on PnL: negative (lib.format.cost, the sign every surface shows)
    r.fee_bps = finite_float(week.get("fee_bps"))  # bp of notional, a cost
    r.slippage_bps = finite_float(week.get("avg_slippage_bps"))
    r.maker_share = finite_float(week.get("maker_share"))
    r.n_fills = int(week.get("n_fills") or 0)
    r.n_off_window = int(week.get("n_off_window") or 0)
    r.n_untracked = int(week.get("n_untracked") or 0)
    r.fee_days_above = int(d.filter(pl.col("fee_bps") > fee_bps_max).height)
    by_day = {row["day"]: row for row in d.iter_rows(named=True)}
    for day in te_daily.calendar(r.week_start, r.week_ending):
        row = by_day.get(day)
        deadline = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            minutes=config.ALERT_THRESHOLDS["rebalance_by_min"]
        )
        first = health.aware(row["first_fill"]) if row else None
        if first is None or first > deadline:
            r.late_rebalances.append(day)


def health_part(
    r: WeeklyReport,
    durations: pl.DataFrame | None,
    spans: pl.DataFrame | None,
    failures: pl.DataFrame | None,
    min_minutes: float = config.ALERT_THRESHOLDS["monitor_down_min"],
) -> None:
    """The week's minutes DOWN per monitor and its DOWN spells, at heartbeat resolution: the daily report's one
    rule (`queries.health.health.status_seconds` / `status_spans`), so a week is the sum of its days. A spell
    longer than `min_minutes` is an incident (as the monitor_down alert); shorter ones are counted as blips."""
    if durations is not None:
        r.down_seconds = {str(m["monitor"]): float(m["down_s"] or 0.0) for m in durations.iter_rows(named=True)}
        r.down_minutes = {m: round(v / 60, 1) for m, v in r.down_seconds.items()}
    if spans is not None:
        for s in health.spells(spans).filter(pl.col("status") == health.DOWN).iter_rows(named=True):
            if s["minutes"] > min_minutes:
                r.incidents.append(
                    {"monitor": s["monitor"], "start": s["start"], "end": s["end"], "minutes": s["minutes"]}
                )
            else:
                r.blips[s["monitor"]] = r.blips.get(s["monitor"], 0) + 1
        r.incidents.sort(key=lambda i: i["start"])
    if failures is not None and failures.height:
        for table, n in failures.group_by("table").len().sort("table").iter_rows():
            r.sync_failures[str(table)] = int(n)


def model_part(r: WeeklyReport, fall: model_falls.Waterfall | None, band: model_bands.Band | None) -> None:
    """The week's waterfall from the model book's PnL to the live PnL, and where the live book is in its band."""
    if fall is None or fall.gap_usd is None:
        r.notes.append("live against the model book: no complete day with both books in the week")
        return
    shown = model_falls.rounded_together([b.usd for b in fall.bars], fall.gap_usd)
    r.model = {
        "first": fall.first,
        "last": fall.last,
        "n_days": fall.n_days,
        "model_pnl": fall.model_pnl,
        "live_pnl": fall.live_pnl,
        "gap_usd": fall.gap_usd,
        "gap_bp": fall.gap_bp,
        "bars": [
            {"bar": b.key, "label": b.label, "usd": b.usd, "bp": b.bp, "shown_usd": v} for b, v in zip(fall.bars, shown)
        ],
        "sentence": fall.sentence(),
        "band": band.sentence() if band is not None else None,
        "notes": list(fall.notes),
    }


# ------------------------------------------------------------------ output


def _stat_line(s: dict, within: str) -> str:
    if not s:
        return "—"
    sharpe = _ratio(s.get("sharpe_ann"))
    return (
        f"return {fmt.pct(s.get('compounded'), 2, signed=True)} · MRD {fmt.pct(s.get('mean_return'), 3, signed=True)}"
        f" · vol {fmt.pct(s.get('vol_ann'), 1)} ann. · Sharpe {sharpe} · max DD "
        f"{fmt.drawdown(s.get('max_drawdown'), s.get('peak_ts'))} ({within}) · win rate "
        f"{fmt.pct(s.get('win_rate'), 0)} ({s.get('n_days', 0)} days)"
    )


def _range(lo: float | None, hi: float | None, signed: bool = False) -> str:
    return f"{fmt.pct(lo, 0, signed=signed)} to {fmt.pct(hi, 0, signed=signed)}"


def _ratio(x: float | None) -> str:
    return "—" if x is None else f"{fmt.MINUS if x < 0 else ''}{abs(x):.2f}"


def to_text(r: WeeklyReport) -> str:
    lines = [
        f"Desk weekly risk report · {r.week_start} – {r.week_ending} (UTC days) · generated {fmt.utc(r.generated_at)}",
        "",
        "Returns (deposits excluded)",
        f"  Week   {_stat_line(r.week, 'within the week')}",
        f"  Month  {_stat_line(r.month, 'within the 30 days')}",
        "",
        "Exposure",
        f"  Gross {_range(*r.gross_range)} of equity · net {_range(*r.net_range, signed=True)}",
        f"  Margin used up to {fmt.pct(r.margin_max, 1)} · leverage up to "
        f"{fmt.leverage(r.leverage_max)}, now "
        f"{fmt.leverage(r.leverage_last)}",
        "  Largest: "
        + (
            ", ".join(f"{p['sym']} {fmt.weight(p['weight'])} (target {fmt.weight(p['target'])})" for p in r.largest)
            or "—"
        ),
        "",
        f"Tracking error · each day's snapshot at the {fmt.snapshot_hour_text(r.snapshot_hour)}",
        f"  Mean {fmt.pct(r.te_mean, 2)} · max {fmt.pct(r.te_max, 2)} · {fmt.plural(r.days_above, 'day')} above "
        f"{fmt.pct(r.te_threshold, 2)}"
        + (f" · not classified (no D−2 targets): {', '.join(map(str, r.no_target_days))}" if r.no_target_days else ""),
        "  Daily: " + ", ".join(f"{d:%d %b} {fmt.pct(v, 2)}" for d, v in r.te_days),
        "  Repeat offenders: "
        + (
            "; ".join(
                f"{o['sym']} {o['days']} days (" + ", ".join(f"{k} {v}" for k, v in o["categories"].items()) + ")"
                for o in r.offenders
            )
            or "none"
        ),
        "",
        "Execution costs",
        f"  {fmt.usd(r.notional)} traded · fees {fmt.usd(r.fees, signed=True)} = "
        f"{fmt.bps(r.fee_bps, 2, signed=False)} of notional ({fmt.plural(r.fee_days_above, 'day')} above "
        "target) · "
        f"slippage {fmt.bps(r.slippage_bps, 2)} · maker share {fmt.pct(r.maker_share, 1)}",
        f"  {r.n_fills or 0} fills · {r.n_off_window or 0} off-window · {r.n_untracked or 0} untracked · "
        f"late rebalances: {', '.join(map(str, r.late_rebalances)) or 'none'}",
        "",
        "Live against the model book",
    ]
    if r.model:
        m = r.model
        lines.append(
            f"  Model book {fmt.usd(m['model_pnl'], signed=True)} → live {fmt.usd(m['live_pnl'], signed=True)}: "
            f"{fmt.usd(m['gap_usd'], signed=True)} ({fmt.bps(m['gap_bp'])}) over {fmt.plural(m['n_days'], 'day')}"
        )
        lines += [
            f"    {b['label']:<24} {fmt.usd(b['shown_usd'], signed=True):>10} {fmt.bps(b['bp']):>10}" for b in m["bars"]
        ]
        if m["band"]:
            lines.append(f"  {m['band']}")
        lines += [f"  {n}" for n in m["notes"]]
    else:
        lines.append("  —")
    lines += ["", "Health incidents"]
    if r.incidents:
        lines += [
            f"  {i['monitor']} DOWN {fmt.utc(i['start'])} – {i['end']:%H:%M} UTC ({i['minutes']:.0f} min)"
            for i in r.incidents
        ]
    else:
        lines.append("  no monitor DOWN for more than the alert's limit in the week")
    down = {m: n for m, n in sorted(r.down_minutes.items()) if n}
    if down:
        lines.append("  Minutes DOWN in the week: " + ", ".join(f"{m} {n}" for m, n in down.items()))
    if r.blips:
        lines.append(
            "  Brief DOWN spells (error beats, short silences): "
            + ", ".join(f"{m} {n}" for m, n in sorted(r.blips.items()))
        )
    if r.sync_failures:
        lines.append("  Failed sync runs: " + ", ".join(f"{t} {n}" for t, n in r.sync_failures.items()))
    if r.notes:
        lines += ["", "Notes"] + [f"  - {n}" for n in r.notes]
    return "\n".join(lines)


def to_json(r: WeeklyReport) -> dict:
    return fmt.json_value(asdict(r))


def to_html(r: WeeklyReport) -> EmailHtml:
    from html import escape

    from lib.reports import html as h

    figures = h.Figures(f"weekly-{r.week_ending}")
    header = h.box(
        f'<div style="{h.SMALL}">Desk weekly risk report'
        f'</div><div style="font-size:22px;font-weight:700;margin:2px 0 6px 0">{r.week_start:%d %b} – '
        f'{r.week_ending:%d %b %Y}</div><div style="{h.SMALL}">UTC days · generated '
        f"{escape(fmt.utc(r.generated_at))}</div>",
        ";border-top:4px solid #1f5fa8",
    )
    w, m = r.week, r.month

    def row(s: dict) -> list[str]:
        sharpe = _ratio(s.get("sharpe_ann")) if s else "—"
        return [
            fmt.pct(s.get("compounded"), 2, signed=True),
            fmt.pct(s.get("vol_ann"), 1),
            sharpe,
            fmt.drawdown(s.get("max_drawdown"), s.get("peak_ts")),
            fmt.pct(s.get("win_rate"), 0),
        ]

    head = "".join(
        f'<th style="{h.TD};text-align:left;{h.SMALL}">{x}</th>'
        for x in ("", "Return", "Vol (ann.)", "Sharpe", "Max DD (within the period)", "Win rate")
    )
    body = "".join(
        f'<tr><td style="{h.TDL}">{label}</td>'
        + "".join(f'<td style="{h.TD}">{escape(v)}</td>' for v in row(s))
        + "</tr>"
        for label, s in (("Week", w), ("30 days", m))
    )
    bars = png_charts.bars(
        [(d.strftime("%a %d"), v) for d, v in r.daily_returns],
        "daily-returns",
        width=640,
        height=140,
        fmt=lambda v: fmt.pct(v, 2, signed=True),
        title="Daily return (deposit-adjusted)",
        color="#2e9d5b",
        negative_color="#d1343b",
        label_all=True,
    )
    ret_card = h.card(
        "Returns",
        f'<table style="border-collapse:collapse;width:100%"><tr>{head}</tr>{body}</table>' + figures.img(bars),
    )
    expo_card = h.card(
        "Exposure and margin",
        h.kv_table(
            [
                ("Gross / net", escape(f"{_range(*r.gross_range)} / {_range(*r.net_range, signed=True)} of equity")),
                ("Margin used (max)", escape(fmt.pct(r.margin_max, 1))),
                (
                    "Leverage max / now",
                    escape(fmt.leverage(r.leverage_max) + " / " + fmt.leverage(r.leverage_last)),
                ),
                (
                    "Largest positions",
                    escape(", ".join(f"{p['sym']} {fmt.weight(p['weight'])}" for p in r.largest) or "—"),
                ),
            ]
        ),
    )
    te_chart = png_charts.bars(
        [(d.strftime("%d"), v) for d, v in r.te_days],
        "te-days",
        width=640,
        height=120,
        threshold=r.te_threshold,
        fmt=lambda v: fmt.pct(v, 2),
        highlight=len(r.te_days) - 1,
        title=f"Snapshot TE per day ({fmt.snapshot_hour_text(r.snapshot_hour)})",
    )
    offenders = "; ".join(f"{o['sym']} {o['days']} days" for o in r.offenders) or "none"
    te_card = h.card(
        "Tracking error",
        h.kpis(
            [
                ("Mean", fmt.pct(r.te_mean, 2), h.INK),
                ("Max", fmt.pct(r.te_max, 2), h.INK),
                ("Days above limit", str(r.days_above), h.BAD if r.days_above else h.GOOD),
            ]
        )
        + figures.img(te_chart)
        + h.kv_table([("Repeat offenders", escape(offenders))]),
    )
    exe_card = h.card(
        "Execution costs",
        h.kv_table(
            [
                (
                    "Traded / fees",
                    escape(
                        f"{fmt.usd(r.notional)} · {fmt.usd(r.fees, signed=True)} = "
                        f"{fmt.bps(r.fee_bps, 2, signed=False)}"
                    ),
                ),
                ("Slippage / maker share", escape(f"{fmt.bps(r.slippage_bps, 2)} · {fmt.pct(r.maker_share, 1)}")),
                (
                    "Fills",
                    escape(f"{r.n_fills or 0} · {r.n_off_window or 0} off-window · {r.n_untracked or 0} untracked"),
                ),
                ("Late rebalances", escape(", ".join(map(str, r.late_rebalances)) or "none")),
            ]
        ),
    )
    inc = [
        (i["monitor"], escape(f"DOWN {fmt.utc(i['start'])} – {i['end']:%H:%M} UTC ({i['minutes']:.0f} min)"))
        for i in r.incidents
    ] or [("monitors", "no monitor DOWN for more than the alert's limit")]
    if r.blips:
        inc.append(("brief DOWN spells", escape(", ".join(f"{m} {n}" for m, n in sorted(r.blips.items())))))
    if r.sync_failures:
        inc.append(("failed sync runs", escape(", ".join(f"{t} {n}" for t, n in r.sync_failures.items()))))
    health_card = h.card("Health incidents", h.kv_table(inc))
    return figures.email(
        h.page(
            f"Desk weekly risk report {r.week_ending}",
            header,
            [ret_card, expo_card, te_card, _model_card(r, figures), exe_card, health_card],
        )
    )


def _model_card(r: WeeklyReport, figures: Figures) -> str:
    """The week's waterfall against the model book: model PnL, each bar, live PnL; the band's line."""
    from html import escape

    from lib.reports import html as h

    m = r.model
    if not m:
        return h.card("Live against the model book", f'<div style="{h.SMALL}">no complete day with both books</div>')
    items = [("Model book PnL", m["model_pnl"])] + [(b["label"], b["shown_usd"]) for b in m["bars"]]
    items.append(("Live book PnL", m["live_pnl"]))
    chart = figures.img(
        png_charts.hbars(
            items, "model-waterfall", width=660, fmt=lambda v: fmt.usd(v, signed=True), title="Model → live, USD"
        )
    )
    rows = [("Live − model", escape(f"{fmt.usd(m['gap_usd'], signed=True)} ({fmt.bps(m['gap_bp'])})"))]
    if m["band"]:
        rows.append(("Band", escape(m["band"])))
    rows += [("Note", escape(n)) for n in m["notes"]]
    return h.card("Live against the model book", chart + h.kv_table(rows))
