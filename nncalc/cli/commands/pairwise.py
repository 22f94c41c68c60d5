"""The command of a divergence between two distributions P and Q (kl, js).

Both take the same operands and options and differ only in the step they
run, so they are made here, once, and named in their own modules.
"""

from __future__ import annotations

from collections.abc import Callable

from nncalc.cli.options import (
    DistributionP,
    DistributionQ,
    distribution_options,
    scalar_output,
    table_options,
)
from nncalc.cli.pipeline import Scalars, ScalarStep, run_scalars
from nncalc.cli.steps.distributions import Distributions
from nncalc.cli.table_input import TableInput

Step = Callable[[str | None, str | None, Distributions], ScalarStep]


def pairwise_command(name: str, step: Step, doc: str) -> Callable[..., None]:
    """Command ``name``: ``step`` over operands P and Q; ``doc`` is its help."""

    def command(
        *,
        p: DistributionP,
        q: DistributionQ,
        how: Distributions,
        table: TableInput,
        out: Scalars,
    ) -> None:
        run_scalars(step(p, q, how), out, table)

    command.__name__ = command.__qualname__ = name
    command.__doc__ = doc
    return scalar_output(table_options()(distribution_options(command)))
