"""`python -m cli alerts`: evaluate the desk's alert rules, notify, or keep watching.

    python -m cli alerts check [--json] [--notify]
    python -m cli alerts watch [--every 60]
    python -m cli alerts silence PATTERN --for 2h [--reason TEXT] [--all]  |  alerts silences  |  alerts unsilence ID
    python -m cli alerts ack PATTERN --by NAME [--comment TEXT] [--all]

`check` evaluates every rule of lib/alerting/rules.py once against the configured
ClickHouse, through the same queries as the dashboard (answers/alert_inputs.py).
With --json it prints one object:

    {"checked_at", "alerts": [{"rule", "severity", "state", "since", "subject", "detail", "ack"}]}

(state: ok / pending / firing / not evaluated; ack: {"by", "at", "comment"} or null). With
--notify the SQLite alert state (DESK_ALERT_STATE or [alerts] state_path) decides what is new:
newly firing alerts (after their pending time), repeats (every repeat_hours, none once
acknowledged) and resolutions are sent to every configured channel (email over SMTP or
Resend, webhook). One run at a time holds the state file (a lock beside it); what is new and
its message are written in one transaction; a channel that is down keeps its messages for
the next run, and a message sent without an answer is tried once more, on the next run,
with the same idempotency key.

When ClickHouse cannot be read at all (not even the account list), the rules still run:
"dashboard cannot read ClickHouse" fires and is sent like any other alert.

`watch` runs `check --notify` every --every seconds until stopped (Ctrl-C, SIGTERM); an outage,
an unusable state file or a failing channel is reported and the next pass runs as planned.

`silence` mutes the notifications of the alerts matching PATTERN (an alert id such as
`monitor_down:ohlcv`, a rule name such as `sync_failing`, or a glob) for a while; the
check still reports them. `silences` lists the active ones, `unsilence` ends one. `ack`
acknowledges the firing alerts matching PATTERN: no repeat until each resolves; if it
fires again after that, it is sent as new. A pattern that matches every rule (`*`) needs --all.
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import hashlib
import json
import os
import signal
import sys
import threading
import traceback
from datetime import UTC, datetime
from typing import IO

from cli import UnknownAccount, account_scope
from cli.common import EXIT_CLICKHOUSE, EXIT_OK, EXIT_USAGE, input_type, quiet_logs
from lib import config
from lib import format as fmt
from lib.alerting import channels as notify
from lib.alerting import messages as alert_messages
from lib.alerting import rules as alerts
from lib.alerting import settings as alert_settings
from lib.alerting.state import NOTICE, PIPELINE_RULE, AlertState, Event, StateBusy, StateUnusable, matches_every_rule
from lib.alerting.store import status as state_status
from lib.alerting.store.outbox import DELIVERED, UNCONFIRMED
from lib.clickhouse.errors import QueryFailed
from lib.config import ConfigError
from lib.inputs import parse_alert_pattern, parse_duration, parse_note

HELP = "alert rules: check once (--json, --notify), watch and notify until stopped, silence, acknowledge"
OWN_SCOPE = True  # check and watch read the account list themselves: an outage is an alert, not an early exit
EXIT_FIRING = 1
EXIT_STATE = 4
EXIT_BUSY = 5
EXIT_CODES = f"""exit codes:
  {EXIT_OK}  nothing fires
  {EXIT_FIRING}  something fires
  {EXIT_USAGE}  bad arguments or configuration (--notify without a channel, an unknown --account)
  {EXIT_CLICKHOUSE}  ClickHouse could not be read (itself the firing alert "dashboard cannot read ClickHouse",
     sent with --notify)
  {EXIT_STATE}  the alert state file is unusable: read-only or unreadable (nothing recorded; where a channel
     is configured, an alert says so), or corrupt/truncated (moved aside, a fresh one started, a note sent)
  {EXIT_BUSY}  another alerts run held the state file for more than {config.ALERT_LOCK_WAIT_S} s
