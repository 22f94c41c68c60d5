"""Cross-entropy: index or soft targets, PyTorch's weights, smoothing and ignore_index.

:func:`cross_entropy` is the exact H(y, y_hat) of one target and one
prediction per row; :func:`cross_entropy_loss` is PyTorch's loss with its
options and reductions. The ``*_rows`` functions compute per row for
callers that stream batches and have checked their inputs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import DEFAULT_TOL, FloatArray, IntArray, _scalar_like, as_rows
from nncalc.core.distribution import (
    _rescaled,
    as_distribution,
    class_indices,
    pair_rows,
    validate_distribution,
)
from nncalc.core.divergence import _log_probabilities, entropy_rows
from nncalc.core.numerics import row_sums
from nncalc.core.softmax import log_softmax
from nncalc.errors import NncalcError, plural


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

    ``target`` is an integer array of class indices (0-based, one per row)
    or rows of distributions (soft or one-hot). ``pred`` is probabilities,
    validated as in :func:`kl_divergence` (``tol``, ``normalize``), or
    logits with ``from_logits`` (through :func:`log_softmax` at
    ``temperature``, finite for any finite logits). A single row of either
    side broadcasts; a float for vectors, an array for batches.

    Domain: as :func:`kl_divergence` for probabilities and target rows, as
    :func:`softmax` for logits; class indices whole and in 0..C-1; ``eps``
    in [0, 0.5). Anything else raises :class:`NncalcError` (a
    ``ValueError``). Edge cases: a true class with probability 0 gives inf;
    ``eps`` > 0 clips probabilities to [eps, 1 - eps] without renormalising,
    as scikit-learn's ``log_loss`` does (since 1.5), so the result is finite
    (see :func:`log_predictions`).

    Accuracy: <= 2e-14 relative (tested), from probabilities down to 1e-300
    or from logits: the terms -y log y_hat are all >= 0 and each log y_hat is
    accurate to a few ulp (see :func:`log_predictions`). Never below the
    entropy of the target (so cross-entropy - entropy is never negative).
    """
    t = temperature if from_logits else None
    log_q = log_predictions(pred, logits_temperature=t, eps=eps, tol=tol, normalize=normalize)
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
    logits_temperature: float | None = None,
    eps: float | None = None,
    tol: float = DEFAULT_TOL,
    normalize: bool = False,
) -> FloatArray:
    """log y_hat per row (2-D): log-softmax of logits, or log of checked probabilities.

    ``pred`` holds logits when ``logits_temperature`` is given (softened at
    that temperature; 1.0 for plain logits), else probabilities. Other
    arguments and errors as :func:`cross_entropy`'s for ``pred``. Probability
    rows are renormalised exactly: each entry is log(p / sum p) to a few
    ulp, including a p within 1e-20 of the whole row sum (whose log is tiny)
    and subnormal p; 0 gives -inf. Logits: as :func:`log_softmax`.

    With ``eps`` (probabilities only), as scikit-learn's ``log_loss`` (1.5
    and later): each checked probability (divided by its row sum only where
    that sum is off 1 by more than rounding, see :func:`as_distribution`)
    is clipped to [eps, 1 - eps] and its log taken, NOT renormalised after
    clipping, so the row of exp(log y_hat) may sum to a little more or
    less than 1. ``log_loss`` uses eps = the float64 machine epsilon,
    2.220446049250313e-16; nncalc agrees with it bit for bit there (tested).
    """
    if logits_temperature is not None:
        return np.asarray(log_softmax(as_rows(pred), logits_temperature), dtype=np.float64)
    if eps is None:
        rows, sums = validate_distribution(pred, tol=tol, normalize=normalize)
        return _log_probabilities(rows, sums)
    check_eps(eps)
    q = as_distribution(pred, tol=tol, normalize=normalize)
    with np.errstate(divide="ignore"):
        clipped: FloatArray = np.log(np.clip(q, eps, 1.0 - eps))
    return clipped


def check_eps(eps: float) -> float:
    """``eps`` if it is in [0, 0.5), else :class:`NncalcError` (``param="eps"``)."""
    if not 0.0 <= eps < 0.5:
        raise NncalcError("eps must be in [0, 0.5)", param="eps", token=repr(eps))
    return eps


