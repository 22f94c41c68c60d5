"""nncalc softmax."""

from __future__ import annotations

from typing import Annotated

import typer

from nncalc.cli.options import DigitsOpt, FormatOpt, TemperatureOpt, operand
from nncalc.cli.pipeline import run_vectors
from nncalc.cli.steps.distributions import Softmax
from nncalc.output.spec import Format


def softmax(
    logits: Annotated[
        str | None, operand("Logits: a vector, '-' (stdin) or @file.", "LOGITS")
    ] = None,
    temperature: TemperatureOpt = 1.0,
    log: Annotated[bool, typer.Option("--log", help="Log-softmax, computed directly.")] = False,
    top: Annotated[
        int | None,
        typer.Option("--top", min=1, help="Only the K most probable classes, sorted.", metavar="K"),
    ] = None,
    labels: Annotated[
        str | None,
        typer.Option("--labels", help="Class names: a,b,c or @vocab.txt (one per line)."),
    ] = None,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """Softmax of logits: softmax(z / T), max-shifted; -inf masks a class.

    Example: nncalc softmax "2,1,0.1" --temperature 2
    """
    step = Softmax(logits, temperature=temperature, log=log, labels=labels, top=top)
    run_vectors(step, fmt, digits)
