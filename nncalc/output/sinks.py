"""Sinks every command writes through: per-row scalars, per-row vectors, named records."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.output.safe import for_record_name, for_record_value
from nncalc.output.spec import TABLE_ROWS, Base, Bounds, Format, Output, Reduction, Table
from nncalc.output.text import csv_lines, dumps, format_number, json_value, write, write_rows

Value = int | float | str | bool | None


class ScalarSink:
    """Per-row scalar results: reduced as they come, checked, written.

    Every operand form takes the same path: a literal row is a batch of one
    row, reduced like any other batch (mean by default). ``batch`` decides
    only the shape of the output: False (every operand a literal row) writes
    the result as one value, without the reduction's name or a row count.

    A mean divides by the number of rows, or, when :meth:`add` is given
    per-row weights, by their sum (PyTorch's weighted cross-entropy).
    """

    def __init__(
        self,
        name: str,
        output: Output,
        *,
        batch: bool,
        reduction: Reduction | None,
        bounds: Bounds,
        base: Base = Base.e,
        unit: str | None = None,
    ) -> None:
        self.name = name
        self.output = output
        self.batch = batch
        self.reduction = reduction or Reduction.mean
        self.bounds = bounds
        self.base = base
        self.unit = unit if unit is not None else base.unit
        self.count = 0
        self.partial_sums: list[float] = []
        self.weight_sums: list[float] | None = None
        self.maximum = -math.inf
        self.last = math.nan
        self.kept: list[FloatArray] = []
        self.started = False

    @property
    def shown_reduction(self) -> Reduction | None:
        """The reduction as the output names it (none for a literal's one value)."""
        return self.reduction if self.batch else None

    @property
    def streams_rows(self) -> bool:
        return (
            self.batch and self.reduction is Reduction.none and self.output.fmt is not Format.table
        )

    def add(
        self, values: FloatArray, first_row: int | None, weights: FloatArray | None = None
    ) -> None:
        """Take one chunk of per-row values (in nats; converted to ``base``)."""
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if self.base is not Base.e:
            values = values / self.base.log
        self.count += len(values)
        if weights is not None:
            self.weight_sums = (self.weight_sums or []) + [math.fsum(weights.tolist())]
        if self.reduction is Reduction.none:
            self.bounds.check(self.name, values, first_row)
        if self.streams_rows:
            self._write_rows(values, first_row or 1)
            return
        self.partial_sums.append(math.fsum(values.tolist()))
        if len(values):
            self.last = float(values[-1])
            top = float(np.max(values))
            # A NaN row makes the maximum NaN and keeps it so, as torch.max does.
            if not math.isnan(self.maximum) and (math.isnan(top) or top > self.maximum):
                self.maximum = top
        if self.output.fmt is Format.table and sum(len(k) for k in self.kept) < TABLE_ROWS:
            self.kept.append(values[:TABLE_ROWS])

    def _write_rows(self, values: FloatArray, first_row: int) -> None:
        digits = self.output.digits
        fmt = self.output.fmt
        if fmt is Format.plain:
            write_rows(values[:, None], digits)
        elif fmt is Format.csv:
            if not self.started:
                write(f"row,{self.name}\n")
            write_rows(values[:, None], digits, first_row=first_row)
        else:
            head = self._json_head() + '"values": [' if not self.started else ""
            sep = "" if not self.started else ", "
            body = ", ".join(json_value(v, digits) for v in values.tolist())
            write(head + sep + body, flush=True)
        self.started = True

    def _json_head(self) -> str:
        shown = self.shown_reduction
        return (
            f'{{"quantity": {dumps(self.name)}, "unit": {dumps(self.unit)}, '
            f'"reduction": {dumps(shown.value if shown else None)}, '
        )

    def result(self) -> float:
        """The reduced result (with reduction none: the last row's value)."""
        if self.reduction is Reduction.none:
            return self.last
        if self.reduction is Reduction.sum:
            return math.fsum(self.partial_sums)
        if self.reduction is Reduction.max:
            return self.maximum
        if self.weight_sums is not None:
            total = math.fsum(self.weight_sums)
            return math.fsum(self.partial_sums) / total if total else math.nan
        return math.fsum(self.partial_sums) / self.count

    def finish(self, tables: Callable[[float], Sequence[Table]] | None = None) -> None:
        """Write the result (or close the row stream), then run the checks.

        ``tables`` builds the command's tables for a single result; batches
        get a per-row table with the reduction.
        """
        if self.streams_rows:
            if self.output.fmt is Format.json:
                if not self.started:
                    write(self._json_head() + '"values": [')
                write(f'], "rows": {self.count}}}\n', flush=True)
            self.bounds.raise_if_failed()
            return
        value = self.result()
        if self.reduction is not Reduction.none:
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
        shown = np.concatenate(self.kept)[:TABLE_ROWS] if self.kept else np.zeros(0)
        rows = [[str(i + 1), format_number(v, digits)] for i, v in enumerate(shown.tolist())]
        caption = None
        if self.count > len(rows):
            caption = f"first {len(rows)} of {self.count} rows"
        table = Table(
            title=f"{self.name} per row ({self.unit})",
            columns=["row", self.name],
            rows=rows,
            caption=caption,
        )
        if self.reduction is Reduction.none:
            return [table]
        reduction = self.reduction.value
        summary = Table(
            title=f"{reduction} over {self.count} rows",
            columns=["quantity", "value"],
            rows=[[f"{reduction} {self.name} ({self.unit})", format_number(value, digits)]],
        )
        return [table, summary]


class VectorSink:
    """Per-row vector results (softmax): one line per row, or a JSON array.

    ``batch`` decides only the shape: a literal row is one JSON array, a
    batch an array of them.
    """

    def __init__(self, name: str, output: Output, *, batch: bool, labels: list[str] | None) -> None:
        self.name = name
        self.output = output
        self.batch = batch
        self.labels = labels
        self.started = False
        self.count = 0

    def column_names(self, width: int) -> list[str]:
        if self.labels is not None and len(self.labels) == width:
            return self.labels
        return [f"{self.name[0]}{i}" for i in range(width)]

    def add(self, values: FloatArray) -> None:
        fmt = self.output.fmt
        digits = self.output.digits
        if fmt is Format.plain:
            write_rows(values, digits)
        elif fmt is Format.csv:
            if not self.started:
                write(csv_lines([self.column_names(values.shape[1])]))
            write_rows(values, digits)
        elif fmt is Format.json:
            rows = [
                "[" + ", ".join(json_value(v, digits) for v in row) + "]" for row in values.tolist()
            ]
            if not self.batch:
                write(self._json_head(values.shape[1]) + rows[0])
            else:
                head = self._json_head(values.shape[1]) + "[" if not self.started else ", "
                write(head + ", ".join(rows), flush=True)
        self.count += len(values)
        self.started = True

    def _json_head(self, width: int) -> str:
        labels = dumps(self.column_names(width)) if self.labels else "null"
        return f'{{"labels": {labels}, "{self.name}": '

    def add_top(self, values: FloatArray, k: int) -> None:
        """The ``k`` largest entries of each row, sorted, with their classes."""
        k = min(k, values.shape[1])
        order = np.argsort(-values, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(values, order, axis=1).tolist()
        fmt = self.output.fmt
        if fmt is Format.json:
            head = f'{{"top": {k}, "{self.name}": ' + ("[" if self.batch else "")
            lines = [
                self._top_json(indices, row)
                for indices, row in zip(order.tolist(), top, strict=True)
            ]
            write((", " if self.started else head) + ", ".join(lines), flush=True)
        elif fmt is Format.csv:
            cells = [] if self.started else [["row", "rank", "class", "index", "value"]]
            for offset, (indices, row) in enumerate(zip(order.tolist(), top, strict=True)):
                cells += [
                    [str(self.count + offset + 1), str(rank), self._class(i), str(i), self._text(v)]
                    for rank, (i, v) in enumerate(zip(indices, row, strict=True), start=1)
                ]
            write(csv_lines(cells), flush=True)
        else:
            lines = [
                ",".join(
                    f"{for_record_value(self._class(i))}:{self._text(v)}"
                    for i, v in zip(indices, row, strict=True)
                )
                for indices, row in zip(order.tolist(), top, strict=True)
            ]
            write("".join(line + "\n" for line in lines), flush=True)
        self.count += len(values)
        self.started = True

    def _class(self, index: int) -> str:
        return self.labels[index] if self.labels else str(index)

    def _text(self, value: float) -> str:
        return format_number(value, self.output.digits)

    def _top_json(self, indices: list[int], row: list[float]) -> str:
        digits = self.output.digits
        items = [
            f'{{"class": {dumps(self._class(i))}, "index": {i}, "value": {json_value(v, digits)}}}'
            for i, v in zip(indices, row, strict=True)
        ]
        return "[" + ", ".join(items) + "]"

    def finish(self) -> None:
        if self.output.fmt is Format.json:
            close = "]" if self.batch else ""
            rows = f', "rows": {self.count}' if self.batch else ""
            write(f"{close}{rows}}}\n", flush=True)


def record_text(value: Value, digits: int | None) -> str:
    """A record's value in plain text and CSV: numbers as everywhere, booleans as words."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float):
        return format_number(value, digits)
    return str(value)


def table_cell(value: Value, digits: int) -> str:
    """A record's value in a table: counts with thousands separators."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, float):
        return format_number(value, digits)
    return record_text(value, digits)


def write_record(title: str, record: dict[str, Value], output: Output) -> None:
    """Named values: ``name=value`` lines, a CSV header + row, a JSON object, or a table."""
    fmt = output.fmt
    digits = output.digits
    if fmt is Format.plain:
        lines = [
            f"{for_record_name(name)}={for_record_value(record_text(value, digits))}\n"
            for name, value in record.items()
        ]
        write("".join(lines), flush=True)
    elif fmt is Format.csv:
        values = [record_text(value, digits) for value in record.values()]
        write(csv_lines([list(record), values]), flush=True)
    elif fmt is Format.json:
        body = ", ".join(
            f"{dumps(name)}: {json_value(value, digits)}" for name, value in record.items()
        )
        write("{" + body + "}\n", flush=True)
    else:
        from nncalc.output import tables as draw

        rows = [[name, _record_cell(value, output.table_digits)] for name, value in record.items()]
        draw.render([Table(title=title, columns=["quantity", "value"], rows=rows)], output.env)


def _record_cell(value: Value, digits: int) -> str:
    # A record's booleans read as in plain text (true/false), unlike a listing's.
    return record_text(value, digits) if isinstance(value, bool) else table_cell(value, digits)


def write_listing(
    title: str,
    rows: Sequence[Mapping[str, Value]],
    output: Output,
    *,
    key: str,
    name: str,
    wide: Sequence[str] = (),
) -> None:
    """Rows of named values (a JSON array under ``key``).

    Plain text lists the ``name`` column alone (one per line, for a pipe);
    csv and json have every column; a table leaves out the ``wide`` ones,
    which would not fit a terminal.
    """
    columns = list(rows[0])
    if output.fmt is Format.plain:
        write("".join(f"{for_record_value(str(row[name]))}\n" for row in rows), flush=True)
    elif output.fmt is Format.csv:
        cells = [[record_text(value, None) for value in row.values()] for row in rows]
        write(csv_lines([columns, *cells]), flush=True)
    elif output.fmt is Format.json:
        items = [
            "{" + ", ".join(f"{dumps(column)}: {json_value(v)}" for column, v in row.items()) + "}"
            for row in rows
        ]
        write(f"{{{dumps(key)}: [" + ", ".join(items) + "]}\n", flush=True)
    else:
        from nncalc.output import tables as draw

        shown = [column for column in columns if column not in wide]
        body = [[table_cell(row[column], output.table_digits) for column in shown] for row in rows]
        draw.render([Table(title=title, columns=shown, rows=body)], output.env)
