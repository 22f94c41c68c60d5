"""Print the README's accuracy tables: nncalc's KL next to what people use instead.

Each row is a family of (P, Q) pairs from ``tests/accuracy_cases.py``
(fixed seeds, so the output is the same on every run); each cell is the
worst relative error over the family against a 60-digit mpmath reference
(``tests/accuracy_reference.py``), as a power of ten it does not exceed,
and how many results came out negative. Errors below 1e-14 (a few dozen
ulp) show as "< 1e-14": their last digit depends on the machine's libm,
and the table must print the same everywhere. Compared: ``nncalc.kl_divergence``,
``scipy.stats.entropy(p, q)`` and the naive ``sum(p * log(p / q))``.

The second table does the same for KL from logits (families from
``tests/core/logits_cases.py``, 80-digit references from
``tests/core/logits_reference.py``): nncalc's ``kl_logits_rows`` (what
``kl --logits`` computes), PyTorch's ``F.kl_div(F.log_softmax(w / T),
F.log_softmax(z / T), log_target=True, reduction="sum")`` (its float64
formula, emulated in NumPy so the table needs no torch: max-shifted
log-softmax, then sum(exp(lp) * (lp - lq))) and SciPy's
``sum(softmax(z / T) * (log_softmax(z / T) - log_softmax(w / T)))``.

Run from anywhere (needs the test extra: mpmath, scipy):

    python scripts/accuracy_table.py

``tests/test_accuracy.py`` checks that README.md holds exactly this output.
"""

from __future__ import annotations

import math
import statistics
import sys
from pathlib import Path

import numpy as np
import scipy.special
import scipy.stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nncalc import kl_divergence  # noqa: E402
from nncalc.core.from_logits import kl_logits_rows  # noqa: E402
from tests import accuracy_reference as reference  # noqa: E402
from tests.accuracy_cases import KLFamily, kl_families  # noqa: E402
from tests.core import logits_reference  # noqa: E402
from tests.core.logits_cases import LogitFamily, logit_families  # noqa: E402

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


LOGITS_HEADER = (
    "| from logits | KL | nncalc | PyTorch `kl_div(log_softmax, log_target)` "
    "| SciPy `softmax·(log_softmax − log_softmax)` |"
)


def torch_log_softmax(logits: np.ndarray) -> np.ndarray:
    """torch.log_softmax in float64: x - max - log(sum(exp(x - max)))."""
    shifted = logits - np.max(logits)
    with np.errstate(divide="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted)))


def torch_kl(z: np.ndarray, w: np.ndarray, t: float) -> float:
    """F.kl_div(log_softmax(w / t), log_softmax(z / t), log_target=True, reduction="sum")."""
    target, log_input = torch_log_softmax(z / t), torch_log_softmax(w / t)
    with np.errstate(invalid="ignore", over="ignore"):
        return float(np.sum(np.exp(target) * (target - log_input)))


def scipy_logits_kl(z: np.ndarray, w: np.ndarray, t: float) -> float:
    log_p = scipy.special.log_softmax(z / t)
    with np.errstate(invalid="ignore", over="ignore"):
        difference = log_p - scipy.special.log_softmax(w / t)
        return float(np.sum(scipy.special.softmax(z / t) * difference))


def nncalc_logits_kl(z: np.ndarray, w: np.ndarray, t: float) -> float:
    return float(kl_logits_rows(z, w, t)[0])


def logits_cell(errors: list[float], values: list[float]) -> str:
    nan = sum(math.isnan(v) for v in values)
    if nan:
        return f"NaN for {nan} of {len(values)}"
    return cell(errors, values)


def logits_row(family: LogitFamily) -> str:
    references = [logits_reference.kl(z, w, t) for z, w, t in family.cases]
    size = statistics.median(float(r) for r in references)
    columns = [family.name, f"~1e{round(math.log10(size))}"]
    for method in (nncalc_logits_kl, torch_kl, scipy_logits_kl):
        values = [method(z, w, t) for z, w, t in family.cases]
        errors = [reference.relative_error(v, r) for v, r in zip(values, references, strict=True)]
        columns.append(logits_cell(errors, values))
    return "| " + " | ".join(columns) + " |"


def logits_table(families: list[LogitFamily]) -> str:
    return "\n".join([LOGITS_HEADER, RULE, *(logits_row(family) for family in families)])


def main() -> None:
    print(table(kl_families()))
    print()
    print(logits_table(logit_families()))


if __name__ == "__main__":
    main()
