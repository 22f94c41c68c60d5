"""A progress bar on stderr while large input files are read.

Shown only when a person is watching and the bar cannot mix with data: the
input is a file (its size is known), stderr is a terminal and stdout is not
(it is redirected to a file or a pipe). Rich is imported only then.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from nncalc.output.environment import Environment

# Smaller files are read in one or two blocks: a bar would only flash.
MIN_BYTES = 8 << 20

_bar: Any = None  # the rich.progress.Progress on screen, if any


def wanted(size: int, *, stderr_terminal: bool, stdout_terminal: bool) -> bool:
    """Whether reading a file of ``size`` bytes shows a bar."""
    return size >= MIN_BYTES and stderr_terminal and not stdout_terminal


def tracker(label: str, stream: BinaryIO, env: Environment | None) -> Callable[[int], None] | None:
    """A callback taking the bytes read from ``stream``, or None when no bar is shown.

    ``env`` says which standard streams are terminals (None: none is).
    """
    if env is None:
        return None
    try:
        size = os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        return None
    if not wanted(size, stderr_terminal=env.stderr_isatty, stdout_terminal=env.stdout_isatty):
        return None
    bar = _start()
    task = bar.add_task(label, total=size)

    def advance(count: int) -> None:
        bar.update(task, advance=count)
        if all(t.finished for t in bar.tasks):
            stop()

    return advance


def _start() -> Any:
    global _bar
    if _bar is None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        _bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(file=sys.stderr),
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        _bar.start()
    return _bar


def stop() -> None:
    """Take the bar off the screen (before an error line, and at the end)."""
    global _bar
    if _bar is not None:
        bar, _bar = _bar, None
        bar.stop()


@contextmanager
def shown_until_done() -> Iterator[None]:
    """Run a command; any bar is gone before its result or error is reported."""
    try:
        yield
    finally:
        stop()
