"""nncalc js."""

from __future__ import annotations

from nncalc.cli.options import (
    BaseOpt,
    DigitsOpt,
    DistributionP,
    DistributionQ,
    FormatOpt,
    LogitsOpt,
    MaxOpt,
    MinOpt,
    NormalizeOpt,
    ReductionOpt,
    TemperatureOpt,
    TolOpt,
)
from nncalc.cli.pipeline import Scalars, run_scalars
from nncalc.cli.steps.distributions import JS, Distributions
from nncalc.core.arrays import DEFAULT_TOL
from nncalc.output.spec import Base, Format


def js(
    p: DistributionP = None,
    q: DistributionQ = None,
    logits: LogitsOpt = False,
    temperature: TemperatureOpt = 1.0,
    normalize: NormalizeOpt = False,
    tol: TolOpt = DEFAULT_TOL,
    reduction: ReductionOpt = None,
    maximum: MaxOpt = None,
    minimum: MinOpt = None,
    base: BaseOpt = Base.e,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """Jensen-Shannon divergence: symmetric, <= log 2 (1 bit), finite where KL is not.

    Example: nncalc js "1,0" "0,1" --base 2
    """
    step = JS(p, q, Distributions(logits, temperature, normalize, tol))
    run_scalars(step, Scalars(reduction, maximum, minimum, base, fmt, digits))
