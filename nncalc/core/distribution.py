"""Rows as probability distributions: validation, exact renormalisation, pairing, class indices."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import (
    DEFAULT_TOL,
    EPSILON,
    FloatArray,
    IntArray,
    _first,
    _index_token,
    _token,
    as_rows,
)
from nncalc.core.numerics import row_sums
from nncalc.errors import Kind, NncalcError, plural

LOGITS_HINT = "if these are logits, take their softmax"


def check_tol(tol: float) -> float:
    """``tol`` if it is in [0, 1): the relative tolerance on a row sum.

    A tolerance of 1 or more would accept a row summing to 0 (or to 2, or
    anything with ``inf``); NaN would accept nothing. Else
    :class:`NncalcError` with ``param="tol"``, the value and the domain.
    """
    if not 0.0 <= tol < 1.0:
        raise NncalcError("tol must be in [0, 1)", param="tol", token=repr(tol))
    return tol


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

    Errors (:class:`NncalcError`) name the first bad row and column,
    1-based: ``tol`` outside [0, 1) (``param="tol"``, :func:`check_tol`); a
    non-finite entry; a negative one (``kind=Kind.NEGATIVE_PROBABILITY``); a
    row of zeros, whatever ``tol`` and ``normalize``; a row sum off 1
    (``kind=Kind.UNNORMALIZED``).
    """
    check_tol(tol)
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
            hint=LOGITS_HINT,
            kind=Kind.NEGATIVE_PROBABILITY,
        )
    sums = row_sums(rows)
    bad = ~(sums > 0) if normalize else ~((sums > 0) & (np.abs(sums - 1.0) <= tol))
    if bad.any():
        row = int(np.argmax(bad))
        if not sums[row] > 0:
            why = "so it cannot be normalised" if normalize else "so it is not a distribution"
            raise NncalcError(f"row sums to 0, {why}", row=row + 1)
        raise NncalcError(
            f"row sums to {sums[row]:.10g}, not 1 within tolerance {tol:g}",
            row=row + 1,
            hint=f"normalize=True rescales it; {LOGITS_HINT}",
            kind=Kind.UNNORMALIZED,
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


def pair_rows(p: FloatArray, q: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Broadcast a single row against a batch; check widths and row counts.

    2-D inputs; rows of different widths, or batches of different sizes
    (neither 1), raise :class:`NncalcError`. The broadcast row is a view.
    """
    if p.shape[1] != q.shape[1]:
        raise NncalcError(
            f"rows have {p.shape[1]} and {plural(q.shape[1], 'value')}; they must match"
        )
    if len(p) != len(q):
        if len(p) == 1:
            p = np.broadcast_to(p, q.shape)
        elif len(q) == 1:
            q = np.broadcast_to(q, p.shape)
        else:
            raise NncalcError(f"batches have {len(p)} and {plural(len(q), 'row')}; they must match")
    return p, q


def class_indices(values: npt.ArrayLike, classes: int) -> IntArray:
    """Class indices (0-based) as int64, checked against the number of classes.

    Whole numbers in 0..classes-1 (floats such as 2.0 are accepted);
    anything else raises :class:`NncalcError` naming the 1-based position
    and the value.
    """
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
            f"class index out of range for {plural(classes, 'class', 'classes')} "
            f"(0-based: 0..{classes - 1})",
            row=index + 1,
            token=_index_token(flat[index]),
        )
    return flat.astype(np.int64)
