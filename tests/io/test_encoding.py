"""UTF-8 only: a BOM is dropped, other bytes are placed to the column (SPEC §9)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from nncalc.errors import NncalcError
from tests.conftest import one_line_error, run
from tests.io.table_helpers import Trickle, error, labels, reader_of, rows, stream_reader


def test_a_bom_is_dropped_from_the_first_name() -> None:
    assert labels("\ufeffa,b\n1,2\n") == ["a", "b"]
    assert labels('\ufeff"a",b\n1,2\n') == ["a", "b"]
    assert rows("\ufeff1;2\n") == [[1.0, 2.0]]
    data = gzip.compress("\ufeffcat;dog\r\n0,5;0,5\r\n".replace("0,5", "0.5").encode())
    reader = stream_reader(io.BytesIO(data), "P")
    assert reader.read_chunk() is not None and reader.labels == ["cat", "dog"]


def test_a_byte_that_is_not_utf8_is_placed_by_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("nom,prénom\n1,2\n3,4\n".encode("latin-1"))
    with open(path, "rb") as stream, pytest.raises(NncalcError) as caught:
        stream_reader(stream, "P").read_chunk()
    assert str(caught.value) == (
        f"P: {path}:1:7: not UTF-8 (byte 0xE9) "
        "(convert it to UTF-8, e.g. with iconv -f latin1 -t utf-8)"
    )
    assert caught.value.where.line == 1


def test_columns_count_characters_and_lines_count_any_line_end() -> None:
    data = "é,1\r\n2,3\r4,é".encode() + b"\xff\n"
    message = error(data)
    assert message.startswith("P: line 3, column 4: not UTF-8 (byte 0xFF)")
    assert error(data, source="stdin").startswith("P: stdin:3:4: not UTF-8 (byte 0xFF)")


def test_no_row_of_the_block_holding_a_bad_byte_is_handed_out() -> None:
    data = b"1,2\n" * 100 + b"3,\xe9\n"
    reader = reader_of(data)
    with pytest.raises(NncalcError, match=r"line 101, column 3: not UTF-8 \(byte 0xE9\)"):
        reader.read_chunk(1)
    assert reader.rows_read == 0


def test_a_bad_byte_is_placed_however_the_input_arrives() -> None:
    data = "a,b\n0.5,0.5\n0.25,0.7é".encode() + b"\xe9\n"
    for size in (1, 2, 3, 7):
        reader = stream_reader(Trickle(data, size), "P")  # type: ignore[arg-type]
        with pytest.raises(NncalcError) as caught:
            while reader.read_chunk() is not None:
                pass
        assert str(caught.value).startswith("P: line 3, column 10: not UTF-8 (byte 0xE9)")


def test_non_utf8_through_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"0.5,0.5\n0.5,0.5\n0.\xe95,0.5\n")
    line = one_line_error(run("kl", f"@{path}", "0.5,0.5"))
    assert line.startswith(f"nncalc: error: P: {path}:3:3: not UTF-8 (byte 0xE9)")
