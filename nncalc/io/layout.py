"""A table's layout, settled from its first lines: separator, header, columns.

The separator is the first of ``, TAB ; |`` that the first data line holds
outside quotes (runs of whitespace when none): when the first line is a
header, that is the line after it, so a tab-separated file whose header
holds a comma is still read with tabs. The first line is a header when none
of its fields is a number (``10%`` counts as one); ``0,1,2`` and ``"1","2"``
are data by this guess, and a note saying so rides along with errors in
row 1. The options of :class:`Options` override each guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from nncalc.errors import NncalcError, plural
from nncalc.io.columns import ColumnPlan, Columns, id_specs, shown_names
from nncalc.io.csvtext import data_line, quoted_records, too_long_record
from nncalc.io.tokens import (
    INTEGER,
    MAX_LINE_CHARS,
    MAX_ROW_VALUES,
    MAX_TOKEN_CHARS,
    SEPARATOR_NAMES,
    _ascii_hint,
    _too_wide,
    all_numbers,
    detect_separator,
    is_number,
    looks_numeric,
    other_separator,
    parse_token,
    split_line,
)

if TYPE_CHECKING:
    from typing import Protocol

    from nncalc.io.textlines import LineSource

    class LineReader(Protocol):
        """What the layout uses of a BatchReader (which imports this module)."""

        operand: str
        layout: Layout | None

        @property
        def text(self) -> LineSource: ...
        @property
        def separator(self) -> str | None: ...
        @property
        def unparsed_start(self) -> int: ...
        def unparsed(self) -> list[str]: ...
        def more_lines(self) -> bool: ...
        def skip_lines(self, count: int) -> None: ...


# The separators --sep takes, and their spellings: None is runs of whitespace.
SEPARATOR_SPELLINGS: dict[str, str | None] = {
    ",": ",",
    "\t": "\t",
    "\\t": "\t",
    "tab": "\t",
    ";": ";",
    "|": "|",
    " ": None,
    "space": None,
    "whitespace": None,
}


class Options:
    """The table options of one input (None: guessed from the input)."""

    def __init__(
        self,
        sep: str | None = None,
        header: bool | None = None,
        columns: str | None = None,
        ids: Sequence[str] = (),
        target_col: str | None = None,
        *,
        optional: bool = False,
    ) -> None:
        self.sep_given = sep is not None
        self.separator: str | None = None
        if sep is not None:
            if sep not in SEPARATOR_SPELLINGS:
                raise NncalcError(
                    "not a separator",
                    operand="--sep",
                    token=sep,
                    hint="use one of ',' '\\t' ';' '|' ' ' (runs of spaces)",
                )
            self.separator = SEPARATOR_SPELLINGS[sep]
        self.header = header
        self.columns = columns
        self.ids = (ids,) if isinstance(ids, str) else tuple(ids)
        self.target_col = target_col
        self.optional = optional  # ids and target_col may be absent (Columns.plan)
        self.primary: ColumnPlan | None = None  # the plan of the input ids come from


class Layout:
    """What the first lines of an input say about the rest.

    ``names`` is the header (None: there is none); ``plan`` says which
    columns hold the classes, ids and target; ``note`` explains a first line
    read as data although it could be a header (an integer or quoted line).
    """

    def __init__(
        self,
        separator: str | None,
        separator_line: int | None,
        names: list[str] | None,
        header_line: int | None,
        plan: ColumnPlan,
        note: str | None,
    ) -> None:
        self.separator = separator
        self.separator_line = separator_line  # the line it was found on; None: --sep
        self.names = names
        self.header_line = header_line
        self.plan = plan
        self.note = note

    @property
    def labels(self) -> list[str] | None:
        if self.names is None:
            return None
        if self.plan.plain:
            return self.names
        return [self.names[i] for i in self.plan.values]

    def match_classes(self, names: Sequence[str], operand: str, other: str) -> None:
        """Read the class columns in the order of ``names`` (``other``'s header).

        The two sets of names must be the same: the error lists the names
        each side lacks.
        """
        labels = self.labels
        if labels is None:
            raise NncalcError(f"{other} has a header and {operand} has none", operand=operand)
        missing = [name for name in names if name not in labels]
        extra = [name for name in labels if name not in names]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"{operand} lacks {shown_names(missing)}")
            if extra:
                parts.append(f"{other} lacks {shown_names(extra)}")
            raise NncalcError(
                f"the class columns of {operand} and {other} differ: {'; '.join(parts)}",
                operand=operand,
                hint="columns are paired by name; pick them with --columns",
            )
        values = [self.plan.values[labels.index(name)] for name in names]
        plan = self.plan
        self.plan = ColumnPlan(values, plan.ids, plan.target, plan.fields)

    @property
    def id_names(self) -> list[str] | None:
        if self.names is None or not self.plan.ids:
            return None
        return [self.names[i] for i in self.plan.ids]

    @property
    def target_name(self) -> str | None:
        if self.names is None or self.plan.target is None:
            return None
        return self.names[self.plan.target]


def _next_data(reader: LineReader, after: int) -> int | None:
    """Index among the unparsed lines of the first data line from ``after`` on."""
    while True:
        lines, start = reader.unparsed(), reader.unparsed_start
        for index in range(after, len(lines)):
            if data_line(lines[index], start + index):
                return index
        after = len(lines)
        if not reader.more_lines():
            return None


def _record_text(reader: LineReader, index: int) -> str:
    """The data line ``index`` of the unparsed lines, with the lines that a
    quote it leaves open goes on over (as much as a line may hold)."""
    lines, start = reader.unparsed(), reader.unparsed_start
    text = data_line(lines[index], start + index)
    end = index + 1
    while text.count('"') % 2 and len(text) <= MAX_LINE_CHARS:
        if end == len(lines):
            if not reader.more_lines():
                break
            lines = reader.unparsed()
            continue
        text += "\n" + lines[end]
        end += 1
    return text


def _first_record(reader: LineReader, separator: str | None) -> tuple[list[str], int]:
    """The fields of the record the unparsed lines start with, and its lines."""
    while True:
        lines, start = reader.unparsed(), reader.unparsed_start
        line = data_line(lines[0], start)
        if '"' not in line:
            return split_line(line, separator), 1
        records = quoted_records(lines, start, separator, limit=1)
        if records.rows:
            return records.rows[0], records.used
        if records.error is not None:
            raise records.error.located(operand=reader.operand)
        check_open_record(reader, 0)
        reader.more_lines()


def read_layout(reader: LineReader, options: Options) -> Layout:
    """Read the first record(s) of ``reader``: the header, if any, is consumed."""
    first = _next_data(reader, 0)
    if first is None:
        raise NncalcError("input has no data rows", operand=reader.operand)
    reader.skip_lines(first)
    number = reader.unparsed_start
    line = data_line(reader.unparsed()[0], number)
    if options.sep_given:
        separator = options.separator
    else:
        separator = detect_separator(_record_text(reader, 0))
    fields, span = _first_record(reader, separator)
    header = options.header
    if header is None:
        header = not any(looks_numeric(field) for field in fields)
    separator_line = None if options.sep_given else number
    if header and not options.sep_given:
        after = _next_data(reader, span)
        if after is not None:
            separator_line = reader.unparsed_start + after
            found = detect_separator(_record_text(reader, after))
            if found != separator:
                separator = found
                fields, span = _first_record(reader, separator)
    if len(fields) > MAX_ROW_VALUES:
        raise _too_wide(reader.operand, number)
    shown = line if len(line) <= 40 else line[:37] + "..."
    note = f"the first line `{shown}` was read as data; pass --header if it names the columns"
    names = fields if header else None
    columns = Columns(reader.operand, names, len(fields), None if header else note)
    try:
        specs = (options.ids, options.target_col)
        ids, target = id_specs(specs, options.primary, names is None, len(fields))
        plan = columns.plan(options.columns, ids, target, optional=options.optional)
    except NncalcError as error:
        raise error.located(line=number) if header else error from None
    layout = Layout(separator, separator_line, names, number if header else None, plan, None)
    if header:
        reader.skip_lines(span)
        return layout
    if options.header is None:
        if '"' in line or all(INTEGER.fullmatch(field) for field in fields):
            layout.note = note
        reader.layout = layout
        _check_first_row(reader, fields, number)
    return layout


def _check_first_row(reader: LineReader, fields: list[str], number: int) -> None:
    """A first line guessed to be data because some field is a number: its
    class values must all be numbers (a line of names and numbers is no header)."""
    assert reader.layout is not None
    values = reader.layout.plan.values
    if all_numbers([fields[column] for column in values]):
        return
    for column in values:
        token = fields[column]
        if is_number(token) and len(token) <= MAX_TOKEN_CHARS:
            continue
        if (
            looks_numeric(token)
            or token == ""
            or len(token) > MAX_TOKEN_CHARS
            or other_separator(token, reader.separator)
        ):
            number_at(reader, token, column + 1, 1, number)
        raise NncalcError(
            "not a number (a header must be all names)",
            operand=reader.operand,
            row=1,
            line=number,
            column=column + 1,
            token=token,
            hint=_ascii_hint(token),
        )


def check_open_record(reader: LineReader, open_at: int) -> None:
    """A quoted record still open where the lines read so far end: fine, unless
    the input ends there or the record grows past the limit of a line."""
    lines = reader.unparsed()[open_at:]
    opened = reader.unparsed_start + open_at
    if reader.text.exhausted:
        raise NncalcError(
            f"the quote opened on line {opened} is never closed",
            operand=reader.operand,
            line=opened,
            hint='write a quote inside a quoted field as ""',
        )
    if sum(map(len, lines)) > MAX_LINE_CHARS:
        raise too_long_record(opened).located(operand=reader.operand)


def wrong_width(reader: LineReader, rows: list[list[str]]) -> int | None:
    """The index of the first row without as many fields as the header (or first row)."""
    assert reader.layout is not None
    expected = reader.layout.plan.fields
    for index, row in enumerate(rows):
        if len(row) != expected:
            return index
    return None


def width_error(reader: LineReader, fields: list[str], row: int, line: int) -> NncalcError:
    """A row of ``fields`` without as many as the header (or the first row)."""
    assert reader.layout is not None
    layout = reader.layout
    expected, count = layout.plan.fields, len(fields)
    for field in fields:
        other = other_separator(field, layout.separator)
        if other is not None:
            return NncalcError(
                mixed_separators(reader, other),
                operand=reader.operand,
                row=row,
                line=line,
                hint="pass --sep to choose one",
            )
    hint = None
    if layout.names is None:
        message = (
            f"ragged rows: this row has {plural(count, 'value')}, earlier rows have {expected}"
        )
        hint = layout.note if row == 2 else None
    elif row == 1:
        shorter = "fewer" if expected < count else "more"
        message = (
            f"the header (line {layout.header_line}) has {plural(expected, 'name')}, "
            f"{shorter} than the {plural(count, 'value')} of its rows"
        )
        hint = "a header names every column, no more and no fewer"
        other = next(
            (o for name in layout.names if (o := other_separator(name, layout.separator))), None
        )
        if other is not None:
            hint = (
                f"the header holds {SEPARATOR_NAMES[other]}, the rows are separated by "
                f"{SEPARATOR_NAMES[layout.separator]}; pass --sep to choose one"
            )
    else:
        message = (
            f"this row has {plural(count, 'value')}, the header and earlier rows have {expected}"
        )
    return NncalcError(message, operand=reader.operand, row=row, line=line, hint=hint)


def mixed_separators(reader: LineReader, other: str) -> str:
    """The message for a row holding separator ``other`` besides the input's."""
    assert reader.layout is not None
    ours = SEPARATOR_NAMES[reader.layout.separator]
    if reader.layout.separator_line is None:
        return f"mixed separators: {SEPARATOR_NAMES[other]} in this row, but --sep is {ours}"
    return (
        f"mixed separators: {SEPARATOR_NAMES[other]} in this row, "
        f"{ours} in the first data line (line {reader.layout.separator_line})"
    )


def number_at(reader: LineReader, token: str, column: int, row: int, line: int) -> float:
    """One class value; a token holding another separator is a mixed-separator error."""
    try:
        return parse_token(token, reader.operand, column, row, line)
    except NncalcError:
        other = other_separator(token, reader.separator)
        if other is None:
            raise
    message = mixed_separators(reader, other)
    raise NncalcError(
        message,
        operand=reader.operand,
        row=row,
        line=line,
        column=column,
        token=token,
        hint="pass --sep to choose one",
    )
