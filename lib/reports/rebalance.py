"""The daily report's rebalance sections: the day's 00:00 UTC rebalance to completion, and the pre-trade checks
of the targets traded next. Pure: `answers.rebalance` results in, plain dicts on the `DailyReport` out, and the
text and HTML of both sections (lib/reports/daily.py and lib/reports/html.py place them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from lib import config
from lib import format as fmt
from lib.rebalance import completion as completions
from lib.rebalance import preflight as preflights
from lib.reports import png_charts

OPEN_LISTED = 12  # open symbols listed in the report


def completion_part(completion: completions.Completion | None, notes: list[str]) -> dict[str, Any] | None:
    """What the report keeps of the day's rebalance (`answers.rebalance.completion`)."""
    if completion is None:
        return None
    out = completion.to_json()
    out["open"] = [
        {k: r[k] for k in ("sym", "state", "reason", "progress", "required_notional", "n_rejected", "n_canceled")}
        for r in completion.symbols.filter(completion.symbols["state"] != completions.DONE).to_dicts()
    ]
    out.pop("symbols", None)
    out["measured_at_text"] = fmt.utc(completion.measured_at)
    notes += list(completion.notes)
    return fmt.json_value(out)


def preflight_part(check: preflights.Preflight | None) -> dict[str, Any] | None:
    return check.to_json() if check is not None else None


def verdict_values(part: Mapping[str, Any] | None, thresholds: Mapping[str, float]) -> tuple[bool | None, str, str]:
    """(ok, value, target) of the report's "Rebalance complete" criterion: the book's share of the required
    change done at 00:MM UTC (the rebalance_late alert's own numbers)."""
    by_min = int(thresholds["rebalance_by_min"])
    floor = float(thresholds["rebalance_complete_min"])
    label = completions.checkpoint_label(by_min)
    target = f"≥ {fmt.pct(floor, 0)} by {label} UTC"
    if not part or not part.get("has_targets") or part.get("progress") is None:
        return None, "—", target
    if not part.get("required_notional"):
        return True, "nothing to trade", target
    at = part["checkpoints"].get(label)
    if at is None:  # a checkpoint that is not one of REBALANCE_CHECKPOINTS_MIN: the value now
        at = part["progress"]
    return at >= floor, f"{fmt.pct(at, 1)} at {label}, {fmt.pct(part['progress'], 1)} now", target


def _slippage(part: Mapping[str, Any]) -> str:
    state = part.get("slippage_state")
    if state == completions.SLIPPAGE_PENDING:
        return "pending (the hour's candle does not exist yet)"
    if state == completions.SLIPPAGE_MISSING:
        return f"{fmt.bps(part.get('slippage_bps'), 2)} (some fills have no candle)"
    if state == completions.NO_FILLS:
        return "no fills"
    return fmt.bps(part.get("slippage_bps"), 2)


def _costs(part: Mapping[str, Any]) -> str:
    """Fees as a cost (negative dollars) and their rate on the notional traded."""
    bp = part.get("fee_bps")
    rate = "—" if bp is None else f"{abs(bp):.2f} bp"
    return f"fees {fmt.usd(part.get('fees'), signed=True)} ({rate} of {fmt.usd(part.get('notional'))} traded)"


def _checkpoints(part: Mapping[str, Any]) -> str:
    return " · ".join(f"{k} {fmt.pct(v, 0)}" for k, v in part.get("checkpoints", {}).items())


def completion_text(part: Mapping[str, Any] | None) -> list[str]:
    if part is None:
        return ["Rebalance", "  not available"]
    head = f"Rebalance · {part['day']} 00:00 UTC vs targets dated {part['target_date']}"
    if not part["has_targets"]:
        return [head, "  " + ("; ".join(part.get("notes", [])) or "no targets")]
    lines = [head]
    if not part["required_notional"]:
        lines.append(f"  nothing to trade: {part['n_on_target']} symbols already on target")
    else:
        lines.append(
            f"  {fmt.pct(part['progress'], 1)} of {fmt.usd(part['required_notional'])} required done "
            f"(as of {part['measured_at_text']}); {_checkpoints(part)}"
        )
        counts = ", ".join(f"{k} {v}" for k, v in part["counts"].items() if v)
        lines.append(f"  symbols: {counts}; {part['n_on_target']} on target before 00:00")
    lines.append(f"  {_costs(part)} · slippage {_slippage(part)}")
    for r in part.get("open", [])[:OPEN_LISTED]:
        lines.append(f"  - {r['sym']}: {r['state']} — {r['reason']}")
    if len(part.get("open", [])) > OPEN_LISTED:
        lines.append(f"  … {len(part['open']) - OPEN_LISTED} more open")
    return lines


