"""The terminal a run talks to: which standard streams are terminals, colour, width.

One :class:`Environment` is made per run (by the command line, from the real
process) and handed to everything that decides between a table and plain
text, draws colour or a progress bar, or asks for an omitted operand. Tests
build one with the TTY-ness they want instead of patching globals, as
httpie's ``context.Environment`` allows.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NamedTuple


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed, detached or None
        return False


class Environment(NamedTuple):
    """What a run knows about its terminal, decided once (an immutable value).

    ``width`` is the number of columns tables may use; None lets Rich
    measure the terminal (``COLUMNS``, then the window size). ``no_color``
    follows the ``NO_COLOR`` convention: any non-empty value. Build it with
    keywords: ``Environment(stdout_isatty=True)``.
    """

    stdin_isatty: bool = False
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    no_color: bool = False
    width: int | None = None

    @classmethod
    def from_process(cls) -> Environment:
        """The environment of this process, as its standard streams are now."""
        return cls(
            stdin_isatty=_isatty(sys.stdin),
            stdout_isatty=_isatty(sys.stdout),
            stderr_isatty=_isatty(sys.stderr),
            no_color=os.environ.get("NO_COLOR", "") != "",
        )
