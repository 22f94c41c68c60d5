"""Which columns of a table hold what: class values, ids, the target.

A column spec (``--columns``, ``--id``, ``--target-col``) is a
comma-separated list of items, as csvkit's ``-c`` and ``cut -f`` take them:

- ``3``: the third column (positions count from 1; digits are always a position);
- ``3-12``, ``3-``, ``-4``: a range of positions (both ends included);
- ``p_*``, ``logit_?``: every column whose name matches the glob, in file order;
- ``cat``: the column of that name; a name holding a comma is written in
  double quotes (``'"a,b",c'``), and a quoted item is always a name
  (``'"3"'``: the column named 3; ``'"p_*"'``: no glob).

Names need a header; positions work with or without one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from nncalc.errors import NncalcError, plural

RANGE = re.compile(r"(\d*)-(\d*)", re.ASCII)


POSITION = re.compile(r"\d+", re.ASCII)


CLASS_INDEX = re.compile(r"(\d+)(?:\.0*)?", re.ASCII)


GLOB_CHARS = frozenset("*?[")


def shown_names(names: Sequence[str], limit: int = 6) -> str:
    """The first few names, for a message."""
    listed = ", ".join(repr(name) for name in names[:limit])
    return listed + (", ..." if len(names) > limit else "")


class ColumnPlan:
    """The columns of a table by role, 0-based: ``values`` (the classes, in the
    order asked for), ``ids``, ``target``; every row has ``fields`` columns."""

    def __init__(self, values: list[int], ids: list[int], target: int | None, fields: int) -> None:
        self.values = values
        self.ids = ids
        self.target = target
        self.fields = fields
        # Whether every column is a class value, in file order (asked of every block).
        self.plain = not ids and target is None and values == list(range(fields))


def id_specs(
    specs: tuple[Sequence[str], str | None], primary: ColumnPlan | None, headless: bool, fields: int
) -> tuple[Sequence[str], str | None]:
    """The --id and --target-col ``specs`` of one input.

    A second input is told the primary's columns by name (so that a
    position never picks another file's class); without a header, and as
    wide as the primary, it is the same table: it leaves out the primary's
    positions instead.
    """
    if not headless or primary is None or primary.fields != fields:
        return specs
    target = None if primary.target is None else str(primary.target + 1)
    return tuple(str(column + 1) for column in primary.ids), target


class Columns:
    """Resolves column specs against one input's header (``names``) or width."""

    def __init__(
        self, operand: str, names: list[str] | None, fields: int, note: str | None = None
    ) -> None:
        self.operand = operand
        self.names = names
        self.fields = fields
        self.note = note  # why there is no header (the first line was read as data)

    def _error(self, message: str, item: str, hint: str | None = None) -> NncalcError:
        return NncalcError(message, operand=self.operand, token=item, hint=hint)

    def resolve(self, spec: str, option: str) -> list[int]:
        """The 0-based columns a spec selects, in its order; each at most once."""
        items = spec_items(spec)
        if any(not item for item, _ in items):
            raise self._error(f"{option} has an empty item", spec)
        chosen: list[int] = []
        for item, quoted in items:
            for column in self._item(item, option, quoted):
                if column in chosen:
                    raise self._error(f"{option} selects {self.describe(column)} twice", item)
                chosen.append(column)
        return chosen

    def describe(self, column: int) -> str:
        if self.names is None:
            return f"column {column + 1}"
        return f"column {column + 1} ({self.names[column]!r})"

    def _item(self, item: str, option: str, quoted: bool = False) -> list[int]:
        if quoted:
            return self._named(item, option)
        if POSITION.fullmatch(item):
            return [self._position(int(item), item, option)]
        span = RANGE.fullmatch(item)
        if span is not None and item != "-":
            first = self._position(int(span[1]) if span[1] else 1, item, option)
            last = self._position(int(span[2]) if span[2] else self.fields, item, option)
            if last < first:
                raise self._error(f"{option}: the range ends before it starts", item)
            return list(range(first, last + 1))
        names = self._names(item, option)
        if GLOB_CHARS.intersection(item):
            from fnmatch import fnmatchcase

            matched = [i for i, name in enumerate(names) if fnmatchcase(name, item)]
            if not matched:
                hint = f"the columns are {shown_names(names)}"
                raise self._error(f"{option}: no column name matches", item, hint)
            return matched
        return self._named(item, option)

    def _named(self, item: str, option: str) -> list[int]:
        """The one column whose header name is ``item``."""
        names = self._names(item, option)
        found = [i for i, name in enumerate(names) if name == item]
        if not found:
            hint = f"the columns are {shown_names(names)}"
            raise self._error(f"{option} names no column of the header", item, hint)
        if len(found) > 1:
            where = " and ".join(str(i + 1) for i in found)
            raise self._error(f"{option}: columns {where} have this name", item)
        return found

    def _position(self, number: int, item: str, option: str) -> int:
        if number == 0:
            raise self._error(f"{option}: columns are numbered from 1", item)
        if number > self.fields:
            message = f"{option}: there is no column {number} (the input has {self.fields})"
            raise self._error(message, item)
        return number - 1

    def _names(self, item: str, option: str) -> list[str]:
        if self.names is None:
            hint = self.note or "give positions (1, 3-5) instead"
            raise self._error(f"{option} names a column, but the input has no header", item, hint)
        return self.names

    def plan(
        self,
        columns: str | None,
        ids: Sequence[str],
        target_col: str | None,
        *,
        optional: bool = False,
    ) -> ColumnPlan:
        """Where the values, ids and target are; every other column is ignored
        when ``columns`` is given, and is a class value when it is not.

        ``optional``: an ``ids`` or ``target_col`` spec this input lacks is
        left out rather than an error (an operand paired with the one the
        ids and targets come from: only its classes are read).
        """
        id_columns: list[int] = []
        for spec in ids:
            for column in self._optional(spec, "--id", optional):
                if column not in id_columns:
                    id_columns.append(column)
        target = None
        if target_col is not None and (
            chosen := self._optional(target_col, "--target-col", optional)
        ):
            if len(chosen) != 1:
                raise self._error("--target-col must name one column", target_col)
            target = chosen[0]
            if target in id_columns:
                raise self._error(
                    f"{self.describe(target)} is both an --id and the target", target_col
                )
        if columns is None:
            values = [i for i in range(self.fields) if i not in id_columns and i != target]
            if not values:
                raise self._error(
                    "no class columns are left (every column is an id or the target)", ""
                )
        else:
            values = self.resolve(columns, "--columns")
            for column in values:
                if column in id_columns or column == target:
                    role = "the target" if column == target else "an --id"
                    raise self._error(
                        f"{self.describe(column)} is both a class column and {role}", columns
                    )
        plan = ColumnPlan(values, id_columns, target, self.fields)
        if self.names is not None:
            self.check_class_names(values, explicit=columns is not None)
        return plan

    def _optional(self, spec: str, option: str, optional: bool) -> list[int]:
        """:meth:`resolve`; when ``optional``, nothing for a spec this input lacks."""
        try:
            return self.resolve(spec, option)
        except NncalcError:
            if optional:
                return []
            raise

    def check_class_names(self, values: list[int], *, explicit: bool) -> None:
        """Class names are given and unique: an empty or repeated one is an error."""
        assert self.names is not None
        seen: dict[str, int] = {}
        for column in values:
            name = self.names[column]
            if not name:
                raise NncalcError(
                    f"column {column + 1} of the header has no name",
                    operand=self.operand,
                    hint=self._unnamed_hint(column, explicit),
                )
            if name in seen:
                first = seen[name] + 1
                raise NncalcError(
                    f"column {column + 1} of the header repeats the name of column {first}",
                    operand=self.operand,
                    token=name,
                    hint="class names must differ; pick the columns with --columns",
                )
            seen[name] = column
        return None

    def _unnamed_hint(self, column: int, explicit: bool) -> str:
        assert self.names is not None
        if column == 0 and not explicit and self.fields > 1 and all(self.names[1:]):
            rest = self.names[1:]
            listed = ",".join(rest) if len(rest) <= 4 and all("," not in n for n in rest) else ""
            pick = listed if listed and len(listed) <= 40 else f"2-{self.fields}"
            return (
                "pandas' df.to_csv() writes its unnamed index this way: "
                f"pass --columns {pick}, or --id 1 to carry it"
            )
        return "name every class column, or leave this one out with --columns"


