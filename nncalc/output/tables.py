"""Rich tables for people; imported only when a table is drawn.

On a terminal: colour (unless ``NO_COLOR``) and box-drawing characters. When
``--format table`` is asked for on a pipe: plain ASCII, no colour codes.
"""

from __future__ import annotations

import errno
import sys

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from nncalc.output.environment import Environment
from nncalc.output.safe import for_table, visible_controls
from nncalc.output.spec import Bar, Table
from nncalc.output.text import rows_written

BAR_WIDTH = 20
MIN_TEXT_WIDTH = 6  # narrowest a folding text column gets on a narrow terminal


def _bar(fraction: float, fancy: bool) -> Text:
    fraction = min(max(fraction, 0.0), 1.0)
    if not fancy:
        return Text("#" * round(fraction * BAR_WIDTH))
    eighths = round(fraction * BAR_WIDTH * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part else ""
    return Text("█" * full + partial, style="cyan")


def render(tables: list[Table], env: Environment | None = None) -> None:
    """Draw ``tables`` on stdout for ``env``'s terminal (default: not a terminal)."""
    rows_written()  # rows streamed before the tables come first
    env = Environment() if env is None else env
    terminal = env.stdout_isatty
    if sys.stdout is None:  # Rich would drop the table silently
        raise OSError(errno.EBADF, "stdout is closed")
    console = Console(
        file=sys.stdout,
        force_terminal=terminal,
        no_color=not terminal or env.no_color,
        width=env.width,
        highlight=False,
        safe_box=True,
    )
    for index, item in enumerate(tables):
        if index:
            console.print()
        console.print(_table(_visible(item), terminal, console.width))


def _visible(item: Table) -> Table:
    """``item`` with control characters in its text shown as visible escapes.

    Every text of a table may come from the data (labels, header names,
    config strings): widths are measured on what will be shown, and each
    text goes to Rich through :func:`for_table`, never as markup.
    """
    rows = [[visible_controls(c) if isinstance(c, str) else c for c in row] for row in item.rows]
    return Table(
        title=visible_controls(item.title),
        columns=[visible_controls(column) for column in item.columns],
        rows=rows,
        caption=None if item.caption is None else visible_controls(item.caption),
        text_columns=item.text_columns,
    )


def _cell(cell: str | Bar, fancy: bool) -> Text | str:
    return _bar(cell.fraction, fancy) if isinstance(cell, Bar) else for_table(cell)


def _table(item: Table, fancy: bool, width: int) -> RichTable:
    """A Rich table that fits ``width`` columns without cutting a number or a header word.

    Too wide for the terminal, the bars go (they are decoration) and each
    numeric column gets the width of its widest number or header word:
    headers wrap between words only, and prose cells wrap. If even that does
    not fit, each row is listed as name/value pairs instead.
    """
    shown = list(range(len(item.columns)))
    numeric = [
        i > 0 and c not in ("label", "class", "quantity") and i not in item.text_columns
        for i, c in enumerate(item.columns)
    ]
    words = [_unbreakable(column) for column in item.columns]
    widths: dict[int, int] = {}
    if _natural_width(item, shown) > width:
        shown = [i for i in shown if not any(isinstance(row[i], Bar) for row in item.rows)]
        widest = {i: max([_unbreakable(row[i]) for row in item.rows] + [1]) for i in shown}
        widths = {i: max(widest[i], words[i]) for i in shown if numeric[i]}
        folding = sum(
            max(words[i], min(MIN_TEXT_WIDTH, widest[i])) for i in shown if not numeric[i]
        )
        if sum(widths.values()) + folding + 3 * len(shown) + 1 > width:
            return _listing(item, fancy, shown, width)
    table = _frame(item, fancy)
    for number in shown:
        table.add_column(
            for_table(item.columns[number]),
            justify="right" if numeric[number] else "left",
            overflow="fold",
            width=widths.get(number),
            min_width=words[number],
        )
    for row in item.rows:
        cells = [row[i] for i in shown]
        table.add_row(*[_cell(c, fancy) for c in cells])
    return table


def _listing(item: Table, fancy: bool, shown: list[int], width: int) -> RichTable:
    """Each row as (column, value) lines: readable at any width.

    The names wrap between words; the values keep their numbers whole while
    the width allows.
    """
    table = _frame(item, fancy)
    names = [i for i in shown if any(isinstance(row[i], str) for row in item.rows)]
    name_width = max([_unbreakable(item.columns[i] or "-") for i in names] + [1])
    value_width = max([_unbreakable(row[i]) for row in item.rows for i in names] + [1])
    room = width - 7  # borders and padding of two columns
    table.add_column("", overflow="fold", min_width=min(name_width, max(room - value_width, 1)))
    table.add_column("", justify="right", overflow="fold", min_width=min(value_width, room))
    table.show_header = False
    for index, row in enumerate(item.rows):
        if index:
            table.add_section()
        for number in names:
            cell = row[number]
            if isinstance(cell, str):
                table.add_row(for_table(item.columns[number] or "-"), for_table(cell))
    return table


def _frame(item: Table, fancy: bool) -> RichTable:
    return RichTable(
        title=for_table(item.title),
        caption=None if item.caption is None else for_table(item.caption),
        box=box.ROUNDED if fancy else box.ASCII,
        header_style="bold" if fancy else "",
        title_style="bold" if fancy else "",
    )


def _cell_width(cell: str | Bar) -> int:
    return BAR_WIDTH if isinstance(cell, Bar) else cell_len(cell)


def _unbreakable(cell: str | Bar) -> int:
    """Width a cell needs unfolded: a number or word in full; prose may wrap."""
    if isinstance(cell, Bar):
        return 1
    return max([cell_len(word) for word in cell.split()] + [1])


def _natural_width(item: Table, shown: list[int]) -> int:
    """Columns drawn unwrapped: widest cell or header, padding and borders."""
    return 1 + sum(
        3 + max([cell_len(item.columns[i])] + [_cell_width(row[i]) for row in item.rows])
        for i in shown
    )
