"""Parameter counts and memory of token embeddings and the ``lm_head``.

A language model maps token ids to vectors with a V x D embedding table and
maps hidden states back to V logits with a D x V ``lm_head``; tying the two
(Press & Wolf 2017) stores one matrix for both. Models with learned absolute
positions (GPT-2, BERT) add an L x D position table; RoPE models add none.
"""

from __future__ import annotations

from nncalc.errors import NncalcError

DTYPE_BYTES: dict[str, float] = {
    "fp64": 8,
    "fp32": 4,
    "tf32": 4,
    "fp16": 2,
    "bf16": 2,
    "fp8": 1,
    "int8": 1,
    "int4": 0.5,
}

Record = dict[str, int | float | str | bool | None]


def _positive(name: str, value: int) -> int:
    if value <= 0:
        raise NncalcError(f"{name} must be a positive whole number", token=str(value))
    return value


def embedding_params(
    vocab_size: int,
    d_model: int,
    *,
    tied: bool = True,
    max_len: int | None = None,
    learned_positions: bool = True,
    dtype: str = "fp32",
) -> Record:
    """Counts (and bytes at ``dtype``) of the embedding-related parameters.

    Returns an ordered record: ``token_embedding`` (V x D), ``lm_head`` (0
    when tied, V x D when untied), ``position_embedding`` (L x D when
    ``max_len`` is given and positions are learned, else 0), ``total``,
    ``bytes`` and ``tying_saves`` (V x D: what tying saves, or would save).
    Exact integer arithmetic.
    """
    vocab_size = _positive("vocab size", vocab_size)
    d_model = _positive("d_model", d_model)
    if max_len is not None:
        _positive("max length", max_len)
    if dtype not in DTYPE_BYTES:
        known = ", ".join(DTYPE_BYTES)
        raise NncalcError(f"unknown dtype (known: {known})", token=dtype)
    token = vocab_size * d_model
    head = 0 if tied else token
    positions = max_len * d_model if (max_len and learned_positions) else 0
    total = token + head + positions
    untied_total = token * 2 + positions
    return {
        "vocab_size": vocab_size,
        "d_model": d_model,
        "tied": tied,
        "max_len": max_len,
        "token_embedding": token,
        "lm_head": head,
        "position_embedding": positions,
        "total": total,
        "dtype": dtype,
        "bytes": _bytes(total, dtype),
        "tying_saves": token,
        "tying_saves_percent": 100.0 * token / untied_total,
    }


def _bytes(count: int, dtype: str) -> int:
    size = DTYPE_BYTES[dtype]
    return int(count * size) if size >= 1 else -(-count // int(1 / size))
