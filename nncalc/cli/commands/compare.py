"""nncalc compare."""

from __future__ import annotations

from typing import Annotated

import typer

from nncalc.cli.options import (
    MaskOpt,
    NormalizeOpt,
    OutputOpt,
    TolOpt,
    operand,
    operand_option,
    record_output,
    table_options,
)
from nncalc.cli.steps.compare import Comparison
from nncalc.cli.table_input import TableInput
from nncalc.core.arrays import DEFAULT_TOL
from nncalc.output.spec import Output

ProbsOpt = Annotated[
    bool,
    typer.Option("--probs", help="BASE and NEW rows are probabilities, not logits (see --tol)."),
]
TargetOpt = Annotated[
    str | None,
    operand_option(
        "--target",
        metavar="TOKENS",
        help="The true class of each row (0-based), for perplexities and dp: "
        "@tokens.npy, @file (one per line) or a literal list.",
    ),
]


@table_options(ids=False)
@record_output
def compare(
    *,
    base: Annotated[
        str | None,
        operand(
            "Reference logits (probabilities with --probs): @file.npy, @file, - or a vector.",
            "BASE",
        ),
    ],
    new: Annotated[
        str | None,
        operand(
            "The other model's logits (probabilities with --probs), paired row by row with BASE.",
            "NEW",
        ),
    ],
    probs: ProbsOpt,
    tol: TolOpt = DEFAULT_TOL,
    normalize: NormalizeOpt,
    target: TargetOpt,
    mask: MaskOpt,
    gate: Annotated[
        list[str] | None,
        typer.Option(
            "--gate",
            metavar="EXPR",
            help="Exit 1 unless a statistic is within a bound, e.g. 'kl.p99<=1e-3' "
            "or 'top1_agree>=0.995' (repeatable).",
        ),
    ],
    output: OutputOpt,
    table: TableInput,
    out: Output,
) -> None:
    """Compare two models' outputs row by row: KL percentiles, top-1 agreement, perplexity.

    Rows of BASE and NEW are the same positions run through two models (a
    tensor of shape (..., C) is rows over its last axis). Statistics are in
    nats; their names are the keys of --format json and of --gate. -o
    writes every row's kl, kl_reverse, js, top1_agree (and, with --target,
    ln_p_base, ln_p_new, dp) to a file.

    Example: nncalc compare "2,1,0" "2,1,0.5" --target 0 --gate 'kl.max<=0.1'
    """
    step = Comparison(
        base,
        new,
        target=target,
        mask=mask,
        gates=gate or [],
        rows=(probs, tol, normalize),
        table=table,
        path=output,
    )
    step.write(out)
