"""The elementwise passes of :mod:`nncalc.core.from_logits`, run tile by tile.

A row of a 128k vocabulary is 1 MB of float64: step by step over whole rows,
each of the dozens of passes of the log-ratio and of the series streams its
arrays through the caches again. Here each tile (:func:`~nncalc.core.arrays.tiles`)
goes through every step while it is in the core's own cache, into reused
scratch arrays. The steps are the same operations in the same order as on
whole arrays, so the values are the same bit for bit as step by step on
whole rows. NumPy only.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import TILE_VALUES, FloatArray, tiles
from nncalc.core.special import (
    SERIES_COEFFICIENTS,
    SERIES_RADIUS,
    horner,
    series_terms_needed,
)

__all__ = ["log_ratio", "series_terms"]


def log_ratio(
    z: FloatArray,
    w: FloatArray,
    tops: tuple[FloatArray, FloatArray],
    norm_gap: FloatArray,
    temperature: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(x, max x per row, min x per row): x = ((w - z) - (top_high + top_low)) / T - norm_gap.

    ``tops`` = (top_high, top_low) per row, an exact split of max w - max z;
    w - z is split exactly (TwoSum, as :func:`~nncalc.core.numerics.two_difference`)
    and its rounding error added back after top_high is taken off. A row's
    max and min are NaN when some x of it is NaN, as np.max and np.min give them.
    """
    top_high, top_low = tops
    x = np.empty(np.broadcast_shapes(z.shape, w.shape))
    low_part, scratch = np.empty(TILE_VALUES), np.empty(TILE_VALUES)
    with_low = bool(np.any(top_low))  # often 0: max w - max z exact
    highs, lows = np.full(len(x), -np.inf), np.full(len(x), np.inf)
    with np.errstate(invalid="ignore", over="ignore"):
        for rows, columns in tiles(x.shape):
            a, b, d = w[rows, columns], z[rows, columns], x[rows, columns]
            e = low_part[: d.size].reshape(d.shape)
            virtual = scratch[: d.size].reshape(d.shape)
            np.subtract(a, b, out=d)
            np.subtract(d, a, out=virtual)  # -b as the difference saw it
            np.subtract(d, virtual, out=e)
            np.subtract(a, e, out=e)
            virtual += b
            e -= virtual  # d + e = a - b exactly
            d -= top_high[rows, None]
            if with_low:
                e -= top_low[rows, None]
            d += e
            if temperature != 1.0:
                d /= temperature
            d -= norm_gap[rows, None]
            np.maximum(highs[rows], np.max(d, axis=-1), out=highs[rows])  # NaN stays NaN
            np.minimum(lows[rows], np.min(d, axis=-1), out=lows[rows])
    return x, highs, lows


def series_terms(
    x: FloatArray, p: FloatArray, bounds: tuple[FloatArray, FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """(p f(x), p x) with f(x) = e^x - 1 - x (:func:`~nncalc.core.special.expm1_minus_x`).

    ``bounds`` = (max x, min x) per row. Each row is computed on its own
    terms, so its values do not depend on the rows computed with it: a row
    within the series' radius runs the series for x g(x) = f(x) / x with
    the terms its largest |x| needs, tile by tile, times p x (two
    roundings, as x then p would take); any other row takes
    ``expm1(x) - x`` where |x| > 1 and the series, with the terms the
    row's largest such |x| needs, where |x| <= 1.
    """
    inside = (bounds[0] <= SERIES_RADIUS) & (bounds[1] >= -SERIES_RADIUS)  # NaN: outside
    if inside.all():
        return _series_rows(x, p, series_terms_needed(np.maximum(bounds[0], -bounds[1])))
    if not inside.any():
        return _outside_rows(x, p)
    terms, moments = np.empty(x.shape), np.empty(x.shape)
    near, far = np.flatnonzero(inside), np.flatnonzero(~inside)
    largest = np.maximum(bounds[0][near], -bounds[1][near])
    terms[near], moments[near] = _series_rows(x[near], p[near], series_terms_needed(largest))
    terms[far], moments[far] = _outside_rows(x[far], p[far])
    return terms, moments


def _series_rows(
    x: FloatArray, p: FloatArray, counts: npt.NDArray[np.intp]
) -> tuple[FloatArray, FloatArray]:
    """(p f(x), p x) for rows of |x| <= 1, the series with ``counts`` terms per row."""
    terms, moments = np.empty(x.shape), np.empty(x.shape)
    for rows, columns in tiles(x.shape):
        small, series = x[rows, columns], terms[rows, columns]
        horner(small, _row_coefficients(counts[rows]), series)
        moment = moments[rows, columns]
        np.multiply(p[rows, columns], small, out=moment)
        series *= moment  # x g(x) times p x: p f(x), one pass less than x then p
    return terms, moments


def _outside_rows(x: FloatArray, p: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(p f(x), p x) for rows with some |x| > 1 (or not finite): f as expm1_minus_x forms it.

    The entries with |x| <= 1 are gathered, those of the rows that need the
    same number of terms together (1-D gathers are several times faster
    than masks of rows and columns), and the series replaces expm1(x) - x
    there.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        magnitude = np.abs(x)
        near = magnitude <= SERIES_RADIUS  # NaN: not near
        magnitude[~near] = 0.0
        counts = series_terms_needed(np.max(magnitude, axis=-1))
        result = np.expm1(x)
        result -= x
        if not np.max(x) < np.inf:  # +inf (or NaN) somewhere
            result[x == np.inf] = np.inf
        groups = np.unique(counts)
        for count in groups:
            flat = np.flatnonzero(near if len(groups) == 1 else near & (counts == count)[:, None])
            small = x.ravel().take(flat)
            series = horner(small, list(SERIES_COEFFICIENTS[:count]), np.empty(len(flat)))
            series *= small  # x^2 g(x) = f(x)
            result.ravel()[flat] = series
        terms = np.maximum(result, 0.0, out=result)  # NaN stays NaN
        terms *= p
    return terms, p * x


def _row_coefficients(counts: npt.NDArray[np.intp]) -> list[float | FloatArray]:
    """The series' coefficients for rows needing ``counts`` terms: numbers when all need
    the same, else columns with 0 past each row's own terms.

    Horner's steps over a 0 coefficient keep 0 until the row's last
    coefficient is added (0 + c is c exactly), so each row gets exactly
    the values its own number of terms gives.
    """
    most = int(np.max(counts))
    if most == int(np.min(counts)):
        return list(SERIES_COEFFICIENTS[:most])
    return [
        np.where(counts > k, coefficient, 0.0)[:, None]
        for k, coefficient in enumerate(SERIES_COEFFICIENTS[:most])
    ]
