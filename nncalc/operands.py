"""Operand text -> float64 rows: literal vectors, ``-`` (stdin) and ``@path``.

A batch is read in chunks of rows (bounded by a row count and a byte budget)
so that memory stays flat and results can be written before the input ends.
Each chunk is parsed by NumPy's C reader; when that refuses a chunk, a
line-by-line parser finds the exact row, column and token for the message.
"""

from __future__ import annotations

import io
import os
import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TextIO

import numpy as np

from nncalc.errors import NncalcError
from nncalc.probability import FloatArray

NUMBER = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)",
    re.IGNORECASE | re.ASCII,
)
LITERAL_SPLIT = re.compile(r"\s*,\s*|\s+")
NEGATIVE_LITERAL = re.compile(r"-(?:\d|\.\d|inf|nan)", re.IGNORECASE)
SEPARATORS = (",", "\t", ";")

CHUNK_ROWS = 16384
CHUNK_BYTES = 4 << 20
# Input limits (README, "Limits"): a clear error instead of unbounded memory.
MAX_TOKEN_CHARS = 400
MAX_ROW_VALUES = 1_000_000
MAX_LINE_CHARS = 32_000_000
# Bytes that can make up a number NumPy's reader accepts ("1.5e-3", "-inf", "nan").
NUMBER_BYTES = np.zeros(256, dtype=bool)
NUMBER_BYTES[list(b"0123456789+-.eEiInNfFaAtTyY")] = True
# Look-alikes of ASCII digits and minus signs, for the hint in the message.
MINUS_LOOKALIKES = "\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d"


def is_number(token: str) -> bool:
    return NUMBER.fullmatch(token) is not None


def parse_token(
    token: str,
    operand: str,
    column: int,
    row: int | None = None,
    line: int | None = None,
) -> float:
    """One number; anything else is an error naming the token and its place."""
    problem = None
    if len(token) > MAX_TOKEN_CHARS:
        problem = f"token longer than {MAX_TOKEN_CHARS} characters"
    elif token == "":
        problem = "empty value (two separators in a row?)"
    elif not is_number(token):
        problem = "not a number"
    if problem is not None:
        raise NncalcError(
            problem,
            operand=operand,
            row=row,
            column=column,
            token=token,
            line=line,
            hint=_ascii_hint(token),
        )
    return float(token)


def _ascii_hint(token: str) -> str | None:
    """The fix for numbers written with non-ASCII minus signs or digits."""
    if any(char in MINUS_LOOKALIKES for char in token):
        return "write the minus sign as ASCII '-'"
    if any(char.isdigit() and not char.isascii() for char in token):
        return "write digits as ASCII 0-9"
    return None


def has_long_token(line: str) -> bool:
    """Whether a line NumPy parsed holds a number longer than MAX_TOKEN_CHARS.

    Such a number is a run of more than MAX_TOKEN_CHARS bytes that can occur
    in numbers; the scan is vectorised, so wide rows stay cheap to check.
    """
    if len(line) <= MAX_TOKEN_CHARS:
        return False
    data = np.frombuffer(line.encode("utf-8", "replace"), dtype=np.uint8)
    breaks = np.flatnonzero(~NUMBER_BYTES[data])
    edges = np.concatenate(([-1], breaks, [len(data)]))
    return bool((np.diff(edges) - 1 > MAX_TOKEN_CHARS).any())


def split_literal(text: str) -> list[str]:
    """Tokens of a literal vector: commas and/or whitespace, optional brackets."""
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1].strip()
    if not body:
        return []
    return LITERAL_SPLIT.split(body)


def _too_wide(operand: str, line: int | None = None, row: int | None = None) -> NncalcError:
    where = f"line {line} has" if row is None and line is not None else "row has"
    return NncalcError(
        f"{where} more than {MAX_ROW_VALUES:,} values (the limit of a row)",
        operand=operand,
        row=row,
        line=line,
    )


