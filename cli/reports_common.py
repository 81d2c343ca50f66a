"""What `python -m cli daily` and `weekly` share: the format switch and --send through the email channel."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO

from cli.common import EXIT_OK, EXIT_USAGE, clickhouse_failure
from lib.alerting import channels as notify
from lib.alerting import settings as alert_settings
from lib.alerting.state import AlertState
from lib.clickhouse.errors import QueryFailed
from lib.config import ConfigError
from lib.reports.html import EmailHtml

EXIT_NOT_SENT = 1  # printed, but --send could not deliver it (kept in the outbox for the next alerts run)
FORMATS = ("text", "html", "json")


def add_output_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default), html (the e-mail's page, self-contained: inline CSS, the PNG charts as data URIs, "
        "no JavaScript) or json",
    )
    p.add_argument(
        "--send",
        action="store_true",
        help="also email it through the configured email channel ([alerts] / DESK_ALERT_* settings)",
    )
    p.add_argument("--output", "-o", default=None, help="write to this file instead of stdout")


def produce(
    build: Callable[[alert_settings.AlertSettings], object],
    render: dict[str, Callable[[object], str | EmailHtml]],
    subject: Callable[[object], str],
    args: argparse.Namespace,
    settings: alert_settings.AlertSettings,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """Build the report, print it in --format, and with --send email it (text + HTML with its PNG charts)."""
    out, err = out or sys.stdout, err or sys.stderr
    if args.send and not settings.channels.email:
        print(
            "error: --send needs the email channel: DESK_ALERT_EMAIL_FROM, DESK_ALERT_EMAIL_TO and "
            "DESK_ALERT_SMTP_URL (or DESK_ALERT_RESEND_API_KEY)",
            file=err,
        )
        return EXIT_USAGE
    try:
        report = build(settings)
    except (QueryFailed, ConfigError) as exc:
        return clickhouse_failure(exc, err)
    rendered = render[args.format](report)
    body = rendered.standalone() if isinstance(rendered, EmailHtml) else rendered
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(body)
    else:
        print(body, file=out)
    if not args.send:
        return EXIT_OK
    html, text = render["html"](report), render["text"](report)
    assert isinstance(html, EmailHtml) and isinstance(text, str)
    msg = notify.Message(subject(report), text, html.html, images=html.images)
    chans = notify.channels(settings.channels, webhook=False)
    now = datetime.now(UTC)
    with AlertState(settings.state_path) as state:
        state.enqueue([c.name for c in chans], msg.subject, msg.to_json(), now)
        from cli.alerts import flush

        clean = flush(state, chans, now, err)
    return EXIT_OK if clean else EXIT_NOT_SENT


def json_text(d: dict) -> str:
    return json.dumps(d, ensure_ascii=False, allow_nan=False)
