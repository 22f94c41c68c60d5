"""Operand text -> float64 rows: literal vectors, ``-`` (stdin) and ``@path``.

A batch is read in blocks of lines (bounded by a line count and a size, and
ended early when a pipe has nothing more ready), so memory stays flat and
results are written before the input ends. Each block is parsed by NumPy's C
reader; when that refuses a block, a line-by-line parser finds the exact row,
column and token for the message.
"""

from __future__ import annotations

import codecs
import os
import re
import select
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, BinaryIO, TextIO

import numpy as np

from nncalc import progress
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
CHUNK_BYTES = 2 << 20
BLOCK_BYTES = 1 << 20  # one read: whatever is ready, up to this
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


class Chunk:
    """Consecutive rows of one operand; ``first_row`` is 1-based."""

    def __init__(
        self,
        operand: str,
        values: FloatArray,
        first_row: int | None,
        lines: Sequence[int] | None = None,
    ) -> None:
        self.operand = operand
        self.values = values
        self.first_row = first_row
        self.lines = lines  # the line number of each row

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


def utf8_decoder() -> codecs.IncrementalDecoder:
    """UTF-8 (a leading BOM dropped), decoded as the bytes arrive."""
    return codecs.getincrementaldecoder("utf-8-sig")()


def more_ready(stream: BinaryIO | TextIO) -> bool:
    """Whether a read would not wait: always for files, for pipes when data is in."""
    try:
        ready, _, _ = select.select([stream.fileno()], [], [], 0)
    except (AttributeError, OSError, ValueError):
        return True
    return bool(ready)