The first that applies, in the order {EXIT_USAGE}, {EXIT_BUSY}, {EXIT_STATE}, {EXIT_CLICKHOUSE}, {EXIT_FIRING}. `watch` exits {EXIT_OK} when stopped."""
NOTE_BY_MAX, NOTE_COMMENT_MAX, REASON_MAX = 60, 500, 500


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = EXIT_CODES
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_: str, description: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_,
            description=description,
            epilog=EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    check = action("check", "evaluate every rule once", "Evaluate every alert rule once.")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument(
        "--notify",
        action="store_true",
        help="send newly firing / resolved alerts to the configured channels (uses the state file)",
    )
    watch = action("watch", "check --notify in a loop until stopped", "Run `check --notify` every N seconds.")
    watch.add_argument("--every", type=_seconds, default=60, help="seconds between checks (default 60, min 5)")
    watch.add_argument("--runs", type=int, default=0, help=argparse.SUPPRESS)  # tests: stop after N checks
    mute = action(
        "silence",
        "mute the notifications of matching alerts for a while",
        "Mute the notifications of the alerts matching PATTERN for a while.",
    )
    mute.add_argument(
        "pattern",
        type=input_type(parse_alert_pattern),
        help="alert id (monitor_down:ohlcv), rule (sync_failing) or glob (sync_*)",
    )
    mute.add_argument(
        "--for",
        dest="duration",
        type=input_type(lambda raw: parse_duration(raw, "--for")),
        required=True,
        help=f"how long: a whole number with m, h or d (30m, 2h, 1d), at most {config.ALERT_SILENCE_MAX_DAYS}d",
    )
    mute.add_argument(
        "--reason",
        default="",
        type=input_type(lambda raw: parse_note(raw, "--reason", REASON_MAX)),
        help="why (shown by `alerts silences` and System Health)",
    )
    mute.add_argument("--all", action="store_true", help="required for a pattern that mutes every rule (`*`)")
    action("silences", "list the active silences", "List the active silences.")
    unmute = action("unsilence", "end a silence", "End a silence by its id.")
    unmute.add_argument("sid", type=int, help="the id `alerts silences` shows")
    ack = action(
        "ack",
        "acknowledge firing alerts: no repeat until they resolve",
        "Acknowledge the firing alerts matching PATTERN: no repeat until each resolves; if it fires again "
        "after that, it is sent as new. The channels are told who took it.",
    )
    ack.add_argument("pattern", type=input_type(parse_alert_pattern), help="alert id, rule name or glob")
    ack.add_argument(
        "--by",
        required=True,
        type=input_type(lambda raw: parse_note(raw, "--by", NOTE_BY_MAX, required=True)),
        help="who takes it (a name or an email address)",
    )
    ack.add_argument(
        "--comment",
        default="",
        type=input_type(lambda raw: parse_note(raw, "--comment", NOTE_COMMENT_MAX)),
        help="what is being done",
    )
    ack.add_argument("--all", action="store_true", help="required for a pattern that matches every rule (`*`)")


def _seconds(raw: str) -> int:
    try:
        v = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--every must be a whole number of seconds, not {raw[:20]!r}") from None
    if not 5 <= v <= 86400:
        raise argparse.ArgumentTypeError("--every must be between 5 and 86400 seconds")
    return v


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
        return check(settings, args.account, as_json=args.json, notify_=args.notify)
    if args.action == "watch":
        return watch(settings, args.account, args.every, args.runs)
    return manage(settings, args)


def _state_failure(exc: StateUnusable, err: IO[str]) -> int:
    print(f"error: {exc}", file=err)
    return EXIT_BUSY if isinstance(exc, StateBusy) else EXIT_STATE


def manage(settings: alert_settings.AlertSettings, args: argparse.Namespace, err: IO[str] | None = None) -> int:
    """silence / silences / unsilence / ack: the state file's silences and acknowledgements."""
    err = err or sys.stderr
    now = datetime.now(UTC)
    pattern = getattr(args, "pattern", "")
    if pattern and not args.all and matches_every_rule(pattern):
        print(f"error: {pattern!r} matches every rule; add --all to {args.action} them all", file=err)
        return EXIT_USAGE
    if pattern and not any(fnmatch.fnmatchcase(s.name, pattern.split(":", 1)[0]) for s in alerts.RULES):
        print(f"error: {pattern!r} matches no rule; rules: {', '.join(s.name for s in alerts.RULES)}", file=err)
        return EXIT_USAGE
    try:
        with AlertState(settings.state_path) as state:
            if state.note:
                print(f"note: {state.note}", file=err)
            if args.action == "silence":
                sid = state.silence(pattern, now + args.duration, args.reason, now)
                print(
                    f"silence {sid}: {pattern} muted until {fmt.utc(now + args.duration)}"
                    + (f" ({args.reason})" if args.reason else "")
                )
            elif args.action == "silences":
                active = state.silences(now)
                for s in active:
                    print(f"{s.sid:>4}  {s.pattern:<40} until {fmt.utc(s.until)}  {s.reason}")
                if not active:
                    print("no active silence")
            elif args.action == "ack":
                code = acknowledge(state, settings, pattern, args.by, args.comment, now, err)
                return EXIT_STATE if state.note and code == EXIT_OK else code
            elif not state.unsilence(args.sid):
                print(f"error: no silence {args.sid}", file=err)
                return EXIT_USAGE
            else:
                print(f"silence {args.sid} ended")
            reset = state.note
    except StateUnusable as exc:
        return _state_failure(exc, err)
    return EXIT_STATE if reset else EXIT_OK


