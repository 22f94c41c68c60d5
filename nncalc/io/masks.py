"""``--mask M``: 0 or 1 per row, read alongside the operands; rows marked 0 are dropped.

The mask is an operand like the others: a literal (``1,1,0``: one entry per
row, in order), ``-`` (stdin), ``@file`` of text (one 0 or 1 per line) or a
tensor file (``@mask.npy``: every element is a row's entry, so a (batch,
sequence) attention mask matches (batch, sequence, classes) logits). A
batch mask is read in row-aligned chunks with the operands
(:func:`nncalc.io.operands.aligned_chunks`), so it streams; a literal mask
is held whole (it is one argument).

The rows a mask drops never reach the math: padding rows are neither
checked nor computed, and errors in the rows kept still name their row in
the input (:class:`KeptRows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import IntArray
from nncalc.core.reduce import check_mask
from nncalc.errors import NncalcError, plural
from nncalc.io.chunks import Chunk
from nncalc.io.operands import Operand, StdinClaim, open_operand, suggest_at
from nncalc.io.tokens import parse_literal

if TYPE_CHECKING:
    from nncalc.io.reader import BatchReader
    from nncalc.output.environment import Environment

WHERE = "--mask"
BoolArray = npt.NDArray[np.bool_]


class KeptRows(Chunk):
    """The rows of a chunk that a mask keeps; errors name their rows in the input."""

    def __init__(self, chunk: Chunk, keep: BoolArray) -> None:
        assert chunk.first_row is not None
        where = np.flatnonzero(keep).tolist()
        super().__init__(
            chunk.operand,
            chunk.values[keep],
            chunk.first_row,
            None if chunk.lines is None else [chunk.lines[i] for i in where],
            ids=None if chunk.ids is None else [chunk.ids[i] for i in where],
            targets=None if chunk.targets is None else [chunk.targets[i] for i in where],
            note=chunk.note,
        )
        self.rows: IntArray = chunk.first_row + np.array(where, dtype=np.int64)

    def locate_error(self, error: NncalcError) -> NncalcError:
        row = error.where.row
        if row is None or not 1 <= row <= len(self.rows):
            return super().locate_error(error)
        line = None if self.lines is None else self.lines[row - 1]
        shift = int(self.rows[row - 1]) - row
        located = error.located(operand=self.operand, row_offset=shift, line=line)
        if self.note is not None and located.where.row == 1:
            located.hint = f"{located.hint}; {self.note}" if located.hint else self.note
        return located


def kept(chunk: Chunk, keep: BoolArray) -> Chunk:
    """``chunk`` without the rows ``keep`` drops (a literal row is kept as it is)."""
    if chunk.first_row is None or bool(keep.all()):
        return chunk
    return KeptRows(chunk, keep)


class Mask:
    """The mask of a run: opened with the operands, then asked chunk by chunk."""

    def __init__(self, text: str, claim: StdinClaim, env: Environment | None) -> None:
        self.literal: npt.NDArray[np.float64] | None = None
        self.operand: Operand | None = None
        self.used = 0  # entries matched with rows so far
        self.data_batch = True
        if text.startswith("@") and _is_tensor(text[1:]):
            from nncalc.io.tensors import open_tensor

            reader = open_tensor(text, WHERE, one_per_row=True)
            # A tensor reader reads like a BatchReader (fill, take, pending, done).
            self.operand = Operand(WHERE, reader=cast("BatchReader", reader), source=text)
        elif text == "-" or text.startswith("@"):
            self.operand = open_operand(text, WHERE, claim, env)
        else:
            try:
                self.literal = parse_literal(text, WHERE)[0]
            except NncalcError:
                suggest_at(text, WHERE)
                raise

    @property
    def operands(self) -> list[Operand]:
        """The operand to read with the others (none for a literal mask)."""
        return [] if self.operand is None else [self.operand]

    def start(self, data_batch: bool) -> None:
        """Told whether any data operand is a batch (else the data is one row)."""
        self.data_batch = data_batch

    def keep(self, chunk: Chunk | None, rows: int) -> BoolArray:
        """Which of the next ``rows`` rows the mask keeps (``chunk``: its batch rows)."""
        if chunk is None:
            assert self.literal is not None
            entries = self.literal[self.used : self.used + rows]
            if len(entries) < rows:
                raise self._count_error(len(self.literal), self.used + rows, "at least ")
            try:
                keep = check_mask(entries, rows)
            except NncalcError as error:
                raise error.located(operand=WHERE, row_offset=self.used) from None
            self.used += rows
            return keep
        if chunk.values.shape[1] != 1:
            raise NncalcError(
                f"rows have {plural(chunk.values.shape[1], 'value')}; "
                "a mask has one 0 or 1 per row (a line each)",
                operand=WHERE,
                row=chunk.first_row,
            )
        if not self.data_batch and self.used + len(chunk) > 1:
            raise self._count_error(self.used + len(chunk), 1, "")
        self.used += len(chunk)
        with chunk.locate():
            return check_mask(chunk.values[:, 0], rows)

    def finish(self, rows: int) -> None:
        """After the last row: a literal mask must not have entries left over."""
        if self.literal is not None and self.used != len(self.literal):
            raise self._count_error(len(self.literal), rows, "")

    @staticmethod
    def _count_error(entries: int, rows: int, at_least: str) -> NncalcError:
        return NncalcError(
            f"the mask has {plural(entries, 'entry', 'entries')} for {at_least}"
            f"{plural(rows, 'row')}; they must match",
            operand=WHERE,
        )


def _is_tensor(path: str) -> bool:
    from nncalc.io.tensors import is_tensor_operand

    return is_tensor_operand(path)


def row_numbers(chunks: Sequence[Chunk], keep: BoolArray | None) -> IntArray | None:
    """The 1-based input rows of the values computed from ``chunks`` (None: a literal row)."""
    first = next((c.first_row for c in chunks if c.first_row is not None), None)
    if first is None:
        return None
    rows = len(next(c for c in chunks if c.first_row is not None))
    numbers: IntArray = np.arange(first, first + rows, dtype=np.int64)
    return numbers if keep is None else numbers[keep]
