"""nncalc embed-params."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from nncalc.cli.domains import Domain
from nncalc.cli.options import record_output
from nncalc.cli.steps.embed import EmbedParams
from nncalc.core.dtypes import canonical_dtype, dtype_spellings
from nncalc.core.limits import MAX_JSON_INT_DIGITS, MAX_SIZE, MAX_SIZE_TEXT, check_size
from nncalc.errors import NncalcError
from nncalc.output.spec import Output


class Positions(str, Enum):
    learned = "learned"
    none = "none"


def size(param: str, *, minimum: int = 1) -> Any:
    """A Typer callback: a size option's text as a whole number in [minimum, MAX_SIZE].

    Checked by the core's ``check_size``, so every bad value is nncalc's own
    one-line error naming the option (exit 2); a number of thousands of
    digits is refused by its length, never converted.
    """

    domain = Domain(low=minimum, high=MAX_SIZE, integer=True)

    def callback(value: str | None) -> int | None:
        if value is None:
            return None
        text = value.strip()
        digits = text.removeprefix("-").removeprefix("+")
        need = domain.text
        if not (digits.isascii() and digits.isdigit()):
            raise NncalcError(f"{param} must be {need}", param=param, token=text[:80])
        if len(digits) > MAX_JSON_INT_DIGITS:
            negative = text.startswith("-")
            message = (
                f"{param} must be {need}"
                if negative
                else f"{param} must be at most {MAX_SIZE_TEXT}"
            )
            sign = "negative " if negative else ""
            raise NncalcError(
                f"{message}, got a {sign}whole number of {len(digits):,} digits", param=param
            )
        number = int(text)
        if not domain.contains(number):
            raise NncalcError(f"{param} must be {need}", param=param, token=text)
        return check_size(param, number, minimum=minimum)

    callback.domain = domain  # type: ignore[attr-defined]
    return callback


def size_option(*flags: str, metavar: str, help: str, minimum: int = 1) -> Any:
    """A size option, named in messages by its long flag (``--max-len``: max_len)."""
    param = flags[0].removeprefix("--").replace("-", "_")
    return typer.Option(*flags, callback=size(param, minimum=minimum), metavar=metavar, help=help)


def _int(value: str | int | None) -> int | None:
    """A size option's value (the callback made it an int already)."""
    return None if value is None else int(value)


def complete_dtype(incomplete: str) -> list[str]:
    """Shell completion of --dtype: every spelling nncalc knows."""
    return [name for name in dtype_spellings() if name.startswith(incomplete.lower())]


def check_dtype(value: str | None) -> str | None:
    """--dtype at parse time: any known spelling, any case, as its canonical name."""
    return None if value is None else canonical_dtype(value)


def complete_preset(incomplete: str) -> list[str]:
    """Shell completion of --preset: 'list' and the preset names."""
    from nncalc.core.model_configs import preset_names

    return [name for name in ["list", *preset_names()] if name.startswith(incomplete.lower())]


VocabSizeOpt = Annotated[
    str | None,
    size_option("--vocab-size", "-V", metavar="V", help="Vocabulary size V."),
]
DModelOpt = Annotated[
    str | None,
    size_option("--d-model", "-D", metavar="D", help="Embedding width D (hidden size)."),
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
    str | None,
    size_option(
        "--max-len",
        "-L",
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
    str | None,
    size_option(
        "--pad-to-multiple",
        metavar="M",
        help="Pad the vocabulary up to a multiple of M, as nanoGPT does (50257 -> 50304).",
    ),
]
TypeVocabSizeOpt = Annotated[
    str | None,
    size_option(
        "--type-vocab-size",
        metavar="N",
        help="Rows of a token-type table (BERT: 2); 0 for none.",
        minimum=0,
    ),
]
BatchSizeOpt = Annotated[
    str | None,
    size_option(
        "--batch-size",
        "-B",
        metavar="B",
        help="Batch size B for the embedding output's shape (B, L, D) and bytes.",
    ),
]
DtypeOpt = Annotated[
    str | None,
    typer.Option(
        "--dtype",
        metavar="DTYPE",
        callback=check_dtype,
        autocompletion=complete_dtype,
        help="Parameter type, for bytes: fp32, bf16, fp16, int8, int4, ... or a PyTorch name"
        " such as bfloat16, any case (default: the config's torch_dtype/dtype, else fp32).",
        show_default=False,
    ),
]


@record_output
def embed_params(
    *,
    vocab_size: VocabSizeOpt,
    d_model: DModelOpt,
    tied: TiedOpt,
    max_len: MaxLenOpt,
    positions: PositionsOpt,
    config: ConfigOpt,
    preset: PresetOpt,
    pad_to_multiple: PadToMultipleOpt,
    type_vocab_size: TypeVocabSizeOpt,
    batch_size: BatchSizeOpt,
    dtype: DtypeOpt,
    out: Output,
) -> None:
    """Parameter counts of the token embedding and lm_head, tied or untied.

    Example: nncalc embed-params --preset llama-3-8b --dtype bf16
    """
    step = EmbedParams(
        vocab_size=_int(vocab_size),
        d_model=_int(d_model),
        tied=tied,
        max_len=_int(max_len),
        learned_positions=None if positions is None else positions is Positions.learned,
        config=config,
        preset=preset,
        pad_to_multiple=_int(pad_to_multiple),
        type_vocab_size=_int(type_vocab_size),
        batch_size=_int(batch_size),
        dtype=dtype,
    )
    step.write(out)
