"""Helpers shared by the table builders."""

from __future__ import annotations

import math
from collections.abc import Sequence

from nncalc.core.arrays import FloatArray
from nncalc.output.spec import TABLE_ROWS, Bar, Output, Table
from nncalc.output.text import format_number

Names = Sequence[str] | None
"""Class labels given by the user, or None for the indices."""


def _names(names: Sequence[str] | None, width: int) -> list[str]:
    if names is not None and len(names) == width:
        return list(names)
    return [str(i) for i in range(width)]


def draw(tables: list[Table], output: Output) -> None:
    """Draw ``tables`` for the terminal ``output`` goes to (Rich is imported here)."""
    from nncalc.output import tables as rich_tables

    rich_tables.render(tables, output.env)


def _perplexity(nats: float) -> float:
    return math.exp(nats) if nats < 709.0 else math.inf


def _caption(shown: int, total: int) -> str | None:
    return f"first {shown} of {total} classes" if total > shown else None


def class_table(
    columns: list[str],
    names: Sequence[str] | None,
    values: Sequence[FloatArray],
    digits: int,
    *,
    bar: FloatArray | None = None,
    title: str = "per class",
    what: str = "classes",
) -> Table:
    """Per class (or latent dimension: ``what``): a label, each of ``values`` and
    an optional bar, for the first :data:`TABLE_ROWS` of them."""
    count = len(values[0])
    shown = min(count, TABLE_ROWS)
    labels = _names(names, count)
    rows: list[list[str | Bar]] = []
    for i in range(shown):
        row: list[str | Bar] = [labels[i], *(format_number(v[i], digits) for v in values)]
        rows.append([*row, Bar(float(bar[i]))] if bar is not None else row)
    caption = f"first {shown} of {count} {what}" if count > shown else None
    return Table(title, columns, rows, caption)