def acknowledge(
    state: AlertState,
    settings: alert_settings.AlertSettings,
    pattern: str,
    by: str,
    comment: str,
    now: datetime,
    err: IO[str],
) -> int:
    """`alerts ack`: record who took the matching firing alerts, tell the channels, deliver now."""
    chans = notify.channels(settings.channels)
    with state.transaction():
        events = state.acknowledge(pattern, by, comment, now)
        if events:
            still = sum(1 for r in state.active() if r["state"] == alerts.STATE_FIRING)
            msg = alert_messages.compose(events, now, still)
            state.enqueue([c.name for c in chans], msg.subject, msg.to_json(), now)
    if not events:
        firing = [r["id"] for r in state.active() if r["state"] == alerts.STATE_FIRING and r["notified"]]
        print(
            f"error: no firing alert matches {pattern!r} (firing: {', '.join(firing) or 'none'})",
            file=err,
        )
        return EXIT_USAGE
    for e in events:
        print(f"acknowledged {e.id} by {by}: no repeat until it resolves")
    flush(state, chans, now, err)
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
    """Deliver the outbox messages this run claims, per channel; True when none is left failing."""
    for gone in state.drop_expired(now):
        print(
            f"notify: dropped an undelivered {gone.channel} message from {fmt.utc(gone.created)} "
            f"({gone.subject!r}) after {config.ALERT_OUTBOX_MAX_AGE_H} h: {gone.last_error}",
            file=err,
        )
    clean = True
    for ch in chans:
        for item in state.claim(ch.name, now):
            once = item.unconfirmed > 0  # sent before without an answer: this is its one more try
            outcome = notify.deliver(
                ch, notify.Message.from_json(item.message, item.key), 1 if once else retries, backoff_s
            )
            status = state.settle(item, now, outcome.delivered, outcome.error, outcome.attempts, outcome.unanswered)
            if status == DELIVERED:
                again = " (again: the earlier try got no answer)" if once else ""
                print(f"notify: sent {item.subject!r} to {ch.label}{again}", file=err)
                if outcome.note:
                    print(f"notify: note: {outcome.note}", file=err)
                continue
            clean = False
            if status == UNCONFIRMED:
                print(
                    f"notify: {item.subject!r} to {ch.label} sent twice without an answer ({outcome.error}); "
                    f"not sent again (key {item.key})",
                    file=err,
                )
            elif outcome.unanswered:
                print(
                    f"notify: {item.subject!r} to {ch.label}: {outcome.error}; the receiver may have it: "
                    f"tried once more on the next run, with the same key {item.key}",
                    file=err,
                )
            else:
                print(
                    f"notify: FAILED {item.subject!r} to {ch.label} after {outcome.attempts} attempts: "
                    f"{outcome.error}; kept for the next run",
                    file=err,
                )
    return clean


