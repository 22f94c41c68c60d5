"""KL, JS, entropy and cross-entropy of softmax(z / T) rows, computed from the logits.

Nothing is exponentiated before its logarithm is taken. Every quantity is
formed from log-softmax rows (max-shifted, :func:`log_softmax`) and, for two
rows, from the log-ratio of each class

    x_i = log q_i - log p_i = ((w_i - z_i) - (max w - max z)) / T - (L_q - L_p),

with p = softmax(z / T), q = softmax(w / T) and L the log-normalisers of
the max-shifted rows. Both differences of logits are split exactly
(TwoSum), so x_i is accurate relative to itself however close the two rows
are; only L_q - L_p, common to the row, carries an error e of a few ulp.
That changes KL only by ~e^2 / 2 (the first-order change vanishes because
both rows sum to 1), and :func:`kl_pair_rows` removes even that.

A masked class (-inf logit) has probability 0: it contributes nothing where
both rows mask it, q_i (KL) where only P does, and makes KL infinite where
Q masks a class that P does not. Rows with +inf logits (the limit, see
:func:`softmax`) or with logit differences beyond float64 use the plain
difference of the log-softmax rows. NumPy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import FloatArray, as_rows
from nncalc.core.distribution import pair_rows
from nncalc.core.log_space import (
    LogSoftmax,
    log_product,
    log_softmax_parts,
    probabilities,
    underflowed,
)
from nncalc.core.logit_kernels import log_ratio, series_terms
from nncalc.core.numerics import JS_NEAR, js_excess, row_sums, two_sum
from nncalc.core.softmax import log_softmax
from nncalc.core.special import expm1_minus_x

__all__ = [
    "LogitPair",
    "entropy_logits_rows",
    "js_logits_rows",
    "js_pair_rows",
    "kl_logits_rows",
    "kl_pair_rows",
    "logit_pair",
    "swapped",
    "xent_logits_rows",
]


@dataclass(frozen=True)
class LogitPair:
    """Paired log-softmax rows of P and Q and the log-ratio x = log q - log p per class.

    ``ratio`` is accurate relative to itself up to a common error per row
    (see the module docstring); -inf where only Q masks a class, +inf where
    only P does, NaN where both do (``masked`` says whether any entry is
    not finite). ``bounds`` saves a pass to kernels that need the range.
    """

    p: LogSoftmax
    q: LogSoftmax
    ratio: FloatArray
    masked: bool
    bounds: tuple[FloatArray, FloatArray] | None = None  # (max, min) of each row when known

    def ratio_bounds(self) -> tuple[float, float]:
        """(max, min) of ``ratio`` as np.max and np.min give them (NaN if some x is NaN)."""
        top, bottom = self.row_bounds()
        return float(np.max(top)), float(np.min(bottom))

    def row_bounds(self) -> tuple[FloatArray, FloatArray]:
        """(max, min) of each row of ``ratio`` (NaN where the row has a NaN)."""
        if self.bounds is not None:
            return self.bounds
        return np.max(self.ratio, axis=-1), np.min(self.ratio, axis=-1)


def logit_pair(
    p_logits: npt.ArrayLike, q_logits: npt.ArrayLike, temperature: float = 1.0
) -> LogitPair:
    """Log-softmax rows of both logit arrays at ``temperature``, and their log-ratio.

    Rows as in :func:`log_softmax` (a single row broadcasts against a batch);
    raises :class:`NncalcError` for NaN, all-masked rows, mismatched widths
    or row counts and a temperature that is not a positive number.
    """
    z = as_rows(p_logits)
    w = as_rows(q_logits)
    pair_rows(z, w)  # check the shapes before any work
    p = log_softmax_parts(z, temperature)
    q = log_softmax_parts(w, temperature)
    if len(z) != len(w):
        rows = max(len(z), len(w))
        z, w = pair_rows(z, w)
        p, q = p.broadcast(rows), q.broadcast(rows)
    norm_gap = q.log_norm - p.log_norm
    tops = (q.top, p.top) if p.top is not None and q.top is not None else None
    ratio, masked, bounds = _log_ratio(z, w, (p, q), norm_gap, temperature, tops)
    return LogitPair(p, q, ratio, masked, bounds)


def swapped(pair: LogitPair) -> LogitPair:
    """The pair of (Q, P): the same rows, the log-ratio negated.

    Bit for bit what :func:`logit_pair` gives with its arguments swapped
    (every step of the ratio is negated exactly), without computing again.
    """
    bounds = None if pair.bounds is None else (-pair.bounds[1], -pair.bounds[0])  # exact
    return LogitPair(pair.q, pair.p, -pair.ratio, pair.masked, bounds)


def _log_ratio(
    z: FloatArray,
    w: FloatArray,
    rows: tuple[LogSoftmax, LogSoftmax],
    norm_gap: FloatArray,
    temperature: float,
    tops: tuple[FloatArray, FloatArray] | None = None,
) -> tuple[FloatArray, bool, tuple[FloatArray, FloatArray] | None]:
    """(x, whether some x is not finite, (max x, min x) per row or None): x = log q - log p.

    See the module docstring.

    x = ((w - z) - (max w - max z)) / T - (L_q - L_p), with ``norm_gap`` =
    L_q - L_p, the difference of the rows' log-normalisers. Both differences
    of logits are split exactly (TwoSum), so their difference is exact where
    it is small (nearly equal rows) and rounded once where it is not. Where
    x is not finite (masked classes, +inf logits, differences beyond
    float64) it is the plain log q - log p. Swapping P and Q negates every
    step exactly (rounding is symmetric): the ratio of (Q, P) is exactly
    minus the ratio of (P, Q). ``tops`` are (max w, max z) per row when known.
    """
    if tops is None:
        tops = np.max(w, axis=-1), np.max(z, axis=-1)
    with np.errstate(invalid="ignore", over="ignore"):
        top_gap = two_sum(tops[0], -tops[1])
    x, top, bottom = log_ratio(z, w, top_gap, norm_gap, temperature)  # tile by tile
    if math.isfinite(np.max(top)) and math.isfinite(np.min(bottom)):  # NaN or inf shows in one
        return x, False, (top, bottom)
    with np.errstate(invalid="ignore"):
        x = np.where(np.isfinite(x), x, rows[1].high - rows[0].high)
    masked = not np.isfinite(x).all()
    return x, masked, None


# The correction of KL for the error of the row constant applies while the
# measured residue (see kl_pair_rows) is below this; it is ~1e-15 in
# practice, and larger values mean that rounding, not the constant, made it.
RESIDUE_LIMIT = 2.0**-20


def kl_pair_rows(pair: LogitPair) -> FloatArray:
    """KL(p || q) per row, as the sum of non-negative terms p_i f(x_i), f(x) = e^x - 1 - x.

    The terms add up to KL because both rows sum to 1; none cancels, and
    f is evaluated without cancellation (a series near 0). Where q_i > e p_i
    the term is q_i - p_i (1 + x_i) with q_i from log q_i, and where p_i is
    below the normal range it is exp(log p_i + log f(x_i)), so an
    underflowing p_i still contributes p_i |x_i| when that is large. A
    common error e of the ratios adds (e^e - 1) Q' - e to the sum (Q' the
    mass of q in the terms formed with f); the residue
    sum p_i (f(x_i) + x_i) = (e^e - 1) Q' measures it, and it is taken off.
    """
    x = pair.ratio
    p = pair.p.probabilities()
    bounds = pair.row_bounds()
    top = float(np.max(bounds[0]))
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        terms, moments = series_terms(x, p, bounds)  # p f(x) and p x
        lifted = np.zeros(len(x)) if top <= 1.0 else _rising_terms(terms, p, pair)
        rows, columns = underflowed(pair.p, lambda: x < -1.0)
        if len(rows):
            high, low = pair.p.exact_at(rows, columns)
            terms[rows, columns] = log_product(high, low, expm1_minus_x(x[rows, columns]))
        if pair.masked:
            terms[np.isnan(x)] = 0.0  # masked in both rows
            moments[p == 0] = 0.0
        total = row_sums(terms)
        shift = (total + row_sums(moments)) / (1.0 - lifted)  # e^e - 1
    # With less than half of q in the f terms (lifted > 1/2) the residue would
    # be amplified more than its rounding allows; there KL >= 0.13 and the
    # uncorrected error is at most ~4e relative.
    fix = (np.abs(shift) <= RESIDUE_LIMIT) & (lifted <= 0.5)
    if fix.any():
        # (e^e - 1) Q' - e = (e^e - 1 - e) - (1 - Q')(e^e - 1)
        total[fix] -= expm1_minus_x(np.log1p(shift[fix])) - lifted[fix] * shift[fix]
        # The residue is rounded (~1e-16 e), and the correction with it (~1e-16 e^2):
        # where that is not small next to KL (rows so near that KL < e^2, ~1e-32),
        # the terms are formed again around x - e.
        again = fix & (shift * shift > total) & (lifted == 0.0)
        again[rows] = False  # no term of p below the normal range to redo
        if again.any():
            _centred(total, again, x, p, shift)
    result: FloatArray = np.maximum(total, 0.0)
    return result


def _centred(
    total: FloatArray, rows: npt.NDArray[np.bool_], x: FloatArray, p: FloatArray, shift: FloatArray
) -> None:
    """KL of ``rows`` again, in place, as sum p f(x - e) with e = log(1 + shift) removed."""
    centred = x[rows] - np.log1p(shift[rows])[:, None]
    weights = p[rows]
    with np.errstate(invalid="ignore", over="ignore"):
        terms = expm1_minus_x(centred) * weights
    # Masked in both rows (NaN), or p = 0 where q = 0 too (no q in rising terms: x may
    # still be large, f(x) inf, and inf * 0 NaN): those classes add nothing.
    terms[np.isnan(centred) | (weights == 0.0)] = 0.0
    total[rows] = row_sums(terms)


def _rising_terms(terms: FloatArray, p: FloatArray, pair: LogitPair) -> FloatArray:
    """Terms with x > 1 (q > e p, and P's masked classes) as q - p (1 + x), in place.

    Returns the row sums of q over those classes. (Flat indices: 1-D
    gathers are several times faster than (row, column) pairs.)
    """
    flat = np.flatnonzero(pair.ratio > 1.0)
    if len(flat) == 0:
        return np.zeros(len(terms))
    low = None if pair.q.low is None else pair.q.low.ravel().take(flat)
    q = probabilities(pair.q.high.ravel().take(flat), low)
    weight = p.ravel().take(flat)
    rising = q - weight * (1.0 + pair.ratio.ravel().take(flat))
    terms.ravel()[flat] = np.where(weight > 0, rising, q)
    lifted = np.bincount(flat // terms.shape[1], weights=q, minlength=len(terms))
    return np.asarray(lifted, dtype=np.float64)


def kl_logits_rows(
    p_logits: npt.ArrayLike, q_logits: npt.ArrayLike, temperature: float = 1.0
) -> FloatArray:
    """KL(softmax(z / T) || softmax(w / T)) per row, in nats, from the logits z and w.

    Domain: rows of logits as in :func:`log_softmax` (-inf masks a class;
    a single row broadcasts). Finite for every finite input whose log-softmax
    is finite (logit gaps up to ~1.8e308 T); inf only where w has a -inf
    logit where z has not. Never negative; 0 when z == w.

    Form: sum p_i f(x_i) (:func:`kl_pair_rows`) with the log-ratio x from
    the exact difference of the logits (:func:`logit_pair`). Accuracy
    (tested against mpmath at 80 digits): ~1e-15 relative for KL from
    1e300 down to 1e-30 and below, at logit gaps from 0 to 1e300 T, with
    T from 1e-3 to 1e3 and rows of 128k classes.
    """
    return kl_pair_rows(logit_pair(p_logits, q_logits, temperature))


LOG_2 = math.log(2.0)


# Rows whose JS is below this are summed again with the common error e of
# their log-ratios estimated and removed: it adds ~e^2 / 8 (e ~ 1e-16), which
# matters only for JS far below this.
JS_RECHECK = 2.0**-50


def js_pair_rows(pair: LogitPair) -> FloatArray:
    """JS(p, q) per row: 1/4 sum (p_i + q_i) g(a_i), a_i = tanh(|x_i| / 2).

    a_i = |p_i - q_i| / (p_i + q_i) comes from the log-ratio, so it keeps the
    ratio's relative accuracy as P -> Q; 1 - a_i = 2 e^-|x| / (1 + e^-|x|)
    without cancellation; g as in :func:`nncalc.core.numerics.js_excess`.
    A common error e of the ratios adds ~e^2 / 8; rows with JS below
    2^-50 are summed again after estimating e from sum q_i - 1 (by both
    sum p_i expm1(x_i) and sum q_i expm1(-x_i), so the estimate is
    antisymmetric). Symmetric in P and Q bit for bit, 0 <= JS <= log 2.
    """
    p = pair.p.probabilities()
    q = pair.q.probabilities()
    result = _js_sums(pair.ratio, p, q)
    near = np.nonzero(result < JS_RECHECK)[0]
    if len(near):
        x, p, q = pair.ratio[near], p[near], q[near]
        error = 0.5 * (np.log1p(_mass_excess(x, p, q)) - np.log1p(_mass_excess(-x, q, p)))
        result[near] = _js_sums(x - error[:, None], p, q)
    return result


def _mass_excess(x: FloatArray, p: FloatArray, q: FloatArray) -> FloatArray:
    """sum_i (p_i e^(x_i) - p_i) per row: the error of the ratios shows as sum q - 1."""
    with np.errstate(invalid="ignore", over="ignore"):
        terms = np.where(x > 1.0, q - p, np.where(p > 0, p * np.expm1(x), 0.0))
    return row_sums(terms)


def _js_sums(x: FloatArray, p: FloatArray, q: FloatArray) -> FloatArray:
    half = np.abs(x)
    half *= 0.5
    with np.errstate(invalid="ignore"):
        terms = p + q
        terms *= _js_excess_of_half(half)
    sums = row_sums(terms)
    if np.isnan(sums).any():
        terms[np.isnan(half)] = 0.0  # masked in both rows
        sums = row_sums(terms)
    result: FloatArray = np.minimum(np.maximum(0.25 * sums, 0.0), LOG_2)
    return result


def _js_excess_of_half(half: FloatArray) -> FloatArray:
    """g(a) of :func:`~nncalc.core.numerics.js_excess` at a = tanh(h), h = |x| / 2.

    arctanh(a) is h itself (exact, where arctanh of the rounded a is not);
    1 + a and 1 - a = 2 e^-|x| / (1 + e^-|x|) without cancellation are
    formed only when some a is in the range of the far form.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        a = np.tanh(half)
        if not np.any(a > JS_NEAR):
            return js_excess(a, a, a, atanh=half)  # 1 +- a unused below JS_NEAR
        small = np.exp(-2.0 * half)  # the smaller of p/q and q/p
        up = 2.0 / (1.0 + small)
        return js_excess(a, up, small * up, atanh=half)


def js_logits_rows(
    p_logits: npt.ArrayLike, q_logits: npt.ArrayLike, temperature: float = 1.0
) -> FloatArray:
    """Jensen-Shannon divergence of softmax(z / T) and softmax(w / T) per row, in nats.

    Domain as :func:`kl_logits_rows`; always finite, symmetric bit for bit,
    0 <= JS <= log 2. Form: :func:`js_pair_rows`. Accuracy (tested against
    mpmath): ~1e-15 relative, down to JS ~ 1e-25 for nearly equal logits.
    """
    return js_pair_rows(logit_pair(p_logits, q_logits, temperature))


def _weighted_logs(p: LogSoftmax, factor: FloatArray) -> FloatArray:
    """Terms p_i factor_i >= 0; 0 where p = 0 exactly (masked).

    ``factor`` is -log p or -log q (>= 0, +inf for a masked q). Weights
    below the normal range go through :func:`log_product`.
    """
    with np.errstate(invalid="ignore"):
        terms = np.where(p.high > -np.inf, p.probabilities() * factor, 0.0)
    rows, columns = underflowed(p, lambda: factor > 0)
    if len(rows):
        high, low = p.exact_at(rows, columns)
        terms[rows, columns] = log_product(high, low, factor[rows, columns])
    return np.asarray(terms, dtype=np.float64)


def entropy_logits_rows(logits: npt.ArrayLike, temperature: float = 1.0) -> FloatArray:
    """H(softmax(z / T)) = -sum p log p per row, in nats, from the logits.

    Domain as :func:`log_softmax`. Terms p_i (-log p_i) >= 0 from the
    log-softmax row (a dominant class keeps its tiny -log p as log1p of
    the rest), so nothing cancels: a few ulp relative, also for rows
    within 1e-300 of one-hot; classes below the normal range add their
    exact tiny terms.
    """
    p = log_softmax_parts(as_rows(logits), temperature)
    return row_sums(_weighted_logs(p, -p.high))


def xent_logits_rows(
    p_logits: npt.ArrayLike, q_logits: npt.ArrayLike, temperature: float = 1.0
) -> FloatArray:
    """Cross-entropy H(p, q) = -sum p log q per row, p = softmax(z / T), q = softmax(w / T).

    Domain as :func:`kl_logits_rows`; inf only where w masks a class that z
    does not. Terms p_i (-log q_i) >= 0, formed in log space where p_i is
    below the normal range: a few ulp relative. Never below H(p), so
    H(p, q) - H(p) (= KL) is never negative.
    """
    z, w = pair_rows(as_rows(p_logits), as_rows(q_logits))
    p = log_softmax_parts(np.ascontiguousarray(z), temperature)
    log_q = np.asarray(log_softmax(w, temperature), dtype=np.float64)
    cross = row_sums(_weighted_logs(p, -log_q))
    result: FloatArray = np.maximum(cross, row_sums(_weighted_logs(p, -p.high)))
    return result
