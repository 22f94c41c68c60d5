"""``-o/--output PATH``: per-row results or whole matrices written to a file, by extension.

- ``.npy``: float64, streamed: the header is written first (with room for
  any shape) and holds the final shape when the file is closed; the leading
  shape of a tensor input is kept.
- ``.csv``: a header row (the csv module), then one line per row.
- ``.jsonl``/``.ndjson``: one JSON value (one number per row) or array per line.
- ``.json``: one document: nested arrays in the leading shape, as
  ``ndarray.tolist()`` gives (a flat array of rows without a leading shape).

Numbers are written as ``repr`` writes them (the shortest text that reads
back to the same float64), or with ``digits`` significant digits; in JSON a
non-finite number is the string ``"nan"``, ``"inf"`` or ``"-inf"`` (as on
stdout). The file is written next to PATH under a temporary name and takes
PATH's place when closed: a failed run leaves no partial file, and PATH keeps
its old contents until then.
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Sequence
from contextlib import suppress
from typing import Any, BinaryIO

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.errors import NncalcError, plural
from nncalc.output.text import format_rows, json_value

WHERE = "--output"


def open_output(
    path: str,
    *,
    name: str,
    columns: Sequence[str] | int | None = None,
    rows: int | None = None,
    leading_shape: tuple[int, ...] | None = None,
    digits: int | None = None,
) -> ResultWriter:
    """A writer of results to ``path``, in the format its extension names.

    ``columns`` is None for one value per row (``kl``, ``xent``), the class
    names of a vector per row (``softmax``), or just their number (CSV
    header ``{name}0``, ``{name}1``, ...). ``leading_shape`` (a tensor
    input's shape but its last axis) or ``rows`` (its product) gives the
    shape of ``.npy`` and ``.json`` output; with neither, rows are counted as
    they come. ``digits`` applies to the text formats only.
    """
    suffix = os.path.splitext(path)[1].lower()
    writer = WRITERS.get(suffix)
    if writer is None:
        known = ", ".join(WRITERS)
        shown = repr(suffix) if suffix else "no extension"
        raise NncalcError(
            f"cannot tell the output format from {shown} (nncalc writes {known})",
            operand=WHERE,
            token=path,
        )
    if leading_shape is not None and rows is not None and math.prod(leading_shape) != rows:
        raise NncalcError(
            f"{plural(rows, 'row')} cannot fill the shape {leading_shape}", operand=WHERE
        )
    if leading_shape is None and rows is not None:
        leading_shape = (rows,)
    if isinstance(columns, int):
        columns = [f"{name}{i}" for i in range(columns)]
    return writer(path, name=name, columns=columns, leading_shape=leading_shape, digits=digits)


class ResultWriter:
    """Rows of results written to a file; ``close`` puts it in place, ``abort`` drops it.

    ``write`` takes a chunk of rows: shape ``(k,)`` (or ``(k, 1)``) for one
    value per row, ``(k, C)`` for vectors. Used as a context manager it
    closes on success and aborts on an exception.
    """

    def __init__(
        self,
        path: str,
        *,
        name: str,
        columns: Sequence[str] | None,
        leading_shape: tuple[int, ...] | None,
        digits: int | None,
    ) -> None:
        self.path = path
        self.name = name
        self.columns = None if columns is None else list(columns)
        self.leading_shape = leading_shape
        self.digits = digits
        self.rows_written = 0
        self.rows = None if leading_shape is None else math.prod(leading_shape)
        self._target = _Target(path)
        self.stream: BinaryIO = self._target.stream
        try:
            self._start()
        except BaseException:
            self._target.discard()
            raise

    def write(self, values: FloatArray) -> None:
        array = np.asarray(values, dtype=np.float64)
        if self.columns is None:
            if array.ndim == 2 and array.shape[1] == 1:
                array = array[:, 0]
            if array.ndim != 1:
                raise NncalcError(f"one value per row expected, got shape {array.shape}")
        else:
            if array.ndim == 1:
                array = array.reshape(1, -1)
            if array.ndim != 2 or array.shape[1] != len(self.columns):
                raise NncalcError(
                    f"rows of {plural(len(self.columns), 'value')} expected, got {array.shape}"
                )
        if self.rows is not None and self.rows_written + len(array) > self.rows:
            raise NncalcError(
                f"more than the {plural(self.rows, 'row')} of the output's shape", operand=WHERE
            )
        try:
            self._write(array)
        except OSError as error:
            raise self._failed(error) from None
        self.rows_written += len(array)

    def close(self) -> None:
        """Finish the file and put it at its path (all the rows of its shape written)."""
        if self.rows is not None and self.rows_written != self.rows:
            self._target.discard()
            raise NncalcError(
                f"{plural(self.rows_written, 'row')} written "
                f"of the {self.rows:,} of the output's shape",
                operand=WHERE,
            )
        try:
            self._finish()
            self._target.commit()
        except OSError as error:
            self._target.discard()
            raise self._failed(error) from None

    def abort(self) -> None:
        """Drop the file (PATH is left as it was)."""
        self._target.discard()

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def _failed(self, error: OSError) -> NncalcError:
        return NncalcError(
            f"cannot write: {error.strerror or error}", operand=WHERE, token=self.path
        )

    def _text(self, text: str) -> None:
        self.stream.write(text.encode("utf-8"))

    def _start(self) -> None:
        """Write what comes before the rows."""

    def _write(self, values: FloatArray) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Write what comes after the rows."""

    def _json_rows(self, values: FloatArray) -> list[str]:
        """Each row as a JSON value (a number, or an array of numbers)."""
        table = values.reshape(len(values), -1)
        if table.shape[1] == 0:
            return ["[]"] * len(values)
        lines = format_rows(table, self.digits).split("\n")[:-1]
        for i in np.flatnonzero(~np.isfinite(table).all(axis=1)).tolist():
            lines[i] = ",".join(json_value(v, self.digits) for v in table[i].tolist())
        if self.columns is None:
            return lines
        return ["[" + line + "]" for line in lines]


class NpyWriter(ResultWriter):
    """float64 ``.npy``; shape ``leading_shape (+ (C,))``, or ``(rows (, C))``."""

    def _start(self) -> None:
        self._tail = () if self.columns is None else (len(self.columns),)
        ndim = (1 if self.leading_shape is None else len(self.leading_shape)) + len(self._tail)
        self._header_bytes = len(_npy_header((10**19,) * ndim))  # room for any final shape
        if self.leading_shape is None and not self._target.seekable:
            raise NncalcError(
                ".npy output to a pipe needs the number of rows beforehand",
                operand=WHERE,
                token=self.path,
            )
        self.stream.write(_npy_header(self._shape(), self._header_bytes))

    def _shape(self) -> tuple[int, ...]:
        leading = self.leading_shape
        return ((self.rows_written,) if leading is None else leading) + self._tail

    def _write(self, values: FloatArray) -> None:
        self.stream.write(np.ascontiguousarray(values, dtype="<f8").data.cast("B"))

    def _finish(self) -> None:
        if self._target.seekable:
            self.stream.seek(0)
            self.stream.write(_npy_header(self._shape(), self._header_bytes))


def _npy_header(shape: tuple[int, ...], length: int | None = None) -> bytes:
    """A .npy 1.0 header for float64 ``shape``, padded to ``length`` bytes (default: to 64)."""
    text = "{'descr': '<f8', 'fortran_order': False, 'shape': " + repr(shape) + ", }"
    total = length or -(-(10 + len(text) + 1) // 64) * 64
    text = text.ljust(total - 11) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("ascii")


class CsvWriter(ResultWriter):
    """A header row (the result's name, or the column names), then the rows."""

    def _start(self) -> None:
        import csv
        import io

        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(self.columns or [self.name])
        self._text(header.getvalue())

    def _write(self, values: FloatArray) -> None:
        self._text(format_rows(values.reshape(len(values), -1), self.digits))


class JsonlWriter(ResultWriter):
    """One JSON value per line: a number per row, or an array per row."""

    def _write(self, values: FloatArray) -> None:
        if len(values):
            self._text("\n".join(self._json_rows(values)) + "\n")


class JsonWriter(ResultWriter):
    """One JSON document: the rows nested in the leading shape."""

    def _start(self) -> None:
        self._dims = self.leading_shape if self.leading_shape is not None else None
        if self._dims is None:
            self._text("[")

    def _write(self, values: FloatArray) -> None:
        parts = []
        for offset, text in enumerate(self._json_rows(values)):
            parts.append(self._nested(self.rows_written + offset, text))
        self._text("".join(parts))

    def _nested(self, row: int, text: str) -> str:
        """A row's text with the brackets and comma around it in the nested document."""
        if self._dims is None:
            return text if row == 0 else "," + text
        index = np.unravel_index(row, self._dims) if self._dims else ()
        opens = _run_from_end(index, [0] * len(index))
        closes = _run_from_end(index, [d - 1 for d in self._dims])
        return ("," if row else "") + "[" * opens + text + "]" * closes

    def _finish(self) -> None:
        if self._dims is None:
            self._text("]\n")
        elif self.rows_written == 0:  # a shape with a 0 in it
            self._text(_dumps(np.empty(self._dims).tolist()) + "\n")
        else:
            self._text("\n")


def _run_from_end(index: Sequence[Any], edge: Sequence[int]) -> int:
    """How many trailing positions of ``index`` sit at ``edge``."""
    count = 0
    for position, limit in zip(reversed(list(index)), reversed(list(edge)), strict=True):
        if int(position) != limit:
            break
        count += 1
    return count


def _dumps(value: object) -> str:
    import json

    return json.dumps(value)


WRITERS: dict[str, type[ResultWriter]] = {
    ".npy": NpyWriter,
    ".csv": CsvWriter,
    ".jsonl": JsonlWriter,
    ".ndjson": JsonlWriter,
    ".json": JsonWriter,
}


class _Target:
    """The file being written: a temporary next to PATH, renamed over it when done.

    A PATH that exists and is not a regular file (``/dev/stdout``, a FIFO) is
    written in place.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.temporary: str | None = None
        where: dict[str, Any] = {"operand": WHERE, "token": path}
        if os.path.isdir(path):
            raise NncalcError("is a directory, not a file", **where)
        try:
            if os.path.exists(path) and not os.path.isfile(path):
                self.stream: BinaryIO = open(path, "wb")  # noqa: SIM115
            else:
                folder, base = os.path.split(os.path.abspath(path))
                self.temporary = os.path.join(folder, f".{base}.{os.getpid()}.tmp")
                fd = os.open(self.temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
                self.stream = os.fdopen(fd, "wb")
        except OSError as error:
            raise NncalcError(f"cannot write: {error.strerror or error}", **where) from None
        except ValueError:  # a NUL byte in the path
            raise NncalcError("cannot write: not a valid path", **where) from None
        self.seekable = self.temporary is not None or self.stream.seekable()

    def commit(self) -> None:
        self.stream.close()
        if self.temporary is not None:
            os.replace(self.temporary, self.path)
            self.temporary = None

    def discard(self) -> None:
        self.stream.close()
        if self.temporary is not None:
            with suppress(OSError):
                os.unlink(self.temporary)
            self.temporary = None
