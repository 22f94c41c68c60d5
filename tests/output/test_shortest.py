"""nncalc.shortest writes exactly the text repr writes, for every kind of float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc.output import shortest
from nncalc.output import text as render

pytestmark = pytest.mark.skipif(
    not shortest.USABLE, reason="no 80-bit long double here: repr is used instead"
)


def with_repr(values: np.ndarray) -> str:
    width = values.shape[1]
    line = ",".join(["%r"] * width) + "\n"
    return (line * len(values)) % tuple(values.ravel().tolist())


def same_as_repr(values: np.ndarray) -> None:
    got = shortest.rows_text(values)
    expected = with_repr(values)
    if got != expected:  # show the first number that differs
        for mine, theirs in zip(
            got.replace("\n", ",").split(","), expected.replace("\n", ",").split(","), strict=True
        ):
            assert mine == theirs
    assert got == expected


bits = st.integers(0, 2**64 - 1).map(lambda b: float(np.uint64(b).view(np.float64)))
floats = st.one_of(bits, st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e6, 1e6))


@settings(max_examples=200, deadline=None)
@given(st.lists(floats, min_size=1, max_size=40), st.integers(1, 5))
def test_any_numbers(numbers: list[float], width: int) -> None:
    same_as_repr(np.array(numbers * width, dtype=np.float64).reshape(-1, width))


def test_random_bit_patterns() -> None:
    rng = np.random.default_rng(1)
    values = rng.integers(0, 2**64, size=300_000, dtype=np.uint64).view(np.float64)
    same_as_repr(values.reshape(-1, 6))


def test_model_outputs() -> None:
    rng = np.random.default_rng(2)
    logits = rng.normal(0.0, 4.0, size=(30_000, 10))
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    same_as_repr(np.exp(log_p))
    same_as_repr(log_p)
    same_as_repr(logits)


def test_short_decimals_and_whole_numbers() -> None:
    rng = np.random.default_rng(3)
    decimals = np.concatenate([np.round(rng.normal(0, 1000, 20_000), k) for k in range(10)])
    same_as_repr(decimals.reshape(-1, 4))
    whole = rng.integers(-(10**17), 10**17, size=100_000).astype(np.float64)
    same_as_repr(whole.reshape(-1, 5))
    same_as_repr(np.arange(-5000.0, 5000.0, 0.25).reshape(-1, 8))


def test_every_decade_and_its_neighbours() -> None:
    with np.errstate(over="ignore"):
        decades = 10.0 ** np.arange(-323, 308.25, 0.01)
    columns = [decades, -decades, np.nextafter(decades, 0), np.nextafter(decades, np.inf)]
    same_as_repr(np.stack(columns, axis=1))


def test_powers_of_two_subnormals_and_specials() -> None:
    powers = np.ldexp(1.0, np.arange(-1074, 1024))
    same_as_repr(np.stack([powers, np.nextafter(powers, 0), np.nextafter(powers, np.inf)], 1))
    rng = np.random.default_rng(4)
    subnormal = rng.integers(1, 2**52, size=20_000, dtype=np.uint64).view(np.float64)
    same_as_repr(subnormal.reshape(-1, 4))
    special = [
        0.0,
        -0.0,
        np.inf,
        -np.inf,
        np.nan,
        5e-324,
        1.7976931348623157e308,
        2.2250738585072014e-308,
    ]
    same_as_repr(np.array(special * 4).reshape(-1, 8))


def test_render_uses_it_for_large_arrays_only(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = shortest.rows_text
    monkeypatch.setattr(shortest, "rows_text", lambda v: calls.append(v.size) or real(v))
    small = np.full((10, 10), 0.1)
    large = np.full((200, 10), 0.1)
    assert render.format_rows(small, None) == with_repr(small)
    assert render.format_rows(large, None) == with_repr(large)
    assert render.format_rows(large, 3) == ("0.1," * 9 + "0.1\n") * 200  # --digits: %g
    assert calls == [2000]


def test_without_long_double_render_uses_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shortest, "USABLE", False)
    monkeypatch.setattr(shortest, "rows_text", None)
    values = np.random.default_rng(5).random((300, 10))
    assert render.format_rows(values, None) == with_repr(values)


@settings(max_examples=200, deadline=None)
@given(st.lists(floats, min_size=1, max_size=60), st.integers(1, 7), st.integers(1, 9))
def test_pieces_starting_mid_row_join_to_the_rows_text(
    numbers: list[float], width: int, step: int
) -> None:
    """numbers_text of consecutive pieces, each told where in the rows it starts."""
    values = np.array(numbers * width, dtype=np.float64).reshape(-1, width)
    flat = values.reshape(-1)
    pieces = range(0, flat.size, step)
    joined = "".join(shortest.numbers_text(flat[at : at + step], width, at) for at in pieces)
    assert joined == with_repr(values)


def test_rows_wider_than_a_task_are_formatted_a_piece_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A row of a million numbers was formatted in one go (377 MB); now a task's
    numbers at a time, the same text."""
    monkeypatch.setattr(render, "WIDE_ROWS", 50)
    monkeypatch.setattr(render, "FORMAT_TASK", 16)
    calls: list[int] = []
    original = shortest.numbers_text

    def counted(flat: np.ndarray, width: int, at: int = 0) -> str:
        calls.append(flat.size)
        return original(flat, width, at)

    monkeypatch.setattr(shortest, "numbers_text", counted)
    rng = np.random.default_rng(8)
    values = rng.normal(size=(3, 1200)) * np.exp(rng.normal(0.0, 20.0, (3, 1200)))
    values[1, 7], values[2, 1199] = np.nan, -np.inf
    assert render.format_rows(values, None) == with_repr(values)
    assert max(calls) == 16 and len(calls) == 3 * 1200 // 16
