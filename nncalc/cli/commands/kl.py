"""nncalc kl."""

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
from nncalc.cli.steps.distributions import KL, Distributions
from nncalc.core.arrays import DEFAULT_TOL
from nncalc.output.spec import Base, Format


def kl(
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
    """KL divergence D_KL(P || Q) = sum P log(P/Q); batches: mean over rows (batchmean).

    Example: nncalc kl "0,0,1,0" "0.1,0.2,0.6,0.1"
    """
    step = KL(p, q, Distributions(logits, temperature, normalize, tol))
    run_scalars(step, Scalars(reduction, maximum, minimum, base, fmt, digits))