def spec_items(spec: str) -> list[tuple[str, bool]]:
    """The comma-separated items of a column spec, each with whether it was
    written in double quotes. Quotes protect a comma (``""`` is a quote), and
    a quoted item is always a name: ``'"3"'`` is the column named 3, never
    the third column, and ``'"p_*"'`` no glob."""
    items: list[tuple[str, bool]] = []
    field: list[str] = []
    quoted = in_quotes = False
    index = 0
    while index < len(spec):
        char = spec[index]
        if in_quotes:
            if char == '"' and spec.startswith('"', index + 1):
                field.append('"')
                index += 1
            elif char == '"':
                in_quotes = False
            else:
                field.append(char)
        elif char == ",":
            items.append(("".join(field).strip(), quoted))
            field, quoted = [], False
        elif char == '"' and not "".join(field).strip():
            field, in_quotes, quoted = [], True, True
        else:
            field.append(char)
        index += 1
    items.append(("".join(field).strip(), quoted))
    return items


def class_indices(
    targets: Sequence[str], names: Sequence[str] | None, classes: int
) -> npt.NDArray[np.int64]:
    """Class targets as 0-based indices: each an index (``2``) or a class name (``dog``).

    Digits are always an index. A name is looked up in ``names`` (the class
    columns' header). Errors name the row (1-based, within ``targets``).
    """
    lookup = {name: index for index, name in enumerate(names or ())}
    indices = np.empty(len(targets), dtype=np.int64)
    for row, target in enumerate(targets):
        number = CLASS_INDEX.fullmatch(target)
        if number is not None:
            index = int(number[1])
            if index >= classes:
                count = plural(classes, "class", "classes")
                message = f"class index {index} is out of range ({count}, from 0)"
                raise NncalcError(message, row=row + 1, token=target)
        elif target in lookup:
            index = lookup[target]
        else:
            hint = f"the classes are {shown_names(list(lookup))}" if lookup else None
            if hint is None:
                hint = "give class indices (0, 1, ...), or class names with a header"
            raise NncalcError("not a class index or name", row=row + 1, token=target, hint=hint)
        indices[row] = index
    return indices
