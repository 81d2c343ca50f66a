"""ui.cache: Streamlit's own caches, keyed by every row of a polars frame; views shared, sections replayed."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from streamlit.runtime.caching.cache_type import CacheType
from streamlit.runtime.caching.hashing import update_hash
from streamlit.testing.v1 import AppTest

from ui import cache

CALLS: list[int] = []  # appended to by the views and sections the test scripts define


def _key(value: object, hash_funcs: dict | None = cache.HASH_FUNCS) -> str:
    """The key Streamlit's hasher gives `value` (what st.cache_data / st.cache_resource look up)."""
    import hashlib

    h = hashlib.new("md5", usedforsecurity=False)
    update_hash(value, h, CacheType.DATA, hash_funcs=hash_funcs)
    return h.hexdigest()


def test_frames_keyed_by_every_row() -> None:
    a = pl.DataFrame({"x": list(range(1000)), "y": [0.5] * 1000})
    same = pl.DataFrame({"x": list(range(1000)), "y": [0.5] * 1000})
    middle = a.with_columns(pl.when(pl.col("x") == 500).then(-1).otherwise(pl.col("x")).alias("x"))
    assert _key(a) == _key(same)
    assert _key(a) != _key(middle)
    assert _key(a, hash_funcs=None) == _key(middle, hash_funcs=None)  # why HASH_FUNCS: Streamlit's own misses it
    assert _key(a) != _key(a.with_columns(pl.col("y").cast(pl.Float32)))  # the schema counts
    nulls = a.with_columns(pl.when(pl.col("x") == 7).then(None).otherwise(pl.col("y")).alias("y"))
    assert _key(a) != _key(nulls)
    assert _key(a["x"]) != _key(middle["x"]) and _key(a["x"]) == _key(same["x"])


def test_frames_inside_dataclasses_and_tuples_are_keyed_by_every_row() -> None:
    @dataclass(frozen=True)
    class View:
        frame: pl.DataFrame
        label: str

    a = pl.DataFrame({"x": list(range(200))})
    middle = a.with_columns(pl.when(pl.col("x") == 100).then(-1).otherwise(pl.col("x")).alias("x"))
    assert _key(View(a, "t")) != _key(View(middle, "t"))
    assert _key(View(a, "t")) != _key(View(a, "u"))
    assert _key((("trades", a),)) != _key((("trades", middle),))


def _script() -> None:
    import polars as pl
    import streamlit as st

    from tests.ui import test_cache as T
    from ui import cache

    @cache.view()
    def view(n: int, middle: int) -> pl.DataFrame:
        T.CALLS.append(-1)
        return pl.DataFrame({"a": list(range(n))}).with_columns(
            pl.when(pl.col("a") == n // 2).then(middle).otherwise(pl.col("a")).alias("a")
        )

    @cache.section()
    def draw(df: pl.DataFrame) -> None:
        T.CALLS.append(df.height)
        st.metric("rows", df.height)
        st.caption(f"sum {df['a'].sum()}")

    n = st.number_input("n", value=30, key="n")
    middle = st.number_input("middle", value=15, key="middle")
    _, right = st.columns(2)
    with right:
        draw(view(int(n), int(middle)))
    st.markdown("after")


def test_section_replays_and_redraws_on_new_content() -> None:
    cache.clear()
    CALLS.clear()
    at = AppTest.from_function(_script, default_timeout=30)
    at.run()
    assert CALLS == [-1, 30]
    assert at.metric[0].value == "30" and at.caption[0].value == "sum 435"
    at.run()  # same content: nothing recomputed, the elements are replayed in the column
    assert CALLS == [-1, 30]
    assert at.metric[0].value == "30" and at.caption[0].value == "sum 435"
    assert at.columns[1].metric[0].value == "30"
    assert at.markdown[0].value == "after"
    at.number_input(key="middle").set_value(1015).run()  # one middle row changes: drawn afresh
    assert CALLS == [-1, 30, -1, 30]
    assert at.caption[0].value == "sum 1435"
    at.number_input(key="n").set_value(5).run()
    assert CALLS == [-1, 30, -1, 30, -1, 5]
    assert at.metric[0].value == "5"
    assert not at.exception


def _two_sections_script() -> None:
    import streamlit as st

    from tests.ui import test_cache as T
    from ui import cache

    @cache.section(entries=2)
    def churn(n: int) -> None:
        T.CALLS.append(n)
        st.caption(f"churn {n}")

    @cache.section()
    def steady(n: int) -> None:
        T.CALLS.append(100 + n)
        st.caption(f"steady {n}")

    n = int(st.number_input("n", value=0, key="n"))
    steady(0)  # same arguments as churn's first call, its own cache
    churn(n)


def test_each_section_has_its_own_cache() -> None:
    cache.clear()
    CALLS.clear()
    at = AppTest.from_function(_two_sections_script, default_timeout=30)
    at.run()
    assert [c.value for c in at.caption] == ["steady 0", "churn 0"]
    assert CALLS == [100, 0]
    for n in (1, 2, 3):  # three new entries for churn (2 kept): steady's single entry must survive
        at.number_input(key="n").set_value(n).run()
    assert CALLS == [100, 0, 1, 2, 3]
    at.number_input(key="n").set_value(0).run()  # evicted from churn's own small cache: drawn again
    assert CALLS == [100, 0, 1, 2, 3, 0]
    assert [c.value for c in at.caption] == ["steady 0", "churn 0"]


def _view_script() -> None:
    import streamlit as st

    from tests.ui import test_cache as T
    from ui import cache

    @cache.view()
    def shared(n: int) -> list[int]:
        T.CALLS.append(n)
        return [n]

    first, second = shared(1), shared(1)
    st.caption(f"same object {first is second}")


def test_a_view_is_computed_once_and_shared() -> None:
    cache.clear()
    CALLS.clear()
    at = AppTest.from_function(_view_script, default_timeout=30).run()
    at.run()
    assert CALLS == [1] and at.caption[0].value == "same object True"