def preflight_text(part: Mapping[str, Any] | None) -> list[str]:
    if part is None:
        return ["Next targets, checked before they trade", "  not available"]
    head = (
        f"Next targets · dated {part['target_date']} for the {part['trade_day']} rebalance, checked "
        f"{part['checked_at_text']} ({part['stage']})"
    )
    if not part["has_targets"]:
        return [head, f"  {part.get('note') or 'not published'}"]
    lines = [head]
    for c in part["checks"]:
        lines.append(f"  {fmt.CHECK_MARKS.get(c['status'], '—')} {c['title']}: {c['numbers']}")
    return lines


# ------------------------------------------------------------------ HTML (lib/reports/html.py's cards)


def completion_html(part: Mapping[str, Any] | None, td: str, small: str, img: Callable[[png_charts.Chart], str]) -> str:
    """The inner HTML of the rebalance card (table layout, inline styles, the checkpoints as a PNG `img` places)."""
    if part is None or not part["has_targets"]:
        return f"<p>{escape('; '.join((part or {}).get('notes', [])) or 'Not available.')}</p>"
    if not part["required_notional"]:
        return f"<p>Nothing to trade: {part['n_on_target']} symbols were already on target before 00:00 UTC.</p>"
    points = list(part["checkpoints"].items())
    deadline = completions.checkpoint_label(int(config.ALERT_THRESHOLDS["rebalance_by_min"]))
    chart = png_charts.bars(
        points,
        "rebalance-checkpoints",
        width=300,
        height=130,
        highlight=next((k for k, (label, _) in enumerate(points) if label == deadline), None),
        threshold=float(config.ALERT_THRESHOLDS["rebalance_complete_min"]),
        fmt=lambda v: fmt.pct(v, 0),
        title="Share of the change done by",
        label_all=True,
    )
    rows = "".join(
        f'<tr><td style="{td};font-weight:600">{escape(r["sym"])}</td>'
        f'<td style="{td};color:{fmt.REBALANCE_STATE_COLORS.get(r["state"], "#101828")};white-space:nowrap">{escape(r["state"])}</td>'
        f'<td style="{td}">{escape(r["reason"])}</td></tr>'
        for r in part.get("open", [])[:OPEN_LISTED]
    )
    facts = (
        f"<div><b>{escape(fmt.pct(part['progress'], 1))}</b> of {escape(fmt.usd(part['required_notional']))} "
        f'required done</div><div style="{small}">{escape(_checkpoints(part))}</div>'
        f'<div style="{small}">{escape(_costs(part))} · slippage {escape(_slippage(part))}</div>'
    )
    table = f'<table style="border-collapse:collapse;width:100%;margin-top:8px">{rows}</table>' if rows else ""
    return (
        f'<table style="width:100%"><tr><td style="vertical-align:top;padding-right:10px">{facts}</td>'
        f'<td style="vertical-align:top;width:300px">{img(chart)}</td></tr></table>{table}'
    )


def preflight_html(part: Mapping[str, Any] | None, td: str, small: str, badge: Any) -> str:
    """The inner HTML of the next-targets card: one row per check with a PASS / FAIL / N/A badge."""
    if part is None:
        return "<p>Not available.</p>"
    if not part["has_targets"]:
        return f"<p>{escape(part.get('note') or 'Not published yet.')}</p>"
    rows = "".join(
        f'<tr><td style="{td};width:54px">{badge(c["status"])}</td><td style="{td}"><b>{escape(c["title"])}</b>'
        f'<div style="{small}">{escape(c["numbers"])}</div></td></tr>'
        for c in part["checks"]
    )
    return (
        f'<div style="{small};margin-bottom:6px">Targets dated {escape(str(part["target_date"]))} for the '
        f"{escape(str(part['trade_day']))} 00:00 UTC rebalance · {escape(part['stage'])} · limits in "
        f"the desk's MANDATE_LIMITS</div>"
        f'<table style="border-collapse:collapse;width:100%">{rows}</table>'
    )


__all__ = [
    "completion_part",
    "preflight_part",
    "verdict_values",
    "completion_text",
    "preflight_text",
    "completion_html",
    "preflight_html",
]
