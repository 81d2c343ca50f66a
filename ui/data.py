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
from datetime import datetime, timezone
from typing import Any, Callable

import polars as pl
import streamlit as st

from lib import format as fmt
from lib.ch_client import QueryFailed
from lib.config import ConfigError

_MAX_REMEMBERED = 512
_last_good: "OrderedDict[tuple, tuple[Any, datetime]]" = OrderedDict()
_lock = threading.Lock()


def _key(fn: Callable, args: tuple, kwargs: dict) -> tuple:
    return (getattr(fn, "__module__", ""), getattr(fn, "__qualname__", repr(fn)), repr(args), repr(sorted(kwargs.items())))


def remember(key: tuple, value: Any) -> None:
    with _lock:
        _last_good[key] = (value, datetime.now(timezone.utc))
        _last_good.move_to_end(key)
        while len(_last_good) > _MAX_REMEMBERED:
            _last_good.popitem(last=False)


def last_good(key: tuple) -> tuple[Any, datetime] | None:
    with _lock:
        return _last_good.get(key)


def failure_text(err: QueryFailed | ConfigError, what: str) -> str:
    if isinstance(err, ConfigError):
        return f"**{what}: configuration error.** {err}"
    return f"**{what}: {err.headline}.** {err.detail}"


def load(fn: Callable[..., Any], *args: Any, what: str | None = None, **kwargs: Any) -> Any:
    """Call `fn(*args, **kwargs)`; on failure show why and fall back to the last good result."""
    what = what or getattr(fn, "__name__", "data").replace("_", " ")
    key = _key(fn, args, kwargs)
    try:
        value = fn(*args, **kwargs)
    except (QueryFailed, ConfigError) as err:
        previous = last_good(key)
        if previous is not None:
            value, at = previous
            st.warning(
                f"{failure_text(err, what)}\n\nShowing the last good result, **stale**: "
                f"fetched {fmt.utc(at, seconds=True)} ({fmt.age_since(at)} ago).",
                icon="⚠️",
            )
            return value
        st.error(failure_text(err, what), icon="🚫")
        return None
    remember(key, value)
    return value


def empty_note(df: pl.DataFrame | None, what: str) -> bool:
    """True (and a visible note) when a frame loaded but has no rows."""
    if df is not None and df.height == 0:
        st.info(f"No rows for {what} in this selection.", icon="ℹ️")
        return True
    return False
