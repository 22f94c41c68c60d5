"""nncalc distill."""

from __future__ import annotations

from typing import Annotated

import typer

from nncalc.cli.options import (
    TemperatureOpt,
    operand,
    operand_option,
    scalar_output,
    table_options,
)
from nncalc.cli.pipeline import Scalars, run_scalars
from nncalc.cli.steps.models import Distill
from nncalc.cli.table_input import TableInput

TeacherArg = Annotated[
    str | None, operand("Teacher logits: a vector, '-' (stdin) or @file.", "TEACHER")
]
StudentArg = Annotated[
    str | None, operand("Student logits: a vector, '-' (stdin) or @file.", "STUDENT")
]
AlphaOpt = Annotated[
    float | None,
    typer.Option(
        "--alpha",
        metavar="A",
        help="Weight of the soft term, in [0, 1] (default 0.5); applies only with --label.",
    ),
]
LabelOpt = Annotated[
    str | None,
    operand_option(
        "--label",
        "-y",
        help="True class index (0-based) or class name, or a batch of indices: '-' or @file, "
        "one per line (or --target-col).",
    ),
]


@scalar_output
@table_options(target=True)
def distill(
    *,
    teacher: TeacherArg,
    student: StudentArg,
    temperature: TemperatureOpt = 1.0,
    alpha: AlphaOpt,
    label: LabelOpt,
    table: TableInput,
    out: Scalars,
) -> None:
    """Distillation loss A*T^2*KL(softmax(t/T)||softmax(s/T)) + (1-A)*CE(y, softmax(s)).

    Without --label the loss is the soft term T^2*KL alone (--alpha does not apply).

    Example: nncalc distill "2,1,0.1" "1.5,1.2,0.3" -t 2 --alpha 0.7 --label 0
    """
    step = Distill(
        teacher,
        student,
        label,
        temperature=temperature,
        alpha=alpha,
        target_col=table.target_col is not None,
    )
    run_scalars(step, out, table)
