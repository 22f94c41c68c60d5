"""Class values of rows: NumPy's C reader first, field by field for the exact error."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.errors import NncalcError
from nncalc.io import layout
from nncalc.io.tokens import MAX_ROW_VALUES, _too_wide, has_long_token


def load(
    lines: list[str],
    separator: str | None,
    width: int | None,
    usecols: list[int] | None = None,
    *,
    long: bool = True,
) -> FloatArray | None:
    """NumPy's C reader on the lines: a row each, ``width`` values (the
    ``usecols`` columns) each; None when it refuses or a limit is passed.

    ``long``: whether the lines may hold a number longer than the limit
    (False when the text they came from was checked already)."""
    if not lines:
        return None
    try:
        with warnings.catch_warnings():
            # Blank-only lines: "input contained no data" must not reach stderr.
            warnings.simplefilter("ignore", UserWarning)
            values: FloatArray = np.loadtxt(
                lines,
                delimiter=separator,
                comments=None,
                dtype=np.float64,
                ndmin=2,
                quotechar=None,
                usecols=usecols,
            )
    except ValueError:
        return None
    if (
        (width is not None and values.shape[1] != width)
        or len(values) != len(lines)
        or values.shape[1] > MAX_ROW_VALUES
        or (long and has_long_token(lines))
    ):
        return None
    return values


def parse_fields(
    reader: layout.LineReader,
    rows: list[list[str]],
    numbers: Sequence[int],
    first_row: int,
    columns: list[int] | None = None,
) -> FloatArray:
    """Parse field by field, raising the first error with its exact place.

    ``columns`` are the file columns (0-based) of the fields, when they are
    picked out of wider rows; else each row must be as wide as the header.
    """
    parsed: list[list[float]] = []
    for offset, (number, row) in enumerate(zip(numbers, rows, strict=True)):
        row_number = first_row + offset
        if len(row) > MAX_ROW_VALUES:
            raise _too_wide(reader.operand, number, row_number)
        if columns is None and layout.wrong_width(reader, [row]) is not None:
            raise layout.width_error(reader, row, row_number, number)
        parsed.append(
            [
                layout.number_at(
                    reader, token, j + 1 if columns is None else columns[j] + 1, row_number, number
                )
                for j, token in enumerate(row)
            ]
        )
    return np.array(parsed, dtype=np.float64)


def checked_texts(
    reader: layout.LineReader,
    texts: list[tuple[str, ...]],
    columns: list[int],
    numbers: Sequence[int],
    first_row: int,
) -> list[tuple[str, ...]]:
    """The ``texts`` of id (or target) ``columns``: an empty one is an error naming its row."""
    for offset, text in enumerate(texts):
        if "" in text:
            column = columns[text.index("")]
            raise _missing_value(reader, column, first_row + offset, numbers[offset])
    return texts


def column_texts(
    reader: layout.LineReader,
    columns: list[int],
    fields: list[list[str]],
    numbers: Sequence[int],
    first_row: int,
) -> list[tuple[str, ...]] | None:
    """The strings of id (or target) ``columns`` of parsed records."""
    if not columns:
        return None
    texts = [tuple(row[i] for i in columns) for row in fields]
    return checked_texts(reader, texts, columns, numbers, first_row)


def _missing_value(reader: layout.LineReader, column: int, row: int, line: int) -> NncalcError:
    """A row without a value in an id or target column."""
    assert reader.layout is not None
    names = reader.layout.names
    what = "--target-col" if column == reader.layout.plan.target else "--id"
    where = f"column {column + 1}" if names is None else f"column {names[column]!r}"
    return NncalcError(
        f"no value in the {what} {where}",
        operand=reader.operand,
        row=row,
        line=line,
        column=column + 1,
    )
