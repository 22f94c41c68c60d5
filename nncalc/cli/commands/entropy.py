"""nncalc entropy."""

from __future__ import annotations

from nncalc.cli.options import DistributionP, distribution_options, scalar_output, table_options
from nncalc.cli.pipeline import Scalars, run_scalars
from nncalc.cli.steps.distributions import Distributions, Entropy
from nncalc.cli.table_input import TableInput


@scalar_output
@table_options()
@distribution_options
def entropy(*, p: DistributionP, how: Distributions, table: TableInput, out: Scalars) -> None:
    """Shannon entropy H(P) = -sum P log P; the table adds the perplexity base^H.

    Example: nncalc entropy "0.5,0.25,0.25" --base 2
    """
    run_scalars(Entropy(p, how), out, table)
