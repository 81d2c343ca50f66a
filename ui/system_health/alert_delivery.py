"""System Health's Alert delivery section: would an alert reach anyone, and when did one last?

Read-only. The alert state file is opened with SQLite's `mode=ro` (lib/alerting/store/status.py):
the dashboard never creates, writes, repairs or locks it, so what the `alerts` runs decide
(what was sent, what is silenced or acknowledged) is shown as they left it. The channels are
the same settings as `python -m cli alerts` ([alerts] in secrets, DESK_ALERT_* in the environment),
shown with their credentials redacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
import streamlit as st

from lib import config
from lib import format as fmt
from lib.alerting import settings as alert_settings
from lib.alerting.store import status as state_status
from lib.alerting.store.outbox import DELIVERED, EXPIRED, QUEUED, UNCONFIRMED
from ui import state

OUTCOME = {
    DELIVERED: "delivered",
    QUEUED: "waiting to be sent",
    UNCONFIRMED: "sent, never answered",
    EXPIRED: "never delivered (dropped)",
}
OUTCOME_COLORS = {
    "delivered": "#2e9d5b",
    "waiting to be sent": "#e0a526",
    "sent, never answered": "#e0a526",
    "never delivered (dropped)": "#d1343b",
}
CHANNEL_NAMES = {"email": "Email", "webhook": "Webhook"}


@dataclass(frozen=True)
class Delivery:
    """What the section draws."""

    channels: pl.DataFrame  # channel, where, last notification, alerts, outcome, error
    recent: pl.DataFrame  # the latest notifications, newest first
    silences: pl.DataFrame
    acks: pl.DataFrame
    no_channel: bool
    failing: tuple[str, ...]  # one sentence per failing channel
    watcher_note: str | None  # the state file is missing, unreadable or stale


def _where(ch: alert_settings.Channels) -> dict[str, str]:
    """Channel id -> where it goes (credentials, tokens and paths redacted)."""
    out = {}
    for line in alert_settings.describe(ch):
        out["webhook" if line.startswith("webhook") else "email"] = line
    return out


def _reason(error: str | None) -> str:
    """A delivery error without the channel's own label in front (the table says which channel)."""
    if not error:
        return ""
    head, sep, tail = error.partition(": ")
    return tail if sep and head.startswith(("email ", "webhook ")) else error


def _alerts(ids: tuple[str, ...]) -> str:
    return ", ".join(ids[:4]) + (f" (+{len(ids) - 4})" if len(ids) > 4 else "") if ids else fmt.MISSING


def view(settings: alert_settings.AlertSettings, now: datetime) -> Delivery:
    """The state file's deliveries, silences and acknowledgements beside the configured channels."""
    status = state_status.read(settings.state_path, now)
    where = _where(settings.channels)
    rows = []
    for name in sorted(set(where) | set(status.newest_by_channel)):
        last = status.newest_by_channel.get(name)
        rows.append(
            {
                "channel": CHANNEL_NAMES.get(name, name),
                "where": where.get(name, "not configured any more"),
                "last notification": last.tried or last.created if last else None,
                "outcome": OUTCOME.get(last.status, last.status) if last else "nothing sent yet",
                "alerts": _alerts(last.alerts) if last else fmt.MISSING,
                "error": _reason(last.error) if last else "",
            }
        )
    channels = pl.DataFrame(
        rows,
        schema={
            "channel": pl.String,
            "where": pl.String,
            "last notification": pl.Datetime("ms", "UTC"),
            "outcome": pl.String,
            "alerts": pl.String,
            "error": pl.String,
        },
    )
    recent = pl.DataFrame(
        [
            {
                "queued": n.created,
                "channel": CHANNEL_NAMES.get(n.channel, n.channel),
                "subject": n.subject,
                "alerts": _alerts(n.alerts),
                "outcome": OUTCOME.get(n.status, n.status),
                "tries": n.attempts,
                "error": _reason(n.error),
            }
            for n in status.recent
        ],
        schema={
            "queued": pl.Datetime("ms", "UTC"),
            "channel": pl.String,
            "subject": pl.String,
            "alerts": pl.String,
            "outcome": pl.String,
            "tries": pl.Int64,
            "error": pl.String,
        },
    )
    silences = pl.DataFrame(
        [{"id": s.sid, "pattern": s.pattern, "until": s.until, "reason": s.reason} for s in status.silences],
        schema={"id": pl.Int64, "pattern": pl.String, "until": pl.Datetime("ms", "UTC"), "reason": pl.String},
    )
    acks = pl.DataFrame(
        [{"alert": a.id, "by": a.by, "at": a.at, "comment": a.comment} for a in status.acks],
        schema={"alert": pl.String, "by": pl.String, "at": pl.Datetime("ms", "UTC"), "comment": pl.String},
    )
    failing = tuple(
        f"{where.get(n.channel, CHANNEL_NAMES.get(n.channel, n.channel) + ' (not configured any more)')}: "
        f"{OUTCOME.get(n.status, n.status)} since {fmt.utc(n.created)}, {fmt.plural(n.attempts, 'try', 'tries')}, "
        f"the last {fmt.utc(n.tried)}: {_reason(n.error) or 'no answer'}"
        for n in status.failing
    )
    note = status.problem
    if note is None and status.last_check is not None:
        age = (now - status.last_check).total_seconds()
        if age > config.ALERT_WATCHER_STALE_MIN * 60:
            note = (
                f"the alert runs last checked {fmt.utc(status.last_check)} ({fmt.age(age)} ago): "
                "is alerts watch (or the cron job) still running?"
            )
    return Delivery(channels, recent, silences, acks, not settings.channels.any, failing, note)


