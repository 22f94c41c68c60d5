"""kl_normal: the Python API's broadcasting and errors, and the laws of the Gaussian KL."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc import NncalcError, kl_normal


def test_python_api_broadcasts_and_rejects() -> None:
    batch = kl_normal([[0.0, 0.0], [1.0, 1.0]], [0.0, 0.0])
    assert batch.tolist() == [0.0, 1.0]
    assert kl_normal([1.0], [0.0]) == 0.5
    with pytest.raises(NncalcError, match="standard deviation must be > 0"):
        kl_normal([0.0], [-1.0], std=True)


finite = st.floats(-20, 20, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(finite, finite, finite, finite), min_size=1, max_size=6))
def test_kl_normal_non_negative_and_zero_only_for_equal(
    dims: list[tuple[float, float, float, float]],
) -> None:
    mu, logvar, mu2, logvar2 = (np.array(column) for column in zip(*dims, strict=True))
    value = kl_normal(mu, logvar, mu2, logvar2)
    assert value >= 0.0
    assert kl_normal(mu, logvar, mu, logvar) == 0.0
    if np.any(mu != mu2) or np.any(logvar != logvar2):
        assert value > 0.0 or math.isclose(value, 0.0, abs_tol=1e-300)
    # The sigma parametrisation gives the same number.
    sigma, sigma2 = np.exp(0.5 * logvar), np.exp(0.5 * logvar2)
    assert kl_normal(mu, sigma, mu2, sigma2, std=True) == pytest.approx(value, rel=1e-9, abs=1e-12)