class BatchReader:
    """Rows of an input stream, one per line, read and parsed a block at a time.

    A block ends at CHUNK_ROWS lines or CHUNK_BYTES characters, or as soon as
    it holds a whole line and the input has nothing more ready (a pipe whose
    writer paused): rows are computed and written while input still arrives,
    and memory stays bounded by a block whatever the length of the input.
    """

    # A plain class rather than a dataclass: generating dataclass methods at
    # import costs every start-up a fraction of a millisecond.
    def __init__(
        self,
        stream: BinaryIO | TextIO,
        operand: str,
        *,
        on_read: Callable[[int], None] | None = None,
    ) -> None:
        self.stream = stream
        self.operand = operand
        self.on_read = on_read  # told the bytes of every read (progress)
        self.labels: list[str] | None = None
        self.separator: str | None = None
        self.width: int | None = None
        self.rows_read = 0  # rows handed out
        self.line_number = 0  # lines split off the input
        self._decoder = utf8_decoder()
        self._carry = ""  # input after the last whole line
        self._held_cr = False
        self._eof = False
        self._lines: list[str] = []
        self._at = 0  # _lines[_at:] are not parsed yet; the first is line _lines_start
        self._lines_start = 1
        self._values: FloatArray | None = None  # parsed rows not handed out yet
        self._numbers: Sequence[int] = range(0)  # their line numbers
        self._started = False

    @property
    def pending(self) -> int:
        """Rows parsed and not yet handed out."""
        return 0 if self._values is None else len(self._values)

    @property
    def done(self) -> bool:
        """Whether every line of the input has been parsed."""
        return self._eof and not self._carry and self._at == len(self._lines)

    def _read_some(self, lines_before: int) -> str:
        """The text of one read ('' at the end), newlines translated to '\\n'.

        ``lines_before`` is the number of lines before this read, for the
        line number of an encoding error.
        """
        read = getattr(self.stream, "read1", None) or self.stream.read
        try:
            data = read(BLOCK_BYTES)
        except UnicodeDecodeError:  # a text stream decodes as it reads
            raise NncalcError(
                "input is not UTF-8 text", operand=self.operand, line=lines_before + 1
            ) from None
        except OSError as error:
            raise NncalcError(f"cannot read: {error.strerror}", operand=self.operand) from None
        if isinstance(data, str):
            text = data
        else:
            if data and self.on_read is not None:
                self.on_read(len(data))
            try:
                text = self._decoder.decode(data, final=not data)
            except UnicodeDecodeError as error:
                line = lines_before + error.object[: error.start].count(b"\n") + 1
                raise NncalcError(
                    "input is not UTF-8 text", operand=self.operand, line=line
                ) from None
        if not data:
            self._eof = True
        # Universal newlines, as text files are read: "\r\n" and "\r" end lines.
        if self._held_cr:
            text = "\r" + text
            self._held_cr = False
        if text.endswith("\r") and not self._eof:
            text = text[:-1]
            self._held_cr = True
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text

    def _too_long(self, line: int) -> NncalcError:
        return NncalcError(
            f"line {line} is longer than {MAX_LINE_CHARS:,} characters",
            operand=self.operand,
            hint="is this text with one row per line?",
        )

    def _read_lines(self, limit: int) -> None:
        """Split up to ``limit`` whole lines off the input into ``_lines``.

        Reads until the block is full or, once it holds a whole line, until
        the input has nothing more ready. Every line is bounded by
        MAX_LINE_CHARS (a huge line, or /dev/zero, is an error).
        """
        pieces = [self._carry]
        size = len(self._carry)
        newlines = self._carry.count("\n")
        partial = size - self._carry.rfind("\n") - 1
        # A block holds at least one whole line, however long (up to MAX_LINE_CHARS).
        while not self._eof and newlines < limit and (size < CHUNK_BYTES or not newlines):
            if newlines and not more_ready(self.stream):
                break
            text = self._read_some(self.line_number + newlines)
            count = text.count("\n")
            if count:
                if partial + text.index("\n") > MAX_LINE_CHARS:
                    raise self._too_long(self.line_number + newlines + 1)
                partial = len(text) - text.rindex("\n") - 1
            else:
                partial += len(text)
            newlines += count
            if partial > MAX_LINE_CHARS:
                raise self._too_long(self.line_number + newlines + 1)
            pieces.append(text)
            size += len(text)
        lines = "".join(pieces).split("\n", limit)
        if len(lines) > limit or not self._eof:
            self._carry = lines.pop()
        else:
            self._carry = ""
            if lines[-1] == "":
                lines.pop()
        self._lines_start = self.line_number + 1
        self._lines, self._at = lines, 0
        self.line_number += len(lines)

    def _start(self) -> None:
        """Read the first data line: header of names, or the first row."""
        self._started = True
        while True:
            if not self._lines:
                if self.done:
                    raise NncalcError("input has no data rows", operand=self.operand)
                self._read_lines(CHUNK_ROWS)
                continue
            found = self._first_data_line()
            if found is not None:
                break
        index, line = found
        number = self._lines_start + index
        del self._lines[:index]
        self._lines_start = number
        self._lines[0] = line
        self.separator = detect_separator(line)
        tokens = split_line(line, self.separator)
        if len(tokens) > MAX_ROW_VALUES:
            raise _too_wide(self.operand, number)
        numeric = [is_number(t) for t in tokens]
        if not any(numeric):
            self.labels = tokens
            self.width = len(tokens)
            del self._lines[0]
            self._lines_start += 1
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

    def _first_data_line(self) -> tuple[int, str] | None:
        """Index and text of the first data line in ``_lines``; None drops them all."""
        for index, raw in enumerate(self._lines):
            line = self._clean(raw, self._lines_start + index)
            if line:
                return index, line
        self._lines_start += len(self._lines)
        self._lines = []
        return None

    @staticmethod
    def _clean(raw: str, number: int) -> str:
        """A line stripped, or '' for a blank or comment line."""
        line = raw.strip()
        if number == 1:
            line = line.lstrip("\ufeff").strip()
        return "" if line.startswith("#") else line

    def fill(self, limit: int | None = None) -> None:
        """Parse the next block of rows (at most ``limit`` lines of it), unless
        some rows are pending or the input is done."""
        if not self._started:
            self._start()
        while self.pending == 0 and not self.done:
            if self._at == len(self._lines):
                self._read_lines(CHUNK_ROWS)
            if self._at < len(self._lines):
                self._parse_lines(limit)

    def take(self, rows: int) -> Chunk:
        """The next ``rows`` pending rows (fewer if fewer are pending)."""
        assert self._values is not None
        values, numbers = self._values[:rows], self._numbers[:rows]
        self._values, self._numbers = self._values[rows:], self._numbers[rows:]
        first_row = self.rows_read + 1
        self.rows_read += len(values)
        return Chunk(self.operand, values, first_row, numbers)

    def read_chunk(self, rows: int | None = None) -> Chunk | None:
        """Up to ``rows`` rows (default: a block), as soon as they are in; None at the end.

        Only ``rows`` lines are parsed, so a row is handed out before a bad
        line after it (in the same block) is reported.
        """
        self.fill(rows)
        if self.pending == 0:
            return None
        return self.take(rows if rows is not None else self.pending)

    def _parse_lines(self, limit: int | None = None) -> None:
        """Parse the unparsed lines (at most ``limit``) into pending rows.

        A block of plain data lines goes to NumPy as it is. Blocks it refuses
        (comments, blank lines, a bad token) are cleaned line by line and
        parsed again, and a bad token is reported with its exact place.
        """
        end = len(self._lines) if limit is None else min(len(self._lines), self._at + limit)
        lines = (
            self._lines
            if self._at == 0 and end == len(self._lines)
            else self._lines[self._at : end]
        )
        start = self._lines_start
        self._at = end
        self._lines_start += len(lines)
        if end == len(self._lines):
            self._lines, self._at = [], 0
        first_row = self.rows_read + self.pending + 1
        values = self._load(lines)
        numbers: Sequence[int]
        if values is not None and len(values) == len(lines):
            numbers = range(start, start + len(lines))
        else:
            numbers, data = [], []
            for offset, raw in enumerate(lines):
                line = self._clean(raw, start + offset)
                if line:
                    numbers.append(start + offset)
                    data.append(line)
            if not data:
                return
            values = self._parse(data, numbers, first_row)
        if self.width is None:
            self.width = values.shape[1]
        self._values, self._numbers = values, numbers

    def _load(self, lines: list[str]) -> FloatArray | None:
        """NumPy's C reader on the lines; None when it refuses or a limit is passed."""
        try:
            with warnings.catch_warnings():
                # Blank-only lines: "input contained no data" must not reach stderr.
                warnings.simplefilter("ignore", UserWarning)
                values: FloatArray = np.loadtxt(
                    lines,
                    delimiter=self.separator,
                    comments=None,
                    dtype=np.float64,
                    ndmin=2,
                    quotechar=None,
                )
        except ValueError:
            return None
        if (
            (self.width is not None and values.shape[1] != self.width)
            or values.shape[1] > MAX_ROW_VALUES
            or (
                max(map(len, lines)) > MAX_TOKEN_CHARS
                and any(has_long_token(line) for line in lines)
            )
        ):
            return None
        return values

    def _parse(self, lines: list[str], numbers: list[int], first_row: int) -> FloatArray:
        values = self._load(lines)
        if values is None:
            values = self._parse_slowly(lines, numbers, first_row)
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


