"""What a notification says: one message per check run with every new firing, repeat and resolution.

Plain text first (what a Slack/Mattermost webhook shows and every mail client
reads), a small self-contained HTML version for email (inline CSS, no images,
no script), and a JSON payload for webhook receivers that want the fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from lib import format as fmt
from lib.alerting.channels import Message
from lib.alerting.state import ACKED, FIRED, NOTICE, REPEAT, RESOLVED, Event

KIND_LABEL = {NOTICE: "NOTICE", FIRED: "FIRING", REPEAT: "STILL FIRING", ACKED: "ACKNOWLEDGED", RESOLVED: "RESOLVED"}
KIND_COLOR = {NOTICE: "#b42318", FIRED: "#b42318", REPEAT: "#b54708", ACKED: "#475467", RESOLVED: "#067647"}
KIND_RANK = {kind: rank for rank, kind in enumerate(KIND_LABEL)}
SUBJECT_PREFIX = "[Desk Monitor]"


def _since(e: Event) -> str:
    if not e.since:
        return ""
    if e.kind == RESOLVED:
        return f" · had fired since {fmt.utc(e.since)} ({fmt.age((e.at - e.since).total_seconds())})"
    return f" · since {fmt.utc(e.since)}"


def subject(events: Sequence[Event]) -> str:
    kinds = {e.kind for e in events}
    first = events[0].subject
    more = f" (+{len(events) - 1} more)" if len(events) > 1 else ""
    if len(kinds) == 1:
        return f"{SUBJECT_PREFIX} {KIND_LABEL[events[0].kind]}: {first}{more}"
    counts = ", ".join(f"{sum(e.kind == k for e in events)} {KIND_LABEL[k].lower()}" for k in KIND_LABEL if k in kinds)
    return f"{SUBJECT_PREFIX} {counts}: {first}{more}"


def _ordered(events: Sequence[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (KIND_RANK[e.kind], e.severity != "critical", e.id))


def text(events: Sequence[Event], checked_at: datetime, still_firing: int = 0) -> str:
    lines = [f"Desk Monitor alerts · checked {fmt.utc(checked_at)}", ""]
    for e in _ordered(events):
        since = _since(e)
        lines.append(f"{KIND_LABEL[e.kind]} [{e.severity}] {e.subject}{since}")
        if e.detail:
            lines.append(f"    {e.detail}")
    if still_firing:
        lines += ["", f"{fmt.plural(still_firing, 'alert')} firing in total."]
    return "\n".join(lines)


def html(events: Sequence[Event], checked_at: datetime, still_firing: int = 0) -> str:
    rows = []
    for e in _ordered(events):
        color = KIND_COLOR[e.kind]
        since = escape(_since(e).lstrip(" ·"))
        rows.append(
            f'<tr><td style="padding:6px 10px;vertical-align:top;white-space:nowrap">'
            f'<span style="display:inline-block;padding:2px 8px;border-radius:10px;background:{color};color:#fff;'
            f'font-size:12px;font-weight:600">{KIND_LABEL[e.kind]}</span></td>'
            f'<td style="padding:6px 10px;vertical-align:top"><b>{escape(e.subject)}</b> '
            f'<span style="color:#667085;font-size:12px">{escape(e.severity)} {since}</span><br>'
            f'<span style="color:#344054;font-size:13px">{escape(e.detail)}</span></td></tr>'
        )
    total = (
        f'<p style="color:#475467;font-size:13px">{fmt.plural(still_firing, "alert")} firing in total.</p>'
        if still_firing
        else ""
    )
    return (
        '<!doctype html><html><body style="margin:0;padding:16px;font-family:Helvetica,Arial,sans-serif;'
        'color:#101828;background:#ffffff">'
        f'<h2 style="margin:0 0 4px 0;font-size:18px">Desk Monitor alerts</h2>'
        f'<p style="margin:0 0 12px 0;color:#475467;font-size:13px">checked {escape(fmt.utc(checked_at))}</p>'
        f'<table style="border-collapse:collapse">{"".join(rows)}</table>{total}</body></html>'
    )


def compose(events: Sequence[Event], checked_at: datetime, still_firing: int = 0) -> Message:
    payload = {
        "checked_at": checked_at.isoformat().replace("+00:00", "Z"),
        "events": [
            {
                "kind": e.kind,
                "rule": e.id,
                "severity": e.severity,
                "subject": e.subject,
                "detail": e.detail,
                "since": e.since.isoformat().replace("+00:00", "Z") if e.since else None,
            }
            for e in events
        ],
    }
    return Message(
        subject(events), text(events, checked_at, still_firing), html(events, checked_at, still_firing), payload
    )
