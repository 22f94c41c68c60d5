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


def _total(terms: Any) -> Any:
    """The sum of non-negative mpf terms, rounded at the working precision after each addition.

    (mpmath.fsum adds exactly, which needs memory for the whole exponent
    range: terms like e^-1e19 next to 1 exhaust it.)
    """
    return sum(terms, mpmath.mpf(0))


def _log_softmax(ints: list[int | None], scale: Any, counts: list[int]) -> list[Any]:
    """log softmax of the exact logits n_i * scale (None: masked), each class ``counts`` times.

    log sum exp = log1p(sum of the terms other than one largest), so a row
    within 1e-300 of one-hot keeps its tiny log-normaliser at 80 digits.
    """
    top = max(n for n in ints if n is not None)
    shifted = [None if n is None else (n - top) * scale for n in ints]
    many = list(counts)
    many[ints.index(top)] -= 1  # one largest term (exactly 1) is the 1 of log1p
    rest = _total(c * mpmath.exp(s) for c, s in zip(many, shifted, strict=True) if s is not None)
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
    many = [int(c) for c in counts]
    # d_k = (w_k - z_k) - (w_r - z_r) at the class r where p is largest: exact integers.
    top = zi.index(max(n for n in zi if n is not None))
    base = wi[top] - zi[top] if wi[top] is not None else 0
    gaps = [None if a is None or b is None else (b - a) - base for a, b in zip(zi, wi, strict=True)]
    digits = DIGITS + _digits_lost(gaps, bits, temperature)
    with mpmath.workdps(digits):
        scale = mpmath.ldexp(1, -bits) / mpmath.mpf(temperature)
        log_p = _log_softmax(zi, scale, many)
        log_q = _log_softmax(wi, scale, many)
        # log q_k - log p_k = d_k - C with d_k = gaps_k * scale and
        # e^C = sum_j e^((w_j - w_r + z_r) / T) / sum_j e^(z_j / T) = sum_j e^(e_j scale + l),
        # e_j = w_j - max z - (w_r - z_r) (integers) and l = log p at max z.
        top_z = max(n for n in zi if n is not None)
        l_top = log_p[zi.index(top_z)]
        terms = []
        missing = mpmath.mpf(0)
        for count, lp, b, g in zip(many, log_p, wi, gaps, strict=True):
            if b is not None:
                terms.append((count, b - top_z - base, None if g is None else lp, g))
            elif lp is not None:  # q = 0 < p
                missing += count * mpmath.exp(lp)
        ratio = _ratios(terms, gaps, missing, scale, l_top)
    return Rows(many, log_p, log_q, ratio)


def _ratios(
    terms: list[tuple[int, int, Any, int | None]],
    gaps: list[int | None],
    missing: Any,
    scale: Any,
    l_top: Any,
) -> list[Any]:
    """d_k - C per class (None unless both logits are finite), C = log sum_j e^(e_j scale + l).

    ``terms`` are (count, e_j, log p_j, g_j; None for both where p = 0) for
    the classes where q > 0; ``missing`` is the mass of p where q = 0. Near rows (every
    exponent <= 1): e^C - 1 = sum p_j expm1(d_j) + (q's classes where p = 0)
    - missing, with sum p = 1 used exactly, so C keeps digits relative to the
    d's. Otherwise C = m + log(sum_j e^(x_j - m)) around the largest exponent
    m, and d_k - m comes from the integers, so a huge C cancels exactly.
    """
    exponents = [e * scale + l_top for _, e, _, _ in terms]
    if max(exponents) <= 1:
        excess = [
            count * _excess_term(lp, g, x, scale)
            for (count, _, lp, g), x in zip(terms, exponents, strict=True)
        ]
        constant = mpmath.log1p(sum(excess, -missing))
        return [None if g is None else g * scale - constant for g in gaps]
    largest = max(range(len(terms)), key=lambda k: exponents[k])
    e_top = terms[largest][1]
    rest = _total(count * mpmath.exp((e - e_top) * scale) for count, e, _, _ in terms)
    # d_k - C = (g_k - e_top) scale - l - log(rest): g_k - e_top = w_k - z_k - w_top + max z.
    shift = l_top + mpmath.log(rest)
    return [None if g is None else (g - e_top) * scale - shift for g in gaps]


def _excess_term(lp: Any, g: int | None, exponent: Any, scale: Any) -> Any:
    """q_j - p_j, scaled by e^-C (so = p_j expm1(d_j)); q_j alone where p = 0.

    e^exponent comes from the integers; log p_j of a far class carries an
    absolute error (1e-100 of 1e104 is 1e4), so p_j e^d_j is never formed
    from it, and p_j alone only where it is negligible anyway.
    """
    if g is None:
        return mpmath.exp(exponent)
    d = g * scale
    return (
        mpmath.exp(lp) * mpmath.expm1(d) if abs(d) <= 1 else mpmath.exp(exponent) - mpmath.exp(lp)
    )


def _digits_lost(gaps: list[int | None], bits: int, temperature: float) -> int:
    """Extra digits for sum p_k expm1(d_k), which cancels down to ~d^2 from terms ~d."""
    sizes = [abs(g) for g in gaps if g]
    if not sizes:
        return 0
    smallest = mpmath.ldexp(min(sizes), -bits) / mpmath.mpf(temperature)
    return min(max(0, int(-mpmath.log10(smallest))) + 20, 1000)


def _excess(x: Any) -> Any:
    """e^x - 1 - x to 80 digits: its Taylor series below 1e-3, else expm1(x) - x at 90 digits."""
    if abs(x) < mpmath.mpf("1e-3"):  # 29 terms: 1e-3^29 / 31! is far below 1e-85
        return x * x * _total(x**k / mpmath.factorial(k + 2) for k in range(30))
    with mpmath.workdps(DIGITS + 10):
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
        return _total(terms)


def kl_textbook(z: np.ndarray, w: np.ndarray, temperature: float = 1.0) -> Any:
    """sum p_i (log p_i - log q_i) from the exact logits, at the precision cancellation needs."""
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
    """g(a) = (1 + a) log(1 + a) + (1 - a) log(1 - a) (~a^2), 80 digits.

    Below 1e-3 its series sum_k a^2k / (k (2k - 1)), with no cancellation.
    """
    if a == 1:
        return 2 * mpmath.log(2)
    if a < mpmath.mpf("1e-3"):  # 15 terms: 1e-3^30 is far below 1e-85
        return _total(a ** (2 * k) / (k * (2 * k - 1)) for k in range(1, 16))
    with mpmath.workdps(DIGITS + 10):
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
        return _total(terms) / 4


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


def log_softmax(z: np.ndarray, temperature: float = 1.0) -> list[Any]:
    """log softmax(z / T) per class, in the order of z (None for a masked class), 80 digits."""
    row = np.asarray(z, float)
    rows = _rows(row, row, temperature)
    distinct = np.unique(row).tolist()
    return [rows.log_p[distinct.index(v)] for v in row.tolist()]


def entropy(z: np.ndarray, temperature: float = 1.0) -> Any:
    """H(softmax(z / T)) = sum p_i (-log p_i), 80 digits."""
    rows = _rows(np.asarray(z, float), np.asarray(z, float), temperature)
    with mpmath.workdps(DIGITS):
        return _total(
            c * -lp * mpmath.exp(lp)
            for c, lp in zip(rows.counts, rows.log_p, strict=True)
            if lp is not None
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
        return _total(terms)
