"""Numbers -> text on stdout: shortest round-trip forms, JSON values, chunked row writing."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TextIO

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.core.parallel import threads

# Importing polars costs about as much as formatting 150k numbers with repr:
# worth it once an output reaches that size (a full chunk of ten columns does).
POLARS_AFTER = 150_000

# From this many numbers, repr's text is made by NumPy (nncalc.output.shortest).
SHORTEST_FROM = 1024


class PipeClosed(Exception):
    """The reader of stdout went away (``| head -1``)."""


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


# Large chunks of rows are formatted on two writer threads (polars and NumPy
# release the GIL) and written in order, while the next chunk is read and computed.
_background: Any = None


_numbers_written = 0  # by the command running: polars pays off for large outputs


def rows_written() -> None:
    """Wait until rows handed to the writer threads are written (before other output)."""
    if _background is not None:
        _background.drain()


@contextmanager
def all_rows_written() -> Iterator[None]:
    """Run a command; the rows it handed to the writer threads are out when it ends.

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


def csv_lines(rows: Iterable[Sequence[str]]) -> str:
    """Rows of cells as CSV text, quoted by the ``csv`` module where a cell needs it.

    For cells that hold text from data (labels, header names, config
    strings): control characters are shown as visible escapes, so each row
    is one line; rows of numbers are written directly (:func:`format_rows`).
    """
    from nncalc.output.safe import csv_row

    return "".join(csv_row(row) for row in rows)


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


# Numbers a worker process formats at a time (about 15 ms of work).
FORMAT_TASK = 1 << 15
# Rows wider than this are formatted a task's numbers at a time on the calling
# thread: a task is a whole row, and formatting takes ~200 bytes a number
# (a row of 1,000,000 numbers took 377 MB at once). LLM vocabularies fit under it.
WIDE_ROWS = 1 << 18


def format_rows(values: FloatArray, digits: int | None, first_row: int | None = None) -> str:
    """Rows of numbers as comma-separated lines (``first_row``: numbered rows).

    One format string for the whole chunk, applied by C code: ``repr`` (the
    shortest text that parses back to the same float64) or ``digits``
    significant digits.
    """
    if values.size == 0:
        return ""
    if digits is None and first_row is None and values.size >= SHORTEST_FROM:
        from nncalc.output import shortest

        if shortest.USABLE and values.shape[1] > WIDE_ROWS:  # bounded memory, on this thread
            flat = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
            width, step = values.shape[1], FORMAT_TASK
            pieces = range(0, flat.size, step)
            return "".join(shortest.numbers_text(flat[at : at + step], width, at) for at in pieces)
        if shortest.USABLE:  # on worker processes too, where the command line allows
            from nncalc.core.processes import map_kernel

            return "".join(map_kernel(shortest.rows_text, [values], task_values=FORMAT_TASK))
    spec = "%r" if digits is None else f"%.{digits}g"
    line = ",".join([spec] * values.shape[1]) + "\n"
    if first_row is not None:
        line = "%d," + line
        numbers = np.arange(first_row, first_row + len(values), dtype=np.float64)
        values = np.column_stack([numbers, values])
    text: str = (line * values.shape[0]) % tuple(values.ravel().tolist())
    return text


def numpy_first(values: FloatArray, first_row: int | None = None) -> bool:
    """Whether NumPy formats these rows faster than polars: rows mostly below 1e-4
    (a softmax over a large vocabulary), where the formatting runs on the worker
    processes (200 x 32,000 softmax rows: 2.05 s against 2.96 s with polars).
    """
    from nncalc.core.processes import wanted
    from nncalc.output import fastcsv

    if not wanted(values.size, 2 * FORMAT_TASK) or values.shape[-1] > WIDE_ROWS:
        return False  # not on the workers: polars is faster
    if len(values) < 2 * max(1, FORMAT_TASK // max(1, values.shape[-1])):
        return False  # a single task: it would run on this thread alone
    sample = values[: max(1, 4096 // max(1, values.shape[-1]))]  # a few thousand numbers do
    return fastcsv.mostly_tiny(sample, first_row)


def write_rows(values: FloatArray, digits: int | None, *, first_row: int | None = None) -> None:
    """Write rows of numbers (numbered from ``first_row`` if given) and flush.

    Large outputs are formatted and written on two threads while the next
    chunk is read: by polars when it is installed (and NNCALC_NO_POLARS is
    not set), else by ``repr``'s format; the text is repr's either way.
    See :mod:`nncalc.fastcsv`.
    """
    global _background, _numbers_written
    _numbers_written += values.size
    if digits is not None or _numbers_written < POLARS_AFTER:
        write(format_rows(values, digits, first_row), flush=True)
        return
    from nncalc.output import fastcsv

    use_polars = fastcsv.available()
    if _background is None:
        # Two threads format chunks side by side when two cores are free for it.
        _background = fastcsv.Background(min(2, threads()))
    stream = sys.stdout

    def make() -> bytes | bytearray:
        # polars is imported here, on a writer thread, the first time.
        by_polars = use_polars and not numpy_first(values, first_row)
        polars = fastcsv.polars_module() if by_polars else None
        if polars is None:  # NumPy formatting, which also runs mostly without the GIL
            return format_rows(values, None, first_row).encode()
        return fastcsv.polars_rows(polars, values, first_row)

    _background.submit(lambda made: write_bytes(made, stream), make)
