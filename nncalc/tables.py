"""Rich tables for people; imported only when a table is drawn.

On a terminal: colour (unless ``NO_COLOR``) and box-drawing characters. When
``--format table`` is asked for on a pipe: plain ASCII, no colour codes.
"""

from __future__ import annotations

import sys

from rich import box
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from nncalc.render import Bar, Table

BAR_WIDTH = 20


def _bar(fraction: float, fancy: bool) -> Text:
    fraction = min(max(fraction, 0.0), 1.0)
    if not fancy:
        return Text("#" * round(fraction * BAR_WIDTH))
    eighths = round(fraction * BAR_WIDTH * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part else ""
    return Text("█" * full + partial, style="cyan")


def render(tables: list[Table]) -> None:
    terminal = sys.stdout.isatty()
    console = Console(
        file=sys.stdout,
        force_terminal=terminal,
        no_color=not terminal or None,
        highlight=False,
        safe_box=True,
    )
    for index, item in enumerate(tables):
        table = RichTable(
            title=item.title,
            caption=item.caption,
            box=box.ROUNDED if terminal else box.ASCII,
            header_style="bold" if terminal else "",
            title_style="bold" if terminal else "",
        )
        for number, column in enumerate(item.columns):
            numeric = number > 0 and column not in ("label", "class", "quantity")
            table.add_column(column, justify="right" if numeric else "left", overflow="fold")
        for row in item.rows:
            table.add_row(*[_bar(c.fraction, terminal) if isinstance(c, Bar) else c for c in row])
        if index:
            console.print()
        console.print(table)