def parse_literal(text: str, operand: str) -> FloatArray:
    """A literal vector operand as one row."""
    tokens = split_literal(text)
    if not tokens:
        raise NncalcError("empty vector", operand=operand, token=text)
    if len(tokens) > MAX_ROW_VALUES:
        raise _too_wide(operand)
    values = [parse_token(t, operand, i + 1) for i, t in enumerate(tokens)]
    return np.array([values], dtype=np.float64)


def detect_separator(line: str) -> str | None:
    """The separator of an input, from its first data line (None: whitespace)."""
    for separator in SEPARATORS:
        if separator in line:
            return separator
    return None


def split_line(line: str, separator: str | None) -> list[str]:
    if separator is None:
        return line.split()
    return [token.strip() for token in line.split(separator)]


@dataclass
class Chunk:
    """Consecutive rows of one operand; ``first_row`` is 1-based."""

    operand: str
    values: FloatArray
    first_row: int | None
    lines: list[int] | None = None

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
        return error.located(operand=self.operand, row_offset=self.first_row - 1, line=line)


@dataclass
class BatchReader:
    """Rows of a text stream, one per line, read a chunk at a time."""

    stream: TextIO
    operand: str
    labels: list[str] | None = None
    separator: str | None = None
    width: int | None = None
    rows_read: int = 0
    line_number: int = 0
    _pending: list[tuple[int, str]] = field(default_factory=list)
    _started: bool = False
    _done: bool = False

    def _next_line(self) -> tuple[int, str] | None:
        """The next data line (stripped) and its line number, or None at EOF."""
        while True:
            try:
                # Bounded: a huge line (or /dev/zero) is an error, not a memory blow-up.
                raw = self.stream.readline(MAX_LINE_CHARS + 1)
            except UnicodeDecodeError:
                raise NncalcError(
                    "input is not UTF-8 text", operand=self.operand, line=self.line_number + 1
                ) from None
            except OSError as error:
                raise NncalcError(f"cannot read: {error.strerror}", operand=self.operand) from None
            if not raw:
                return None
            self.line_number += 1
            if len(raw) > MAX_LINE_CHARS and not raw.endswith("\n"):
                raise NncalcError(
                    f"line {self.line_number} is longer than {MAX_LINE_CHARS:,} characters",
                    operand=self.operand,
                    hint="is this text with one row per line?",
                )
            line = raw.strip()
            if self.line_number == 1:
                line = line.lstrip("\ufeff").strip()
            if line and not line.startswith("#"):
                return self.line_number, line

    def _start(self) -> None:
        """Read the first data line: header of names, or the first row."""
        self._started = True
        first = self._next_line()
        if first is None:
            raise NncalcError("input has no data rows", operand=self.operand)
        number, line = first
        self.separator = detect_separator(line)
        tokens = split_line(line, self.separator)
        if len(tokens) > MAX_ROW_VALUES:
            raise _too_wide(self.operand, number)
        numeric = [is_number(t) for t in tokens]
        if not any(numeric):
            self.labels = tokens
            self.width = len(tokens)
            return
        if not all(numeric):
            column = numeric.index(False)
            if tokens[column] == "" or len(tokens[column]) > MAX_TOKEN_CHARS:
                parse_token(tokens[column], self.operand, column + 1, 1, number)
            raise NncalcError(
                "not a number (a header must be all names)",
                operand=self.operand,
                row=1,
                line=number,
                column=column + 1,
                token=tokens[column],
                hint=_ascii_hint(tokens[column]),
            )
        self._pending.append(first)

    def read_chunk(self, rows: int | None = None) -> Chunk | None:
        """Up to CHUNK_ROWS rows (or exactly ``rows`` when given, if there are)."""
        if not self._started:
            self._start()
        if self._done and not self._pending:
            return None
        limit = rows if rows is not None else CHUNK_ROWS
        numbers: list[int] = []
        lines: list[str] = []
        size = 0
        for number, line in self._pending:
            numbers.append(number)
            lines.append(line)
            size += len(line)
        self._pending.clear()
        while len(lines) < limit and (rows is not None or size < CHUNK_BYTES):
            item = self._next_line()
            if item is None:
                self._done = True
                break
            numbers.append(item[0])
            lines.append(item[1])
            size += len(item[1])
        if not lines:
            return None
        first_row = self.rows_read + 1
        values = self._parse(lines, numbers, first_row)
        self.rows_read += len(lines)
        return Chunk(self.operand, values, first_row, numbers)

    def _parse(self, lines: list[str], numbers: list[int], first_row: int) -> FloatArray:
        try:
            with warnings.catch_warnings():
                # Blank-only lines: "input contained no data" must not reach stderr.
                warnings.simplefilter("ignore", UserWarning)
                values = np.loadtxt(
                    lines,
                    delimiter=self.separator,
                    comments=None,
                    dtype=np.float64,
                    ndmin=2,
                    quotechar=None,
                )
        except ValueError:
            values = None
        if (
            values is None
            or (self.width is not None and values.shape[1] != self.width)
            or values.shape[1] > MAX_ROW_VALUES
            or any(has_long_token(line) for line in lines)
        ):
            values = self._parse_slowly(lines, numbers, first_row)
        if self.width is None:
            self.width = values.shape[1]
        return values

    def _parse_slowly(self, lines: list[str], numbers: list[int], first_row: int) -> FloatArray:
        """Parse line by line, raising the first error with its exact place."""
        rows: list[list[float]] = []
        for offset, (number, line) in enumerate(zip(numbers, lines, strict=True)):
            row_number = first_row + offset
            tokens = split_line(line, self.separator)
            if len(tokens) > MAX_ROW_VALUES:
                raise _too_wide(self.operand, number, row_number)
            row = [
                parse_token(token, self.operand, column, row_number, number)
                for column, token in enumerate(tokens, start=1)
            ]
            expected = self.width if self.width is not None else len(rows[0]) if rows else None
            if expected is not None and len(row) != expected:
                raise NncalcError(
                    f"row has {len(row)} values, earlier rows have {expected} (ragged rows)",
                    operand=self.operand,
                    row=row_number,
                    line=number,
                )
            rows.append(row)
        return np.array(rows, dtype=np.float64)


