"""Every error met while reading a text @file names the file, its line and
column and the token where known: ``P: FILE:LINE:COLUMN: 'TOKEN': why`` (issue 13).

Standard input keeps ``P row R, column C`` (there is no file to name).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pytest

from tests.conftest import one_line_error, run


def crc_broken(data: bytes) -> bytes:
    packed = bytearray(gzip.compress(data))
    packed[-8] ^= 0xFF  # the CRC-32 of the gzip trailer
    return bytes(packed)


ROWS = b"0.2,0.3,0.5\n" * 50

# (case, file content, what the error line ends with after "nncalc: error: P: ")
CASES = [
    ("bad token", b"0.2,0.3,0.5\n0.2,x,0.5\n", "{f}:2:2: 'x': not a number"),
    ("empty value", b"0.5,0.5\n,0.5\n", "{f}:2:1: '': empty value (two separators in a row?)"),
    (
        "percent",
        b"10%,90%\n",
        "{f}:1:1: '10%': not a number (percentages are not read: write 0.1 for 10%)",
    ),
    (
        "unicode minus",
        "0.5,0.5\n\u22120.5,0.5\n".encode(),
        "{f}:2:1: '\u22120.5': not a number (write the minus sign as ASCII '-')",
    ),
    (
        "ragged row after a comment",
        b"# scores\n0.5,0.5\n0.2,0.3,0.5\n",
        "{f}:3: ragged rows: this row has 3 values, earlier rows have 2",
    ),
    (
        "mixed separators",
        b"0.2;0.3,0.5\n",
        "{f}:1:1: '0.2;0.3': mixed separators: ';' in this row, ',' in the first data line "
        "(line 1) (pass --sep to choose one)",
    ),
    (
        "not UTF-8",
        b"0.5,0.5\n0.5,0.5\xe9\n",
        "{f}:2:8: not UTF-8 (byte 0xE9) (convert it to UTF-8, e.g. with iconv -f latin1 -t utf-8)",
    ),
    (
        "header shorter than the rows",
        b"a,b\n0.2,0.3,0.5\n",
        "{f}:2: the header (line 1) has 2 names, fewer than the 3 values of its rows "
        "(a header names every column, no more and no fewer)",
    ),
    (
        "repeated header name",
        b"a,a,b\n0.2,0.3,0.5\n",
        "{f}:1: 'a': column 2 of the header repeats the name of column 1 "
        "(class names must differ; pick the columns with --columns)",
    ),
    (
        "empty header name",
        b"a,,b\n0.2,0.3,0.5\n",
        "{f}:1: column 2 of the header has no name "
        "(name every class column, or leave this one out with --columns)",
    ),
    (
        "pandas' unnamed index",
        b",a,b,c\n0,0.2,0.3,0.5\n",
        "{f}:1: column 1 of the header has no name (pandas' df.to_csv() writes its unnamed "
        "index this way: pass --columns a,b,c, or --id 1 to carry it)",
    ),
    ("header and no rows", b"a,b,c\n", "{f}: input has no data rows"),
    ("nothing at all", b"# only a comment\n\n", "{f}: input has no data rows"),
    (
        "unclosed quote",
        b'0.5,0.5\n"0.5,0.5\n',
        "{f}:2: the quote opened on line 2 is never closed "
        '(write a quote inside a quoted field as "")',
    ),
    (
        "token too long",
        b"0.5,0.5\n0." + b"1" * 500 + b",0.5\n",
        "{f}:2:1: '0.11111111111111111111111111111111111...': token longer than 400 characters",
    ),
    (
        "row too wide",
        b"0.001," * 1_000_000 + b"0.001\n",
        "{f}:1: line 1 has more than 1,000,000 values (the limit of a row)",
    ),
    (
        "truncated gzip",
        gzip.compress(ROWS)[:30],
        "{f}: the gzip data ends early (a truncated file?)",
    ),
    ("truncated bzip2", bz2.compress(ROWS)[:30], "{f}: the bzip2 data ends early"),
    ("truncated xz", lzma.compress(ROWS)[:40], "{f}: the xz data ends early"),
    ("gzip failing its CRC", crc_broken(ROWS), "{f}: not valid gzip data (CRC check failed"),
    (
        "bad token in gzip data",
        gzip.compress(b"0.5,0.5\n0.5,oops\n"),
        "{f}:2:2: 'oops': not a number",
    ),
]


@pytest.mark.parametrize(
    ("content", "expected"),
    [pytest.param(content, expected, id=case) for case, content, expected in CASES],
)
def test_a_reading_error_names_the_file_line_and_token(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "data" / "scores.csv"
    path.parent.mkdir()
    path.write_bytes(content)
    line = one_line_error(run("entropy", f"@{path}"))
    assert line.startswith(f"nncalc: error: P: {expected.format(f=path)}"), line
    if not expected.endswith(("(CRC check failed", "ends early")):
        assert line == f"nncalc: error: P: {expected.format(f=path)}"


def test_a_line_too_long_names_the_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nncalc.io.textlines.MAX_LINE_CHARS", 100)
    path = tmp_path / "long.csv"
    path.write_text("0.5," * 40 + "0.5\n0.5,0.5\n")
    line = one_line_error(run("entropy", f"@{path}"))
    assert line == (
        f"nncalc: error: P: {path}: line 1 is longer than 100 characters "
        "(is this text with one row per line?)"
    )


def test_the_second_operand_names_its_own_file(tmp_path: Path) -> None:
    good, bad = tmp_path / "p.csv", tmp_path / "q.csv"
    good.write_text("0.5,0.5\n0.5,0.5\n")
    bad.write_text("0.5,0.5\n0.5,nan?\n")
    line = one_line_error(run("kl", f"@{good}", f"@{bad}"))
    assert line == f"nncalc: error: Q: {bad}:2:2: 'nan?': not a number"


def test_control_characters_in_the_file_name_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "e\x1b[2Jvil\n.csv"
    path.write_text("0.5,0.5\n0.5,x\n")
    line = one_line_error(run("entropy", f"@{path}"))
    assert "\x1b" not in line
    assert line == f"nncalc: error: P: {tmp_path}/e\\x1b[2Jvil\\n.csv:2:2: 'x': not a number"


def test_standard_input_keeps_rows_and_columns() -> None:
    line = one_line_error(run("entropy", input="0.5,0.5\n0.5,x\n"))
    assert line == "nncalc: error: P row 2, column 2: 'x': not a number"
