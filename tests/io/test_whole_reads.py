"""Plain lines parsed a whole read at a time: the same rows, line numbers and errors
as line by line, and only clean reads take that path."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nncalc.io.reader as reader_module
import nncalc.io.textrows as textrows
from nncalc.errors import NncalcError
from tests.io.table_helpers import stream_reader
from tests.io.test_reader import Trickle, cut

Outcome = tuple[list[tuple[list[list[str]], list[int]]], str | None]


def outcome(data: bytes, pieces: list[int] | None = None, rows: int | None = None) -> Outcome:
    """Each chunk's rows and line numbers, then the error (None: none)."""
    stream = io.BytesIO(data) if pieces is None else Trickle(cut(data, pieces))
    reader = stream_reader(stream, "X")
    chunks: list[tuple[list[list[str]], list[int]]] = []
    try:
        while (chunk := reader.read_chunk(rows)) is not None:
            assert chunk.lines is not None
            texts = [[repr(value) for value in row] for row in chunk.values.tolist()]
            chunks.append((texts, list(chunk.lines)))
    except NncalcError as error:
        return chunks, str(error)
    assert reader.done
    return chunks, None


def line_by_line(data: bytes, pieces: list[int] | None = None) -> Outcome:
    """The outcome with NumPy's C reader out of reach: every line split off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(textrows, "C_READER", None)
        return outcome(data, pieces)


@pytest.fixture
def whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The rows NumPy gave and the lines, of every text the fast path parsed."""
    counts: list[tuple[int, int]] = []
    load = textrows.load_text

    def counted(text: str, separator: str | None, width: int) -> np.ndarray | None:
        values = load(text, separator, width)
        if values is not None:
            counts.append((len(values), text.count("\n")))
        return values

    monkeypatch.setattr(textrows, "load_text", counted)
    monkeypatch.setenv("NNCALC_NO_POLARS", "1")  # NumPy's reader, even once polars is loaded
    return counts


def numbers_text(count: int, width: int = 1, sep: str = ",") -> str:
    rows = np.arange(count * width, dtype=np.float64).reshape(count, width) / 8 - 3
    return "".join(sep.join(repr(v) for v in row) + "\n" for row in rows.tolist())


def test_one_value_a_line_is_parsed_a_read_at_a_time(
    monkeypatch: pytest.MonkeyPatch, whole_reads: list[tuple[int, int]]
) -> None:
    data = numbers_text(100_000).encode()
    chunks, error = outcome(data)
    assert error is None
    values = np.concatenate([np.array(rows, dtype=np.float64) for rows, _ in chunks])
    np.testing.assert_array_equal(values[:, 0], np.arange(100_000) / 8 - 3)
    assert [line for _, lines in chunks for line in lines] == list(range(1, 100_001))
    # The first block settles the layout line by line; NumPy reads the rest whole.
    assert [rows for rows, lines in whole_reads if rows == lines] == [
        100_000 - reader_module.CHUNK_ROWS
    ]
    assert all(len(rows) <= reader_module.CHUNK_ROWS for rows, _ in chunks)
    assert (chunks, error) == line_by_line(data)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("x", "X row 50001, column 1: 'x': not a number"),
        ("1.5x", "X row 50001, column 1: '1.5x': not a number"),
        ("1 2", "X row 50001: ragged rows: this row has 2 values, earlier rows have 1"),
        ("9" * 401, "X row 50001, column 1: '999"),
        ("nan(1)", "X row 50001, column 1: 'nan(1)': not a number"),
        ("1_0", "X row 50001, column 1: '1_0': not a number"),
        ("\u2212" + "1", "X row 50001, column 1"),
    ],
)
def test_a_bad_line_deep_in_a_read_gives_the_error_of_the_line_by_line_path(
    monkeypatch: pytest.MonkeyPatch, bad: str, message: str
) -> None:
    lines = numbers_text(80_000).splitlines()
    lines[50_000] = bad
    data = ("\n".join(lines) + "\n").encode()
    chunks, error = outcome(data)
    assert error is not None and message in error
    assert (chunks, error) == line_by_line(data)
    # Whole blocks before the bad one were handed out, and nothing after it.
    assert sum(len(rows) for rows, _ in chunks) % reader_module.CHUNK_ROWS == 0
    assert 0 < sum(len(rows) for rows, _ in chunks) <= 50_000


