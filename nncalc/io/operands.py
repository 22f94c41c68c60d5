"""Operands: literal vectors, '-' (stdin) and @path, opened and read in aligned chunks.

An ``@path`` is a text file (rows of numbers, one per line) or a tensor file
(``.npy``, ``.npz[:name]``, ``.safetensors[:name]``, ``.jsonl``; see
:mod:`nncalc.io.tensors`): both are batches of rows, read a chunk at a time.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from nncalc.core.arrays import FloatArray
from nncalc.core.limits import MAX_LABELS
from nncalc.errors import NncalcError, plural
from nncalc.io import layout, progress
from nncalc.io.reader import BatchReader, Chunk
from nncalc.io.tensors import is_tensor_operand, open_tensor
from nncalc.io.textlines import LineSource
from nncalc.io.tokens import MAX_LINE_CHARS, parse_literal

if TYPE_CHECKING:
    from nncalc.io.tensor_rows import TensorReader
    from nncalc.output.environment import Environment

    RowReader = BatchReader | TensorReader


class Operand:
    """A named numeric operand: a batch of rows read from a stream, or a literal row.

    A literal row is a batch of one row that pairs with every row of the
    other operands (it broadcasts); ``is_batch`` tells only how the operand
    was given, which decides the shape of the output, never the math.
    """

    def __init__(
        self,
        name: str,
        *,
        row: FloatArray | None = None,
        reader: RowReader | None = None,
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
    def tensor(self) -> TensorReader | None:
        """The reader of a tensor file operand (its ``shape``), or None."""
        if self.reader is None or isinstance(self.reader, BatchReader):
            return None
        return self.reader

    @property
    def labels(self) -> list[str] | None:
        reader = self.reader
        if reader is None:
            return None
        if isinstance(reader, BatchReader) and not reader._started:
            reader._start()
        return reader.labels

    def one_per_row(self) -> None:
        """Read a tensor operand as one value per element (class indices, masks).

        A tensor of shape (B, S) is then B*S rows of one value, whatever its
        last axis. Text and literal operands are left as they are. Called
        before any row is read.
        """
        tensor = self.tensor
        if tensor is None or (tensor.columns == 1 and tensor.leading_shape == tensor.shape):
            return
        tensor.close()
        self.reader = _tensor_reader(self.source, self.name, None, one_per_row=True)

    def literal_chunk(self) -> Chunk:
        assert self.row is not None
        return Chunk(self.name, self.row, None)

    def rows_as_they_come(self) -> Iterator[Chunk]:
        """A chunk per row, each as soon as it is read (a literal: its one row)."""
        if self.reader is None:
            yield self.literal_chunk()
            return
        while (chunk := self.reader.read_chunk(1)) is not None:
            yield chunk


def stdin_stream() -> BinaryIO | TextIO:
    """Standard input: its bytes when it has them (the reader decodes UTF-8)."""
    buffer: BinaryIO | None = getattr(sys.stdin, "buffer", None)
    return sys.stdin if buffer is None else buffer


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


def open_operand(
    text: str | None,
    name: str,
    claim: StdinClaim,
    env: Environment | None = None,
    *,
    one_per_row: bool = False,
    table: layout.Options | None = None,
) -> Operand:
    """Resolve operand text: literal, ``-``, ``@path``, or omitted (stdin).

    An omitted operand reads stdin, unless stdin is a terminal (``env``;
    None: no terminal anywhere): then nobody is typing rows, and
    :class:`MissingOperand` says so. A large @file shows a progress bar
    where ``env`` allows one.

    ``one_per_row`` is for operands of one value per row (class indices,
    masks): a tensor file gives a row per element (shape (B, S): B*S rows),
    and a literal of several values is a batch of one row each (a single
    value stays a literal, which pairs with every row).

    ``table``: a text operand's table options (see
    :class:`~nncalc.io.reader.BatchReader`; None: every one guessed).
    """
    if text is None:
        if env is not None and env.stdin_isatty:
            raise MissingOperand(f"missing operand {name} (give it, or pipe rows on stdin)")
        text = "-"
    if text == "-":
        reader = BatchReader(LineSource(claim.take(name), name), table)
        return Operand(name, reader=reader, source="stdin")
    if text.startswith("@") and is_tensor_operand(text[1:]):
        tensor = _tensor_reader(text, name, env, one_per_row=one_per_row)
        return Operand(name, reader=tensor, source=text)
    if text.startswith("@"):
        stream: BinaryIO = open_file(text[1:], name, binary=True)
        lines = LineSource(stream, name, on_read=progress.tracker(text, stream, env))
        reader = BatchReader(lines, table)
        return Operand(name, reader=reader, source=text)
    try:
        row = parse_literal(text, name)
    except NncalcError:
        suggest_at(text, name)
        raise
    if one_per_row and row.shape[1] > 1:
        from nncalc.io.tensor_rows import ArrayRows

        return Operand(name, reader=ArrayRows(name, text, row[0], one_per_row=True), source=text)
    return Operand(name, row=row, source="literal")


def suggest_at(text: str, name: str) -> None:
    """A literal that is not a number but names an existing file: "did you mean @path?"."""
    path = text.strip()
    file = path.rpartition(":")[0] if ":" in path and not os.path.isfile(path) else path
    if not file or not os.path.isfile(file):
        return
    import shlex

    from nncalc.output.safe import visible_controls

    typed = visible_controls(shlex.quote("@" + path))
    raise NncalcError("not a number", operand=name, token=path, hint=f"did you mean {typed}?")


def _tensor_reader(
    text: str, name: str, env: Environment | None, *, one_per_row: bool
) -> TensorReader:
    """The reader of tensor operand ``text``, with a progress bar where ``env`` allows."""
    reader = open_tensor(text, name, one_per_row=one_per_row)
    handle = getattr(reader, "handle", None)  # None: read whole when opened (.npz)
    if handle is not None:
        reader.on_read = progress.tracker(text, handle, env)
    return reader


def read_labels(text: str) -> list[str]:
    """Class labels: ``a,b,c`` (CSV: ``a,"b, c"`` is two) or ``@vocab.txt`` (one per line).

    An empty label (``a,,b``, ``a,b,``) or one given twice is an error naming
    its position (and, in a file, its line).
    """
    if text.startswith("@"):
        with open_file(text[1:], "--labels") as handle:
            labels, lines = _label_lines(handle, text)
        _check_labels(labels, lines, text[1:])
        return labels
    if '"' not in text:
        labels = [label.strip() for label in text.split(",")]
    else:
        import csv

        try:
            row = next(csv.reader([text], skipinitialspace=True))
        except csv.Error as error:  # a line break outside quotes
            raise NncalcError(f"not one CSV line: {error}", operand="--labels") from None
        labels = [label.strip() for label in row]
    _check_labels(labels)
    return labels


def _check_labels(labels: list[str], lines: list[int] | None = None, path: str = "") -> None:
    """No empty label, no label twice: each names one class."""
    first: dict[str, int] = {}
    for index, label in enumerate(labels):
        if not label:
            message = f"label {index + 1} of {len(labels)} is empty"
            raise NncalcError(message, operand="--labels", hint="name every class: a,b,c")
        seen = first.setdefault(label, index)
        if seen == index:
            continue
        operand, message = "--labels", f"label {index + 1} repeats label {seen + 1}"
        if lines is not None:
            from nncalc.output.safe import visible_controls

            operand = f"--labels {visible_controls(path)}:{lines[index]}"
            message += f", from line {lines[seen]}"
        raise NncalcError(message, operand=operand, token=label, hint="class names must differ")


def _label_lines(handle: TextIO, source: str) -> tuple[list[str], list[int]]:
    """Non-blank lines of a labels file and their line numbers, within the input limits."""
    labels: list[str] = []
    lines: list[int] = []
    where = {"operand": "--labels", "token": source}
    number = 0
    try:
        while raw := handle.readline(MAX_LINE_CHARS + 1):
            if len(raw) > MAX_LINE_CHARS and not raw.endswith("\n"):
                message = f"a line is longer than {MAX_LINE_CHARS:,} characters"
                raise NncalcError(message, **where)  # type: ignore[arg-type]
            number += 1
            if label := raw.strip():
                labels.append(label)
                lines.append(number)
            if len(labels) > MAX_LABELS:
                raise NncalcError(f"more than {MAX_LABELS:,} labels", **where)  # type: ignore[arg-type]
    except UnicodeDecodeError:
        raise NncalcError("not UTF-8 text", **where) from None  # type: ignore[arg-type]
    except OSError as error:
        raise NncalcError(f"cannot read: {error.strerror}", **where) from None  # type: ignore[arg-type]
    return labels, lines


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
    """Fail as soon as the batches are known to have different numbers of rows.

    A tensor's rows are known when it is opened; a text batch's once it ends.
    """
    lead, *others = batches
    first = lead.reader
    assert first is not None
    if first.pending == 0 and first.rows_read == 0 and first.done:
        error = NncalcError("input has no data rows", operand=lead.name)
        raise first.name_file(error) if isinstance(first, BatchReader) else error
    for other in others:
        first_rows, first_total = _rows_known(lead)
        second_rows, second_total = _rows_known(other)
        if first_total is not None and second_rows > first_total:
            raise _row_count_error(lead, other, first_total, more=other)
        if second_total is not None and first_rows > second_total:
            raise _row_count_error(lead, other, second_total, more=lead)


def _rows_known(operand: Operand) -> tuple[int, int | None]:
    """Rows seen so far, and the total when it is known."""
    reader = operand.reader
    assert reader is not None
    seen = reader.rows_read + reader.pending
    tensor = operand.tensor
    if tensor is not None:
        return tensor.rows, tensor.rows
    return seen, seen if reader.done else None


def _row_count_error(a: Operand, b: Operand, rows: int, *, more: Operand) -> NncalcError:
    short = b if more is a else a
    hint = None
    if a.tensor is not None and b.tensor is not None:
        hint = f"{a.name} has shape {_shape(a.tensor.shape)}, {b.name} {_shape(b.tensor.shape)}"
    return NncalcError(
        f"{more.name} has more rows than {short.name} "
        f"({short.name} ends after {plural(rows, 'row')}); "
        "batches pair row by row and must have the same number of rows",
        operand=more.name,
        row=rows + 1,
        hint=hint,
    )


def _shape(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))
