"""Plain lines of numbers parsed a whole read at once, with no Python string per line.

The fast path of narrow input (one value a line, or a few): the text of a
read goes to NumPy's C reader as it is, not split into lines first. The rows
it gives are handed out a block (CHUNK_ROWS) at a time. Whenever NumPy
refuses the text, or gives fewer rows than it has lines (blank lines), the
reader splits the text into lines and reads them the usual way, which words
the exact error; after blank lines (but for those that end a text) it keeps
to that way for the rest of the input.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from nncalc.core import parallel, processes
from nncalc.core.arrays import FloatArray
from nncalc.io import polars_text
from nncalc.io.textlines import LineSource
from nncalc.io.tokens import MAX_ROW_VALUES

FLOAT64 = np.dtype(np.float64)


def _c_reader() -> Callable[..., Any] | None:
    """The C function under ``np.loadtxt``, which also reads a file object in
    chunks (``loadtxt`` itself does so only for a file it opens by name and
    iterates anything else a line, a Python string, at a time); None when
    this NumPy has no such function."""
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        reader = getattr(sys.modules.get(name), "_load_from_filelike", None)
        if callable(reader):
            return cast(Callable[..., Any], reader)
    return None


C_READER = _c_reader()


class WholeText:
    """A file object whose first read gives the whole text, then ''.

    NumPy's reader parses whatever a read returns, however much it asked
    for; ``io.StringIO`` would copy the text into 4 bytes a character and
    back, a read at a time (a quarter of the parse's time on narrow lines).
    """

    def __init__(self, text: str) -> None:
        self._text = text

    def read(self, size: int = -1) -> str:
        text, self._text = self._text, ""
        return text


# Texts of at least this many characters are parsed in pieces on the worker
# processes too, where the command line allows them: NumPy's reader holds the
# GIL for a whole read, so threads could not share it.
PIECE_CHARACTERS = 1 << 19


def load_text(text: str, separator: str | None, width: int) -> FloatArray | None:
    """The rows of a text of whole lines, ``width`` values each, read as
    ``np.loadtxt`` reads them (no comments, no quotes); None when it refuses,
    when the rows are not ``width`` wide, or when NumPy lacks the C reader.
    Blank lines give no row: callers compare the rows with the lines.

    A long text is cut at line ends into a piece per process, parsed on
    the worker processes and here (see nncalc.core.processes), and the
    rows joined in order: the same rows as one parse, since each line is
    parsed on its own."""
    if C_READER is None or width > MAX_ROW_VALUES:
        return None
    if processes.wanted(len(text), 2 * PIECE_CHARACTERS):
        data = np.frombuffer(text.encode(), dtype=np.uint8)
        pieces = _pieces(data, parallel.threads())
        if len(pieces) > 1:
            parsed = processes.map_kernel(
                _parse_piece, [data], (separator, width), task_values=PIECE_CHARACTERS, parts=pieces
            )
            if any(rows is None for rows in parsed):
                return None
            return np.concatenate([rows for rows in parsed if rows is not None])
    return _parse(text, separator, width)


# A cut looks for line ends this near its share first (lines are short: a
# scan of the whole text would cost a third of a narrow parse's time).
NEAR_CUT = 1 << 14


def _pieces(data: npt.NDArray[np.uint8], count: int) -> list[tuple[int, int]]:
    """Up to ``count`` pieces of about equal size, each of whole lines: cut at
    the line end nearest each equal share (so two lines of 1 MB are two pieces)."""
    cuts = {_nearest_end(data, len(data) * k // count) for k in range(1, count)}
    bounds = [0, *sorted(cut for cut in cuts if 0 < cut < len(data)), len(data)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _nearest_end(data: npt.NDArray[np.uint8], share: int) -> int:
    """The end of the line (just after its "\\n") nearest ``share``; 0 for none.

    Looked for within NEAR_CUT of the share, then (long lines) in the whole text."""
    for low, high in ((max(0, share - NEAR_CUT), share + NEAR_CUT), (0, len(data))):
        ends = np.flatnonzero(data[low:high] == 10) + low + 1
        ends = ends[ends < len(data)]  # a cut leaves some text after it
        if len(ends):
            return int(ends[np.argmin(np.abs(ends - share))])
    return 0


def _parse_piece(piece: npt.NDArray[np.uint8], separator: str | None, width: int) -> Any:
    """A piece of text (bytes of whole lines) parsed as :func:`load_text` parses.

    A piece of blank lines only gives no row, as those lines give in a whole text."""
    text = piece.tobytes().decode()
    if not text.strip("\r\n"):
        return np.empty((0, width))
    return _parse(text, separator, width)


def _parse(text: str, separator: str | None, width: int) -> FloatArray | None:
    if C_READER is None:
        return None
    try:
        values: FloatArray = C_READER(
            WholeText(text),
            delimiter=separator,
            comment=None,
            quote=None,
            imaginary_unit="j",
            usecols=None,
            skiplines=0,
            max_rows=-1,
            converters=None,
            dtype=FLOAT64,
            encoding=None,
            filelike=True,
            byte_converters=False,
        )
    except (ValueError, TypeError):  # TypeError: a NumPy whose reader takes other arguments
        return None
    if values.ndim != 2 or values.shape[1] != width:
        return None
    return values


class TextRows:
    """Rows parsed from whole reads of ``source``, not handed out yet."""

    def __init__(self, source: LineSource) -> None:
        self.source = source
        self.enabled = C_READER is not None  # False once blank lines are met
        self._values: FloatArray | None = None
        self._line = 0  # the line number of the first row of _values
        self._characters = 0  # read so far

    @property
    def waiting(self) -> bool:
        """Whether rows are parsed and not handed out."""
        return self._values is not None

    def read(self, separator: str | None, width: int, block: int) -> bool:
        """Parse the whole lines read and not handed out (reading when there
        are none) as rows ``width`` wide. False, with nothing read, when they
        are not plain lines of numbers: the source then hands them out as
        lines (``read_block``)."""
        if not self.enabled:
            return False
        text = self.source.peek_text(block)
        if text is None:
            return False
        self._characters += len(text)
        values = None
        polars = polars_text.loaded(separator, width, self._characters)
        if polars is not None:
            values = polars_text.parse(polars, text, separator, width)
        if values is None:
            values = load_text(text, separator, width)
        # Fewer rows than lines: blank lines. Those at the end of the text
        # give no row either way; others are looked for line by line.
        if (
            values is not None
            and len(values) != self.source.text_lines
            and text.rstrip("\n").count("\n") + 1 != len(values)
        ):
            self.enabled = False
            values = None
        if values is None:
            self.source.split_text()
            return False
        self._line = self.source.line_number + 1
        self.source.take_text()
        self._values = values
        return True

    def take(self, rows: int) -> tuple[FloatArray, range]:
        """The next ``rows`` rows (fewer at the end) and their line numbers."""
        assert self._values is not None
        values, rest = self._values[:rows], self._values[rows:]
        self._values = rest if len(rest) else None
        numbers = range(self._line, self._line + len(values))
        self._line += len(values)
        return values, numbers
