"""Row tasks on forked worker processes: every core busy, without the GIL.

The exact kernels make dozens of short NumPy passes over a row, and each pass
takes the GIL back when it ends: two threads hand it to each other so often
that they keep only about 1.15 of 2 cores busy (a 1,024 x 128,256 KL: 2.3 s
on one thread, 2.2 s on two; the same work in two processes took 1.3 s). A
worker process has a GIL of its own. The workers are forked once, on the
first large chunk, and serve chunk after chunk; the calling process computes
too. They read the rows from memory shared with the caller
(:func:`shared_empty`, used for the buffers of tensor files) or, for other
arrays, from a shared staging area the rows are copied into.

Each chunk is split exactly as :func:`~nncalc.core.parallel.map_rows`
splits it (by the rows' width only) and every process claims the next task
from a pipe of task numbers, so the results are the same bit for bit as on
threads, joined in row order. A task that fails in a worker (bad values, or
anything else), and every task of a worker that died, is computed again in
the caller, which raises the error as :func:`map_rows` would: the first
failing task's, located in the chunk.

Opt-in (:func:`~nncalc.core.parallel.settings` with ``process_values``, which
the command line sets): a library leaves its host's processes alone. Linux
only (fork); elsewhere, or when a fork fails, the tasks run on threads.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

from nncalc.core import parallel, shared
from nncalc.core.shared import shared_empty

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["map_kernel", "shared_empty", "start", "wanted"]

T = TypeVar("T")

# Rows of a task travel as their number, 4 bytes, through one pipe.
_TOKEN = 4
# The staging area is at least this large, so that most inputs fit the first.
_STAGING_BYTES = 32 << 20
# After this many new pools (inputs that outgrew the staging area, buffers made
# after the workers were forked), tasks stay on threads.
_MAX_POOLS = 8


_BUSY = threading.Lock()  # held while a thread runs tasks on the pool: one at a time


class _State:
    pool: _Pool | None = None
    pools = 0
    holder: int | None = None  # the thread running tasks on the pool


def wanted(values: int, enough: int | None = None) -> bool:
    """Whether a call over ``values`` values would run on processes (the size rule only).

    ``enough``: a size that suffices for this call's work, when less than
    the configured one (formatting text is costly per value).
    """
    least = parallel.process_values()
    if least is None or _State.pools >= _MAX_POOLS or not _forks():
        return False
    return values >= (least if enough is None else min(least, enough))


def _forks() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork") and parallel.threads() > 1


class _Pool:
    """Worker processes forked together, the regions they know and the task pipe."""

    def __init__(self, workers: int, staging: int) -> None:
        self.connections: list[Connection] = []
        self.pids: list[int] = []
        self.broken = False
        self.claims, self.tasks = os.pipe()
        with shared.LOCK:  # no region made by another thread between these and the fork
            self.staging = shared.region(staging)
            self.known = shared.known()  # regions made before the fork: the workers have them
            self.staging_index = self.known - 1
            try:
                os.set_blocking(self.claims, False)
                for _ in range(workers):
                    self._fork()
            except BaseException:  # no worker, pipe or region left behind
                self.close(kill=True)
                raise

    def _fork(self) -> None:
        from multiprocessing import Pipe

        ours, theirs = Pipe()
        with warnings.catch_warnings():  # Python 3.12+: the worker touches no other thread's state
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the worker: never returns
            try:
                ours.close()
                for connection in self.connections:  # the others' ends: EOF must reach them
                    connection.close()
                os.close(self.tasks)
                _serve(theirs, self.claims)
            finally:
                os._exit(0)  # no atexit, no flush of buffers copied from the caller
        theirs.close()
        self.connections.append(ours)
        self.pids.append(pid)

    def view(self, array: npt.NDArray[Any]) -> tuple[int, int] | None:
        """(region, offset) of a C-contiguous array in a region the workers know, else None."""
        if not array.flags.c_contiguous:
            return None
        return shared.region_of(int(array.ctypes.data), array.nbytes, last=self.known)

    def unknown(self, array: npt.NDArray[Any]) -> bool:
        """Whether ``array`` lies in a shared region made after the workers were forked."""
        return shared.region_of(int(array.ctypes.data), 1, first=self.known) is not None

    def descriptors(
        self, arrays: Sequence[npt.NDArray[Any] | None]
    ) -> list[tuple[int, int, str, tuple[int, ...]] | None] | None:
        """How a worker finds each array: (region, offset, dtype, shape); None if staging is short.

        Arrays outside the shared regions are copied into the staging area.
        """
        result: list[tuple[int, int, str, tuple[int, ...]] | None] = []
        staged = 0
        for array in arrays:
            if array is None:
                result.append(None)
                continue
            where = self.view(array)
            if where is None:
                end = staged + array.nbytes
                if end > len(self.staging):
                    return None
                target = self.staging[staged:end].view(array.dtype).reshape(array.shape)
                np.copyto(target, array)
                where = (self.staging_index, staged)
                staged = -(-end // 64) * 64  # the next array starts aligned
            result.append((*where, array.dtype.str, array.shape))
        return result

    def close(self, *, kill: bool = False) -> None:
        """Close the connections (the workers see EOF and exit) and reap the workers; once.

        With ``kill`` (an abort: Ctrl-C, a failed send) the workers are ended
        at once instead of finishing the tasks they claimed.
        """
        connections, self.connections = self.connections, []
        pids, self.pids = self.pids, []
        pipe, self.claims, self.tasks = (self.claims, self.tasks), -1, -1
        for connection in connections:
            connection.close()
        for end in pipe:
            if end >= 0:
                os.close(end)
        for pid in pids:
            if kill:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        shared.release(self.staging)  # the staging area: its pages go back to the OS


def _claimed(claims: int) -> Iterator[int]:
    """Task numbers taken from the pipe, one at a time, until it is empty."""
    while True:
        try:
            token = os.read(claims, _TOKEN)
        except BlockingIOError:
            return
        if len(token) < _TOKEN:
            return
        yield int.from_bytes(token, "little")


def _serve(connection: Connection, claims: int) -> None:
    """The worker's loop: run the tasks it claims of each chunk, send their results back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    _State.holder = threading.get_ident()  # a kernel's own map_kernel runs here, never on a pool
    parallel.in_worker()  # ... and on this thread: the parent's thread pool is not here
    # The worker may be forked before the caller tuned malloc (the first chunk):
    # without it, each task's temporaries are mapped afresh (10x the page faults).
    parallel.reuse_freed_memory()
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        kernel, descriptors, args, parts = message
        arrays = [None if d is None else _array(*d) for d in descriptors]
        done: list[tuple[int, object]] = []
        for index in _claimed(claims):
            part = slice(*parts[index])
            with contextlib.suppress(Exception):  # the caller computes it again and raises
                done.append((index, kernel(*_sliced(arrays, part), *args)))
        try:
            connection.send(done)
        except Exception:  # a result that does not pickle: the caller computes them all
            connection.send([])


