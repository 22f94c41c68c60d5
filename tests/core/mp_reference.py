"""50-digit references for the comparison tests (mpmath)."""

from __future__ import annotations

import math

import mpmath
import numpy as np

mpmath.mp.dps = 50


def mp_log_softmax(row: np.ndarray) -> list[mpmath.mpf]:
    z = [mpmath.mpf(float(v)) for v in row]
    finite = [v for v in z if v != -mpmath.inf]
    top = max(finite)
    norm = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in finite))
    return [v - norm if v != -mpmath.inf else -mpmath.inf for v in z]


def mp_kl(base: np.ndarray, new: np.ndarray) -> mpmath.mpf:
    lp, lq = mp_log_softmax(base), mp_log_softmax(new)
    return mpmath.fsum(
        mpmath.exp(a) * (a - b) for a, b in zip(lp, lq, strict=True) if a != -mpmath.inf
    )


def mp_js(base: np.ndarray, new: np.ndarray) -> mpmath.mpf:
    p = [mpmath.exp(v) for v in mp_log_softmax(base)]
    q = [mpmath.exp(v) for v in mp_log_softmax(new)]
    total = mpmath.mpf(0)
    for a, b in zip(p, q, strict=True):
        m = (a + b) / 2
        if a > 0:
            total += a * mpmath.log(a / m) / 2
        if b > 0:
            total += b * mpmath.log(b / m) / 2
    return total


def relative(value: float, reference: mpmath.mpf) -> float:
    if reference == 0:
        return 0.0 if value == 0 else math.inf
    return float(abs((mpmath.mpf(value) - reference) / reference))
