"""Text from the data, made safe for each sink.

Labels, CSV header names and config strings are untrusted: they must never
become Rich markup, terminal control sequences, extra lines of a
``name=value`` record or extra CSV rows. Every sink passes such text
through the one function here for its kind of output:

- tables (Rich): :func:`for_table` -- markup escaped, control characters
  shown as visible escapes (``\\x1b``, ``\\n``);
- plain ``name=value`` lines: :func:`for_record_name` and
  :func:`for_record_value` -- a name holds no ``=``, neither holds a line
  break or any other control character;
- CSV: :func:`csv_row` -- the :mod:`csv` module's quoting, plus the same
  visible escapes, so a row is always one line and prints harmlessly;
- JSON: ``json.dumps`` with its default ``ensure_ascii=True`` is already
  safe (every control and non-ASCII character becomes ``\\uXXXX``); no
  function is needed, but ``ensure_ascii=False`` must not be used on data.

A visible escape is written like a Python string escape: ``\\n``, ``\\r``,
``\\t``, ``\\xNN`` below U+0100 and ``\\uNNNN`` above. Backslashes already in
the text are left as they are (so ``\\x1b`` typed as four characters and a
real ESC look alike: this is for display, not a reversible encoding).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# Characters that move the cursor, end a line, or change how text is shown:
# C0 controls (NUL..US, including ESC), DEL, C1 controls (U+0080..U+009F:
# a terminal may take U+009B as CSI and U+0085 as a line end), the Unicode
# line and paragraph separators (str.splitlines ends lines at them) and the
# bidirectional overrides and isolates (they reorder the text around them).
_CONTROLS = [
    *range(0x00, 0x20),
    0x7F,
    *range(0x80, 0xA0),
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]


def _visible(code: int) -> str:
    char = chr(code)
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_ESCAPES = {code: _visible(code) for code in _CONTROLS}
_NAME_ESCAPES = {**_ESCAPES, ord("="): "\\x3d"}


def visible_controls(text: str) -> str:
    """``text`` with each control character replaced by its visible escape."""
    return text.translate(_ESCAPES)


def for_table(text: str) -> str:
    """``text`` for a cell, title or header of a Rich table, shown literally.

    Rich markup is escaped (``[bold]`` stays the six characters, a
    ``[link=...]`` makes no hyperlink) and control characters become
    visible escapes, so nothing from the data reaches the terminal as a
    control sequence. Rich is imported here, when a table is drawn.

    The result is the markup of a whole cell, title or header: a trailing
    backslash stays one backslash (``rich.markup.escape`` doubles it, for
    markup that follows it directly, which would show two). To put markup
    right after it, put a space between.
    """
    from rich.markup import escape

    shown = visible_controls(text)
    escaped = escape(shown)
    if escaped.endswith("\\\\") and not shown.endswith("\\\\"):
        escaped = escaped[:-1]
    return escaped


def for_record_value(text: str) -> str:
    """The value of a plain ``name=value`` line: one line, no control characters.

    Newlines, carriage returns and every other control character become
    visible escapes, so a value can never add a line. ``=`` is kept: the
    value is everything after the line's first ``=``.
    """
    return visible_controls(text)


def for_record_name(text: str) -> str:
    """The name of a plain ``name=value`` line: as :func:`for_record_value`, and ``=`` -> ``\\x3d``.

    So the line's first ``=`` is always the one between name and value.
    """
    return text.translate(_NAME_ESCAPES)


def csv_row(cells: Iterable[object]) -> str:
    """One CSV line (ending in ``\\n``) of ``cells``, quoted by the :mod:`csv` module.

    Text cells have their control characters made visible first, so a
    line break inside a label stays inside its cell as ``\\n`` and the
    row is one line; commas and quotes are quoted the CSV way. Other
    cells are written as ``str()`` writes them.
    """
    buffer = io.StringIO()
    shown = [visible_controls(cell) if isinstance(cell, str) else cell for cell in cells]
    csv.writer(buffer, lineterminator="\n").writerow(shown)
    return buffer.getvalue()
