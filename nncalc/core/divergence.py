"""KL divergence, entropy and Jensen-Shannon, row-wise and exact."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import DEFAULT_TOL, FloatArray, _scalar_like
from nncalc.core.distribution import _rescaled, pair_rows, validate_distribution
from nncalc.core.numerics import (
    KL_NEAR,
    exact_sums,
    js_excess,
    kl_excess_near,
    row_sums,
    two_product,
)

LOG_TINY = math.log(float(np.finfo(np.float64).tiny))  # log of the smallest normal, ~ -708.4


# The direct sum of p log(p/q) is used for rows whose KL is at least this:
# its rounding errors are then at most ~300 ulp of the result (see kl_rows).
DIRECT_MIN = 0.125


def _log_ratio(p: FloatArray, q: FloatArray) -> FloatArray:
    """log(p / q) elementwise; log p - log q where p / q over- or underflows."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        result: FloatArray = np.log(p / q)
        # NaN (0/0), +-inf and subnormal ratios all fail this test.
        if not (np.min(result) > LOG_TINY and np.max(result) < np.inf):
            bad = ((result < LOG_TINY) | (result == np.inf)) & (p > 0) & (q > 0)
            if bad.any():
                rows, cols = np.nonzero(bad)
                result[rows, cols] = np.log(p[rows, cols]) - np.log(q[rows, cols])
    return result


def kl_rows(p: FloatArray, q: FloatArray) -> FloatArray:
    """KL(p' || q') per row, p' = p / sum p and q' = q / sum q renormalised exactly.

    ``p``, ``q``: paired rows of finite entries >= 0 with positive sums (any
    scale: a row within rounding of 1 needs no division first). P > 0 where
    Q = 0 gives inf. Never negative; 0 exactly when the rows are equal.

    Rows with KL >= 1/8 use the direct sum (1/sp) sum p log(p/q) + log(sq/sp):
    its negative terms add up to at most sum q, so the rounding errors stay
    within a few hundred ulp of the result. Other rows (P close to Q, where
    the direct sum cancels) use the sum of non-negative terms
    (1/sq) sum q h(c p/q), h(r) = r log r - r + 1, c = sq/sp: no cancellation
    at any distance, ~1e-15 relative down to KL ~ 1e-40; rows equal up to
    their scale (KL exactly 0) may leave a residue below 1e-50.
    """
    if p.shape[-1] == 1:  # one class: P' = Q' = 1 whatever the scales
        single: FloatArray = np.zeros(len(p))
        return single
    p, p_sums = _rescaled(p, row_sums(p))
    q, q_sums = _rescaled(q, row_sums(q))
    log_ratio = _log_ratio(p, q)
    with np.errstate(invalid="ignore"):
        terms = np.where(p > 0, p * log_ratio, 0.0)
    result = row_sums(terms) / p_sums + np.log(q_sums / p_sums)
    close = ~(result >= DIRECT_MIN)
    if close.any():
        result[close] = _kl_excess(p[close], q[close], p_sums[close], q_sums[close])
    clipped: FloatArray = np.maximum(result, 0.0)
    return clipped


# Rows whose sums differ by more than this (relative) get r' - 1 from exact
# cross products p sq - q sp instead of from (p - q)/q + (p/q)(sq - sp)/sp,
# whose two parts would cancel (down to the rows' distance) by up to |sq/sp - 1|.
EXACT_SHIFT = 2.0**-40


