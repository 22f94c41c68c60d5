"""expm1(x) - x without cancellation."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import FloatArray

SERIES_RADIUS = 1.0


# e^x - 1 - x = x^2 sum_{n>=2} x^(n-2) / n!; 24 terms reach 1/25! ~ 6e-26 at |x| = 1.
_COEFFICIENTS = [1.0 / math.factorial(n) for n in range(2, 26)]


# The first k terms leave at most 3 |x|^k / (k + 2)! of the sum (relative),
# which is below 2^-56 while |x| <= _RADII[k - 1]: arrays of small values
# (KL of nearly equal rows) need only a few terms.
_RADII = [(math.factorial(k + 2) * 2.0**-56 / 3.0) ** (1.0 / k) for k in range(1, 25)]


def expm1_minus_x(x: npt.ArrayLike, bounds: tuple[float, float] | None = None) -> FloatArray:
    """e^x - 1 - x, elementwise, >= 0 for every x.

    Domain: any float; +inf gives inf, -inf gives inf. Accuracy: a few ulp
    relative everywhere: a Taylor series for |x| <= 1 (no cancellation),
    ``expm1(x) - x`` outside, where the two parts differ by at most a factor
    ~4.5 so the subtraction costs at most a few ulp. Overflows to inf for
    x > ~709.78, like exp. ``bounds``, when the caller knows them, are
    (max x, min x) as np.max and np.min give them (NaN if some x is NaN).
    """
    values = np.asarray(x, dtype=np.float64)
    if values.size == 0:
        return np.zeros(values.shape)
    if bounds is None:
        bounds = float(np.max(values)), float(np.min(values))
    top, bottom = bounds  # NaN: neither test below holds
    if top <= SERIES_RADIUS and bottom >= -SERIES_RADIUS:
        # nothing for expm1: the series alone (KL of nearly equal rows). It is
        # x^2 g(x) with g >= g(-1) = 1/e on [-1, 1], and every Horner step is
        # a tail of the series, > 0.6 of its first term: never negative.
        return _series(values, max(top, -bottom))
    near = (values <= SERIES_RADIUS) & (values >= -SERIES_RADIUS)
    with np.errstate(over="ignore", invalid="ignore"):
        result = np.asarray(np.expm1(values), dtype=np.float64)
        result -= values
    if not np.max(values) < np.inf:  # +inf (or NaN) somewhere
        result[values == np.inf] = np.inf
    if near.any():
        result[near] = _series(values[near])
    return np.maximum(result, 0.0, out=result)


def _series(small: FloatArray, largest: float | None = None) -> FloatArray:
    """x^2 sum_k x^k / (k + 2)! for |x| <= 1, with as many terms as the largest |x| needs."""
    if largest is None:
        largest = float(np.max(np.abs(small))) if small.size else 0.0
    terms = next((k + 1 for k, radius in enumerate(_RADII) if largest <= radius), 24)
    # Horner from c_(k-1) x: one pass less than starting from a full array of c_(k-1)
    series = small * _COEFFICIENTS[terms - 1]
    for coefficient in reversed(_COEFFICIENTS[: terms - 1]):
        series += coefficient
        series *= small
    series *= small  # x g(x) so far
    return series
