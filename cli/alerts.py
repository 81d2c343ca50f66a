"""`python -m cli alerts`: evaluate the desk's alert rules, notify, or keep watching.

    python -m cli alerts check [--json] [--notify]
    python -m cli alerts watch [--every 60]
    python -m cli alerts silence PATTERN --for 2h [--reason TEXT]   |   alerts silences   |   alerts unsilence ID

`check` evaluates every rule of lib/alerting/rules.py once against the configured
ClickHouse, through the same queries as the dashboard (answers/alert_inputs.py).
With --json it prints one object:

    {"checked_at", "alerts": [{"rule", "severity", "state", "since", "subject", "detail"}]}

(state: ok / pending / firing / not evaluated). With --notify the SQLite alert state
(DESK_ALERT_STATE or [alerts] state_path) decides what is new: newly firing alerts
(after their pending time), repeats (every repeat_hours) and resolutions are sent
to every configured channel (email over SMTP or Resend, webhook). A channel that is
down is retried, then left in the outbox for the next run.

`watch` runs `check --notify` every --every seconds until stopped (Ctrl-C, SIGTERM).

`silence` mutes the notifications of the alerts matching PATTERN (an alert id such as
`monitor_down:ohlcv`, a rule name such as `sync_failing`, or a glob) for a while; the
check still reports them. `silences` lists the active ones, `unsilence` ends one.

Exit codes: 0 nothing fires; 1 something fires; 2 bad arguments or configuration;
3 ClickHouse failed (also reported as the firing alert "dashboard cannot read ClickHouse").
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import IO

from cli.common import EXIT_CLICKHOUSE, EXIT_OK, EXIT_USAGE, quiet_logs
from lib import config
from lib import format as fmt
from lib.alerting import channels as notify
from lib.alerting import messages as alert_messages
from lib.alerting import rules as alerts
from lib.alerting import settings as alert_settings
from lib.alerting.state import AlertState
from lib.config import ConfigError

HELP = "alert rules: check once (--json, --notify) or watch and notify until stopped"
EXIT_FIRING = 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="evaluate every rule once", description="Evaluate every alert rule once.")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument(
        "--notify",
        action="store_true",
        help="send newly firing / resolved alerts to the configured channels (uses the state file)",
    )
    watch = sub.add_parser(
        "watch",
        help="check --notify in a loop until stopped",
        description="Run `check --notify` every N seconds until stopped.",
    )
    watch.add_argument("--every", type=_seconds, default=60, help="seconds between checks (default 60, min 5)")
    watch.add_argument("--runs", type=int, default=0, help=argparse.SUPPRESS)  # tests: stop after N checks
    mute = sub.add_parser(
        "silence",
        help="mute the notifications of matching alerts for a while",
        description="Mute the notifications of the alerts matching PATTERN for a while.",
    )
    mute.add_argument("pattern", help="alert id (monitor_down:ohlcv), rule (sync_failing) or glob (sync_*)")
    mute.add_argument("--for", dest="duration", type=_duration, required=True, help="how long: 30m, 2h, 1d")
    mute.add_argument("--reason", default="", help="why (shown by `alerts silences`)")
    sub.add_parser("silences", help="list the active silences", description="List the active silences.")
    unmute = sub.add_parser("unsilence", help="end a silence", description="End a silence by its id.")
    unmute.add_argument("sid", type=int, help="the id `alerts silences` shows")


def _seconds(raw: str) -> int:
    try:
        v = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--every must be a whole number of seconds, not {raw[:20]!r}") from None
    if not 5 <= v <= 86400:
        raise argparse.ArgumentTypeError("--every must be between 5 and 86400 seconds")
    return v


def _duration(raw: str) -> timedelta:
    units = {"m": 60, "h": 3600, "d": 86400}
    try:
        n, unit = float(raw[:-1]), units[raw[-1:].lower()]
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(f"--for must look like 30m, 2h or 1d, not {raw[:20]!r}") from None
    if not 0 < n * unit <= 30 * 86400:
        raise argparse.ArgumentTypeError("--for must be more than 0 and at most 30 days")
    return timedelta(seconds=n * unit)


def load_settings(err: IO[str]) -> alert_settings.AlertSettings | None:
    try:
        return alert_settings.load(os.environ, alert_settings.read_secrets())
    except ConfigError as exc:
        print(f"error: alert configuration: {exc}", file=err)
        return None


def run(args: argparse.Namespace) -> int:
    quiet_logs()
    settings = load_settings(sys.stderr)
    if settings is None:
        return EXIT_USAGE
    if args.action == "check":
        return check(settings, as_json=args.json, notify_=args.notify)
    if args.action == "watch":
        return watch(settings, args.every, args.runs)
    return silences(settings, args)


def silences(settings: alert_settings.AlertSettings, args: argparse.Namespace) -> int:
    """silence / silences / unsilence: the state file's silences."""
    now = datetime.now(UTC)
    with AlertState(settings.state_path) as state:
        if args.action == "silence":
            if not any(fnmatch.fnmatchcase(s.name, args.pattern.split(":", 1)[0]) for s in alerts.RULES):
                print(
                    f"error: {args.pattern!r} matches no rule; rules: {', '.join(s.name for s in alerts.RULES)}",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            sid = state.silence(args.pattern, now + args.duration, args.reason, now)
            print(
                f"silence {sid}: {args.pattern} muted until {fmt.utc(now + args.duration)}"
                + (f" ({args.reason})" if args.reason else "")
            )
        elif args.action == "silences":
            active = state.silences(now)
            for s in active:
                print(f"{s.sid:>4}  {s.pattern:<40} until {fmt.utc(s.until)}  {s.reason}")
            if not active:
                print("no active silence")
        elif not state.unsilence(args.sid):
            print(f"error: no silence {args.sid}", file=sys.stderr)
            return EXIT_USAGE
        else:
            print(f"silence {args.sid} ended")
    return EXIT_OK


# ------------------------------------------------------------------ sending


def flush(
    state: AlertState,
    chans: list[notify.Channel],
    now: datetime,
    err: IO[str],
    retries: int = config.ALERT_SEND_RETRIES,
    backoff_s: float = 0.5,
) -> bool:
    """Deliver every undelivered outbox message of each channel; True when nothing is left."""
    for gone in state.drop_expired(now):
        print(
            f"notify: dropped an undelivered {gone.channel} message from {fmt.utc(gone.created)} "
            f"({gone.subject!r}) after {config.ALERT_OUTBOX_MAX_AGE_H} h: {gone.last_error}",
            file=err,
        )
    clean = True
    for ch in chans:
        for item in state.undelivered(ch.name):
            error = notify.deliver(ch, notify.Message.from_json(item.message), retries, backoff_s)
            state.mark(item.nid, now, error, 1 if error is None else retries)
            if error is None:
                print(f"notify: sent {item.subject!r} to {ch.label}", file=err)
            else:
                clean = False
                print(
                    f"notify: FAILED {item.subject!r} to {ch.label} after {retries} attempts: {error}; "
                    "kept for the next run",
                    file=err,
                )
    return clean


def notify_results(
    settings: alert_settings.AlertSettings,
    results: list[alerts.RuleResult],
    now: datetime,
    err: IO[str],
    backoff_s: float = 0.5,
) -> dict[str, datetime]:
    """Update the state, queue the new events for every channel, deliver; returns first-seen times."""
    chans = notify.channels(settings.channels)
    with AlertState(settings.state_path) as state:
        events = state.update(results, now, settings.thresholds["repeat_hours"] * 3600)
        seen = state.first_seen()
        if events:
            still = sum(1 for r in state.active() if r["state"] == alerts.STATE_FIRING)
            msg = alert_messages.compose(events, now, still)
            state.enqueue([c.name for c in chans], msg.subject, msg.to_json(), now)
            print(f"notify: {len(events)} new event(s): " + ", ".join(f"{e.kind} {e.id}" for e in events), file=err)
        else:
            print("notify: nothing new to send", file=err)
        flush(state, chans, now, err, backoff_s=backoff_s)
    return seen


# ------------------------------------------------------------------ output


def text_report(
    results: list[alerts.RuleResult], now: datetime, seen: dict[str, datetime], muted_by: list | None = None
) -> str:
    muted_by = muted_by or []
    lines = [f"Desk Monitor alerts · checked {fmt.utc(now)}"]
    counts: dict[str, int] = {}
    for r in results:
        state = alerts.state_of(r, now, seen.get(r.id))
        counts[state] = counts.get(state, 0) + 1
        if state == alerts.STATE_OK:
            continue
        since = r.since or seen.get(r.id)
        when = f" (since {fmt.utc(since)})" if since and state != alerts.STATE_NOT_EVALUATED else ""
        muted = next((x for x in muted_by if x.matches(r.id)), None) if state == alerts.STATE_FIRING else None
        mute = f" [silenced until {fmt.utc(muted.until)}]" if muted else ""
        lines.append(f"{state.upper():<14} {r.severity:<8} {r.subject}{when}{mute}")
        if r.detail:
            lines.append(f"{'':<24}{r.detail}")
    lines.append(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return "\n".join(lines)


def check(
    settings: alert_settings.AlertSettings,
    as_json: bool = False,
    notify_: bool = False,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    backoff_s: float = 0.5,
) -> int:
    from answers.alert_inputs import checked_at, gather

    out, err = out or sys.stdout, err or sys.stderr
    if notify_ and not settings.channels.any:
        print(
            "error: --notify needs a channel: set DESK_ALERT_SMTP_URL + DESK_ALERT_EMAIL_FROM + "
            "DESK_ALERT_EMAIL_TO, or DESK_ALERT_WEBHOOK_URL (or [alerts] in .streamlit/secrets.toml)",
            file=err,
        )
        return EXIT_USAGE
    inputs = gather()
    now = checked_at(inputs)
    results = alerts.evaluate(inputs, settings.thresholds)
    seen: dict[str, datetime] = {}
    muted: list = []
    if notify_:
        seen = notify_results(settings, results, now, err, backoff_s)
    if settings.state_path.exists():
        with AlertState(settings.state_path) as state:
            muted = state.silences(now)
    if as_json:
        print(json.dumps(alerts.to_json(results, now, seen), ensure_ascii=False), file=out)
    else:
        print(text_report(results, now, seen, muted), file=out)
    if inputs.clickhouse_error:
        print(f"error: {inputs.clickhouse_error}", file=err)
        return EXIT_CLICKHOUSE
    return EXIT_FIRING if alerts.firing(results, now, seen) else EXIT_OK


def watch(settings: alert_settings.AlertSettings, every: int, runs: int = 0) -> int:
    """`check --notify` every `every` seconds; SIGTERM/Ctrl-C stop it cleanly between checks."""
    import streamlit as st

    if not settings.channels.any:
        return check(settings, notify_=True)  # prints the configuration error, exit 2
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    n = 0
    try:
        while not stop["now"]:
            st.cache_data.clear()  # every pass reads ClickHouse afresh
            code = check(settings, notify_=True, out=sys.stderr)
            print(f"watch: check exited {code}; next in {every} s", file=sys.stderr, flush=True)
            n += 1
            if runs and n >= runs:
                break
            deadline = time.monotonic() + every
            while not stop["now"] and time.monotonic() < deadline:
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    except KeyboardInterrupt:
        pass
    return EXIT_OK
