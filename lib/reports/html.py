"""The reports as HTML e-mails: table layout, inline styles, no JavaScript, charts as PNG images.

Mail clients differ from browsers: Gmail strips `<style>` blocks it does not like and inline SVG, Outlook's
desktop engine (Word) ignores `max-width`, most CSS layout and SVG. So the page is nested tables with inline
styles, and each chart is a PNG (lib/reports/png_charts.py) carried in the message and shown with
`<img src="cid:…">` (`EmailHtml.images`). The same HTML written to a file (`-o report.html`) has the PNGs as
data URIs (`EmailHtml.standalone()`). Pass/fail marks are text badges (the desk's machines have no emoji font).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape

from lib import format as fmt
from lib.alerting.transport.base import InlineImage
from lib.reports import png_charts
from lib.reports import rebalance as rebalance_report
from lib.reports.daily import CATEGORY_WORDS, DailyReport
from lib.tracking import classification as te

INK, MUTED, LINE, BG = "#101828", "#475467", "#eaecf0", "#f9fafb"
GOOD, BAD, NA, WARN = "#067647", "#b42318", "#667085", "#b54708"
BODY = (
    f"margin:0;padding:0;background:{BG};font-family:Helvetica,Arial,'DejaVu Sans',sans-serif;color:{INK};"
    "font-size:14px;line-height:1.45"
)
CARD_CELL = f"background:#ffffff;border:1px solid {LINE};border-radius:8px;padding:16px 20px"
H2 = f"margin:0 0 10px 0;font-size:15px;color:{INK};letter-spacing:0.2px"
TD = f"padding:5px 8px;border-bottom:1px solid {LINE};vertical-align:top"
TDL = TD + f";color:{MUTED};white-space:nowrap"
SMALL = f"color:{MUTED};font-size:12px"


@dataclass(frozen=True)
class EmailHtml:
    """A report's HTML, its images referred to as `cid:` (what an e-mail carries)."""

    html: str
    images: tuple[InlineImage, ...]

    def standalone(self) -> str:
        """The same page for a file or a browser: every `cid:` image as a data URI."""
        page = self.html
        for image in self.images:
            data = base64.b64encode(image.data).decode("ascii")
            page = page.replace(f'src="cid:{image.cid}"', f'src="data:{image.mime};base64,{data}"')
        return page


@dataclass
class Figures:
    """Collects a report's charts: `img(chart)` places one, `email(html)` pairs the page with its images."""

    report: str  # a short name for the content ids and file names ("daily-2025-12-07")
    images: list[InlineImage] = field(default_factory=list)

    def img(self, chart: png_charts.Chart) -> str:
        cid = f"{chart.name}.{self.report}@desk-monitor"
        self.images.append(InlineImage(cid, chart.png, f"{self.report}-{chart.name}.png"))
        return (
            f'<img src="cid:{cid}" width="{chart.width}" height="{chart.height}" alt="{escape(chart.title)}" '
            f'style="display:block;border:0;outline:none;width:{chart.width}px;height:{chart.height}px">'
        )

    def email(self, html: str) -> EmailHtml:
        return EmailHtml(html, tuple(self.images))


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


def box(inner: str, style: str = "") -> str:
    """A white card: a one-cell table (Outlook draws a cell's background and border, not a div's)."""
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'style="border-collapse:separate;margin:0 0 12px 0"><tr><td bgcolor="#ffffff" style="{CARD_CELL}{style}">'
        f"{inner}</td></tr></table>"
    )


def card(title: str, inner: str) -> str:
    return box(f'<h2 style="{H2}">{escape(title)}</h2>{inner}')


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
    """The page: a full-width table with the background, a 720 px column inside (Outlook reads the width
    attribute; other clients the style, which lets it shrink on a phone)."""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width"></head><body style="{BODY}">'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="{BG}" '
        f'style="background:{BG}"><tr><td align="center" style="padding:18px 12px">'
        '<table role="presentation" width="720" cellpadding="0" cellspacing="0" border="0" '
        'style="width:100%;max-width:720px"><tr><td align="left">'
        f'{header}{"".join(sections)}<p style="{SMALL};text-align:center;margin:14px 0">Desk Monitor · all times '
        "UTC · — means missing, never zero</p></td></tr></table></td></tr></table></body></html>"
    )


def _signed_color(x: float | None) -> str:
    return INK if x is None else (GOOD if x >= 0 else BAD)


