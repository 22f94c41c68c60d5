"""Helpers shared by the table builders."""

from __future__ import annotations

import math
from collections.abc import Sequence

from nncalc.output.spec import Output, Table


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
