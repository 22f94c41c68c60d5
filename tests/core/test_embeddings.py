"""embedding_params: the Python API's keywords, exact counts, errors and laws."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc import embedding_params
from nncalc.errors import NncalcError


def test_api_keeps_its_original_keywords() -> None:
    old = embedding_params(50257, 768, tied=True, max_len=1024, learned_positions=True)
    assert old["token_embedding"] == 38_597_376
    assert old["position_embedding"] == 786_432
    assert old["total"] == 39_383_808
    assert old["bytes"] == 157_535_232
    rope = embedding_params(128256, 4096, tied=False, max_len=8192, learned_positions=False)
    assert rope["position_embedding"] == 0 and rope["lm_head"] == 525_336_576


def test_api_counts_are_exact_for_huge_sizes() -> None:
    data = embedding_params(10**12 + 1, 10**9 + 7, tied=False, dtype="int4")
    token = (10**12 + 1) * (10**9 + 7)
    assert data["lm_head"] == token
    assert data["bytes"] == token  # 2 * token parameters at half a byte each


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(vocab_size=0, d_model=8),
        dict(vocab_size=8, d_model=-1),
        dict(vocab_size=8, d_model=8, max_len=0),
        dict(vocab_size=8, d_model=8, batch_size=2),
        dict(vocab_size=8, d_model=8, pad_to_multiple=0),
        dict(vocab_size=8, d_model=8, type_vocab_size=-1),
        dict(vocab_size=8, d_model=8, dtype="fp12"),
    ],
)
def test_api_rejects_bad_sizes(kwargs: dict[str, Any]) -> None:
    with pytest.raises(NncalcError):
        embedding_params(**kwargs)


@settings(max_examples=150, deadline=None)
@given(
    vocab=st.integers(1, 10**7),
    width=st.integers(1, 10**5),
    tied=st.booleans(),
    max_len=st.none() | st.integers(1, 10**6),
    learned=st.booleans(),
    types=st.integers(0, 16),
    multiple=st.none() | st.integers(1, 1024),
    batch=st.none() | st.integers(1, 512),
)
def test_api_laws(
    vocab: int,
    width: int,
    tied: bool,
    max_len: int | None,
    learned: bool,
    types: int,
    multiple: int | None,
    batch: int | None,
) -> None:
    data = embedding_params(
        vocab,
        width,
        tied=tied,
        max_len=max_len,
        learned_positions=learned,
        type_vocab_size=types,
        pad_to_multiple=multiple,
        batch_size=batch if max_len is not None else None,
        dtype="bf16",
    )
    padded = data["padded_vocab_size"]
    assert isinstance(padded, int)
    assert padded >= vocab and padded - vocab < (multiple or 1)
    assert padded % (multiple or 1) == 0
    assert data["token_embedding"] == padded * width
    assert data["lm_head"] == (0 if tied else padded * width)
    parts = ("token_embedding", "lm_head", "position_embedding", "token_type_embedding")
    assert data["total"] == sum(data[key] for key in parts)  # type: ignore[misc]
    assert data["bytes"] == 2 * data["total"]  # type: ignore[operator]
    percent = data["tying_saves_percent"]
    assert isinstance(percent, float) and 0 < percent <= 50
    if max_len is None:
        assert data["output_shape"] is None
    else:
        assert data["output_bytes"] == 2 * (batch or 1) * max_len * width