def _cross_products(p: FloatArray, q: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(p sq - q sp, p sq, q sp) per entry: the difference accurate relative to itself.

    The sums are exact to ~1e-31 (pairwise TwoSum) and the products
    error-free (TwoProduct), so the difference of two close products keeps
    its digits. Swapping p and q negates the first value exactly.
    """
    p_high, p_low = exact_sums(p)
    q_high, q_low = exact_sums(q)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        a_high, a_low = two_product(p, np.broadcast_to(q_high[:, None], p.shape))
        b_high, b_low = two_product(q, np.broadcast_to(p_high[:, None], q.shape))
        a_low = a_low + p * q_low[:, None]
        b_low = b_low + q * p_low[:, None]
        gap = (a_high - b_high) + (a_low - b_low)
    return gap, a_high + a_low, b_high + b_low


def _kl_excess(p: FloatArray, q: FloatArray, p_sums: FloatArray, q_sums: FloatArray) -> FloatArray:
    """(1/sq) sum q h(r'), r' = (p/q) (sq/sp): the KL of rows with no q = 0 < p.

    r' - 1 is formed as (p - q)/q + (p/q) s with s = (sq - sp)/sp and
    sq - sp = sum (q - p): exact differences of close numbers, so r' - 1 is
    accurate relative to itself however close P is to Q while the sums agree
    to 2^-40; rows whose sums differ more use exact cross products.
    """
    shift = row_sums(q - p) / p_sums
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = p / q
        excess = (p - q) / q + ratio * shift[:, None]
        exact = np.nonzero(np.abs(shift) > EXACT_SHIFT)[0]
        if len(exact):
            gap, _, cross = _cross_products(p[exact], q[exact])
            excess[exact] = gap / cross
        log_ratio = _log_ratio(p, q) + np.log1p(shift)[:, None]
        # q h(r') = p c (log r' - 1) + q; q alone where p = 0 (h(0) = 1).
        terms = np.where(p > 0, (p * (1.0 + shift)[:, None]) * (log_ratio - 1.0) + q, q)
    near = np.abs(excess) <= KL_NEAR
    terms[near] = q[near] * kl_excess_near(excess[near])
    result: FloatArray = row_sums(terms) / q_sums
    return result


def kl_divergence(
    p: npt.ArrayLike,
    q: npt.ArrayLike,
    *,
    tol: float = DEFAULT_TOL,
    normalize: bool = False,
) -> Any:
    """D_KL(P || Q) = sum P log(P / Q) in nats, row-wise.

    ``p`` and ``q`` are vectors (the result is a float) or 2-D batches of
    rows (one value per row); a single row broadcasts against a batch.

    Domain: rows of finite entries >= 0 summing to 1 within ``tol``
    (relative; renormalised), or any positive sum with ``normalize``.
    Anything else (NaN, inf, a negative entry, a row off 1, a row of zeros
    with ``normalize``, rows of different widths or batch sizes) raises
    :class:`NncalcError`, a ``ValueError`` naming the row and column.

    Edge cases: 0 log(0/q) = 0; P > 0 where Q = 0 gives inf. Never
    negative; 0 exactly when P == Q; a row of one class gives 0.

    The rows are renormalised exactly (no rounded division), so a row that
    sums to 1 within ``tol`` loses nothing. Accuracy (tested against mpmath):
    <= 1e-12 relative however close P is to Q, down to KL ~ 1e-40 (the
    measured worst is ~1e-15), where the terms are summed in the
    non-negative form q h(p/q), h(r) = r log r - r + 1 (see :func:`kl_rows`).
    """
    prows, _ = validate_distribution(p, tol=tol, normalize=normalize)
    qrows, _ = validate_distribution(q, tol=tol, normalize=normalize)
    prows, qrows = pair_rows(prows, qrows)
    return _scalar_like(kl_rows(prows, qrows), p, q)


def entropy(p: npt.ArrayLike, *, tol: float = DEFAULT_TOL, normalize: bool = False) -> Any:
    """Shannon entropy H(P) = -sum P log P in nats, with 0 log 0 = 0.

    Shapes, domain and errors as :func:`kl_divergence`; the rows are
    renormalised exactly. Edge cases: 0 for one-hot P, log n for the
    uniform P over n classes; never negative, never above log n.

    Accuracy: every term is >= 0, so the sum keeps a few ulp of relative
    accuracy (<= 2e-14, tested), also for a P within 1e-20 of one-hot.
    """
    rows, _ = validate_distribution(p, tol=tol, normalize=normalize)
    return _scalar_like(entropy_rows(rows), p)


def _log_probabilities(rows: FloatArray, sums: FloatArray | None = None) -> FloatArray:
    """log(p / sum p) per entry to a few ulp; -inf where p = 0.

    An entry above 3/4 of its row sum (there is at most one) is
    -log1p(rest / p) with rest the sum of the others, so a probability
    within 1e-20 of 1 keeps its tiny logarithm; every other entry has
    |log| >= log(4/3), which the roundings of the sum and of p / sum cannot
    spoil (they cost at most ~25 ulp of the sum, relative ~1e-14 at worst).
    Where p / sum underflows, log p - log sum.
    """
    rows, sums = _rescaled(rows, row_sums(rows) if sums is None else sums)
    with np.errstate(divide="ignore", under="ignore"):
        result: FloatArray = np.log(rows / sums[:, None])
    if not np.min(result) > LOG_TINY:
        small = (result < LOG_TINY) & (rows > 0)
        if small.any():
            r, c = np.nonzero(small)
            result[r, c] = np.log(rows[r, c]) - np.log(sums[r])
    dominant = np.nonzero(np.max(rows, axis=-1) > 0.75 * sums)[0]
    if len(dominant):
        others = rows[dominant]
        columns = np.argmax(others, axis=-1)
        each = np.arange(len(dominant))
        largest = others[each, columns]
        others[each, columns] = 0.0
        result[dominant, columns] = -np.log1p(row_sums(others) / largest)
    return result


def entropy_rows(rows: FloatArray) -> FloatArray:
    """H(p') per row, p' = p / sum p renormalised exactly; terms p' log(1/p') >= 0.

    ``rows``: a 2-D array of finite entries >= 0 with positive row sums
    (not checked: see
    :func:`nncalc.core.distribution.validate_distribution`). Accuracy as for
    :func:`entropy`.
    """
    rows, sums = _rescaled(rows, row_sums(rows))
    # log p' >= -745 wherever p > 0; the floor turns 0 * log 0 into 0 * 1000.
    terms = rows * -np.maximum(_log_probabilities(rows, sums), -1000.0)
    result: FloatArray = row_sums(terms) / sums
    return result


LOG_2 = math.log(2.0)


def js_divergence(
    p: npt.ArrayLike, q: npt.ArrayLike, *, tol: float = DEFAULT_TOL, normalize: bool = False
) -> Any:
    """Jensen-Shannon divergence 1/2 KL(P || M) + 1/2 KL(Q || M), M = (P + Q) / 2.

    Shapes, domain and errors as :func:`kl_divergence`. Edge cases:
    symmetric (bit for bit), 0 <= JS <= log 2 (log 2 exactly for disjoint
    supports), finite even where P or Q has zeros, 0 exactly when P == Q.

    Accuracy as for KL: <= 1e-12 relative while JS >= 1e-6 and ~1e-15
    relative as P -> Q.
    """
    prows, _ = validate_distribution(p, tol=tol, normalize=normalize)
    qrows, _ = validate_distribution(q, tol=tol, normalize=normalize)
    prows, qrows = pair_rows(prows, qrows)
    result = js_rows(prows, qrows)
    return _scalar_like(result, p, q)


def js_rows(p: FloatArray, q: FloatArray) -> FloatArray:
    """JS(p', q') per row, p' = p / sum p and q' = q / sum q renormalised exactly.

    JS = 1/4 sum (p' + q') g(|d|) with d = (p' - q') / (p' + q') and
    g(a) = (1 + a) log(1 + a) + (1 - a) log(1 - a) >= 0: the two KL terms
    against M folded into one non-negative term per class, so nothing
    cancels and M (whose rounding would be all of a tiny JS) is never formed.
    p' - q' comes from exact differences p - q and sq - sp = sum (q - p)
    (from exact cross products where the sums differ by more than 2^-40),
    and every step is symmetric in (p, q), so JS(P, Q) == JS(Q, P) exactly.
    """
    p, p_sums = _rescaled(p, row_sums(p))
    q, q_sums = _rescaled(q, row_sums(q))
    half_shift = 0.5 * row_sums(q - p)  # (sq - sp) / 2
    half_total = 0.5 * (p_sums + q_sums)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        a = p * q_sums[:, None]  # p' sp sq
        b = q * p_sums[:, None]  # q' sp sq
        # a - b = (p - q)(sp + sq)/2 + (p + q)(sq - sp)/2, without cancellation.
        gap = (p - q) * half_total[:, None] + (p + q) * half_shift[:, None]
        exact = np.nonzero(np.abs(half_shift) > EXACT_SHIFT * half_total)[0]
        if len(exact):
            gap[exact], a[exact], b[exact] = _cross_products(p[exact], q[exact])
        total = a + b
        size = np.minimum(np.abs(gap) / total, 1.0)
        up = 2.0 * np.maximum(a, b) / total
        down = 2.0 * np.minimum(a, b) / total
        weight = p / p_sums[:, None] + q / q_sums[:, None]
        terms = np.where(total > 0, weight * js_excess(size, up, down), 0.0)
    result: FloatArray = np.minimum(np.maximum(0.25 * row_sums(terms), 0.0), LOG_2)
    return result
