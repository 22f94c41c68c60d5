"""The core stays NumPy + stdlib, and nothing inside the package imports in a circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nncalc

PACKAGE = Path(nncalc.__file__).resolve().parent
CORE = PACKAGE / "core"
FORBIDDEN = ("typer", "rich", "click", "nncalc.cli", "nncalc.io", "nncalc.output")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def core_modules() -> list[str]:
    return [name for name in package_modules() if name.startswith("nncalc.core")]


def _is_type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _walk_runtime(node: ast.AST) -> list[ast.AST]:
    """Every node below ``node`` except the bodies of ``if TYPE_CHECKING:`` blocks."""
    found: list[ast.AST] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                found.append(other)
                found.extend(_walk_runtime(other))
            continue
        found.append(child)
        found.extend(_walk_runtime(child))
    return found


def imported_names(name: str, source: str, *, is_package: bool = False) -> set[str]:
    """Modules ``name`` imports at run time, module- or function-level (dotted names)."""
    tree = ast.parse(source)
    package = name if is_package else name.rpartition(".")[0]
    names: set[str] = set()
    for node in _walk_runtime(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Edges between the package's own modules (a ``from p import m`` names m)."""
    modules = package_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = imported_names(name, read(path), is_package=path.name == "__init__.py")
        targets = {t for t in found if t in modules}
        # ``from nncalc.core import softmax`` imports the module, not the package alone.
        graph[name] = {t for t in targets if not any(o.startswith(t + ".") for o in targets)}
        graph[name].discard(name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_importing_every_core_module_loads_no_cli_library() -> None:
    modules = core_modules()
    assert "nncalc.core.softmax" in modules and "nncalc.core.model_configs" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"forbidden = {FORBIDDEN!r}\n"
        "print('\\n'.join(sorted(m for m in sys.modules\n"
        "    if any(m == f or m.startswith(f + '.') for f in forbidden))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


def test_core_imports_only_numpy_the_standard_library_and_itself() -> None:
    allowed_own = ("nncalc.core", "nncalc.errors")
    stray = {}
    modules = package_modules()
    for name in core_modules():
        path = modules[name]
        for target in imported_names(name, read(path), is_package=path.name == "__init__.py"):
            top = target.partition(".")[0]
            if top in sys.stdlib_module_names or top == "numpy" or top == "__future__":
                continue
            if any(target == own or target.startswith(own + ".") for own in allowed_own):
                continue
            stray.setdefault(name, set()).add(target)
    assert stray == {}


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "nncalc.errors" in graph["nncalc.core.softmax"]
    # nncalc/__init__.py imports the API only under TYPE_CHECKING (lazy names).
    assert graph["nncalc"] == set()
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


SOURCE = """
from __future__ import annotations
import typing
from typing import TYPE_CHECKING
from . import sibling
from ..errors import NncalcError
import nncalc.io.reader as reader

if TYPE_CHECKING:
    from nncalc.cli import app
else:
    import nncalc.output.text

if typing.TYPE_CHECKING:
    import nncalc.cli.startup


def late():
    from nncalc.core import model_configs
    return model_configs
"""


def test_imports_are_read_at_every_level_but_type_checking() -> None:
    names = imported_names("nncalc.core.example", SOURCE)
    assert {
        "nncalc.core.sibling",
        "nncalc.errors.NncalcError",
        "nncalc.io.reader",
        "nncalc.output.text",
        "nncalc.core.model_configs",
    } <= names
    assert not any(name.startswith("nncalc.cli") for name in names)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_cycle_even_through_imports_made_only_for_type_checking() -> None:
    """A module that needs a type from one that imports it names a Protocol of its own."""
    modules = package_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(read(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
        targets = {t for t in found if t in modules}
        graph[name] = {t for t in targets if not any(o.startswith(t + ".") for o in targets)}
        graph[name].discard(name)
    # nncalc/__init__.py names the API for type checkers only; nothing imports it back.
    graph["nncalc"] = set()
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])
    assert "nncalc.io.textlines" in graph["nncalc.io.layout"]
