"""Shell completion of ``@path`` operands: file and directory names after the ``@``.

Typer's scripts for bash, zsh and fish call ``nncalc`` back on <Tab>; for a
word that starts with ``@`` this lists the matching entries of its directory
(``@data/`` for a directory), so ``nncalc kl @<Tab>`` completes file names
in every shell without a change to the scripts. A word without ``@`` gets no
candidates here: each shell then completes it as it always did.

When the only match is a directory, its entries are offered instead (and
theirs, while there is only one): the shell then inserts their common part,
``@data/``, with no space after it, and the next <Tab> goes on inside.
"""

from __future__ import annotations

import os
import re

# Characters bash would otherwise read as separators, quotes or patterns.
_BASH_SPECIAL = re.compile(r"""([\s!"#$&'()*;<>?[\\\]`{|}~^])""")

MAX_CANDIDATES = 10_000


def complete_at_path(incomplete: str) -> list[str]:
    """``@``-paths that start with ``incomplete`` (nothing when it has no ``@``)."""
    if not incomplete.startswith("@"):
        return []
    candidates = _entries(incomplete[1:])
    while len(candidates) == 1 and candidates[0].endswith("/"):
        inside = _entries(candidates[0])
        if not inside:
            break
        candidates = inside
    from nncalc.cli.app import COMPLETE_VAR

    bash = os.environ.get(COMPLETE_VAR) == "complete_bash"
    return [_bash_word("@" + path) if bash else "@" + path for path in candidates]


def _entries(typed: str) -> list[str]:
    """Entries of ``typed``'s directory whose names start like its last part.

    A directory ends in ``/``; names starting with ``.`` are offered only
    when the typed name does.
    """
    folder, start = os.path.split(typed)
    try:
        with os.scandir(folder or ".") as scan:
            entries = [
                (entry.name, _is_dir(entry))
                for entry in scan
                if entry.name.startswith(start)
                and (start.startswith(".") or not entry.name.startswith("."))
            ]
    except (OSError, ValueError):
        return []
    entries.sort()
    return [
        os.path.join(folder, name) + ("/" if is_dir else "")
        for name, is_dir in entries[:MAX_CANDIDATES]
    ]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _bash_word(text: str) -> str:
    """``text`` as bash reads it back: its special characters escaped with ``\\``."""
    return _BASH_SPECIAL.sub(r"\\\1", text)
