"""nncalc js."""

from __future__ import annotations

from nncalc.cli.options import (
    DistributionP,
    DistributionQ,
    distribution_options,
    scalar_output,
    table_options,
)
from nncalc.cli.pipeline import Scalars, run_scalars
from nncalc.cli.steps.distributions import JS, Distributions
from nncalc.cli.table_input import TableInput


@scalar_output
@table_options()
@distribution_options
def js(
    p: DistributionP = None,
    q: DistributionQ = None,
    *,
    how: Distributions,
    table: TableInput,
    out: Scalars,
) -> None:
    """Jensen-Shannon divergence: symmetric, <= log 2 (1 bit), finite where KL is not.

    Example: nncalc js "1,0" "0,1" --base 2
    """
    run_scalars(JS(p, q, how), out, table)
