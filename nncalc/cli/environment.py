"""The run's :class:`~nncalc.output.environment.Environment`: made once, read by the pipeline.

The app makes one per run (from the process, or the one a test passes as
``environment=``) and sets it here for the run's duration; the pipeline
hands it down to the reader and the writers explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from nncalc.output.environment import Environment

__all__ = ["Environment", "current", "running"]

_current: ContextVar[Environment | None] = ContextVar("nncalc_environment", default=None)


def current() -> Environment:
    """The environment of the run in progress (outside a run: the process's own)."""
    env = _current.get()
    return Environment.from_process() if env is None else env


@contextmanager
def running(env: Environment) -> Iterator[Environment]:
    """Make ``env`` the run's environment until the block ends."""
    token = _current.set(env)
    try:
        yield env
    finally:
        _current.reset(token)
