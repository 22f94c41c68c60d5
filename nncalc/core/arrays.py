"""Array types and helpers shared by the core: rows, tokens, result shapes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from nncalc.errors import NncalcError

FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


DEFAULT_TOL = 1e-6
EPSILON = float(np.finfo(np.float64).eps)


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


# Values of a tile (256 kB of float64): elementwise passes over a row of a
# 128k vocabulary run tile by tile, so the few arrays each step reads and
# writes stay in the core's own cache instead of streaming 1 MB rows
# (measured: 16k-value tiles 8% slower, whole rows 15-20% slower; smaller
# tiles pay NumPy's cost per call, about 1-2 us, more often).
TILE_VALUES = 1 << 15


def tiles(shape: tuple[int, ...], values: int = TILE_VALUES) -> Iterator[tuple[slice, slice]]:
    """(rows, columns) slices covering a 2-D ``shape``, each about ``values`` values.

    Rows wider than ``values`` are cut into pieces of columns; narrower
    rows are taken several at a time, whole. Elementwise work done tile
    by tile gives the same values, bit for bit, as done on the whole.
    """
    rows, columns = shape
    if columns > values:
        for row in range(rows):
            for start in range(0, columns, values):
                yield slice(row, row + 1), slice(start, start + values)
        return
    step = max(1, values // max(1, columns))
    for start in range(0, rows, step):
        yield slice(start, start + step), slice(None)


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


def _like_input(result: FloatArray, logits: npt.ArrayLike) -> Any:
    return result[0] if np.ndim(logits) <= 1 else result


def _scalar_like(result: FloatArray, *inputs: npt.ArrayLike) -> Any:
    if all(np.ndim(x) <= 1 for x in inputs):
        return float(result[0])
    return result
