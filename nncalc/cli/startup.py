"""Start-up speed: a one-liner pays for little more than Python, Typer and NumPy.

Two things Typer would otherwise do on every call are avoided here, and
:func:`lazy_module` keeps modules a one-liner does not use out of it.

Typer builds a Click command for every registered command before parsing;
:func:`only_command` lets it build just the one being run.

Typer coerces every parameter through a pydantic ``TypeAdapter``; importing
pydantic and building the adapters costs about as much as importing NumPy,
which would double the start-up of a one-liner. nncalc's parameters are plain
``str``, ``int``, ``float`` and ``Enum`` values, so :func:`install` gives each
of them a small coercion that handles the well-formed values itself and hands
anything else (a typo, an out-of-range number, an unusual type) to Typer's own
coercion, so that error messages stay exactly Typer's.

This is the only module that touches Typer's private names (its vendored
Click's exceptions, ``typer._coercion``, ``_runtime_param``);
``tests/cli/test_typer_internals.py`` pins each of them.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from types import ModuleType
from typing import Any

# Typer >= 0.26 vendors Click: its exceptions live under a private name.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

__all__ = [
    "ClickException",
    "NoArgsIsHelpError",
    "SimpleParam",
    "UsageError",
    "install",
    "lazy_module",
    "only_command",
]

# Patterns, compiled (and cached by re) only when a number option is given.
INTEGER = r"\s*-?\d{1,30}\s*"
DECIMAL = r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*"


class SimpleParam:
    """Coercion of one parameter: fast for well-formed values, else Typer's."""

    def __init__(self, param: Any, annotation: Any, info: Any, domain: Any = None) -> None:
        self.param = param
        self.annotation = annotation
        # An object whose ``parse(flag, value)`` gives the number or raises the
        # command line's own error (nncalc.cli.domains.Domain), for numbers.
        self.domain = domain
        self.minimum = getattr(info, "min", None)
        self.maximum = getattr(info, "max", None)
        self.case_sensitive = bool(getattr(info, "case_sensitive", True))
        self.strings = bool(getattr(param, "multiple", False))  # a repeatable str option

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if self.strings else None
        result = self.quick(value)
        if result is not None:
            return result
        return self.typer_coercion().coerce(value, param=param, ctx=ctx)

    def quick(self, value: Any) -> Any:
        """The coerced value, or None to let Typer decide (and word any error)."""
        annotation = self.annotation
        if self.strings:
            texts = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
            return list(value) if texts else None
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            member = self.choice(value)
            if member is None and self.domain is not None:
                return self.domain.parse(max(self.param.opts, key=len), value)
            return member
        if not isinstance(value, str) and self.domain is None:
            return value if type(value) is annotation else None
        if annotation is str:
            return value
        if self.domain is not None:
            return self.domain.parse(max(self.param.opts, key=len), value)
        if annotation is float and re.fullmatch(DECIMAL, value):
            return float(value)
        if annotation is int and re.fullmatch(INTEGER, value):
            number = int(value)
            if self.minimum is not None and number < self.minimum:
                return None
            if self.maximum is not None and number > self.maximum:
                return None
            return number
        return None

    def choice(self, value: Any) -> Enum | None:
        members: list[Enum] = list(self.annotation)
        if isinstance(value, Enum):
            return value if value in members else None
        if not isinstance(value, str):
            return None
        for member in members:
            text = str(member.value)
            if text == value or (not self.case_sensitive and text.casefold() == value.casefold()):
                return member
        return None

    def typer_coercion(self) -> Any:
        from typer._coercion import build_runtime_param

        return build_runtime_param(self.param.type_descriptor)


def simple(annotation: Any, info: Any) -> bool:
    """Whether this parameter's values are ones :class:`SimpleParam` knows."""
    if getattr(info, "parser", None) is not None or getattr(info, "clamp", False):
        return False
    if annotation in (str, int, float, bool):
        return True
    return isinstance(annotation, type) and issubclass(annotation, Enum)


def install(command: Any, domains: Callable[[Any], Any] | None = None) -> None:
    """Give the simple parameters of ``command`` (and its subcommands) fast coercion.

    ``domains(param)`` gives a numeric parameter's domain (an object with
    ``parse(flag, value)``), or None: its values are then parsed and checked
    by it, every error in nncalc's words, never handed to Typer.

    Relies on Typer keeping a lazily built ``_runtime_param`` per parameter
    (Typer 0.26 and later); with any other layout it leaves Typer alone. The
    ``--help`` option is made on first use, so it is given its coercion then.
    """
    for param in getattr(command, "params", ()):
        _install_param(param, domains)
    make_help_option = getattr(command, "get_help_option", None)
    if make_help_option is not None:

        def get_help_option(ctx: Any) -> Any:
            option = make_help_option(ctx)
            if option is not None:
                _install_param(option)
            return option

        command.get_help_option = get_help_option
    for sub in getattr(command, "commands", {}).values():
        install(sub, domains)


def _install_param(param: Any, domains: Callable[[Any], Any] | None = None) -> None:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "_runtime_param", False) is not None:
        return
    if param.nargs != 1:
        return
    if param.multiple:  # a repeatable option: only list[str] (--id) is coerced here
        if descriptor.annotation == list[str] and simple(str, descriptor.parameter_info):
            param._runtime_param = SimpleParam(param, str, descriptor.parameter_info)
        return
    if simple(descriptor.annotation, descriptor.parameter_info):
        domain = None if domains is None else domains(param)
        info = descriptor.parameter_info
        param._runtime_param = SimpleParam(param, descriptor.annotation, info, domain)


def lazy_module(name: str) -> ModuleType:
    """Module ``name``, executed on first use of one of its attributes.

    For modules a one-liner does not need (the table builders, sgd): they,
    and what they import, stay out of start-up unless used.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return importlib.import_module(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


@contextmanager
def only_command(app: Any, argv: list[str], complete_var: str) -> Iterator[None]:
    """While building the app's commands, keep just the one named in ``argv``.

    Anything else (no command, an option first, a name that is not a command,
    shell completion at work) builds every command as usual, so help listings
    and "no such command" errors are unchanged. An app that imports its
    commands lazily narrows itself (``app.only(name)``): it then imports that
    command alone.
    """
    narrow = getattr(app, "only", None)
    if narrow is not None and argv and not os.environ.get(complete_var):
        with narrow(argv[0]):
            yield
        return
    registered = app.registered_commands
    chosen = [info for info in registered if argv and _command_name(info) == argv[0]]
    if len(chosen) != 1 or os.environ.get(complete_var):
        yield
        return
    app.registered_commands = chosen
    try:
        yield
    finally:
        app.registered_commands = registered


def _command_name(info: Any) -> str | None:
    if info.name is not None:
        return str(info.name)
    callback = info.callback
    if callback is None:
        return None
    return str(callback.__name__).lower().replace("_", "-")
