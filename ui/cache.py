"""Rerun caching on Streamlit's own caches, with a polars hash that sees every row.

A page reruns top to bottom on every click. Query results are cached in
queries/; what a page derives from them (a view) and what it draws from a view
(a section) is cached here, so a rerun with unchanged inputs repeats neither:

* `view()`: `st.cache_resource` — a derived value computed once per distinct
  input and shared by every session, read-only (polars frames are immutable).
* `section()`: `st.cache_data` — a function that only draws; Streamlit records
  its elements once and replays them on later calls with the same arguments.
  A section creates no widgets and reads no session state, URL or clock.

Both key on every argument through Streamlit's hasher, and on the function's
source. Streamlit 1.67 hashes a polars frame by a printed window of its row
hashes (and samples frames over 50k rows), so two frames that differ in one
middle row would share a key and a changed query result could replay an old
drawing; `HASH_FUNCS` hashes polars values by every row instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from lib import config

F = TypeVar("F", bound=Callable[..., Any])


def frame_digest(df: pl.DataFrame) -> bytes:
    """A digest of a frame's schema and every row."""
    h = hashlib.blake2b(repr((df.shape, list(df.schema.items()))).encode(), digest_size=16)
    if df.height:
        h.update(df.hash_rows(seed=0).to_numpy().tobytes())
    return h.digest()


def series_digest(s: pl.Series) -> bytes:
    """A digest of a series' name, type and every value."""
    h = hashlib.blake2b(repr((s.name, s.dtype, s.len())).encode(), digest_size=16)
    if s.len():
        h.update(s.hash(seed=0).to_numpy().tobytes())
    return h.digest()


HASH_FUNCS: dict[Any, Callable[[Any], Any]] = {pl.DataFrame: frame_digest, pl.Series: series_digest}


_made: list[Any] = []  # every view and section, for clear()


def _remember(decorator: Callable[[F], F]) -> Callable[[F], F]:
    def wrap(fn: F) -> F:
        cached = decorator(fn)
        _made.append(cached)
        return cached

    return wrap


def view(entries: int = config.RERUN_CACHE_ENTRIES) -> Callable[[F], F]:
    """Decorator: a derived value shared across reruns and sessions while its inputs are unchanged."""
    return _remember(
        st.cache_resource(ttl=config.TTL_RERUN_CACHE, max_entries=entries, show_spinner=False, hash_funcs=HASH_FUNCS)
    )


def section(entries: int = config.RERUN_CACHE_ENTRIES) -> Callable[[F], F]:
    """Decorator: a drawing function whose elements are replayed on a rerun with the same arguments."""
    return _remember(
        st.cache_data(ttl=config.TTL_RERUN_CACHE, max_entries=entries, show_spinner=False, hash_funcs=HASH_FUNCS)
    )


def clear() -> None:
    """Forget every view and section (a cold render in the benchmark; tests). Query caches are kept."""
    for cached in _made:
        cached.clear()
