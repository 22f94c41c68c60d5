"""gzip, bzip2 and xz input, known by magic bytes, for files and stdin (SPEC §9)."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from nncalc.errors import NncalcError
from nncalc.io.compressed import decompressed, read_head
from nncalc.io.reader import BatchReader
from tests.conftest import run
from tests.io.table_helpers import stream_reader

TEXT = b"a,b\n0.25,0.75\n0.5,0.5\n"

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "bzip2": bz2.compress,
    "xz": lzma.compress,
}


def read_rows(reader: BatchReader) -> list[list[float]]:
    found = []
    while (chunk := reader.read_chunk()) is not None:
        found.extend(chunk.values.tolist())
    return found


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_compressed_files_are_known_by_their_bytes_not_their_name(
    kind: str, tmp_path: Path
) -> None:
    path = tmp_path / "plain-looking.csv"  # no .gz / .bz2 / .xz
    path.write_bytes(COMPRESSORS[kind](TEXT))
    with open(path, "rb") as stream:
        reader = stream_reader(stream, "P")
        assert read_rows(reader) == [[0.25, 0.75], [0.5, 0.5]]
        assert (reader.labels, reader.compression) == (["a", "b"], kind)


def test_a_file_named_gz_that_is_not_compressed_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "p.csv.gz"
    path.write_bytes(TEXT)
    with open(path, "rb") as stream:
        reader = stream_reader(stream, "P")
        assert read_rows(reader) == [[0.25, 0.75], [0.5, 0.5]]
        assert reader.compression is None


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_compressed_stdin_from_a_pipe(kind: str) -> None:
    read_end, write_end = os.pipe()
    data = COMPRESSORS[kind](b"a,b\n" + b"0.25,0.75\n" * 4000)

    def write() -> None:
        with open(write_end, "wb") as pipe:
            for start in range(0, len(data), 4096):
                pipe.write(data[start : start + 4096])

    writer = threading.Thread(target=write)
    writer.start()
    with open(read_end, "rb") as stream:
        reader = stream_reader(stream, "P")
        found = read_rows(reader)
    writer.join()
    assert found == [[0.25, 0.75]] * 4000


def test_gzip_members_concatenated_are_one_stream() -> None:
    data = gzip.compress(b"a,b\n0.5,0.5\n") + gzip.compress(b"0.25,0.75\n")
    assert read_rows(stream_reader(io.BytesIO(data), "P")) == [[0.5, 0.5], [0.25, 0.75]]


def test_progress_counts_the_compressed_bytes() -> None:
    data = gzip.compress(TEXT + b"0.1,0.9\n" * 1000)
    counted: list[int] = []
    read_rows(stream_reader(io.BytesIO(data), "P", on_read=counted.append))
    assert sum(counted) == len(data)


def test_truncated_and_corrupt_data_are_one_line_errors() -> None:
    data = gzip.compress(TEXT + b"0.1,0.9\n" * 1000)
    with pytest.raises(NncalcError) as caught:
        read_rows(stream_reader(io.BytesIO(data[: len(data) // 2]), "P"))
    assert str(caught.value) == "P: the gzip data ends early (a truncated file?)"
    corrupt = data[:10] + bytes(255 - b for b in data[10:40]) + data[40:]
    with pytest.raises(NncalcError, match=r"^P: not valid gzip data \("):
        read_rows(stream_reader(io.BytesIO(corrupt), "P"))


def test_decompressed_gives_back_every_byte() -> None:
    for data in (b"", b"1", b"\x1f", b"BZ", b"1,2\n3,4\n"):
        assert decompressed(io.BytesIO(data)).read() == data
    assert decompressed(io.BytesIO(gzip.compress(TEXT))).read() == TEXT
    assert decompressed(io.BytesIO(lzma.compress(TEXT))).read() == TEXT


class OneByteAtATime:
    """A pipe that has one byte ready per read and must not be read further."""

    def __init__(self, data: bytes, ready: int) -> None:
        self.data = data
        self.ready = ready
        self.reads = 0

    def read1(self, size: int = -1) -> bytes:
        assert self.reads < self.ready, "read past what the pipe has ready"
        self.reads += 1
        return self.data[self.reads - 1 : self.reads]


def test_sniffing_stops_as_soon_as_the_input_is_plain_text() -> None:
    assert read_head(OneByteAtATime(b"1,2\n", ready=1)) == b"1"  # type: ignore[arg-type]
    assert read_head(OneByteAtATime(b"BZx", ready=3)) == b"BZx"  # type: ignore[arg-type]


def test_a_gzip_file_through_kl(tmp_path: Path) -> None:
    (tmp_path / "p.csv.gz").write_bytes(gzip.compress(b"a,b\n0.5,0.5\n"))
    (tmp_path / "q.data").write_bytes(bz2.compress(b"a,b\n0.5,0.5\n"))
    result = run("kl", f"@{tmp_path / 'p.csv.gz'}", f"@{tmp_path / 'q.data'}")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "0.0\n"


def test_gzip_on_stdin_through_softmax() -> None:
    result = run("softmax", "-f", "csv", "--digits", "2", input=gzip.compress(b"x,y\n0,0\n"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "x,y\n0.5,0.5\n"
