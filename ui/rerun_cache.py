"""Reruns with the same data and selection reuse the work of the last one.

A Streamlit page reruns top to bottom on every click. The query results are
already cached (queries/), but deriving views from them and drawing charts
and styled tables costs more Python time than ClickHouse spent on the rows.
Two decorators remove that from a rerun whose inputs did not change:

* `cached_view(fn)`: a derived value (a classified frame, a view model),
  computed once per distinct input and shared, not copied. Treat it as
  read-only (polars frames are immutable).
* `cached_section(fn)`: a function that only draws (charts, metrics, styled
  tables). Its elements are recorded the first time and replayed afterwards,
  which is Streamlit's own cached-element replay. A section must not create
  widgets or read session state or the URL: everything it shows comes from
  its arguments.

Both key on the *content* of their arguments (`content_key`): a polars frame
is keyed by every row's hash, not by identity, so a query result that changed
after its TTL draws afresh. (Streamlit's own hashing of a polars frame looks
only at its shape and first and last rows, which is why frames are not
handed to `st.cache_data` directly here.)
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import threading
import weakref
from datetime import date, datetime
from typing import Any, Callable, ParamSpec, TypeVar

import polars as pl
import streamlit as st

from lib import config

P = ParamSpec("P")
R = TypeVar("R")


# A cached view's result is a long-lived shared object: remember its key, so passing it on
# to a section does not hash its frames again (id -> (weak reference, key)).
_known_keys: dict[int, tuple[weakref.ref, str]] = {}
_known_lock = threading.Lock()


def _remember_key(value: Any, key: str) -> None:
    try:
        ref = weakref.ref(value, lambda _r, i=id(value): _known_keys.pop(i, None))
    except TypeError:  # not weak-referenceable (a tuple, a str): hashed again when passed on
        return
    with _known_lock:
        _known_keys[id(value)] = (ref, key)


def _key_of(value: Any) -> str | None:
    entry = _known_keys.get(id(value))
    if entry is not None and entry[0]() is value:
        return entry[1]
    return None


def _feed(h: "hashlib._Hash", value: Any) -> None:
    """Add `value` to the digest, by content, with its type so 1 and '1' differ."""
    h.update(type(value).__name__.encode())
    known = _key_of(value)
    if known is not None:
        h.update(known.encode())
    elif isinstance(value, pl.DataFrame):
        h.update(repr((value.shape, list(value.schema.items()))).encode())
        if value.height:
            h.update(value.hash_rows(seed=0).to_numpy().tobytes())
    elif isinstance(value, pl.Series):
        h.update(repr((value.name, value.dtype, value.len())).encode())
        if value.len():
            h.update(value.hash(seed=0).to_numpy().tobytes())
    elif isinstance(value, dict):
        for k, v in value.items():
            _feed(h, k)
            _feed(h, v)
    elif isinstance(value, (list, tuple)):
        h.update(str(len(value)).encode())
        for v in value:
            _feed(h, v)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _feed(h, f.name)
            _feed(h, getattr(value, f.name))
    elif value is None or isinstance(value, (str, int, float, bool, date, datetime)):
        h.update(repr(value).encode())
    else:
        raise TypeError(f"rerun_cache cannot key a {type(value).__name__}; pass frames, dataclasses or scalars")
    h.update(b"\x1f")


def content_key(*values: Any) -> str:
    """A digest of the values' content (frames row by row)."""
    h = hashlib.blake2b(digest_size=16)
    for v in values:
        _feed(h, v)
    return h.hexdigest()


def _name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _code_key(fn: Callable[..., Any]) -> str:
    """The function's source (bytecode when unavailable): an edited section never replays its old output."""
    try:
        code = inspect.getsource(fn).encode()
    except (OSError, TypeError):
        code = getattr(getattr(fn, "__code__", None), "co_code", b"")
    return hashlib.blake2b(code, digest_size=8).hexdigest()


_caches: list[Any] = []  # every cache made here, for clear()


def _own_cache(decorator: Callable[..., Any], fn: Callable[..., Any], body: Callable[..., Any], entries: int) -> Any:
    """`body` under its own Streamlit cache named after the decorated function.

    One cache per decorated function (Streamlit keys a cache by module, qualified
    name and source), so a section whose data changes every refresh (System
    Health) evicts only its own old entries, never another page's. Streamlit
    sees `body`'s source, the same for every function, so the decorated
    function's own source goes into each key (`_code_key`).
    """
    body.__module__, body.__qualname__ = fn.__module__, fn.__qualname__
    cached = decorator(ttl=config.TTL_RERUN_CACHE, max_entries=entries, show_spinner=False)(body)
    _caches.append(cached)
    return cached


def cached_view(fn: Callable[P, R] | None = None, *, entries: int = config.RERUN_CACHE_ENTRIES) -> Any:
    """`fn`'s result, computed once per distinct content of its arguments and shared (read-only)."""
    if fn is None:
        return functools.partial(cached_view, entries=entries)
    name, code = _name(fn), _code_key(fn)

    def compute(key: str, _args: tuple, _kwargs: dict) -> Any:
        return fn(*_args, **_kwargs)

    cache = _own_cache(st.cache_resource, fn, compute, entries)

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        key = f"{code}:{content_key(args, kwargs)}"
        value = cache(key, args, kwargs)
        _remember_key(value, f"{name}:{key}")
        return value

    return wrapper


def cached_section(fn: Callable[P, None] | None = None, *, entries: int = config.RERUN_CACHE_ENTRIES) -> Any:
    """Draw `fn`'s elements; a later call with the same content replays them without running `fn`."""
    if fn is None:
        return functools.partial(cached_section, entries=entries)
    code = _code_key(fn)

    def draw(key: str, _args: tuple, _kwargs: dict) -> None:
        fn(*_args, **_kwargs)

    cache = _own_cache(st.cache_data, fn, draw, entries)

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        cache(f"{code}:{content_key(args, kwargs)}", args, kwargs)

    return wrapper


def clear() -> None:
    """Forget every cached view and section (the benchmark's cold start; tests)."""
    for cache in _caches:
        cache.clear()
