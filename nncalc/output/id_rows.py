"""Result rows with the ids of ``--id`` first: plain, csv, json and table cells.

Ids are text from the data: plain and csv rows are written by the ``csv``
module (:func:`nncalc.output.safe.csv_row`: quoted where needed, control
characters as visible escapes, so a row stays one line), JSON by ``json``
(every id round-trips exactly), tables through the table's own escaping.
"""

from __future__ import annotations

from collections.abc import Sequence

from nncalc.core.arrays import FloatArray
from nncalc.output.safe import csv_row
from nncalc.output.spec import Table
from nncalc.output.text import dumps, format_number, json_value

Ids = Sequence[tuple[str, ...]]


def csv_rows(ids: Ids, values: FloatArray, digits: int | None) -> str:
    """``id,...,value,...`` lines: the ids, then the row's numbers."""
    return "".join(
        csv_row([*row_ids, *(format_number(v, digits) for v in row)])
        for row_ids, row in zip(ids, values.tolist(), strict=True)
    )


def json_objects(names: Sequence[str], ids: Ids, key: str, values: list[str]) -> list[str]:
    """One JSON object per row: each id under its column name, then ``key``: the value text."""
    heads = [dumps(name) for name in names]
    return [
        "{"
        + "".join(f"{head}: {dumps(text)}, " for head, text in zip(heads, row_ids, strict=True))
        + f"{dumps(key)}: {value}}}"
        for row_ids, value in zip(ids, values, strict=True)
    ]


def json_numbers(values: FloatArray, digits: int | None) -> list[str]:
    """Each value as a JSON token."""
    return [json_value(v, digits) for v in values.tolist()]


def json_vectors(values: FloatArray, digits: int | None) -> list[str]:
    """Each row as a JSON array."""
    return ["[" + ", ".join(json_value(v, digits) for v in row) + "]" for row in values.tolist()]


def with_ids(table: Table, names: Sequence[str], ids: Ids) -> Table:
    """A per-row table with the id columns inserted after its first (row) column."""
    rows = [[row[0], *row_ids, *row[1:]] for row, row_ids in zip(table.rows, ids, strict=False)]
    columns = [table.columns[0], *names, *table.columns[1:]]
    texts = frozenset(range(1, 1 + len(names))) | {
        i + len(names) if i > 0 else i for i in table.text_columns
    }
    return Table(table.title, columns, rows, table.caption, texts)
