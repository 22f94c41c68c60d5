"""Per-row comparison: KL both ways and JS against mpmath, negative-KL rounding, top-1 ties."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from nncalc.core.compare import compare
from nncalc.core.compare_rows import compare_rows, kl_logits
from nncalc.core.softmax import softmax
from tests.core.mp_reference import mp_js, mp_kl, relative


def case_rows() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(11)
    z = rng.normal(0.0, 3.0, 40)
    far_class = rng.normal(0.0, 3.0, 40)
    far_class[3] = -720.0  # p ~ 1e-313 > 0 where q is ~0.03: e^(ln q - ln p) overflows
    spread = np.full(40, -1e4)
    spread[:5] = 1e4 + rng.normal(size=5)
    masked = z.copy()
    masked[[2, 9]] = -np.inf
    return {
        "random": (z, rng.normal(0.0, 3.0, 40)),
        "close 1e-3": (z, z + 1e-3 * rng.normal(size=40)),
        "close 1e-9": (z, z + 1e-9 * rng.normal(size=40)),
        "float16 rounded": (z, z.astype(np.float16).astype(np.float64)),
        "dominant class": (z + np.eye(40)[0] * 60.0, z),
        "far below the maximum": (far_class, np.zeros(40)),
        "logits near 1e4": (z + 1e4, z + 1e4 + 1e-3 * rng.normal(size=40)),
        "spread of 2e4": (spread, spread + 0.1 * rng.normal(size=40)),
        "masked in both": (masked, masked + 1e-4 * rng.normal(size=40)),
        "masked in both, close 1e-9": (masked, masked + 1e-9 * rng.normal(size=40)),
    }


def kl_bound(name: str, reference: mpmath.mpf) -> float:
    """1e-12 relative; rows with masked logits meet SPEC's 1e-4 below KL = 1e-6."""
    return 1e-4 if name.startswith("masked") and reference < 1e-6 else 1e-12


@pytest.mark.parametrize("name", list(case_rows()))
def test_row_kl_both_ways_against_mpmath(name: str) -> None:
    base, new = case_rows()[name]
    forward = kl_logits(base[None], new[None])[0]
    reverse = kl_logits(new[None], base[None])[0]
    forward_reference, reverse_reference = mp_kl(base, new), mp_kl(new, base)
    assert relative(forward, forward_reference) <= kl_bound(name, forward_reference)
    assert relative(reverse, reverse_reference) <= kl_bound(name, reverse_reference)


@pytest.mark.parametrize("name", list(case_rows()))
def test_row_js_against_mpmath(name: str) -> None:
    base, new = case_rows()[name]
    js = compare_rows(base[None], new[None]).js[0]
    reference = mp_js(base, new)
    # js_rows sees rounded probabilities: ~1e-9 relative at JS ~ 1e-19.
    assert relative(js, reference) <= (1e-12 if reference > 1e-6 else 1e-6)


def test_kl_is_inf_where_new_masks_a_class_base_uses() -> None:
    base = np.array([[0.0, 1.0, 2.0]])
    new = np.array([[0.0, -np.inf, 2.0]])
    assert kl_logits(base, new)[0] == math.inf
    assert math.isfinite(kl_logits(new, base)[0])


def naive_float32_kl(base: np.ndarray, new: np.ndarray) -> np.ndarray:
    """What a user writes: log-softmax in float32, then sum p (log p - log q)."""

    def log_softmax32(z: np.ndarray) -> np.ndarray:
        z = z.astype(np.float32)
        shifted = z - z.max(axis=-1, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))

    lp, lq = log_softmax32(base), log_softmax32(new)
    result: np.ndarray = np.sum(np.exp(lp) * (lp - lq), axis=-1)
    return result


def one_class_kl(base: np.ndarray, j: int, new_logit: float) -> mpmath.mpf:
    """KL when only logit j moves by d: -p_j d + log(1 + p_j expm1(d)), to 50 digits.

    p_j = exp(z_j - logsumexp z) with logsumexp from an exactly rounded
    float64 sum of exponentials (~1e-16 relative); KL is ~p_j d^2 / 2, so
    that error passes to it unamplified. The cancelling part is in mpmath.
    """
    top = float(np.max(base))
    log_norm = top + math.log(math.fsum(np.exp(base - top).tolist()))
    p_j = mpmath.exp(mpmath.mpf(float(base[j])) - mpmath.mpf(log_norm))
    d = mpmath.mpf(new_logit) - mpmath.mpf(float(base[j]))
    return -p_j * d + mpmath.log1p(p_j * mpmath.expm1(d))


def test_naive_float32_kl_goes_negative_and_compare_does_not() -> None:
    rng = np.random.default_rng(2024)
    width = 32_000
    base = rng.normal(0.0, 2.5, (2, width)).astype(np.float16)
    new = base.copy()
    references = []
    for row in range(2):  # one logit one float16 step up: nearly identical rows
        j = int(rng.integers(width))
        new[row, j] = np.nextafter(base[row, j], np.float16(np.inf))
        references.append(one_class_kl(base[row].astype(np.float64), j, float(new[row, j])))
    naive = naive_float32_kl(base.astype(np.float64), new.astype(np.float64))
    assert (naive < 0).all()
    report = compare(base, new)  # float16 arrays, as stored
    assert report.kl_min > 0
    assert relative(report.kl_min, min(references)) <= 1e-12
    assert relative(report.kl_max, max(references)) <= 1e-12


def test_top1_ties_go_to_the_first_maximal_class() -> None:
    base = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 2.0, 2.0]])
    new = np.array([[0.0, 1.0, 1.0], [1.0, 1.0, 0.0], [0.0, 2.0, 1.0]])
    assert compare_rows(base, new).top1_agree.tolist() == [False, True, True]
    probabilities = compare_rows(softmax(base), softmax(new), probs=True).top1_agree
    assert probabilities.tolist() == [False, True, True]
