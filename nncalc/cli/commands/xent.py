"""nncalc xent."""

from __future__ import annotations

from typing import Annotated

import typer

from nncalc.cli.options import (
    NormalizeOpt,
    TemperatureOpt,
    TolOpt,
    domain,
    operand,
    scalar_output,
    table_options,
)
from nncalc.cli.pipeline import Scalars, run_scalars
from nncalc.cli.steps.xent import CrossEntropy, Predictions
from nncalc.cli.table_input import TableInput
from nncalc.core.arrays import DEFAULT_TOL
from nncalc.core.xent import check_eps
from nncalc.errors import NncalcError

TARGET_HELP = (
    "Class index (0-based) or class name, distribution, '-' or @file (one index or row "
    "per line); left out with --target-col."
)
PRED_HELP = "Predicted probabilities (or logits with --logits), '-' or @file."


TargetArg = Annotated[str | None, operand(TARGET_HELP, "TARGET")]
PredArg = Annotated[str | None, operand(PRED_HELP, "PRED")]
EpsOpt = Annotated[
    float | None,
    typer.Option(
        "--eps",
        help="Clip PRED to [E, 1-E] without renormalising, as scikit-learn >= 1.5 log_loss"
        " (E in [0, 0.5)).",
        metavar="E",
        callback=domain(check_eps),
    ),
]
LabelSmoothingOpt = Annotated[
    float,
    typer.Option(
        "--label-smoothing",
        metavar="EPS",
        help="Smooth the target to (1-EPS)*target + EPS/C (PyTorch's label_smoothing).",
    ),
]
WeightOpt = Annotated[
    str | None,
    typer.Option(
        "--weight",
        metavar="W1,W2,...",
        help="Class weights (PyTorch's weight): a mean over index targets divides by the "
        "sum of their weights.",
    ),
]
IgnoreIndexOpt = Annotated[
    int | None,
    typer.Option(
        "--ignore-index",
        metavar="I",
        help="Index targets equal to I count nothing (PyTorch's ignore_index).",
    ),
]


@scalar_output
@table_options(target=True)
def xent(
    *,
    target: TargetArg,
    pred: PredArg,
    logits: Annotated[
        bool, typer.Option("--logits", help="PRED rows are logits (through log-softmax).")
    ],
    temperature: TemperatureOpt = 1.0,
    eps: EpsOpt,
    normalize: NormalizeOpt,
    tol: TolOpt = DEFAULT_TOL,
    label_smoothing: LabelSmoothingOpt = 0.0,
    weight: WeightOpt,
    ignore_index: IgnoreIndexOpt,
    table: TableInput,
    out: Scalars,
) -> None:
    """Cross-entropy H(target, pred) = -sum y log y_hat; batches are averaged.

    Example: nncalc xent 2 "0.1,0.2,0.6,0.1"
    """
    if table.target_col is not None:  # the one operand given is PRED
        if pred is not None:
            raise NncalcError(
                "takes each row's target from a column of PRED: give PRED alone",
                operand="--target-col",
                token=target,
            )
        target, pred = None, target
    how = Predictions(logits=logits, temperature=temperature, eps=eps, normalize=normalize, tol=tol)
    step = CrossEntropy(
        target,
        pred,
        how,
        label_smoothing=label_smoothing,
        weight=weight,
        ignore_index=ignore_index,
        target_col=table.target_col is not None,
    )
    run_scalars(step, out, table)
