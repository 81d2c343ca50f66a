"""Where the dashboard reads: the primary, an optional secondary or the embedded engine, from the
environment, `.streamlit/secrets.toml` or explicit settings (environment first). Credentials stay inside."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lib import config
from lib.inputs import InputError, parse_date


@dataclass(frozen=True)
class Endpoint:
    """Where one ClickHouse lives. `password` never appears in `label`."""

    kind: str  # "http" or "chdb"
    host: str = ""
    port: int = 0
    username: str = "default"
    password: str = field(default="", repr=False)
    database: str = "default"
    secure: bool = False
    path: str = ""  # chdb only

    @property
    def label(self) -> str:
        if self.kind == "chdb":
            return f"embedded chdb:{self.path}"
        scheme = "https" if self.secure else "http"
        return f"{scheme}://{self.host}:{self.port}/{self.database}"


def endpoint_from_url(url: str) -> Endpoint:
    """Parse `http(s)://user:pass@host:port/db` or `chdb:///absolute/path`."""
    url = url.strip()
    parsed = urlparse(url)
    if parsed.scheme == "chdb":
        path = unquote(parsed.path or "")
        if parsed.netloc or not path.startswith("/"):
            raise config.ConfigError("chdb URL must be chdb:///absolute/path")
        return Endpoint(kind="chdb", path=path)
    if parsed.scheme not in ("http", "https", "clickhouse", "clickhouses"):
        raise config.ConfigError(
            f"CLICKHOUSE_URL must start with http://, https:// or chdb:/// (got scheme {parsed.scheme or 'none'!r})"
        )
    secure = parsed.scheme in ("https", "clickhouses")
    if parsed.fragment or "@" in parsed.path or "@" in parsed.query or (parsed.netloc.count("@") > 1):
        # an unencoded @ # / ? in the password would move part of it into the host or path
        raise config.ConfigError(
            "CLICKHOUSE_URL could not be parsed: percent-encode special characters "
            "(@ # / ? :) in the user name and password"
        )
    if not parsed.hostname:
        raise config.ConfigError("CLICKHOUSE_URL has no host")
    try:
        port = parsed.port or (8443 if secure else 8123)
    except ValueError:
        raise config.ConfigError("CLICKHOUSE_URL has an invalid port") from None
    database = unquote(parsed.path.lstrip("/").split("/")[0]) or "default"
    return Endpoint(
        kind="http",
        host=parsed.hostname,
        port=port,
        username=unquote(parsed.username or "default"),
        password=unquote(parsed.password or ""),
        database=database,
        secure=secure,
    )


def endpoint_from_mapping(values: Mapping[str, Any]) -> Endpoint:
    """An endpoint from a secrets table: url=..., or host/port/username/...."""
    if values.get("url"):
        return endpoint_from_url(str(values["url"]))
    if values.get("path"):
        return Endpoint(kind="chdb", path=str(Path(str(values["path"])).resolve()))
    if not values.get("host"):
        raise config.ConfigError("[connections.clickhouse] needs url, host or path")
    secure = str(values.get("secure", "false")).lower() in ("1", "true", "yes")
    try:
        port = int(values.get("port") or (8443 if secure else 8123))
    except (TypeError, ValueError):
        raise config.ConfigError("[connections.clickhouse] port must be a number") from None
    return Endpoint(
        kind="http",
        host=str(values["host"]),
        port=port,
        username=str(values.get("username") or values.get("user") or "default"),
        password=str(values.get("password") or ""),
        database=str(values.get("database") or "default"),
        secure=secure,
    )


@dataclass(frozen=True)
class ClientSettings:
    primary: Endpoint
    secondary: Endpoint | None = None
    embedded_default: bool = False  # nothing configured: the demo desk
    query_time_limit_s: int = config.QUERY_TIME_LIMIT_S
    connect_timeout_s: int = config.CONNECT_TIMEOUT_S
    table_overrides: Mapping[str, str] = field(default_factory=dict)
    inception: date | None = None  # the desk's configured inception (queries/engine/inception.py), else computed


def resolve_settings(
    env: Mapping[str, str],
    secrets: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> ClientSettings:
    """Merge kwargs > environment > secrets > the embedded demo default."""
    secrets = dict(secrets or {})
    primary: Endpoint | None = None
    secondary: Endpoint | None = None

    if kwargs.get("url"):
        primary = endpoint_from_url(str(kwargs["url"]))
    elif env.get("CLICKHOUSE_URL"):
        primary = endpoint_from_url(env["CLICKHOUSE_URL"])
    elif any(k in secrets for k in ("url", "host", "path")):
        primary = endpoint_from_mapping(secrets)

    if kwargs.get("secondary_url"):
        secondary = endpoint_from_url(str(kwargs["secondary_url"]))
    elif env.get("CLICKHOUSE_SECONDARY_URL"):
        secondary = endpoint_from_url(env["CLICKHOUSE_SECONDARY_URL"])
    elif isinstance(secrets.get("secondary"), Mapping):
        secondary = endpoint_from_mapping(secrets["secondary"])
    elif secrets.get("secondary_url"):
        secondary = endpoint_from_url(str(secrets["secondary_url"]))

    embedded = primary is None
    if primary is None:
        primary = Endpoint(kind="chdb", path=str(config.DEFAULT_DEMO_PATH))

    def _int(name: str, default: int) -> int:
        sources: list[tuple[str, Any]] = [
            (name, kwargs.get(name)),
            (f"DESK_{name.upper()}", env.get(f"DESK_{name.upper()}")),
            (f"[connections.clickhouse] {name}", secrets.get(name)),
        ]
        where, raw = next(((w, r) for w, r in sources if r), (name, None))
        try:
            value = int(raw) if raw else default
        except (TypeError, ValueError):
            raise config.ConfigError(f"{where}={raw!r} is not a whole number of seconds (1 to 3600)") from None
        if not 1 <= value <= 3600:
            raise config.ConfigError(f"{where}={raw!r} must be between 1 and 3600 seconds")
        return value

    tables = secrets.get("tables") or {}
    inception_sources: list[tuple[str, Any]] = [
        ("inception", kwargs.get("inception")),
        ("DESK_INCEPTION", env.get("DESK_INCEPTION")),
        ("[connections.clickhouse] inception", secrets.get("inception")),
    ]
    where, raw_inception = next(((w, r) for w, r in inception_sources if r), ("inception", None))
    try:
        inception = parse_date(raw_inception, where) if raw_inception else None
    except InputError as err:
        raise config.ConfigError(f"{err} (the desk's inception date)") from None
    return ClientSettings(
        primary=primary,
        secondary=secondary,
        embedded_default=embedded,
        query_time_limit_s=_int("query_time_limit_s", config.QUERY_TIME_LIMIT_S),
        connect_timeout_s=_int("connect_timeout_s", config.CONNECT_TIMEOUT_S),
        table_overrides=dict(tables) if isinstance(tables, Mapping) else {},
        inception=inception,
    )
