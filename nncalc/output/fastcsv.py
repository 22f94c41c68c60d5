"""Fast number formatting for large outputs, through polars when it is installed.

Formatting floats is what limits a batch pipe: Python's ``repr`` costs about
0.4 us a number. polars (the optional ``fast`` extra) writes the same
shortest round-trip digits many times faster. Its layout differs from
``repr`` only for numbers below 1e-4 in magnitude (``0.000015`` for
``1.5e-05``, ``1e-7`` for ``1e-07``) and for NaN (``NaN``); those are
written by polars in scientific notation and fixed to repr's layout, so the
text is identical either way and the output does not depend on whether
polars is installed. The writer is picked by shape: rows mostly of such
numbers (a softmax over a large vocabulary) by :func:`tiny_rows`, rows of
a few numbers a column each by :func:`narrow_rows`, others by
:func:`polars_rows`'s plain text in one column; the few numbers unlike
repr's layout are fixed in place. None holds the GIL per number. A polars
version that lays out a probe of edge cases differently is not used.

polars is imported only once an output is large (render.POLARS_AFTER
numbers), so one-liners never pay for it; ``NNCALC_NO_POLARS=1`` turns it
off. Chunks of a large output are formatted on two threads, two chunks at
once, and written in order (:class:`Background`), by polars or else by
``repr``'s format, while the next chunk is read and computed.
"""

from __future__ import annotations

import importlib.util
import io
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from nncalc.core.arrays import FloatArray

# From here up (and at 0), polars lays numbers out exactly as repr does.
REPR_LAYOUT_FROM = 1e-4

_polars: Any = None
_checked = False
_installed: bool | None = None
_importing = threading.Lock()  # two writer threads may ask for polars at once

# A job of :class:`Background`: its number, its make and its write.
Job = tuple[int, Callable[[], Any], Callable[[Any], None]]


def available() -> bool:
    """Whether polars may be used: not turned off, and installed (not imported here)."""
    global _installed
    if os.environ.get("NNCALC_NO_POLARS", "") not in ("", "0"):
        return False
    if _installed is None:
        _installed = importlib.util.find_spec("polars") is not None
    return _installed


def polars_module() -> Any:
    """The polars module, or None when not installed, turned off or unlike repr."""
    with _importing:
        return _checked_polars()


def _checked_polars() -> Any:
    global _polars, _checked
    if not _checked:
        _checked = True
        if not available():
            _checked = False  # NNCALC_NO_POLARS is read again next time
            return None
        try:
            import polars
        except ImportError:
            return None
        if lays_out_like_repr(polars):
            _polars = polars
    return _polars


# Numbers at the edges of every layout rule, to check a polars version once.
PROBE = np.array(
    [
        [0.1, 1 / 3, 1e-4, 9.99e-5, 1.5e-5, 1e-5, 1e-7, 5e-324, -0.0, 0.0],
        [
            1e15,
            9999999999999998.0,
            1e16,
            1.2345678901234567e17,
            1e22,
            1e300,
            123.0,
            -2.5,
            7e-10,
            1e-300,
        ],
        [
            np.inf,
            -np.inf,
            np.nan,
            2.0**-1074,
            2.0**1023,
            0.30000000000000004,
            1e-4,
            5e-5,
            12345.678,
            -1e-6,
        ],
    ]
)


def lays_out_like_repr(pl: Any) -> bool:
    """Whether this polars gives exactly repr's text, a column for each
    column and one column for all (else it is not used)."""
    try:
        return all(
            bytes(polars_rows(pl, probe)).decode()
            == "".join(",".join(map(repr, row)) + "\n" for row in probe.tolist())
            for probe in (PROBE, PROBE.reshape(-1, 1))
        )
    except Exception:  # an older polars without some of the calls used
        return False


