"""kl_estimators: Schulman's k1, k2, k3 from the Python API; unbiasedness and the running mean."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc import NncalcError, kl_estimators
from nncalc.core.policy import ESTIMATORS, RunningMean, estimator_value, estimator_values

LOGP = [-1.2, -0.7, -2.3]


LOGQ = [-1.0, -0.9, -2.0]


def test_python_api_and_shape_mismatch() -> None:
    result = kl_estimators(LOGP, LOGQ)
    assert set(result) == {"k1", "k2", "k3"}
    assert result["k3"][0] == 0.026983910639956504
    with pytest.raises(NncalcError, match="must match"):
        kl_estimators([-1.0, -2.0], [-1.0])
    single = kl_estimators([-1.0], [-2.0])
    assert math.isnan(single["k1"][1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_k1_and_k3_are_unbiased_on_a_gaussian_pair(seed: int) -> None:
    # q = N(0, 1), p = N(0.3, 1): KL(q || p) = 0.3^2 / 2 = 0.045 exactly.
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, 200_000)
    logq = -0.5 * x**2 - 0.5 * math.log(2 * math.pi)
    logp = -0.5 * (x - 0.3) ** 2 - 0.5 * math.log(2 * math.pi)
    truth = 0.045
    result = kl_estimators(logp, logq)
    for name in ("k1", "k3"):
        mean, stderr = result[name]
        # Unbiased: within 4 standard errors (a 6e-5 chance per check if unbiased).
        assert abs(mean - truth) <= 4 * stderr, (name, mean, stderr)
    # k3 has far lower variance than k1 when p is close to q.
    assert result["k3"][1] < result["k1"][1] / 4
    # k2 is biased: its expectation is E[(log r)^2]/2 = 0.045 + 0.3^4/8 here.
    k2_mean, k2_stderr = result["k2"]
    assert abs(k2_mean - (0.045 + 0.3**4 / 8)) <= 4 * k2_stderr


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=20), st.data())
def test_k3_and_k2_are_never_negative(logq: list[float], data: st.DataObject) -> None:
    logp = data.draw(st.lists(st.floats(-1e3, 1e3), min_size=len(logq), max_size=len(logq)))
    values = estimator_values(np.array([logp]), np.array([logq]))
    assert np.all(values["k3"] >= 0)
    assert np.all(values["k2"] >= 0)
    # k3 = k1 + (r - 1): the control variate that makes k1 low-variance.
    log_r = np.subtract(logp, logq)
    small = np.abs(log_r) < 30
    expected = values["k1"][0][small] + np.expm1(log_r[small])
    assert np.allclose(values["k3"][0][small], expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=60), st.integers(1, 7))
def test_running_mean_merges_chunks_exactly(values: list[float], parts: int) -> None:
    stats = RunningMean()
    for chunk in np.array_split(np.array(values), parts):
        stats.add(chunk)
    assert stats.count == len(values)
    assert stats.mean == pytest.approx(float(np.mean(values)), rel=1e-9, abs=1e-6)
    expected = float(np.std(values, ddof=1) / math.sqrt(len(values)))
    assert stats.stderr == pytest.approx(expected, rel=1e-7, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=2, max_size=20))
def test_one_estimator_alone_is_the_same_as_all_three(values: list[float]) -> None:
    half = len(values) // 2
    logp, logq = np.array([values[:half]]), np.array([values[half : 2 * half]])
    every = estimator_values(logp, logq)
    for name in ESTIMATORS:
        np.testing.assert_array_equal(estimator_value(name, logp, logq), every[name])
