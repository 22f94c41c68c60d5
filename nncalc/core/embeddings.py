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

from nncalc.core.dtypes import DEFAULT_DTYPE, DTYPE_BYTES, canonical_dtype, dtype_bytes
from nncalc.core.limits import check_size
from nncalc.errors import NncalcError

__all__ = ["DTYPE_BYTES", "Record", "embedding_params", "padded_vocab_size"]

Record = dict[str, int | float | str | bool | None]


def padded_vocab_size(vocab_size: int, multiple: int | None) -> int:
    """``vocab_size`` rounded up to a multiple, as nanoGPT pads GPT-2's 50257 to 50304 (64).

    ``multiple`` is an int in [1, 10**18] or ``None`` (no padding); exact.
    """
    if multiple is None:
        return vocab_size
    check_size("pad_to_multiple", multiple)
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
    check_size("vocab_size", vocab_size)
    check_size("d_model", d_model)
    if max_len is not None:
        check_size("max_len", max_len)
    if batch_size is not None:
        check_size("batch_size", batch_size)
        if max_len is None:
            raise NncalcError(
                "batch_size needs max_len, the sequence length of the output", param="batch_size"
            )
    check_size("type_vocab_size", type_vocab_size, minimum=0)
    check_size("position_offset", position_offset, minimum=0)


def embedding_params(
    vocab_size: int,
    d_model: int,
    *,
    tied: bool = True,
    max_len: int | None = None,
    learned_positions: bool = True,
    dtype: str = DEFAULT_DTYPE,
    type_vocab_size: int = 0,
    position_offset: int = 0,
    pad_to_multiple: int | None = None,
    batch_size: int | None = None,
) -> Record:
    """Counts (and bytes at ``dtype``) of the embedding-related parameters.

    Returns the ordered record described in the module docstring.

    Domain: ``vocab_size``, ``d_model`` and (when given) ``max_len``,
    ``batch_size`` and ``pad_to_multiple`` Python ints (not bool) in
    [1, 10**18] (:data:`~nncalc.core.limits.MAX_SIZE`); ``type_vocab_size``
    and ``position_offset`` in [0, 10**18]; ``batch_size`` only with
    ``max_len``; ``dtype`` any spelling :func:`~nncalc.core.dtypes.canonical_dtype`
    knows (the record shows the canonical name). Else :class:`NncalcError`
    (a ``ValueError``) with ``param`` naming the argument.

    Accuracy: exact integer arithmetic (int4 bytes: ceil(count / 2) for each
    total); ``tying_saves_percent`` is the one float, correctly rounded.
    """
    _check_sizes(vocab_size, d_model, max_len, batch_size, type_vocab_size, position_offset)
    dtype = canonical_dtype(dtype)
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
        "bytes": dtype_bytes(total, dtype),
        "tying_saves": token,
        "tying_saves_percent": 100 * token / untied_total,
        "batch_size": batch,
        "output_shape": None if batch is None else f"{batch}x{max_len}x{d_model}",
        "output_bytes": None if output is None else dtype_bytes(output, dtype),
    }