class Background:
    """Threads that make chunks of output side by side and write them in order.

    A job is ``make`` (format a chunk: polars and NumPy release the GIL,
    so two chunks are formatted at once on two threads) and ``write``,
    which gets what ``make`` returned, in the order the jobs came. At most
    two jobs wait besides those being made, so memory stays bounded; an
    error in a job (a closed pipe) is raised in the main thread at the next
    submit or drain, and the jobs after it are dropped (none is written after
    a chunk that was not) until a drain has waited for them all.
    """

    def __init__(self, threads: int = 1) -> None:
        self.jobs: queue.Queue[Job] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None  # the first error, until raised
        self._failed = False  # a job failed: the jobs in flight are dropped, until a drain
        self._submitted = 0
        self._written = 0
        self._turn = threading.Condition()
        for _ in range(max(1, threads)):
            worker = threading.Thread(target=self._work, name="nncalc-writer", daemon=True)
            worker.start()

    def _work(self) -> None:
        while True:
            number, make, write = self.jobs.get()
            made: Any = None
            try:
                if not self._failed:
                    made = make()
            except BaseException as error:  # handed to the main thread
                self._fail(error)
            with self._turn:
                while self._written != number:
                    self._turn.wait()
            try:  # this job's turn: no other thread writes, nor holds the lock meanwhile
                if not self._failed:
                    write(made)
            except BaseException as error:
                self._fail(error)
            finally:
                with self._turn:
                    self._written += 1
                    self._turn.notify_all()
                self.jobs.task_done()

    def _fail(self, error: BaseException) -> None:
        with self._turn:
            if not self._failed:
                self._failed = True
                self.error = error

    def submit(self, write: Callable[[Any], None], make: Callable[[], Any] = lambda: None) -> None:
        """Run ``write(make())``: ``make`` beside other jobs' ``make``, ``write`` in turn."""
        self._raise()
        self.jobs.put((self._submitted, make, write))
        self._submitted += 1

    def drain(self) -> None:
        """Wait for every job; raise the first error one of them met. The jobs
        after it were dropped; those submitted from now on run."""
        if self.jobs.unfinished_tasks:
            self.jobs.join()
        self._failed = False  # no job is in flight now
        self._raise()

    def _raise(self) -> None:
        with self._turn:
            error, self.error = self.error, None
        if error is not None:
            raise error


def scientific(pl: Any, values: FloatArray) -> Any:
    """repr's text of numbers below 1e-4 (and NaN), as a polars String Series.

    polars writes them in scientific notation with the same shortest digits
    as repr, but a one-digit exponent without repr's leading zero (``1.5e-5``
    for ``1.5e-05``) and NaN as ``NaN``: both are fixed here, in polars, so
    the GIL is free while they are formatted (repr would hold it).
    """
    buffer = io.BytesIO()
    pl.DataFrame({"v": values}).write_csv(buffer, include_header=False, float_scientific=True)
    buffer.seek(0)
    text = pl.read_csv(buffer, has_header=False, schema={"v": pl.String}, quote_char=None)["v"]
    text = pl.select(
        pl.when(text.str.tail(3).str.starts_with("e-"))
        .then(pl.concat_str([text.str.head(-1), pl.lit("0"), text.str.tail(1)]))
        .otherwise(text)
    ).to_series()
    nan = np.flatnonzero(np.isnan(values))
    if len(nan):
        text = text.scatter(nan, "nan")
    return text


# Rows where more than this share of the numbers is below 1e-4 (a softmax
# over a large vocabulary) are written by :func:`tiny_rows`.
TINY_SHARE = 0.5


# ... a piece of this many numbers at a time (the bytes moved take 200 a number).
TINY_PIECE = 1 << 16


def _like_repr(flat: FloatArray) -> Any:
    """Which numbers polars' plain text lays out as repr does (not NaN, nor below 1e-4)."""
    return (np.abs(flat) >= REPR_LAYOUT_FROM) | (flat == 0)


def _lines(pl: Any, column: Any, **options: Any) -> Any:
    """A polars column written one value a line, as a uint8 array, and each line's end."""
    buffer = io.BytesIO()
    pl.DataFrame([column]).write_csv(buffer, include_header=False, **options)
    data = np.frombuffer(buffer.getbuffer(), dtype=np.uint8)
    return data, np.flatnonzero(data == ord("\n"))


def tiny_rows(pl: Any, flat: FloatArray, width: int, at: int = 0) -> bytes:
    """Rows of ``width`` numbers, most of them below 1e-4, as repr's text
    (``flat`` starts at number ``at`` of the rows: it may start and end mid-row).

    Every number is written by polars in scientific notation (repr's digits
    for those below 1e-4, with a one-digit exponent lacking repr's leading
    zero); the others, in plain text, replace theirs, and the zeros are put
    in, by moving bytes with NumPy: nothing goes through Python per number.
    """
    plain = np.flatnonzero(_like_repr(flat) | np.isnan(flat))
    sci, ends = _lines(pl, pl.Series("v", flat), float_scientific=True)
    text = pl.Series("v", flat[plain]).cast(pl.String)
    nan = np.flatnonzero(np.isnan(flat[plain]))
    if len(nan):
        text = text.scatter(nan, "nan")
    other, other_ends = _lines(pl, text, quote_style="never")
    starts = np.concatenate(([0], ends[:-1] + 1))
    pad = (sci[ends - 3] == ord("e")) & (sci[ends - 2] == ord("-"))
    pad[plain] = False
    starts[plain] = np.concatenate(([0], other_ends[:-1] + 1)) + len(sci)
    ends[plain] = other_ends + len(sci)
    source = np.concatenate((sci, other, np.frombuffer(b"0", dtype=np.uint8)))
    # Each number is up to three pieces: its text up to the exponent's last
    # digit (all of it and its line end, without a zero to put in), the zero,
    # then that digit and the line end.
    piece_starts = np.stack((starts, np.full_like(starts, len(source) - 1), ends - 1), axis=1)
    piece_sizes = np.stack(
        (np.where(pad, ends - starts - 1, ends - starts + 1), pad, 2 * pad), axis=1
    )
    piece_sizes = piece_sizes.reshape(-1)
    total = int(piece_sizes.sum())
    offsets = np.cumsum(piece_sizes) - piece_sizes
    taken = np.repeat(piece_starts.reshape(-1) - offsets, piece_sizes) + np.arange(total)
    out = source[taken]
    line_ends = np.cumsum(piece_sizes.reshape(-1, 3).sum(axis=1)) - 1
    out[line_ends] = ord(",")
    out[line_ends[(width - 1 - at) % width :: width]] = ord("\n")
    return out.tobytes()


