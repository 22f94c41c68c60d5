"""The block reader: a text stream -> float64 row chunks, flat in memory.

Each chunk carries the rows' class values and, when asked for, their ids
and targets (strings). The table's layout (separator, header, which columns
hold what) is settled from its first lines by :mod:`nncalc.io.layout`.
"""

from __future__ import annotations

from collections.abc import Sequence

from nncalc.core.arrays import FloatArray
from nncalc.errors import NncalcError
from nncalc.io import layout
from nncalc.io.chunks import Chunk
from nncalc.io.csvtext import data_line, pick_fields, read_records
from nncalc.io.textlines import LineSource
from nncalc.io.textrows import TextRows
from nncalc.io.tokens import split_line
from nncalc.io.values import checked_texts, column_texts, load, parse_fields

__all__ = ["CHUNK_ROWS", "BatchReader", "Chunk"]

CHUNK_ROWS = 16384


class BatchReader:
    """Rows of an input stream, one record per line, read and parsed a block at a time.

    A block ends at CHUNK_ROWS lines or CHUNK_BYTES characters, or as soon as
    it holds a whole line and the input has nothing more ready (a pipe whose
    writer paused): rows are computed and written while input still arrives,
    and memory stays bounded by a block whatever the length of the input.

    The table options, ``options`` (:class:`~nncalc.io.layout.Options`;
    each None: detected from the input):

    - ``sep``: the separator, one of ``,`` ``\\t`` ``;`` ``|`` or ``' '`` (runs
      of whitespace); else the first of those the first data line holds.
    - ``header``: whether the first line names the columns; else it does when
      none of its fields is a number.
    - ``columns``: a column spec (:mod:`nncalc.io.columns`) of the class
      columns; every other column is then ignored.
    - ``ids``: column specs carried as strings with every row (``Chunk.ids``).
    - ``target_col``: a column spec of one column whose strings are each
      row's target (``Chunk.targets``).
    - ``optional``: ``ids`` and ``target_col`` that this input lacks are
      left out, not an error (a second operand: only its classes count).
    """

    # A plain class rather than a dataclass: generating dataclass methods at
    # import costs every start-up a fraction of a millisecond.
    def __init__(
        self,
        text: LineSource,
        options: layout.Options | None = None,
    ) -> None:
        self.stream = text.stream
        self.operand = text.operand
        self.text = text
        self._ahead = TextRows(self.text)  # rows of whole reads: the fast path
        self.options = layout.Options() if options is None else options
        self.layout: layout.Layout | None = None
        self.rows_read = 0  # rows handed out
        self._lines: list[str] = []
        self._at = 0  # _lines[_at:] are not parsed yet; the first is line _lines_start
        self._lines_start = 1
        self._quoted = False  # whether the unparsed lines may hold a quote
        self._hashed = False  # ... or a '#'
        self._long = False  # ... or a number longer than MAX_TOKEN_CHARS
        self._values: FloatArray | None = None  # parsed rows not handed out yet
        self._numbers: Sequence[int] = range(0)  # their line numbers
        self._ids: list[tuple[str, ...]] | None = None
        self._targets: list[str] | None = None
        self._started = False
        self._plain_for: object = None  # the column plan _is_plain is of
        self._is_plain = False

    # --- what the input turned out to be (known once started) ----------------

    @property
    def labels(self) -> list[str] | None:
        """The class columns' names (None without a header)."""
        return None if self.layout is None else self.layout.labels

    @property
    def names(self) -> list[str] | None:
        """Every header name, in file order (None without a header)."""
        return None if self.layout is None else self.layout.names

    @property
    def id_names(self) -> list[str] | None:
        """The header names of the ``ids`` columns (None without a header)."""
        return None if self.layout is None else self.layout.id_names

    @property
    def target_name(self) -> str | None:
        return None if self.layout is None else self.layout.target_name

    @property
    def separator(self) -> str | None:
        """The separator (None: runs of whitespace)."""
        return None if self.layout is None else self.layout.separator

    @property
    def width(self) -> int | None:
        """Class values per row."""
        return None if self.layout is None else len(self.layout.plan.values)

    @property
    def note(self) -> str | None:
        """Why the first line was read as data, when it could name the columns."""
        return None if self.layout is None else self.layout.note

    @property
    def compression(self) -> str | None:
        """``gzip``, ``bzip2`` or ``xz`` for compressed input (known once started)."""
        return self.text.compression

    @property
    def line_number(self) -> int:
        return self.text.line_number

    @property
    def started(self) -> bool:
        return self._started

    @property
    def pending(self) -> int:
        """Rows parsed and not yet handed out."""
        return 0 if self._values is None else len(self._values)

    @property
    def done(self) -> bool:
        """Whether every line of the input has been parsed."""
        return self.text.exhausted and self._at == len(self._lines) and not self._ahead.waiting

    # --- lines ------------------------------------------------------------------

    def _read_block(self) -> None:
        """The next block of lines replaces the parsed ones."""
        start = self.text.line_number + 1
        self._lines, self._at = self.text.read_block(CHUNK_ROWS), 0
        self._lines_start = start
        self._quoted, self._hashed = self.text.quoted, self.text.hashed
        self._long = self.text.long

    def more_lines(self) -> bool:
        """Add the next block of lines to the unparsed ones; False at the end."""
        if self.text.exhausted:
            return False
        start = self.text.line_number + 1
        rest = self._lines[self._at :]
        block = self.text.read_block(CHUNK_ROWS)
        if not rest:
            self._lines_start = start
        self._quoted = (self._quoted and bool(rest)) or self.text.quoted
        self._hashed = (self._hashed and bool(rest)) or self.text.hashed
        self._long = (self._long and bool(rest)) or self.text.long
        self._lines, self._at = rest + block, 0
        return True

    def skip_lines(self, count: int) -> None:
        """Mark the next ``count`` unparsed lines as read."""
        self._at += count
        self._lines_start += count
        if self._at == len(self._lines):
            self._lines, self._at = [], 0

    def unparsed(self) -> list[str]:
        return self._lines[self._at :] if self._at else self._lines

    @property
    def unparsed_start(self) -> int:
        return self._lines_start

    # --- reading ----------------------------------------------------------------

    def name_file(self, error: NncalcError) -> NncalcError:
        """``error``, about this input, placed in its file: ``FILE:LINE:COLUMN``."""
        return self.text.name_file(error)

    def start(self) -> None:
        """Read the first lines: the separator, header and columns are then known."""
        if not self._started:
            self._started = True
            try:
                self.layout = layout.read_layout(self, self.options)
            except NncalcError as error:
                self.name_file(error)
                raise
            if self._quoted and not any('"' in line for line in self.unparsed()):
                self._quoted = False  # the quotes were in the header

    _start = start

    def match_classes(self, names: Sequence[str], other: str) -> None:
        """Give the class values in the order of ``names``, another operand's
        (``other``) class names: two headers pair by name, not by position.

        Call it once both are started, before the first chunk; different
        sets of names are an error listing what each side lacks.
        """
        self.start()
        assert self.layout is not None
        if self.rows_read or self.pending:
            raise RuntimeError("match_classes() after rows were read")
        self.layout.match_classes(names, self.operand, other)

    def fill(self, limit: int | None = None) -> None:
        """Parse the next block of rows (at most ``limit`` of it), unless
        some rows are pending or the input is done."""
        self.start()
        try:
            while self.pending == 0 and not self.done:
                if self._at == len(self._lines):
                    if self._ahead.waiting or self._read_whole():
                        self._values, self._numbers = self._ahead.take(CHUNK_ROWS)
                        continue
                    self._read_block()
                if self._at < len(self._lines):
                    self._parse_lines(limit)
        except NncalcError as error:
            self.name_file(error)
            raise

    def take(self, rows: int) -> Chunk:
        """The next ``rows`` pending rows (fewer if fewer are pending)."""
        assert self._values is not None
        values, numbers = self._values[:rows], self._numbers[:rows]
        self._values, self._numbers = self._values[rows:], self._numbers[rows:]
        ids = targets = None
        if self._ids is not None:
            ids, self._ids = self._ids[:rows], self._ids[rows:]
        if self._targets is not None:
            targets, self._targets = self._targets[:rows], self._targets[rows:]
        first_row = self.rows_read + 1
        self.rows_read += len(values)
        note = self.note if first_row == 1 else None
        return Chunk(self.operand, values, first_row, numbers, ids=ids, targets=targets, note=note)

    def read_chunk(self, rows: int | None = None) -> Chunk | None:
        """Up to ``rows`` rows (default: a block), as soon as they are in; None at the end.

        Only ``rows`` lines are parsed, so a row is handed out before a bad
        line after it (in the same block) is reported.
        """
        self.fill(rows)
        if self.pending == 0:
            return None
        return self.take(rows if rows is not None else self.pending)

    def _read_whole(self) -> bool:
        """The fast path of plain lines: a read's text parsed whole by NumPy."""
        assert self.layout is not None and self.width is not None
        return self._plain() and self._ahead.read(self.separator, self.width, CHUNK_ROWS)

    def _parse_lines(self, limit: int | None = None) -> None:
        """Parse unparsed lines (at most ``limit`` rows) into pending rows."""
        assert self.layout is not None
        if self._quoted:
            self._parse_records(limit)
        elif self._plain():
            self._parse_plain(limit)
        elif not self._parse_picked(limit):
            self._parse_records(limit)

    def _plain(self) -> bool:
        """Whether every column is a class value, in file order (known once a plan)."""
        assert self.layout is not None
        plan = self.layout.plan
        if self._plain_for is not plan:  # a new plan when classes are matched by name
            self._plain_for, self._is_plain = plan, plan.plain
        return self._is_plain

    def _parse_picked(self, limit: int | None) -> bool:
        """Columns picked out of plain lines by NumPy: the fast path of ``columns``,
        ``ids`` and ``target_col``. False (nothing read) for lines it cannot
        take whole: blank or comment lines, a wrong width, a bad value."""
        assert self.layout is not None
        plan, separator = self.layout.plan, self.separator
        end = len(self._lines) if limit is None else min(len(self._lines), self._at + limit)
        lines = self._lines[self._at : end]
        if separator is None or self._hashed:
            return False
        commas = plan.fields - 1
        if any(line.count(separator) != commas for line in lines):
            return False
        values = load(lines, separator, len(plan.values), usecols=plan.values, long=self._long)
        if values is None:
            return False
        first_row = self.rows_read + self.pending + 1
        numbers = range(self._lines_start, self._lines_start + len(lines))
        if plan.ids:
            ids = pick_fields(lines, separator, plan.fields, plan.ids)
            self._ids = checked_texts(self, ids, plan.ids, numbers, first_row)
        if plan.target is not None:
            targets = pick_fields(lines, separator, plan.fields, [plan.target])
            self._targets = [
                target
                for (target,) in checked_texts(self, targets, [plan.target], numbers, first_row)
            ]
        self.skip_lines(len(lines))
        self._values, self._numbers = values, numbers
        return True

    def _parse_plain(self, limit: int | None) -> None:
        """Lines of numbers only, no quotes: the fast path.

        A block of plain data lines goes to NumPy as it is. Blocks it refuses
        (comments, blank lines, a bad token) are cleaned line by line and
        parsed again, and a bad token is reported with its exact place.
        """
        end = len(self._lines) if limit is None else min(len(self._lines), self._at + limit)
        lines = (
            self._lines
            if self._at == 0 and end == len(self._lines)
            else self._lines[self._at : end]
        )
        start = self._lines_start
        self.skip_lines(end - self._at)
        first_row = self.rows_read + self.pending + 1
        values = load(lines, self.separator, self.width, long=self._long)
        numbers: Sequence[int]
        if values is not None and len(values) == len(lines):
            numbers = range(start, start + len(lines))
        else:
            numbers, data = [], []
            for offset, raw in enumerate(lines):
                line = data_line(raw, start + offset)
                if line:
                    numbers.append(start + offset)
                    data.append(line)
            if not data:
                return
            values = load(data, self.separator, self.width, long=self._long)
            if values is None:
                rows = [split_line(line, self.separator) for line in data]
                values = parse_fields(self, rows, numbers, first_row)
        self._values, self._numbers = values, numbers

    def _parse_records(self, limit: int | None) -> None:
        """Records read field by field: quoted input, or columns picked out.

        Errors come in the order of the input: a bad value before a row of
        the wrong width before a malformed quote.
        """
        records = read_records(
            self._lines,
            self._lines_start,
            self.separator,
            limit,
            quoted=self._quoted,
            begin=self._at,
        )
        if records.open_at is not None and not records.rows:
            layout.check_open_record(self, records.open_at)
            self.more_lines()
            return
        first_row = self.rows_read + self.pending + 1
        self.skip_lines(records.used)
        fields, numbers = records.rows, records.numbers
        wrong = layout.wrong_width(self, fields)
        if wrong is not None or records.error is not None:
            end = len(fields) if wrong is None else wrong
            self._set_rows(fields[:end], numbers[:end], first_row)
            if wrong is not None:
                raise layout.width_error(self, fields[wrong], first_row + wrong, numbers[wrong])
            assert records.error is not None
            raise records.error.located(operand=self.operand, row_offset=first_row - 1)
        if fields:
            self._set_rows(fields, numbers, first_row)

    def _set_rows(self, fields: list[list[str]], numbers: list[int], first_row: int) -> None:
        """Make parsed records (of the right width) the pending rows."""
        if not fields:
            return
        assert self.layout is not None
        plan = self.layout.plan
        value_rows = fields if self._plain() else [[row[i] for i in plan.values] for row in fields]
        values = load([",".join(row) for row in value_rows], ",", self.width)
        if values is None:
            columns = None if self._plain() else plan.values
            values = parse_fields(self, value_rows, numbers, first_row, columns)
        ids = column_texts(self, plan.ids, fields, numbers, first_row)
        targets = None
        if plan.target is not None:
            texts = column_texts(self, [plan.target], fields, numbers, first_row)
            targets = [target for (target,) in texts or ()]
        self._values, self._numbers, self._ids, self._targets = values, numbers, ids, targets
