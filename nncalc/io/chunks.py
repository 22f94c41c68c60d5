"""Row chunks: consecutive rows of one operand, with their place in the input."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

from nncalc.core.arrays import FloatArray
from nncalc.errors import NncalcError


class Chunk:
    """Consecutive rows of one operand; ``first_row`` is 1-based.

    ``values`` are the class values; ``ids`` (a tuple of strings per row,
    one string per ``--id`` column) and ``targets`` (a string per row, from
    ``--target-col``) are None unless the reader was asked for them.
    ``note`` explains how the first line was read, for errors in row 1.
    """

    def __init__(
        self,
        operand: str,
        values: FloatArray,
        first_row: int | None,
        lines: Sequence[int] | None = None,
        *,
        ids: list[tuple[str, ...]] | None = None,
        targets: list[str] | None = None,
        note: str | None = None,
    ) -> None:
        self.operand = operand
        self.values = values
        self.first_row = first_row
        self.lines = lines  # the line number of each row
        self.ids = ids
        self.targets = targets
        self.note = note

    def __len__(self) -> int:
        return len(self.values)

    @contextmanager
    def locate(self) -> Iterator[None]:
        """Name this operand (and the absolute row) in errors raised inside."""
        try:
            yield
        except NncalcError as error:
            raise self.locate_error(error) from None

    def locate_error(self, error: NncalcError) -> NncalcError:
        if self.first_row is None:
            error.where = replace(
                error.where, operand=error.where.operand or self.operand, row=None
            )
            return error
        line = None
        if error.where.row is not None and self.lines is not None:
            line = self.lines[error.where.row - 1]
        located = error.located(operand=self.operand, row_offset=self.first_row - 1, line=line)
        if self.note is not None and located.where.row == 1:
            located.hint = f"{located.hint}; {self.note}" if located.hint else self.note
        return located
