"""Gates on named statistics, for CI: ``kl.p99<=1e-3``, ``top1_agree>=0.995``.

A gate is ``NAME<=X`` or ``NAME>=X`` (spaces around the parts allowed), with
NAME one of the report's statistics (:data:`~nncalc.core.compare_report.STATISTICS`)
and X a finite number. It passes when the statistic satisfies the bound; a
NaN statistic fails every gate (NaN compares false), an infinite one
compares as infinity.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from nncalc.core.compare_report import STATISTICS, TARGET_STATISTICS
from nncalc.errors import NncalcError

__all__ = ["Gate", "GateResult", "parse_gate"]


_GATE = re.compile(r"\s*(?P<name>[^<>=\s]+)\s*(?P<op><=|>=)\s*(?P<bound>[^<>=\s]+)\s*")


_FORM = "a gate is NAME<=X or NAME>=X, e.g. 'kl.p99<=1e-3'"


class Statistics(Protocol):
    """Anything that gives a statistic's value by name (a CompareReport)."""

    def value(self, name: str) -> float | int | None: ...


@dataclass(frozen=True)
class Gate:
    """A bound on one named statistic: ``name op bound`` with op '<=' or '>='."""

    name: str
    op: str
    bound: float

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.bound!r}"

    def check(self, report: Statistics | Mapping[str, float | int | None]) -> GateResult:
        """Compare the report's statistic with the bound.

        NncalcError when the report has no value for it (a target statistic
        of a report made without targets).
        """
        value = report.get(self.name) if isinstance(report, Mapping) else report.value(self.name)
        if value is None:
            needs = " (pass target=)" if self.name in TARGET_STATISTICS else ""
            raise NncalcError(f"gate {str(self)!r}: {self.name} has no value{needs}")
        return GateResult(self, float(value))

    def holds(self, value: float) -> bool:
        """Whether ``value`` is within the bound (never for NaN)."""
        return value <= self.bound if self.op == "<=" else value >= self.bound


@dataclass(frozen=True)
class GateResult:
    """The outcome of a gate: the statistic's value and whether it passed."""

    gate: Gate
    value: float

    def __str__(self) -> str:
        """'kl.p99 = 0.0012, not <= 0.001' (or '..., <= 0.001' when passed)."""
        verdict = "" if self.passed else "not "
        return f"{self.gate.name} = {self.value!r}, {verdict}{self.gate.op} {self.gate.bound!r}"

    @property
    def passed(self) -> bool:
        return self.gate.holds(self.value)


def parse_gate(expr: str, names: Sequence[str] = STATISTICS) -> Gate:
    """The gate written ``expr``; NncalcError for a bad form, name or bound.

    ``names`` are the valid statistic names (the comparison report's by
    default); an unknown name is reported with the list of valid ones.
    """
    match = _GATE.fullmatch(expr)
    if match is None:
        raise NncalcError(f"cannot read gate {expr!r}: {_FORM}")
    name, op, bound_text = match.group("name", "op", "bound")
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        guess = f"did you mean {close[0]!r}? " if close else ""
        raise NncalcError(
            f"unknown statistic {name!r}",
            token=expr,
            hint=f"{guess}valid names: {', '.join(names)}",
        )
    try:
        bound = float(bound_text)
    except ValueError:
        raise NncalcError(f"the bound {bound_text!r} in gate {expr!r} is not a number") from None
    if not math.isfinite(bound):
        raise NncalcError(f"the bound in gate {expr!r} must be a finite number, not {bound_text}")
    return Gate(name, op, bound)
