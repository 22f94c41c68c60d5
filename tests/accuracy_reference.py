"""High-precision references for the accuracy suite (tests/core/test_accuracy.py).

Each function takes float64 inputs exactly as given and returns the exact
answer to 60 significant digits (mpmath). Sums and differences of the inputs
are formed exactly, in integers (the floats of a vector are whole multiples
of a common power of two), so renormalising a row, (z - max z), the ratio
p'/q' of two renormalised rows and the "rest" 1 - p of a probability within
1e-300 of 1 cost no precision; only the transcendental steps round, at 60
digits or at whatever precision the cancellation in a textbook formula
turns out to need.

Also used by ``scripts/accuracy_table.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import numpy as np
import numpy.typing as npt

DIGITS = 60
SUBNORMAL_UNIT = 2.0**-1074  # the spacing of float64 below 2^-1022
Vector = Sequence[float] | npt.NDArray[np.float64]


def _exact(values: Vector) -> tuple[list[int], int]:
    """(n, k) with values[i] == n[i] * 2^-k exactly (finite values)."""
    ratios = [float(v).as_integer_ratio() for v in values]
    scale = max(denominator for _, denominator in ratios)
    return [numerator * (scale // denominator) for numerator, denominator in ratios], (
        scale.bit_length() - 1
    )


def _ints(values: Vector) -> list[int]:
    return _exact(values)[0]


def _cached(function: Callable[..., Any]) -> Callable[..., Any]:
    """Remember results by the arguments' bytes: families are shared between tests."""
    cache: dict[tuple[Any, ...], Any] = {}

    def cached(*args: Any) -> Any:
        key = tuple(
            np.asarray(a, dtype=np.float64).tobytes() if np.ndim(a) else float(a) for a in args
        )
        if key not in cache:
            cache[key] = function(*args)
        return cache[key]

    cached.__doc__ = function.__doc__
    return cached


@_cached
def softmax_and_log(
    z: Vector, temperature: float = 1.0
) -> tuple[list[mpmath.mpf], list[mpmath.mpf]]:
    """softmax(z / T) and log softmax(z / T); -inf logits give 0 and -inf."""
    with mpmath.workdps(DIGITS):
        values = [float(v) for v in z]
        if any(v == math.inf for v in values):
            count = sum(v == math.inf for v in values)
            probs = [mpmath.mpf(1) / count if v == math.inf else mpmath.mpf(0) for v in values]
            return probs, [mpmath.log(p) if p > 0 else mpmath.ninf for p in probs]
        finite = [v for v in values if v != -math.inf]
        ints, bits = _exact(finite)
        top = max(ints)
        scale = mpmath.ldexp(1, -bits) / mpmath.mpf(temperature)
        exact = iter(ints)
        shifted = [(next(exact) - top) * scale if v != -math.inf else mpmath.ninf for v in values]
        # log sum exp = log1p(sum of the non-maximal terms): no cancellation.
        first = values.index(max(finite))
        rest = mpmath.fsum(mpmath.exp(d) for i, d in enumerate(shifted) if i != first)
        log_norm = mpmath.log1p(rest)
        logs = [d - log_norm for d in shifted]
        return [mpmath.exp(v) for v in logs], logs


@_cached
def log_probabilities(q: Vector) -> list[mpmath.mpf]:
    """log(q_i / sum q) exactly renormalised: -log1p(rest_i / q_i)."""
    with mpmath.workdps(DIGITS):
        ints = _ints(q)
        total = sum(ints)
        return [-mpmath.log1p(mpmath.mpf(total - v) / v) if v > 0 else mpmath.ninf for v in ints]


def cross_entropy_index(target: int, q: Vector) -> mpmath.mpf:
    """-log(q_y / sum q)."""
    return -log_probabilities(q)[target]


def cross_entropy_soft(y: Vector, log_q: Sequence[mpmath.mpf]) -> mpmath.mpf:
    """-sum y'_i log q_i, y' = y / sum y; ``log_q`` from the references above."""
    with mpmath.workdps(DIGITS):
        ints = _ints(y)
        total = mpmath.mpf(sum(ints))
        return -mpmath.fsum(v / total * lq for v, lq in zip(ints, log_q, strict=True) if v > 0)


def entropy(p: Vector) -> mpmath.mpf:
    """H(p') = sum p'_i log(sum p / p_i), renormalised exactly."""
    return cross_entropy_soft(p, log_probabilities(p))


def _converged(compute: Callable[[], mpmath.mpf]) -> mpmath.mpf:
    """``compute()`` at 60, 120, 240, ... digits until two runs agree to 40 digits.

    For the textbook formulas of KL and JS, whose terms cancel down to the
    result when P is close to Q (1e-25 out of terms of 1e-12 at eps = 1e-12),
    this finds the precision that cancellation needs instead of assuming it.
    """
    previous = None
    for digits in (DIGITS * 2**k for k in range(7)):
        with mpmath.workdps(digits):
            value = compute()
        agree = previous is not None and (
            value == previous or abs(value - previous) <= abs(value) * mpmath.mpf(10) ** -40
        )
        # A 0 agrees with a 0 also where the precision is too low for the
        # cancellation (a JS of 1e-282 from terms of 1: about 300 digits), so a
        # 0 counts only from 8x DIGITS on.
        if agree and (value != 0 or digits >= 8 * DIGITS):
            with mpmath.workdps(DIGITS):
                return +value
        previous = value
    raise AssertionError("the reference did not converge")


