"""The embed-params step: a model's sizes from flags, a config.json or a preset."""

from __future__ import annotations

from typing import Any

from nncalc.cli.pipeline import RecordStep
from nncalc.core.dtypes import DEFAULT_DTYPE
from nncalc.core.embeddings import embedding_params
from nncalc.errors import NncalcError
from nncalc.output.sinks import write_listing, write_record
from nncalc.output.spec import Format, Output
from nncalc.output.units import format_bytes


class EmbedParams(RecordStep):
    """Parameter counts of the token embedding and lm_head (``--preset list``: the presets)."""

    def __init__(
        self,
        *,
        vocab_size: int | None,
        d_model: int | None,
        tied: bool | None,
        max_len: int | None,
        learned_positions: bool | None,
        config: str | None,
        preset: str | None,
        pad_to_multiple: int | None,
        type_vocab_size: int | None,
        batch_size: int | None,
        dtype: str | None,
    ) -> None:
        self.flags: dict[str, Any] = {
            "vocab_size": vocab_size,
            "d_model": d_model,
            "tied": tied,
            "learned_positions": learned_positions,
            "max_len": max_len,
            "type_vocab_size": type_vocab_size,
            "dtype": dtype,
        }
        self.config = config
        self.preset = preset
        self.pad_to_multiple = pad_to_multiple
        self.batch_size = batch_size

    def write(self, output: Output) -> None:
        from nncalc.core import model_configs as models

        if self.preset is not None and self.preset.strip().lower() == "list":
            rows = models.preset_summaries()
            title = "embed-params presets"
            # The repo column stays out of the table: it would not fit a terminal.
            write_listing(title, rows, output, key="presets", name="preset", wide=["repo"])
            return
        if self.config is not None and self.preset is not None:
            raise NncalcError("pass either --config or --preset, not both", operand="--config")
        source = None
        if self.config is not None:
            source = models.read_config(self.config)
        elif self.preset is not None:
            source = models.preset_config(self.preset)
        model = models.resolve(source, models.Flags(**self.flags))
        if self.batch_size is not None and model.max_len is None:
            raise NncalcError(
                "needs a sequence length for the output shape",
                operand="--batch-size",
                hint="pass --max-len L",
            )
        record = embedding_params(
            model.vocab_size,
            model.d_model,
            tied=model.tied,
            max_len=model.max_len,
            learned_positions=model.learned_positions,
            dtype=model.dtype or DEFAULT_DTYPE,
            type_vocab_size=model.type_vocab_size,
            position_offset=model.position_offset,
            pad_to_multiple=self.pad_to_multiple,
            batch_size=self.batch_size,
        )
        record.update(model.provenance())
        if output.fmt is Format.table:  # people read units; programs get raw integers
            for key in ("bytes", "output_bytes"):
                if isinstance(count := record.get(key), int):
                    record[key] = format_bytes(count)
        write_record("embedding parameters", record, output)
