"""Sinks every command writes through: per-row scalars, per-row vectors, named records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.output.safe import for_record_name, for_record_value
from nncalc.output.scalars import RowSink, ScalarSink
from nncalc.output.spec import Format, Output, Table
from nncalc.output.text import csv_lines, dumps, format_number, json_value, write, write_rows

__all__ = ["ScalarSink", "Value", "VectorSink", "write_listing", "write_record"]

Value = int | float | str | bool | None


class VectorSink(RowSink):
    """Per-row vector results (softmax): one line per row, or a JSON array.

    ``batch`` decides only the shape: a literal row is one JSON array, a
    batch an array of them.
    """

    def __init__(
        self,
        name: str,
        output: Output,
        *,
        batch: bool,
        labels: list[str] | None,
        id_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__(name, output, batch=batch, id_names=id_names)
        self.labels = labels
        self.started = False
        self.count = 0

    def column_names(self, width: int) -> list[str]:
        if self.labels is not None and len(self.labels) == width:
            return self.labels
        return [f"{self.name[0]}{i}" for i in range(width)]

    def add(self, values: FloatArray, ids: Sequence[tuple[str, ...]] | None = None) -> None:
        fmt = self.output.fmt
        digits = self.output.digits
        if self.id_names is not None and ids is not None:
            self._add_with_ids(values, ids)
        elif fmt is Format.plain:
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

    def _add_with_ids(self, values: FloatArray, ids: Sequence[tuple[str, ...]]) -> None:
        from nncalc.output import id_rows

        assert self.id_names is not None
        digits = self.output.digits
        if self.output.fmt is Format.json:
            vectors = id_rows.json_vectors(values, digits)
            objects = id_rows.json_objects(self.id_names, ids, self.name, vectors)
            head = self._json_head(values.shape[1]) + "[" if not self.started else ", "
            write(head + ", ".join(objects), flush=True)
            return
        text = ""
        if self.output.fmt is Format.csv and not self.started:
            text = csv_lines([[*self.id_names, *self.column_names(values.shape[1])]])
        write(text + id_rows.csv_rows(ids, values, digits), flush=True)

    def _json_head(self, width: int) -> str:
        labels = dumps(self.column_names(width)) if self.labels else "null"
        return f'{{"labels": {labels}, "{self.name}": '

    def add_top(
        self, values: FloatArray, k: int, ids: Sequence[tuple[str, ...]] | None = None
    ) -> None:
        """The ``k`` largest entries of each row, sorted, with their classes (and ids first)."""
        k = min(k, values.shape[1])
        order = np.argsort(-values, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(values, order, axis=1).tolist()
        fmt = self.output.fmt
        names = list(self.id_names or []) if ids is not None else []
        row_ids = list(ids) if ids is not None else [()] * len(values)
        if fmt is Format.json:
            head = f'{{"top": {k}, "{self.name}": ' + ("[" if self.batch else "")
            lines = [
                self._top_json(indices, row)
                for indices, row in zip(order.tolist(), top, strict=True)
            ]
            if names:
                from nncalc.output.id_rows import json_objects

                lines = json_objects(names, row_ids, "top", lines)
            write((", " if self.started else head) + ", ".join(lines), flush=True)
        elif fmt is Format.csv:
            cells = [] if self.started else [["row", *names, "rank", "class", "index", "value"]]
            for offset, (indices, row) in enumerate(zip(order.tolist(), top, strict=True)):
                number, these = str(self.count + offset + 1), list(row_ids[offset])
                cells += [
                    [number, *these, str(rank), self._class(i), str(i), self._text(v)]
                    for rank, (i, v) in enumerate(zip(indices, row, strict=True), start=1)
                ]
            write(csv_lines(cells), flush=True)
        else:
            lines = [
                (csv_lines([these])[:-1] + "," if names else "")
                + ",".join(
                    f"{for_record_value(self._class(i))}:{self._text(v)}"
                    for i, v in zip(indices, row, strict=True)
                )
                for indices, row, these in zip(order.tolist(), top, row_ids, strict=True)
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