def _proportional(p: list[int], q: list[int]) -> bool:
    """Whether p / sum p == q / sum q exactly (then KL and JS are exactly 0)."""
    sp, sq = sum(p), sum(q)
    return all(a * sq == b * sp for a, b in zip(p, q, strict=True))


def _memo(
    function: Callable[[Vector, Vector], mpmath.mpf],
) -> Callable[[Vector, Vector], mpmath.mpf]:
    """Remember results by the inputs' bytes (the table script and the tests share cases)."""
    cache: dict[tuple[bytes, bytes], mpmath.mpf] = {}

    def memoised(p: Vector, q: Vector) -> mpmath.mpf:
        key = (np.asarray(p, dtype=np.float64).tobytes(), np.asarray(q, dtype=np.float64).tobytes())
        if key not in cache:
            cache[key] = function(p, q)
        return cache[key]

    memoised.__doc__ = function.__doc__
    return memoised


def _log_of_ratio(numerator: int, denominator: int) -> mpmath.mpf:
    """log(numerator / denominator) for positive integers, relative to itself.

    Near 1 the exact integer difference goes through log1p, so a ratio of
    1 + 1e-121 keeps its digits at any working precision.
    """
    difference = numerator - denominator
    if 2 * abs(difference) < denominator:
        return mpmath.log1p(mpmath.mpf(difference) / denominator)
    return mpmath.log(mpmath.mpf(numerator) / denominator)


@_memo
def kl(p: Vector, q: Vector) -> mpmath.mpf:
    """KL(p' || q') = sum p'_i log(p'_i / q'_i), the textbook sum, p'_i / q'_i exact."""
    pi, qi = _ints(p), _ints(q)
    sp, sq = sum(pi), sum(qi)
    if any(a > 0 and b == 0 for a, b in zip(pi, qi, strict=True)):
        return mpmath.inf
    if _proportional(pi, qi):
        return mpmath.mpf(0)
    # p'_i / q'_i = (p_i sq) / (q_i sp): exact integers.
    terms = [(a, a * sq, b * sp) for a, b in zip(pi, qi, strict=True) if a > 0]

    def compute() -> mpmath.mpf:
        p_sum = mpmath.mpf(sp)
        return mpmath.fsum(mpmath.mpf(a) / p_sum * _log_of_ratio(x, y) for a, x, y in terms)

    return _converged(compute)


@_memo
def js(p: Vector, q: Vector) -> mpmath.mpf:
    """1/2 KL(p' || m) + 1/2 KL(q' || m), m = (p' + q') / 2, the textbook sum, ratios exact."""
    pi, qi = _ints(p), _ints(q)
    sp, sq = sum(pi), sum(qi)
    if _proportional(pi, qi):
        return mpmath.mpf(0)
    # p'_i / m_i = 2 p_i sq / (p_i sq + q_i sp), and q'_i / m_i likewise: exact integers.
    terms = [(a, b, a * sq, b * sp) for a, b in zip(pi, qi, strict=True)]

    def compute() -> mpmath.mpf:
        p_sum, q_sum = mpmath.mpf(sp), mpmath.mpf(sq)
        parts = []
        for a, b, x, y in terms:
            if a > 0:
                parts.append(mpmath.mpf(a) / p_sum * _log_of_ratio(2 * x, x + y))
            if b > 0:
                parts.append(mpmath.mpf(b) / q_sum * _log_of_ratio(2 * y, x + y))
        return mpmath.fsum(parts) / 2

    return _converged(compute)


def relative_error(value: float, reference: mpmath.mpf, *, units: int = 1) -> float:
    """|value - reference| / |reference|, where float64 can do no better than 0.

    A value equal to the correctly rounded reference counts as exact (this
    covers 0, infinities and overflow); otherwise ``units`` units of the
    subnormal grid (2^-1074, the spacing of float64 there) are allowed
    before the relative error is taken, so subnormal results are judged
    fairly (one rounding onto that grid per term of a sum, at most).
    """
    with mpmath.workdps(DIGITS):
        rounded = float(reference)
        if value == rounded or (math.isnan(value) and mpmath.isnan(reference)):
            return 0.0
        if math.isinf(value) or mpmath.isinf(reference) or reference == 0:
            return math.inf
        excess = abs(mpmath.mpf(value) - reference) - units * mpmath.mpf(SUBNORMAL_UNIT)
        return float(max(excess, 0) / abs(reference))


def worst(values: Vector, references: Sequence[mpmath.mpf]) -> float:
    """The largest relative error over paired values and references."""
    return max(
        relative_error(float(v), r) for v, r in zip(np.ravel(values), references, strict=True)
    )