class Operand:
    """A named numeric operand: one literal row, or a batch read from a stream."""

    def __init__(
        self,
        name: str,
        *,
        row: FloatArray | None = None,
        reader: BatchReader | None = None,
        source: str = "",
    ) -> None:
        self.name = name
        self.row = row
        self.reader = reader
        self.source = source

    @property
    def is_batch(self) -> bool:
        return self.reader is not None

    @property
    def labels(self) -> list[str] | None:
        if self.reader is None:
            return None
        if not self.reader._started:
            self.reader._start()
        return self.reader.labels

    def literal_chunk(self) -> Chunk:
        assert self.row is not None
        return Chunk(self.name, self.row, None)


def stdin_text() -> TextIO:
    """Standard input as UTF-8 text (BOM dropped, any newline convention)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding="utf-8-sig", newline=None)


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def open_file(path: str, operand: str) -> TextIO:
    """Open ``@path`` for reading, turning OS errors into one-line errors."""
    where = {"operand": operand, "token": "@" + path}
    if os.path.isdir(path):
        raise NncalcError("is a directory, not a file", **where)  # type: ignore[arg-type]
    try:
        return open(path, encoding="utf-8-sig", newline=None)
    except FileNotFoundError:
        raise NncalcError("no such file", **where) from None  # type: ignore[arg-type]
    except PermissionError:
        raise NncalcError("permission denied", **where) from None  # type: ignore[arg-type]
    except OSError as error:
        raise NncalcError(f"cannot read: {error.strerror}", **where) from None  # type: ignore[arg-type]
    except ValueError:  # a NUL byte in the path
        raise NncalcError("cannot read: not a valid path", **where) from None  # type: ignore[arg-type]


class StdinClaim:
    """Only one operand can read standard input."""

    def __init__(self) -> None:
        self.taken_by: str | None = None

    def take(self, operand: str) -> TextIO:
        if self.taken_by is not None:
            raise NncalcError(
                f"{self.taken_by} already reads standard input; give {operand} as a "
                "literal or @file",
                operand=operand,
            )
        self.taken_by = operand
        return stdin_text()


class MissingOperand(NncalcError):
    """An operand was omitted while stdin is a terminal: show usage, exit 2."""


def open_operand(text: str | None, name: str, claim: StdinClaim) -> Operand:
    """Resolve operand text: literal, ``-``, ``@path``, or omitted (stdin)."""
    if text is None:
        if stdin_is_terminal():
            raise MissingOperand(f"missing operand {name} (give it, or pipe rows on stdin)")
        text = "-"
    if text == "-":
        return Operand(name, reader=BatchReader(claim.take(name), name), source="stdin")
    if text.startswith("@"):
        path = text[1:]
        return Operand(name, reader=BatchReader(open_file(path, name), name), source=text)
    return Operand(name, row=parse_literal(text, name), source="literal")


def read_labels(text: str) -> list[str]:
    """Class labels: ``a,b,c`` or ``@vocab.txt`` (one label per line)."""
    if text.startswith("@"):
        with open_file(text[1:], "--labels") as handle:
            return _label_lines(handle, text)
    return [label.strip() for label in text.split(",")]


def _label_lines(handle: TextIO, source: str) -> list[str]:
    """Non-blank lines of a labels file, within the input limits."""
    labels: list[str] = []
    where = {"operand": "--labels", "token": source}
    try:
        while raw := handle.readline(MAX_LINE_CHARS + 1):
            if len(raw) > MAX_LINE_CHARS and not raw.endswith("\n"):
                message = f"a line is longer than {MAX_LINE_CHARS:,} characters"
                raise NncalcError(message, **where)  # type: ignore[arg-type]
            if label := raw.strip():
                labels.append(label)
            if len(labels) > MAX_ROW_VALUES:
                raise NncalcError(f"more than {MAX_ROW_VALUES:,} labels", **where)  # type: ignore[arg-type]
    except UnicodeDecodeError:
        raise NncalcError("not UTF-8 text", **where) from None  # type: ignore[arg-type]
    except OSError as error:
        raise NncalcError(f"cannot read: {error.strerror}", **where) from None  # type: ignore[arg-type]
    return labels


def aligned_chunks(operands: list[Operand]) -> Iterator[list[Chunk]]:
    """Chunks of several operands, row-aligned.

    Literal operands repeat their one row with every chunk (the math
    broadcasts it); batches are read in lockstep and must have equally many
    rows. Yields once when every operand is a literal.
    """
    batches = [op for op in operands if op.reader is not None]
    if not batches:
        yield [op.literal_chunk() for op in operands]
        return
    lead, *others = batches
    assert lead.reader is not None
    while True:
        chunk = lead.reader.read_chunk()
        if chunk is None and lead.reader.rows_read == 0:
            raise NncalcError("input has no data rows", operand=lead.name)
        if chunk is None:
            for other in others:
                assert other.reader is not None
                extra = other.reader.read_chunk(1)
                if extra is not None:
                    raise _row_count_error(lead, other, lead.reader.rows_read, more=other)
            return
        by_name = {lead.name: chunk}
        for other in others:
            assert other.reader is not None
            mate = other.reader.read_chunk(len(chunk))
            if mate is None or len(mate) != len(chunk):
                raise _row_count_error(lead, other, other.reader.rows_read, more=lead)
            by_name[other.name] = mate
        yield [by_name[op.name] if op.reader is not None else op.literal_chunk() for op in operands]


def _row_count_error(a: Operand, b: Operand, rows: int, *, more: Operand) -> NncalcError:
    short = b if more is a else a
    return NncalcError(
        f"{more.name} has more rows than {short.name} ({short.name} ends after {rows} rows); "
        "batches pair row by row and must have the same number of rows",
        operand=more.name,
        row=rows + 1,
    )


def protect_negative_literals(args: list[str]) -> list[str]:
    """Let ``-1,0,1`` through the option parser as an operand.

    A token that starts like a negative number gets a leading space: the
    option parser no longer sees a dash first, and the operand parser and
    float options ignore surrounding whitespace.
    """
    return [" " + arg if NEGATIVE_LITERAL.match(arg) else arg for arg in args]
