"""ui.rerun_cache: content keys, view sharing and element replay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from ui import rerun_cache
from ui.rerun_cache import content_key

CALLS: list[int] = []  # appended to by the sections the test scripts define


def test_frames_keyed_by_every_row() -> None:
    a = pl.DataFrame({"x": list(range(1000)), "y": [0.5] * 1000})
    same = pl.DataFrame({"x": list(range(1000)), "y": [0.5] * 1000})
    middle = a.with_columns(pl.when(pl.col("x") == 500).then(-1).otherwise(pl.col("x")).alias("x"))
    assert content_key(a) == content_key(same)
    assert content_key(a) != content_key(middle)  # Streamlit's own polars hash misses this change
    assert content_key(a) != content_key(a.with_columns(pl.col("y").cast(pl.Float32)))  # schema counts
    nulls = a.with_columns(pl.when(pl.col("x") == 7).then(None).otherwise(pl.col("y")).alias("y"))
    assert content_key(a) != content_key(nulls)


def test_scalars_types_and_dataclasses() -> None:
    @dataclass
    class T:
        a: float
        b: str

    assert content_key(1) != content_key("1")
    assert content_key(1) != content_key(1.0)
    assert content_key(date(2025, 12, 7)) == content_key(date(2025, 12, 7))
    assert content_key(T(0.02, "absolute")) == content_key(T(0.02, "absolute"))
    assert content_key(T(0.02, "absolute")) != content_key(T(0.02, "relative"))
    assert content_key((1, 2), {"k": None}) != content_key((1, 2), {"k": 0})
    with pytest.raises(TypeError):
        content_key(object())


def _script() -> None:
    import polars as pl
    import streamlit as st

    from tests.ui import test_rerun_cache as T
    from ui.rerun_cache import cached_section, cached_view

    @cached_view
    def view(n: int) -> pl.DataFrame:
        T.CALLS.append(-1)
        return pl.DataFrame({"a": list(range(n))})

    @cached_section
    def draw(df: pl.DataFrame) -> None:
        T.CALLS.append(df.height)
        st.metric("rows", df.height)
        st.caption(f"sum {df['a'].sum()}")

    n = st.number_input("n", value=3, key="n")
    _, right = st.columns(2)
    with right:
        draw(view(int(n)))
    st.markdown("after")


def test_section_replays_and_redraws_on_new_content() -> None:
    rerun_cache.clear()
    CALLS.clear()
    at = AppTest.from_function(_script, default_timeout=30)
    at.run()
    assert CALLS == [-1, 3]
    assert at.metric[0].value == "3" and at.caption[0].value == "sum 3"
    at.run()  # same content: nothing recomputed, the elements are replayed in the column
    assert CALLS == [-1, 3]
    assert at.metric[0].value == "3" and at.caption[0].value == "sum 3"
    assert at.columns[1].metric[0].value == "3"
    assert at.markdown[0].value == "after"
    at.number_input(key="n").set_value(5).run()
    assert CALLS == [-1, 3, -1, 5]
    assert at.metric[0].value == "5" and at.caption[0].value == "sum 10"
    assert not at.exception


def _two_sections_script() -> None:
    import streamlit as st

    from tests.ui import test_rerun_cache as T
    from ui.rerun_cache import cached_section

    @cached_section(entries=2)
    def churn(n: int) -> None:
        T.CALLS.append(n)
        st.caption(f"churn {n}")

    @cached_section
    def steady(n: int) -> None:
        T.CALLS.append(100 + n)
        st.caption(f"steady {n}")

    n = int(st.number_input("n", value=0, key="n"))
    steady(0)  # same arguments as churn's first call, its own cache
    churn(n)


def test_each_section_has_its_own_cache() -> None:
    rerun_cache.clear()
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


def test_code_is_part_of_the_key() -> None:
    """An edited section (same module and name, new source) never replays the old drawing."""
    ns1: dict = {}
    ns2: dict = {}
    exec("def section(x):\n    return x\n", ns1)
    exec("def section(x):\n    return x + 1\n", ns2)
    ns1["section"].__module__ = ns2["section"].__module__ = __name__
    assert rerun_cache._code_key(ns1["section"]) != rerun_cache._code_key(ns2["section"])
    assert rerun_cache._code_key(ns1["section"]) == rerun_cache._code_key(ns1["section"])
