"""Softmax, cross-entropy, KL divergence, entropy and Jensen-Shannon.

Every function works row-wise over the last axis of a float64 array: a 1-D
input is one distribution and gives a scalar (or a 1-D result for softmax),
a 2-D input is a batch of rows. NumPy only; errors are :class:`NncalcError`
with the (0-based within the array, reported 1-based) row and column.

Accuracy is stated per function and tested against 50-digit mpmath
references in ``tests/test_accuracy.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from nncalc.errors import NncalcError

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


def _shifted(logits: npt.ArrayLike, temperature: float) -> FloatArray:
    """(z - max z) / T, with rows containing +inf reduced to their limit.

    In the limit of a +inf logit every finite logit is infinitely far below
    it; the +inf entries share the mass equally. Returned shifted logits are
    <= 0 and at least one entry per row is 0.
    """
    if not temperature > 0 or not np.isfinite(temperature):
        raise NncalcError(f"temperature must be a positive number, got {temperature!r}")
    z = as_rows(logits)
    check_logits(z)
    top = np.max(z, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = z - top
    plus_inf = np.isinf(top[:, 0]) & (top[:, 0] > 0)
    if plus_inf.any():
        rows = z[plus_inf]
        shifted[plus_inf] = np.where(rows == np.inf, 0.0, -np.inf)
    if temperature != 1.0:
        shifted /= temperature
    result: FloatArray = shifted
    return result


def _log_normalizer(shifted: FloatArray) -> FloatArray:
    """log sum exp of max-shifted rows, as log1p of the non-maximal terms.

    The largest entry of each row is exactly 0 (exp = 1), so
    ``log(1 + s)`` with ``s`` the sum of the others keeps full relative
    accuracy when the maximum dominates.
    """
    top = np.argmax(shifted, axis=-1)
    terms = np.exp(shifted)
    terms[np.arange(len(terms)), top] = 0.0
    log_norm: FloatArray = np.log1p(np.sum(terms, axis=-1))
    return log_norm


def _like_input(result: FloatArray, logits: npt.ArrayLike) -> Any:
    return result[0] if np.ndim(logits) <= 1 else result


def softmax(logits: npt.ArrayLike, temperature: float = 1.0) -> Any:
    """softmax(z / T) along the last axis, always max-shifted.

    Domain: finite logits and -inf (masked: probability 0); +inf logits share
    the probability equally (the limit); NaN or a row of only -inf raise
    :class:`NncalcError`. ``temperature`` must be > 0.

    Accuracy: a few ulp relative on every entry, including logits of +-1e308
    where exp(z) overflows, and entries that underflow to subnormals.
    """
    shifted = _shifted(logits, temperature)
    log_norm = _log_normalizer(shifted)[:, None]
    return _like_input(np.exp(shifted - log_norm), logits)


def log_softmax(logits: npt.ArrayLike, temperature: float = 1.0) -> Any:
    """log softmax(z / T), computed directly (never log of softmax).

    Same domain as :func:`softmax`. Masked (-inf) logits give -inf. Accuracy:
    a few ulp relative: both parts of (z - max) - log1p(s) have the same sign.
    """
    shifted = _shifted(logits, temperature)
    return _like_input(shifted - _log_normalizer(shifted)[:, None], logits)


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
    sums = np.sum(rows, axis=-1)
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


def as_distribution(
    values: npt.ArrayLike, *, tol: float = DEFAULT_TOL, normalize: bool = False
) -> FloatArray:
    """Validated rows divided by their sums (see :func:`validate_distribution`)."""
    rows, sums = validate_distribution(values, tol=tol, normalize=normalize)
    if np.all(sums == 1.0):
        return rows
    return rows / sums[:, None]


SERIES_RADIUS = 0.25
SERIES_TERMS = 30


def _excess_terms(p: FloatArray, q: FloatArray) -> FloatArray:
    """p log(p/q) - p + q = q h(p/q), h(r) = r log r - r + 1, for q > 0.

    Every term is >= 0 and the terms sum to KL(p || q) when p and q are
    normalised. For |p/q - 1| <= 0.25 the Taylor series of h,
    sum_{n>=2} (-1)^n d^n / (n (n - 1)), avoids the cancellation of the
    closed form; elsewhere the closed form loses at most ~50 ulp of a term.
    """
    tiny = np.finfo(np.float64).tiny
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = p / q
        log_ratio = np.log(ratio)
        unsafe = (p > 0) & ~((ratio >= tiny) & np.isfinite(ratio))
        if unsafe.any():
            log_ratio[unsafe] = np.log(p[unsafe]) - np.log(q[unsafe])
        terms = np.where(p > 0, p * log_ratio - p, 0.0) + q
        d = (p - q) / q
    near = np.abs(d) <= SERIES_RADIUS
    if near.any():
        dn = d[near]
        series = np.zeros_like(dn)
        for n in range(SERIES_TERMS, 1, -1):
            series = series * dn + (1.0 if n % 2 == 0 else -1.0) / (n * (n - 1))
        terms[near] = q[near] * series * dn * dn
    return np.maximum(terms, 0.0)


def kl_rows(p: FloatArray, q: FloatArray) -> FloatArray:
    """KL(p || q) per row for normalised rows p, q (validated, >= 0)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        direct_terms = np.where(p > 0, p * np.log(p / q), 0.0)
    direct = np.sum(direct_terms, axis=-1)
    magnitude = np.sum(np.abs(direct_terms), axis=-1)
    impossible = np.any((p > 0) & (q == 0), axis=-1)
    # Where the direct sum cancels (p close to q), sum the non-negative terms
    # q h(p / q) instead: the same value, no cancellation, never negative.
    cancels = ~(magnitude <= 2.0 * np.abs(direct)) & ~impossible
    result = np.where(impossible, np.inf, direct)
    if cancels.any():
        pc, qc = p[cancels], q[cancels]
        safe_q = np.where(qc > 0, qc, 1.0)
        terms = np.where(qc > 0, _excess_terms(pc, safe_q), 0.0)
        result[cancels] = np.sum(terms, axis=-1)
    return np.maximum(result, 0.0)


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

    Accuracy: <= 1e-12 relative while KL >= 1e-6, and meaningful down to
    KL ~ 1e-20 when P is close to Q, where the terms are summed in the
    non-negative form q h(p/q), h(r) = r log r - r + 1.
    """
    prows = as_distribution(p, tol=tol, normalize=normalize)
    qrows = as_distribution(q, tol=tol, normalize=normalize)
    prows, qrows = pair_rows(prows, qrows)
    return _scalar_like(kl_rows(prows, qrows), p, q)


def entropy(p: npt.ArrayLike, *, tol: float = DEFAULT_TOL, normalize: bool = False) -> Any:
    """Shannon entropy H(P) = -sum P log P in nats, with 0 log 0 = 0.

    Domain as :func:`kl_divergence`. Every term is >= 0, so the sum keeps a
    few ulp of relative accuracy.
    """
    rows = as_distribution(p, tol=tol, normalize=normalize)
    return _scalar_like(entropy_rows(rows), p)


def entropy_rows(rows: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(rows > 0, -rows * np.log(rows), 0.0)
    result: FloatArray = np.sum(terms, axis=-1)
    return result


def js_divergence(
    p: npt.ArrayLike, q: npt.ArrayLike, *, tol: float = DEFAULT_TOL, normalize: bool = False
) -> Any:
    """Jensen-Shannon divergence 1/2 KL(P || M) + 1/2 KL(Q || M), M = (P + Q) / 2.

    Symmetric, 0 <= JS <= log 2, finite even where P or Q has zeros.
    """
    prows = as_distribution(p, tol=tol, normalize=normalize)
    qrows = as_distribution(q, tol=tol, normalize=normalize)
    prows, qrows = pair_rows(prows, qrows)
    result = js_rows(prows, qrows)
    return _scalar_like(result, p, q)


def js_rows(p: FloatArray, q: FloatArray) -> FloatArray:
    m = 0.5 * p + 0.5 * q
    js = 0.5 * kl_rows(p, m) + 0.5 * kl_rows(q, m)
    return np.minimum(js, np.log(2.0))


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

    Accuracy: a few ulp relative; the terms -y log y_hat are all >= 0.
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
        y = as_distribution(target_array, tol=tol, normalize=normalize)
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
    """log y_hat per row: log-softmax of logits, or log of checked probabilities."""
    if from_logits:
        return np.asarray(log_softmax(as_rows(pred), temperature), dtype=np.float64)
    q = as_distribution(pred, tol=tol, normalize=normalize)
    if eps is not None:
        if not 0 < eps < 0.5:
            raise NncalcError(f"eps must be in (0, 0.5), got {eps!r}")
        q = np.clip(q, eps, 1.0 - eps)
        q = q / np.sum(q, axis=-1, keepdims=True)
    with np.errstate(divide="ignore"):
        return np.log(q)


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
    """-sum y log y_hat per row, with 0 * log 0 = 0."""
    with np.errstate(invalid="ignore"):
        terms = np.where(y > 0, -y * log_q, 0.0)
    result: FloatArray = np.sum(terms, axis=-1)
    return result
