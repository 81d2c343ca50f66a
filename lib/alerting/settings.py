"""Where alerts and reports get their settings: `[alerts]` in .streamlit/secrets.toml, then the environment.

The environment wins over secrets (as for CLICKHOUSE_URL). Keys:

    [alerts]                          environment
    state_path = "data/alerts.sqlite" DESK_ALERT_STATE
    smtp_url = "smtps://u:p@host:465" DESK_ALERT_SMTP_URL   (smtp:// upgrades with STARTTLS; smtps:// is TLS)
    email_from = "desk@example.com"   DESK_ALERT_EMAIL_FROM
    email_to = ["pm@example.com"]     DESK_ALERT_EMAIL_TO    (comma-separated)
    webhook_url = "https://hooks..."  DESK_ALERT_WEBHOOK_URL (Slack/Mattermost incoming webhook works as is)
    resend_api_key = "re_..."         DESK_ALERT_RESEND_API_KEY (optional: Resend's HTTP API instead of SMTP)
    send_timeout_s = 10               DESK_ALERT_SEND_TIMEOUT_S (per try; no answer after sending: tried once more, next run)
    keep_days = 90                    DESK_ALERT_KEEP_DAYS   (delivered messages and history older than this are pruned)
    te_max = 0.03                     DESK_ALERT_TE_MAX      (any key of lib.config.ALERT_THRESHOLDS)
    target_te_max = 0.03              DESK_ALERT_TARGET_TE_MAX (report verdicts, lib.config.REPORT_TARGETS)

Pure: no Streamlit. Values are validated here so a typo is refused with a clear
message (exit 2 on the command line) instead of silently using a default.
Credentials are kept only in the settings object; `describe()` redacts them.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lib import config
from lib.alerting import rules as alerts
from lib.config import ConfigError

SECRETS_PATH = config.PROJECT_ROOT / ".streamlit" / "secrets.toml"
RESEND_URL = "https://api.resend.com"
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_CHANNEL_KEYS = ("state_path", "smtp_url", "email_from", "email_to", "webhook_url", "resend_api_key", "resend_url")
_OPTION_KEYS = ("send_timeout_s", "keep_days")
_WHOLE = re.compile(r"[0-9]{1,5}")  # ASCII digits only
_SECONDS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3})?")


@dataclass(frozen=True)
class Channels:
    smtp_url: str | None = None
    email_from: str | None = None
    email_to: tuple[str, ...] = ()
    webhook_url: str | None = None
    resend_api_key: str | None = field(default=None, repr=False)
    resend_url: str = RESEND_URL
    timeout_s: float = config.ALERT_SEND_TIMEOUT_S

    @property
    def email(self) -> bool:
        return bool(self.email_to and self.email_from and (self.smtp_url or self.resend_api_key))

    @property
    def any(self) -> bool:
        return self.email or bool(self.webhook_url)

    def __repr__(self) -> str:  # never print credentials
        return f"Channels({', '.join(describe(self)) or 'none'})"


@dataclass(frozen=True)
class AlertSettings:
    thresholds: Mapping[str, float]
    targets: Mapping[str, float]
    state_path: Path
    channels: Channels
    keep_days: int = config.ALERT_KEEP_DAYS


def redact_url(url: str | None) -> str:
    """scheme://host:port only: user, password, path (a webhook's token) and query never shown."""
    if not url:
        return "—"
    try:
        u = urlsplit(url)
        host = u.hostname or "?"
        port = f":{u.port}" if u.port else ""
    except ValueError:
        return "<unparseable URL>"
    tail = "/…" if (u.path and u.path != "/") or u.query else ""
    return f"{u.scheme}://{host}{port}{tail}"


def describe(ch: Channels) -> list[str]:
    out = []
    if ch.email:
        via = f"SMTP {redact_url(ch.smtp_url)}" if ch.smtp_url else f"Resend {redact_url(ch.resend_url)}"
        out.append(f"email to {', '.join(ch.email_to)} via {via}")
    if ch.webhook_url:
        out.append(f"webhook {redact_url(ch.webhook_url)}")
    return out


def read_secrets(path: Path | str | None = None) -> dict[str, Any]:
    """The `[alerts]` table of the secrets file ({} when there is no file or no table)."""
    p = Path(path) if path else SECRETS_PATH
    if not p.is_file():
        return {}
    try:
        data = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p.name} is not valid TOML: {exc}") from None
    table = data.get("alerts", {})
    if not isinstance(table, Mapping):
        raise ConfigError("[alerts] in secrets.toml must be a table")
    return dict(table)


