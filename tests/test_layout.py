"""The agreed shape, enforced: imports point down (pages → ui → answers → queries → lib), lib/ is pure and
arranged in packages by domain, queries/ keeps its engine apart from the statements, the demo desk is imported
only by the bootstrap, the command line, the tests and the benchmark."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"lib": 0, "queries": 1, "answers": 2, "ui": 3, "pages": 4}  # a module may import its own layer or a lower one
DEMO_USERS = {"ui/shell/bootstrap.py"}  # the product modules allowed to import lib.demo


def _modules(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _top(name: str) -> str:
    return name.split(".")[0]


PRODUCT = [p for folder in LAYERS for p in _modules(folder)]


@pytest.mark.parametrize("path", _modules("lib"), ids=lambda p: str(p.relative_to(ROOT)))
def test_lib_imports_neither_streamlit_nor_queries(path: Path):
    bad = {n for n in _imports(path) if _top(n) in {"streamlit", "queries", "answers", "ui", "pages", "cli"}}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_only_point_down(path: Path):
    layer = LAYERS[path.relative_to(ROOT).parts[0]]
    upward = {n for n in _imports(path) if _top(n) in LAYERS and LAYERS[_top(n)] > layer}
    assert not upward, f"{path.relative_to(ROOT)} imports a higher layer: {sorted(upward)}"


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_bootstrap_imports_the_demo_desk(path: Path):
    rel = str(path.relative_to(ROOT))
    if rel.startswith("lib/demo/") or rel in DEMO_USERS:
        return
    demo = {n for n in _imports(path) if n == "lib.demo" or n.startswith("lib.demo.")}
    assert not demo, f"{rel} imports the demo desk: {sorted(demo)}"


LIB_PACKAGES = ("tracking", "book", "health", "alerting", "reports", "clickhouse", "demo")
MAX_MODULES, MAX_LINES = 12, 2000  # per package (folder), so no room turns into a flat list again


def test_the_layout_is_what_the_readme_says():
    for folder in (
        "cli",
        "answers",
        "queries",
        "queries/engine",
        "ui/overview",
        "ui/positions",
        "ui/trades",
        "ui/tracking_error",
        "ui/system_health",
        *(f"lib/{p}" for p in LIB_PACKAGES),
    ):
        assert (ROOT / folder / "__init__.py").is_file(), folder
    assert (ROOT / "queries" / "engine" / "connection.py").is_file() and not (ROOT / "lib" / "connection.py").exists()
    assert not (ROOT / "ui" / "rerun_cache.py").exists()


def _folders() -> list[Path]:
    return sorted({p.parent for folder in (*LAYERS, "cli") for p in _modules(folder)})


@pytest.mark.parametrize("folder", _folders(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_folder_is_a_flat_list(folder: Path):
    """About 12 modules and 2,000 lines per folder at most: a bigger room is split by domain."""
    modules = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
    lines = sum(len(p.read_text().splitlines()) for p in modules)
    assert len(modules) <= MAX_MODULES, f"{folder.relative_to(ROOT)} holds {len(modules)} modules"
    assert lines <= MAX_LINES, f"{folder.relative_to(ROOT)} holds {lines} lines"


@pytest.mark.parametrize("path", _modules("queries/engine"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_query_engine_knows_no_statement(path: Path):
    """queries/engine runs any statement (scope, drift, the choke point); it imports no domain statement module."""
    domain = {
        n for n in _imports(path) if _top(n) == "queries" and not n.startswith("queries.engine") and n != "queries"
    }
    assert not domain, f"{path.relative_to(ROOT)} imports {sorted(domain)}"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def test_no_import_circles():
    """No two product modules import each other, directly or around a loop (lazy imports count too)."""
    modules = {_module_name(p): p for p in PRODUCT + _modules("cli")}

    def targets(path: Path) -> set[str]:
        """The product modules a file imports: `from pkg import sub` names the submodule, not the package."""
        out: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = {f"{node.module}.{a.name}" for a in node.names} & set(modules)
                out |= subs or ({node.module} & set(modules))
        return out

    graph = {name: targets(path) - {name} for name, path in modules.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for nxt in sorted(graph[name]):
            if state.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join(stack[stack.index(nxt) :] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


UNSCOPED_CACHES = {
    "queries/engine/connection.py",
    "queries/health/contract.py",
    "queries/book/accounts.py",  # not per account
    "queries/engine/scope.py",
}  # where the scoped cache is made


@pytest.mark.parametrize("path", _modules("queries"), ids=lambda p: str(p.relative_to(ROOT)))
def test_query_caches_key_on_the_account_scope(path: Path):
    """A query cached with a plain st.cache_data would serve one account's rows to another."""
    if str(path.relative_to(ROOT)) in UNSCOPED_CACHES:
        return
    assert "st.cache_data" not in path.read_text(), "use queries.engine.scope.cached"


def test_a_deprecation_raised_from_the_project_fails_the_test():
    """pytest.ini turns a DeprecationWarning attributed to the project's own modules into an error."""
    import warnings

    with pytest.raises(DeprecationWarning):
        warnings.warn("a deprecated call from project code", DeprecationWarning, stacklevel=1)
