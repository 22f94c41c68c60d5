"""nncalc kl-normal."""

from __future__ import annotations

from typing import Annotated

import typer

from nncalc.cli.options import (
    operand,
    operand_option,
    scalar_output,
    table_options,
)
from nncalc.cli.pipeline import Scalars, run_scalars
from nncalc.cli.steps.models import KlNormal
from nncalc.cli.table_input import TableInput

MU_HELP = "Means mu (one column per latent dim): a vector, '-' or @file."
LOGVAR_HELP = "Log-variances log sigma^2 (sigmas with --std): a vector, '-' or @file."


MuArg = Annotated[str | None, operand(MU_HELP, "MU")]
LogvarArg = Annotated[str | None, operand(LOGVAR_HELP, "LOGVAR")]
Logvar2Opt = Annotated[
    str | None,
    operand_option(
        "--logvar2",
        help="Its log-variance (default 0, i.e. N(0, I)); a sigma with --std.",
    ),
]
StdOpt = Annotated[
    bool,
    typer.Option("--std", help="LOGVAR and --logvar2 are standard deviations sigma > 0."),
]
ReconOpt = Annotated[
    float | None,
    typer.Option(
        "--recon",
        metavar="R",
        help="Reconstruction loss R: also print the VAE loss R + beta * KL and its parts.",
    ),
]
BetaOpt = Annotated[
    float | None,
    typer.Option("--beta", metavar="B", help="Weight of the KL in the VAE loss (default 1)."),
]


@scalar_output
@table_options()
def kl_normal(
    *,
    mu: MuArg,
    logvar: LogvarArg,
    mu2: Annotated[
        str | None,
        operand_option(
            "--mu2", help="Mean of the second Gaussian (default 0): vector, '-' or @file."
        ),
    ],
    logvar2: Logvar2Opt,
    std: StdOpt,
    recon: ReconOpt,
    beta: BetaOpt,
    table: TableInput,
    out: Scalars,
) -> None:
    """KL(N(mu, sigma^2) || N(mu2, sigma2^2)) for diagonal Gaussians, summed over dims.

    Example: nncalc kl-normal "0.5,-1" "0.1,-0.2"
    """
    step = KlNormal(mu, logvar, mu2, logvar2, std=std, recon=recon, beta=beta)
    run_scalars(step, out, table)
