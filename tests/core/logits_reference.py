"""80-digit references for divergences of softmax(z / T) rows given as logits.

The logits are taken exactly as given: differences of logits (z - max z,
(w - z) - (max w - max z)) are formed in integers (the floats of a row are
whole multiples of a common power of two), so only the transcendental steps
round, at 80 digits (more where a difference of two nearly equal numbers
needs it). Each sum is over the distinct (z_i, w_i) pairs of the row, times
how often each occurs, so a 128k-class row built from a few hundred distinct
pairs costs a few hundred evaluations. Results are cached by the inputs'
bytes. -inf logits mask a class; +inf logits are not supported.

The KL reference sums p_i f(x_i), f(x) = e^x - 1 - x, x_i = log q_i - log p_i
(exactly KL, since both rows sum to 1 to 80 digits); ``kl_textbook`` sums
p_i log(p_i / q_i) at whatever precision its cancellation needs, to check
the first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from tests.accuracy_reference import _converged, _exact

DIGITS = 80


@dataclass(frozen=True)
class Rows:
    """The distinct classes of a pair of rows at one temperature, exactly, at 80 digits."""

    counts: list[int]
    log_p: list[Any]  # mpf, or None for a masked class
    log_q: list[Any]
    ratio: list[Any]  # log q - log p, None unless both are finite


def _cached(function: Callable[..., Any]) -> Callable[..., Any]:
    cache: dict[tuple[Any, ...], Any] = {}

    def cached(*args: Any) -> Any:
        key = tuple(
            np.asarray(a, dtype=np.float64).tobytes() if np.ndim(a) else float(a) for a in args
        )
        if key not in cache:
            cache[key] = function(*args)
        return cache[key]

    return cached


def _log_softmax(ints: list[int | None], scale: Any, counts: list[int]) -> list[Any]:
    """log softmax of the exact logits n_i * scale (None: masked), each class ``counts`` times.

    log sum exp = log1p(sum of the terms other than one largest), so a row
    within 1e-300 of one-hot keeps its tiny log-normaliser at 80 digits.
    """
    top = max(n for n in ints if n is not None)
    shifted = [None if n is None else (n - top) * scale for n in ints]
    many = list(counts)
    many[ints.index(top)] -= 1  # one largest term (exactly 1) is the 1 of log1p
    rest = mpmath.fsum(c * mpmath.exp(s) for c, s in zip(many, shifted, strict=True) if s is not None)
    norm = mpmath.log1p(rest)
    return [None if s is None else s - norm for s in shifted]


@_cached
def _rows(z: np.ndarray, w: np.ndarray, temperature: float) -> Rows:
    pairs, counts = np.unique(np.stack([z, w], axis=-1), axis=0, return_counts=True)
    finite = [v for v in pairs.ravel() if math.isfinite(v)]
    ints, bits = _exact(finite)
    exact = dict(zip(finite, ints, strict=True))
    zi = [exact.get(v) for v in pairs[:, 0]]
    wi = [exact.get(v) for v in pairs[:, 1]]
    with mpmath.workdps(DIGITS):
        scale = mpmath.ldexp(1, -bits) / mpmath.mpf(temperature)
        many = [int(c) for c in counts]
        log_p = _log_softmax(zi, scale, many)
        log_q = _log_softmax(wi, scale, many)
        top_z = max(n for n in zi if n is not None)
        top_w = max(n for n in wi if n is not None)
        norm_gap = (log_p[zi.index(top_z)]) - (log_q[wi.index(top_w)])  # L_q - L_p
        ratio = [
            None if a is None or b is None else ((b - a) - (top_w - top_z)) * scale - norm_gap
            for a, b in zip(zi, wi, strict=True)
        ]
    return Rows(many, log_p, log_q, ratio)


def _excess(x: Any) -> Any:
    """e^x - 1 - x to 80 digits (more working digits as x -> 0)."""
    if x == 0:
        return mpmath.mpf(0)
    extra = max(0, -int(mpmath.floor(mpmath.log10(abs(x)))))
    with mpmath.workdps(DIGITS + 2 * extra + 10):
        return +(mpmath.expm1(x) - x)


def kl(z: np.ndarray, w: np.ndarray, temperature: float = 1.0) -> Any:
    """KL(softmax(z / T) || softmax(w / T)), 80 digits; inf where only w masks a class."""
    rows = _rows(np.asarray(z, float), np.asarray(w, float), temperature)
    with mpmath.workdps(DIGITS):
        terms = []
        for count, lp, lq, x in zip(rows.counts, rows.log_p, rows.log_q, rows.ratio, strict=True):
            if lp is None:
                terms.append(0 if lq is None else count * mpmath.exp(lq))
            elif lq is None:
                return mpmath.inf
            elif abs(x) <= 1:
                terms.append(count * mpmath.exp(lp) * _excess(x))
            else:  # p f(x) = q - p (1 + x), at most a factor ~4.5 of cancellation
                terms.append(count * (mpmath.exp(lq) - mpmath.exp(lp) * (1 + x)))
        return mpmath.fsum(terms)


def kl_textbook(z: np.ndarray, w: np.ndarray, temperature: float = 1.0) -> Any:
    """sum p_i (log p_i - log q_i) from the exact logits, at the precision its cancellation needs."""
    zr, wr = np.asarray(z, float), np.asarray(w, float)
    finite = [float(v) for v in np.concatenate([zr, wr]) if math.isfinite(v)]
    ints, bits = _exact(finite)
    exact = dict(zip(finite, ints, strict=True))
    zi = [exact.get(float(v)) for v in zr]
    wi = [exact.get(float(v)) for v in wr]
    ones = [1] * len(zi)

    def compute() -> Any:
        scale = mpmath.ldexp(1, -bits) / mpmath.mpf(temperature)
        log_p = _log_softmax(zi, scale, ones)
        log_q = _log_softmax(wi, scale, ones)
        return mpmath.fsum(
            mpmath.exp(a) * (a - b) for a, b in zip(log_p, log_q, strict=True) if a is not None
        )

    return _converged(compute)


def _js_excess(a: Any) -> Any:
    """g(a) = (1 + a) log(1 + a) + (1 - a) log(1 - a) (~a^2), 80 digits."""
    if a == 0:
        return mpmath.mpf(0)
    if a == 1:
        return 2 * mpmath.log(2)
    extra = max(0, -int(mpmath.floor(mpmath.log10(a))))
    with mpmath.workdps(DIGITS + 2 * extra + 10):
        return +((1 + a) * mpmath.log1p(a) + (1 - a) * mpmath.log1p(-a))


def js(z: np.ndarray, w: np.ndarray, temperature: float = 1.0) -> Any:
    """JS of softmax(z / T) and softmax(w / T): 1/4 sum (p + q) g(|p - q| / (p + q)), 80 digits."""
    rows = _rows(np.asarray(z, float), np.asarray(w, float), temperature)
    with mpmath.workdps(DIGITS):
        terms = []
        for count, lp, lq, x in zip(rows.counts, rows.log_p, rows.log_q, rows.ratio, strict=True):
            if lp is None and lq is None:
                continue
            p = 0 if lp is None else mpmath.exp(lp)
            q = 0 if lq is None else mpmath.exp(lq)
            a = mpmath.mpf(1) if x is None else mpmath.tanh(abs(x) / 2)
            terms.append(count * (p + q) * _js_excess(a))
        return mpmath.fsum(terms) / 4


def js_textbook(z: np.ndarray, w: np.ndarray, temperature: float = 1.0) -> Any:
    """1/2 KL(P || M) + 1/2 KL(Q || M) from probabilities at 80 digits, for checking ``js``."""
    rows = _rows(np.asarray(z, float), np.asarray(w, float), temperature)

    def compute() -> Any:
        total = []
        for count, lp, lq in zip(rows.counts, rows.log_p, rows.log_q, strict=True):
            p = 0 if lp is None else mpmath.exp(lp)
            q = 0 if lq is None else mpmath.exp(lq)
            m = (p + q) / 2
            total += [count * p * mpmath.log(p / m) / 2] if p else []
            total += [count * q * mpmath.log(q / m) / 2] if q else []
        return mpmath.fsum(total)

    return _converged(compute)


def entropy(z: np.ndarray, temperature: float = 1.0) -> Any:
    """H(softmax(z / T)) = sum p_i (-log p_i), 80 digits."""
    rows = _rows(np.asarray(z, float), np.asarray(z, float), temperature)
    with mpmath.workdps(DIGITS):
        return mpmath.fsum(
            c * -lp * mpmath.exp(lp) for c, lp in zip(rows.counts, rows.log_p) if lp is not None
        )


def xent(z: np.ndarray, w: np.ndarray, temperature: float = 1.0) -> Any:
    """H(p, q) = sum p_i (-log q_i), 80 digits; inf where only w masks a class."""
    rows = _rows(np.asarray(z, float), np.asarray(w, float), temperature)
    with mpmath.workdps(DIGITS):
        terms = []
        for count, lp, lq in zip(rows.counts, rows.log_p, rows.log_q, strict=True):
            if lp is None:
                continue
            if lq is None:
                return mpmath.inf
            terms.append(count * -lq * mpmath.exp(lp))
        return mpmath.fsum(terms)
