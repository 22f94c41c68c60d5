"""The block reader: a text stream -> float64 row chunks, flat in memory."""

from __future__ import annotations

import codecs
import select
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import BinaryIO, TextIO

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.errors import NncalcError
from nncalc.io.tokens import (
    MAX_LINE_CHARS,
    MAX_ROW_VALUES,
    MAX_TOKEN_CHARS,
    _ascii_hint,
    _too_wide,
    detect_separator,
    has_long_token,
    is_number,
    parse_token,
    split_line,
)

CHUNK_ROWS = 16384


CHUNK_BYTES = 2 << 20


BLOCK_BYTES = 1 << 20  # one read: whatever is ready, up to this


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


def quoted_names(line: str, separator: str) -> list[str]:
    """A header line's names as CSV reads them: ``x,"dog, big"`` has two."""
    import csv

    return [name.strip() for name in next(csv.reader([line], delimiter=separator))]


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
        if '"' in line and self.separator is not None:  # a CSV header may quote a name
            tokens = quoted_names(line, self.separator)
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