def mostly_tiny(values: FloatArray, first_row: int | None = None) -> bool:
    """Whether :func:`polars_rows` writes ``values`` by :func:`tiny_rows` (most below 1e-4)."""
    if first_row is not None or values.ndim != 2 or values.shape[1] < 2:
        return False
    return bool(np.count_nonzero(~_like_repr(values.reshape(-1))) > TINY_SHARE * values.size)


# Rows of at most this many numbers are written a column each (:func:`narrow_rows`).
NARROW = 64

# Up to this many numbers of a chunk unlike repr's layout are fixed by repr
# itself (holding the GIL about 0.6 us each), more by polars (:func:`scientific`).
FIX_BY_REPR = 4096


def narrow_rows(pl: Any, values: FloatArray) -> bytes:
    """Rows of a few numbers each: a String column per column, written by
    polars' CSV writer (the columns are cast on polars' threads), with the
    numbers polars lays out unlike repr put in their columns first (by
    scatter on each column: one query for all, each costs about 0.5 ms)."""
    frame = pl.from_numpy(np.ascontiguousarray(values, dtype=np.float64))
    columns = frame.select(pl.all().cast(pl.String)).get_columns()
    rows, where = np.nonzero(~_like_repr(values))
    if len(rows):
        unlike = values[rows, where]
        if len(unlike) <= FIX_BY_REPR:
            fixed = np.array([repr(number) for number in unlike.tolist()], dtype=object)
        else:
            fixed = scientific(pl, unlike).to_numpy()
        for column in np.unique(where).tolist():
            picked = np.flatnonzero(where == column)
            texts = pl.Series("v", fixed[picked], dtype=pl.String)
            columns[column] = columns[column].scatter(rows[picked], texts)
    buffer = io.BytesIO()
    pl.DataFrame(columns).write_csv(buffer, include_header=False, quote_style="never")
    return buffer.getvalue()


def polars_rows(pl: Any, values: FloatArray, first_row: int | None = None) -> bytes | bytearray:
    """Comma-separated lines of ``values`` (``first_row``: a row number first).

    The numbers are laid out in one column (one per line), then every line
    end but each row's last is turned into a comma: no per-column work, so
    rows of 100k classes cost the same per number as rows of ten.
    """
    rows, width = values.shape
    tiny = mostly_tiny(values, first_row)  # a pass over the chunk: once
    if first_row is None and 1 < width <= NARROW and not tiny:
        return narrow_rows(pl, values)
    flat = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
    if tiny:
        pieces = range(0, len(flat), TINY_PIECE)
        return b"".join(tiny_rows(pl, flat[at : at + TINY_PIECE], width, at) for at in pieces)
    text = pl.Series("v", flat).cast(pl.String)
    # NaN fails the comparison, so it is formatted by repr too.
    unlike_repr = np.flatnonzero(~_like_repr(flat))
    if len(unlike_repr):
        text = text.scatter(unlike_repr, scientific(pl, flat[unlike_repr]))
    buffer = io.BytesIO()
    if first_row is not None and width == 1:
        numbers = pl.Series("row", np.arange(first_row, first_row + rows, dtype=np.int64))
        frame = pl.DataFrame([numbers, text])
        frame.write_csv(buffer, include_header=False, quote_style="never")
        return buffer.getvalue()
    if first_row is not None:
        raise ValueError("numbered rows are one number wide")
    pl.DataFrame([text]).write_csv(buffer, include_header=False, quote_style="never")
    if width == 1:
        return buffer.getvalue()
    data = bytearray(buffer.getbuffer())
    ends = np.cumsum(text.str.len_bytes().to_numpy().astype(np.int64) + 1) - 1
    out = np.frombuffer(data, dtype=np.uint8)
    out[ends] = ord(",")
    out[ends[width - 1 :: width]] = ord("\n")
    return data
