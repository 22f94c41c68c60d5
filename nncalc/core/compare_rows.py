"""Per-row comparison of two models' outputs: KL both ways, JS, top-1 agreement, ln p(target).

Per row, P is the base distribution and Q the new one:

- KL(P||Q) and KL(Q||P): from logits, in log space (no probability is
  formed where it could underflow), see :func:`kl_logits`; from
  probabilities, :func:`~nncalc.core.divergence.kl_rows` (exact
  renormalisation). Never negative.
- JS(P, Q): from logits, :func:`~nncalc.core.from_logits.js_pair_rows`
  (log space, relative accuracy also as Q approaches P); from probabilities,
  :func:`~nncalc.core.divergence.js_rows`.

From logits, each chunk's log-softmax rows and log-ratios are formed once
(:func:`~nncalc.core.from_logits.logit_pair`) and shared by KL both ways
(the reverse pair is the same one, swapped), JS and ln p(target).
- top-1 agreement: the index of the largest logit (probability) is the same
  in both rows; where several classes tie for the largest, the first one
  counts (as NumPy's and PyTorch's argmax and llama.cpp's report).
- with a target class t: ln p_P(t) and ln p_Q(t) (log-softmax from logits).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import DEFAULT_TOL, FloatArray, IntArray
from nncalc.core.distribution import class_indices, validate_distribution
from nncalc.core.divergence import js_rows, kl_rows
from nncalc.core.from_logits import (
    js_pair_rows,
    kl_logits_rows,
    kl_pair_rows,
    logit_pair,
    swapped,
)
from nncalc.core.softmax import check_logits
from nncalc.errors import NncalcError, plural

__all__ = ["DEFAULT_OPERANDS", "Operands", "RowComparison", "compare_rows", "kl_logits"]


def kl_logits(p_logits: FloatArray, q_logits: FloatArray) -> FloatArray:
    """KL(softmax(p) || softmax(q)) per row of logits, in log space.

    The one place compare computes the per-row KL from logits: the exact
    kernel :func:`~nncalc.core.from_logits.kl_logits_rows` (sum of terms
    p f(x) >= 0 with the log-ratio x from the exact logit difference).
    Never negative; ~1e-15 relative against mpmath at any logit gap; inf
    only where a class with p > 0 has a -inf logit in q.
    """
    return kl_logits_rows(p_logits, q_logits, 1.0)


class Operands(NamedTuple):
    """Names of the four inputs, as error messages give them."""

    base: str = "base"
    new: str = "new"
    target: str = "target"
    mask: str = "mask"


DEFAULT_OPERANDS = Operands()


class RowComparison(NamedTuple):
    """Per-row results of a chunk (the rows its mask kept).

    ``log_p_base`` and ``log_p_new`` are ln p(t) of the target under P and
    Q, None without targets.
    """

    kl: FloatArray
    kl_reverse: FloatArray
    js: FloatArray
    top1_agree: npt.NDArray[np.bool_]
    log_p_base: FloatArray | None
    log_p_new: FloatArray | None


@contextmanager
def operand(name: str) -> Iterator[None]:
    try:
        yield
    except NncalcError as error:
        raise error.located(operand=name) from None


def compare_rows(
    base: FloatArray,
    new: FloatArray,
    target: npt.ArrayLike | None = None,
    names: Operands = DEFAULT_OPERANDS,
    probs: bool = False,
    tol: float = DEFAULT_TOL,
    normalize: bool = False,
) -> RowComparison:
    """Per-row comparison of paired 2-D rows.

    Rows in errors are 1-based within these rows; errors name the operand
    from ``names``. ``probs``, ``tol``, ``normalize``: as for
    :func:`nncalc.core.compare.compare`.
    """
    if base.shape[1] != new.shape[1]:
        raise NncalcError(
            f"{names.base} rows have {plural(base.shape[1], 'value')} and {names.new} rows have "
            f"{new.shape[1]}; they must match"
        )
    if len(base) != len(new):
        raise NncalcError(
            f"{names.base} has {plural(len(base), 'row')} and {names.new} has {len(new)}"
        )
    if len(base) == 0:
        empty = np.zeros(0)
        some = None if target is None else empty
        return RowComparison(empty, empty, empty, np.zeros(0, dtype=np.bool_), some, some)
    indices = None
    if target is not None:
        with operand(names.target):
            indices = _targets(target, len(base), base.shape[1])
    if probs:
        return _from_probabilities(base, new, indices, tol, normalize, names)
    with operand(names.base):
        check_logits(base)
    with operand(names.new):
        check_logits(new)
    pair = logit_pair(base, new)
    kl = kl_pair_rows(pair)
    kl_reverse = kl_pair_rows(swapped(pair))
    js = js_pair_rows(pair)
    agree = np.argmax(base, axis=-1) == np.argmax(new, axis=-1)
    if indices is None:
        return RowComparison(kl, kl_reverse, js, agree, None, None)
    each = np.arange(len(base))
    log_p, log_q = pair.p.high[each, indices], pair.q.high[each, indices]
    return RowComparison(kl, kl_reverse, js, agree, log_p, log_q)


def _targets(target: npt.ArrayLike, rows: int, classes: int) -> IntArray:
    flat = np.asarray(target).reshape(-1)
    if len(flat) != rows:
        raise NncalcError(
            f"{plural(len(flat), 'target')} for {plural(rows, 'row')}; they must match"
        )
    if flat.dtype.kind not in "biuf":
        raise NncalcError(f"targets are class indices, not {flat.dtype} values")
    return class_indices(flat, classes)


def _from_probabilities(
    base: FloatArray,
    new: FloatArray,
    indices: IntArray | None,
    tol: float,
    normalize: bool,
    names: Operands,
) -> RowComparison:
    with operand(names.base):
        p, p_sums = validate_distribution(base, tol=tol, normalize=normalize)
    with operand(names.new):
        q, q_sums = validate_distribution(new, tol=tol, normalize=normalize)
    agree = np.argmax(p, axis=-1) == np.argmax(q, axis=-1)
    kl, kl_reverse, js = kl_rows(p, q), kl_rows(q, p), js_rows(p, q)
    if indices is None:
        return RowComparison(kl, kl_reverse, js, agree, None, None)
    each = np.arange(len(base))
    with np.errstate(divide="ignore"):
        log_p = np.log(p[each, indices]) - np.log(p_sums)
        log_q = np.log(q[each, indices]) - np.log(q_sums)
    return RowComparison(kl, kl_reverse, js, agree, log_p, log_q)
