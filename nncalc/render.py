"""Results -> text: plain, csv, json and (through :mod:`nncalc.tables`) tables.

Every command writes through the sinks here: :class:`ScalarSink` for per-row
scalars (reductions and ``--max``/``--min`` checks included),
:class:`VectorSink` for per-row vectors and :func:`write_record` for named
values. Batches are written a chunk at a time and flushed, so output appears
while input is still arriving.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from enum import Enum
from typing import Any, TextIO

import numpy as np

from nncalc.errors import CheckFailed
from nncalc.probability import FloatArray

TABLE_DIGITS = 4
# Importing polars costs about as much as formatting 150k numbers with repr:
# worth it once an output reaches that size (a full chunk of ten columns does).
POLARS_AFTER = 150_000
# From this many numbers, repr's text is made by NumPy (nncalc.shortest).
SHORTEST_FROM = 1024
TABLE_ROWS = 50


# Plain classes rather than dataclasses: every start-up defines them, and
# generating dataclass methods costs a good part of a millisecond each.


class Bar:
    """A horizontal bar for a fraction in [0, 1] (drawn in table cells)."""

    def __init__(self, fraction: float) -> None:
        self.fraction = fraction


class Table:
    """A table for people: formatted cells; drawn by :mod:`nncalc.tables`."""

    def __init__(
        self,
        title: str,
        columns: list[str],
        rows: Sequence[Sequence[str | Bar]],
        caption: str | None = None,
    ) -> None:
        self.title = title
        self.columns = columns
        self.rows = rows
        self.caption = caption


class Format(str, Enum):
    auto = "auto"
    table = "table"
    plain = "plain"
    csv = "csv"
    json = "json"


class Reduction(str, Enum):
    mean = "mean"
    sum = "sum"
    max = "max"
    none = "none"


class Base(str, Enum):
    e = "e"
    two = "2"
    ten = "10"

    @property
    def unit(self) -> str:
        return {"e": "nats", "2": "bits", "10": "dits"}[self.value]

    @property
    def log(self) -> float:
        return {"e": 1.0, "2": math.log(2.0), "10": math.log(10.0)}[self.value]


class PipeClosed(Exception):
    """The reader of stdout went away (``| head -1``)."""


def stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def resolve_format(fmt: Format) -> Format:
    if fmt is Format.auto:
        return Format.table if stdout_is_terminal() else Format.plain
    return fmt


def write(text: str, *, flush: bool = False) -> None:
    """Write to stdout; a closed pipe becomes :class:`PipeClosed`."""
    rows_written()
    try:
        sys.stdout.write(text)
        if flush:
            sys.stdout.flush()
    except BrokenPipeError:
        raise PipeClosed from None


def write_bytes(data: bytes | bytearray | memoryview, stream: TextIO | None = None) -> None:
    """Write encoded text to ``stream`` (stdout) after any text written before, and flush."""
    stream = sys.stdout if stream is None else stream
    try:
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            stream.write(bytes(data).decode())
            stream.flush()
        else:
            buffer.write(data)
            buffer.flush()
    except BrokenPipeError:
        raise PipeClosed from None


# Large chunks of rows are formatted and written on a second thread (polars
# releases the GIL), while the next chunk is read and computed.
_background: Any = None
_numbers_written = 0  # by the command running: polars pays off for large outputs


def rows_written() -> None:
    """Wait until rows handed to the second thread are written (before other output)."""
    if _background is not None:
        _background.drain()


@contextmanager
def all_rows_written() -> Iterator[None]:
    """Run a command; the rows it handed to the second thread are out when it ends.

    When the command fails, its earlier rows are still written (as they would
    have been without the thread) and the command's own error is reported.
    """
    global _numbers_written
    _numbers_written = 0
    try:
        yield
    except BaseException:
        with suppress(Exception):  # a closed pipe: the command's error says more
            rows_written()
        raise
    rows_written()


def dumps(value: object) -> str:
    """``json.dumps``, with json imported on first use (start-up: JSON output is rare)."""
    import json

    return json.dumps(value)


def format_number(value: float, digits: int | None = None) -> str:
    """Shortest round-trip text (``repr``), or ``digits`` significant digits."""
    value = float(value)
    if digits is None or not math.isfinite(value):
        return repr(value)
    return f"{value:.{digits}g}"


def format_count(value: int) -> str:
    return str(int(value))


def json_value(value: float | int | str | bool | None, digits: int | None = None) -> str:
    """A JSON token; non-finite floats become the strings "inf", "-inf", "nan"."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return dumps(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    number = float(value)
    if not math.isfinite(number):
        return dumps(repr(number))
    return format_number(number, digits)


