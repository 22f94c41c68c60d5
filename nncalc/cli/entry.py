"""The ``nncalc`` console script: quiet even when Ctrl-C comes during start-up.

Importing the CLI (NumPy, Typer) takes most of a one-liner's time; a Ctrl-C
then would otherwise end in a KeyboardInterrupt traceback.
"""

from __future__ import annotations

import sys

INTERRUPTED = 130


def main() -> None:
    try:
        from nncalc.cli.app import app

        app(prog_name="nncalc")
    except KeyboardInterrupt:
        sys.exit(INTERRUPTED)
