"""Streaming sums, means, standard errors and correlations of per-row values.

Chunks of values arrive one at a time; memory stays flat (a few numbers and
one Python integer per accumulator) however many rows pass through.

- The sum is exact: every float64 is an integer multiple of 2^-1074, so the
  sum of a chunk is accumulated as one Python integer in units of 2^-1126
  and rounded once at the end (correctly rounded sum and mean; a sum beyond
  the float64 range is +-inf, while the mean of values near 1e308 stays
  finite). No order of arrival changes the result.
- The variance merges per-chunk sums of squared deviations with Chan,
  Golub and LeVeque's update (1979), each chunk's part by the corrected
  two-pass formula around the chunk's (correctly rounded) mean: a few ulp
  relative error, with no cancellation of a large mean against a small spread.
- Non-finite values are counted apart: a NaN makes every statistic NaN;
  +inf and -inf make the sum and mean infinite (NaN when both occur) and the
  variance undefined (NaN).
"""

from __future__ import annotations

import math

import numpy as np

from nncalc.core.arrays import FloatArray

# frexp gives x = m 2^e with 1/2 <= |m| < 1; m 2^53 is an integer and
# e - 53 >= -1126 (the smallest subnormal is 2^-1074 = (1/2) 2^-1073).
_UNIT_EXPONENT = 1126
_LOWEST_EXPONENT = -1073
_EXPONENTS = 1024 - _LOWEST_EXPONENT + 1
# Mantissas are split into halves below 2^27 and 2^26, so that np.bincount
# adds up to 2^26 of them in float64 without rounding.
_HALF = 2.0**26
_EXACT_COUNT = 1 << 26


class ExactSum:
    """The exact sum of finite float64 values, rounded once when read."""

    def __init__(self) -> None:
        self.scaled = 0  # the sum times 2^1126, exactly

    def add(self, values: FloatArray) -> None:
        """Add finite values (the caller keeps NaN and infinities out)."""
        for start in range(0, len(values), _EXACT_COUNT):
            self.scaled += _scaled_sum(values[start : start + _EXACT_COUNT])

    def merge(self, other: ExactSum) -> None:
        self.scaled += other.scaled

    def value(self) -> float:
        """The correctly rounded sum (+-inf beyond the float64 range)."""
        return _divide(self.scaled, 1 << _UNIT_EXPONENT)

    def mean(self, count: int) -> float:
        """The correctly rounded sum / count (NaN for no values)."""
        if count == 0:
            return math.nan
        return _divide(self.scaled, count << _UNIT_EXPONENT)


def _scaled_sum(values: FloatArray) -> int:
    """sum(values) * 2^1126 as an exact integer, by binary exponent."""
    mantissas, exponents = np.frexp(values)
    scaled = mantissas * 2.0**53
    high = np.floor(scaled / _HALF)
    low = scaled - high * _HALF
    buckets = exponents - _LOWEST_EXPONENT
    highs = np.bincount(buckets, weights=high, minlength=_EXPONENTS)
    lows = np.bincount(buckets, weights=low, minlength=_EXPONENTS)
    total = 0
    for bucket in np.flatnonzero((highs != 0) | (lows != 0)).tolist():
        integer = int(highs[bucket]) * (1 << 26) + int(lows[bucket])
        total += integer << (bucket + _LOWEST_EXPONENT - 53 + _UNIT_EXPONENT)
    return total


def _divide(numerator: int, denominator: int) -> float:
    """numerator / denominator correctly rounded; +-inf when out of range."""
    try:
        return numerator / denominator
    except OverflowError:
        return math.inf if numerator > 0 else -math.inf


