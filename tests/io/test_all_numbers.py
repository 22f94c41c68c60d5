"""tokens.all_numbers: one match over a row's fields agrees with is_number on each."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc.io.tokens import MAX_TOKEN_CHARS, all_numbers, is_number

PIECES = ["1", "0", "9", ".", "e", "E", "+", "-", "inf", "nan", "Infinity", "x", " ", "\n", ","]
token = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)


@settings(max_examples=2000, deadline=None)
@given(st.lists(token, max_size=8))
def test_all_numbers_is_is_number_on_every_token(tokens: list[str]) -> None:
    expected = all(is_number(t) and len(t) <= MAX_TOKEN_CHARS for t in tokens)
    assert all_numbers(tokens) == expected


def test_a_field_holding_a_newline_between_numbers_is_not_two_numbers() -> None:
    assert not all_numbers(["1\n2"])
    assert not all_numbers(["1", "2\n3"])


def test_a_number_over_the_length_limit_is_not_taken() -> None:
    assert all_numbers(["1" * MAX_TOKEN_CHARS])
    assert not all_numbers(["1" * (MAX_TOKEN_CHARS + 1)])


@settings(max_examples=500, deadline=None)
@given(st.lists(token, max_size=12))
def test_fields_checked_a_block_at_a_time_give_the_same_answer(tokens: list[str]) -> None:
    """Blocks of 3 fields a match: a bad field in any block, or a newline at a
    block's edge, is found as in one match."""
    from unittest import mock

    from nncalc.io import tokens as module

    expected = all(is_number(t) and len(t) <= MAX_TOKEN_CHARS for t in tokens)
    with mock.patch.object(module, "NUMBERS_A_MATCH", 3):
        assert all_numbers(tokens) == expected


def test_a_wide_row_is_checked_in_bounded_memory() -> None:
    """The regex engine keeps state for each repetition within a match: one
    match over 200,000 fields peaked at 161 MB (traced), blocks stay small."""
    import tracemalloc

    fields = ["-1.2345678e-05"] * 200_000
    tracemalloc.start()
    try:
        assert all_numbers(fields)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20
