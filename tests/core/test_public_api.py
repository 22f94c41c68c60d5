"""The NumPy core against 50-digit mpmath references, and its laws (hypothesis)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nncalc import (
    NncalcError,
    cross_entropy,
    embedding_params,
    entropy,
    js_divergence,
    kl_divergence,
    log_softmax,
    softmax,
)

mpmath.mp.dps = 50


def mp_softmax(z: list[float]) -> list[mpmath.mpf]:
    exps = [mpmath.exp(mpmath.mpf(v)) for v in z]
    total = mpmath.fsum(exps)
    return [e / total for e in exps]


def mp_kl(p: list[float], q: list[float]) -> mpmath.mpf:
    P = [mpmath.mpf(v) for v in p]
    Q = [mpmath.mpf(v) for v in q]
    sp, sq = mpmath.fsum(P), mpmath.fsum(Q)
    return mpmath.fsum(
        (a / sp) * mpmath.log((a / sp) / (b / sq)) for a, b in zip(P, Q, strict=True) if a > 0
    )


def rel(a: float, b: mpmath.mpf) -> float:
    return float(abs(mpmath.mpf(a) - b) / abs(b)) if b != 0 else abs(a)


def test_seed_examples_are_exact() -> None:
    assert kl_divergence([0, 0, 1, 0], [0.1, 0.2, 0.6, 0.1]) == 0.5108256237659907
    assert cross_entropy(2, [0.1, 0.2, 0.6, 0.1]) == 0.5108256237659907


@pytest.mark.parametrize(
    "z", [[2.0, 1.0, 0.1], [1000.0, -1000.0, 0.0], [-3.5, 7.25, 0.0, 1e-3], [700.0, 0.0, -700.0]]
)
def test_softmax_and_log_softmax_against_mpmath(z: list[float]) -> None:
    exact = mp_softmax(z)
    got = softmax(z)
    got_log = log_softmax(z)
    for value, log_value, reference in zip(got, got_log, exact, strict=True):
        if reference > mpmath.mpf(2) ** -1022:
            assert rel(float(value), reference) <= 1e-14
        assert rel(float(log_value), mpmath.log(reference)) <= 1e-14


def test_cross_entropy_from_logits_against_mpmath() -> None:
    z = [3.0, -1.0, 0.5, 2.999]
    exact = -mpmath.log(mp_softmax(z)[3])
    assert rel(cross_entropy(np.array([3]), [z], from_logits=True)[0], exact) <= 1e-14


@pytest.mark.parametrize("eps", [1e-1, 1e-3, 1e-6])
def test_kl_near_equal_against_mpmath(eps: float) -> None:
    rng = np.random.default_rng(7)
    p = rng.random(50)
    p /= p.sum()
    q = p * (1 + eps * rng.standard_normal(50))
    q /= q.sum()
    assert rel(kl_divergence(p, q), mp_kl(list(p), list(q))) <= 1e-9


def test_kl_inf_and_zero() -> None:
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
    assert kl_divergence([0.0, 1.0], [0.5, 0.5]) == pytest.approx(np.log(2), rel=1e-16)


def test_entropy_and_js_values() -> None:
    assert entropy([0.5, 0.5]) == pytest.approx(np.log(2), rel=1e-16)
    assert js_divergence([1, 0], [0, 1]) == pytest.approx(np.log(2), rel=1e-15)


def test_batch_shapes() -> None:
    batch = np.array([[0.5, 0.5], [0.9, 0.1]])
    assert kl_divergence(batch, [0.5, 0.5]).shape == (2,)
    assert softmax(np.zeros((3, 4))).shape == (3, 4)


def test_errors_carry_position() -> None:
    with pytest.raises(NncalcError) as caught:
        kl_divergence([[0.5, 0.5], [0.5, -0.5]], [0.5, 0.5])
    assert caught.value.where.row == 2 and caught.value.where.column == 2
    with pytest.raises(NncalcError):
        softmax([np.nan, 1.0])
    with pytest.raises(NncalcError):
        softmax([-np.inf, -np.inf])


def test_embedding_params_counts() -> None:
    record = embedding_params(50257, 768, max_len=1024)
    assert record["token_embedding"] == 38_597_376
    assert record["position_embedding"] == 786_432
    assert record["lm_head"] == 0
    untied = embedding_params(128256, 4096, tied=False)
    assert untied["lm_head"] == untied["token_embedding"] == 525_336_576


# --- laws ----------------------------------------------------------------

logit_rows = arrays(
    np.float64,
    st.integers(2, 12),
    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
)
prob_rows = arrays(
    np.float64,
    st.integers(2, 12),
    elements=st.floats(1e-300, 1.0, allow_nan=False),
).map(lambda x: x / x.sum())


@settings(max_examples=150, deadline=None)
@given(logit_rows, st.floats(-1e3, 1e3))
def test_softmax_sums_to_one_and_is_shift_invariant(z: np.ndarray, shift: float) -> None:
    p = softmax(z)
    assert abs(p.sum() - 1.0) <= 1e-14
    assert np.all(p >= 0)
    shifted = softmax(z + shift)
    assert np.allclose(shifted, p, rtol=1e-9, atol=1e-300)


@settings(max_examples=150, deadline=None)
@given(prob_rows, prob_rows)
def test_kl_is_non_negative_and_zero_on_itself(p: np.ndarray, q: np.ndarray) -> None:
    if len(p) != len(q):
        q = np.resize(q, len(p))
        q = q / q.sum()
    assert kl_divergence(p, q) >= 0
    assert kl_divergence(p, p) == 0.0


@settings(max_examples=150, deadline=None)
@given(prob_rows, prob_rows)
def test_cross_entropy_decomposes(p: np.ndarray, q: np.ndarray) -> None:
    q = np.resize(q, len(p))
    q = q / q.sum()
    h_pq = cross_entropy(p, q)
    h_p = entropy(p)
    kl = kl_divergence(p, q)
    assert h_pq >= h_p - 1e-12 * max(1.0, h_p)
    assert h_pq == pytest.approx(h_p + kl, rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(prob_rows, prob_rows)
def test_js_symmetric_and_bounded(p: np.ndarray, q: np.ndarray) -> None:
    q = np.resize(q, len(p))
    q = q / q.sum()
    forward, backward = js_divergence(p, q), js_divergence(q, p)
    assert forward == pytest.approx(backward, rel=1e-12, abs=1e-300)
    assert 0 <= forward <= np.log(2)


def test_package_exports_resolve_lazily() -> None:
    import nncalc

    assert set(nncalc.__all__) == {*nncalc._EXPORTS, "__version__"}
    for name in nncalc._EXPORTS:
        assert callable(getattr(nncalc, name)) or isinstance(getattr(nncalc, name), type)
    with pytest.raises(AttributeError):
        _ = nncalc.not_a_function  # type: ignore[attr-defined]
