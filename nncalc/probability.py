"""Softmax, cross-entropy, KL divergence, entropy and Jensen-Shannon.

Every function works row-wise over the last axis of a float64 array: a 1-D
input is one distribution and gives a scalar (or a 1-D result for softmax),
a 2-D input is a batch of rows. NumPy only; errors are :class:`NncalcError`
with the (0-based within the array, reported 1-based) row and column.

Accuracy is stated per function and tested against 50-digit mpmath
references in ``tests/test_accuracy.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from nncalc.errors import NncalcError
from nncalc.numerics import (
    KL_NEAR,
    exact_sums,
    js_excess,
    kl_excess_near,
    row_sums,
    two_product,
    two_sum,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_TOL = 1e-6
NORMALIZE_HINT = "pass --normalize to rescale it, or --logits if these are logits"


def as_rows(values: npt.ArrayLike) -> FloatArray:
    """``values`` as a 2-D float64 array of rows (a 1-D input is one row)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        array = array.reshape(1, 1)
    elif array.ndim == 1:
        array = array.reshape(1, -1)
    elif array.ndim != 2:
        raise NncalcError(f"expected a vector or a batch of rows, got {array.ndim} dimensions")
    if array.shape[1] == 0:
        raise NncalcError("no values", row=1)
    return array


def _first(mask: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """(row, column) of the first True entry of a 2-D mask, 1-based."""
    row, column = np.argwhere(mask)[0]
    return int(row) + 1, int(column) + 1


def _token(value: float) -> str:
    return repr(float(value))


def _index_token(value: float) -> str:
    """A class index as written: '3', not '3.0' (huge values stay floats)."""
    number = float(value)
    return str(int(number)) if abs(number) < 2.0**53 else repr(number)


def check_logits(logits: FloatArray) -> None:
    """Reject NaN anywhere and rows whose logits are all -inf."""
    nan = np.isnan(logits)
    if nan.any():
        row, column = _first(nan)
        raise NncalcError("NaN is not a logit", row=row, column=column, token="nan")
    dead = np.all(logits == -np.inf, axis=-1)
    if dead.any():
        row = int(np.argmax(dead)) + 1
        raise NncalcError("every logit is -inf, so no class has any probability", row=row)


# Below this distance from the row maximum, the rounding of (z - max) / T
# (half an ulp of a number up to ~745) would become a relative error of
# exp(.) near 2e-14, so those entries carry their rounding error along.
COMPENSATE_BELOW = -32.0
# exp(x) underflows to 0 below x ~ -745.2; no need to compensate there.
UNDERFLOW_BELOW = -746.0

# (flat indices, rows, error): the exact (z - max) / T minus its float64
# value at the entries between UNDERFLOW_BELOW and COMPENSATE_BELOW (flat
# indices into the C-contiguous shifted array; 1-D indexing is several
# times faster than (row, column) pairs).
_Corrections = tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray]


