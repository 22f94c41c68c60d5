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