@dataclasses.dataclass
class Notified:
    """What a --notify run read back from the state: first-seen times, acknowledgements, silences, a note."""

    seen: dict[str, datetime]
    acks: dict[str, dict[str, str]]
    silences: list
    note: str | None = None


def notify_results(
    settings: alert_settings.AlertSettings,
    results: list[alerts.RuleResult],
    now: datetime,
    err: IO[str],
    backoff_s: float = 0.5,
) -> Notified:
    """Under the state file's lock: decide what is new and queue its message (one transaction), prune, deliver."""
    chans = notify.channels(settings.channels)
    with AlertState(settings.state_path) as state:
        if state.note:
            print(f"note: {state.note}", file=err)
        events = state.record(
            results,
            now,
            settings.thresholds["repeat_hours"] * 3600,
            [c.name for c in chans],
            lambda evs, still: alert_messages.compose(evs, now, still),
        )
        if events:
            print(
                f"notify: {fmt.plural(len(events), 'new event')}: " + ", ".join(f"{e.kind} {e.id}" for e in events),
                file=err,
            )
        else:
            print("notify: nothing new to send", file=err)
        pruned = state.prune(now, settings.keep_days)
        if any(pruned.values()):
            print(
                f"notify: pruned {pruned['messages']} settled message(s), {pruned['history']} history event(s) and "
                f"{pruned['silences']} ended silence(s) older than {settings.keep_days} days",
                file=err,
            )
        flush(state, chans, now, err, backoff_s=backoff_s)
        return Notified(
            state.first_seen(), {k: a.to_json() for k, a in state.acks().items()}, state.silences(now), state.note
        )


def state_alert(
    settings: alert_settings.AlertSettings,
    problem: StateUnusable,
    results: list[alerts.RuleResult],
    now: datetime,
    err: IO[str],
    sent: set[str] | None = None,
    backoff_s: float = 0.5,
) -> None:
    """Tell every channel that the state file is unusable, with what fires now (nothing can be recorded, so
    nothing would be sent otherwise). Its key is stable for a repeat period, so receivers drop repeats;
    `sent` (the watcher's memory) sends it once per period."""
    chans = notify.channels(settings.channels)
    repeat_s = max(settings.thresholds["repeat_hours"] * 3600, 60)
    digest = hashlib.sha256(f"{problem.path}|{problem.problem}".encode()).hexdigest()[:16]
    key = f"desk-monitor-state-{digest}-{int(now.timestamp() // repeat_s)}"
    if not chans or (sent is not None and key in sent):
        return
    firing = alerts.firing(results, now)
    events = [
        Event(NOTICE, PIPELINE_RULE, PIPELINE_RULE, alerts.CRITICAL, "Alert state unusable", str(problem), None, now),
        *(Event("firing", r.id, r.rule, r.severity, r.subject, r.detail, r.since, now) for r in firing),
    ]
    msg = dataclasses.replace(alert_messages.compose(events, now, len(firing)), key=key)
    for ch in chans:
        outcome = notify.deliver(ch, msg, backoff_s=backoff_s)
        word = "sent" if outcome.delivered else f"FAILED ({outcome.error})"
        print(f"notify: state alert {word} to {ch.label}", file=err)
    if sent is not None:
        sent.add(key)


# ------------------------------------------------------------------ output


