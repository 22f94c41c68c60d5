"""Cross-entropy with PyTorch's options: class weights, label smoothing, ignored targets.

The same numbers as ``torch.nn.functional.cross_entropy`` for the same
inputs. With C classes, weights w (default all 1) and smoothing eps:

- index target y: the row's loss is sum_c w_c t_c (-log q_c) with the
  smoothed target t = (1 - eps) onehot(y) + eps / C (without smoothing:
  w_y (-log q_y)); a row whose target is the ignore index has loss 0. The
  mean divides the summed loss by the sum of w_y over the rows not ignored.
- soft target y (a distribution per row): t = (1 - eps) y + eps / C, the
  row's loss is sum_c w_c t_c (-log q_c), and the mean divides by the number
  of rows (weights do not enter the denominator). Ignoring an index makes
  no sense here; the CLI refuses it.

Each row function returns (losses, denominators): a mean over any set of
rows is sum(losses) / sum(denominators). A zero weight or target times an
infinite -log q counts 0 (PyTorch would give nan; this only happens when
probabilities, not logits, contain zeros). NumPy only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from nncalc.errors import NncalcError
from nncalc.probability import (
    FloatArray,
    IntArray,
    as_distribution,
    as_rows,
    class_indices,
    log_predictions,
    pair_rows,
)

__all__ = [
    "check_smoothing",
    "check_weight",
    "cross_entropy_loss",
    "index_xent_rows",
    "smoothed_target",
    "soft_xent_rows_weighted",
]


def check_smoothing(smoothing: float) -> None:
    if not 0.0 <= smoothing <= 1.0:
        raise NncalcError(
            "label smoothing must be in [0, 1]", operand="--label-smoothing", token=repr(smoothing)
        )


def check_weight(weight: FloatArray, classes: int) -> None:
    """Weights: one finite value >= 0 per class."""
    if weight.shape != (classes,):
        raise NncalcError(
            f"{weight.size} weights for {classes} classes; give one weight per class",
            operand="--weight",
        )
    bad = ~np.isfinite(weight) | (weight < 0)
    if bad.any():
        column = int(np.argmax(bad))
        raise NncalcError(
            "a class weight must be a finite number >= 0",
            operand="--weight",
            column=column + 1,
            token=repr(float(weight[column])),
        )


def _product(factor: FloatArray, neg_log_q: FloatArray) -> FloatArray:
    """factor * -log q with 0 * inf = 0 (a class that carries no weight adds nothing)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(np.where(factor == 0, 0.0, factor * neg_log_q), dtype=np.float64)


def smoothed_target(y: FloatArray, smoothing: float) -> FloatArray:
    """(1 - eps) y + eps / C, row-wise."""
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
    """Per-row losses and mean denominators for class-index targets.

    ``indices`` must be valid class indices where not ``ignored`` (ignored
    entries may hold anything in range, e.g. 0). A single row of either
    side broadcasts against the other.
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
                f"{len(indices)} targets for {len(log_q)} rows of predictions; they must match"
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
    """Per-row losses (and denominators, all 1) for distribution targets."""
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
    distributions. ``reduction`` is "mean" (weighted as described in this
    module), "sum" or "none". ``ignore_index`` applies to index targets only.
    All rows ignored with "mean" gives nan, as in PyTorch.
    """
    check_smoothing(label_smoothing)
    log_q = log_predictions(pred, from_logits=from_logits)
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
            raise NncalcError("ignore_index applies to class-index targets only")
        y = as_distribution(as_rows(target_array))
        loss, denominators = soft_xent_rows_weighted(y, log_q, weight=w, smoothing=label_smoothing)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return math.fsum(loss.tolist())
    if reduction != "mean":
        raise NncalcError(f"unknown reduction {reduction!r}: mean, sum or none")
    total = math.fsum(denominators.tolist())
    return math.fsum(loss.tolist()) / total if total else math.nan
