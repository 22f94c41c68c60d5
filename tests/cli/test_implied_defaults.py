"""Commands declare options without ``= None``/``= False``: the type implies the default."""

from __future__ import annotations

import inspect
from typing import Annotated

import pytest
import typer

from nncalc.cli.app import COMMANDS, command_function
from nncalc.cli.options import implied


def parameter(annotation: object, default: object = inspect.Parameter.empty) -> inspect.Parameter:
    kind = inspect.Parameter.KEYWORD_ONLY
    return inspect.Parameter("x", kind, annotation=annotation, default=default)


@pytest.mark.parametrize(
    ("annotation", "default"),
    [
        (Annotated[bool, typer.Option("--flag")], False),
        (Annotated[bool | None, typer.Option("--a/--b")], None),
        (Annotated[str | None, typer.Option("--name")], None),
        (Annotated[list[str] | None, typer.Option("--many")], None),
        (Annotated[float | None, typer.Option("--x")], None),
    ],
)
def test_the_type_implies_the_default(annotation: object, default: object) -> None:
    assert implied(parameter(annotation)).default is default


def test_a_declared_default_is_kept() -> None:
    declared = parameter(Annotated[float, typer.Option("--t")], 1.0)
    assert implied(declared).default == 1.0


def test_a_group_keyword_is_left_for_its_decorator() -> None:
    keyword = parameter(int)
    assert implied(keyword) is keyword


def test_an_option_whose_type_implies_nothing_must_declare_a_default() -> None:
    with pytest.raises(TypeError, match="option 'x' needs a default"):
        implied(parameter(Annotated[float, typer.Option("--t")]))


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_parameter_has_a_default(name: str) -> None:
    """What Typer sees: no parameter is required (operands read stdin when omitted)."""
    signature = inspect.signature(command_function(name))
    missing = [p.name for p in signature.parameters.values() if p.default is p.empty]
    assert missing == []
