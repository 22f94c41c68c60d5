"""nncalc kl."""

from __future__ import annotations

from nncalc.cli.options import (
    DistributionP,
    DistributionQ,
    distribution_options,
    scalar_output,
    table_options,
)
from nncalc.cli.pipeline import Scalars, run_scalars
from nncalc.cli.steps.distributions import KL, Distributions
from nncalc.cli.table_input import TableInput


@scalar_output
@table_options()
@distribution_options
def kl(
    p: DistributionP = None,
    q: DistributionQ = None,
    *,
    how: Distributions,
    table: TableInput,
    out: Scalars,
) -> None:
    """KL divergence D_KL(P || Q) = sum P log(P/Q); batches: mean over rows (batchmean).

    Example: nncalc kl "0,0,1,0" "0.1,0.2,0.6,0.1"
    """
    run_scalars(KL(p, q, how), out, table)
