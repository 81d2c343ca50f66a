"""Load a query result for a page, turning failure into a visible state.

`load(fn, *args)` calls a cached `queries/` function. On success it remembers
the frame as the last good result for those arguments; on failure it shows
what failed (endpoint, kind, detail — never a traceback or a credential) and
returns the last good frame marked stale with its age, or None when there is
none. Pages decide what to draw when they get None.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import polars as pl
import streamlit as st

from lib import format as fmt
from lib.clickhouse import contract
from lib.clickhouse.errors import QueryFailed
from lib.config import ConfigError
from queries.engine import scope

_MAX_REMEMBERED = 512
_last_good: OrderedDict[tuple, tuple[Any, datetime]] = OrderedDict()
_lock = threading.Lock()


def _key(fn: Callable, args: tuple, kwargs: dict) -> tuple:
    """One remembered result per query, arguments and account scope (another account's data is never
    shown as this one's last good data)."""
    return (
        getattr(fn, "__module__", ""),
        getattr(fn, "__qualname__", repr(fn)),
        repr(args),
        repr(sorted(kwargs.items())),
        scope.current().key,
    )


def remember(key: tuple, value: Any) -> None:
    with _lock:
        _last_good[key] = (value, datetime.now(UTC))
        _last_good.move_to_end(key)
        while len(_last_good) > _MAX_REMEMBERED:
            _last_good.popitem(last=False)


def last_good(key: tuple) -> tuple[Any, datetime] | None:
    with _lock:
        return _last_good.get(key)


def _size(value: Any) -> int:
    """Bytes a remembered result holds (a frame's estimate; a small value counts 1 kB)."""
    if isinstance(value, pl.DataFrame):
        return int(value.estimated_size())
    if isinstance(value, (tuple, list)):
        return sum(_size(v) for v in value)
    return 1024


def remembered_size() -> dict[str, float]:
    """How many last good results are remembered and their MB (the soak benchmark samples it)."""
    with _lock:
        values = [v for v, _ in _last_good.values()]
    return {"last_good": len(values), "last_good_mb": round(sum(_size(v) for v in values) / 2**20, 1)}


def clear() -> None:
    """Forget every remembered last good result (tests; the benchmark's cold start)."""
    with _lock:
        _last_good.clear()


def failure_text(err: QueryFailed | ConfigError, what: str) -> str:
    """Markdown: what failed and why. Every part is text (`what` may name a monitor, a ClickHouse
    error quotes identifiers and values)."""
    if isinstance(err, ConfigError):
        return f"**{fmt.md_text(what)}: configuration error.** {fmt.md_text(err)}"
    return f"**{fmt.md_text(what)}: {fmt.md_text(err.headline)}.** {fmt.md_text(err.detail)}"


def begin_run() -> None:
    """Called once per script run: forget which failures this run already explained."""
    st.session_state["_failures_explained"] = set()


def _explain(err: QueryFailed | ConfigError, what: str) -> str:
    """Full text the first time a run meets an outage; one line after that."""
    seen: set = st.session_state.setdefault("_failures_explained", set())
    sig = ("config", str(err)) if isinstance(err, ConfigError) else (err.kind, err.endpoint)
    if (
        sig in seen
        and not isinstance(err, ConfigError)
        and err.kind in ("unreachable", "auth", "timeout", "server_error")
    ):
        return f"**{fmt.md_text(what)}:** not available — {fmt.md_text(err.headline.split(' — ')[0])} (details in the sidebar)."
    seen.add(sig)
    return failure_text(err, what)


def schema_drift_note(err: QueryFailed | ConfigError) -> str | None:
    """The broken contract columns a failed statement ran into (named, with the type expected), or None."""
    if not isinstance(err, QueryFailed) or err.kind not in ("query", "missing_table"):
        return None
    from queries.health.contract import contract_check

    try:
        check = contract_check()
    except QueryFailed:
        return None
    return contract.explain(err.detail, check.iter_rows(named=True), err.code)


def _drift_line(note: str | None) -> str:
    return f"\n\n**{fmt.md_text(note)}**" if note else ""


class Notes:
    """A `where` for `load` whose container is drawn later: it keeps the messages (failure, stale, not
    available) and `show` draws them. A lazy tab's label is worked out from its loads before the tab exists,
    and a closed tab draws nothing; `failed` and `stale` let the label say what the messages would."""

    def __init__(self) -> None:
        self.kept: list[tuple[str, str, str | None]] = []

    def info(self, body: str, icon: str | None = None) -> None:
        self.kept.append(("info", body, icon))

    def warning(self, body: str, icon: str | None = None) -> None:
        self.kept.append(("warning", body, icon))

    def error(self, body: str, icon: str | None = None) -> None:
        self.kept.append(("error", body, icon))

    @property
    def failed(self) -> bool:
        """A load failed with nothing to fall back on (an error box)."""
        return any(kind == "error" for kind, _, _ in self.kept)

    @property
    def stale(self) -> bool:
        """A load failed and showed its last good result (a warning)."""
        return any(kind == "warning" for kind, _, _ in self.kept)

    def show(self, where: Any = None) -> None:
        """Draw the kept messages (already Markdown-safe: load() built them with md_text)."""
        where = where or st
        for kind, body, icon in self.kept:
            if kind == "error":
                where.error(body, icon=icon)
            elif kind == "warning":
                where.warning(body, icon=icon)
            else:
                where.info(body, icon=icon)


def load(fn: Callable[..., Any], *args: Any, what: str | None = None, where: Any = None, **kwargs: Any) -> Any:
    """Call `fn(*args, **kwargs)`; on failure show why and fall back to the last good result.

    `where` is the container for messages (default: the main area).
    """
    return _load(fn, args, kwargs, what, where, optional=False)


def load_optional(fn: Callable[..., Any], *args: Any, what: str | None = None, where: Any = None, **kwargs: Any) -> Any:
    """Like `load`, for a panel whose table may legitimately be absent on a remote.

    A missing table (or column) turns the panel into a quiet "not available"
    note instead of an error; every other failure is shown as `load` does.
    """
    return _load(fn, args, kwargs, what, where, optional=True)


def load_live(fn: Callable[..., Any], *args: Any, what: str | None = None, where: Any = None, **kwargs: Any) -> Any:
    """Like `load`, for a liveness check (a ping): a failure is shown, never replaced by an old answer."""
    return _load(fn, args, kwargs, what, where, optional=False, stale_ok=False)


def _load(
    fn: Callable[..., Any],
    args: tuple,
    kwargs: dict,
    what: str | None,
    where: Any,
    optional: bool,
    stale_ok: bool = True,
) -> Any:
    where = where or st
    what = what or getattr(fn, "__name__", "data").replace("_", " ")
    key = _key(fn, args, kwargs)
    try:
        value = fn(*args, **kwargs)
    except (QueryFailed, ConfigError) as err:
        drift = schema_drift_note(err)
        if optional and isinstance(err, QueryFailed) and err.kind == "missing_table":
            where.info(
                f"**{fmt.md_text(what)}: not available** on this ClickHouse — {fmt.md_text(drift or err.detail)}",
                icon=":material/block:",
            )
            return None
        previous = last_good(key) if stale_ok else None
        if previous is not None:
            value, at = previous
            where.warning(
                f"{_explain(err, what)}{_drift_line(drift)}\n\nShowing the last good result, **stale**: "
                f"fetched {fmt.utc(at, seconds=True)} ({fmt.age_since(at)}).",
                icon=":material/history:",
            )
            return value
        where.error(_explain(err, what) + _drift_line(drift), icon=":material/cloud_off:")
        return None
    remember(key, value)
    return value


def empty_note(df: pl.DataFrame | None, what: str) -> bool:
    """True (and a visible note) when a frame loaded but has no rows."""
    if df is not None and df.height == 0:
        st.info(f"No rows for {fmt.md_text(what)} in this selection.", icon=":material/info:")
        return True
    return False
