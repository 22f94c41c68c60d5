"""The one loop every command runs: read -> compute -> reduce -> gate -> write.

A command builds a *step* (what to compute on each chunk of rows, from
:mod:`nncalc.cli.steps`) and hands it here with its output options. Literal
vectors, ``-`` (stdin) and ``@file`` operands all arrive as chunks of rows
(a literal is a batch of one row), so every operand form takes this same
path; whether the operands were literals decides only the output's shape.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from nncalc.cli import environment, table_input
from nncalc.cli.option_values import bound_option, reduction_option
from nncalc.cli.table_input import output_ids, row_ids
from nncalc.core.arrays import FloatArray, IntArray
from nncalc.core.parallel import reuse_freed_memory
from nncalc.errors import NncalcError, plural
from nncalc.io.operands import Operand, StdinClaim, aligned_chunks, open_operand, read_labels
from nncalc.io.reader import CHUNK_ROWS, Chunk
from nncalc.output.environment import Environment
from nncalc.output.id_rows import with_ids
from nncalc.output.sinks import ScalarSink, Value, VectorSink, write_record
from nncalc.output.spec import TABLE_ROWS, Base, Bounds, Format, Output, Table, Units

if TYPE_CHECKING:
    from nncalc.cli.table_input import TableInput
    from nncalc.core.reduce import Reduction
    from nncalc.io.masks import Mask

OperandTexts = Sequence[tuple[str | None, str]]  # (text as given, operand name)
ShownRows = list[tuple[FloatArray, FloatArray]]  # (input row, result row) pairs for a table


class Scalars:
    """The output options of a command with one scalar per row.

    ``reduction`` is the text of ``--reduction`` (None: not given), parsed
    here; the bounds must be finite; ``mask`` and ``path`` are the operand of
    ``--mask`` and the file of ``-o/--output`` (None: not given).
    """

    __slots__ = ("base", "digits", "fmt", "mask", "maximum", "minimum", "path", "reduction")

    def __init__(
        self,
        reduction: str | None,
        maximum: float | None,
        minimum: float | None,
        base: Base,
        fmt: Format,
        digits: int | None,
        mask: str | None = None,
        path: str | None = None,
    ) -> None:
        self.reduction = reduction_option(reduction)
        self.maximum = bound_option(maximum, "--max")
        self.minimum = bound_option(minimum, "--min")
        self.base = base
        self.fmt = fmt
        self.digits = digits
        self.mask = mask
        self.path = path


class Summary:
    """A record that replaces the reduced rows as the result (``--recon``, ``--stats``).

    ``checked`` names the value ``--max``/``--min`` gate; ``tables`` (None:
    the record as a table) is what ``--format table`` draws.
    """

    def __init__(
        self,
        title: str,
        record: dict[str, Value],
        checked: tuple[str, float],
        tables: Callable[[], list[Table]] | None = None,
    ) -> None:
        self.title = title
        self.record = record
        self.checked = checked
        self.tables = tables


class ScalarStep:
    """What a command computes: per-row scalars from its operands' chunks.

    Subclasses set ``name`` (the quantity) and ``operands``, and implement
    :meth:`rows` and :meth:`tables`; the hooks have defaults that do nothing.
    """

    name = ""
    unit: str | None = None  # None: the base's (nats, bits, dits)
    labelled: tuple[int, ...] = ()  # operands whose header names label classes, in order
    classes: tuple[int, ...] | None = None  # operands of class columns (None: all), ids first
    summarizes = False  # True: :meth:`conclude` returns the result, the rows are not gated

    def __init__(self, operands: OperandTexts) -> None:
        self.operands = operands

    def start(self, batch: bool, reduction: Reduction | None) -> None:
        """Called once the operands are open: checks that depend on their form."""

    def writing(self, output: Output) -> None:
        """Called once the output format is known, before a row is read."""

    def opened(self, operands: Sequence[Operand]) -> None:
        """Called once the operands are open, before a row is read (tensor shapes)."""

    def rows(self, chunks: Sequence[Chunk]) -> tuple[FloatArray, FloatArray | None]:
        """Per-row values in nats, and per-row weights for a weighted mean (or None)."""
        raise NotImplementedError

    def tables(self, value: float, names: list[str] | None, units: Units) -> list[Table]:
        """The tables for a single result ``value`` (in ``units``; of the last row read)."""
        raise NotImplementedError

    def conclude(self, sink: ScalarSink, output: Output) -> Summary | None:
        """Called after the last row: a record to write instead of the reduction, or None."""
        return None


def open_operands(
    texts: OperandTexts,
    env: Environment,
    claim: StdinClaim | None = None,
    per_row: Collection[str] = (),
    table: TableInput | None = None,
    classes: Sequence[int] | None = None,
) -> list[Operand]:
    """Open every operand; only one may read standard input.

    The operands named in ``per_row`` hold one value per row (class indices,
    masks): see ``one_per_row`` of :func:`~nncalc.io.operands.open_operand`.
    ``table`` applies whole to the operands ``classes`` (None: all but
    ``per_row``); the others get --sep and --header. Headers pair by name.
    """
    claim = StdinClaim() if claim is None else claim
    if classes is None:
        classes = [i for i, (_, name) in enumerate(texts) if name not in per_row]
    table = table_input.TableInput() if table is None else table
    primary = table_input.primary_operand(texts, classes)
    operands = [
        open_operand(text, name, claim, env, one_per_row=name in per_row, table=options)
        for (text, name), options in zip(texts, table.options(texts, classes, primary), strict=True)
    ]
    paired = [op for op in operands if op.name not in per_row]
    table_input.settle(operands, paired, primary, table)
    return operands


def read(operands: list[Operand], *, one_row_at_a_time: bool = False) -> Iterator[list[Chunk]]:
    """The read stage: row-aligned chunks, or single rows as they arrive."""
    if one_row_at_a_time:
        (operand,) = operands
        for chunk in operand.rows_as_they_come():
            yield [chunk]
        return
    for chunks in aligned_chunks(operands):
        if len(chunks[0]) >= CHUNK_ROWS:  # a long input, read a megabyte at a time
            reuse_freed_memory()
        yield chunks


def first_row(chunks: Sequence[Chunk]) -> int | None:
    return next((c.first_row for c in chunks if c.first_row is not None), None)


def header_labels(operands: Sequence[Operand]) -> list[str] | None:
    """Class names from the first operand whose file has a header row."""
    return next((op.labels for op in operands if op.labels is not None), None)


def leading_shape(operands: Sequence[Operand]) -> tuple[int, ...] | None:
    """The shape of the rows of a tensor operand (its shape but the last axis), if any."""
    shapes = (getattr(op.reader, "leading_shape", None) for op in operands)
    return next((tuple(shape) for shape in shapes if shape is not None), None)


def masked(
    operands: list[Operand], mask: Mask | None
) -> Iterator[tuple[list[Chunk], IntArray | None]]:
    """The read stage with ``--mask``: chunks of the rows kept, and their input rows.

    The rows are None when every row of the chunk is kept (numbered from its
    first row). A chunk whose rows are all dropped is skipped.
    """
    if mask is None:
        for chunks in read(operands):
            yield chunks, None
        return
    from nncalc.io.masks import kept, row_numbers

    mask.start(any(op.is_batch for op in operands))
    data_rows = 0
    for chunks in read(operands + mask.operands):
        data = chunks[: len(operands)]
        rows = max(len(c) for c in data) if first_row(data) is not None else 1
        keep = mask.keep(chunks[len(operands)] if mask.operand else None, rows)
        data_rows += rows
        if bool(keep.all()):
            yield data, None
        elif keep.any():
            yield [kept(c, keep) for c in data], row_numbers(data, keep)
    mask.finish(data_rows)


def run_scalars(step: ScalarStep, out: Scalars, table: TableInput | None = None) -> None:
    """Read, compute, reduce, gate and write a per-row scalar command.

    With ``--id`` and no ``--reduction``, the result is per row (reduction none).
    """
    env = environment.current()
    claim = StdinClaim()
    operands = open_operands(step.operands, env, claim, table=table, classes=step.classes)
    step.opened(operands)
    id_names = output_ids(table, operands, out.path)
    if id_names is not None and out.reduction is None and not step.summarizes:
        out.reduction = reduction_option("none")
    mask = None
    if out.mask is not None:
        from nncalc.io.masks import Mask

        mask = Mask(out.mask, claim, env)
    batch = any(op.is_batch for op in operands)
    step.start(batch, out.reduction)
    output = Output(out.fmt, out.digits, env)
    step.writing(output)
    bounds = Bounds(out.maximum, out.minimum)
    file = None
    if out.path is not None:
        from nncalc.output.files import open_output  # only when there is an output file

        shape = leading_shape(operands) if mask is None else None
        file = open_output(out.path, name=step.name, leading_shape=shape, digits=out.digits)
    sink = ScalarSink(
        step.name,
        output,
        batch=batch,
        reduction=out.reduction,
        bounds=Bounds() if step.summarizes else bounds,
        base=out.base,
        unit=step.unit,
        file=file,
        id_names=id_names,
    )
    try:
        for chunks, rows in masked(operands, mask):
            values, weights = step.rows(chunks)
            sink.add(values, first_row(chunks), weights, rows=rows, ids=row_ids(chunks))
        if mask is not None and sink.count == 0:
            raise NncalcError("the mask keeps no row: nothing to compute", operand="--mask")
        sink.close_file()
        names = header_labels([operands[i] for i in step.labelled])
        summary = step.conclude(sink, output)
    except BaseException:
        sink.abort_file()
        raise
    if summary is None:
        sink.finish(tables=lambda value: step.tables(value, names, Units(out.base, output)))
    else:
        write_summary(summary, output, bounds)


def write_summary(summary: Summary, output: Output, bounds: Bounds) -> None:
    """Write a record result, then gate its checked value."""
    if summary.tables is not None and output.fmt is Format.table:
        from nncalc.output import tables

        tables.render(summary.tables(), output.env)
    else:
        write_record(summary.title, summary.record, output)
    name, value = summary.checked
    bounds.check(name, np.array([value], dtype=np.float64), None)
    bounds.raise_if_failed()


class VectorStep:
    """What a command computes: a vector per row (softmax)."""

    name = ""

    def __init__(self, operands: OperandTexts, labels: str | None, top: int | None) -> None:
        self.operands = operands
        self.labels = labels
        self.top = top

    def rows(self, chunks: Sequence[Chunk]) -> FloatArray:
        raise NotImplementedError

    def tables(
        self, rows: ShownRows, count: int, names: list[str] | None, output: Output
    ) -> list[Table]:
        """Tables of the first rows: (input row, result row) pairs, of ``count`` in all."""
        raise NotImplementedError


def run_vectors(
    step: VectorStep, output: Output, path: str | None = None, table: TableInput | None = None
) -> None:
    """Read, compute and write a per-row vector command (no reduction, no gate).

    ``output`` is :func:`terminal_output`'s. With ``path`` (``-o/--output``)
    the rows go to that file, and nothing to stdout.
    """
    env = output.env
    operands = open_operands(step.operands, env, table=table)
    names = read_labels(step.labels) if step.labels is not None else header_labels(operands)
    id_names = output_ids(table, operands, path)
    batch = operands[0].is_batch
    sink = VectorSink(step.name, output, batch=batch, labels=names, id_names=id_names)
    if path is not None:
        vectors_to_file(step, operands, sink, path)
        return
    shown: ShownRows = []  # the first rows, for a table
    shown_ids: list[tuple[str, ...]] = []
    count = 0
    for chunks in read(operands):
        check_labels(names, chunks[0].values.shape[1])
        values = step.rows(chunks)
        count += len(values)
        ids = row_ids(chunks)
        if output.fmt is Format.table:
            room = TABLE_ROWS - len(shown)
            shown.extend(zip(chunks[0].values[:room], values[:room], strict=True))
            shown_ids.extend(ids[:room] if ids is not None else [])
        elif step.top is not None:
            sink.add_top(values, step.top, ids)
        else:
            sink.add(values, ids)
    if output.fmt is Format.table:
        from nncalc.output import tables

        drawn = step.tables(shown, count, names, output)
        if id_names is not None and count > 1:
            drawn[0] = with_ids(drawn[0], id_names, shown_ids)
        tables.render(drawn, env)
    else:
        sink.finish()


def check_labels(names: list[str] | None, width: int) -> None:
    if names is not None and len(names) != width:
        raise NncalcError(
            f"{plural(len(names), 'label')} for {plural(width, 'class', 'classes')}",
            operand="--labels",
        )


def vectors_to_file(step: VectorStep, operands: list[Operand], sink: VectorSink, path: str) -> None:
    """Write every result row to ``path``; the file is opened once the row width is known."""
    if step.top is not None:
        raise NncalcError("applies to printed output; --output writes whole rows", operand="--top")
    from nncalc.output.files import open_output

    results = result_rows(step, operands, sink.labels)
    first = next(results, None)
    if first is None:
        return
    width, values = first
    columns, shape = sink.column_names(width), leading_shape(operands)
    # Put in place once every row is written; dropped on an error.
    with open_output(
        path, name=step.name, columns=columns, leading_shape=shape, digits=sink.output.digits
    ) as file:
        file.write(values)
        for _, values in results:
            file.write(values)


def result_rows(
    step: VectorStep, operands: list[Operand], labels: list[str] | None
) -> Iterator[tuple[int, FloatArray]]:
    """Each chunk's row width (checked against the labels) and its result rows."""
    for chunks in read(operands):
        width = chunks[0].values.shape[1]
        check_labels(labels, width)
        yield width, step.rows(chunks)


class RecordStep:
    """What a command computes when its result is one record, not rows (embed-params, sgd)."""

    def write(self, output: Output) -> None:
        """Compute the record and write it to ``output``."""
        raise NotImplementedError


def terminal_output(fmt: Format, digits: int | None) -> Output:
    """``--format`` and ``--digits`` for this run's terminal (a record command's output)."""
    return Output(fmt, digits, environment.current())
