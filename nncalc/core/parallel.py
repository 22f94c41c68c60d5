"""Row chunks computed on several threads, results in row order.

NumPy releases the GIL in its array loops, so the per-row math of wide rows
(a vocabulary of 128k classes) runs on every core when a chunk of rows is
split into tasks of a few rows each. The split depends only on the rows'
width and :data:`TASK_VALUES`, never on the number of threads, so a result
is the same bit for bit on one thread or many; each task's temporaries
(about a dozen arrays of its size) stay within the CPU's caches.

:func:`settings` changes the number of threads or the task size for a
block (tests force several tasks on small data, or a single thread).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from nncalc.errors import NncalcError

if TYPE_CHECKING:  # imported when first needed: concurrent.futures costs start-up time
    from concurrent.futures import Future, ThreadPoolExecutor

__all__ = [
    "PROCESS_VALUES",
    "TASK_VALUES",
    "allow_processes",
    "in_worker",
    "located",
    "map_rows",
    "process_values",
    "reuse_freed_memory",
    "settings",
    "task_rows",
    "task_values",
    "threads",
]

T = TypeVar("T")

# Values of a task: 128k float64 (1 MB, about a row of a 128,256-class vocabulary);
# smaller tasks keep their temporaries in cache (measured: 2 MB tasks 5-10% slower).
TASK_VALUES = 1 << 17

# Never more threads than this by default, whatever the number of CPUs.
MAX_THREADS = 8

# Calls over at least this many values run on worker processes where the command
# line allows them (nncalc.core.processes): a tensor file's chunk of 1M values.
PROCESS_VALUES = 1 << 19


class _Settings:
    threads: int | None = None  # None: the CPUs this process may use, up to MAX_THREADS
    task_values: int = TASK_VALUES
    process_values: int | None = None  # None: never on processes (a library's default)


_SETTINGS = _Settings()
_POOL: ThreadPoolExecutor | None = None
_POOL_SIZE = 0


def threads() -> int:
    """The number of threads :func:`map_rows` uses."""
    if _SETTINGS.threads is not None:
        return _SETTINGS.threads
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_THREADS, cpus))


def process_values() -> int | None:
    """The least values of a call that runs on worker processes; None: never."""
    return _SETTINGS.process_values


def task_values() -> int:
    """Values of a task (see :func:`task_rows`)."""
    return _SETTINGS.task_values


def task_rows(columns: int) -> int:
    """Rows of a task for rows of ``columns`` values: about ``task_values`` values."""
    return max(1, _SETTINGS.task_values // max(1, columns))


@contextmanager
def settings(
    *,
    threads: int | None = None,
    task_values: int | None = None,
    process_values: int | None = None,
) -> Iterator[None]:
    """Use ``threads`` threads and tasks of ``task_values`` values within the block.

    With ``process_values``, calls of :func:`nncalc.core.processes.map_kernel`
    over at least that many values run on worker processes (0: none do).
    """
    saved = (_SETTINGS.threads, _SETTINGS.task_values, _SETTINGS.process_values)
    if threads is not None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        _SETTINGS.threads = threads
    if task_values is not None:
        if task_values < 1:
            raise ValueError("task_values must be at least 1")
        _SETTINGS.task_values = task_values
    if process_values is not None:
        _SETTINGS.process_values = process_values or None
    try:
        yield
    finally:
        _SETTINGS.threads, _SETTINGS.task_values, _SETTINGS.process_values = saved


def in_worker() -> None:
    """In a forked worker process: the parent's thread pool did not come along; one thread."""
    global _POOL, _POOL_SIZE
    _POOL, _POOL_SIZE = None, 0
    _SETTINGS.threads = 1


def allow_processes(values: int = PROCESS_VALUES) -> None:
    """Let calls over at least ``values`` values run on worker processes (the command line's)."""
    _SETTINGS.process_values = values


def _pool(size: int) -> ThreadPoolExecutor:
    """The shared pool of ``size`` threads (made again when the size changes).

    Called from the thread that runs :func:`map_rows`, never from a task.
    """
    global _POOL, _POOL_SIZE
    if _POOL is None or size != _POOL_SIZE:
        from concurrent.futures import ThreadPoolExecutor

        if _POOL is not None:
            _POOL.shutdown(wait=True)
        _POOL = ThreadPoolExecutor(size, thread_name_prefix="nncalc")
        _POOL_SIZE = size
    return _POOL


def map_rows(function: Callable[[slice], T], rows: int, columns: int) -> list[T]:
    """``function(part)`` for consecutive slices ``part`` covering ``rows`` rows, in order.

    Each slice has :func:`task_rows` rows (the last may have fewer). The
    tasks run on :func:`threads` threads; ``function`` must only read shared
    data. An :class:`NncalcError` whose row is relative to its slice is
    moved to the row of the whole; when several tasks fail, the error of
    the first failing slice is raised.
    """
    step = task_rows(columns)
    parts = [slice(start, min(start + step, rows)) for start in range(0, rows, step)]
    count = threads()
    if count <= 1 or len(parts) <= 1:
        return [located(function, part) for part in parts]
    pool = _pool(count)
    futures: list[Future[T]] = [pool.submit(located, function, part) for part in parts]
    try:
        return [future.result() for future in futures]
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def located(function: Callable[[slice], T], part: slice) -> T:
    """``function(part)``, its NncalcError moved to the row of the whole."""
    try:
        return function(part)
    except NncalcError as error:
        raise error.located(row_offset=part.start) from None


# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_TUNED: list[bool] = []


# Chunks of at least this many values are worth tuning the allocator for.
LARGE_CHUNK = 1 << 18


def reuse_freed_memory(values: int = LARGE_CHUNK) -> None:
    """Have glibc's malloc keep freed arrays for reuse instead of returning them to the OS.

    By default an array of more than a few hundred kB is mapped fresh and
    unmapped when freed, so every temporary of a task pays a page fault per
    4 kB page (as much system time as the math itself on wide rows). Arrays
    up to 32 MB then come from the heap, and up to 512 MB of free heap is
    kept: peak memory is the same, only reused. For the command line, which
    owns its process (a library leaves its host's allocator alone): once per
    process, when a chunk of ``values`` values reaches LARGE_CHUNK; a no-op
    where the C library has no mallopt.
    """
    if _TUNED or values < LARGE_CHUNK:  # small inputs: not even import ctypes
        return
    _TUNED.append(True)
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
        mallopt(_M_MMAP_THRESHOLD, 32 << 20)
        mallopt(_M_TRIM_THRESHOLD, 512 << 20)
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows)
        pass
