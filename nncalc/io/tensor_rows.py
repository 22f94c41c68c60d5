"""Row chunks of a tensor: float64 rows over its last axis, read into reused buffers."""

from __future__ import annotations

import contextlib
import io
import math
import mmap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import numpy as np
import numpy.typing as npt

from nncalc.core import processes
from nncalc.core.arrays import FloatArray
from nncalc.errors import NncalcError
from nncalc.io.reader import CHUNK_ROWS, Chunk
from nncalc.io.tensor_files import Layout

if TYPE_CHECKING:  # imported when a file is first read ahead (start-up time)
    from concurrent.futures import Future, ThreadPoolExecutor

# A chunk holds at most this many values unless asked for more: 16 MB of float64
# (16 rows of a 128,256-class vocabulary), so memory stays flat at any width. The
# math runs a few rows at a time; measured on 1,024 x 128,256 float32 files, kl and
# compare peaked at 134 and 140 MB (both processes) against 87 and 93 MB with 8
# rows, and took 0.95 of the time (fewer hand-overs between the processes); with
# 32 rows, 228 MB and no faster.
CHUNK_VALUES = 1 << 21

# Dtypes keep_stored_floats hands out as stored: float64 widens them exactly.
_STORED = (np.dtype("<f2"), np.dtype("<f4"))

# Files of at least this many values are read a chunk ahead (see FileRows.fill).
READ_AHEAD_VALUES = 1 << 22


