"""Parameter counts and memory of token embeddings and the ``lm_head``.

A language model maps token ids to vectors with a V x D embedding table and
maps hidden states back to V logits with a D x V ``lm_head``; tying the two
(Press & Wolf 2017) stores one matrix for both. Models with learned absolute
positions (GPT-2, BERT) add an L x D position table; RoPE models add none.
BERT-style encoders add a token-type (segment) table. All counts are exact
integers, whatever their size.

:func:`embedding_params` returns an ordered record: the sizes used
(``vocab_size``, ``padded_vocab_size`` and ``vocab_padding`` when
``pad_to_multiple`` rounds V up, ``d_model``, ``tied``, ``max_len``,
``type_vocab_size``), then ``token_embedding`` (V x D, V padded), ``lm_head``
(0 when tied, V x D when untied), ``position_embedding``
((L + ``position_offset``) x D when ``max_len`` is given and positions are
learned, else 0), ``token_type_embedding`` (``type_vocab_size`` x D),
``total``, ``dtype``, ``bytes`` (of the total), ``tying_saves`` (V x D: what
tying saves, or would save) and ``tying_saves_percent`` (of the untied
total), and the embedding output for a batch: ``batch_size`` (B, 1 when not
given), ``output_shape`` (``BxLxD``) and ``output_bytes`` -- all three
``None`` without ``max_len``.
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
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise NncalcError(f"{name} must be a positive whole number", param=name, token=str(value))
    return value


def padded_vocab_size(vocab_size: int, multiple: int | None) -> int:
    """``vocab_size`` rounded up to a multiple, as nanoGPT pads GPT-2's 50257 to 50304 (64).

    ``multiple`` is a positive int or ``None`` (no padding); exact.
    """
    if multiple is None:
        return vocab_size
    _positive("pad_to_multiple", multiple)
    return -(-vocab_size // multiple) * multiple


def _check_sizes(
    vocab_size: int,
    d_model: int,
    max_len: int | None,
    batch_size: int | None,
    type_vocab_size: int,
    position_offset: int,
) -> None:
    """Raise :class:`NncalcError` (with ``param``) for the first size out of its domain."""
    _positive("vocab_size", vocab_size)
    _positive("d_model", d_model)
    if max_len is not None:
        _positive("max_len", max_len)
    if batch_size is not None:
        _positive("batch_size", batch_size)
        if max_len is None:
            raise NncalcError(
                "batch_size needs max_len, the sequence length of the output", param="batch_size"
            )
    for name, value in (("type_vocab_size", type_vocab_size), ("position_offset", position_offset)):
        if value < 0:
            raise NncalcError(f"{name} must be zero or more", param=name, token=str(value))


def embedding_params(
    vocab_size: int,
    d_model: int,
    *,
    tied: bool = True,
    max_len: int | None = None,
    learned_positions: bool = True,
    dtype: str = "fp32",
    type_vocab_size: int = 0,
    position_offset: int = 0,
    pad_to_multiple: int | None = None,
    batch_size: int | None = None,
) -> Record:
    """Counts (and bytes at ``dtype``) of the embedding-related parameters.

    Returns the ordered record described in the module docstring.

    Domain: ``vocab_size``, ``d_model`` and (when given) ``max_len``,
    ``batch_size`` and ``pad_to_multiple`` positive Python ints (not bool);
    ``type_vocab_size`` and ``position_offset`` >= 0; ``batch_size`` only
    with ``max_len``; ``dtype`` a key of :data:`DTYPE_BYTES`. Else
    :class:`NncalcError` (a ``ValueError``) with ``param`` naming the argument.

    Accuracy: exact integer arithmetic at any size (int4 bytes round up);
    ``tying_saves_percent`` is the one float, correctly rounded.
    """
    _check_sizes(vocab_size, d_model, max_len, batch_size, type_vocab_size, position_offset)
    if dtype not in DTYPE_BYTES:
        known = ", ".join(DTYPE_BYTES)
        raise NncalcError(f"unknown dtype (known: {known})", param="dtype", token=dtype)
    vocab = padded_vocab_size(vocab_size, pad_to_multiple)
    token = vocab * d_model
    head = 0 if tied else token
    positions = (max_len + position_offset) * d_model if (max_len and learned_positions) else 0
    types = type_vocab_size * d_model
    total = token + head + positions + types
    untied_total = token * 2 + positions + types
    batch = (batch_size or 1) if max_len is not None else None
    output = batch * max_len * d_model if batch is not None and max_len is not None else None
    return {
        "vocab_size": vocab_size,
        "padded_vocab_size": vocab,
        "vocab_padding": vocab - vocab_size,
        "d_model": d_model,
        "tied": tied,
        "max_len": max_len,
        "type_vocab_size": type_vocab_size,
        "token_embedding": token,
        "lm_head": head,
        "position_embedding": positions,
        "token_type_embedding": types,
        "total": total,
        "dtype": dtype,
        "bytes": _bytes(total, dtype),
        "tying_saves": token,
        "tying_saves_percent": 100 * token / untied_total,
        "batch_size": batch,
        "output_shape": None if batch is None else f"{batch}x{max_len}x{d_model}",
        "output_bytes": None if output is None else _bytes(output, dtype),
    }


def _bytes(count: int, dtype: str) -> int:
    size = DTYPE_BYTES[dtype]
    return count * int(size) if size >= 1 else -(-count // int(1 / size))
