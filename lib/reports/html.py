"""The reports as self-contained HTML emails: inline CSS, inline SVG charts, no JavaScript, no images.

Table layout and inline styles only, so Gmail/Outlook render it as the browser
does. Pass/fail marks are text badges (the desk's machines have no emoji font).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from lib import format as fmt
from lib.reports import rebalance as rebalance_report
from lib.reports import svg_charts
from lib.reports.daily import CATEGORY_WORDS, DailyReport
from lib.tracking import classification as te

INK, MUTED, LINE, BG = "#101828", "#475467", "#eaecf0", "#f9fafb"
GOOD, BAD, NA, WARN = "#067647", "#b42318", "#667085", "#b54708"
BODY = (
    f"margin:0;padding:0;background:{BG};font-family:Helvetica,Arial,'DejaVu Sans',sans-serif;color:{INK};"
    "font-size:14px;line-height:1.45"
)
CARD = f"background:#ffffff;border:1px solid {LINE};border-radius:8px;padding:16px 20px;margin:0 0 12px 0"
H2 = f"margin:0 0 10px 0;font-size:15px;color:{INK};letter-spacing:0.2px"
TD = f"padding:5px 8px;border-bottom:1px solid {LINE};vertical-align:top"
TDL = TD + f";color:{MUTED};white-space:nowrap"
SMALL = f"color:{MUTED};font-size:12px"


def badge(text: str, color: str) -> str:
    return (
        f'<span style="display:inline-block;min-width:38px;text-align:center;padding:2px 8px;border-radius:10px;'
        f'background:{color};color:#ffffff;font-size:11px;font-weight:700;letter-spacing:0.4px">'
        f"{escape(text)}</span>"
    )


def verdict_badge(ok: bool | None) -> str:
    return badge("PASS", GOOD) if ok else (badge("FAIL", BAD) if ok is False else badge("N/A", NA))


def chip(text: str, color: str) -> str:
    return (
        f'<span style="display:inline-block;margin:0 6px 4px 0;padding:1px 8px;border-radius:10px;'
        f'border:1px solid {color};color:{color};font-size:12px;font-weight:600">{escape(text)}</span>'
    )


def card(title: str, inner: str) -> str:
    return f'<div style="{CARD}"><h2 style="{H2}">{escape(title)}</h2>{inner}</div>'


def kv_table(rows: Iterable[tuple[str, str]]) -> str:
    body = "".join(f'<tr><td style="{TDL}">{escape(k)}</td><td style="{TD}">{v}</td></tr>' for k, v in rows)
    return f'<table style="border-collapse:collapse;width:100%">{body}</table>'


def kpis(items: Sequence[tuple[str, str, str]]) -> str:
    """A row of headline figures: (label, value, colour)."""
    cells = "".join(
        f'<td style="padding:8px 10px;border:1px solid {LINE};border-radius:6px;width:{100 // len(items)}%">'
        f'<div style="{SMALL}">{escape(label)}</div>'
        f'<div style="font-size:19px;font-weight:700;color:{color}">{escape(value)}</div></td>'
        for label, value, color in items
    )
    return f'<table style="border-collapse:separate;border-spacing:6px 0;width:100%;margin:0 -6px"><tr>{cells}</tr></table>'


def page(title: str, header: str, sections: Sequence[str]) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width"></head><body style="{BODY}">'
        f'<div style="max-width:720px;margin:0 auto;padding:18px 12px">{header}{"".join(sections)}'
        f'<p style="{SMALL};text-align:center;margin:14px 0">Desk Monitor · all times UTC · '
        f"— means missing, never zero</p></div></body></html>"
    )


def _signed_color(x: float | None) -> str:
    return INK if x is None else (GOOD if x >= 0 else BAD)


def daily(r: DailyReport) -> str:
    ok_all = r.failed == 0 and r.passed == len(r.verdicts)
    summary = f"{r.passed} of {len(r.verdicts)} criteria met" + (f" · {r.failed} failed" if r.failed else "")
    header = (
        f'<div style="{CARD};border-top:4px solid {GOOD if ok_all else BAD}">'
        f'<div style="{SMALL}">Desk daily report · UTC day</div>'
        f'<div style="font-size:22px;font-weight:700;margin:2px 0 6px 0">{escape(r.day.strftime("%A %d %B %Y"))}</div>'
        f"<div>{badge('ALL MET' if ok_all else 'ATTENTION', GOOD if ok_all else BAD)} "
        f'<span style="font-weight:600">{escape(summary)}</span>'
        f'<span style="{SMALL}"> · generated {escape(fmt.utc(r.generated_at))}</span></div></div>'
    )
    rows = "".join(
        f'<tr><td style="{TD};width:54px">{verdict_badge(v.ok)}</td><td style="{TD};font-weight:600">'
        f'{escape(v.criterion)}</td><td style="{TD}">{escape(v.value)}</td>'
        f'<td style="{TD};{SMALL}">target {escape(v.target)}</td></tr>'
        for v in r.verdicts
    )
    verdict_card = card("Verdict", f'<table style="border-collapse:collapse;width:100%">{rows}</table>')

    c = r.components
    comp = svg_charts.hbars(
        [
            ("Realized", c.get("realized")),
            ("Fees", c.get("fees")),
            ("Funding", c.get("funding")),
            ("Change in unrealized", c.get("unrealized_change")),
            ("Residual", c.get("residual")),
        ],
        width=320,
        fmt=lambda v: fmt.usd(v, signed=True),
        title="PnL components",
    )
    curve = svg_charts.line(
        [(d.strftime("%d %b"), v) for d, v in r.equity_curve],
        width=320,
        height=130,
        fmt=lambda v: fmt.usd(v),
        title="Equity, last 30 days (daily close)",
    )
    flows = f" · flows {fmt.usd(r.flows, signed=True)} (not PnL)" if r.flows else ""
    pnl_card = card(
        "PnL",
        kpis(
            [
                ("Equity (end of day)", fmt.usd(r.equity_end), INK),
                ("PnL", fmt.usd(r.pnl_total, signed=True), _signed_color(r.pnl_total)),
                ("Return", fmt.pct(r.day_return, 2, signed=True), _signed_color(r.day_return)),
                (
                    "Drawdown / max",
                    f"{fmt.pct(r.drawdown_current, 2, signed=True)} / {fmt.pct(r.drawdown_max, 2, signed=True)}",
                    INK,
                ),
            ]
        )
        + f'<div style="{SMALL};margin:6px 0 8px 0">start {escape(fmt.usd(r.equity_start))}{escape(flows)} · '
        f"max drawdown over {r.drawdown_lookback_days} days, deposit-adjusted</div>"
        f'<table style="width:100%"><tr><td style="vertical-align:top">{comp}</td>'
        f'<td style="vertical-align:top">{curve}</td></tr></table>',
    )

    if r.has_targets:
        chips = "".join(
            chip(f"{CATEGORY_WORDS.get(k, k.replace('_', ' ').title())} {v}", fmt.CATEGORY_COLORS.get(k, NA))
            for k, v in r.counts.items()
            if v
        )
        names = kv_table(
            (f"{CATEGORY_WORDS.get(cat, cat)} ({len(n)})", escape(", ".join(n))) for cat, n in r.names.items()
        )
        bullets = "".join(f"<li>{escape(b)}</li>" for b in r.story_bullets)
        hist = svg_charts.bars(
            [(d.strftime("%d"), v) for d, v in r.te_history],
            width=300,
            height=130,
            highlight=len(r.te_history) - 1,
            fmt=lambda v: fmt.pct(v, 2),
            threshold=r.te_target,
            title="Snapshot TE, this day and the 7 before",
        )
        te_inner = (
            kpis(
                [
                    ("TE vs T+2", fmt.pct(r.te, 2), INK),
                    ("Active share", fmt.pct(r.active_share, 2), INK),
                    ("Missing", str(r.counts.get(te.MISSING_POSITION, 0)), INK),
                    (
                        "Wrong direction / extra",
                        f"{r.counts.get(te.WRONG_DIRECTION, 0)} / {r.counts.get(te.EXTRA_POSITION, 0)}",
                        INK,
                    ),
                ]
            )
            + f'<p style="margin:10px 0 6px 0;font-weight:600">{escape(r.story_headline)}</p>'
            f'<table style="width:100%"><tr><td style="vertical-align:top;padding-right:10px">'
            f'<ul style="margin:0;padding-left:18px;font-size:13px">{bullets}</ul></td>'
            f'<td style="vertical-align:top;width:300px">{hist}</td></tr></table>'
            f'<div style="margin:8px 0 4px 0">{chips}</div>{names}'
        )
    else:
        te_inner = f"<p>Not classified: no model targets for D−2 ({escape(str(r.day))} trades them).</p>"
    te_card = card(f"Tracking error · snapshot {r.day} {r.snapshot_hour:02d}:00 UTC", te_inner)

    exe_card = card(
        "Execution",
        kv_table(
            [
                (
                    "Rebalance",
                    escape(
                        f"first fill {fmt.utc(r.first_fill, seconds=True)}, last in window "
                        f"{fmt.utc(r.last_in_window, seconds=True)}"
                    ),
                ),
                ("Fills", escape(f"{r.n_fills or 0} fills, {r.n_off_window or 0} outside the window")),
                (
                    "Notional / fees",
                    escape(
                        f"{fmt.usd(r.notional)} traded · fees {fmt.usd(r.fees)} = "
                        f"{'—' if r.fee_bps is None else f'{r.fee_bps:.2f} bp'}"
                    ),
                ),
                ("Slippage vs 1h open", escape(fmt.bps(r.slippage_bps, 2))),
                ("Maker share", escape(fmt.pct(r.maker_share, 1) + " of notional")),
                (
                    "Untracked fills",
                    escape(str(r.n_untracked if r.n_untracked is not None else "—"))
                    + (f'<div style="{SMALL}">{escape("; ".join(r.untracked))}</div>' if r.untracked else ""),
                ),
            ]
        ),
    )

    rebalance_card = card(f"Rebalance · {r.day} 00:00 UTC", rebalance_report.completion_html(r.rebalance, TD, SMALL))
    preflight_card = card(
        "Next targets, checked before they trade",
        rebalance_report.preflight_html(
            r.preflight, TD, SMALL, lambda status: verdict_badge({"pass": True, "fail": False}.get(status))
        ),
    )

    mon_rows = []
    fine = [m["monitor"] for m in r.monitors if not (m["down_min"] or m["late_min"])]
    if fine:
        mon_rows.append(
            (f"{len(fine)} of {len(r.monitors)} monitors", badge("OK", GOOD) + escape(f"  all day: {', '.join(fine)}"))
        )
    for m in r.monitors:
        if not (m["down_min"] or m["late_min"]):
            continue
        mon_rows.append(
            (
                m["monitor"],
                badge("DOWN" if m["down_min"] else "LATE", BAD if m["down_min"] else WARN)
                + escape(
                    f"  {fmt.pct(m['ok_share'], 1)} of the day OK"
                    + (f" · DOWN {m['down_min']} min" if m["down_min"] else "")
                    + (f" · LATE {m['late_min']} min" if m["late_min"] else "")
                ),
            )
        )
    sync_total = sum(s["runs"] for s in r.sync)
    sync_fail = [s for s in r.sync if s["failures"]]
    if r.sync:
        mon_rows.append(
            (
                "sync runs",
                escape(f"{sync_total} runs, {sum(s['failures'] for s in r.sync)} failed")
                + (
                    f'<div style="{SMALL}">'
                    + escape(", ".join(f"{s['table']} {s['failures']}" for s in sync_fail))
                    + "</div>"
                    if sync_fail
                    else ""
                ),
            )
        )
    health_card = card("Health", kv_table(mon_rows) if mon_rows else "<p>No heartbeat data for the day.</p>")

    alert_rows = "".join(
        f'<tr><td style="{TD};width:60px">{badge("FIRING", BAD if a["severity"] == "critical" else WARN)}</td>'
        f'<td style="{TD}"><b>{escape(a["subject"])}</b><div style="{SMALL}">{escape(a["detail"])}</div></td></tr>'
        for a in r.day_alerts
    )
    hist_rows = "".join(
        f'<tr><td style="{TD};{SMALL};white-space:nowrap">{e["at"]:%H:%M} UTC</td><td style="{TD}">'
        f"{escape(e['kind'])} · {escape(e['subject'])}</td></tr>"
        for e in r.history
    )
    alerts_inner = (
        f'<table style="border-collapse:collapse;width:100%">{alert_rows}</table>'
        if alert_rows
        else '<p style="margin:0">None of the day\'s rules fire.</p>'
    )
    alerts_inner += (
        f'<div style="{SMALL};margin:10px 0 4px 0">Sent by the alert watcher that day</div>'
        f'<table style="border-collapse:collapse;width:100%">{hist_rows}</table>'
        if hist_rows
        else (f'<p style="{SMALL}">{escape(r.history_note)}</p>' if r.history_note else "")
    )
    alerts_card = card("Alerts for the day", alerts_inner)
    notes = card("Notes", "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in r.notes) + "</ul>") if r.notes else ""
    return page(
        f"Desk daily report {r.day}",
        header,
        [verdict_card, pnl_card, te_card, exe_card, rebalance_card, preflight_card, health_card, alerts_card, notes],
    )
