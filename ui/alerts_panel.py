"""The Alerts panel of System Health and the firing count on Overview's health badge.

Every rule of lib/alerting/rules.py is evaluated live as the page runs, through the
same cached queries as the pages (answers/alert_inputs.py). The dashboard
writes no alert state: "since" is what the data says (a monitor's last beat,
the newest row, the deadline that passed), or "—" when only the alert watcher's
state file could tell; who acknowledged an alert, and what was sent, are read from
that file read-only (ui/system_health/alert_delivery.py). Thresholds and channels
come from `[alerts]` in secrets and the environment, as for `python -m cli alerts`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import polars as pl
import streamlit as st

from answers import alert_inputs as alerts_inputs
from lib import format as fmt
from lib.alerting import rules as alerts
from lib.alerting import settings as alert_settings
from lib.config import ConfigError
from ui import state, tables
from ui.system_health import alert_delivery

STATE_COLORS = {"firing": "#d1343b", "pending": "#e0a526", "not evaluated": "#a3b1bf", "ok": "#2e9d5b"}
STATE_ORDER = {"firing": 0, "pending": 1, "not evaluated": 2, "ok": 3}


def _settings() -> tuple[alert_settings.AlertSettings | None, str | None]:
    """The alert settings, or None and why they were refused."""
    try:
        try:
            secrets = dict(st.secrets.get("alerts", {}))
        except (FileNotFoundError, KeyError):
            secrets = {}
        return alert_settings.load(os.environ, secrets), None
    except ConfigError as err:
        return None, str(err)


def _thresholds() -> tuple[dict[str, float], str | None]:
    settings, error = _settings()
    if settings is None:
        return alerts.thresholds(), f"Alert configuration refused ({error}); using the default thresholds."
    return dict(settings.thresholds), None


def evaluate() -> tuple[pl.DataFrame, str | None, str | None]:
    """(one row per rule result, the ClickHouse error if any, a configuration warning if any)."""
    t, warning = _thresholds()
    inputs = alerts_inputs.gather()
    now = alerts_inputs.checked_at(inputs)
    results = alerts.evaluate(inputs, t)
    rows = []
    for r in results:
        state = alerts.state_of(r, now)
        since = r.since if r.status == alerts.FIRING else None
        rows.append(
            {
                "state": state,
                "severity": r.severity,
                "group": r.group,
                "rule": r.id,
                "subject": r.subject,
                "since": since,
                "for": fmt.age((now - since).total_seconds()) if since else fmt.MISSING,
                "detail": r.detail,
            }
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "state": pl.String,
            "severity": pl.String,
            "group": pl.String,
            "rule": pl.String,
            "subject": pl.String,
            "since": pl.Datetime("ms", "UTC"),
            "for": pl.String,
            "detail": pl.String,
        },
    )
    frame = (
        frame.with_columns(pl.col("state").replace_strict(STATE_ORDER, default=9).alias("_o"))
        .sort("_o", pl.col("severity") != alerts.CRITICAL, "rule")
        .drop("_o")
    )
    return frame, inputs.clickhouse_error, warning


def firing_subjects() -> list[str] | None:
    """The subjects of the alerts that fire now, critical first (None when ClickHouse cannot be read: the page
    says so elsewhere)."""
    frame, error, _ = evaluate()
    if error:
        return None
    return frame.filter(pl.col("state") == alerts.STATE_FIRING)["subject"].to_list()


def badge_text(firing: list[str] | None) -> str:
    """The badge's alert count, from firing_subjects (nothing when ClickHouse cannot be read)."""
    if firing is None:
        return ""
    return f" · {fmt.plural(len(firing), 'alert')} firing" if firing else " · no alert firing"


FIRING_NAMED = 3  # Overview names this many firing alerts under its badge


def firing_line(subjects: list[str]) -> str:
    """What fires, in the alerts' own words, under Overview's badge: a count alone sent a PM to System Health to
    learn that the red badge was a 90-day drawdown the page's 30-day range does not show. Markdown-escaped."""
    named = "; ".join(fmt.md_text(s) for s in subjects[:FIRING_NAMED])
    more = len(subjects) - FIRING_NAMED
    return f"Firing: {named}" + (f"; and {more} more on System Health" if more > 0 else "")


# The columns that fit 820 px; an alert's detail is whole under the table, the group in Show/hide columns.
ACTIVE_SHOWN = ("state", "severity", "rule", "subject", "since", "for", "acknowledged")
OK_SHOWN = ("state", "severity", "group", "rule", "subject")


def panel() -> None:
    """Alerts: what fires now, since when and who took it; the rules that are OK; then Alert delivery."""
    st.subheader("Alerts")
    frame, error, warning = evaluate()
    settings, config_error = _settings()
    delivery = alert_delivery.view(settings, datetime.now(UTC)) if settings is not None else None
    if warning:
        st.warning(fmt.md_text(warning), icon=":material/tune:")
    counts = {s: frame.filter(pl.col("state") == s).height for s in STATE_ORDER}
    line = " · ".join(f"{counts[s]} {s}" for s in STATE_ORDER if counts[s])
    st.caption(
        f"{line} — every rule of `python -m cli alerts check`, evaluated now (times UTC). "
        "Sending, repeats and resolutions are the alert watcher's (`alerts watch`); this page writes nothing."
    )
    if error:
        st.error(f"**Dashboard cannot read ClickHouse.** {fmt.md_text(error)}", icon=":material/cloud_off:")
    config = {
        "severity": st.column_config.TextColumn("Severity"),
        "group": st.column_config.TextColumn("Group"),
        "rule": st.column_config.TextColumn("Rule"),
        "state": tables.label_column("State", STATE_COLORS),
        "since": st.column_config.DatetimeColumn(
            "Since (UTC)", format="YYYY-MM-DD HH:mm", help="When the data says the condition began"
        ),
        "for": st.column_config.TextColumn("For"),
        "subject": st.column_config.TextColumn("Subject", width=150),
        "detail": st.column_config.TextColumn("Detail", width="large"),
    }
    taken = alert_delivery.acknowledged(delivery)
    active = (
        frame.filter(pl.col("state") != alerts.STATE_OK)
        .with_columns(pl.col("rule").replace_strict(taken, default=None, return_dtype=pl.String).alias("acknowledged"))
        .with_columns(tables.as_label("state"))
        .select("state", "severity", "group", "rule", "subject", "acknowledged", "since", "for", "detail")
    )
    config["acknowledged"] = st.column_config.TextColumn(
        "Acknowledged", help="Who took it (`alerts ack`): no repeat until it resolves"
    )
    if active.height:
        tables.show(active, config, ACTIVE_SHOWN)
        tables.text_details(active, "Details", ("rule", "subject"), "detail", key="sh_alert_details")
    else:
        st.success("No alert fires.", icon=":material/check_circle:")
    ok = frame.filter(pl.col("state") == alerts.STATE_OK).with_columns(tables.as_label("state"))
    fold = state.lazy_expander(f"{ok.height} checks OK", "sh_checks_ok")
    if fold.open:
        with fold:
            tables.show(ok.drop("since", "for"), config, OK_SHOWN, note=False)
            tables.text_details(ok, "Details", ("rule", "subject"), "detail")
    alert_delivery.section(delivery, config_error)