def format_rows(values: FloatArray, digits: int | None, first_row: int | None = None) -> str:
    """Rows of numbers as comma-separated lines (``first_row``: numbered rows).

    One format string for the whole chunk, applied by C code: ``repr`` (the
    shortest text that parses back to the same float64) or ``digits``
    significant digits.
    """
    if values.size == 0:
        return ""
    if digits is None and first_row is None and values.size >= SHORTEST_FROM:
        from nncalc import shortest  # the same text as repr, vectorised

        if shortest.USABLE:
            return shortest.rows_text(values)
    spec = "%r" if digits is None else f"%.{digits}g"
    line = ",".join([spec] * values.shape[1]) + "\n"
    if first_row is not None:
        line = "%d," + line
        numbers = np.arange(first_row, first_row + len(values), dtype=np.float64)
        values = np.column_stack([numbers, values])
    text: str = (line * values.shape[0]) % tuple(values.ravel().tolist())
    return text


def write_rows(values: FloatArray, digits: int | None, *, first_row: int | None = None) -> None:
    """Write rows of numbers (numbered from ``first_row`` if given) and flush.

    Large outputs are formatted and written on a second thread while the next
    chunk is read: by polars when it is installed (and NNCALC_NO_POLARS is
    not set), else by :mod:`nncalc.shortest`; the text is repr's either way.
    See :mod:`nncalc.fastcsv`.
    """
    global _background, _numbers_written
    _numbers_written += values.size
    if digits is not None or _numbers_written < POLARS_AFTER:
        write(format_rows(values, digits, first_row), flush=True)
        return
    from nncalc import fastcsv

    use_polars = fastcsv.available()
    if _background is None:
        _background = fastcsv.Background()
    stream = sys.stdout

    def job() -> None:
        # polars is imported here, on the second thread, the first time.
        polars = fastcsv.polars_module() if use_polars else None
        if polars is None:  # NumPy formatting, which also runs mostly without the GIL
            write_bytes(format_rows(values, None, first_row).encode(), stream)
        else:
            write_bytes(fastcsv.polars_rows(polars, values, first_row), stream)

    _background.submit(job)


class Output:
    """The output options every command takes."""

    def __init__(self, fmt: Format = Format.auto, digits: int | None = None) -> None:
        self.fmt = resolve_format(fmt)
        self.digits = digits

    @property
    def table_digits(self) -> int:
        return self.digits if self.digits is not None else TABLE_DIGITS


class Bounds:
    """``--max``/``--min`` checks on a scalar result."""

    def __init__(self, maximum: float | None = None, minimum: float | None = None) -> None:
        self.maximum = maximum
        self.minimum = minimum
        self.violations: list[str] = []
        self.count = 0

    def check(self, name: str, values: FloatArray, first_row: int | None) -> None:
        if self.maximum is None and self.minimum is None:
            return
        over = values > self.maximum if self.maximum is not None else np.zeros(len(values), bool)
        under = values < self.minimum if self.minimum is not None else np.zeros(len(values), bool)
        # NaN fails every bound: it is neither below --max nor above --min.
        nan = np.isnan(values)
        for index in np.flatnonzero(over | under | nan):
            self.count += 1
            if len(self.violations) >= 10:
                continue
            row = "" if first_row is None else f"row {first_row + int(index)}: "
            value = format_number(values[index])
            if under[index]:
                bound = f"is below --min {format_number(self.minimum or 0.0)}"
            else:
                bound = f"exceeds --max {format_number(self.maximum or 0.0)}"
            self.violations.append(f"check failed: {row}{name} = {value} {bound}")

    def raise_if_failed(self) -> None:
        if self.count:
            lines = list(self.violations)
            if self.count > len(lines):
                lines.append(f"check failed: {self.count - len(lines)} more rows out of bounds")
            raise CheckFailed(lines)


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
            from nncalc import tables as draw

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
        from nncalc import tables as draw

        def cell(value: int | float | str | bool | None) -> str:
            if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                return f"{int(value):,}"
            if isinstance(value, float):
                return format_number(value, output.table_digits)
            return text(value)

        rows = [[name, cell(value)] for name, value in record.items()]
        draw.render([Table(title=title, columns=["quantity", "value"], rows=rows)])