def _shifted(logits: npt.ArrayLike, temperature: float) -> tuple[FloatArray, _Corrections | None]:
    """(z - max z) / T, with rows containing +inf reduced to their limit.

    In the limit of a +inf logit every finite logit is infinitely far below
    it; the +inf entries share the mass equally. Returned shifted logits are
    <= 0 and at least one entry per row is 0. The second value holds the
    rounding errors of the far entries (see COMPENSATE_BELOW), or None.
    """
    if not temperature > 0 or not np.isfinite(temperature):
        raise NncalcError(f"temperature must be a positive number, got {temperature!r}")
    z = np.ascontiguousarray(as_rows(logits))  # flat indices below assume C order
    check_logits(z)
    top = np.max(z, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = z - top
    plus_inf = np.isinf(top[:, 0]) & (top[:, 0] > 0)
    if plus_inf.any():
        rows = z[plus_inf]
        shifted[plus_inf] = np.where(rows == np.inf, 0.0, -np.inf)
    if temperature != 1.0:
        with np.errstate(over="ignore", under="ignore"):
            shifted /= temperature
    if not np.min(shifted) < COMPENSATE_BELOW:
        return shifted, None
    if temperature > 1.0:
        _undo_overflow(shifted, z, top, temperature)
    return shifted, _rounding_errors(shifted, z, top, temperature)


def _undo_overflow(shifted: FloatArray, z: FloatArray, top: FloatArray, temperature: float) -> None:
    """Where z - max overflowed (logits near +-1e308), use z/T - max/T: it may be finite."""
    over = np.isneginf(shifted) & np.isfinite(z) & np.isfinite(top)
    if over.any():
        rows, cols = np.nonzero(over)
        shifted[rows, cols] = z[rows, cols] / temperature - top[rows, 0] / temperature


def _rounding_errors(
    shifted: FloatArray, z: FloatArray, top: FloatArray, temperature: float
) -> _Corrections | None:
    """Exact (z - max) / T - shifted for the far entries (TwoSum, TwoProduct)."""
    flat = np.flatnonzero((shifted < COMPENSATE_BELOW) & (shifted > UNDERFLOW_BELOW))
    if len(flat) == 0:
        return None
    rows = flat // shifted.shape[1]
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        difference, error = two_sum(z.ravel().take(flat), -top[:, 0].take(rows))
        if temperature != 1.0:
            quotient = shifted.ravel().take(flat)
            product, product_error = two_product(quotient, float(temperature))
            error = (((difference - product) - product_error) + error) / temperature
    error = np.where(np.isfinite(error), error, 0.0)
    return flat, rows, error


def _log_normalizer(shifted: FloatArray, corrections: _Corrections | None) -> FloatArray:
    """log sum exp of max-shifted rows, as log1p of the non-maximal terms.

    The largest entry of each row is exactly 0 (exp = 1), so
    ``log(1 + s)`` with ``s`` the sum of the others keeps full relative
    accuracy when the maximum dominates. The terms are positive, so their
    (pairwise) sum is accurate to a few ulp at any length.
    """
    top = np.argmax(shifted, axis=-1)
    terms = np.exp(shifted)
    if corrections is not None:
        flat, _, error = corrections
        # exp(x + e) = exp(x) (1 + e) to within e^2 ~ 1e-26.
        values = terms.ravel().take(flat)
        terms.ravel()[flat] = values + values * error
    terms[np.arange(len(terms)), top] = 0.0
    others = row_sums(terms)
    tiny = np.nonzero(others < TINY_NORMALIZER)[0]
    if len(tiny):
        others[tiny] = _tiny_sums(shifted[tiny], top[tiny], tiny, corrections)
    log_norm: FloatArray = np.log1p(others)
    return log_norm


# Below this, the sum of the non-maximal terms is recomputed relative to the
# largest of them, because its terms may be subnormal or 0 one by one.
TINY_NORMALIZER = 2.0**-1000


def _tiny_sums(
    shifted: FloatArray, top: IntArray, rows: IntArray, corrections: _Corrections | None
) -> FloatArray:
    """sum_{i != top} exp(d_i) for rows where it is below 2^-1000.

    With d2 the largest such d_i: exp(d2 + log sum exp(d_i - d2)), the
    exponent split in two floats (TwoSum) so that the one rounding left is
    the final one, onto the subnormal grid if need be. Each term carries the
    rounding error of its d_i (see COMPENSATE_BELOW).
    """
    each = np.arange(len(rows))
    others = np.array(shifted, dtype=np.float64)
    others[each, top] = -np.inf
    errors = np.zeros_like(others)
    if corrections is not None:
        flat, of_row, error = corrections
        width = shifted.shape[1]
        where = np.searchsorted(rows, of_row)
        hit = (where < len(rows)) & (rows[np.minimum(where, len(rows) - 1)] == of_row)
        errors[where[hit], flat[hit] % width] = error[hit]
    largest = np.max(others, axis=-1)
    result = np.zeros(len(rows))
    alive = largest > -np.inf
    if alive.any():
        d, e, d2 = others[alive], errors[alive], largest[alive]
        with np.errstate(invalid="ignore", under="ignore"):
            terms = np.exp(d - d2[:, None])
            total = row_sums(terms + terms * e)
            high, low = two_sum(d2, np.log(total))
            value = np.exp(high)
            result[alive] = value + value * low
    return result


def _like_input(result: FloatArray, logits: npt.ArrayLike) -> Any:
    return result[0] if np.ndim(logits) <= 1 else result


def softmax(logits: npt.ArrayLike, temperature: float = 1.0) -> Any:
    """softmax(z / T) along the last axis, always max-shifted.

    Domain: finite logits and -inf (masked: probability 0); +inf logits share
    the probability equally (the limit); NaN or a row of only -inf raise
    :class:`NncalcError`. ``temperature`` must be > 0.

    Accuracy: <= 2e-14 relative on every entry (tested against mpmath),
    including logits of +-1e308 where exp(z) overflows, temperatures from
    0.01 to 100 and entries far below the maximum, whose rounding error in
    (z - max) / T is carried exactly; subnormal results are within one unit
    of the smallest subnormal.
    """
    shifted, corrections = _shifted(logits, temperature)
    log_norm = _log_normalizer(shifted, corrections)
    result = np.exp(shifted - log_norm[:, None])
    if corrections is not None:
        flat, rows, error = corrections
        high, low = two_sum(shifted.ravel().take(flat), log_norm.take(rows) * -1.0)
        value = np.exp(high)
        result.ravel()[flat] = value + value * (low + error)
    return _like_input(result, logits)


def log_softmax(logits: npt.ArrayLike, temperature: float = 1.0) -> Any:
    """log softmax(z / T), computed directly (never log of softmax).

    Same domain as :func:`softmax`. Masked (-inf) logits give -inf. Accuracy:
    <= 2e-14 relative (a few ulp): both parts of (z - max) / T - log1p(s)
    are <= 0, so the subtraction cannot cancel.
    """
    shifted, corrections = _shifted(logits, temperature)
    log_norm = _log_normalizer(shifted, corrections)
    result = shifted - log_norm[:, None]
    if corrections is not None:
        flat, rows, error = corrections
        high, low = two_sum(shifted.ravel().take(flat), log_norm.take(rows) * -1.0)
        result.ravel()[flat] = high + (low + error)
    return _like_input(result, logits)


def validate_distribution(
    values: npt.ArrayLike,
    *,
    tol: float = DEFAULT_TOL,
    normalize: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Check rows are distributions; return (rows, row sums).

    Entries must be finite and >= 0. A row whose sum is within ``tol``
    (relative) of 1 is accepted; with ``normalize`` any row with a positive
    sum is. Callers divide by the returned sums (or fold them into their
    formula) so that renormalisation costs no accuracy.
    """
    rows = as_rows(values)
    bad = ~np.isfinite(rows)
    if bad.any():
        row, column = _first(bad)
        value = rows[row - 1, column - 1]
        what = "NaN" if np.isnan(value) else "infinity"
        raise NncalcError(
            f"{what} is not a probability", row=row, column=column, token=_token(value)
        )
    negative = rows < 0
    if negative.any():
        row, column = _first(negative)
        raise NncalcError(
            "probabilities must be >= 0",
            row=row,
            column=column,
            token=_token(rows[row - 1, column - 1]),
            hint="pass --logits if these are logits",
        )
    sums = row_sums(rows)
    if normalize:
        empty = ~(sums > 0)
        if empty.any():
            raise NncalcError(
                "row sums to 0, so it cannot be normalised", row=int(np.argmax(empty)) + 1
            )
    else:
        off = ~(np.abs(sums - 1.0) <= tol)
        if off.any():
            row = int(np.argmax(off))
            raise NncalcError(
                f"row sums to {sums[row]:.10g}, not 1 within tolerance {tol:g}",
                row=row + 1,
                hint=NORMALIZE_HINT,
            )
    return rows, sums


# Rows whose sum lies outside [1/2, 2^16] are first scaled by a power of
# two (exact), so that no sum overflows and no product that matters goes
# subnormal only to be divided by a small sum at the end.
_SCALE_RANGE = (0.5, 2.0**16)


def _rescaled(rows: FloatArray, sums: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Rows (and sums) with far-from-1 sums scaled by 2^-e so their largest entry is in [1/2, 1).

    Every quantity here is invariant under scaling a row; scaling by a power
    of two is exact, so this only removes underflow and overflow.
    """
    far = ~((sums >= _SCALE_RANGE[0]) & (sums <= _SCALE_RANGE[1]))
    if not far.any():
        return rows, sums
    rows = np.array(rows, dtype=np.float64)
    exponents = np.frexp(np.max(rows[far], axis=-1))[1]
    rows[far] = np.ldexp(rows[far], -exponents[:, None])
    sums = np.array(sums, dtype=np.float64)
    sums[far] = row_sums(rows[far])
    return rows, sums


def as_distribution(
    values: npt.ArrayLike, *, tol: float = DEFAULT_TOL, normalize: bool = False
) -> FloatArray:
    """Validated rows divided by their sums (see :func:`validate_distribution`).

    A row whose sum is already 1 to within the rounding of a sum (2 + log2 n
    ulp for n entries: a softmax output, or a row divided by its sum) is
    returned as it is: dividing it again would only add a rounding error to
    every entry (which at KL ~ 1e-25 is all of the answer), and the row
    functions here (:func:`kl_rows`, :func:`js_rows`, :func:`entropy_rows`,
    :func:`soft_xent_rows`) renormalise exactly by themselves.
    """
    rows, sums = _rescaled(*validate_distribution(values, tol=tol, normalize=normalize))
    off = np.abs(sums - 1.0) > (2.0 + math.log2(rows.shape[1])) * EPSILON
    if not off.any():
        return rows
    result: FloatArray = np.where(off[:, None], rows / sums[:, None], rows)
    return result


EPSILON = float(np.finfo(np.float64).eps)
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


def pair_rows(p: FloatArray, q: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Broadcast a single row against a batch; check widths and row counts."""
    if p.shape[1] != q.shape[1]:
        raise NncalcError(f"rows have {p.shape[1]} and {q.shape[1]} values; they must match")
    if len(p) != len(q):
        if len(p) == 1:
            p = np.broadcast_to(p, q.shape)
        elif len(q) == 1:
            q = np.broadcast_to(q, p.shape)
        else:
            raise NncalcError(f"batches have {len(p)} and {len(q)} rows; they must match")
    return p, q


def _scalar_like(result: FloatArray, *inputs: npt.ArrayLike) -> Any:
    if all(np.ndim(x) <= 1 for x in inputs):
        return float(result[0])
    return result


def kl_divergence(
    p: npt.ArrayLike,
    q: npt.ArrayLike,
    *,
    tol: float = DEFAULT_TOL,
    normalize: bool = False,
) -> Any:
    """D_KL(P || Q) = sum P log(P / Q) in nats, row-wise.

    Domain: rows of finite entries >= 0 summing to 1 within ``tol``
    (renormalised), or any positive sum with ``normalize``. 0 log(0/q) = 0;
    P > 0 where Q = 0 gives inf. Never negative; 0 exactly when P == Q.

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

    Domain as :func:`kl_divergence`; the rows are renormalised exactly.
    Every term is >= 0, so the sum keeps a few ulp of relative accuracy
    (<= 2e-14, tested), also for a P within 1e-20 of one-hot.
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
    """H(p') per row, p' = p / sum p renormalised exactly; terms p' log(1/p') >= 0."""
    rows, sums = _rescaled(rows, row_sums(rows))
    # log p' >= -745 wherever p > 0; the floor turns 0 * log 0 into 0 * 1000.
    terms = rows * -np.maximum(_log_probabilities(rows, sums), -1000.0)
    result: FloatArray = row_sums(terms) / sums
    return result


def js_divergence(
    p: npt.ArrayLike, q: npt.ArrayLike, *, tol: float = DEFAULT_TOL, normalize: bool = False
) -> Any:
    """Jensen-Shannon divergence 1/2 KL(P || M) + 1/2 KL(Q || M), M = (P + Q) / 2.

    Domain as :func:`kl_divergence`. Symmetric (bit for bit), 0 <= JS <= log 2,
    finite even where P or Q has zeros, 0 exactly when P == Q. Accuracy as
    for KL: <= 1e-12 relative while JS >= 1e-6 and ~1e-15 relative as P -> Q.
    """
    prows, _ = validate_distribution(p, tol=tol, normalize=normalize)
    qrows, _ = validate_distribution(q, tol=tol, normalize=normalize)
    prows, qrows = pair_rows(prows, qrows)
    result = js_rows(prows, qrows)
    return _scalar_like(result, p, q)


LOG_2 = math.log(2.0)


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


def class_indices(values: npt.ArrayLike, classes: int) -> IntArray:
    """Validate class indices (0-based) against the number of classes."""
    array = np.asarray(values)
    flat = array.reshape(-1)
    if array.dtype.kind == "f":
        bad = ~np.isfinite(flat) | (flat != np.floor(flat))
        if bad.any():
            index = int(np.argmax(bad))
            raise NncalcError(
                "a class index must be a whole number", row=index + 1, token=_token(flat[index])
            )
    # Range-check before the cast: 1e30 must not wrap around to a negative int64.
    out = (flat < 0) | (flat >= classes)
    if out.any():
        index = int(np.argmax(out))
        raise NncalcError(
            f"class index out of range for {classes} classes (0-based: 0..{classes - 1})",
            row=index + 1,
            token=_index_token(flat[index]),
        )
    return flat.astype(np.int64)


def cross_entropy(
    target: npt.ArrayLike,
    pred: npt.ArrayLike,
    *,
    from_logits: bool = False,
    temperature: float = 1.0,
    eps: float | None = None,
    tol: float = DEFAULT_TOL,
    normalize: bool = False,
) -> Any:
    """Cross-entropy H(y, y_hat) = -sum y log y_hat in nats, row-wise.

    ``target`` is an integer array of class indices (one per row) or rows of
    distributions (soft or one-hot). ``pred`` is probabilities, validated as
    in :func:`kl_divergence`, or logits with ``from_logits`` (through
    :func:`log_softmax`, finite for any finite logits). A true class with
    probability 0 gives inf. ``eps`` clips probabilities to [eps, 1 - eps]
    and renormalises, as scikit-learn's ``log_loss`` does.

    Accuracy: <= 2e-14 relative (tested), from probabilities down to 1e-300
    or from logits: the terms -y log y_hat are all >= 0 and each log y_hat is
    accurate to a few ulp (see :func:`log_predictions`). Never below the
    entropy of the target (so cross-entropy - entropy is never negative).
    """
    log_q = log_predictions(
        pred,
        from_logits=from_logits,
        temperature=temperature,
        eps=eps,
        tol=tol,
        normalize=normalize,
    )
    target_array = np.asarray(target)
    if target_array.dtype.kind in "iu" and target_array.ndim <= 1:
        indices = class_indices(target_array, log_q.shape[1])
        result = nll_rows(indices, log_q)
    else:
        y, _ = validate_distribution(target_array, tol=tol, normalize=normalize)
        y, log_q = pair_rows(y, log_q)
        result = soft_xent_rows(y, log_q)
    return _scalar_like(result, target, pred)


def log_predictions(
    pred: npt.ArrayLike,
    *,
    from_logits: bool = False,
    temperature: float = 1.0,
    eps: float | None = None,
    tol: float = DEFAULT_TOL,
    normalize: bool = False,
) -> FloatArray:
    """log y_hat per row: log-softmax of logits, or log of checked probabilities.

    Probability rows are renormalised exactly: each entry is log(p / sum p)
    to a few ulp, including a p within 1e-20 of the whole row sum (whose
    log is tiny) and subnormal p; 0 gives -inf.
    """
    if from_logits:
        return np.asarray(log_softmax(as_rows(pred), temperature), dtype=np.float64)
    if eps is None:
        rows, sums = validate_distribution(pred, tol=tol, normalize=normalize)
        return _log_probabilities(rows, sums)
    if not 0 < eps < 0.5:
        raise NncalcError(f"eps must be in (0, 0.5), got {eps!r}")
    q = as_distribution(pred, tol=tol, normalize=normalize)
    return _log_probabilities(np.clip(q, eps, 1.0 - eps))


def nll_rows(indices: IntArray, log_q: FloatArray) -> FloatArray:
    """-log y_hat[y] per row, broadcasting a single row of either side."""
    if len(indices) != len(log_q):
        if len(log_q) == 1:
            log_q = np.broadcast_to(log_q, (len(indices), log_q.shape[1]))
        elif len(indices) == 1:
            indices = np.broadcast_to(indices, (len(log_q),))
        else:
            raise NncalcError(
                f"{len(indices)} targets for {len(log_q)} rows of predictions; they must match"
            )
    return -log_q[np.arange(len(indices)), indices]


def soft_xent_rows(y: FloatArray, log_q: FloatArray) -> FloatArray:
    """-sum y' log y_hat per row, y' = y / sum y renormalised exactly; 0 * log 0 = 0.

    ``log_q`` holds normalised log-probabilities (:func:`log_predictions`).
    The terms are >= 0. Since H(y, q) >= H(y) for every distribution q, a
    result that rounding put below the entropy of y (possible only when
    KL(y || q) is below an ulp of H) is raised to it: cross-entropy minus
    entropy is never negative.
    """
    y, sums = _rescaled(y, row_sums(y))
    with np.errstate(invalid="ignore"):
        terms = np.where(y > 0, y * -log_q, 0.0)
    result: FloatArray = np.maximum(row_sums(terms) / sums, entropy_rows(y))
    return result
