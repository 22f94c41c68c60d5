"""Knowledge distillation (Hinton, Vinyals and Dean 2015), from logits.

    loss = alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE(y, softmax(s))

The soft term is computed from log-softmax rows, never from probabilities
that may have underflowed to 0: KL = sum_c p_c f(log q_c - log p_c) with
f(x) = e^x - 1 - x, a sum of terms >= 0 that stays accurate when the
student matches the teacher (KL -> 0) and finite for any finite logits.
The T^2 factor keeps the soft term's gradients on the scale of the hard
term's as T grows (Hinton et al., section 2). NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import FloatArray, as_rows
from nncalc.core.distribution import class_indices
from nncalc.core.from_logits import LogitPair, kl_pair_rows, logit_pair
from nncalc.core.log_space import LogSoftmax
from nncalc.core.softmax import log_softmax
from nncalc.core.xent import nll_rows
from nncalc.errors import NncalcError

__all__ = [
    "DEFAULT_ALPHA",
    "DistillTerms",
    "check_alpha",
    "distill_rows",
    "distillation_loss",
    "kl_log_rows",
]


DEFAULT_ALPHA = 0.5


def check_alpha(alpha: float) -> None:
    """Raise :class:`NncalcError` (``param="alpha"``) unless 0 <= alpha <= 1 (NaN is not)."""
    if not 0.0 <= alpha <= 1.0:
        raise NncalcError("alpha must be in [0, 1]", param="alpha", token=repr(alpha))


def kl_log_rows(
    log_p: FloatArray, log_q: FloatArray, log_ratio: FloatArray | None = None
) -> FloatArray:
    """KL(p || q) per row from normalised log-probabilities (2-D, paired).

    Terms p f(log q - log p) (q where p = 0) are all >= 0 and sum to
    KL(p || q) because both rows sum to 1. -inf in log q where p > 0 gives
    inf. ``log_ratio`` is log p - log q when known more accurately than the
    difference of the arguments (see :func:`nncalc.core.from_logits.logit_pair`).
    """
    with np.errstate(invalid="ignore"):
        ratio = log_q - log_p if log_ratio is None else -log_ratio
    masked = not np.isfinite(ratio).all()
    p, q = (LogSoftmax(v, None, -np.max(v, axis=-1), None, 1.0) for v in (log_p, log_q))
    return kl_pair_rows(LogitPair(p, q, ratio, masked))


@dataclass
class DistillTerms:
    """Per-row parts of the distillation loss (nats)."""

    loss: FloatArray
    soft: FloatArray  # T^2 KL(softmax(t/T) || softmax(s/T))
    hard: FloatArray | None  # CE(y, softmax(s)), None without labels
    teacher: FloatArray  # softmax(t/T)
    student: FloatArray  # softmax(s/T)


def distill_rows(
    teacher: FloatArray,
    student: FloatArray,
    labels: npt.NDArray[np.int64] | None,
    *,
    temperature: float,
    alpha: float,
) -> DistillTerms:
    """The loss and its parts per row; without labels the loss is the soft term.

    ``teacher``, ``student``: 2-D rows of logits (a single row broadcasts);
    ``labels``: valid class indices or ``None``. Domain, errors and accuracy
    as :func:`distillation_loss`; ``temperature`` is not checked here
    beyond what :func:`log_softmax` checks.
    """
    check_alpha(alpha)
    pair = logit_pair(teacher, student, temperature)
    soft = temperature * temperature * kl_pair_rows(pair)
    log_p, log_q = pair.p.high, pair.q.high
    hard = None
    loss = soft
    if labels is not None:
        hard = nll_rows(labels, np.asarray(log_softmax(student), dtype=np.float64))
        if len(soft) == 1 and len(hard) > 1:
            soft = np.broadcast_to(soft, hard.shape)
            log_p = np.broadcast_to(log_p, (len(hard), log_p.shape[1]))
            log_q = np.broadcast_to(log_q, (len(hard), log_q.shape[1]))
        with np.errstate(invalid="ignore"):
            # alpha = 0 or 1 drops a term entirely, even an infinite one.
            soft_part = np.where(alpha > 0, alpha * soft, 0.0)
            hard_part = np.where(alpha < 1, (1.0 - alpha) * hard, 0.0)
        loss = soft_part + hard_part
    return DistillTerms(loss, soft, hard, np.exp(log_p), np.exp(log_q))


def distillation_loss(
    teacher_logits: npt.ArrayLike,
    student_logits: npt.ArrayLike,
    labels: npt.ArrayLike | None = None,
    *,
    temperature: float = 1.0,
    alpha: float = DEFAULT_ALPHA,
) -> Any:
    """Hinton et al.'s loss a T^2 KL(softmax(t/T) || softmax(s/T)) + (1 - a) CE(y, softmax(s)).

    Rows of teacher and student logits (a single row broadcasts); ``labels``
    are class indices (one per row), and without them the result is the
    soft term T^2 KL alone (``alpha`` does not apply). ``temperature`` > 0,
    ``alpha`` in [0, 1]. Nats; a float for vectors, an array for batches.

    Domain: logits as in :func:`nncalc.softmax` (-inf masks a class);
    teacher and student rows of one width; labels whole numbers in 0..C-1.
    Anything else raises :class:`NncalcError` (a ``ValueError``;
    ``param="alpha"`` or ``"temperature"`` for those arguments).

    Edge cases: 0 exactly when the student's logits equal the teacher's
    (without labels); alpha = 0 or 1 drops the other term entirely, even an
    infinite one; a class the student masks (-inf) where the teacher's is
    finite gives inf.

    Accuracy: ~1e-15 relative, also as the student approaches the teacher
    (KL -> 0); with alpha = 1 and T = 1 it equals KL(softmax(t) || softmax(s)).
    """
    teacher = as_rows(teacher_logits)
    student = as_rows(student_logits)
    if teacher.shape[1] != student.shape[1]:
        raise NncalcError(
            f"teacher rows have {teacher.shape[1]} logits and student rows {student.shape[1]}; "
            "they must match"
        )
    indices = None
    if labels is not None:
        indices = class_indices(np.atleast_1d(np.asarray(labels)), teacher.shape[1])
    terms = distill_rows(teacher, student, indices, temperature=temperature, alpha=alpha)
    single_label = labels is None or np.size(labels) == 1
    if np.ndim(teacher_logits) <= 1 and np.ndim(student_logits) <= 1 and single_label:
        return float(terms.loss[0])
    return terms.loss
