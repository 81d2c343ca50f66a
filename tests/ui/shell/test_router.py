"""ui.shell.router: every page goes through the one guard, and the guard reroutes a legacy run."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui.shell import router

ROOT = Path(__file__).resolve().parents[3]
PAGE_FILES = sorted((ROOT / "pages").glob("*.py"))


def _first_statement(path: Path) -> ast.stmt:
    body = ast.parse(path.read_text()).body
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # the docstring
        return node
    raise AssertionError(f"{path.name} has no statement")


def test_there_are_five_pages():
    assert [p.stem for p in PAGE_FILES] == ["overview", "positions", "system_health", "tracking_error", "trades"]


@pytest.mark.parametrize("page", PAGE_FILES, ids=lambda p: p.stem)
def test_every_page_calls_the_guard_before_anything_else(page: Path):
    tree = ast.parse(page.read_text())
    imports = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "ui.shell"]
    assert any(alias.name == "router" for n in imports for alias in n.names), f"{page.name} must import ui.shell.router"
    first = _first_statement(page)
    assert ast.unparse(first) == "router.guard()", f"{page.name} starts with {ast.unparse(first)!r}"


def test_guard_reroutes_a_legacy_run_and_is_silent_otherwise(monkeypatch):
    calls: list[str] = []

    class Rerun(Exception):
        pass

    def fake_rerun() -> None:
        calls.append("rerun")
        raise Rerun

    monkeypatch.setattr(st, "rerun", fake_rerun)
    monkeypatch.setattr(PagesManager, "uses_pages_directory", True)
    with pytest.raises(Rerun):
        router.guard()
    assert PagesManager.uses_pages_directory is False and calls == ["rerun"]
    router.guard()  # now on the navigation router: no second rerun
    assert calls == ["rerun"]


def test_use_navigation_holds_after_a_new_pages_manager(monkeypatch):
    monkeypatch.setattr(PagesManager, "__init__", PagesManager.__init__)  # undo the hook after the test
    router.use_navigation()
    router.use_navigation()  # idempotent: one hook
    PagesManager.uses_pages_directory = None
    PagesManager(str(ROOT / "app.py"))
    assert PagesManager.uses_pages_directory is False