def test_blank_lines_keep_their_line_numbers_and_end_the_fast_path(
    monkeypatch: pytest.MonkeyPatch, whole_reads: list[tuple[int, int]]
) -> None:
    lines = numbers_text(300_000).splitlines()
    lines[150_000] = ""
    data = ("\n".join(lines) + "\n").encode()
    chunks, error = outcome(data)
    assert error is None
    numbers = [line for _, lines in chunks for line in lines]
    assert numbers == [n for n in range(1, 300_001) if n != 150_001]
    assert (chunks, error) == line_by_line(data)
    # A read before the blank line, and the one that holds it: then lines only.
    assert len(whole_reads) == 2 and whole_reads[0][0] == whole_reads[0][1]
    assert whole_reads[1][0] == whole_reads[1][1] - 1


def test_blank_lines_at_the_end_of_a_read_give_no_row(
    whole_reads: list[tuple[int, int]],
) -> None:
    data = (numbers_text(100_000, 2, " ") + "\n\n").encode()
    chunks, error = outcome(data)
    assert error is None and (chunks, error) == line_by_line(data)
    assert [line for _, lines in chunks for line in lines] == list(range(1, 100_001))
    assert sum(rows for rows, _ in whole_reads) == 100_000 - reader_module.CHUNK_ROWS


def test_a_line_of_spaces_between_commas_is_read_line_by_line() -> None:
    lines = numbers_text(60_000, 3).splitlines()
    lines[40_000] = "  "
    data = ("\n".join(lines) + "\n").encode()
    chunks, error = outcome(data)
    assert error is None and (chunks, error) == line_by_line(data)
    assert [line for _, lines in chunks for line in lines][40_000] == 40_002


def test_comments_and_quotes_are_read_line_by_line(
    monkeypatch: pytest.MonkeyPatch, whole_reads: list[tuple[int, int]]
) -> None:
    lines = numbers_text(40_000, 2).splitlines()
    lines[30_000] = "# a note"
    lines[35_000] = '"1.5",2'
    data = ("\n".join(lines) + "\n").encode()
    chunks, error = outcome(data)
    assert error is None and sum(len(rows) for rows, _ in chunks) == 39_999
    assert (chunks, error) == line_by_line(data)
    assert whole_reads == []


def test_rows_asked_a_few_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    data = numbers_text(50_000, 2, "\t").encode()
    reader = stream_reader(io.BytesIO(data), "X")
    seen = 0
    while (chunk := reader.read_chunk(7_000)) is not None:
        assert chunk.first_row == seen + 1 and len(chunk) <= 7_000
        assert chunk.lines is not None and list(chunk.lines)[:1] == [seen + 1]
        seen += len(chunk)
    assert seen == 50_000 and reader.done


TOKENS = st.sampled_from(["1", "-2.5", "3e2", "inf", "nan", ".5", "x", "", " ", "1 2", "7,"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(TOKENS, min_size=1, max_size=40),
    st.lists(st.integers(0, 400), max_size=6),
    st.booleans(),
)
def test_the_same_outcome_as_line_by_line_however_input_arrives(
    tokens: list[str], pieces: list[int], last_newline: bool
) -> None:
    text = "0\n" + "\n".join(tokens) + ("\n" if last_newline else "")
    data = text.encode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader_module, "CHUNK_ROWS", 4)
        assert outcome(data, pieces) == line_by_line(data, pieces)


def test_this_numpy_has_the_c_reader_the_fast_path_uses() -> None:
    """Without it every read goes line by line: correct, but slower. A NumPy
    release that renames ``_load_from_filelike`` fails here, saying so."""
    assert textrows.C_READER is not None, (
        f"NumPy {np.__version__} has no _core._multiarray_umath._load_from_filelike: "
        "nncalc.io.textrows reads every line as a Python string"
    )
    assert textrows.load_text("1,2\n3,4\n", ",", 2) is not None