def _array(region: int, offset: int, dtype: str, shape: tuple[int, ...]) -> npt.NDArray[Any]:
    array = shared.array_at(region, offset, dtype, shape)
    array.flags.writeable = False  # the caller's rows: a kernel only reads them
    return array


def _sliced(arrays: Sequence[npt.NDArray[Any] | None], part: slice) -> list[Any]:
    return [None if a is None else a[part] for a in arrays]


def _pool_for(arrays: Sequence[npt.NDArray[Any] | None]) -> _Pool | None:
    """The pool that can run tasks on ``arrays`` (forked again when it cannot), or None."""
    present = [a for a in arrays if a is not None]
    pool = _State.pool
    if pool is not None and not pool.broken and not any(pool.unknown(a) for a in present):
        return pool
    _shutdown()
    return _new_pool(sum(a.nbytes + 64 for a in present))


def _new_pool(needed: int) -> _Pool | None:
    if _State.pools >= _MAX_POOLS:
        return None
    try:
        pool = _Pool(parallel.threads() - 1, max(_STAGING_BYTES, 2 * needed))
    except OSError:  # no fork, no pipe: threads instead
        _State.pools = _MAX_POOLS
        return None
    if _State.pools == 0:
        atexit.register(_shutdown)
    _State.pools += 1
    _State.pool = pool
    return pool


