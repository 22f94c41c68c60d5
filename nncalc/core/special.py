"""expm1(x) - x without cancellation."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import FloatArray

SERIES_RADIUS = 1.0


# e^x - 1 - x = x^2 g(x), g(x) = sum_{n>=2} x^(n-2) / n!; 17 terms reach 1/19! at |x| = 1.
SERIES_COEFFICIENTS = [1.0 / math.factorial(n) for n in range(2, 19)]


# The terms after the first k add up to at most r^k / (k + 2)! / (1 - r / (k + 3))
# for |x| <= r <= 1 (each is at most r / (k + 3) of the one before), and
# g(x) >= g(-r) >= 1/2 - r / 6 (an alternating series of shrinking terms),
# so k terms leave at most B_k(r) = r^k / (k + 2)! / (1 - r / (k + 3)) / (1/2 - r / 6)
# of the sum. _RADII[k - 1] is a radius where B_k <= 2^-54, a quarter of the
# unit in the last place of numbers from 1 to 2, at most an eighth of the
# rounding error of the Horner steps (tests/core/test_special.py checks each
# bound with mpmath). Arrays of small values (KL of nearly equal rows) need
# only a few terms, and 11 reach |x| = 0.24, 17 all of |x| <= 1.
_RADII = [1.665e-16, 2.58e-08, 1.493e-05, 0.0003759, 0.002685, 0.01018, 0.0268, 0.05611]
_RADII += [0.1006, 0.1619, 0.2405, 0.3363, 0.4488, 0.5769, 0.7197, 0.8758, 1.0]


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


def series_terms_needed(largest: FloatArray) -> npt.NDArray[np.intp]:
    """The number of the series' terms that values |x| <= ``largest`` <= 1 need, elementwise."""
    return np.searchsorted(_RADII, largest).astype(np.intp) + 1


def series_coefficients(largest: float) -> list[float]:
    """The coefficients 1/(k + 2)! of the series' terms that |x| <= ``largest`` <= 1 needs."""
    return SERIES_COEFFICIENTS[: int(series_terms_needed(np.asarray(largest)))]


def horner(
    small: FloatArray, coefficients: Sequence[float | FloatArray], out: FloatArray
) -> FloatArray:
    """x g(x) into ``out``: Horner's steps from c_(k-1) x (one pass less than from c_(k-1))."""
    np.multiply(small, coefficients[-1], out=out)
    for coefficient in reversed(coefficients[:-1]):
        np.add(out, coefficient, out=out)
        out *= small
    return out


def _series(small: FloatArray, largest: float | None = None) -> FloatArray:
    """x^2 sum_k x^k / (k + 2)! for |x| <= 1, with as many terms as the largest |x| needs."""
    if largest is None:
        largest = float(np.max(np.abs(small))) if small.size else 0.0
    series = horner(small, series_coefficients(largest), np.empty_like(small))
    series *= small  # x g(x) so far
    return series
