"""Print the README's accuracy table: nncalc's KL next to what people use instead.

Each row is a family of (P, Q) pairs from ``tests/accuracy_cases.py``
(fixed seeds, so the output is the same on every run); each cell is the
worst relative error over the family against a 60-digit mpmath reference
(``tests/accuracy_reference.py``), as a power of ten it does not exceed,
and how many results came out negative. Errors below 1e-14 (a few dozen
ulp) show as "< 1e-14": their last digit depends on the machine's libm,
and the table must print the same everywhere. Compared: ``nncalc.kl_divergence``,
``scipy.stats.entropy(p, q)`` and the naive ``sum(p * log(p / q))``.

Run from anywhere (needs the test extra: mpmath, scipy):

    python scripts/accuracy_table.py

``tests/core/test_accuracy.py`` checks that README.md holds exactly this output.
"""

from __future__ import annotations

import math
import statistics
import sys
from pathlib import Path

import numpy as np
import scipy.stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nncalc import kl_divergence  # noqa: E402
from tests import accuracy_reference as reference  # noqa: E402
from tests.accuracy_cases import KLFamily, kl_families  # noqa: E402

HEADER = "| case | KL | nncalc | `scipy.stats.entropy` | `sum(p*log(p/q))` |"
RULE = "|---|---|---|---|---|"


def naive(p: np.ndarray, q: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return float(np.sum(np.where(p > 0, p * np.log(p / q), 0.0)))


def scipy_kl(p: np.ndarray, q: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return float(scipy.stats.entropy(p, q))


def nncalc_kl(p: np.ndarray, q: np.ndarray) -> float:
    return float(kl_divergence(p, q))


FLOOR = 1e-14


def bound(error: float) -> str:
    """'< 1e-14', '≤ 1e3' (the smallest power of ten >= error) or '∞'."""
    if error < FLOOR:
        return "< 1e-14"
    if not math.isfinite(error):
        return "∞"
    return f"≤ 1e{math.ceil(round(math.log10(error), 9))}"


def cell(errors: list[float], values: list[float]) -> str:
    text = bound(max(errors))
    negative = sum(v < 0 for v in values)
    if negative:
        text += f", {negative} of {len(values)} negative"
    return text


def row(family: KLFamily) -> str:
    references = [reference.kl(p, q) for p, q in family.pairs]
    size = statistics.median(float(r) for r in references)
    columns = [family.name, f"~1e{round(math.log10(size))}"]
    for method in (nncalc_kl, scipy_kl, naive):
        values = [method(p, q) for p, q in family.pairs]
        errors = [reference.relative_error(v, r) for v, r in zip(values, references, strict=True)]
        columns.append(cell(errors, values))
    return "| " + " | ".join(columns) + " |"


def table(families: list[KLFamily]) -> str:
    return "\n".join([HEADER, RULE, *(row(family) for family in families)])


def main() -> None:
    print(table(kl_families()))


if __name__ == "__main__":
    main()