class TensorReader:
    """The rows of a tensor, a chunk at a time: the reader of a tensor operand.

    A tensor of shape ``(..., C)`` is ``prod(...)`` rows of ``C`` values in C
    order (batch x sequence flattened): ``leading_shape`` is ``shape[:-1]``,
    ``columns`` is ``C`` and ``rows`` is the product of the leading shape. A
    1-D tensor of shape ``(C,)`` is one row of ``C`` values, a 0-d tensor one
    row of one value. With ``one_per_row`` every element is a row of one
    value (class targets, masks): shape ``(B, S)`` is ``B*S`` rows of one
    column, ``leading_shape`` is the whole shape.

    Values are widened exactly to float64 (float16, bfloat16, float32,
    integers, bool), except float16 and float32 after
    :meth:`keep_stored_floats`; NaN and infinities pass through. The chunks' values are
    views of a buffer the reader reuses: they hold until the next ``fill`` or
    ``read_chunk`` (copy them to keep them).

    ``fill``/``take``/``pending``/``done``/``rows_read`` follow
    :class:`nncalc.io.reader.BatchReader`, so the two read the same way.
    """

    labels: list[str] | None = None  # class names, when the file has them (jsonl objects)
    stored_floats = False  # see keep_stored_floats

    def __init__(
        self,
        operand: str,
        source: str,
        shape: tuple[int, ...],
        *,
        one_per_row: bool = False,
        on_read: Callable[[int], None] | None = None,
    ) -> None:
        self.operand = operand
        self.source = source  # the operand text, '@path[:name]'
        self.on_read = on_read  # told the bytes of every read (progress)
        self.set_shape(shape, one_per_row=one_per_row)
        self.rows_read = 0  # rows handed out
        self._filled = 0  # rows read from the file
        self._buffer: FloatArray | None = None
        self._pending: FloatArray = np.empty((0, self.columns))
        self._pending_lines: Sequence[int] | None = None

    def set_shape(self, shape: tuple[int, ...], *, one_per_row: bool = False) -> None:
        self.shape = shape
        if one_per_row:
            self.leading_shape, self.columns = shape, 1
        else:
            self.leading_shape, self.columns = shape[:-1], (shape[-1] if shape else 1)
        self.rows = math.prod(self.leading_shape)

    @property
    def pending(self) -> int:
        """Rows read and not yet handed out."""
        return len(self._pending)

    @property
    def done(self) -> bool:
        """Whether every row has been read."""
        return self._filled >= self.rows

    def keep_stored_floats(self) -> None:
        """Hand out float16 and float32 rows as stored (C-order files), not widened.

        For steps whose kernels take each task's rows to float64 themselves
        (exactly, as the reader would): the rows are widened in the core's
        cache on every process instead of through memory on one thread
        (0.88 of the time of ``kl --logits`` on two float32 files of
        1,024 x 128,256). Called before the first read.
        """
        self.stored_floats = True

    def default_rows(self) -> int:
        """Rows of a chunk when none are asked for: about CHUNK_VALUES values."""
        return max(1, min(CHUNK_ROWS, CHUNK_VALUES // max(1, self.columns)))

    def fill(self, limit: int | None = None) -> None:
        """Read the next chunk (at most ``limit`` rows), unless rows are pending."""
        if self.pending:
            return
        if self.done:
            self.close()
            return
        count = min(self.rows - self._filled, limit if limit and limit > 0 else self.default_rows())
        self._pending, self._pending_lines = self._next_rows(count)
        self._filled += count
        if self.done:
            self.close()  # the chunks' values live in our own buffers, not in the file

    def _next_rows(self, count: int) -> tuple[FloatArray, Sequence[int] | None]:
        """The next ``count`` rows, read into the reused buffer, and their line numbers."""
        if self._buffer is None or len(self._buffer) < count:
            self._buffer = np.empty((count, self.columns))
        out = self._buffer[:count]
        return out, self._read_rows(self._filled, out)

    def take(self, rows: int) -> Chunk:
        """The next ``rows`` pending rows (fewer if fewer are pending)."""
        values, self._pending = self._pending[:rows], self._pending[rows:]
        lines = None
        if self._pending_lines is not None:
            lines, self._pending_lines = self._pending_lines[:rows], self._pending_lines[rows:]
        chunk = Chunk(self.operand, values, self.rows_read + 1, lines)
        self.rows_read += len(values)
        return chunk

    def read_chunk(self, limit: int | None = None) -> Chunk | None:
        """Up to ``limit`` rows (default: about CHUNK_VALUES values); None at the end."""
        self.fill(limit)
        if self.pending == 0:
            return None
        return self.take(limit if limit and limit > 0 else self.pending)

    def _read_rows(self, first: int, out: FloatArray) -> Sequence[int] | None:
        """Read rows ``first`` (0-based) on into ``out``; return their line numbers, if any."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file (done by itself once the last rows are read); idempotent."""

    def __enter__(self) -> TensorReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def error(self, message: str, **where: Any) -> NncalcError:
        """An error naming this operand and its file (or the ``token`` given)."""
        where.setdefault("token", self.source)
        return NncalcError(message, operand=self.operand, **where)


class FileRows(TensorReader):
    """A tensor stored uncompressed in a file (.npy, .safetensors), read at offsets.

    Each chunk is read with ``readinto`` into a reused byte buffer and widened
    into the reused float64 buffer: peak memory is two chunks, whatever the
    file's size, and a file that shrinks while read is an error (not a crash,
    as a memory map would give). A Fortran-order .npy is memory-mapped
    instead (its rows are not contiguous), its pages released after each
    chunk where the OS allows.
    """

    def __init__(
        self,
        operand: str,
        source: str,
        handle: BinaryIO,
        layout: Layout,
        *,
        one_per_row: bool = False,
        on_read: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(operand, source, layout.shape, one_per_row=one_per_row, on_read=on_read)
        self.handle = handle
        self.layout = layout
        self._map: mmap.mmap | None = None
        self._mapped: npt.NDArray[Any] | None = None
        # Read ahead: the next chunk is read on a thread of its own while the
        # current one is computed, into the spare buffers (swapped each fill).
        self._current, self._spare = _Buffers(), _Buffers()
        self._ahead: Future[FloatArray] | None = None
        self._ahead_rows: tuple[int, int] = (-1, -1)  # (first row, rows) being read ahead
        self._reader: ThreadPoolExecutor | None = None

    def _next_rows(self, count: int) -> tuple[FloatArray, Sequence[int] | None]:
        """The next ``count`` rows (see TensorReader.fill); starts reading the ones after.

        A large C-order file is read a chunk ahead on a thread of its own
        (NumPy and file reads release the GIL), so reading overlaps the math
        on the chunk handed out; a read's error surfaces at the fill that
        hands out its rows, as without reading ahead.
        """
        first = self._filled
        ahead, self._ahead = self._ahead, None
        if ahead is not None and self._ahead_rows == (first, count):
            out = ahead.result()  # the read's error, if any, is raised here
            self._current, self._spare = self._spare, self._current
        else:
            if ahead is not None:
                _wait(ahead)  # one read of the file at a time
            out = self._read(self._current, first, count)
        if self.on_read is not None:
            self.on_read(out.size * self.layout.dtype.itemsize)
        after = first + count
        following = min(self.rows - after, count)  # 0: these are the last rows
        if following and not self.layout.fortran and self.rows * self.columns >= READ_AHEAD_VALUES:
            self._reserve(self._spare, following)  # made on this thread, shared if need be
            if self._reader is None:
                from concurrent.futures import ThreadPoolExecutor

                processes.start(count * self.columns)  # forked before the thread below starts
                self._reader = ThreadPoolExecutor(1, thread_name_prefix="nncalc-read")
            self._ahead_rows = (after, following)
            self._ahead = self._reader.submit(self._read, self._spare, after, following)
        return out, None

    def _as_stored(self) -> bool:
        """Whether rows are handed out as stored (see keep_stored_floats)."""
        return self.stored_floats and self.layout.dtype in _STORED and not self.layout.fortran

    def _reserve(self, buffers: _Buffers, count: int) -> None:
        """Make ``buffers`` large enough for ``count`` rows (shared where workers read them)."""
        values = count * self.columns
        if self._as_stored():
            buffers.reserve_raw(values * self.layout.dtype.itemsize, processes.wanted(values))
        else:
            buffers.rows(count, self.columns)

    def _read(self, buffers: _Buffers, first: int, count: int) -> FloatArray:
        """Rows ``first`` (0-based) on, ``count`` of them, read into ``buffers``."""
        self._reserve(buffers, count)
        try:
            if self.layout.fortran:
                raw = self._gather(first, count)
            else:
                raw = self._read_raw(first * self.columns, count * self.columns, buffers)
        except OSError as error:
            raise self.error(f"cannot read: {error.strerror or error}") from None
        if self._as_stored():
            return cast("FloatArray", raw.reshape(count, self.columns))
        out = buffers.rows(count, self.columns)
        self._widen(raw, out.reshape(-1), buffers)
        return out

    def _read_raw(self, start: int, count: int, buffers: _Buffers) -> npt.NDArray[Any]:
        """Elements ``start`` to ``start + count`` of the tensor, as stored."""
        nbytes = count * self.layout.dtype.itemsize
        buffers.reserve_raw(nbytes, shared=False)
        view = buffers.raw[:nbytes]
        self.handle.seek(self.layout.offset + start * self.layout.dtype.itemsize)
        readinto = cast("io.BufferedReader", self.handle).readinto
        got = 0
        while got < nbytes:
            more = readinto(view[got:])
            if not more:
                raise self.error("truncated: the file ended before its last row (was it changed?)")
            got += more
        return np.frombuffer(buffers.raw, self.layout.dtype, count)

    def _gather(self, first: int, count: int) -> npt.NDArray[Any]:
        """Rows of a Fortran-order tensor, gathered from a memory map."""
        if self._map is None or self._mapped is None:
            self._map = mmap.mmap(self.handle.fileno(), 0, access=mmap.ACCESS_READ)
            try:
                self._mapped = np.ndarray(
                    self.shape,
                    self.layout.dtype,
                    buffer=self._map,
                    offset=self.layout.offset,
                    order="F",
                )
            except (TypeError, ValueError):
                raise self.error("truncated: the file is shorter than its header says") from None
        index = np.unravel_index(np.arange(first, first + count), self.leading_shape)
        rows = self._mapped[index]
        release = getattr(mmap, "MADV_DONTNEED", None)
        if release is not None and hasattr(self._map, "madvise"):
            self._map.madvise(release)  # the pages stay in the page cache, not in our RSS
        return rows.reshape(-1)

    def _widen(self, raw: npt.NDArray[Any], flat: FloatArray, buffers: _Buffers) -> None:
        # A signalling NaN in the file raises "invalid" as it is widened: it stays a NaN.
        with np.errstate(invalid="ignore"):
            if not self.layout.bfloat16:
                np.copyto(flat, raw)
                return
            # bfloat16 is the high half of a float32: shifting the bits up widens it exactly.
            if buffers.wide is None or buffers.wide.size < raw.size:
                buffers.wide = np.empty(raw.size, np.uint32)
            wide = buffers.wide[: raw.size]
            np.copyto(wide, raw)
            np.left_shift(wide, 16, out=wide)
            np.copyto(flat, wide.view(np.float32))

    def close(self) -> None:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            _wait(ahead)
        if self._reader is not None:
            self._reader.shutdown(wait=True)
            self._reader = None
        self._mapped = None
        if self._map is not None:
            self._map.close()
            self._map = None
        self.handle.close()


class _Buffers:
    """A chunk's reused buffers: float64 rows, the bytes as stored, bfloat16 widened to 32 bits."""

    __slots__ = ("raw", "values", "wide")

    def __init__(self) -> None:
        self.values: FloatArray | None = None
        self.raw = memoryview(bytearray())
        self.wide: npt.NDArray[np.uint32] | None = None

    def reserve_raw(self, nbytes: int, shared: bool) -> None:
        """At least ``nbytes`` for the bytes as stored; memory the workers share if ``shared``."""
        if len(self.raw) < nbytes:
            made = processes.shared_empty((nbytes,), np.uint8).data if shared else None
            self.raw = made if made is not None else memoryview(bytearray(nbytes))

    def rows(self, count: int, columns: int) -> FloatArray:
        """The first ``count`` rows of the float64 buffer, made larger when needed.

        Where the math will run on worker processes, the buffer is memory
        they share, so that they read the rows without a copy.
        """
        if self.values is None or len(self.values) < count:
            if processes.wanted(count * columns):
                self.values = processes.shared_empty((count, columns))
            else:
                self.values = np.empty((count, columns))
        return self.values[:count]


def _wait(future: Future[FloatArray]) -> None:
    """Wait for a read that is no longer wanted; its error, if any, is dropped."""
    with contextlib.suppress(Exception):  # the rows it read are not used
        future.result()


class ArrayRows(TensorReader):
    """A tensor already in memory (a .npz member, read whole)."""

    def __init__(
        self,
        operand: str,
        source: str,
        array: npt.NDArray[Any],
        *,
        one_per_row: bool = False,
    ) -> None:
        super().__init__(operand, source, array.shape, one_per_row=one_per_row)
        self._rows = array.reshape(self.rows, self.columns)  # a copy only for Fortran order

    def _read_rows(self, first: int, out: FloatArray) -> None:
        np.copyto(out, self._rows[first : first + len(out)])

    def close(self) -> None:
        self._rows = self._rows[:0]
