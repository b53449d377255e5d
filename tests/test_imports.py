"""The package's import graph has no circle (glue and client alike).

Every import counts: module level, inside functions and under `TYPE_CHECKING` alike. A
circle hidden behind `TYPE_CHECKING` or a function-level import is still two modules that
each need the other to be understood, which is what this test is about. Relative imports are
resolved against the package; `from . import name` is an edge to the submodule `name` when
there is one, else to the package's `__init__`.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "custom_components.dashscope"
ROOT = Path(__file__).parent.parent / "custom_components" / "dashscope"

# Known circles, each an explicit follow-up; the test fails when one is gone, so the list
# cannot go stale.
ALLOWED_CYCLES: set[frozenset[str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in ROOT.rglob("*.py")}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Return the package's modules that `name` imports, wherever in the file."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # `from .x import y`: y may be a submodule of x.
            targets = [
                f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module
                for alias in node.names
            ]
        else:
            continue
        found.update(target for target in targets if target in modules and target != name)
    return found


type Graph = dict[str, set[str]]


def _graph() -> Graph:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def cycles(graph: Graph) -> set[frozenset[str]]:
    """Return the circles: strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, set()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_graph_is_read() -> None:
    """The walk sees the edges it should: a test that cannot fail is a bug."""
    graph = _graph()
    assert f"{PACKAGE}.outcome" in graph[f"{PACKAGE}.stt"]
    assert f"{PACKAGE}.client.catalog" in graph[f"{PACKAGE}.client"]  # `from .catalog import`
    assert f"{PACKAGE}.client.endpoints" in graph[f"{PACKAGE}.client.catalog"]
    assert f"{PACKAGE}.runtime" in graph[f"{PACKAGE}.stt"]
    # The utterance is driven from above its session, never the reverse.
    assert f"{PACKAGE}.client.session" in graph[f"{PACKAGE}.client.utterance"]
    assert f"{PACKAGE}.client.utterance" not in graph[f"{PACKAGE}.client.session"]
    assert len(graph) == len(list(ROOT.rglob("*.py")))


def test_no_import_cycles() -> None:
    """No new circle appears, and every allowed one still exists."""
    found = cycles(_graph())
    assert found - ALLOWED_CYCLES == set(), "new import cycles"
    assert ALLOWED_CYCLES - found == set(), "allowed cycles that are gone: drop them"


def test_a_circle_is_found() -> None:
    """The check itself: a circle in a graph is a strongly connected component."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert cycles(graph) == {frozenset({"a", "b", "c"})}
    assert cycles({"a": {"b"}, "b": set()}) == set()
