"""Compare two models' outputs: per-row KL, JS, top-1 agreement, target log-probabilities.

:func:`compare` takes two batches (base and new) of logits, or of
probabilities with ``probs=True``, classes on the last axis and any leading
shape (batch x sequence is flattened to rows), and returns a
:class:`~nncalc.core.compare_report.CompareReport` (the statistics and their
names are defined there). :class:`CompareAccumulator` does the same over
chunks of rows, for streams that do not fit in memory: flat memory but for
16 bytes a kept row (the per-row KL and, with targets, dp, kept for the
percentiles).

The per-row quantities are computed by :mod:`nncalc.core.compare_rows`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import overload

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import DEFAULT_TOL, FloatArray
from nncalc.core.compare_report import (
    DP_PERCENTILES,
    KL_PERCENTILES,
    CompareReport,
    field_name,
    kl_histogram,
)
from nncalc.core.compare_rows import (
    DEFAULT_OPERANDS,
    Operands,
    RowComparison,
    compare_rows,
    operand,
)
from nncalc.core.gates import Gate, GateResult, parse_gate
from nncalc.core.moments import CoMoments, Moments
from nncalc.core.processes import map_kernel
from nncalc.core.reduce import SortedValues, check_mask, parse_reduction
from nncalc.errors import NncalcError, plural

__all__ = [
    "CompareAccumulator",
    "CompareReport",
    "Gate",
    "GateResult",
    "Operands",
    "RowComparison",
    "compare",
    "parse_gate",
]


# Rows per chunk in compare(): about 1M values (8 MB of float64) per operand,
# so that the dozen temporaries of a chunk stay near 100 MB.
CHUNK_VALUES = 1 << 20


RowOptions = tuple[bool, float, bool]
"""How rows are read: (probs, tol, normalize) as :func:`compare` takes them."""


class CompareAccumulator:
    """The comparison report over chunks of rows (see :func:`compare`).

    ``targets`` says whether every chunk comes with target classes; ``rows``
    are :func:`compare`'s (probs, tol, normalize). Errors
    name the operand (``names``) and the row counted over every chunk added
    so far, masked rows included (1-based).
    """

    def __init__(
        self,
        *,
        targets: bool = False,
        rows: RowOptions = (False, DEFAULT_TOL, False),
        names: Operands = DEFAULT_OPERANDS,
    ) -> None:
        self.targets = targets
        self.names = names
        self.options = rows
        self.rows_seen = 0
        # Standard errors are reported for kl, ln_ratio and dp only.
        self.kl, self.kl_values = Moments(), SortedValues()
        self.kl_reverse, self.js = Moments(spread=False), Moments(spread=False)
        self.agree = 0
        self.nll_base, self.nll_new = Moments(spread=False), Moments(spread=False)
        self.ln_ratio = Moments()
        self.dp, self.dp_values, self.dp_squared = Moments(), SortedValues(), Moments(spread=False)
        self.p_pair, self.ln_p_pair = CoMoments(), CoMoments()

    def add(
        self,
        base: npt.ArrayLike,
        new: npt.ArrayLike,
        target: npt.ArrayLike | None = None,
        mask: npt.ArrayLike | None = None,
    ) -> RowComparison:
        """Add a chunk of paired 2-D rows; return the per-row results of the kept rows."""
        if (target is not None) != self.targets:
            given = "without" if target is None else "with"
            raise ValueError(f"a chunk {given} targets for a report with targets={self.targets}")
        offset = self.rows_seen
        probs = self.options[0]
        b, n = _as_chunk(base, probs), _as_chunk(new, probs)
        self.rows_seen += len(b)
        kept = None
        if mask is not None:
            with operand(self.names.mask), _rows_from(offset, None):
                keep = check_mask(mask, len(b))
            kept = np.flatnonzero(keep)
            b, n = b[keep], n[keep]
            if target is not None:
                with operand(self.names.target):
                    target = _per_row(target, len(keep), "targets")[keep]
        with _rows_from(offset, kept):
            rows = self._compare(b, n, target)
        self._absorb(rows)
        return rows

    def _compare(
        self, base: FloatArray, new: FloatArray, target: npt.ArrayLike | None
    ) -> RowComparison:
        """compare_rows over tasks of a few rows on every thread (see nncalc.core.parallel).

        The statistics are added in row order afterwards, so the report is
        the same bit for bit on any number of threads.
        """
        flat = None if target is None else np.asarray(target).reshape(-1)
        if (
            base.shape != new.shape
            or len(base) == 0
            or (flat is not None and len(flat) != len(base))
        ):
            return compare_rows(base, new, target, self.names, *self.options)  # its errors
        return _joined(map_kernel(compare_rows, (base, new, flat), (self.names, *self.options)))

    def _absorb(self, rows: RowComparison) -> None:
        self.kl.add(rows.kl)
        self.kl_values.add(rows.kl)
        self.kl_reverse.add(rows.kl_reverse)
        self.js.add(rows.js)
        self.agree += int(np.count_nonzero(rows.top1_agree))
        if rows.log_p_base is None or rows.log_p_new is None:
            return
        ln_p, ln_q = rows.log_p_base, rows.log_p_new
        p, q = np.exp(ln_p), np.exp(ln_q)
        self.nll_base.add(-ln_p)
        self.nll_new.add(-ln_q)
        with np.errstate(invalid="ignore"):
            self.ln_ratio.add(ln_p - ln_q)
        dp = q - p
        self.dp.add(dp)
        self.dp_values.add(dp)
        self.dp_squared.add(dp * dp)
        self.p_pair.add(p, q)
        self.ln_p_pair.add(ln_p, ln_q)

    def report(self) -> CompareReport:
        """The statistics of every kept row so far."""
        rows = self.kl.count
        stats: dict[str, object] = {
            "rows": rows,
            "kl_mean": self.kl.mean(),
            "kl_mean_se": self.kl.std_error(),
            "kl_min": self.kl.min(),
            "kl_max": self.kl.max(),
            "kl_reverse_mean": self.kl_reverse.mean(),
            "js_mean": self.js.mean(),
            "top1_agree": self.agree / rows if rows else math.nan,
            "kl_histogram": kl_histogram(self.kl_values.sorted()),
        }
        stats.update(_percentiles("kl", KL_PERCENTILES, self.kl_values))
        if self.targets:
            stats.update(self._target_statistics())
        return CompareReport(**stats)  # type: ignore[arg-type]

    def _target_statistics(self) -> dict[str, float]:
        ln_ratio = self.ln_ratio.mean()
        stats = {
            "ppl_base": _exp(self.nll_base.mean()),
            "ppl_new": _exp(self.nll_new.mean()),
            "ppl_ratio": _exp(ln_ratio),
            "ppl_ln_ratio": ln_ratio,
            "ppl_ln_ratio_se": self.ln_ratio.std_error(),
            "dp_mean": self.dp.mean(),
            "dp_mean_se": self.dp.std_error(),
            "dp_rms": math.sqrt(self.dp_squared.mean()),
            "dp_min": self.dp.min(),
            "dp_max": self.dp.max(),
            "p_pearson_r": self.p_pair.pearson_r(),
            "ln_p_pearson_r": self.ln_p_pair.pearson_r(),
        }
        stats.update(_percentiles("dp", DP_PERCENTILES, self.dp_values))
        return stats


def _joined(parts: list[RowComparison]) -> RowComparison:
    """The per-row results of consecutive tasks, as one."""
    if len(parts) == 1:
        return parts[0]

    def join(values: list[FloatArray | None]) -> FloatArray | None:
        present = [value for value in values if value is not None]
        return np.concatenate(present) if len(present) == len(values) else None

    return RowComparison(
        np.concatenate([part.kl for part in parts]),
        np.concatenate([part.kl_reverse for part in parts]),
        np.concatenate([part.js for part in parts]),
        np.concatenate([part.top1_agree for part in parts]),
        join([part.log_p_base for part in parts]),
        join([part.log_p_new for part in parts]),
    )


def _percentiles(prefix: str, names: tuple[str, ...], values: SortedValues) -> dict[str, float]:
    result = {}
    for name in names:
        percent = parse_reduction(name).percent
        assert percent is not None
        result[field_name(f"{prefix}.{name}")] = values.percentile(percent)
    return result


def _exp(x: float) -> float:
    with np.errstate(over="ignore"):
        return float(np.exp(x))


@contextmanager
def _rows_from(offset: int, kept: npt.NDArray[np.intp] | None) -> Iterator[None]:
    """Turn a row of the (masked) chunk into a row of the whole stream."""
    try:
        yield
    except NncalcError as error:
        row = error.where.row
        if row is not None and kept is not None:
            error.where = replace(error.where, row=int(kept[row - 1]) + 1)
        raise error.located(row_offset=offset) from None


def compare(
    base: npt.ArrayLike,
    new: npt.ArrayLike,
    target: npt.ArrayLike | None = None,
    mask: npt.ArrayLike | None = None,
    *,
    probs: bool = False,
    tol: float = DEFAULT_TOL,
    normalize: bool = False,
) -> CompareReport:
    """Compare the outputs of two models, row by row: the llama.cpp report, exactly.

    ``base`` and ``new``: logits (or probabilities with ``probs``, checked
    like :func:`~nncalc.core.divergence.kl_divergence`'s inputs with ``tol``
    and ``normalize``) with the classes on the last axis; the leading axes
    (batch, sequence) are flattened to rows, and a single row pairs with
    every row of the other. ``target``: a class index per row (any shape
    with that many entries), for perplexities and dp. ``mask``: 0/1 per row;
    rows marked 0 are skipped entirely (padding: they are not even checked).
    Arrays are read in chunks of rows, so ``np.load(path, mmap_mode="r")``
    arrays stream. The statistics are defined in
    :mod:`nncalc.core.compare_report`.

    >>> report = compare([[2.0, 1.0, 0.0]], [[2.0, 1.0, 0.5]], target=[0])
    >>> report.rows, report.top1_agree, report.kl_mean > 0
    (1, 1.0, True)
    """
    b, n = _batch(base, "base"), _batch(new, "new")
    rows = max(len(b), len(n))
    if len(b) != len(n):
        if min(len(b), len(n)) != 1:
            raise NncalcError(
                f"base has {plural(len(b), 'row')} and new has {len(n)}; they must match"
            )
        b = np.broadcast_to(b, (rows, b.shape[1])) if len(b) == 1 else b
        n = np.broadcast_to(n, (rows, n.shape[1])) if len(n) == 1 else n
    t = _per_row(target, rows, "targets")
    m = _per_row(mask, rows, "mask entries")
    accumulator = CompareAccumulator(targets=t is not None, rows=(probs, tol, normalize))
    step = max(1, CHUNK_VALUES // max(b.shape[1], 1))
    for start in range(0, rows, step):
        part = slice(start, start + step)
        accumulator.add(
            b[part], n[part], None if t is None else t[part], None if m is None else m[part]
        )
    return accumulator.report()


def _batch(values: npt.ArrayLike, name: str) -> np.ndarray:
    """Rows over the last axis, without reading (a memory map stays one)."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise NncalcError(f"{name} must hold numbers, not {array.dtype} values")
    if array.ndim == 0:
        raise NncalcError(f"{name} is a single number; expected rows of classes")
    if array.shape[-1] == 0:
        raise NncalcError(f"{name} has no classes (its last axis is empty)")
    return array.reshape(-1, array.shape[-1])


@overload
def _per_row(values: None, rows: int, what: str) -> None: ...
@overload
def _per_row(values: npt.ArrayLike, rows: int, what: str) -> np.ndarray: ...
def _per_row(values: npt.ArrayLike | None, rows: int, what: str) -> np.ndarray | None:
    """One entry per row (any shape, read in C order)."""
    if values is None:
        return None
    flat = np.asarray(values).reshape(-1)
    if len(flat) != rows:
        raise NncalcError(f"{len(flat):,} {what} for {plural(rows, 'row')}; they must match")
    return flat


# Logits kept as given by _as_chunk: compare_rows widens them exactly (as_rows).
_LOGIT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def _as_chunk(values: npt.ArrayLike, probs: bool) -> FloatArray:
    """Rows as float64; logits of float16 or float32 as given, the tasks widen them exactly."""
    array = np.asarray(values)
    if probs or array.dtype not in _LOGIT_DTYPES:
        array = np.asarray(array, dtype=np.float64)
    if array.ndim != 2:
        raise NncalcError(f"expected a 2-D chunk of rows, got {array.ndim} dimensions")
    return array
