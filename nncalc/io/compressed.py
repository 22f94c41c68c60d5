"""Compressed input: gzip, bzip2 and xz streams, recognised by their first bytes.

The first bytes of a stream are read ahead to recognise a compression format
by its magic number (never by the file name, so stdin works too) and are
given back before the rest: a pipe cannot seek back. A compressed stream is
decompressed as it is read, a block at a time, with the standard library's
``gzip``, ``bz2`` and ``lzma`` modules (imported only for such a stream).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, BinaryIO, cast

from nncalc.errors import NncalcError

# The magic numbers of the formats read, and the name messages give each.
MAGIC = (("gzip", b"\x1f\x8b"), ("bzip2", b"BZh"), ("xz", b"\xfd7zXZ\x00"))


HEAD_BYTES = max(len(magic) for _, magic in MAGIC)


def sniff(head: bytes) -> str | None:
    """The compression format whose magic number ``head`` starts with, or None."""
    for name, magic in MAGIC:
        if head.startswith(magic):
            return name
    return None


def read_head(stream: BinaryIO) -> bytes:
    """The first bytes of ``stream``: as many as it takes to tell the format.

    Reading stops as soon as the bytes read are no longer the start of a
    magic number, so a pipe that sent one short line is not waited on.
    """
    read = getattr(stream, "read1", None) or stream.read
    head = b""
    while any(magic.startswith(head) and magic != head for _, magic in MAGIC):
        more = read(HEAD_BYTES - len(head))
        if not more:
            break
        head += more
    return head


class Prefixed(io.RawIOBase):
    """A binary stream whose first bytes were read ahead, given back first.

    ``read`` and ``read1`` return what the stream has ready (a short read,
    as a pipe gives), so a decompressor on top of it never waits for more
    input than it needs. ``on_read`` is told the bytes of every read.
    """

    def __init__(
        self, raw: BinaryIO, head: bytes, on_read: Callable[[int], None] | None = None
    ) -> None:
        super().__init__()
        self.raw = raw
        self.head = head
        self.on_read = on_read
        self._read = getattr(raw, "read1", None) or raw.read

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.raw.fileno()

    def read1(self, size: int = -1) -> bytes:
        if self.head:
            if 0 <= size < len(self.head):
                head, self.head = self.head[:size], self.head[size:]
            else:
                head, self.head = self.head, b""
            return head
        data: bytes = self._read(size if size >= 0 else io.DEFAULT_BUFFER_SIZE)
        if data and self.on_read is not None:
            self.on_read(len(data))
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read1(), b""))
        return self.read1(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def has_head(self) -> bool:
        """Whether bytes read ahead are still to be given back."""
        return bool(self.head)


def opened(
    stream: BinaryIO, on_read: Callable[[int], None] | None = None
) -> tuple[str | None, BinaryIO]:
    """The compression format of ``stream`` (None: none) and a stream of its bytes.

    The bytes are decompressed when the stream is compressed; ``on_read`` is
    told the bytes read from ``stream`` itself (compressed), for progress.
    """
    head = read_head(stream)
    if head and on_read is not None:
        on_read(len(head))
    raw = Prefixed(stream, head, on_read)
    kind = sniff(head)
    if kind is None:
        return None, cast(BinaryIO, raw)
    if kind == "gzip":
        import gzip

        return kind, cast(BinaryIO, gzip.GzipFile(fileobj=raw, mode="rb"))
    if kind == "bzip2":
        import bz2

        return kind, cast(BinaryIO, bz2.BZ2File(raw))
    import lzma

    return kind, cast(BinaryIO, lzma.LZMAFile(cast(BinaryIO, raw)))


def decompressed(stream: BinaryIO) -> BinaryIO:
    """The bytes of ``stream``, decompressed if it is gzip, bzip2 or xz (by magic bytes).

    For any binary stream, stdin included: the bytes read ahead to recognise
    the format are given back, nothing is lost.
    """
    return opened(stream)[1]


def read_error(kind: str, error: BaseException, operand: str) -> NncalcError:
    """A failed read of a compressed stream, as one line."""
    if isinstance(error, EOFError):
        message = f"the {kind} data ends early (a truncated file?)"
    else:
        reason = str(error) or type(error).__name__
        message = f"not valid {kind} data ({reason})"
    return NncalcError(message, operand=operand)