def nll_rows(indices: IntArray, log_q: FloatArray) -> FloatArray:
    """-log y_hat[y] per row, broadcasting a single row of either side.

    ``indices``: valid class indices (:func:`class_indices`); ``log_q``:
    normalised log-probabilities, 2-D. Exact (a negation); inf where
    y_hat[y] = 0. Different row counts (neither 1) raise :class:`NncalcError`.
    """
    if len(indices) != len(log_q):
        if len(log_q) == 1:
            log_q = np.broadcast_to(log_q, (len(indices), log_q.shape[1]))
        elif len(indices) == 1:
            indices = np.broadcast_to(indices, (len(log_q),))
        else:
            raise NncalcError(
                f"{plural(len(indices), 'target')} for {plural(len(log_q), 'row')} "
                "of predictions; they must match"
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


def check_smoothing(smoothing: float) -> None:
    """Raise :class:`NncalcError` (``param="label_smoothing"``) unless 0 <= smoothing <= 1."""
    if not 0.0 <= smoothing <= 1.0:
        raise NncalcError(
            "label smoothing must be in [0, 1]", param="label_smoothing", token=repr(smoothing)
        )


def check_weight(weight: FloatArray, classes: int) -> None:
    """Raise :class:`NncalcError` (``param="weight"``) unless one finite value >= 0 per class."""
    if weight.shape != (classes,):
        raise NncalcError(
            f"{plural(weight.size, 'weight')} for {plural(classes, 'class', 'classes')}; "
            "give one weight per class",
            param="weight",
        )
    bad = ~np.isfinite(weight) | (weight < 0)
    if bad.any():
        column = int(np.argmax(bad))
        raise NncalcError(
            "a class weight must be a finite number >= 0",
            param="weight",
            column=column + 1,
            token=repr(float(weight[column])),
        )


def _product(factor: FloatArray, neg_log_q: FloatArray) -> FloatArray:
    """factor * -log q with 0 * inf = 0 (a class that carries no weight adds nothing)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(np.where(factor == 0, 0.0, factor * neg_log_q), dtype=np.float64)


def smoothed_target(y: FloatArray, smoothing: float) -> FloatArray:
    """(1 - eps) y + eps / C, row-wise (``y`` itself when eps = 0); eps in [0, 1]."""
    if smoothing == 0:
        return y
    classes = y.shape[-1]
    return np.asarray((1.0 - smoothing) * y + smoothing / classes, dtype=np.float64)


def index_xent_rows(
    indices: IntArray,
    log_q: FloatArray,
    *,
    weight: FloatArray | None = None,
    smoothing: float = 0.0,
    ignored: npt.NDArray[np.bool_] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Per-row losses and mean denominators for class-index targets (PyTorch's rules).

    loss = -(1 - s) w[y] log q[y] - (s / C) sum_c w[c] log q[c], and the
    denominator w[y] (what "mean" divides by); both 0 for ignored rows.
    ``indices`` must be valid class indices where not ``ignored`` (ignored
    entries may hold anything in range, e.g. 0); ``weight`` as checked by
    :func:`check_weight`; ``smoothing`` s in [0, 1]. A single row of either
    side broadcasts against the other. A class of weight 0 adds 0 even where
    q is 0 (no 0 * inf = nan); otherwise q = 0 where it counts gives inf.
    Accuracy: a few ulp per term (the terms are >= 0).
    """
    if ignored is None:
        ignored = np.zeros(len(indices), dtype=bool)
    if len(indices) != len(log_q):
        if len(log_q) == 1:
            log_q = np.broadcast_to(log_q, (len(indices), log_q.shape[1]))
        elif len(indices) == 1:
            indices = np.broadcast_to(indices, (len(log_q),))
            ignored = np.broadcast_to(ignored, (len(log_q),))
        else:
            raise NncalcError(
                f"{plural(len(indices), 'target')} for {plural(len(log_q), 'row')} "
                "of predictions; they must match"
            )
    classes = log_q.shape[1]
    w = np.ones(classes) if weight is None else weight
    neg_log_q = -log_q
    w_y = w[indices]
    loss = _product((1.0 - smoothing) * w_y, neg_log_q[np.arange(len(indices)), indices])
    if smoothing > 0:
        spread = np.sum(_product(np.broadcast_to(w, log_q.shape), neg_log_q), axis=-1)
        loss = loss + _product(np.full(len(loss), smoothing / classes), spread)
    loss = np.where(ignored, 0.0, loss)
    denominators = np.where(ignored, 0.0, w_y)
    return np.asarray(loss, dtype=np.float64), np.asarray(denominators, dtype=np.float64)


def soft_xent_rows_weighted(
    y: FloatArray,
    log_q: FloatArray,
    *,
    weight: FloatArray | None = None,
    smoothing: float = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """Per-row losses (and denominators, all 1) for distribution targets.

    loss = -sum_c w[c] t[c] log q[c] with t the smoothed target
    (:func:`smoothed_target`); ``y`` rows of a distribution, ``log_q``
    normalised log-probabilities, paired as :func:`pair_rows` does. A class
    with w t = 0 adds 0 even where q is 0; terms >= 0, a few ulp each.
    """
    y, log_q = pair_rows(y, log_q)
    target = smoothed_target(y, smoothing)
    factor = target if weight is None else target * weight
    loss = np.sum(_product(factor, -log_q), axis=-1)
    return np.asarray(loss, dtype=np.float64), np.ones(len(loss))


def cross_entropy_loss(
    target: npt.ArrayLike,
    pred: npt.ArrayLike,
    *,
    weight: npt.ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
    from_logits: bool = True,
) -> Any:
    """``torch.nn.functional.cross_entropy`` semantics in NumPy, in nats.

    ``pred`` holds logits (rows; or probabilities with ``from_logits=False``);
    ``target`` is integer class indices (one per row) or rows of
    distributions. ``reduction`` is "mean" (index targets: divided by the
    sum of w[y] over rows not ignored, as PyTorch does; distribution
    targets: by the number of rows), "sum" (a float) or "none" (an array,
    one loss per row).

    Domain: logits as :func:`softmax`; ``weight`` one finite value >= 0 per
    class; ``label_smoothing`` in [0, 1]; ``ignore_index`` for index targets
    only; class indices whole and in 0..C-1 (the ignored ones excepted).
    Else :class:`NncalcError` (a ``ValueError``; ``param`` names the argument).

    Edge cases: all rows ignored with "mean" gives nan, as in PyTorch; a
    class of weight 0 adds 0 even where its probability is 0.

    Accuracy: each term to a few ulp (log-softmax, then products of
    non-negative numbers); the reductions are exactly rounded (``math.fsum``).
    """
    check_smoothing(label_smoothing)
    log_q = log_predictions(pred, logits_temperature=1.0 if from_logits else None)
    classes = log_q.shape[1]
    w = None
    if weight is not None:
        w = np.asarray(weight, dtype=np.float64).reshape(-1)
        check_weight(w, classes)
    target_array = np.asarray(target)
    if target_array.dtype.kind in "iu" and target_array.ndim <= 1:
        flat = target_array.reshape(-1).astype(np.int64)
        ignored = flat == ignore_index if ignore_index is not None else np.zeros(len(flat), bool)
        indices = class_indices(np.where(ignored, 0, flat), classes)
        loss, denominators = index_xent_rows(
            indices, log_q, weight=w, smoothing=label_smoothing, ignored=ignored
        )
    else:
        if ignore_index is not None:
            raise NncalcError(
                "ignore_index applies to class-index targets only", param="ignore_index"
            )
        y = as_distribution(as_rows(target_array))
        loss, denominators = soft_xent_rows_weighted(y, log_q, weight=w, smoothing=label_smoothing)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return math.fsum(loss.tolist())
    if reduction != "mean":
        raise NncalcError(f"unknown reduction {reduction!r}: mean, sum or none", param="reduction")
    total = math.fsum(denominators.tolist())
    return math.fsum(loss.tolist()) / total if total else math.nan
