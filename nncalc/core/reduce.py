"""Reductions of per-row values: mean, sum, max, min, median, percentiles, none.

A reduction is spelled ``mean``, ``sum``, ``max``, ``min``, ``median``,
``none`` or ``pNN``: a percentile NN from 0 to 100 written in decimal
(``p90``, ``p99``, ``p99.9``, ``p0.1``); :func:`parse_reduction` checks the
spelling. Definitions, over the rows kept by the mask:

- ``sum``: the exact sum, rounded once (0.0 for no rows); ``mean``: the
  exact sum / rows, rounded once (NaN for no rows).
- ``max`` / ``min``: the largest / smallest value (NaN for no rows).
- ``pNN``: Hyndman and Fan's definition 7, the default of NumPy
  (``method='linear'``), R, Excel's PERCENTILE.INC and llama.cpp's KL report:
  with the n values sorted, x_0 <= ... <= x_{n-1}, and h = (n - 1) NN / 100
  computed exactly from the decimal NN, the result is
  x_k + (h - k)(x_{k+1} - x_k) with k = floor(h). So ``p0`` is the minimum,
  ``p100`` the maximum and ``p50`` (= ``median``) the middle value, or the
  mean of the two middle values. An infinite neighbour gives that infinity
  when it carries weight (NumPy gives NaN there), and two opposite
  infinities give NaN.
- ``none``: no reduction; the per-row values are the result.

NaN: one NaN row makes every reduction NaN (unlike Python's ``max``, which
may or may not skip it depending on the order). A mask of 0/1 per row drops
the rows marked 0 from the result and from every reduction.

Memory: ``mean``, ``sum``, ``max`` and ``min`` stream in flat memory; an
order statistic (``median``, ``pNN``) keeps every value, 8 bytes a row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import FloatArray
from nncalc.core.moments import Moments
from nncalc.errors import NncalcError, plural

if TYPE_CHECKING:  # imported when a percentile is parsed: every command builds a reduction
    from fractions import Fraction

__all__ = [
    "REDUCTION_NAMES",
    "Accumulator",
    "Reduction",
    "SortedValues",
    "apply_mask",
    "check_mask",
    "parse_reduction",
    "percentile",
    "reduce",
]


REDUCTION_NAMES = ("mean", "sum", "max", "min", "median", "pNN", "none")


_PERCENTILE = re.compile(r"p([0-9]+(?:\.[0-9]+)?)")


_EXPECTED = (
    "expected mean, sum, max, min, median, none or pNN with NN a percentile "
    "from 0 to 100 (p90, p99, p99.9)"
)


@dataclass(frozen=True)
class Reduction:
    """A parsed reduction: ``name`` is its canonical spelling ('p99.9').

    ``kind`` is one of mean, sum, max, min, percentile, none; ``percent``
    is the exact percentile (50 for median) when ``kind`` is percentile.
    """

    name: str
    kind: str
    percent: Fraction | None = None

    @property
    def keeps_values(self) -> bool:
        """True when every value must be kept (an order statistic)."""
        return self.kind == "percentile"


def parse_reduction(text: str) -> Reduction:
    """The reduction spelled ``text`` (case-insensitive); NncalcError when invalid."""
    spelled = text.strip().lower()
    if spelled in ("mean", "sum", "max", "min", "none"):
        return Reduction(spelled, spelled)
    from fractions import Fraction

    if spelled == "median":
        return Reduction("median", "percentile", Fraction(50))
    match = _PERCENTILE.fullmatch(spelled)
    if match is None:
        if spelled.startswith("p-"):
            raise NncalcError(f"a percentile cannot be negative, got {text!r}: {_EXPECTED}")
        raise NncalcError(f"unknown reduction {text!r}: {_EXPECTED}")
    number = match.group(1)
    percent = Fraction(number)
    if percent > 100:
        raise NncalcError(f"percentile {number} in {text!r} is above 100: {_EXPECTED}")
    from decimal import Decimal

    canonical = format(Decimal(number).normalize(), "f")
    return Reduction(f"p{canonical}", "percentile", percent)


def check_mask(mask: npt.ArrayLike, rows: int) -> npt.NDArray[np.bool_]:
    """A mask of 0/1 (or booleans) per row as booleans; NncalcError otherwise.

    Any shape is read in C order (a (batch, sequence) attention mask gives
    one entry per row of the flattened (batch, sequence, classes) logits).
    """
    array = np.asarray(mask).reshape(-1)
    if len(array) != rows:
        raise NncalcError(
            f"the mask has {plural(len(array), 'entry', 'entries')} "
            f"for {plural(rows, 'row')}; they must match"
        )
    if array.dtype == np.bool_:
        return array
    if array.dtype.kind not in "biuf":
        raise NncalcError(f"a mask holds 0 or 1 per row, not {array.dtype} values")
    bad = ~((array == 0) | (array == 1))
    if bad.any():
        row = int(np.argmax(bad))
        raise NncalcError("a mask entry must be 0 or 1", row=row + 1, token=repr(array[row].item()))
    kept: npt.NDArray[np.bool_] = array == 1
    return kept


def apply_mask(values: npt.ArrayLike, mask: npt.ArrayLike | None) -> FloatArray:
    """The values (one per row, any shape read in C order) of the rows the mask keeps."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    if mask is None:
        return flat
    kept: FloatArray = flat[check_mask(mask, len(flat))]
    return kept


