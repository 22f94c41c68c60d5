"""Sinks every command writes through: per-row scalars, per-row vectors, named records."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.output.spec import TABLE_ROWS, Base, Bounds, Format, Output, Reduction, Table
from nncalc.output.text import dumps, format_number, json_value, write, write_rows


class ScalarSink:
    """Per-row scalar results: streamed, reduced, checked, rendered.

    ``batch`` is False when every operand was a literal row: the result is
    then that row's value and reductions do not apply.
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
        self.reduction = (reduction or Reduction.mean) if batch else None
        self.bounds = bounds
        self.base = base
        self.unit = unit if unit is not None else base.unit
        self.count = 0
        self.partial_sums: list[float] = []
        self.maximum = -math.inf
        self.kept: list[FloatArray] = []
        self.started = False
        self.single: float | None = None

    @property
    def streams_rows(self) -> bool:
        return self.reduction is Reduction.none and self.output.fmt is not Format.table

    def add(self, values: FloatArray, first_row: int | None) -> None:
        """Take one chunk of per-row values (in nats; converted to ``base``)."""
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if self.base is not Base.e:
            values = values / self.base.log
        if not self.batch:
            self.single = float(values[0])
            self.count = 1
            return
        self.count += len(values)
        if self.reduction is Reduction.none:
            self.bounds.check(self.name, values, first_row)
        if self.streams_rows:
            self._write_rows(values, first_row or 1)
            return
        finite_sum = math.fsum(values.tolist())
        self.partial_sums.append(finite_sum)
        if len(values):
            self.maximum = max(self.maximum, float(np.max(values)))
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
        return (
            f'{{"quantity": {dumps(self.name)}, "unit": {dumps(self.unit)}, '
            f'"reduction": {dumps(self.reduction.value if self.reduction else None)}, '
        )

    def result(self) -> float:
        """The single or reduced result."""
        if self.single is not None:
            return self.single
        if self.reduction is Reduction.sum:
            return math.fsum(self.partial_sums)
        if self.reduction is Reduction.max:
            return self.maximum
        return math.fsum(self.partial_sums) / self.count

    def finish(self, tables: Callable[[float], Sequence[Table]] | None = None) -> None:
        """Write the result (or close the row stream), then run the checks.

        ``tables`` builds the command's tables for a single result; batches
        get a per-row table with the reduction.
        """
        fmt = self.output.fmt
        digits = self.output.digits
        if self.streams_rows:
            if fmt is Format.json:
                if not self.started:
                    write(self._json_head() + '"values": [')
                write(f'], "rows": {self.count}}}\n', flush=True)
            self.bounds.raise_if_failed()
            return
        value = self.result() if self.reduction is not Reduction.none else math.nan
        if self.reduction is not Reduction.none:
            self.bounds.check(self.name, np.array([value]), None)
        if fmt is Format.table:
            from nncalc.output import tables as draw

            if self.batch:
                draw.render(self._batch_table(value))
            else:
                draw.render(list(tables(value)) if tables else [self._one_value_table(value)])
        elif fmt is Format.plain:
            write(format_number(value, digits) + "\n", flush=True)
        elif fmt is Format.csv:
            write(f"{self.name}\n{format_number(value, digits)}\n", flush=True)
        else:
            rows = f', "rows": {self.count}' if self.batch else ""
            write(f'{self._json_head()}"value": {json_value(value, digits)}{rows}}}\n', flush=True)
        self.bounds.raise_if_failed()

    def _one_value_table(self, value: float) -> Table:
        return Table(
            title=self.name,
            columns=["quantity", "value"],
            rows=[[f"{self.name} ({self.unit})", format_number(value, self.output.table_digits)]],
        )

    def _batch_table(self, value: float) -> list[Table]:
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
        summary = Table(
            title=f"{self.reduction.value if self.reduction else ''} over {self.count} rows",
            columns=["quantity", "value"],
            rows=[
                [
                    f"{self.reduction.value if self.reduction else ''} {self.name} ({self.unit})",
                    format_number(value, digits),
                ]
            ],
        )
        return [table, summary]


class VectorSink:
    """Per-row vector results (softmax): one line per row, or a JSON array."""

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
                write(",".join(self.column_names(values.shape[1])) + "\n")
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
        top = np.take_along_axis(values, order, axis=1)
        names = self.labels if self.labels is not None else None
        digits = self.output.digits
        fmt = self.output.fmt
        lines = []
        for offset, (indices, row) in enumerate(zip(order.tolist(), top.tolist(), strict=True)):
            classes = [names[i] if names else str(i) for i in indices]
            if fmt is Format.plain:
                lines.append(
                    ",".join(
                        f"{c}:{format_number(v, digits)}" for c, v in zip(classes, row, strict=True)
                    )
                )
            elif fmt is Format.csv:
                number = self.count + offset + 1
                lines.extend(
                    f"{number},{rank},{c},{i},{format_number(v, digits)}"
                    for rank, (c, i, v) in enumerate(
                        zip(classes, indices, row, strict=True), start=1
                    )
                )
            else:
                lines.append(
                    "["
                    + ", ".join(
                        f'{{"class": {dumps(c)}, "index": {i}, "value": {json_value(v, digits)}}}'
                        for c, i, v in zip(classes, indices, row, strict=True)
                    )
                    + "]"
                )
        if fmt is Format.json:
            head = (
                (f'{{"top": {k}, "{self.name}": ' + ("[" if self.batch else ""))
                if not self.started
                else ", "
            )
            write(head + ", ".join(lines), flush=True)
        else:
            head = "row,rank,class,index,value\n" if fmt is Format.csv and not self.started else ""
            write(head + "".join(line + "\n" for line in lines), flush=True)
        self.count += len(values)
        self.started = True

    def finish(self) -> None:
        if self.output.fmt is Format.json:
            close = "]" if self.batch else ""
            rows = f', "rows": {self.count}' if self.batch else ""
            write(f"{close}{rows}}}\n", flush=True)


def write_record(
    title: str, record: dict[str, int | float | str | bool | None], output: Output
) -> None:
    """Named values: ``name=value`` lines, a CSV header + row, a JSON object, or a table."""
    fmt = output.fmt
    digits = output.digits

    def text(value: int | float | str | bool | None) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return ""
        if isinstance(value, float):
            return format_number(value, digits)
        return str(value)

    if fmt is Format.plain:
        write("".join(f"{name}={text(value)}\n" for name, value in record.items()), flush=True)
    elif fmt is Format.csv:
        write(
            ",".join(record) + "\n" + ",".join(text(v) for v in record.values()) + "\n", flush=True
        )
    elif fmt is Format.json:
        body = ", ".join(
            f"{dumps(name)}: {json_value(value, digits)}" for name, value in record.items()
        )
        write("{" + body + "}\n", flush=True)
    else:
        from nncalc.output import tables as draw

        def cell(value: int | float | str | bool | None) -> str:
            if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                return f"{int(value):,}"
            if isinstance(value, float):
                return format_number(value, output.table_digits)
            return text(value)

        rows = [[name, cell(value)] for name, value in record.items()]
        draw.render([Table(title=title, columns=["quantity", "value"], rows=rows)])
