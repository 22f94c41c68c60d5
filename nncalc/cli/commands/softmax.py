"""nncalc softmax."""

from __future__ import annotations

from typing import Annotated

import typer

from nncalc.cli.options import (
    DigitsOpt,
    FormatOpt,
    TemperatureOpt,
    operand,
    operand_option,
    output_path,
    table_options,
)
from nncalc.cli.pipeline import run_vectors, terminal_output
from nncalc.cli.steps.distributions import Softmax
from nncalc.cli.table_input import TableInput
from nncalc.output.spec import Format

LogitsArg = Annotated[str | None, operand("Logits: a vector, '-' (stdin) or @file.", "LOGITS")]
LogOpt = Annotated[bool, typer.Option("--log", help="Log-softmax, computed directly.")]
TopOpt = Annotated[
    int | None,
    typer.Option("--top", min=1, help="Only the K most probable classes, sorted.", metavar="K"),
]
LabelsOpt = Annotated[
    str | None,
    operand_option("--labels", help="Class names: a,b,c or @vocab.txt (one per line)."),
]
OutputOpt = Annotated[
    str | None,
    output_path(
        "Write the rows to PATH instead of stdout, by extension: .npy, .csv, .jsonl, .json."
    ),
]


@table_options()
def softmax(
    *,
    logits: LogitsArg,
    temperature: TemperatureOpt = 1.0,
    log: LogOpt,
    top: TopOpt,
    labels: LabelsOpt,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt,
    output: OutputOpt,
    table: TableInput,
) -> None:
    """Softmax of logits: softmax(z / T), max-shifted; -inf masks a class.

    Example: nncalc softmax "2,1,0.1" --temperature 2
    """
    step = Softmax(logits, temperature=temperature, log=log, labels=labels, top=top)
    run_vectors(step, terminal_output(fmt, digits), output, table)
