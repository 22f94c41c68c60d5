"""nncalc xent."""

from __future__ import annotations

from typing import Annotated

import typer

from nncalc.cli.options import (
    BaseOpt,
    DigitsOpt,
    FormatOpt,
    MaxOpt,
    MinOpt,
    NormalizeOpt,
    ReductionOpt,
    TemperatureOpt,
    TolOpt,
    operand,
)
from nncalc.cli.pipeline import Scalars, run_scalars
from nncalc.cli.steps.xent import CrossEntropy, Predictions
from nncalc.core.arrays import DEFAULT_TOL
from nncalc.output.spec import Base, Format

TARGET_HELP = "Class index (0-based), distribution, '-' or @file (one index or row per line)."
PRED_HELP = "Predicted probabilities (or logits with --logits), '-' or @file."


def xent(
    target: Annotated[str | None, operand(TARGET_HELP, "TARGET")] = None,
    pred: Annotated[str | None, operand(PRED_HELP, "PRED")] = None,
    logits: Annotated[
        bool, typer.Option("--logits", help="PRED rows are logits (through log-softmax).")
    ] = False,
    temperature: TemperatureOpt = 1.0,
    eps: Annotated[
        float | None,
        typer.Option(
            "--eps",
            help="Clip PRED to [E, 1-E] and renormalise (scikit-learn log_loss).",
            metavar="E",
        ),
    ] = None,
    normalize: NormalizeOpt = False,
    tol: TolOpt = DEFAULT_TOL,
    label_smoothing: Annotated[
        float,
        typer.Option(
            "--label-smoothing",
            metavar="EPS",
            help="Smooth the target to (1-EPS)*target + EPS/C (PyTorch's label_smoothing).",
        ),
    ] = 0.0,
    weight: Annotated[
        str | None,
        typer.Option(
            "--weight",
            metavar="W1,W2,...",
            help="Class weights (PyTorch's weight): a mean over index targets divides by the "
            "sum of their weights.",
        ),
    ] = None,
    ignore_index: Annotated[
        int | None,
        typer.Option(
            "--ignore-index",
            metavar="I",
            help="Index targets equal to I count nothing (PyTorch's ignore_index).",
        ),
    ] = None,
    reduction: ReductionOpt = None,
    maximum: MaxOpt = None,
    minimum: MinOpt = None,
    base: BaseOpt = Base.e,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """Cross-entropy H(target, pred) = -sum y log y_hat; batches are averaged.

    Example: nncalc xent 2 "0.1,0.2,0.6,0.1"
    """
    how = Predictions(logits=logits, temperature=temperature, eps=eps, normalize=normalize, tol=tol)
    step = CrossEntropy(
        target,
        pred,
        how,
        label_smoothing=label_smoothing,
        weight=weight,
        ignore_index=ignore_index,
    )
    run_scalars(step, Scalars(reduction, maximum, minimum, base, fmt, digits))
