"""Helpers for reader tests: a BatchReader over bytes, read to the end."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest

from nncalc.errors import NncalcError
from nncalc.io.layout import Options
from nncalc.io.reader import BatchReader, Chunk
from nncalc.io.textlines import LineSource


class Trickle:
    """A stream that hands out its bytes a few at a time, as a slow pipe does."""

    def __init__(self, data: bytes, size: int) -> None:
        self.pieces = [data[i : i + size] for i in range(0, len(data), size)]

    def read1(self, size: int = -1) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


def stream_reader(stream: Any, operand: str, **options: Any) -> BatchReader:
    """A BatchReader over ``stream``; ``on_read`` and ``source`` go to its LineSource."""
    reading = {key: options.pop(key) for key in ("on_read", "source") if key in options}
    return BatchReader(LineSource(stream, operand, **reading), Options(**options))


def reader_of(data: bytes | str, operand: str = "P", **options: Any) -> BatchReader:
    raw = data.encode() if isinstance(data, str) else data
    return stream_reader(io.BytesIO(raw), operand, **options)


def read_all(data: bytes | str, **options: Any) -> tuple[BatchReader, list[Chunk]]:
    """The reader and every chunk it gives."""
    reader = reader_of(data, **options)
    chunks = []
    while (chunk := reader.read_chunk()) is not None:
        chunks.append(chunk)
    return reader, chunks


def rows(data: bytes | str, **options: Any) -> list[list[float]]:
    _, chunks = read_all(data, **options)
    return np.concatenate([chunk.values for chunk in chunks]).tolist() if chunks else []


def labels(data: bytes | str, **options: Any) -> list[str] | None:
    reader, _ = read_all(data, **options)
    return reader.labels


def error(data: bytes | str, **options: Any) -> str:
    """The one-line message reading ``data`` fails with."""
    with pytest.raises(NncalcError) as caught:
        read_all(data, **options)
    text = str(caught.value)
    assert "\n" not in text
    return text
