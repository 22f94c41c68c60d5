"""The one error type of nncalc and the exit codes it maps to.

The math modules raise :class:`NncalcError` with what they know (row, column,
token); the operand reader adds the operand's name; the CLI prints it once, on
one line, and exits with :attr:`ExitCode.USAGE`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes (README, "Exit codes")."""

    OK = 0
    CHECK_FAILED = 1
    USAGE = 2
    INTERNAL = 70
    INTERRUPTED = 130
    PIPE_CLOSED = 141


@dataclass(frozen=True)
class Location:
    """Where in an operand a problem sits; rows and columns are 1-based."""

    operand: str | None = None
    row: int | None = None
    column: int | None = None
    token: str | None = None
    line: int | None = None


class NncalcError(ValueError):
    """A usage or input error: bad number, ragged rows, invalid distribution...

    A :class:`ValueError`, so ``except ValueError`` around an API call catches it.

    ``hint`` is the suggested fix ("pass --normalize"). The message is rendered
    on one line as ``OPERAND row R, column C: 'TOKEN': MESSAGE (HINT)``.
    """

    def __init__(
        self,
        message: str,
        *,
        operand: str | None = None,
        row: int | None = None,
        column: int | None = None,
        token: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = Location(operand, row, column, token, line)
        self.hint = hint

    def located(
        self,
        *,
        operand: str | None = None,
        row_offset: int = 0,
        line: int | None = None,
    ) -> NncalcError:
        """Fill in the operand and shift a chunk-relative row to the stream's."""
        where = self.where
        if operand is not None and where.operand is None:
            where = replace(where, operand=operand)
        if where.row is not None:
            where = replace(where, row=where.row + row_offset)
        if line is not None and where.line is None:
            where = replace(where, line=line)
        self.where = where
        return self

    def __str__(self) -> str:
        where = self.where
        place = []
        if where.row is not None:
            row = f"row {where.row}"
            if where.line is not None and where.line != where.row:
                row += f" (line {where.line})"
            place.append(row)
        if where.column is not None:
            place.append(f"column {where.column}")
        head = where.operand or ""
        if place:
            head = f"{head} {', '.join(place)}".strip()
        text = self.message
        if where.token is not None:
            text = f"{_quote(where.token)}: {text}"
        if head:
            text = f"{head}: {text}"
        if self.hint:
            text = f"{text} ({self.hint})"
        return " ".join(text.split())


def _quote(token: str, limit: int = 40) -> str:
    """Quote a token for a one-line message, shortening long ones."""
    shown = token if len(token) <= limit else token[: limit - 3] + "..."
    return repr(shown)


NncalcValueError = NncalcError


class CheckFailed(Exception):
    """A ``--max``/``--min`` bound was violated (exit 1); lines say which."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