def text_report(
    results: list[alerts.RuleResult],
    now: datetime,
    seen: dict[str, datetime],
    muted_by: list | None = None,
    acks: dict[str, dict[str, str]] | None = None,
) -> str:
    muted_by, acks = muted_by or [], acks or {}
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
        ack = acks.get(r.id)
        took = f" [acknowledged by {ack['by']}]" if ack and state == alerts.STATE_FIRING else ""
        lines.append(f"{state.upper():<14} {r.severity:<8} {r.subject}{when}{mute}{took}")
        if r.detail:
            lines.append(f"{'':<24}{r.detail}")
    lines.append(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return "\n".join(lines)


def load_inputs(account: str | None) -> alerts.LiveInputs:
    """The rules' inputs in the scope of `account`; when not even the account list can be read, the outage
    inputs (the ClickHouse rule fires). Raises UnknownAccount."""
    from answers import alert_inputs
    from queries.engine import scope

    try:
        resolved = account_scope(account)
    except (QueryFailed, ConfigError) as exc:
        reason = alert_inputs.fatal_reason(exc)
        if reason is not None:
            return alert_inputs.outage(reason)
        resolved = scope.Scope(account=account) if account else scope.EVERY_ACCOUNT  # e.g. no account table
    with scope.use(resolved):
        return alert_inputs.gather()


def check(
    settings: alert_settings.AlertSettings,
    account: str | None = None,
    as_json: bool = False,
    notify_: bool = False,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    backoff_s: float = 0.5,
    state_alerts_sent: set[str] | None = None,
) -> int:
    from answers.alert_inputs import checked_at

    out, err = out or sys.stdout, err or sys.stderr
    if notify_ and not settings.channels.any:
        print(
            "error: --notify needs a channel: set DESK_ALERT_SMTP_URL + DESK_ALERT_EMAIL_FROM + "
            "DESK_ALERT_EMAIL_TO, or DESK_ALERT_WEBHOOK_URL (or [alerts] in .streamlit/secrets.toml)",
            file=err,
        )
        return EXIT_USAGE
    try:
        inputs = load_inputs(account)
    except UnknownAccount as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    now = checked_at(inputs)
    results = alerts.evaluate(inputs, settings.thresholds)
    notified = Notified({}, {}, [])
    problem: StateUnusable | None = None
    if notify_:
        try:
            notified = notify_results(settings, results, now, err, backoff_s)
        except StateUnusable as exc:
            problem = exc
            print(f"error: {exc}; nothing was recorded or sent as new", file=err)
            if not isinstance(exc, StateBusy):
                state_alert(settings, exc, results, now, err, state_alerts_sent, backoff_s)
    else:
        peek = state_status.read(settings.state_path, now)  # read-only: a plain check never writes the state
        notified = Notified({}, {a.id: a.to_json() for a in peek.acks}, list(peek.silences))
    if as_json:
        print(json.dumps(alerts.to_json(results, now, notified.seen, notified.acks), ensure_ascii=False), file=out)
    else:
        print(text_report(results, now, notified.seen, notified.silences, notified.acks), file=out)
    if problem is not None:
        return EXIT_BUSY if isinstance(problem, StateBusy) else EXIT_STATE
    if notified.note:
        return EXIT_STATE
    if inputs.clickhouse_error:
        print(f"error: {inputs.clickhouse_error}", file=err)
        return EXIT_CLICKHOUSE
    return EXIT_FIRING if alerts.firing(results, now, notified.seen) else EXIT_OK


def pause(seconds: float, stop: threading.Event) -> None:
    """Wait between watch passes (returns early when stopped); tests replace it."""
    stop.wait(seconds)


def watch(settings: alert_settings.AlertSettings, account: str | None, every: int, runs: int = 0) -> int:
    """`check --notify` every `every` seconds; SIGTERM/Ctrl-C stop it cleanly between checks.

    Nothing but a stop ends it: an outage is the ClickHouse alert, an unusable state file an alert of its
    own, and an unexpected failure is printed with its traceback before the next pass."""
    import streamlit as st

    if not settings.channels.any:
        return check(settings, account, notify_=True)  # prints the configuration error, exit 2
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    state_alerts_sent: set[str] = set()
    n = 0
    try:
        while not stop.is_set():
            st.cache_data.clear()  # every pass reads ClickHouse afresh
            try:
                code = check(settings, account, notify_=True, out=sys.stderr, state_alerts_sent=state_alerts_sent)
            except Exception:  # noqa: BLE001 - a watcher that dies is a silent desk: print it all, carry on
                traceback.print_exc()
                code = -1
            print(f"watch: check exited {code}; next in {every} s", file=sys.stderr, flush=True)
            n += 1
            if code == EXIT_USAGE and n == 1:
                return EXIT_USAGE  # a configuration error (an unknown --account): restarting will not fix it
            if runs and n >= runs:
                break
            pause(every, stop)
    except KeyboardInterrupt:
        pass
    return EXIT_OK
