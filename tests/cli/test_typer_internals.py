"""The Typer internals nncalc relies on, pinned: a Typer release that changes one fails here.

``nncalc/cli/startup.py`` is the only module that touches Typer's private
names. Each test names what it found changed, so that widening the
``typer`` pin starts from a clear message rather than a traceback.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from nncalc.cli import startup
from nncalc.cli.app import app

PACKAGE = Path(__file__).resolve().parents[2] / "nncalc"


def built_kl() -> TyperCommand:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    command = group.commands["kl"]
    assert isinstance(command, TyperCommand)
    return command


def test_vendored_click_exceptions_are_where_startup_imports_them() -> None:
    from typer._click import exceptions  # the import startup.py makes

    assert startup.ClickException is exceptions.ClickException
    assert startup.UsageError is exceptions.UsageError
    assert issubclass(exceptions.UsageError, exceptions.ClickException), (
        "typer._click.exceptions.UsageError is no longer a ClickException: "
        "NncalcGroup would print usage errors as internal errors"
    )
    error = exceptions.UsageError("bad", ctx=None)
    for name in ("format_message", "exit_code", "ctx"):
        assert hasattr(error, name), f"UsageError lost .{name}, which NncalcGroup reads"
    assert error.exit_code == 2, "UsageError's exit code is no longer 2"


def test_build_runtime_param_still_builds_a_coercion() -> None:
    from typer import _coercion

    build = getattr(_coercion, "build_runtime_param", None)
    assert callable(build), "typer._coercion.build_runtime_param is gone (SimpleParam falls back)"
    parameter = next(p for p in built_kl().params if p.name == "digits")
    coercion = build(parameter.type_descriptor)  # type: ignore[attr-defined]
    assert "ctx" in inspect.signature(coercion.coerce).parameters, (
        "the runtime param's coerce() no longer takes (value, param=, ctx=)"
    )
    assert coercion.coerce("3", param=parameter, ctx=None) == 3


def test_parameters_keep_a_lazily_built_runtime_param() -> None:
    for parameter in built_kl().params:
        assert hasattr(parameter, "_runtime_param"), (
            f"Typer parameters no longer have _runtime_param ({parameter.name}): "
            "startup.install would leave every parameter to pydantic"
        )
        descriptor = getattr(parameter, "type_descriptor", None)
        assert descriptor is not None, "Typer parameters no longer carry type_descriptor"
        assert hasattr(descriptor, "annotation") and hasattr(descriptor, "parameter_info"), (
            "type_descriptor lost .annotation or .parameter_info"
        )
        assert hasattr(parameter, "multiple") and hasattr(parameter, "nargs")


def test_install_replaces_the_runtime_param_of_simple_parameters() -> None:
    command = built_kl()
    startup.install(command)
    fast = [p.name for p in command.params if isinstance(p._runtime_param, startup.SimpleParam)]  # type: ignore[attr-defined]
    assert {"fmt", "digits", "reduction", "base", "maximum"} <= set(fast), (
        "startup.install no longer reaches Typer's parameters"
    )
    assert callable(getattr(command, "get_help_option", None)), (
        "TyperCommand.get_help_option is gone: --help would not get the fast coercion"
    )


def test_the_app_attributes_startup_and_app_set_are_still_read() -> None:
    assert isinstance(app.registered_commands, list), "Typer.registered_commands is not a list"
    info = app.registered_commands[0]
    assert hasattr(info, "name") and hasattr(info, "callback"), "CommandInfo lost name/callback"
    command = built_kl()
    assert hasattr(command, "rich_markup_mode"), (
        "TyperCommand.rich_markup_mode is gone: help on a pipe would not be plain"
    )


PRIVATE_ATTRIBUTES = {"_runtime_param", "_coercion", "_click"}


def test_only_startup_touches_typer_private_names() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "startup.py" and path.parent.name == "cli":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("typer._"):
                offenders.append(f"{path.name}: from {node.module} import ...")
            if isinstance(node, ast.Attribute) and (
                node.attr in PRIVATE_ATTRIBUTES
                or (
                    (isinstance(node.value, ast.Name) and node.value.id == "typer")
                    and node.attr.startswith("_")
                )
            ):
                offenders.append(f"{path.name}: .{node.attr}")
    assert offenders == []
