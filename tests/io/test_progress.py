"""When the progress bar is shown."""

from __future__ import annotations

import pytest

from nncalc.io import progress


@pytest.mark.parametrize(
    ("size", "stderr_terminal", "stdout_terminal", "shown"),
    [
        (progress.MIN_BYTES, True, False, True),
        (progress.MIN_BYTES * 10, True, False, True),
        (progress.MIN_BYTES - 1, True, False, False),
        (progress.MIN_BYTES, False, False, False),
        (progress.MIN_BYTES, True, True, False),
        (progress.MIN_BYTES, False, True, False),
    ],
)
def test_when_the_bar_is_shown(
    size: int, stderr_terminal: bool, stdout_terminal: bool, shown: bool
) -> None:
    assert (
        progress.wanted(size, stderr_terminal=stderr_terminal, stdout_terminal=stdout_terminal)
        is shown
    )
