"""Imports flow one way: cli -> output/io -> core, with no cycle among modules."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "nncalc"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_at_load() -> dict[str, set[str]]:
    """Each module's nncalc imports made when it loads (not inside functions or for typing)."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}

    def known(name: str) -> str:
        while name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith("nncalc"):
                    found |= {known(f"{sub.module}.{alias.name}") for alias in sub.names}
                elif isinstance(sub, ast.Import):
                    found |= {known(a.name) for a in sub.names if a.name.startswith("nncalc")}
        graph[name] = found - {name}
    return graph


def test_no_import_cycle() -> None:
    graph = imports_at_load()
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, " -> ".join([*path, name])
        if name in done:
            return
        for dependency in sorted(graph[name]):
            visit(dependency, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_lower_layers_never_import_the_command_line() -> None:
    for name, dependencies in imports_at_load().items():
        if name.startswith(("nncalc.core", "nncalc.io", "nncalc.output")):
            assert not any(d.startswith("nncalc.cli") for d in dependencies), name
        if name.startswith("nncalc.core"):
            assert all(d.startswith(("nncalc.core", "nncalc.errors")) for d in dependencies), name
