"""Lines -> records of fields: split at the separator, or read as RFC 4180 CSV.

Lines without a double quote are split at the separator (fields stripped of
surrounding spaces). Lines with one are read by the standard library's
``csv`` module (RFC 4180): quoted fields, doubled quotes (``""``),
separators and line breaks inside quotes; a quoted record may span lines.
Between records, blank lines and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter

from nncalc.errors import NncalcError
from nncalc.io.tokens import MAX_LINE_CHARS, split_line


class Records:
    """The records of some lines: their fields and line numbers.

    ``used`` lines were read (whole records and skipped lines); when the
    lines end inside a quoted field, ``open_at`` is the index of the line
    where that record starts (it is not in ``rows``). ``error`` is a
    malformed record after ``rows`` (its row counted from the first of them).
    """

    def __init__(self) -> None:
        self.numbers: list[int] = []
        self.rows: list[list[str]] = []
        self.used = 0
        self.open_at: int | None = None
        self.error: NncalcError | None = None


def data_line(raw: str, number: int) -> str:
    """A line stripped, or '' for a blank or comment line."""
    line = raw.strip()
    if number == 1:
        line = line.lstrip("\ufeff").strip()
    return "" if line.startswith("#") else line


class _Feeder(Iterator[str]):
    """Lines for ``csv.reader``, from line ``at`` on: the first of a record is
    given as ``first`` (stripped), the lines it continues on as they are."""

    def __init__(self, lines: list[str], separator: str | None) -> None:
        self.lines = lines
        self.whitespace = separator is None
        self.at = 0
        self.first: str | None = None
        self.exhausted = False

    def __next__(self) -> str:
        if self.at == len(self.lines):
            self.exhausted = True
            raise StopIteration
        if self.first is not None:
            line, self.first = self.first, None
        else:
            # Spaces at a line end are dropped, inside quotes too: a space
            # after a closing quote must not make the record malformed.
            line = self.lines[self.at].rstrip()
        self.at += 1
        if self.whitespace:
            line = line.replace("\t", " ")
        return line + "\n"


def _dialect(separator: str | None) -> dict[str, object]:
    return {
        "delimiter": separator or " ",
        "quotechar": '"',
        "doublequote": True,
        "skipinitialspace": True,  # "a, b" and runs of spaces when separated by spaces
        "strict": True,
    }


def quoted_records(
    lines: list[str],
    first_number: int,
    separator: str | None,
    limit: int | None = None,
    begin: int = 0,
) -> Records:
    """Up to ``limit`` records of ``lines[begin:]`` (the first is line ``first_number``).

    A record whose first line holds a double quote is read as CSV (RFC 4180)
    and may go on over the next lines; any other is split at the separator.
    Reading stops at a malformed record (``Records.error``).
    """
    import csv  # only for input with quotes: not on every start-up

    feeder = _Feeder(lines, separator)
    reader = csv.reader(feeder, **_dialect(separator))  # type: ignore[arg-type]
    records = Records()
    number = first_number - begin  # the line number of lines[0]
    index = begin
    while index < len(lines) and (limit is None or len(records.rows) < limit):
        line = data_line(lines[index], number + index)
        if not line:
            index += 1
            continue
        if '"' not in line:
            records.numbers.append(number + index)
            records.rows.append(split_line(line, separator))
            index += 1
            continue
        feeder.at, feeder.first = index, line
        try:
            fields = next(reader)
        except csv.Error as error:
            if feeder.exhausted:  # the lines end inside a quoted field
                records.open_at = index - begin
                break
            records.error = NncalcError(
                f"bad quoting ({error})",
                row=len(records.rows) + 1,
                line=number + index,
                hint='a quoted field ends at its closing quote; write a quote inside one as ""',
            )
            break
        if sum(map(len, lines[index : feeder.at])) > MAX_LINE_CHARS:
            records.error = too_long_record(number + index)
            break
        records.numbers.append(number + index)
        records.rows.append([field.strip() for field in fields])
        index = feeder.at
    records.used = index - begin
    return records


def too_long_record(line: int) -> NncalcError:
    return NncalcError(
        f"the quoted record on line {line} runs past {MAX_LINE_CHARS:,} characters",
        hint="is a quote not closed?",
    )


def read_records(
    lines: list[str],
    first_number: int,
    separator: str | None,
    limit: int | None = None,
    *,
    quoted: bool,
    begin: int = 0,
) -> Records:
    """Up to ``limit`` records of ``lines[begin:]``: read as CSV when ``quoted``
    (they may hold a quote), else each line split at the separator."""
    if quoted:
        return quoted_records(lines, first_number, separator, limit, begin)
    records = Records()
    number = first_number - begin
    for index in range(begin, len(lines)):
        if limit is not None and len(records.rows) == limit:
            records.used = index - begin
            return records
        line = data_line(lines[index], number + index)
        if line:
            records.numbers.append(number + index)
            records.rows.append(split_line(line, separator))
    records.used = len(lines) - begin
    return records


def pick_fields(
    lines: list[str], separator: str, fields: int, columns: list[int]
) -> list[tuple[str, ...]]:
    """Fields ``columns`` (0-based) of lines of ``fields`` fields without quotes,
    stripped; each line is split only as far as the columns need, from the
    nearer end (an id first, a label last)."""
    last, first = max(columns), min(columns)
    if last < fields - first:
        cuts = last + 1
        parts = [line.split(separator, cuts) for line in lines]
        at = columns
    else:
        cuts = fields - first
        parts = [line.rsplit(separator, cuts) for line in lines]
        at = [column - fields for column in columns]
    if len(at) == 1:
        (one,) = at
        return [(part[one].strip(),) for part in parts]
    get = itemgetter(*at)
    return [tuple(map(str.strip, get(part))) for part in parts]
