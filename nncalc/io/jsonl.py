"""JSON Lines operands: one row per line, an array of numbers or an object of them."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.errors import plural
from nncalc.io.tensor_rows import TensorReader
from nncalc.io.tokens import MAX_LINE_CHARS, MAX_ROW_VALUES

# What nncalc's own JSON output writes for non-finite numbers, read back as numbers.
NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}

BOM = b"\xef\xbb\xbf"


def _is_number(value: object) -> bool:
    return type(value) in (int, float) or (isinstance(value, str) and value in NON_FINITE)


class JsonlReader(TensorReader):
    """Rows of a ``.jsonl``/``.ndjson`` file, one JSON value per non-blank line.

    Each line is an array of numbers, or an object whose number-valued fields
    are the classes: the first row's number fields (in its order) are the
    ``labels``, and every later row must have the same number fields (other
    fields, such as an id string, are ignored). ``NaN``, ``Infinity`` and the
    strings ``"nan"``, ``"inf"``, ``"-inf"`` (as nncalc writes them) are
    numbers. The file is scanned once when opened to count its rows (so the
    shape is known up front), then parsed a chunk at a time. The shape is
    ``(rows, columns)``; an empty file has no rows.
    """

    def __init__(
        self,
        operand: str,
        source: str,
        handle: BinaryIO,
        *,
        on_read: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(operand, source, (0, 0))
        self.handle = handle
        self.line_number = 0
        rows = _count_rows(handle)
        handle.seek(0)
        first = self._next_row() if rows else None
        columns = 0
        if isinstance(first, dict):
            self.labels = [key for key, value in first.items() if _is_number(value)]
            columns = len(self.labels)
        elif isinstance(first, list):
            columns = len(first)
        self.set_shape((rows, columns))
        if first is not None:
            self._check_row(first, 1)
        handle.seek(0)
        self.line_number = 0
        self.on_read = on_read  # from here on: the first row is read again

    def _next_line(self) -> bytes:
        """The next non-blank line (b'' at the end), within the line limit."""
        while True:
            line = self.handle.readline(MAX_LINE_CHARS + 1)
            if not line:
                return b""
            self.line_number += 1
            if len(line) > MAX_LINE_CHARS and not line.endswith(b"\n"):
                raise self.error(
                    f"a line is longer than {MAX_LINE_CHARS:,} characters", line=self.line_number
                )
            if self.line_number == 1 and line.startswith(BOM):
                line = line[len(BOM) :]
            if line.strip():
                if self.on_read is not None:
                    self.on_read(len(line))
                return line

    def _next_row(self, row: int = 1) -> Any:
        line = self._next_line()
        if not line:
            raise self.error("the file ended early (was it changed while read?)", row=row)
        try:
            return json.loads(line)
        except UnicodeDecodeError:
            raise self.error("not UTF-8 text", row=row, line=self.line_number) from None
        except json.JSONDecodeError as error:
            message = f"not valid JSON ({error.msg} at character {error.colno})"
            raise self.error(message, row=row, line=self.line_number) from None
        except RecursionError:
            message = "not valid JSON (nested too deeply)"
            raise self.error(message, row=row, line=self.line_number) from None
        except ValueError:  # an integer of more digits than Python converts
            message = "not valid JSON (a number with too many digits)"
            raise self.error(message, row=row, line=self.line_number) from None

    def _read_rows(self, first: int, out: FloatArray) -> list[int]:
        lines = []
        for offset in range(len(out)):
            row = first + offset + 1
            out[offset] = self._check_row(self._next_row(row), row)
            lines.append(self.line_number)
        return lines

    def _check_row(self, value: Any, row: int) -> FloatArray:
        """A parsed line's numbers, checked against the first row's kind and width."""
        where = {"row": row, "line": self.line_number}
        if self.labels is not None:
            if not isinstance(value, dict):
                raise self.error("not a JSON object, as the first row is", **where)
            items = self._fields(value, where)
        elif isinstance(value, list):
            items = value
        elif isinstance(value, dict):
            raise self.error("a JSON object, but the first row is an array", **where)
        else:
            raise self.error("not a JSON array or object of numbers", **where)
        if len(items) > MAX_ROW_VALUES:
            raise self.error(f"more than {MAX_ROW_VALUES:,} values (the limit of a row)", **where)
        if len(items) != self.columns:
            raise self.error(
                f"{plural(len(items), 'value')}, but the first row has {self.columns} "
                "(rows must all be the same length)",
                **where,
            )
        return self._numbers(items, where)

    def _fields(self, value: dict[str, Any], where: dict[str, int]) -> list[Any]:
        assert self.labels is not None
        for label in self.labels:
            if label not in value:
                shown = json.dumps(label)[:60]
                raise self.error(f"no field {shown}, as the first row has", **where)
        if len(value) > len(self.labels):
            extra = [k for k, v in value.items() if _is_number(v) and k not in self.labels]
            if extra:
                shown = json.dumps(extra[0])[:60]
                raise self.error(f"field {shown} is a number but not in the first row", **where)
        return [value[label] for label in self.labels]

    def _numbers(self, items: list[Any], where: dict[str, int]) -> FloatArray:
        try:
            if all(type(item) in (int, float) for item in items):
                return np.array(items, dtype=np.float64)
        except OverflowError:
            pass
        numbers = np.empty(len(items))
        for column, item in enumerate(items, 1):
            if isinstance(item, str) and item in NON_FINITE:
                numbers[column - 1] = NON_FINITE[item]
                continue
            if type(item) in (int, float):
                try:
                    numbers[column - 1] = float(item)
                    continue
                except OverflowError:
                    pass
            token = json.dumps(item)[:60]
            raise self.error("not a number", column=column, token=token, **where)
        return numbers

    def close(self) -> None:
        self.handle.close()


def _count_rows(handle: BinaryIO) -> int:
    """Non-blank lines, counted a block at a time (memory flat on a line of any length)."""
    rows = 0
    content = False  # whether the line being read has a non-blank character yet
    block = handle.read(1 << 20)
    if block.startswith(BOM):
        block = block[len(BOM) :]
    while block:
        lines = block.split(b"\n")
        for line in lines[:-1]:
            if content or line.strip():
                rows += 1
            content = False
        content = content or bool(lines[-1].strip())
        block = handle.read(1 << 20)
    return rows + content
