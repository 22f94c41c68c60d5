"""Memory shared with forked worker processes: regions, and an arena buffers are cut from.

A region is an anonymous ``MAP_SHARED`` mapping: a worker forked after it
was made sees the same pages at the same address, so arrays in it travel to
the workers as (region, offset, dtype, shape). Regions are numbered in the
order they were made; a pool knows the first ``known()`` of them at its
fork (see :mod:`nncalc.core.processes`). Any thread may make one.
"""

from __future__ import annotations

import math
import mmap
import threading
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["LOCK", "array_at", "known", "region", "region_of", "release", "shared_empty"]

# The arena shared buffers are cut from: address space only until used.
ARENA_BYTES = 256 << 20


class _Region(NamedTuple):
    start: int  # address
    size: int  # bytes
    memory: mmap.mmap


_REGIONS: list[_Region] = []  # every shared region, in the order they were made
LOCK = threading.RLock()  # the regions and the arena, changed by any thread


class _Arena:
    array: npt.NDArray[np.uint8] | None = None  # where shared_empty cuts arrays from
    used = 0  # bytes of it given out


def shared_empty(shape: tuple[int, ...], dtype: npt.DTypeLike = np.float64) -> npt.NDArray[Any]:
    """An uninitialised array in memory that forked workers share (kept for the process's life).

    Used for buffers that are filled again and again (a tensor file's rows),
    so that the workers read them where they are instead of from a copy.
    The arrays are cut from one arena (untouched pages cost no memory), so
    that buffers made after the workers were forked are still theirs.
    """
    kind = np.dtype(dtype)
    count = math.prod(shape)
    size = -(-max(1, count * kind.itemsize) // 64) * 64
    with LOCK:
        if _Arena.array is None or _Arena.used + size > len(_Arena.array):
            _Arena.array = region(max(ARENA_BYTES, size))
            _Arena.used = 0
        start, _Arena.used = _Arena.used, _Arena.used + size
        arena = _Arena.array
    return arena[start : start + size].view(kind)[:count].reshape(shape)


def region(size: int) -> npt.NDArray[np.uint8]:
    """A new shared region of ``size`` bytes, as bytes (the last one ``known()`` counts)."""
    memory = mmap.mmap(-1, size)  # anonymous and MAP_SHARED: the same pages after fork
    array = np.frombuffer(memory, np.uint8)
    with LOCK:
        _REGIONS.append(_Region(int(array.ctypes.data), size, memory))
    return array


def known() -> int:
    """How many regions there are (a pool forked now knows them all)."""
    with LOCK:
        return len(_REGIONS)


def region_of(
    start: int, nbytes: int, first: int = 0, last: int | None = None
) -> tuple[int, int] | None:
    """(number, offset) of the region among ``first:last`` holding ``nbytes`` at ``start``."""
    with LOCK:
        candidates = list(enumerate(_REGIONS))[first:last]
    for index, found in candidates:
        if found.start <= start and start + nbytes <= found.start + found.size:
            return index, start - found.start
    return None


def release(array: npt.NDArray[np.uint8]) -> None:
    """Forget the region ``array`` is (its pages go back to the OS once unreferenced)."""
    start = int(array.ctypes.data)
    with LOCK:
        _REGIONS[:] = [kept for kept in _REGIONS if kept.start != start]


def array_at(index: int, offset: int, dtype: str, shape: tuple[int, ...]) -> npt.NDArray[Any]:
    """The array at ``offset`` of region ``index`` (in a worker: the region it inherited)."""
    kind = np.dtype(dtype)
    memory = _REGIONS[index].memory
    return np.frombuffer(memory, kind, math.prod(shape), offset).reshape(shape)
