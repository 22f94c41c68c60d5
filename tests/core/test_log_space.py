"""Log-softmax rows (core/log_space.py) and the KL branch at a ratio of 1, against mpmath."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from nncalc.core.from_logits import kl_logits_rows, logit_pair
from nncalc.core.log_space import log_softmax_parts, probabilities
from nncalc.core.special import expm1_minus_x
from tests.accuracy_reference import relative_error
from tests.core import logits_reference as reference


def softmax_reference(z: np.ndarray, temperature: float) -> list[mpmath.mpf]:
    with mpmath.workdps(60):
        top = max(mpmath.mpf(float(v)) for v in z)
        terms = [mpmath.exp((mpmath.mpf(float(v)) - top) / temperature) for v in z]
        total = mpmath.fsum(terms)
        return [t / total for t in terms]


@pytest.mark.parametrize("temperature", [1.0, 0.7, 3.0])
def test_probabilities_from_the_normalisers_terms_keep_a_few_ulp(temperature: float) -> None:
    # Entries near the maximum, in the compensated range (< -32) and near underflow.
    z = np.array([0.0, -0.3, 2.5, -20.0, -31.9, -33.0, -40.123456789, -600.5, -700.25, 2.5])
    z = z * temperature
    parts = log_softmax_parts(z.reshape(1, -1), temperature)
    got = parts.probabilities()[0]
    for value, exact in zip(got.tolist(), softmax_reference(z, temperature), strict=True):
        assert relative_error(value, exact, units=4) <= 8 * 2.0**-52
    # The row's first maximum gets e^-log_norm itself, exactly as exp(high) gives it.
    assert got[2] == np.exp(parts.high[0, 2])
    fallback = probabilities(parts.high, parts.low)[0]
    assert np.allclose(got, fallback, rtol=1e-14, atol=0.0)


def test_probabilities_with_masked_and_infinite_logits() -> None:
    parts = log_softmax_parts(
        np.array([[np.inf, 0.0, np.inf, -np.inf], [1.0, -np.inf, 1.0, 0.5]]), 1.0
    )
    p = parts.probabilities()
    assert p[0].tolist() == [0.5, 0.0, 0.5, 0.0]
    assert p[1, 1] == 0.0
    assert p[1, 0] == p[1, 2] == np.exp(parts.high[1, 0])


def test_a_broadcast_row_has_the_rows_probabilities() -> None:
    parts = log_softmax_parts(np.array([[0.25, -3.0, 1.5, -45.0]]), 1.0)
    assert np.array_equal(
        parts.broadcast(3).probabilities(), np.repeat(parts.probabilities(), 3, 0)
    )


def _row_with_top_ratio(t: float) -> tuple[np.ndarray, np.ndarray]:
    z = np.array([0.0, 0.5, -1.0, 2.0, -0.25])
    return z, z + np.array([t, 0.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("side", [-1, 0, 1])
def test_kl_where_the_largest_ratio_is_next_to_one(side: int) -> None:
    # Ratios above 1 take the q - p (1 + x) form, skipped when none exceeds 1:
    # rows whose largest ratio is 1 - a few ulp, 1 or 1 + a few ulp.
    low, high = 1.0, 2.0
    for _ in range(80):  # bisect t so that the class's ratio straddles 1
        middle = 0.5 * (low + high)
        if logit_pair(*_row_with_top_ratio(middle)).ratio[0, 0] < 1.0:
            low = middle
        else:
            high = middle
    t = low if side < 0 else high
    while side > 0 and np.max(logit_pair(*_row_with_top_ratio(t)).ratio) <= 1.0:
        t = float(np.nextafter(t, 3.0))
    z, w = _row_with_top_ratio(t)
    top = float(np.max(logit_pair(z, w).ratio))
    assert (top < 1.0) if side < 0 else (top == 1.0) if side == 0 else (top > 1.0)
    assert abs(top - 1.0) < 1e-14
    assert relative_error(float(kl_logits_rows(z, w)[0]), reference.kl(z, w)) <= 1e-15


def test_expm1_minus_x_with_known_bounds_is_the_same() -> None:
    x = np.linspace(-1.0, 1.0, 1001)
    assert np.array_equal(expm1_minus_x(x, (1.0, -1.0)), expm1_minus_x(x))
    assert np.min(expm1_minus_x(x)) == 0.0  # at x = 0; never negative in the series
    wide = np.array([-3.0, 0.5, np.nan, 2.0])
    bounds = (float(np.max(wide)), float(np.min(wide)))
    assert np.array_equal(expm1_minus_x(wide, bounds), expm1_minus_x(wide), equal_nan=True)
