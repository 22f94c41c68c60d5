"""What to print and how: format, digits, base, bounds; table specs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import Enum

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import FloatArray
from nncalc.errors import CheckFailed
from nncalc.output.environment import Environment
from nncalc.output.text import format_number

TABLE_DIGITS = 4


TABLE_ROWS = 50


class Bar:
    """A horizontal bar for a fraction in [0, 1] (drawn in table cells)."""

    def __init__(self, fraction: float) -> None:
        self.fraction = fraction


Cells = Sequence[Sequence[str | Bar]]
"""A table's rows of cells: formatted numbers and labels, and bars."""


class Table:
    """A table for people: formatted cells; drawn by :mod:`nncalc.output.tables`."""

    def __init__(
        self,
        title: str,
        columns: list[str],
        rows: Cells,
        caption: str | None = None,
        text_columns: frozenset[int] = frozenset(),
    ) -> None:
        self.title = title
        self.columns = columns
        self.rows = rows
        self.caption = caption
        # Columns of text from the data (ids), left-aligned whatever their name.
        self.text_columns = text_columns


class Format(str, Enum):
    auto = "auto"
    table = "table"
    plain = "plain"
    csv = "csv"
    json = "json"


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


def resolve_format(fmt: Format, env: Environment) -> Format:
    """``auto`` is a table on a terminal and plain text on a pipe."""
    if fmt is Format.auto:
        return Format.table if env.stdout_isatty else Format.plain
    return fmt


class Output:
    """The output options every command takes, and the terminal they go to."""

    def __init__(self, fmt: Format, digits: int | None, env: Environment) -> None:
        self.fmt = resolve_format(fmt, env)
        self.digits = digits
        self.env = env

    @property
    def table_digits(self) -> int:
        return self.digits if self.digits is not None else TABLE_DIGITS


class Units:
    """How a report shows its numbers: the table's digits, the unit and the scale from nats."""

    __slots__ = ("base", "digits", "name", "scale")

    def __init__(self, base: Base, output: Output) -> None:
        self.base = base
        self.digits = output.table_digits
        self.name = base.unit
        self.scale = 1.0 / base.log


def _row(rows: int | npt.NDArray[np.int64] | None, index: int) -> str:
    if rows is None:
        return ""
    row = rows + index if isinstance(rows, int) else int(rows[index])
    return f"row {row}: "


class Bounds:
    """``--max``/``--min`` checks on a scalar result."""

    def __init__(self, maximum: float | None = None, minimum: float | None = None) -> None:
        self.maximum = maximum
        self.minimum = minimum
        self.violations: list[str] = []
        self.count = 0

    def check(
        self, name: str, values: FloatArray, rows: int | npt.NDArray[np.int64] | None
    ) -> None:
        """Check ``values``; ``rows``: the first one's row (consecutive), each one's, or None."""
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
            value = format_number(values[index])
            if nan[index]:
                bound = f"is not a number ({self.described()})"
            elif under[index]:
                bound = f"is below --min {format_number(self.minimum or 0.0)}"
            else:
                bound = f"exceeds --max {format_number(self.maximum or 0.0)}"
            row = _row(rows, int(index))
            self.violations.append(f"check failed: {row}{name} = {value} {bound}")

    def described(self) -> str:
        """The bounds as given: 'bound --max 1.0', 'bounds --max 1.0, --min 0.0'."""
        given = [
            f"{flag} {format_number(bound)}"
            for flag, bound in (("--max", self.maximum), ("--min", self.minimum))
            if bound is not None
        ]
        return ("bounds " if len(given) > 1 else "bound ") + ", ".join(given)

    def raise_if_failed(self) -> None:
        if self.count:
            lines = list(self.violations)
            if self.count > len(lines):
                lines.append(f"check failed: {self.count - len(lines)} more rows out of bounds")
            raise CheckFailed(lines)