def stdin_stream() -> BinaryIO | TextIO:
    """Standard input: its bytes when it has them (the reader decodes UTF-8)."""
    buffer: BinaryIO | None = getattr(sys.stdin, "buffer", None)
    return sys.stdin if buffer is None else buffer


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def open_file(path: str, operand: str, *, binary: bool = False) -> Any:
    """Open ``@path`` for reading (UTF-8 text, or bytes), OS errors as one-line errors."""
    where = {"operand": operand, "token": "@" + path}
    if os.path.isdir(path):
        raise NncalcError("is a directory, not a file", **where)  # type: ignore[arg-type]
    try:
        if binary:
            return open(path, "rb")
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

    def take(self, operand: str) -> BinaryIO | TextIO:
        if self.taken_by is not None:
            raise NncalcError(
                f"{self.taken_by} already reads standard input; give {operand} as a "
                "literal or @file",
                operand=operand,
            )
        self.taken_by = operand
        return stdin_stream()


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
        stream: BinaryIO = open_file(text[1:], name, binary=True)
        reader = BatchReader(stream, name, on_read=progress.tracker(text, stream))
        return Operand(name, reader=reader, source=text)
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
    broadcasts it); batches are read in lockstep, each a block at a time, and
    a chunk holds as many rows as every batch has ready (so a wide batch
    bounds the rows of a narrow one). Batches must have equally many rows.
    Yields once when every operand is a literal.
    """
    batches = [op for op in operands if op.reader is not None]
    if not batches:
        yield [op.literal_chunk() for op in operands]
        return
    while True:
        for op in batches:
            assert op.reader is not None
            if op.reader.pending == 0:
                op.reader.fill()
        _check_row_counts(batches)
        rows = min(op.reader.pending for op in batches if op.reader is not None)
        if rows == 0:
            return
        by_name = {op.name: op.reader.take(rows) for op in batches if op.reader is not None}
        yield [by_name[op.name] if op.reader is not None else op.literal_chunk() for op in operands]


def _check_row_counts(batches: list[Operand]) -> None:
    """Fail as soon as the batches are known to have different numbers of rows."""
    lead, *others = batches
    first = lead.reader
    assert first is not None
    if first.pending == 0 and first.rows_read == 0:
        raise NncalcError("input has no data rows", operand=lead.name)
    for other in others:
        second = other.reader
        assert second is not None
        first_rows = first.rows_read + first.pending
        second_rows = second.rows_read + second.pending
        if first.done and second_rows > first_rows:
            raise _row_count_error(lead, other, first_rows, more=other)
        if second.done and first_rows > second_rows:
            raise _row_count_error(lead, other, second_rows, more=lead)


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
