"""The commands registered on the app, whatever they are, and their parameters.

Tests that cover every command (fuzzing, help, terminals, shell completion)
take the list from here, so a new command is picked up by itself.
"""

from __future__ import annotations

from typing import Any

import typer
import typer.main

from nncalc.cli.app import app

GROUP = typer.main.get_command(app)
ROOT_CONTEXT = typer.Context(GROUP, info_name="nncalc")
COMMANDS = {
    name: GROUP.get_command(ROOT_CONTEXT, name) for name in GROUP.list_commands(ROOT_CONTEXT)
}


def arguments(command: Any) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "argument"]


def options(command: Any) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "option" and "--help" not in p.opts]


def annotation(param: Any) -> Any:
    return param.type_descriptor.annotation


WITH_OPERANDS = sorted(name for name, command in COMMANDS.items() if arguments(command))