def acknowledged(d: Delivery | None) -> dict[str, str]:
    """Alert id -> who acknowledged it and when, for the Alerts table."""
    if d is None:
        return {}
    return {r["alert"]: f"{r['by']} · {fmt.utc(r['at'])}" for r in d.acks.iter_rows(named=True)}


def section(d: Delivery | None, config_error: str | None) -> None:
    """Alert delivery: the banners first (nobody notified, deliveries failing), then the tables."""
    st.markdown("##### Alert delivery")
    if d is None:
        st.warning(
            f"Alert configuration refused ({fmt.md_text(config_error)}): no alert can be sent until it is fixed.",
            icon=":material/notifications_off:",
        )
        return
    if d.no_channel:
        st.warning(
            "**No alert channel is configured: nobody will be notified.** Set an email (DESK_ALERT_SMTP_URL, "
            "DESK_ALERT_EMAIL_FROM, DESK_ALERT_EMAIL_TO) or a webhook (DESK_ALERT_WEBHOOK_URL), or `[alerts]` in "
            "secrets.toml, and run `python -m cli alerts watch`.",
            icon=":material/notifications_off:",
        )
    for line in d.failing:
        st.error(f"**Deliveries are failing.** {fmt.md_text(line)}", icon=":material/sms_failed:")
    if d.watcher_note:
        st.info(fmt.md_text(d.watcher_note[0].upper() + d.watcher_note[1:]), icon=":material/schedule:")
    st.caption(
        "Read from the alert state file without writing to it (times UTC); sending, repeats, silences and "
        "acknowledgements are the `python -m cli alerts` commands'."
    )
    outcome = st.column_config.TextColumn("outcome")
    when = st.column_config.DatetimeColumn("last notification (UTC)", format="YYYY-MM-DD HH:mm:ss")
    if d.channels.height:
        st.dataframe(
            d.channels,
            hide_index=True,
            column_config={"last notification": when, "outcome": outcome},
            placeholder=fmt.MISSING,
        )
    fold = (
        state.lazy_expander(f"Latest {d.recent.height} notifications", "sh_notifications") if d.recent.height else None
    )
    if fold and fold.open:
        with fold:
            st.dataframe(
                d.recent,
                hide_index=True,
                column_config={
                    "queued": st.column_config.DatetimeColumn("queued (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                    "subject": st.column_config.TextColumn("subject", width="large"),
                },
            )
    st.markdown(f"**Active silences** ({d.silences.height})")
    if d.silences.height:
        until = st.column_config.DatetimeColumn("until (UTC)", format="YYYY-MM-DD HH:mm")
        st.dataframe(d.silences, hide_index=True, column_config={"until": until})
    else:
        st.caption("None: every alert is sent.")
    st.markdown(f"**Acknowledged alerts** ({d.acks.height})")
    if d.acks.height:
        at = st.column_config.DatetimeColumn("at (UTC)", format="YYYY-MM-DD HH:mm")
        st.dataframe(d.acks, hide_index=True, column_config={"at": at})
    else:
        st.caption("None: a firing alert repeats until it resolves or someone runs `alerts ack`.")
    st.divider()  # the health panels follow