def _check_url(name: str, url: str, schemes: tuple[str, ...]) -> str:
    try:
        u = urlsplit(url)
        u.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ConfigError(f"{name} is not a valid URL") from None
    if u.scheme not in schemes or not u.hostname:
        raise ConfigError(f"{name} must look like {schemes[0]}://host... (got scheme {u.scheme or 'none'!r})")
    return url


def load(env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None) -> AlertSettings:
    """Settings from `secrets` ([alerts]) overridden by `env`; raises ConfigError on anything unusable."""
    env = os.environ if env is None else env
    secrets = dict(secrets or {})

    def pick(key: str) -> Any:
        value = env.get(f"DESK_ALERT_{key.upper()}")
        if key == "state_path" and env.get("DESK_ALERT_STATE"):
            value = env["DESK_ALERT_STATE"]
        return value if value not in (None, "") else secrets.get(key)

    known = (
        set(_CHANNEL_KEYS)
        | set(_OPTION_KEYS)
        | set(config.ALERT_THRESHOLDS)
        | {f"target_{k}" for k in config.REPORT_TARGETS}
    )
    unknown = sorted(k for k in secrets if k not in known)
    if unknown:
        raise ConfigError(f"unknown [alerts] key(s) {unknown}")
    overrides = {k: v for k in config.ALERT_THRESHOLDS if (v := pick(k)) is not None}
    t = alerts.thresholds(overrides)
    targets = dict(config.REPORT_TARGETS)
    for k in config.REPORT_TARGETS:
        v = pick(f"target_{k}")
        if v is not None:
            try:
                targets[k] = float(v)
            except (TypeError, ValueError):
                raise ConfigError(f"report target {k} must be a number") from None
    raw_path = pick("state_path")
    state_path = Path(str(raw_path)) if raw_path else config.DEFAULT_ALERT_STATE_PATH
    if not state_path.is_absolute():
        state_path = config.PROJECT_ROOT / state_path

    smtp = pick("smtp_url")
    if smtp:
        _check_url("the SMTP URL", str(smtp), ("smtp", "smtps"))
    hook = pick("webhook_url")
    if hook:
        _check_url("the webhook URL", str(hook), ("https", "http"))
    resend_url = str(pick("resend_url") or RESEND_URL)
    _check_url("the Resend URL", resend_url, ("https", "http"))
    to = pick("email_to") or ()
    if isinstance(to, str):
        to = [x for x in (s.strip() for s in to.split(",")) if x]
    to = tuple(str(x).strip() for x in to)
    sender = pick("email_from")
    for a in (*to, *([sender] if sender else [])):
        if not _EMAIL.match(a):
            raise ConfigError(f"not an email address: {a[:60]!r}")
    if to and not sender:
        raise ConfigError("email_to is set but email_from is not")
    key = pick("resend_api_key")
    if to and not (smtp or key):
        raise ConfigError("email_to is set but neither smtp_url nor resend_api_key is")
    channels = Channels(
        smtp_url=str(smtp) if smtp else None,
        email_from=str(sender) if sender else None,
        email_to=to,
        webhook_url=str(hook) if hook else None,
        resend_api_key=str(key) if key else None,
        resend_url=resend_url,
        timeout_s=_option(pick("send_timeout_s"), _SECONDS, "send_timeout_s", (0.1, 120), config.ALERT_SEND_TIMEOUT_S),
    )
    keep = _option(pick("keep_days"), _WHOLE, "keep_days", config.ALERT_KEEP_DAYS_RANGE, config.ALERT_KEEP_DAYS)
    return AlertSettings(thresholds=t, targets=targets, state_path=state_path, channels=channels, keep_days=int(keep))


def _option(raw: Any, shape: re.Pattern[str], name: str, bounds: tuple[float, float], default: float) -> float:
    """A number setting written with ASCII digits (no '１', '1_0', '1e3'), within `bounds`."""
    if raw is None:
        return default
    text = str(raw).strip()
    if isinstance(raw, bool) or not shape.fullmatch(text):
        raise ConfigError(f"{name} must be a plain number, not {text[:20]!r}")
    value = float(text)
    if not bounds[0] <= value <= bounds[1]:
        raise ConfigError(f"{name} must be between {bounds[0]:g} and {bounds[1]:g}, not {text}")
    return value
