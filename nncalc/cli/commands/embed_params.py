"""nncalc embed-params."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from nncalc.cli.options import DigitsOpt, FormatOpt
from nncalc.cli.pipeline import run_record
from nncalc.cli.steps.embed import EmbedParams
from nncalc.core.embeddings import DTYPE_BYTES
from nncalc.output.spec import Format


class Positions(str, Enum):
    learned = "learned"
    none = "none"


DtypeChoice = Enum("DtypeChoice", {name: name for name in DTYPE_BYTES}, type=str)  # type: ignore[misc]


def complete_preset(incomplete: str) -> list[str]:
    """Shell completion of --preset: 'list' and the preset names."""
    from nncalc.core.model_configs import preset_names

    return [name for name in ["list", *preset_names()] if name.startswith(incomplete.lower())]


VocabSizeOpt = Annotated[
    int | None,
    typer.Option("--vocab-size", "-V", min=1, metavar="V", help="Vocabulary size V."),
]
DModelOpt = Annotated[
    int | None,
    typer.Option("--d-model", "-D", min=1, metavar="D", help="Embedding width D (hidden size)."),
]
TiedOpt = Annotated[
    bool | None,
    typer.Option(
        "--tied/--untied",
        help="lm_head shares the token embedding or has its own V x D matrix "
        "(default: tied, or the model's setting).",
        show_default=False,
    ),
]
MaxLenOpt = Annotated[
    int | None,
    typer.Option(
        "--max-len",
        "-L",
        min=1,
        metavar="L",
        help="Context length L: the learned position table's length (see --positions) "
        "and the output's sequence length.",
    ),
]
PositionsOpt = Annotated[
    Positions | None,
    typer.Option(
        "--positions",
        help="learned: an L x D table (GPT-2, BERT); none: RoPE and friends "
        "(default: learned, or the model family's).",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    str | None,
    typer.Option(
        "--config",
        metavar="PATH",
        help="A Hugging Face config.json ('-' reads stdin); flags override its values.",
    ),
]
PresetOpt = Annotated[
    str | None,
    typer.Option(
        "--preset",
        metavar="NAME",
        autocompletion=complete_preset,
        help="A well-known model (gpt2, llama-3-8b, ...); 'list' shows them all.",
    ),
]
PadToMultipleOpt = Annotated[
    int | None,
    typer.Option(
        "--pad-to-multiple",
        metavar="M",
        min=1,
        help="Pad the vocabulary up to a multiple of M, as nanoGPT does (50257 -> 50304).",
    ),
]
TypeVocabSizeOpt = Annotated[
    int | None,
    typer.Option(
        "--type-vocab-size",
        min=0,
        metavar="N",
        help="Rows of a token-type table (BERT: 2); 0 for none.",
    ),
]
BatchSizeOpt = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        "-B",
        min=1,
        metavar="B",
        help="Batch size B for the embedding output's shape (B, L, D) and bytes.",
    ),
]
DtypeOpt = Annotated[DtypeChoice, typer.Option("--dtype", help="Parameter type, for bytes.")]


def embed_params(
    vocab_size: VocabSizeOpt = None,
    d_model: DModelOpt = None,
    tied: TiedOpt = None,
    max_len: MaxLenOpt = None,
    positions: PositionsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    pad_to_multiple: PadToMultipleOpt = None,
    type_vocab_size: TypeVocabSizeOpt = None,
    batch_size: BatchSizeOpt = None,
    dtype: DtypeOpt = DtypeChoice["fp32"],
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """Parameter counts of the token embedding and lm_head, tied or untied.

    Example: nncalc embed-params --preset llama-3-8b --dtype bf16
    """
    step = EmbedParams(
        vocab_size=vocab_size,
        d_model=d_model,
        tied=tied,
        max_len=max_len,
        learned_positions=None if positions is None else positions is Positions.learned,
        config=config,
        preset=preset,
        pad_to_multiple=pad_to_multiple,
        type_vocab_size=type_vocab_size,
        batch_size=batch_size,
        dtype=dtype.value,
    )
    run_record(step, fmt, digits)
