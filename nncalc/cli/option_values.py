"""Option values Typer takes as text or numbers and nncalc checks: reductions, bounds."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from nncalc.errors import NncalcError

if TYPE_CHECKING:
    from nncalc.core.reduce import Reduction

# The spellings, as the help and the error for a bad one list them.
REDUCTIONS_SHOWN = "mean, sum, max, min, median, pNN with 0 <= NN <= 100, none"
# What shell completion offers for --reduction.
COMPLETED = ("mean", "sum", "max", "min", "median", "p90", "p95", "p99", "p99.9", "none")


def reduction_option(text: str | None) -> Reduction | None:
    """``--reduction`` as given (None: not given), parsed; a one-line error otherwise."""
    if text is None:
        return None
    from nncalc.core.reduce import parse_reduction

    try:
        return parse_reduction(text)
    except NncalcError:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise NncalcError(
            f"{shown!r} is not a reduction", operand="--reduction", hint=REDUCTIONS_SHOWN
        ) from None


def complete_reduction(incomplete: str) -> list[str]:
    """Shell completion of ``--reduction``."""
    return [name for name in COMPLETED if name.startswith(incomplete.lower())]


def bound_option(value: float | None, flag: str) -> float | None:
    """A ``--max``/``--min`` bound: a finite number (a NaN or infinite bound checks nothing)."""
    if value is not None and not math.isfinite(value):
        raise NncalcError("a bound must be a finite number", operand=flag, token=repr(value))
    return value
