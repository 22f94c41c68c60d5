"""BatchReader: rows, line numbers and errors do not depend on how the input arrives."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc.errors import NncalcError
from nncalc.io.operands import Operand, aligned_chunks
from nncalc.io.reader import BatchReader
from tests.io.table_helpers import stream_reader


class Trickle(io.RawIOBase):
    """A stream that hands out its bytes in the given pieces, one per read."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


def cut(data: bytes, points: list[int]) -> list[bytes]:
    edges = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def all_rows(reader: BatchReader) -> Iterator[tuple[list[float], int]]:
    operand = Operand("X", reader=reader)
    for (chunk,) in aligned_chunks([operand]):
        assert chunk.lines is not None
        for offset, row in enumerate(chunk.values.tolist()):
            yield row, chunk.lines[offset]


MESSY = "\ufeffa,b\r\n# a comment\r\n1,2\r\n\r\n  3 , 4 \n5,6\r7,8\n# end\n\n9,\u00e9\n".encode()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, len(MESSY)), max_size=12))
def test_rows_and_line_numbers_do_not_depend_on_how_input_arrives(points: list[int]) -> None:
    reader = stream_reader(Trickle(cut(MESSY[: MESSY.index(b"9,")], points)), "X")
    assert list(all_rows(reader)) == [
        ([1.0, 2.0], 3),
        ([3.0, 4.0], 5),
        ([5.0, 6.0], 6),
        ([7.0, 8.0], 7),
    ]
    assert reader.labels == ["a", "b"]
    bad = stream_reader(Trickle(cut(MESSY, points)), "X")
    with pytest.raises(NncalcError, match=r"row 5 \(line 10\), column 2: '\u00e9': not a number"):
        list(all_rows(bad))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=8))
def test_a_bad_byte_is_reported_on_its_line_however_input_arrives(points: list[int]) -> None:
    data = b"1,2\n3,4\n5,\xe9\n7,8\n"
    with pytest.raises(NncalcError, match=r"line 3, column 3: not UTF-8 \(byte 0xE9\)") as caught:
        list(all_rows(stream_reader(Trickle(cut(data, points)), "X")))
    assert caught.value.where.line == 3
