"""nncalc entropy."""

from __future__ import annotations

from nncalc.cli.options import (
    BaseOpt,
    DigitsOpt,
    DistributionP,
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
from nncalc.cli.steps.distributions import Distributions, Entropy
from nncalc.core.arrays import DEFAULT_TOL
from nncalc.output.spec import Base, Format


def entropy(
    p: DistributionP = None,
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
    """Shannon entropy H(P) = -sum P log P; the table adds the perplexity base^H.

    Example: nncalc entropy "0.5,0.25,0.25" --base 2
    """
    step = Entropy(p, Distributions(logits, temperature, normalize, tol))
    run_scalars(step, Scalars(reduction, maximum, minimum, base, fmt, digits))
