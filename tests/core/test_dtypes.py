"""dtype spellings, their sizes, and the dtype a config names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nncalc import embedding_params
from nncalc.cli.errors import for_cli
from nncalc.core import model_configs as models
from nncalc.core.config_files import parse_config
from nncalc.core.dtypes import (
    DEFAULT_DTYPE,
    DTYPE_ALIASES,
    DTYPE_BYTES,
    canonical_dtype,
    dtype_bytes,
    dtype_spellings,
)
from nncalc.errors import Kind, NncalcError

SPELLINGS = {
    "fp16": ["float16", "fp16", "half", "f16", "FP16", "Half", " float16 ", "torch.float16"],
    "bf16": ["bfloat16", "bf16", "BF16", "BFloat16", "torch.bfloat16"],
    "fp32": ["float32", "fp32", "float", "f32", "Float32"],
    "fp64": ["float64", "fp64", "double", "f64"],
    "int8": ["int8", "INT8"],
    "uint8": ["uint8"],
    "int4": ["int4", "Int4"],
    "fp8": ["fp8", "float8"],
    "fp8_e4m3": ["float8_e4m3fn", "fp8_e4m3", "FLOAT8_E4M3FN"],
    "fp8_e5m2": ["float8_e5m2", "fp8_e5m2"],
    "tf32": ["tf32"],
}


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [(spelling, name) for name, spellings in SPELLINGS.items() for spelling in spellings],
)
def test_every_spelling_has_one_canonical_name(spelling: str, canonical: str) -> None:
    assert canonical_dtype(spelling) == canonical


def test_canonical_names_are_their_own_and_every_alias_maps_to_one() -> None:
    assert all(canonical_dtype(name) == name for name in DTYPE_BYTES)
    assert set(DTYPE_ALIASES.values()) == set(DTYPE_BYTES)
    assert all(key == key.lower() for key in DTYPE_ALIASES)
    spellings = dtype_spellings()
    assert spellings[: len(DTYPE_BYTES)] == list(DTYPE_BYTES)
    assert sorted(spellings) == sorted(DTYPE_ALIASES)
    assert DEFAULT_DTYPE == "fp32"


@pytest.mark.parametrize("name", ["fp12", "", "torch.", "int3", "float128", "f8", "bfloat16x"])
def test_unknown_names_list_the_canonical_ones(name: str) -> None:
    with pytest.raises(NncalcError) as caught:
        canonical_dtype(name)
    error = caught.value
    assert error.param == "dtype" and error.where.token == name
    assert "fp32, tf32, fp16, bf16" in str(error) and "--" not in str(error)


def test_sizes_and_int4_rounding() -> None:
    assert dtype_bytes(10, "fp32") == 40
    assert dtype_bytes(10, "bf16") == 20
    assert dtype_bytes(10, "fp8_e5m2") == 10
    # int4: two parameters per byte, the total rounded up to a whole byte.
    assert dtype_bytes(9, "int4") == 5
    assert dtype_bytes(10, "int4") == 5
    assert dtype_bytes(10**36 + 1, "int4") == 5 * 10**35 + 1


def test_embedding_params_takes_any_spelling_and_shows_the_canonical_name() -> None:
    record = embedding_params(1000, 64, dtype="BFloat16")
    assert record["dtype"] == "bf16" and record["bytes"] == 1000 * 64 * 2
    assert embedding_params(3, 3, dtype="int4")["bytes"] == 5  # ceil(9 / 2)


def resolved(data: dict[str, Any] | str, **flags: Any) -> models.Model:
    text = data if isinstance(data, str) else json.dumps(data)
    config = models.ConfigText(parse_config(text, "cfg.json"), "cfg.json", "config")
    return models.resolve(config, models.Flags(**flags))


SIZES = {"vocab_size": 100, "hidden_size": 8}


@pytest.mark.parametrize("key", ["torch_dtype", "dtype"])
def test_a_configs_dtype_is_the_default(key: str) -> None:
    model = resolved({**SIZES, key: "bfloat16"})
    assert model.dtype == "bf16"
    assert model.provenance()["fields"] == f"vocab_size hidden_size {key}"
    assert model.provenance()["overrides"] is None


def test_the_newer_dtype_field_wins_over_torch_dtype() -> None:
    model = resolved({**SIZES, "dtype": "float16", "torch_dtype": "float32"})
    assert model.dtype == "fp16" and "dtype" in model.fields


def test_a_given_dtype_overrides_the_config_unchecked() -> None:
    model = resolved({**SIZES, "torch_dtype": "not-a-dtype"}, dtype="Half")
    assert model.dtype == "fp16"
    assert model.provenance()["overrides"] == "dtype=fp16"
    assert "torch_dtype" not in model.fields


def test_no_dtype_anywhere_is_none_and_noted_nowhere() -> None:
    model = resolved(dict(SIZES))
    assert model.dtype is None
    assert "dtype" not in " ".join(model.fields + model.assumed + model.overrides)
    assert models.resolve(None, models.Flags(vocab_size=8, d_model=8)).dtype is None
    assert models.resolve(None, models.Flags(vocab_size=8, d_model=8, dtype="f16")).dtype == "fp16"


def test_null_dtype_counts_as_absent() -> None:
    assert resolved({**SIZES, "torch_dtype": None}).dtype is None


def test_a_nested_text_config_finds_the_top_level_dtype() -> None:
    model = resolved({"text_config": SIZES, "torch_dtype": "bfloat16"})
    assert model.dtype == "bf16" and "torch_dtype" in model.fields
    nested = resolved({"text_config": {**SIZES, "dtype": "float32"}, "torch_dtype": "bfloat16"})
    assert nested.dtype == "fp32" and "text_config.dtype" in nested.fields


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('"float12"', '"float12" (a string)'),
        ("16", "16 (a whole number)"),
        ("true", "true (a boolean)"),
        ('["bfloat16"]', "a list"),
        ('"auto"', '"auto" (a string)'),
    ],
)
def test_a_config_dtype_that_names_no_dtype_is_an_error_naming_the_field(
    value: str, shown: str
) -> None:
    text = '{"vocab_size": 100, "hidden_size": 8, "torch_dtype": ' + value + "}"
    with pytest.raises(NncalcError) as caught:
        resolved(text)
    error = caught.value
    assert error.param == "config" and error.where.operand == "cfg.json"
    assert error.kind is Kind.CONFIG_DTYPE
    assert str(error) == (
        f"cfg.json: torch_dtype: not a dtype name, got {shown}; known: fp64, fp32, tf32, fp16,"
        " bf16, fp8, fp8_e4m3, fp8_e5m2, int8, uint8, int4 and their PyTorch names"
        " (Flags.dtype overrides it)"
    )
    assert str(for_cli(error)).endswith(" and their PyTorch names (--dtype overrides it)")


def test_an_unknown_given_dtype_names_the_argument() -> None:
    with pytest.raises(NncalcError) as caught:
        resolved(dict(SIZES), dtype="fp13")
    assert caught.value.param == "dtype" and caught.value.where.token == "fp13"


def test_the_command_line_names_the_dtype_option() -> None:
    with pytest.raises(NncalcError) as caught:
        embedding_params(8, 8, dtype="fp12")
    assert str(for_cli(caught.value)) == (
        "--dtype: 'fp12': unknown dtype (known: fp64, fp32, tf32, fp16, bf16, fp8, fp8_e4m3,"
        " fp8_e5m2, int8, uint8, int4) (any case; PyTorch names such as bfloat16 work too)"
    )
