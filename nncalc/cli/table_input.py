"""The table options of a command's batch operands: one object, read by the one reader.

``--sep``, ``--header/--no-header``, ``--columns``, ``--id`` and
``--target-col`` (declared once in :mod:`nncalc.cli.options`) become a
:class:`TableInput`. Every text operand whose columns are classes is read
with all of them; the ids and the target come from the *primary* operand
(the first batch among them), and the others leave those columns out when
they have them. Once open, operands with headers are paired by name
(:func:`align_by_name`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from nncalc.errors import NncalcError
from nncalc.io.layout import Options

if TYPE_CHECKING:
    from nncalc.io.chunks import Chunk
    from nncalc.io.operands import Operand


class TableInput:
    """The table options as given (None / empty: guessed from each input)."""

    __slots__ = ("columns", "header", "ids", "sep", "target_col")

    def __init__(
        self,
        sep: str | None = None,
        header: bool | None = None,
        columns: str | None = None,
        ids: Sequence[str] | None = None,
        target_col: str | None = None,
    ) -> None:
        ids = list(ids or [])
        Options(sep, header, columns, ids, target_col)  # a bad --sep fails before any input
        self.sep = sep
        self.header = header
        self.columns = columns
        self.ids = ids
        self.target_col = target_col

    def reader_options(self, *, classes: bool, primary: bool) -> Options:
        """The reader's table options for one text operand.

        ``classes``: its columns are classes (else only --sep and --header
        apply: a file of class indices, say). ``primary``: the ids and the
        target are read from it; other operands may lack those columns.
        """
        if not classes:
            return Options(self.sep, self.header)
        ids, target = self.ids, self.target_col
        return Options(self.sep, self.header, self.columns, ids, target, optional=not primary)

    def options(
        self, texts: Sequence[tuple[str | None, str]], classes: Sequence[int], primary: str | None
    ) -> list[Options]:
        """The reader options of each operand (``classes``: the indices of class operands)."""
        return [
            self.reader_options(classes=index in classes, primary=name == primary)
            for index, (_, name) in enumerate(texts)
        ]


def settle(
    operands: Sequence[Operand],
    class_operands: Sequence[Operand],
    primary: str | None,
    table: TableInput,
) -> None:
    """Once open: ids and target from the primary, class columns paired by name."""
    tensor = next((op for op in class_operands if op.tensor is not None), None)
    if table.columns is not None and tensor is not None:
        raise NncalcError(
            f"picks columns of a text table, and {tensor.name} is a tensor file",
            operand="--columns",
        )
    settle_primary(operands, primary, table)
    align_by_name(class_operands, primary)


def is_batch_text(text: str | None) -> bool:
    """Whether an operand's text names rows to read (stdin or @file), not a literal."""
    return text is None or text == "-" or text.startswith("@")


def primary_operand(texts: Sequence[tuple[str | None, str]], order: Sequence[int]) -> str | None:
    """The name of the operand the ids and target come from: the first batch in ``order``."""
    for index in order:
        text, name = texts[index]
        if is_batch_text(text):
            return name
    return None


def settle_primary(operands: Sequence[Operand], primary: str | None, table: TableInput) -> None:
    """--id and --target-col need a text table to read them from; other
    operands leave out the columns of those names (not positions) when the
    primary has a header, so a position never picks another file's class.
    An operand without a header, as wide as the primary, leaves out the
    same positions (:func:`~nncalc.io.columns.id_specs`)."""
    wanted = "--id" if table.ids else "--target-col" if table.target_col is not None else None
    if wanted is None:
        return
    from nncalc.io.reader import BatchReader

    operand = next((op for op in operands if op.name == primary), None)
    if operand is None:
        raise NncalcError(
            "reads a column of a batch of rows, and every operand is a literal", operand=wanted
        )
    reader = operand.reader
    if not isinstance(reader, BatchReader):
        raise NncalcError(
            f"reads a column of a text table, and {operand.name} is a tensor file",
            operand=wanted,
        )
    reader.start()
    if reader.names is None:
        return
    target = reader.target_name
    for other in operands:
        if other is not operand and isinstance(other.reader, BatchReader):
            options = other.reader.options
            if options.optional and not other.reader.started:
                options.ids = tuple(_spec(name) for name in reader.id_names or ())
                options.target_col = None if target is None else _spec(target)
                options.primary = reader.layout.plan if reader.layout else None


def _spec(name: str) -> str:
    """A column spec of the one column ``name`` (quoted: it may hold a comma)."""
    return '"' + name.replace('"', '""') + '"'


def align_by_name(operands: Sequence[Operand], primary: str | None) -> None:
    """Pair the class columns of text operands by their header names.

    The reference is the primary operand's header (else the first header);
    every other operand with a header reads its class columns in that
    order (different names: an error listing them). A one-column operand
    against several classes holds class indices and is left alone, as is
    an operand without a header (its width must match, as always).
    """
    from nncalc.io.reader import BatchReader

    texts = [op for op in operands if isinstance(op.reader, BatchReader)]
    texts.sort(key=lambda op: op.name != primary)
    headed = [op for op in texts if op.labels is not None]
    if len(headed) < 2:
        return
    reference, *others = headed
    names = reference.labels
    assert names is not None
    for operand in others:
        reader = operand.reader
        assert isinstance(reader, BatchReader) and operand.labels is not None
        if len(operand.labels) == 1 and len(names) > 1:
            continue
        reader.match_classes(names, reference.name)


def output_ids(
    table: TableInput | None, operands: Sequence[Operand], path: str | None = None
) -> list[str] | None:
    """The output's names of the ``--id`` columns (None: no --id): the header's
    names, else id (id1, id2, ... for several). ``path``: the ``-o`` file,
    which holds values only."""
    if table is None or not table.ids:
        return None
    if path is not None:
        raise NncalcError(
            "ids go to the rows printed on stdout; -o files hold the values alone",
            operand="--id",
            hint="print the rows instead, e.g. -f csv > rows.csv",
        )
    from nncalc.io.reader import BatchReader

    for operand in operands:
        reader = operand.reader
        if isinstance(reader, BatchReader):
            reader.start()
        if isinstance(reader, BatchReader) and reader.layout and reader.layout.plan.ids:
            if reader.id_names is not None:
                return list(reader.id_names)
            count = len(reader.layout.plan.ids)
            return ["id"] if count == 1 else [f"id{i}" for i in range(1, count + 1)]
    return None


def row_ids(chunks: Sequence[Chunk]) -> list[tuple[str, ...]] | None:
    """The ``--id`` strings of the chunks' rows (from the operand that has them)."""
    return next((c.ids for c in chunks if c.ids is not None), None)
