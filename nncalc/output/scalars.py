"""Per-row scalar results: reduced as they come (or streamed), checked, written."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from nncalc.core.arrays import FloatArray, IntArray
from nncalc.core.moments import Moments
from nncalc.core.reduce import Accumulator, Reduction, parse_reduction
from nncalc.errors import plural
from nncalc.output.spec import TABLE_ROWS, Base, Bounds, Format, Output, Table
from nncalc.output.text import dumps, format_number, format_rows, json_value, write, write_rows

if TYPE_CHECKING:
    from nncalc.output.files import ResultWriter


class RowSink:
    """What every per-row sink holds: the result's name, the output, whether
    the operands were a batch (the shape of the output) and the --id names."""

    def __init__(
        self, name: str, output: Output, *, batch: bool, id_names: Sequence[str] | None
    ) -> None:
        self.name = name
        self.id_names = id_names  # --id: each row's ids are written first
        self.output = output
        self.batch = batch


class ScalarSink(RowSink):
    """Per-row scalar results: reduced as they come, checked, written.

    Every operand form takes the same path: a literal row is a batch of one
    row, reduced like any other batch (mean by default). ``batch`` decides
    only the shape of the output: False (every operand a literal row) writes
    the result as one value, without the reduction's name or a row count.

    The reduction is :class:`nncalc.core.reduce.Accumulator`'s (exact sums,
    NaN-aware, values kept only for order statistics). A mean divides by the
    number of rows, or, when :meth:`add` is given per-row weights, by their
    sum (PyTorch's weighted cross-entropy). ``file`` (``-o``) takes every
    row's value; stdout then gets the reduced value alone (nothing for
    reduction none).
    """

    def __init__(
        self,
        name: str,
        output: Output,
        *,
        batch: bool,
        reduction: Reduction | str | None,
        bounds: Bounds,
        base: Base = Base.e,
        unit: str | None = None,
        file: ResultWriter | None = None,
        id_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__(name, output, batch=batch, id_names=id_names)
        if not isinstance(reduction, Reduction):
            reduction = parse_reduction(reduction or "mean")
        self.reduction = reduction
        self.reduces = self.reduction.kind != "none"
        self.accumulator = Accumulator(self.reduction) if self.reduces else None
        self.weights: Moments | None = None
        self.bounds = bounds
        self.base = base
        self.unit = unit if unit is not None else base.unit
        self.file = file
        self.file_closed = False
        self.count = 0
        self.last = math.nan
        self.kept: list[tuple[IntArray, FloatArray]] = []  # the first rows, for a table
        self.kept_ids: list[tuple[str, ...]] = []
        self.started = False

    @property
    def shown_reduction(self) -> str | None:
        """The reduction as the output names it (none for a literal's one value)."""
        return self.reduction.name if self.batch else None

    @property
    def streams_rows(self) -> bool:
        return (
            self.batch
            and not self.reduces
            and self.file is None
            and self.output.fmt is not Format.table
        )

    def add(
        self,
        values: FloatArray,
        first_row: int | None,
        weights: FloatArray | None = None,
        *,
        rows: IntArray | None = None,
        ids: Sequence[tuple[str, ...]] | None = None,
    ) -> None:
        """Take one chunk of per-row values (in nats; converted to ``base``).

        ``rows`` are the values' 1-based input rows when they are not
        consecutive from ``first_row`` (a mask dropped some); ``ids`` their
        ``--id`` strings (when the sink has ``id_names``).
        """
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if self.base is not Base.e:
            values = values / self.base.log
        if rows is None:
            start = first_row or 1
            rows = np.arange(start, start + len(values), dtype=np.int64)
        self.count += len(values)
        if weights is not None:
            self.weights = self.weights or Moments(spread=False)
            self.weights.add(np.asarray(weights, dtype=np.float64).reshape(-1))
        if len(values):
            self.last = float(values[-1])
        if self.file is not None:
            self.file.write(values)
        if not self.reduces:
            self.bounds.check(self.name, values, None if first_row is None else rows)
        if self.streams_rows:
            if self.id_names is not None and ids is not None:
                self._write_id_rows(values, ids)
            else:
                self._write_rows(values, rows)
            return
        if self.accumulator is not None:
            self.accumulator.add(values)
        if self.output.fmt is Format.table and sum(len(v) for _, v in self.kept) < TABLE_ROWS:
            self.kept.append((rows[:TABLE_ROWS], values[:TABLE_ROWS]))
            self.kept_ids.extend(ids[:TABLE_ROWS] if ids is not None else [])

    def _write_rows(self, values: FloatArray, rows: IntArray) -> None:
        digits = self.output.digits
        fmt = self.output.fmt
        if fmt is Format.plain:
            write_rows(values[:, None], digits)
        elif fmt is Format.csv:
            if not self.started:
                write(f"row,{self.name}\n")
            if len(rows) and rows[-1] - rows[0] == len(rows) - 1:  # consecutive
                write_rows(values[:, None], digits, first_row=int(rows[0]))
            else:  # a mask dropped rows in between
                write(numbered_lines(values, rows, digits), flush=True)
        else:
            head = self._json_head() + '"values": [' if not self.started else ""
            sep = "" if not self.started or not len(values) else ", "
            body = ", ".join(json_value(v, digits) for v in values.tolist())
            write(head + sep + body, flush=True)
        self.started = True

    def _write_id_rows(self, values: FloatArray, ids: Sequence[tuple[str, ...]]) -> None:
        """Rows with their ids first: ``id,value`` lines, csv with a header, json objects."""
        from nncalc.output import id_rows
        from nncalc.output.safe import csv_row

        assert self.id_names is not None
        digits = self.output.digits
        fmt = self.output.fmt
        text = ""
        if fmt is Format.csv and not self.started:
            text = csv_row([*self.id_names, self.name])
        if fmt is not Format.json:
            write(text + id_rows.csv_rows(ids, values[:, None], digits), flush=True)
        else:
            numbers = id_rows.json_numbers(values, digits)
            objects = id_rows.json_objects(self.id_names, ids, self.name, numbers)
            head = self._json_head() + '"values": [' if not self.started else ""
            sep = "" if not self.started or not len(values) else ", "
            write(head + sep + ", ".join(objects), flush=True)
        self.started = True

    def _json_head(self) -> str:
        return (
            f'{{"quantity": {dumps(self.name)}, "unit": {dumps(self.unit)}, '
            f'"reduction": {dumps(self.shown_reduction)}, '
        )

    def result(self) -> float:
        """The reduced result (with reduction none: the last row's value)."""
        if self.accumulator is None:
            return self.last
        if self.weights is not None and self.reduction.kind == "mean":
            return weighted_mean(self.accumulator.moments, self.weights)
        return self.accumulator.result()

    def close_file(self) -> None:
        """Put the ``-o`` file in place (every row has been added); once."""
        if self.file is not None and not self.file_closed:
            self.file_closed = True
            self.file.close()

    def abort_file(self) -> None:
        """Drop the ``-o`` file after a failure (a file already in place stays)."""
        if self.file is not None:
            self.file.abort()

    def finish(self, tables: Callable[[float], Sequence[Table]] | None = None) -> None:
        """Write the result (or close the row stream), then run the checks.

        ``tables`` builds the command's tables for a single result; batches
        get a per-row table with the reduction.
        """
        self.close_file()
        if not self.reduces and (self.streams_rows or self.file is not None):
            if self.streams_rows and self.output.fmt is Format.json:
                if not self.started:
                    write(self._json_head() + '"values": [')
                write(f'], "rows": {self.count}}}\n', flush=True)
            self.bounds.raise_if_failed()
            return
        value = self.result()
        if self.reduces:
            self.bounds.check(self.name, np.array([value]), None)
        self._write_value(value, tables)
        self.bounds.raise_if_failed()

    def _write_value(self, value: float, tables: Callable[[float], Sequence[Table]] | None) -> None:
        fmt = self.output.fmt
        digits = self.output.digits
        if fmt is Format.table:
            from nncalc.output import tables as draw

            if self.batch:
                shown = self._batch_tables(value)
            else:
                shown = list(tables(value)) if tables else [self._one_value_table(value)]
            draw.render(shown, self.output.env)
        elif fmt is Format.plain:
            write(format_number(value, digits) + "\n", flush=True)
        elif fmt is Format.csv:
            write(f"{self.name}\n{format_number(value, digits)}\n", flush=True)
        else:
            rows = f', "rows": {self.count}' if self.batch else ""
            write(f'{self._json_head()}"value": {json_value(value, digits)}{rows}}}\n', flush=True)

    def _one_value_table(self, value: float) -> Table:
        return Table(
            title=self.name,
            columns=["quantity", "value"],
            rows=[[f"{self.name} ({self.unit})", format_number(value, self.output.table_digits)]],
        )

    def _batch_tables(self, value: float) -> list[Table]:
        digits = self.output.table_digits
        numbers: list[int] = []
        shown: list[float] = []
        for some_rows, values in self.kept:
            numbers += some_rows.tolist()
            shown += values.tolist()
        rows = [
            [str(row), format_number(v, digits)]
            for row, v in zip(numbers[:TABLE_ROWS], shown[:TABLE_ROWS], strict=True)
        ]
        caption = None
        if self.count > len(rows):
            caption = f"first {len(rows)} of {plural(self.count, 'row')}"
        table = Table(
            title=f"{self.name} per row ({self.unit})",
            columns=["row", self.name],
            rows=rows,
            caption=caption,
        )
        if self.id_names is not None and self.kept_ids:
            from nncalc.output.id_rows import with_ids

            table = with_ids(table, self.id_names, self.kept_ids)
        if not self.reduces:
            return [table]
        reduction = self.reduction.name
        summary = Table(
            title=f"{reduction} over {plural(self.count, 'row')}",
            columns=["quantity", "value"],
            rows=[[f"{reduction} {self.name} ({self.unit})", format_number(value, digits)]],
        )
        return [table, summary]


def numbered_lines(values: FloatArray, rows: IntArray, digits: int | None) -> str:
    """``row,value`` lines for values of the given (not consecutive) rows."""
    lines = format_rows(values[:, None], digits).splitlines()
    return "".join(f"{row},{line}\n" for row, line in zip(rows.tolist(), lines, strict=True))


def weighted_mean(values: Moments, weights: Moments) -> float:
    """sum(values) / sum(weights), from the exact sums, rounded once (NaN for no weight)."""
    total = weights.sum()
    if total == 0 or math.isnan(total):
        return math.nan
    if values.finite_count != values.count or weights.finite_count != weights.count:
        return values.sum() / total
    try:
        return values.total.scaled / weights.total.scaled
    except OverflowError:
        return math.copysign(math.inf, values.total.scaled * weights.total.scaled)
