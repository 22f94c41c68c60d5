"""Softmax and log-softmax of logits, max-shifted and exact at any scale."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import FloatArray, IntArray, _first, _like_input, as_rows
from nncalc.core.numerics import row_sums, two_product, two_sum
from nncalc.errors import NncalcError


def check_logits(logits: FloatArray) -> None:
    """Raise :class:`NncalcError` for NaN anywhere or a row whose logits are all -inf.

    The error names the row (and column, for NaN), 1-based. +-inf elsewhere
    is allowed: -inf masks a class, +inf takes all the probability.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        total = np.sum(logits)
    if np.isfinite(total):  # one pass: no NaN, and no -inf row, anywhere
        return
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


def _shifted(
    logits: npt.ArrayLike, temperature: float
) -> tuple[FloatArray, _Corrections | None, IntArray]:
    """(z - max z) / T, its corrections and each row's first maximum: :func:`_shifted_top`
    without the maxima themselves."""
    shifted, corrections, _, first, _ = _shifted_top(logits, temperature)
    return shifted, corrections, first


def _shifted_top(
    logits: npt.ArrayLike, temperature: float
) -> tuple[FloatArray, _Corrections | None, FloatArray, IntArray, float]:
    """(z - max z) / T, with rows containing +inf reduced to their limit; max z and its index.

    The index is each row's first maximum (argmax of z: also the first 0 of
    the shifted row, or one of its ties, whose exp is 1 all the same).

    In the limit of a +inf logit every finite logit is infinitely far below
    it; the +inf entries share the mass equally. Returned shifted logits are
    <= 0 and at least one entry per row is 0. The second value holds the
    rounding errors of the far entries (see COMPENSATE_BELOW), or None; no
    shifted logit is below the last value.
    """
    if not temperature > 0 or not np.isfinite(temperature):
        raise NncalcError(
            "temperature must be a positive number", param="temperature", token=repr(temperature)
        )
    z = np.ascontiguousarray(as_rows(logits))  # flat indices below assume C order
    first = np.argmax(z, axis=-1)  # the first NaN where there is one
    top = z[np.arange(len(z)), first][:, None]  # a copy, as take_along_axis gives
    if not np.isfinite(top).all():  # finite maxima: no NaN (argmax finds it), no -inf row
        check_logits(z)
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = z - top
    plus_inf = np.isinf(top[:, 0]) & (top[:, 0] > 0)
    if plus_inf.any():
        rows = z[plus_inf]
        shifted[plus_inf] = np.where(rows == np.inf, 0.0, -np.inf)
    if temperature != 1.0:
        with np.errstate(over="ignore", under="ignore"):
            shifted /= temperature
    lowest = float(np.min(shifted))
    if not lowest < COMPENSATE_BELOW:
        return shifted, None, top[:, 0], first, lowest
    if temperature > 1.0:
        _undo_overflow(shifted, z, top, temperature)
    return shifted, _rounding_errors(shifted, z, top, temperature), top[:, 0], first, lowest


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


def _log_normalizer(
    shifted: FloatArray, corrections: _Corrections | None, top: IntArray | None = None
) -> FloatArray:
    """log sum exp of max-shifted rows, as log1p of the non-maximal terms.

    The largest entry of each row is exactly 0 (exp = 1), so
    ``log(1 + s)`` with ``s`` the sum of the others keeps full relative
    accuracy when the maximum dominates. The terms are positive, so their
    (pairwise) sum is accurate to a few ulp at any length. ``top`` as for
    :func:`_normalizer_parts`.
    """
    return _normalizer_parts(shifted, corrections, top)[0]


def _normalizer_parts(
    shifted: FloatArray, corrections: _Corrections | None, top: IntArray | None = None
) -> tuple[FloatArray, FloatArray, IntArray]:
    """(:func:`_log_normalizer`, the terms exp(shifted) with the rounding errors
    carried and 0 at each row's first maximum, the index of that maximum).

    ``top``: that index when known (a 0 of each shifted row).
    """
    if top is None:
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
    return log_norm, terms, top


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


def softmax(logits: npt.ArrayLike, temperature: float = 1.0) -> Any:
    """softmax(z / T) along the last axis, always max-shifted.

    ``logits`` is a vector (the result is a vector) or a 2-D batch of rows
    (one softmax per row); a scalar is a row of one.

    Domain: finite logits and -inf (masked: probability 0); +inf logits share
    the probability equally (the limit) and every finite one gets 0. NaN or
    a row of only -inf raise :class:`NncalcError` (a ``ValueError``) naming
    the row and column. ``temperature`` must be finite and > 0
    (``param="temperature"`` otherwise).

    Edge cases: a row of one logit gives 1.0; equal logits give 1/n each;
    probabilities below ~4.9e-324 underflow to 0 (use :func:`log_softmax`).

    Accuracy: <= 2e-14 relative on every entry (tested against mpmath),
    including logits of +-1e308 where exp(z) overflows, temperatures from
    0.01 to 100 and entries far below the maximum, whose rounding error in
    (z - max) / T is carried exactly; subnormal results are within one unit
    of the smallest subnormal.
    """
    shifted, corrections, first = _shifted(logits, temperature)
    log_norm = _log_normalizer(shifted, corrections, first)
    result = np.exp(shifted - log_norm[:, None])
    if corrections is not None:
        flat, rows, error = corrections
        high, low = two_sum(shifted.ravel().take(flat), log_norm.take(rows) * -1.0)
        value = np.exp(high)
        result.ravel()[flat] = value + value * (low + error)
    return _like_input(result, logits)


def log_softmax(logits: npt.ArrayLike, temperature: float = 1.0) -> Any:
    """log softmax(z / T), computed directly (never log of softmax).

    Same shapes, domain and errors as :func:`softmax`. Masked (-inf) logits
    give -inf; with +inf logits in a row, those give -log(k) (k of them) and
    the others -inf. Finite for every finite input, also where softmax
    underflows to 0 (a gap of 1000 gives -1000, not -inf).

    Accuracy: <= 2e-14 relative (a few ulp): both parts of
    (z - max) / T - log1p(s) are <= 0, so the subtraction cannot cancel.
    """
    shifted, corrections, first = _shifted(logits, temperature)
    log_norm = _log_normalizer(shifted, corrections, first)
    result = shifted - log_norm[:, None]
    if corrections is not None:
        flat, rows, error = corrections
        high, low = two_sum(shifted.ravel().take(flat), log_norm.take(rows) * -1.0)
        result.ravel()[flat] = high + (low + error)
    return _like_input(result, logits)