class Moments:
    """Count, exact sum, mean, variance, min and max of a stream of values.

    ``spread=False`` skips the variance (one pass less per chunk).
    """

    def __init__(self, *, spread: bool = True) -> None:
        self.spread = spread
        self.count = 0
        self.nan = 0
        self.plus_inf = 0
        self.minus_inf = 0
        self.total = ExactSum()
        self.m2 = 0.0  # sum of squared deviations from the mean (finite values)
        self.minimum = math.inf
        self.maximum = -math.inf

    def add(self, values: FloatArray) -> None:
        """Add a 1-D chunk of values."""
        if len(values) == 0:
            return
        finite = np.isfinite(values)
        if not finite.all():
            self.nan += int(np.count_nonzero(np.isnan(values)))
            self.plus_inf += int(np.count_nonzero(values == np.inf))
            self.minus_inf += int(np.count_nonzero(values == -np.inf))
            values = values[finite]
            self.count += len(finite) - len(values)
        if len(values) == 0:
            return
        self.minimum = min(self.minimum, float(np.min(values)))
        self.maximum = max(self.maximum, float(np.max(values)))
        chunk = ExactSum()
        chunk.add(values)
        n = len(values)
        if self.spread:
            self._merge_spread(values, chunk)
        self.total.merge(chunk)
        self.count += n

    def _merge_spread(self, values: FloatArray, chunk: ExactSum) -> None:
        """Chan et al.'s update of the sum of squared deviations.

        The difference of the two means is formed from the exact sums and
        rounded once: rounded means would lose its digits when the spread is
        small next to the mean.
        """
        n = len(values)
        chunk_m2 = _centred_squares(values, chunk.mean(n))
        finite_before = self.finite_count
        if finite_before:
            delta = _mean_gap(chunk, n, self.total, finite_before)
            combined = finite_before + n
            self.m2 += chunk_m2 + delta * delta * (finite_before / combined) * n
        else:
            self.m2 = chunk_m2

    @property
    def finite_count(self) -> int:
        """How many of the values are finite."""
        return self.count - self.nan - self.plus_inf - self.minus_inf

    def _special(self) -> float | None:
        """The value every mean-like statistic takes when a value is not finite."""
        if self.nan or (self.plus_inf and self.minus_inf):
            return math.nan
        if self.plus_inf:
            return math.inf
        if self.minus_inf:
            return -math.inf
        return None

    def sum(self) -> float:
        """The correctly rounded sum; 0.0 for no values."""
        special = self._special()
        return self.total.value() if special is None else special

    def mean(self) -> float:
        """The correctly rounded mean; NaN for no values."""
        special = self._special()
        return self.total.mean(self.count) if special is None else special

    def variance(self) -> float:
        """Sample variance sum (x - mean)^2 / (n - 1) (ddof = 1).

        NaN for fewer than two values or when any value is not finite.
        """
        if self.count < 2 or self.finite_count != self.count or not self.spread:
            return math.nan
        return max(self.m2, 0.0) / (self.count - 1)

    def std_error(self) -> float:
        """Standard error of the mean: sample std (ddof = 1) / sqrt(n)."""
        return math.sqrt(self.variance() / self.count) if self.count >= 2 else math.nan

    def min(self) -> float:
        """The smallest value; NaN for no values or any NaN."""
        return self._extreme(self.minimum, self.minus_inf, -math.inf)

    def max(self) -> float:
        """The largest value; NaN for no values or any NaN."""
        return self._extreme(self.maximum, self.plus_inf, math.inf)

    def _extreme(self, finite: float, infinities: int, infinity: float) -> float:
        if self.nan or self.count == 0:
            return math.nan
        if infinities:
            return infinity
        if self.finite_count == 0:  # only infinities of the other sign
            return -infinity
        return finite


def _centred_squares(values: FloatArray, mean: float) -> float:
    """sum (x - mean)^2 - (sum (x - mean))^2 / n: the corrected two-pass formula."""
    with np.errstate(over="ignore"):  # a spread beyond 1e308 is inf
        deviations = values - mean
        correction = float(np.sum(deviations))
        squares = float(np.dot(deviations, deviations))
    return max(squares - correction * correction / len(values), 0.0)


class CoMoments:
    """Two paired streams: their moments and their co-moment, for Pearson's r."""

    def __init__(self) -> None:
        self.x = Moments()
        self.y = Moments()
        self.c = 0.0  # sum (x - mean x)(y - mean y) over finite pairs

    def add(self, x: FloatArray, y: FloatArray) -> None:
        """Add paired 1-D chunks of equal length."""
        n_before, n = self.x.count, len(x)
        # Once a pair is not finite, r is NaN: the co-moment no longer matters.
        finite = self.x.finite_count == n_before == self.y.finite_count
        if n and finite and np.isfinite(x).all() and np.isfinite(y).all():
            x_sum, y_sum = ExactSum(), ExactSum()
            x_sum.add(x)
            y_sum.add(y)
            dx, dy = x - x_sum.mean(n), y - y_sum.mean(n)
            chunk_c = float(np.dot(dx, dy)) - float(np.sum(dx)) * float(np.sum(dy)) / n
            if n_before:
                gap_x = _mean_gap(x_sum, n, self.x.total, n_before)
                gap_y = _mean_gap(y_sum, n, self.y.total, n_before)
                self.c += chunk_c + gap_x * gap_y * (n_before / (n_before + n)) * n
            else:
                self.c = chunk_c
        self.x.add(x)
        self.y.add(y)

    def pearson_r(self) -> float:
        """Pearson's correlation coefficient, clipped to [-1, 1].

        NaN for fewer than two pairs, a non-finite value, or a constant stream.
        """
        vx, vy = self.x.variance(), self.y.variance()
        if not (vx > 0 and vy > 0):
            return math.nan
        r = self.c / (self.x.count - 1) / math.sqrt(vx * vy)
        return min(max(r, -1.0), 1.0)


def _mean_gap(chunk: ExactSum, n: int, total: ExactSum, n_before: int) -> float:
    """mean(chunk) - mean(before), from the exact sums, rounded once."""
    gap = chunk.scaled * n_before - total.scaled * n
    return _divide(gap, (n_before * n) << _UNIT_EXPONENT)
