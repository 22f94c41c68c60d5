"""nncalc kl-approx."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from nncalc.cli.options import (
    operand,
    scalar_output,
    table_options,
)
from nncalc.cli.pipeline import Scalars, run_scalars
from nncalc.cli.steps.models import KlApprox
from nncalc.cli.table_input import TableInput

LOGP_HELP = "log p(x) of the samples under p (the new policy): vector, '-' or @file."
LOGQ_HELP = "log q(x) under q, the policy the samples x were drawn from."


class Estimator(str, Enum):
    k1 = "k1"
    k2 = "k2"
    k3 = "k3"


LogpArg = Annotated[str | None, operand(LOGP_HELP, "LOGP")]
LogqArg = Annotated[str | None, operand(LOGQ_HELP, "LOGQ")]
EstimatorOpt = Annotated[
    Estimator,
    typer.Option("--estimator", "-k", help="The scalar result: k1, k2 or k3 (unbiased, >= 0)."),
]
StatsOpt = Annotated[
    bool,
    typer.Option(
        "--stats", help="Mean and standard error of k1, k2, k3 over all samples (a record)."
    ),
]


@scalar_output
@table_options()
def kl_approx(
    *,
    logp: LogpArg,
    logq: LogqArg,
    estimator: EstimatorOpt = Estimator.k3,
    stats: StatsOpt,
    table: TableInput,
    out: Scalars,
) -> None:
    """Schulman's estimators of KL(q || p) from log-probs of samples x ~ q (PPO, GRPO).

    With log r = logp - logq: k1 = -log r, k2 = (log r)^2/2, k3 = (r - 1) - log r.
    A row's result is the mean of k3 (or --estimator) over its samples.

    Example: nncalc kl-approx "-1.2,-0.7,-2.3" "-1.0,-0.9,-2.0"
    """
    step = KlApprox(logp, logq, estimator=estimator.value, stats=stats, reduction=out.reduction)
    run_scalars(step, out, table)
