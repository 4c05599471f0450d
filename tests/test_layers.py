"""The layout shows its layers: pages → ui (Streamlit) and web (HTTP) → services → core → storage/oci.

Read from the source with `ast`, every import counted, including those inside functions (a
lazy import is still a dependency, and a circle through one is still a circle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "homemovies_core"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    files = sorted((ROOT / PACKAGE).rglob("*.py"))
    files += sorted((ROOT / "pages").glob("*.py")) + [ROOT / "Home.py"]
    return {_module_name(f): f for f in files}


SOURCES = _sources()


def _imports(name: str, path: Path) -> set[str]:
    """Every module `name` imports (resolved to the most specific module we have)."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # `from pkg import module` imports the module itself.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {_ours(m) for m in found if _ours(m)} | {
        m for m in found if m.split(".")[0] == "streamlit"
    }


def _ours(module: str) -> str | None:
    while module:
        if module in SOURCES:
            return module
        module = module.rpartition(".")[0]
    return None


GRAPH = {name: _imports(name, path) - {name} for name, path in SOURCES.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] in ("pages", "Home"):
        return "pages"
    if len(parts) > 1 and parts[1] in ("ui", "web", "storage", "oci"):
        return parts[1]
    if module == f"{PACKAGE}.services":
        return "services"
    return "core"


def test_streamlit_is_imported_only_by_pages_and_ui():
    drawing = {
        name for name, deps in GRAPH.items() if any(d.split(".")[0] == "streamlit" for d in deps)
    }
    assert drawing, "the check found no Streamlit import at all: it reads nothing"
    assert {n for n in drawing if _layer(n) not in ("pages", "ui")} == set()


def _reaches(start: str, layers: set[str]) -> list[str]:
    return sorted(d for d in GRAPH[start] if d in SOURCES and _layer(d) in layers)


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("core", {"pages", "ui", "web"}),
        ("storage", {"pages", "ui", "web", "services"}),
        ("oci", {"pages", "ui", "web", "services"}),
        ("web", {"pages", "ui"}),
        ("services", {"pages", "ui", "web"}),
    ],
)
def test_no_layer_reaches_up(layer, forbidden):
    members = [n for n in GRAPH if _layer(n) == layer]
    assert members
    upward = {n: _reaches(n, forbidden) for n in members}
    assert {n: up for n, up in upward.items() if up} == {}


def test_there_are_no_import_circles():
    # Tarjan's strongly connected components over our modules; a package and its own
    # submodules are one unit of code, so `pkg/__init__` importing `pkg.x` is not a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def edges(name: str) -> list[str]:
        return [
            d
            for d in GRAPH[name]
            if d in SOURCES and not d.startswith(name + ".") and not name.startswith(d + ".")
        ]

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        on_stack.add(name)
        for dep in edges(name):
            if dep not in index:
                visit(dep)
                low[name] = min(low[name], low[dep])
            elif dep in on_stack:
                low[name] = min(low[name], index[dep])
        if low[name] == index[name]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == name:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in GRAPH:
        if name not in index:
            visit(name)
    assert circles == []


def test_no_test_module_imports_another():
    tests = ROOT / "tests"
    offenders = []
    for path in tests.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                leaf = node.module.rpartition(".")[2]
                if node.module.startswith("tests") and leaf.startswith("test_"):
                    offenders.append(f"{path.relative_to(ROOT)}: {node.module}")
    assert offenders == []
