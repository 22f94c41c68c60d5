"""The one error type of nncalc and the exit codes it maps to.

The math modules raise :class:`NncalcError` with what they know (row, column,
token, the argument at fault) in words for Python callers; the operand reader
adds the operand's name; the command line rewords it in terms of its flags
(:func:`nncalc.cli.errors.for_cli`), prints it once, on one line, and exits
with :attr:`ExitCode.USAGE`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum, IntEnum


class ExitCode(IntEnum):
    """Process exit codes (README, "Exit codes")."""

    OK = 0
    CHECK_FAILED = 1
    USAGE = 2
    INTERNAL = 70
    IO_ERROR = 74
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
    source: str | None = None  # the file being read: places become FILE:LINE:COLUMN


class Kind(Enum):
    """Codes for :attr:`NncalcError.kind`: what went wrong, for callers that reword.

    A code names a problem whose wording differs between the Python API and
    the command line (the fix names an argument or an option); the CLI looks
    its own words up by this code.
    """

    UNNORMALIZED = "unnormalized"  # a row of probabilities does not sum to 1
    NEGATIVE_PROBABILITY = "negative-probability"  # a probability < 0: logits?
    SIGMA_NOT_POSITIVE = "sigma-not-positive"  # std=True and a sigma <= 0
    REQUIRED = "required"  # the argument ``param`` must be given
    NO_VOCAB_SIZE = "no-vocab-size"  # a config has no vocab_size field
    NO_D_MODEL = "no-d-model"  # a config has no width field
    NO_MAX_LEN = "no-max-len"  # a config has no context length for learned positions
    UNKNOWN_PRESET = "unknown-preset"  # no preset of that name
    CONFIG_DTYPE = "config-dtype"  # a config's dtype/torch_dtype names no dtype


class NncalcError(ValueError):
    """A usage or input error: bad number, ragged rows, invalid distribution...

    A :class:`ValueError`, so ``except ValueError`` around an API call catches it.

    The message is rendered on one line as
    ``OPERAND row R, column C: 'TOKEN': MESSAGE (HINT)``, worded for Python
    callers: ``hint`` is the suggested fix ("normalize=True rescales it").
    An error met while reading a file (``where.source``, filled in by the
    reader) is placed as compilers do:
    ``OPERAND: FILE:LINE:COLUMN: 'TOKEN': MESSAGE (HINT)``.

    ``param`` names the function argument at fault (``"alpha"``,
    ``"temperature"``, ``"config"``), or is ``None`` when the data is;
    ``kind`` is a :class:`Kind`, or ``None``. Neither is shown in the
    message; they let a caller such as the command line reword it (name its
    own option instead of the argument) without parsing text. An error
    about ``param="config"`` or ``"preset"`` names the argument's value (the
    config's path, the preset's name) as its ``operand``; otherwise the
    operand is the input being read, named by the reader.
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
        param: str | None = None,
        kind: Kind | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = Location(operand, row, column, token, line)
        self.hint = hint
        self.param = param
        self.kind = kind

    def reworded(self, message: str, *, operand: str | None, hint: str | None) -> NncalcError:
        """The same error (place, ``param``, ``kind``) in other words."""
        error = NncalcError(message, hint=hint, param=self.param, kind=self.kind)
        error.where = replace(self.where, operand=operand)
        return error

    def located(
        self,
        *,
        operand: str | None = None,
        row_offset: int = 0,
        line: int | None = None,
        source: str | None = None,
    ) -> NncalcError:
        """Fill in the operand and the file, and shift a chunk-relative row to the stream's."""
        where = self.where
        if source is not None and where.source is None:
            where = replace(where, source=source)
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
        if where.source is not None:
            return self._in_file(where.source)
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

    def _in_file(self, source: str) -> str:
        """``OPERAND: FILE:LINE:COLUMN: 'TOKEN': MESSAGE (HINT)``, as compilers place errors."""
        where = self.where
        place = source
        if where.line is not None:
            place += f":{where.line}"
            if where.column is not None:
                place += f":{where.column}"
        elif where.row is not None:
            place += f" row {where.row}"
            if where.column is not None:
                place += f", column {where.column}"
        text = self.message
        if where.token is not None:
            text = f"{_quote(where.token)}: {text}"
        text = f"{place}: {text}"
        if where.operand:
            text = f"{where.operand}: {text}"
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


def plural(count: int, word: str, words: str | None = None) -> str:
    """``count`` and the noun that goes with it: ``1 row``, ``2 rows``, ``1,000 classes``.

    ``words`` is the plural when it is not ``word`` + "s" (``class``, ``classes``).
    Every message that counts something says it through here.
    """
    noun = word if count == 1 else (words if words is not None else word + "s")
    return f"{count:,} {noun}"
