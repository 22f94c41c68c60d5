"""The cross-entropy step: class-index or distribution targets, PyTorch's options."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from nncalc.cli.pipeline import ScalarStep, header_labels
from nncalc.cli.steps import reports, targets
from nncalc.cli.steps.distributions import Distributions, same_width
from nncalc.core.arrays import FloatArray
from nncalc.core.distribution import as_distribution, class_indices, pair_rows
from nncalc.core.xent import (
    check_smoothing,
    check_weight,
    index_xent_rows,
    log_predictions,
    nll_rows,
    smoothed_target,
    soft_xent_rows_weighted,
)
from nncalc.errors import NncalcError
from nncalc.io.operands import Operand
from nncalc.io.reader import Chunk
from nncalc.io.tokens import parse_literal
from nncalc.output.spec import Table, Units

CLASS_INDEX = re.compile(r"\s*\d+\s*")


class Predictions(Distributions):
    """How PRED rows become log-probabilities: as distributions, and --eps."""

    __slots__ = ("eps",)

    def __init__(
        self, *, logits: bool, temperature: float, eps: float | None, normalize: bool, tol: float
    ) -> None:
        # xent's --normalize applies to its targets, so it goes with --logits too.
        super().__init__(
            logits, temperature, normalize, tol, operands="PRED rows", normalize_with_logits=True
        )
        self.eps = eps

    def log_q(self, chunk: Chunk) -> FloatArray:
        with chunk.locate():
            return log_predictions(
                chunk.values,
                logits_temperature=self.temperature if self.logits else None,
                eps=self.eps,
                tol=self.tol,
                normalize=self.normalize,
            )


class CrossEntropy(ScalarStep):
    """H(target, pred) per row; a mean divides by the rows' class weights.

    TARGET is a class index per row (a one-column batch against several
    classes, or a literal whole number), a class name of PRED's header, or
    rows of distributions; with ``target_col`` (``--target-col``) each
    row's target is a column of PRED's file instead, and there is no TARGET.
    """

    name = "xent"
    labelled: tuple[int, ...] = (1, 0)  # PRED's header first

    def __init__(
        self,
        target: str | None,
        pred: str | None,
        how: Predictions,
        *,
        label_smoothing: float,
        weight: str | None,
        ignore_index: int | None,
        target_col: bool = False,
    ) -> None:
        check_smoothing(label_smoothing)
        self.target_col = target_col
        self.class_name = target if targets.is_class_name(target) and not target_col else None
        if target_col or self.class_name is not None:
            super().__init__([(pred, "PRED")])
            self.labelled = self.classes = (0,)
        else:  # PRED's columns are the classes (ids come from it); TARGET's --sep, --header
            super().__init__([(target, "TARGET"), (pred, "PRED")])
            self.classes = (1,)
        self.names: list[str] | None = None
        self.how = how
        self.smoothing = label_smoothing
        self.weight = None if weight is None else parse_literal(weight, "--weight")[0]
        self.ignore_index = ignore_index
        self.torch_options = label_smoothing > 0 or weight is not None or ignore_index is not None
        literal = target.strip() if target is not None else None
        self.literal_index = literal is not None and (
            CLASS_INDEX.fullmatch(literal) is not None
            or (ignore_index is not None and literal == str(ignore_index))
        )
        self.last: tuple[FloatArray, FloatArray] = (np.zeros(0), np.zeros(0))
        self.last_weight = 1.0

    def opened(self, operands: Sequence[Operand]) -> None:
        """A tensor TARGET: class indices (one per element) or distributions, by shape.

        Against a tensor PRED, PyTorch's rule: the same shape as PRED holds
        distributions, any other (PRED's leading shape) class indices.
        Against text or a literal, a 1-D tensor holds class indices (as a
        file of one number per line does) and a tensor of more axes
        distributions over its last axis.
        """
        if len(operands) == 1:  # targets by --target-col or by name: PRED's header
            self.names = header_labels(operands)
            return
        target, pred = operands
        if target.tensor is None:
            return
        shape = target.tensor.shape
        indices = (shape != pred.tensor.shape) if pred.tensor is not None else (len(shape) == 1)
        if indices:
            target.one_per_row()

    def rows(self, chunks: Sequence[Chunk]) -> tuple[FloatArray, FloatArray]:
        log_q = self.how.log_q(chunks[-1])
        classes = log_q.shape[1]
        if self.weight is not None:
            check_weight(self.weight, classes)
        if len(chunks) == 1:
            if self.class_name is not None:
                index = targets.named_class(self.class_name, self.names, classes, "TARGET")
                raw = np.full(len(log_q), float(index))
            else:
                raw = targets.column_targets(chunks, self.names, classes, self.ignore_index)
            with chunks[0].locate():
                y, values, weights = self._index_rows(raw, log_q)
            self.last = (smoothed_target(y[-1:], self.smoothing)[0], log_q[-1])
            return values, weights
        target_chunk, pred_chunk = chunks
        with target_chunk.locate():
            if self.literal_index or (target_chunk.values.shape[1] == 1 and classes > 1):
                y, values, weights = self._index_rows(target_chunk.values[:, 0], log_q)
            else:
                y, log_q, values, weights = self._soft_rows(target_chunk, pred_chunk, log_q)
        self.last = (smoothed_target(y[-1:], self.smoothing)[0], log_q[-1])
        self.last_weight = float(weights[-1])
        return values, weights

    def _index_rows(
        self, raw: FloatArray, log_q: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """One-hot targets, per-row losses and their weights, for class indices."""
        classes = log_q.shape[1]
        ignored = raw == self.ignore_index if self.ignore_index is not None else raw != raw
        indices = class_indices(np.where(ignored, 0.0, raw), classes)
        if self.torch_options:
            values, weights = index_xent_rows(
                indices, log_q, weight=self.weight, smoothing=self.smoothing, ignored=ignored
            )
        else:
            values = nll_rows(indices, log_q)
            weights = np.ones(len(values))
        y = np.zeros((len(indices), classes))
        y[np.arange(len(indices)), indices] = 1.0
        return y, values, weights

    def _soft_rows(
        self, target_chunk: Chunk, pred_chunk: Chunk, log_q: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Targets, predictions, per-row losses and weights (all 1), for distributions."""
        if self.ignore_index is not None:
            raise NncalcError(
                "--ignore-index applies to class-index targets only, and TARGET rows "
                "are distributions",
                hint="drop --ignore-index, or give class indices",
            )
        same_width([pred_chunk, target_chunk])
        how = self.how
        y = as_distribution(target_chunk.values, tol=how.tol, normalize=how.normalize)
        y, log_q = pair_rows(y, log_q)
        values, weights = soft_xent_rows_weighted(
            y, log_q, weight=self.weight, smoothing=self.smoothing
        )
        return y, log_q, values, weights

    def tables(self, value: float, names: list[str] | None, units: Units) -> list[Table]:
        result = reports.xent_tables(
            value,
            *self.last,
            names,
            units,
            None if self.weight is None else (self.weight, self.last_weight),
        )
        if self.torch_options:
            options = reports.xent_option_table(
                self.smoothing, self.weight, self.ignore_index, units=units
            )
            result.append(options)
        return result