def daily(r: DailyReport) -> EmailHtml:
    figures = Figures(f"daily-{r.day}")
    ok_all = r.failed == 0 and r.passed == len(r.verdicts)
    summary = f"{r.passed} of {len(r.verdicts)} criteria met" + (f" · {r.failed} failed" if r.failed else "")
    header = box(
        f'<div style="{SMALL}">Desk daily report · UTC day</div>'
        f'<div style="font-size:22px;font-weight:700;margin:2px 0 6px 0">{escape(r.day.strftime("%A %d %B %Y"))}</div>'
        f"<div>{badge('ALL MET' if ok_all else 'ATTENTION', GOOD if ok_all else BAD)} "
        f'<span style="font-weight:600">{escape(summary)}</span>'
        f'<span style="{SMALL}"> · generated {escape(fmt.utc(r.generated_at))}</span></div>',
        f";border-top:4px solid {GOOD if ok_all else BAD}",
    )
    rows = "".join(
        f'<tr><td style="{TD};width:54px">{verdict_badge(v.ok)}</td><td style="{TD};font-weight:600">'
        f'{escape(v.criterion)}</td><td style="{TD}">{escape(v.value)}</td>'
        f'<td style="{TD};{SMALL}">target {escape(v.target)}</td></tr>'
        for v in r.verdicts
    )
    verdict_card = card("Verdict", f'<table style="border-collapse:collapse;width:100%">{rows}</table>')

    c = r.components
    comp = png_charts.hbars(
        [
            ("Realized", c.get("realized")),
            ("Fees", c.get("fees")),
            ("Funding", c.get("funding")),
            ("Change in unrealized", c.get("unrealized_change")),
            ("Residual", c.get("residual")),
        ],
        "pnl-components",
        width=320,
        fmt=lambda v: fmt.usd(v, signed=True),
        title="PnL components",
    )
    curve = png_charts.line(
        [(d.strftime("%d %b"), v) for d, v in r.equity_curve],
        "equity-30d",
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
        f"drawdown {escape(fmt.drawdown(r.drawdown_current, r.drawdown_peak_ts))}, max "
        f"{escape(fmt.drawdown(r.drawdown_max, r.drawdown_max_peak_ts))}, within the {r.drawdown_lookback_days} "
        "days to the day, deposit-adjusted</div>"
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="width:100%"><tr>'
        f'<td style="vertical-align:top;padding-right:8px">{figures.img(comp)}</td>'
        f'<td style="vertical-align:top">{figures.img(curve)}</td></tr></table>',
    )

    if r.classified:
        chips = "".join(
            chip(f"{CATEGORY_WORDS.get(k, k.replace('_', ' ').title())} {v}", fmt.CATEGORY_COLORS.get(k, NA))
            for k, v in r.counts.items()
            if v
        )
        names = kv_table(
            (f"{CATEGORY_WORDS.get(cat, cat)} ({len(n)})", escape(", ".join(n))) for cat, n in r.names.items()
        )
        bullets = "".join(f"<li>{escape(b)}</li>" for b in r.story_bullets)
        hist = png_charts.bars(
            [(d.strftime("%d"), v) for d, v in r.te_history],
            "te-8d",
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
            f'<td style="vertical-align:top;width:300px">{figures.img(hist)}</td></tr></table>'
            f'<div style="margin:8px 0 4px 0">{chips}</div>{names}'
        )
    else:
        te_inner = f"<p>Not classified: {escape(r.te_note)}.</p>"
    te_card = card(f"Tracking error · snapshot {fmt.snapshot_when(r.day, r.snapshot_hour)}", te_inner)

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
                        f"{fmt.usd(r.notional)} traded · fees {fmt.usd(r.fees, signed=True)} = "
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

    rebalance_card = card(
        f"Rebalance · {r.day} 00:00 UTC", rebalance_report.completion_html(r.rebalance, TD, SMALL, figures.img)
    )
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
                escape(f"{fmt.plural(sync_total, 'run')}, {sum(s['failures'] for s in r.sync):,} failed")
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
    return figures.email(
        page(
            f"Desk daily report {r.day}",
            header,
            [
                verdict_card,
                pnl_card,
                te_card,
                exe_card,
                rebalance_card,
                preflight_card,
                health_card,
                alerts_card,
                notes,
            ],
        )
    )
