"""Long plain texts parsed in pieces on the worker processes: the rows of one parse."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc.core import parallel, processes
from nncalc.io import textrows

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux only")


@pytest.fixture
def in_pieces(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Texts of 64 characters and more are cut in pieces, parsed on two processes."""
    monkeypatch.setattr(textrows, "PIECE_CHARACTERS", 32)
    processes._State.pools = 0
    with parallel.settings(threads=2, process_values=1):
        yield
    processes._shutdown()


def text_of(values: np.ndarray) -> str:
    return "".join(",".join(map(repr, row)) + "\n" for row in values.tolist())


def test_the_rows_of_one_parse(in_pieces: None) -> None:
    values = np.random.default_rng(5).normal(size=(300, 7))
    text = text_of(values)
    parsed = textrows.load_text(text, ",", 7)
    assert processes._State.pool is not None  # the workers took part
    assert parsed is not None
    assert parsed.tobytes() == values.tobytes()
    assert textrows.load_text(text.rstrip("\n"), ",", 7).tobytes() == values.tobytes()  # type: ignore[union-attr]


def test_a_bad_token_in_any_piece_refuses_the_text(in_pieces: None) -> None:
    values = np.random.default_rng(6).normal(size=(300, 3))
    lines = text_of(values).splitlines(keepends=True)
    for bad in (3, 150, 299):
        broken = lines.copy()
        broken[bad] = broken[bad].replace(",", ",x", 1)
        assert textrows.load_text("".join(broken), ",", 3) is None
    wrong_width = lines.copy()
    wrong_width[200] = "1,2\n"
    assert textrows.load_text("".join(wrong_width), ",", 3) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=0, max_size=60), st.integers(1, 5))
def test_pieces_end_at_line_ends_and_cover_the_text(lengths: list[int], count: int) -> None:
    text = "".join("7" * n + "\n" for n in lengths).encode()
    data = np.frombuffer(text, dtype=np.uint8)
    pieces = textrows._pieces(data, count)
    assert [a for a, _ in pieces[1:]] == [b for _, b in pieces[:-1]]  # contiguous
    if len(text):
        assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    for _, end in pieces[:-1]:
        assert text[end - 1 : end] == b"\n"
    assert len(pieces) <= count


def test_two_lines_of_over_a_megabyte_are_two_pieces() -> None:
    """A row of an LLM's vocabulary is over 1 MB of text: the cut is the line end
    nearest the middle, however far from it."""
    text = b"1" * 1_200_000 + b"\n" + b"2" * 1_300_000 + b"\n"
    data = np.frombuffer(text, dtype=np.uint8)
    assert textrows._pieces(data, 2) == [(0, 1_200_001), (1_200_001, len(text))]
    assert textrows._pieces(data, 4) == [(0, 1_200_001), (1_200_001, len(text))]
    assert textrows._pieces(data[:1_200_001], 2) == [(0, 1_200_001)]


def test_a_piece_of_blank_lines_gives_no_rows(in_pieces: None) -> None:
    values = np.random.default_rng(7).normal(size=(40, 3))
    text = text_of(values) + "\n" * 20_000  # the second piece is blank lines only
    single = textrows._parse(text, ",", 3)
    assert single is not None
    parsed = textrows.load_text(text, ",", 3)
    assert parsed is not None
    assert parsed.tobytes() == single.tobytes() == values.tobytes()