def start(values: int) -> None:
    """Fork the workers now if a call over ``values`` values would use them.

    A reader calls this once its shared buffers exist and before it starts
    a thread of its own, so that the workers are forked from a process
    with no other thread running.
    """
    if _State.pool is None and wanted(values):
        _new_pool(0)


def _shutdown(*, kill: bool = False) -> None:
    pool, _State.pool = _State.pool, None
    if pool is not None:
        pool.close(kill=kill)


def map_kernel(
    kernel: Callable[..., T],
    arrays: Sequence[npt.NDArray[Any] | None],
    args: tuple[object, ...] = (),
    *,
    task_values: int | None = None,
    parts: Sequence[tuple[int, int]] | None = None,
) -> list[T]:
    """``kernel(*(a[part] for a in arrays), *args)`` over the slices of :func:`map_rows`, in order.

    ``kernel`` must be a module-level function and ``args`` picklable: on
    processes both travel to the workers. The first array gives the rows
    and their width; every array has that many rows (or is None). On
    processes when the size rule of :func:`~nncalc.core.parallel.settings`
    allows, else on threads as :func:`~nncalc.core.parallel.map_rows`.

    With ``task_values`` (work whose result does not depend on the split,
    such as formatting text), the tasks are of that many values and run on
    processes from that size on; without processes, ``kernel`` runs once,
    on all the rows, on this thread. ``parts`` gives the tasks' rows
    instead (pieces of a text cut at line ends), with ``task_values`` the
    size that makes processes worth it.
    """
    first = arrays[0]
    assert first is not None
    rows, columns = len(first), int(first.shape[1]) if first.ndim > 1 else 1
    if parts is None:
        per_task = parallel.task_values() if task_values is None else task_values
        step = max(1, per_task // max(1, columns))
        parts = [(start, min(start + step, rows)) for start in range(0, rows, step)]

    def task(part: slice) -> T:
        return kernel(*_sliced(arrays, part), *args)

    enough = None if task_values is None else 2 * task_values
    if len(parts) < 2 or not wanted(rows * columns, enough) or len(parts) * _TOKEN > 4096:
        return _here(task, rows, columns, task_values)
    if _State.holder == threading.get_ident():  # a task of this thread's own call: no pool
        return _here(task, rows, columns, task_values)
    _BUSY.acquire()  # another thread's tasks first (parsing while the writer formats)
    _State.holder = threading.get_ident()
    try:
        pool = _pool_for(arrays)
        descriptors = None if pool is None else pool.descriptors(arrays)
        if pool is not None and descriptors is None:  # the staging area is too small
            pool.broken = True
            pool = _pool_for(arrays)
            descriptors = None if pool is None else pool.descriptors(arrays)
        if pool is None or descriptors is None:
            return _here(task, rows, columns, task_values)
        return _run(pool, task, (kernel, descriptors, args, parts))
    finally:
        _State.holder = None
        _BUSY.release()


def _here(task: Callable[[slice], T], rows: int, columns: int, task_values: int | None) -> list[T]:
    """The tasks in this process: on threads, or (with ``task_values``) one call."""
    if task_values is not None:
        return [task(slice(0, rows))]
    return parallel.map_rows(task, rows, columns)


def _run(pool: _Pool, task: Callable[[slice], T], message: tuple[Any, Any, Any, Any]) -> list[T]:
    """One chunk's tasks on the pool and on this process; failed ones again here, in order."""
    parts: list[tuple[int, int]] = message[3]
    results: dict[int, T] = {}
    try:
        os.write(pool.tasks, b"".join(i.to_bytes(_TOKEN, "little") for i in range(len(parts))))
        serving = []
        for connection in pool.connections:
            try:
                connection.send(message)
                serving.append(connection)
            except OSError:  # the worker died since the last chunk
                pool.broken = True
        for index in _claimed(pool.claims):
            with contextlib.suppress(Exception):  # computed again below, raising in row order
                results[index] = task(slice(*parts[index]))
        for connection in serving:
            try:
                results.update(connection.recv())
            except (EOFError, OSError):  # the worker died: its tasks are done here
                pool.broken = True
    except BaseException:  # Ctrl-C: the workers are ended, not waited for
        _shutdown(kill=True)
        raise
    if pool.broken:
        _shutdown()
    return [
        results[index] if index in results else parallel.located(task, slice(*part))
        for index, part in enumerate(parts)
    ]