def percentile(ordered: FloatArray, percent: Fraction) -> float:
    """Definition 7 of Hyndman and Fan on sorted values (see the module docstring).

    ``ordered`` is sorted ascending; ``percent`` is in [0, 100]. NaN when
    there are no values or any is NaN.
    """
    n = len(ordered)
    if n == 0 or math.isnan(ordered[-1]) or math.isnan(ordered[0]):
        return math.nan
    rank = (n - 1) * percent / 100
    k = math.floor(rank)
    weight = rank - k
    low = float(ordered[k])
    if weight == 0:
        return low
    return _between(low, float(ordered[k + 1]), float(weight))


def _between(low: float, high: float, t: float) -> float:
    """(1 - t) low + t high for 0 < t < 1, low <= high, exact at the ends.

    The form anchored at the nearer end (as NumPy's) keeps the result within
    [low, high]; where high - low overflows, the two products are added.
    """
    if low == high:
        return low
    if math.isinf(low) or math.isinf(high):
        return math.nan if low == -high else (low if math.isinf(low) else high)
    gap = high - low
    if math.isinf(gap):
        return (1.0 - t) * low + t * high
    value = low + gap * t if t < 0.5 else high - gap * (1.0 - t)
    return min(max(value, low), high)


class SortedValues:
    """Values kept for order statistics: 8 bytes a row, sorted once when read."""

    def __init__(self) -> None:
        self._chunks: list[FloatArray] = []
        self._sorted: FloatArray | None = None

    def add(self, values: FloatArray) -> None:
        if len(values):
            self._chunks.append(np.array(values, dtype=np.float64))
            self._sorted = None

    def sorted(self) -> FloatArray:
        if self._sorted is None:
            merged = np.concatenate(self._chunks) if self._chunks else np.zeros(0)
            merged.sort()
            self._chunks = [merged]
            self._sorted = merged
        return self._sorted

    def percentile(self, percent: Fraction) -> float:
        return percentile(self.sorted(), percent)


class Accumulator:
    """A reduction of per-row values arriving in chunks.

    ``add`` takes a chunk (and optionally its 0/1 mask); ``result`` gives the
    reduction of every kept row so far. Flat memory except for order
    statistics (8 bytes a kept row). ``none`` has no single result and is
    refused: stream the masked rows instead (:func:`apply_mask`).
    """

    def __init__(self, reduction: Reduction | str) -> None:
        if isinstance(reduction, str):
            reduction = parse_reduction(reduction)
        if reduction.kind == "none":
            raise ValueError("reduction 'none' keeps every row: there is nothing to accumulate")
        self.reduction = reduction
        self.moments = Moments(spread=False)
        self.values = SortedValues() if reduction.keeps_values else None

    @property
    def rows(self) -> int:
        """Rows kept so far."""
        return self.moments.count

    def add(self, values: npt.ArrayLike, mask: npt.ArrayLike | None = None) -> None:
        kept = apply_mask(values, mask)
        self.moments.add(kept)
        if self.values is not None:
            self.values.add(kept)

    def result(self) -> float:
        kind = self.reduction.kind
        if kind == "sum":
            return self.moments.sum()
        if kind == "mean":
            return self.moments.mean()
        if kind == "max":
            return self.moments.max()
        if kind == "min":
            return self.moments.min()
        assert self.values is not None and self.reduction.percent is not None
        if self.moments.nan:  # NaN sorts last; it must win whatever the rank
            return math.nan
        return self.values.percentile(self.reduction.percent)


def reduce(
    values: npt.ArrayLike, reduction: Reduction | str, mask: npt.ArrayLike | None = None
) -> float | FloatArray:
    """Reduce per-row values at once: a float, or the kept rows for ``none``."""
    if isinstance(reduction, str):
        reduction = parse_reduction(reduction)
    if reduction.kind == "none":
        return apply_mask(values, mask)
    accumulator = Accumulator(reduction)
    accumulator.add(values, mask)
    return accumulator.result()
