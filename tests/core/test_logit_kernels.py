"""The tiled kernels of the log-ratio and the KL terms (core/logit_kernels.py)."""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest

from nncalc.core.arrays import TILE_VALUES, tiles
from nncalc.core.from_logits import kl_logits_rows
from nncalc.core.logit_kernels import log_ratio, series_terms
from nncalc.core.numerics import two_difference, two_sum
from nncalc.core.special import _RADII, SERIES_COEFFICIENTS, expm1_minus_x

WIDE = 70_000  # wider than a tile: rows are cut into pieces of columns


@pytest.mark.parametrize(
    "shape", [(3, WIDE), (5000, 7), (1, 1), (4, TILE_VALUES), (2, TILE_VALUES + 1)]
)
def test_tiles_cover_every_value_once(shape: tuple[int, int]) -> None:
    seen = np.zeros(shape, dtype=int)
    for rows, columns in tiles(shape):
        seen[rows, columns] += 1
        assert seen[rows, columns].size <= max(TILE_VALUES, shape[1])
    assert (seen == 1).all()


@pytest.mark.parametrize("shape", [(3, WIDE), (700, 50)])
@pytest.mark.parametrize("temperature", [1.0, 0.3])
def test_log_ratio_is_the_whole_array_steps_bit_for_bit(
    shape: tuple[int, int], temperature: float
) -> None:
    rng = np.random.default_rng(7)
    z = rng.normal(0.0, 30.0, shape)
    w = z + rng.normal(0.0, 1e-6, shape) + 1e-9 * rng.normal(size=(shape[0], 1))
    tops = two_sum(np.max(w, axis=-1), -np.max(z, axis=-1))
    gap = rng.normal(0.0, 1e-3, shape[0])
    x, top, bottom = log_ratio(z, w, tops, gap, temperature)
    whole, low = two_difference(w, z)
    whole -= tops[0][:, None]
    low -= tops[1][:, None]
    whole += low
    whole /= temperature
    whole -= gap[:, None]
    assert np.array_equal(x, whole)
    assert np.array_equal(top, np.max(whole, axis=-1))
    assert np.array_equal(bottom, np.min(whole, axis=-1))


def test_series_terms_match_expm1_minus_x_times_p() -> None:
    rng = np.random.default_rng(3)
    x = np.vstack(
        [
            rng.normal(0.0, 0.05, WIDE),  # within the series' radius
            rng.uniform(-1.0, 1.0, WIDE),
            rng.normal(0.0, 3.0, WIDE),  # beyond it: expm1(x) - x there
            rng.normal(0.0, 1e-9, WIDE),
        ]
    )
    p = rng.dirichlet(np.ones(WIDE), size=len(x))
    terms, moments = series_terms(x, p, (np.max(x, axis=-1), np.min(x, axis=-1)))
    exact = expm1_minus_x(x) * p
    assert np.allclose(terms, exact, rtol=4 * 2.0**-52, atol=0.0)
    assert np.array_equal(moments, p * x)


def test_each_radius_bounds_the_series_truncation() -> None:
    # k terms leave at most B_k(r) of the sum for |x| <= r; 2^-54 at each radius,
    # also measured against the whole series with mpmath at x = +-r.
    assert len(_RADII) == len(SERIES_COEFFICIENTS) and _RADII[-1] == 1.0
    with mpmath.workdps(50):
        for k, r in enumerate(_RADII, start=1):
            radius = mpmath.mpf(r)
            bound = (
                radius**k
                / mpmath.factorial(k + 2)
                / (1 - radius / (k + 3))
                / (mpmath.mpf(1) / 2 - radius / 6)
            )
            assert bound <= mpmath.mpf(2) ** -54, k
            for x in (radius, -radius):
                whole = mpmath.fsum(x**j / mpmath.factorial(j + 2) for j in range(60))
                kept = mpmath.fsum(x**j / mpmath.factorial(j + 2) for j in range(k))
                assert abs(whole - kept) / whole <= mpmath.mpf(2) ** -54, k
    assert all(a < b for a, b in itertools.pairwise(_RADII))
    assert math.isclose(SERIES_COEFFICIENTS[-1], 1 / math.factorial(18))


def test_a_row_gives_the_same_bits_alone_and_with_any_other_rows() -> None:
    # Each row takes the terms of its own largest |x|: batching cannot change it.
    rng = np.random.default_rng(11)
    z = rng.normal(0.0, 3.0, (4, WIDE))
    w = z + np.array([[1e-9], [0.05], [0.2], [3.0]]) * rng.normal(size=z.shape)
    together = kl_logits_rows(z, w)
    for order in ([0], [1], [2], [3], [0, 3], [3, 1], [2, 0, 1]):
        assert np.array_equal(kl_logits_rows(z[order], w[order]), together[order])
