"""The ``nncalc`` console script: quiet even when Ctrl-C comes during start-up.

Importing the CLI (NumPy, Typer) takes most of a one-liner's time; a Ctrl-C
then would otherwise end in a KeyboardInterrupt traceback, or, when it lands
while a C extension initialises, in an ImportError that swallowed it.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

INTERRUPTED = 130


def main() -> None:
    interrupted = False

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_interrupt)
    # NumPy's OpenBLAS starts a thread per CPU that spins after each call; nncalc
    # multiplies only small matrices (sgd), so one thread does (set before NumPy loads).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        from nncalc.cli.app import app
    except BaseException:
        if interrupted:  # whatever the import turned the interrupt into
            sys.exit(INTERRUPTED)
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    from nncalc.core.parallel import allow_processes

    allow_processes()  # the command owns its process: wide rows run on worker processes
    try:
        app(prog_name="nncalc")
    except KeyboardInterrupt:
        sys.exit(INTERRUPTED)
