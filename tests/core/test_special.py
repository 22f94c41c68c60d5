"""nncalc.core.special against mpmath."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from nncalc.core.special import expm1_minus_x


def rel(value: float, reference: mpmath.mpf) -> float:
    return float(abs(mpmath.mpf(value) - reference) / abs(reference))


def test_expm1_minus_x_against_mpmath() -> None:
    # The function behind k3 (and the Gaussian KL): a few ulp everywhere.
    xs = np.concatenate(
        [np.logspace(-150, 2.8, 400), -np.logspace(-150, 2.8, 400), [0.0, 1.0, -1.0, 1 + 2**-52]]
    )
    got = expm1_minus_x(xs)
    worst = 0.0
    with mpmath.workdps(60):
        for x, value in zip(xs.tolist(), got.tolist(), strict=True):
            mx = mpmath.mpf(x)
            if abs(mx) < 0.1:
                reference = mpmath.fsum(mx**n / mpmath.factorial(n) for n in range(2, 40))
            else:
                reference = mpmath.expm1(mx) - mx
            if reference < mpmath.mpf(2) ** -1022:
                assert value == pytest.approx(float(reference), abs=1e-300)
                continue
            worst = max(worst, rel(value, reference))
    assert worst <= 4 * 2.0**-52
    assert expm1_minus_x(np.array([np.inf, -np.inf, 800.0])).tolist() == [np.inf] * 3
