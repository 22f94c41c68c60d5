"""embed-params: counts by hand, from Hugging Face configs and presets; padding, bytes, errors.

The Python API: tests/core/test_embeddings.py.
"""

from __future__ import annotations

import json
import re
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from nncalc.core.model_configs import families, preset_names, presets
from tests.conftest import ROOT, ok, one_line_error, run, run_process

RECORD_KEYS = [
    "vocab_size",
    "padded_vocab_size",
    "vocab_padding",
    "d_model",
    "tied",
    "max_len",
    "type_vocab_size",
    "token_embedding",
    "lm_head",
    "position_embedding",
    "token_type_embedding",
    "total",
    "dtype",
    "bytes",
    "tying_saves",
    "tying_saves_percent",
    "batch_size",
    "output_shape",
    "output_bytes",
    "source",
    "preset",
    "model_type",
    "positions",
    "fields",
    "assumed",
    "overrides",
]


def record(*args: str, input: str | None = None) -> dict[str, Any]:
    """Run embed-params with --format json and return the record."""
    result = run("embed-params", *args, "--format", "json", input=input)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    data: dict[str, Any] = json.loads(result.stdout)
    assert list(data) == RECORD_KEYS
    return data


def write_config(tmp_path: Path, config: dict[str, Any] | str, name: str = "config.json") -> str:
    path = tmp_path / name
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    return str(path)


# -- the checks the issue names --------------------------------------------------

PRESET_CHECKS = {
    "gpt2": dict(token_embedding=38_597_376, lm_head=0, position_embedding=786_432, tied=True),
    "llama-3-8b": dict(
        token_embedding=525_336_576, lm_head=525_336_576, position_embedding=0, tied=False
    ),
    "qwen2.5-0.5b": dict(token_embedding=136_134_656, lm_head=0, position_embedding=0, tied=True),
    "llama-3.2-1b": dict(token_embedding=262_668_288, lm_head=0, position_embedding=0, tied=True),
    "qwen2-7b": dict(
        token_embedding=544_997_376, lm_head=544_997_376, position_embedding=0, tied=False
    ),
    "bert-base-uncased": dict(
        token_embedding=23_440_896,
        lm_head=0,
        position_embedding=512 * 768,
        token_type_embedding=2 * 768,
        tied=True,
    ),
}


@pytest.mark.parametrize("name", list(PRESET_CHECKS))
def test_preset_matches_the_published_model(name: str) -> None:
    data = record("--preset", name)
    for key, value in PRESET_CHECKS[name].items():
        assert data[key] == value, key
    assert data["source"] == "preset"
    assert data["preset"] == name
    parts = ("token_embedding", "lm_head", "position_embedding", "token_type_embedding")
    assert data["total"] == sum(data[key] for key in parts)


def test_rope_presets_have_no_position_table_but_a_context_length() -> None:
    data = record("--preset", "llama-3-8b")
    assert data["positions"] == "rope"
    assert data["position_embedding"] == 0
    assert data["max_len"] == 8192
    assert data["fields"] == (
        "model_type vocab_size hidden_size tie_word_embeddings max_position_embeddings"
    )
    assert data["assumed"] is None


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_resolves_from_its_config(name: str) -> None:
    config = presets()[name]["config"]
    family = families()[config["model_type"]]
    data = record("--preset", name)
    width = next(config[key] for key in family.width_keys if key in config)
    assert data["vocab_size"] == config["vocab_size"]
    assert data["d_model"] == width
    assert data["token_embedding"] == config["vocab_size"] * width
    assert data["tied"] == config.get("tie_word_embeddings", family.tie_word_embeddings)
    assert data["lm_head"] == (0 if data["tied"] else data["token_embedding"])
    assert data["positions"] == family.positions
    assert (data["position_embedding"] > 0) == (family.positions == "learned")
    assert data["model_type"] == config["model_type"]
    assert presets()[name]["repo"].count("/") == 1


def test_preset_list_plain_is_one_name_per_line() -> None:
    result = run("embed-params", "--preset", "list", "--format", "plain")
    assert result.exit_code == 0
    names = result.stdout.splitlines()
    assert names == preset_names()
    for required in PRESET_CHECKS:
        assert required in names


def test_preset_list_csv_json_and_table() -> None:
    csv = run("embed-params", "--preset", "list", "--format", "csv")
    assert csv.exit_code == 0
    lines = csv.stdout.splitlines()
    assert lines[0] == "preset,repo,model_type,vocab_size,d_model,tied,positions,max_len"
    assert "llama-3-8b,meta-llama/Meta-Llama-3-8B,llama,128256,4096,false,rope,8192" in lines
    assert len(lines) == len(preset_names()) + 1
    data = json.loads(run("embed-params", "--preset", "list", "--format", "json").stdout)
    assert [row["preset"] for row in data["presets"]] == preset_names()
    assert data["presets"][0]["tied"] is True
    table = run("embed-params", "--preset", "list", "--format", "table")
    assert table.exit_code == 0
    assert "128,256" in table.stdout and "qwen2" in table.stdout


def test_preset_by_repo_and_in_any_case() -> None:
    by_repo = record("--preset", "meta-llama/Meta-Llama-3-8B")
    assert by_repo["preset"] == "llama-3-8b"
    assert record("--preset", "GPT2")["token_embedding"] == 38_597_376


def test_preset_names_complete_in_the_shell() -> None:
    from nncalc.cli.commands.embed_params import complete_preset as _complete_preset

    assert _complete_preset("llama-3.2") == ["llama-3.2-1b", "llama-3.2-3b"]
    assert "list" in _complete_preset("")


# -- configs of each family shape --------------------------------------------------

GPT2 = {"model_type": "gpt2", "vocab_size": 50257, "n_embd": 768, "n_positions": 1024}
BERT = {
    "model_type": "bert",
    "vocab_size": 30522,
    "hidden_size": 768,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
}
LLAMA = {
    "model_type": "llama",
    "vocab_size": 128256,
    "hidden_size": 2048,
    "max_position_embeddings": 131072,
}


def test_gpt2_style_config_without_tying_field_is_tied(tmp_path: Path) -> None:
    data = record("--config", write_config(tmp_path, GPT2))
    assert data["token_embedding"] == 38_597_376
    assert data["position_embedding"] == 786_432
    assert data["tied"] is True and data["lm_head"] == 0
    assert data["source"] == "config"
    assert data["fields"] == "model_type vocab_size n_embd n_positions"
    assert data["assumed"] == "tie_word_embeddings=true"


def test_gpt2_style_config_untied(tmp_path: Path) -> None:
    data = record("--config", write_config(tmp_path, {**GPT2, "tie_word_embeddings": False}))
    assert data["lm_head"] == 38_597_376
    assert data["total"] == 2 * 38_597_376 + 786_432
    assert "tie_word_embeddings" in data["fields"].split()
    assert data["assumed"] is None


def test_bert_style_config_has_token_type_table(tmp_path: Path) -> None:
    data = record("--config", write_config(tmp_path, BERT))
    assert data["token_embedding"] == 23_440_896
    assert data["position_embedding"] == 512 * 768
    assert data["type_vocab_size"] == 2
    assert data["token_type_embedding"] == 2 * 768
    assert data["total"] == 23_440_896 + 512 * 768 + 2 * 768
    untied = 2 * 23_440_896 + 512 * 768 + 2 * 768
    assert data["tying_saves_percent"] == pytest.approx(100 * 23_440_896 / untied, rel=1e-15)


def test_bert_style_config_without_type_vocab_size_assumes_two(tmp_path: Path) -> None:
    config = {key: value for key, value in BERT.items() if key != "type_vocab_size"}
    data = record("--config", write_config(tmp_path, config))
    assert data["token_type_embedding"] == 2 * 768
    assert data["assumed"] == "tie_word_embeddings=true type_vocab_size=2"


def test_roberta_style_config_uses_its_position_count(tmp_path: Path) -> None:
    config = {**BERT, "model_type": "roberta", "max_position_embeddings": 514, "type_vocab_size": 1}
    data = record("--config", write_config(tmp_path, config))
    assert data["position_embedding"] == 514 * 768
    assert data["token_type_embedding"] == 768


@pytest.mark.parametrize("tie", [True, False])
def test_llama_style_config_with_tying_field(tmp_path: Path, tie: bool) -> None:
    data = record("--config", write_config(tmp_path, {**LLAMA, "tie_word_embeddings": tie}))
    assert data["token_embedding"] == 262_668_288
    assert data["tied"] is tie
    assert data["lm_head"] == (0 if tie else 262_668_288)
    assert data["position_embedding"] == 0
    assert data["positions"] == "rope"
    assert data["max_len"] == 131072


def test_llama_style_config_without_tying_field_is_tied(tmp_path: Path) -> None:
    # The contract: the library's default when absent, PretrainedConfig's true.
    data = record("--config", write_config(tmp_path, LLAMA))
    assert data["tied"] is True
    assert data["lm_head"] == 0
    assert data["assumed"] == "tie_word_embeddings=true"


@pytest.mark.parametrize("model_type", ["qwen2", "mistral", "gemma", "phi3", "gptj"])
def test_rope_families_defaults(tmp_path: Path, model_type: str) -> None:
    config = {**LLAMA, "model_type": model_type}
    data = record("--config", write_config(tmp_path, config))
    assert data["tied"] is True
    assert data["position_embedding"] == 0
    assert data["positions"] == "rope"


def test_opt_position_table_has_two_extra_rows(tmp_path: Path) -> None:
    config = {"model_type": "opt", "vocab_size": 50272, "hidden_size": 768}
    config["max_position_embeddings"] = 2048
    data = record("--config", write_config(tmp_path, config))
    assert data["position_embedding"] == (2048 + 2) * 768
    assert data["max_len"] == 2048


@pytest.mark.parametrize(
    ("config", "width", "positions"),
    [
        ({"model_type": "t5", "vocab_size": 32128, "d_model": 512, "n_positions": 512}, 512, 0),
        (
            {"model_type": "distilbert", "vocab_size": 30522, "dim": 768, "hidden_dim": 3072}
            | {"max_position_embeddings": 512},
            768,
            512 * 768,
        ),
        (
            {"model_type": "albert", "vocab_size": 30000, "embedding_size": 128}
            | {"hidden_size": 768, "max_position_embeddings": 512, "type_vocab_size": 2},
            128,
            512 * 128,
        ),
        ({"model_type": "bloom", "vocab_size": 250880, "n_embed": 1024}, 1024, 0),
    ],
)
def test_family_width_fields(
    tmp_path: Path, config: dict[str, Any], width: int, positions: int
) -> None:
    data = record("--config", write_config(tmp_path, config))
    assert data["d_model"] == width
    assert data["token_embedding"] == config["vocab_size"] * width
    assert data["position_embedding"] == positions


@pytest.mark.parametrize("model_type", [None, "some_new_model"])
def test_unknown_family_assumes_tied_and_no_position_table(
    tmp_path: Path, model_type: str | None
) -> None:
    config: dict[str, Any] = {"vocab_size": 1000, "hidden_size": 64}
    config["max_position_embeddings"] = 2048
    if model_type:
        config["model_type"] = model_type
    data = record("--config", write_config(tmp_path, config))
    assert data["tied"] is True
    assert data["position_embedding"] == 0
    assert data["positions"] == "none"
    assert data["model_type"] == model_type
    assert data["assumed"] == "tie_word_embeddings=true positions=none"
    learned = record("--config", write_config(tmp_path, config), "--positions", "learned")
    assert learned["position_embedding"] == 2048 * 64


def test_multimodal_config_reads_text_config(tmp_path: Path) -> None:
    config = {
        "model_type": "gemma3",
        "text_config": {"model_type": "gemma3_text", "vocab_size": 262208, "hidden_size": 2560},
        "vision_config": {"hidden_size": 1152},
    }
    data = record("--config", write_config(tmp_path, config))
    assert data["token_embedding"] == 262208 * 2560
    assert data["tied"] is True
    assert data["fields"] == "text_config.model_type text_config.vocab_size text_config.hidden_size"


def test_config_from_stdin_with_bom_and_crlf() -> None:
    text = "\ufeff" + json.dumps(GPT2, indent=2).replace("\n", "\r\n")
    data = record("--config", "-", input=text)
    assert data["token_embedding"] == 38_597_376


def test_config_fields_ignored_beyond_embeddings(tmp_path: Path) -> None:
    config = {**GPT2, "n_layer": 12, "architectures": ["GPT2LMHeadModel"], "n_ctx": 1024}
    assert record("--config", write_config(tmp_path, config))["total"] == 39_383_808


# -- flags override config and preset values -------------------------------------


def test_tied_flag_overrides_preset() -> None:
    data = record("--preset", "llama-3-8b", "--tied")
    assert data["lm_head"] == 0
    assert data["total"] == 525_336_576
    assert data["overrides"] == "tied=true"
    assert "tie_word_embeddings" not in data["fields"].split()


def test_untied_flag_overrides_gpt2() -> None:
    data = record("--preset", "gpt2", "--untied")
    assert data["lm_head"] == 38_597_376
    assert data["assumed"] is None


def test_max_len_resizes_a_learned_table_and_only_the_context_otherwise() -> None:
    gpt2 = record("--preset", "gpt2", "--max-len", "512")
    assert gpt2["position_embedding"] == 512 * 768
    assert gpt2["overrides"] == "max_len=512"
    llama = record("--preset", "llama-3-8b", "--max-len", "2048")
    assert llama["position_embedding"] == 0
    assert llama["max_len"] == 2048
    assert llama["output_shape"] == "1x2048x4096"


def test_positions_flag_overrides_the_family() -> None:
    assert record("--preset", "gpt2", "--positions", "none")["position_embedding"] == 0
    forced = record("--preset", "llama-3-8b", "--positions", "learned")
    assert forced["position_embedding"] == 8192 * 4096
    assert forced["positions"] == "learned"


def test_size_flags_override_and_fill_config_values(tmp_path: Path) -> None:
    data = record("--config", write_config(tmp_path, GPT2), "--vocab-size", "50304")
    assert data["token_embedding"] == 50304 * 768
    assert data["overrides"] == "vocab_size=50304"
    no_vocab = {key: value for key, value in LLAMA.items() if key != "vocab_size"}
    filled = record("--config", write_config(tmp_path, no_vocab), "--vocab-size", "1000")
    assert filled["token_embedding"] == 1000 * 2048
    assert (
        record("--preset", "bert-base-uncased", "--type-vocab-size", "0")["token_type_embedding"]
        == 0
    )


# -- padding, bytes and the output shape ---------------------------------------------


def test_pad_to_multiple_like_nanogpt() -> None:
    data = record("--vocab-size", "50257", "--d-model", "768", "--pad-to-multiple", "64")
    assert data["vocab_size"] == 50257
    assert data["padded_vocab_size"] == 50304
    assert data["vocab_padding"] == 47
    assert data["token_embedding"] == 50304 * 768
    untied = record("--preset", "gpt2", "--pad-to-multiple", "64", "--untied")
    assert untied["lm_head"] == 50304 * 768


@pytest.mark.parametrize(("multiple", "padded"), [(1, 50257), (8, 50264), (128, 50304)])
def test_pad_to_other_multiples(multiple: int, padded: int) -> None:
    data = record("--preset", "gpt2", "--pad-to-multiple", str(multiple))
    assert data["padded_vocab_size"] == padded


def test_padding_a_multiple_already_adds_nothing() -> None:
    data = record("--preset", "llama-3-8b", "--pad-to-multiple", "64")
    assert data["vocab_padding"] == 0


@pytest.mark.parametrize(
    ("dtype", "per_param"), [("fp32", 4), ("fp16", 2), ("bf16", 2), ("int8", 1), ("fp64", 8)]
)
def test_dtype_bytes(dtype: str, per_param: int) -> None:
    data = record("--preset", "llama-3-8b", "--dtype", dtype)
    assert data["bytes"] == 2 * 525_336_576 * per_param
    assert data["output_bytes"] == 8192 * 4096 * per_param


def test_int4_bytes_round_up() -> None:
    data = record("--vocab-size", "3", "--d-model", "3", "--dtype", "int4")
    assert data["total"] == 9
    assert data["bytes"] == 5
    assert record("--preset", "gpt2", "--dtype", "int4")["bytes"] == 39_383_808 // 2


def test_batch_output_shape_and_bytes() -> None:
    data = record("--preset", "gpt2", "--batch-size", "8", "--dtype", "bf16")
    assert data["batch_size"] == 8
    assert data["output_shape"] == "8x1024x768"
    assert data["output_bytes"] == 8 * 1024 * 768 * 2
    flags = record("-V", "100", "-D", "16", "-L", "32", "-B", "4")
    assert flags["output_shape"] == "4x32x16"


def test_without_a_context_length_there_is_no_output_shape() -> None:
    data = record("--vocab-size", "100", "--d-model", "16")
    assert data["max_len"] is None
    assert data["batch_size"] is None and data["output_shape"] is None
    assert data["position_embedding"] == 0
    assert data["positions"] == "none"


# -- output formats ------------------------------------------------------------------


def test_plain_is_name_value_lines() -> None:
    result = run("embed-params", "--preset", "gpt2", "--format", "plain")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split("=", 1)[0] for line in lines] == RECORD_KEYS
    assert "token_embedding=38597376" in lines
    assert "assumed=tie_word_embeddings=true" in lines


def test_csv_is_a_header_and_one_row() -> None:
    result = run("embed-params", "--preset", "llama-3-8b", "--format", "csv")
    header, row = result.stdout.splitlines()
    assert header.split(",") == RECORD_KEYS
    values = dict(zip(RECORD_KEYS, row.split(","), strict=True))
    assert values["lm_head"] == "525336576"
    assert values["preset"] == "llama-3-8b"


def test_table_groups_digits() -> None:
    result = run("embed-params", "--preset", "gpt2", "--format", "table")
    assert result.exit_code == 0
    assert "38,597,376" in result.stdout
    assert "token_embedding" in result.stdout


def test_digits_round_the_percentage() -> None:
    data = record("--preset", "gpt2", "--digits", "4")
    assert data["tying_saves_percent"] == 49.5
    assert data["token_embedding"] == 38_597_376


def test_every_key_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### `embed-params`", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)
    assert documented == RECORD_KEYS
    for name in PRESET_CHECKS:
        assert f"`{name}`" in section


def test_json_through_a_real_pipe() -> None:
    result = run_process(
        "nncalc embed-params --preset qwen2.5-0.5b --format json"
        " | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token_embedding\"])'"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"136134656\n"


# -- errors: one line, exit 2, nothing on stdout ---------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"vocab_size": 50257,', "not valid JSON: Expecting property name"),
        ("", "the file is empty"),
        ("[1, 2]", "expected a JSON object of config fields, got a list"),
        ('{"model_type": "llama", "hidden_size": 64}', "no vocab_size field (pass --vocab-size)"),
        (
            '{"model_type": "llama", "vocab_size": 100}',
            "no hidden_size, n_embd or d_model field (pass --d-model)",
        ),
        (
            '{"model_type": "distilbert", "vocab_size": 100, "hidden_size": 64}',
            "no dim field (pass --d-model)",
        ),
        ('{"vocab_size": 0, "hidden_size": 64}', "vocab_size: must be positive, got 0"),
        ('{"vocab_size": 100, "hidden_size": -8}', "hidden_size: must be positive, got -8"),
        (
            '{"vocab_size": "50257", "hidden_size": 64}',
            'vocab_size: expected a whole number, got "50257" (a string)',
        ),
        (
            '{"vocab_size": 100, "hidden_size": 64.0}',
            "hidden_size: expected a whole number, got 64.0 (a decimal number)",
        ),
        (
            '{"vocab_size": true, "hidden_size": 64}',
            "vocab_size: expected a whole number, got true (a boolean)",
        ),
        (
            '{"vocab_size": 100, "hidden_size": 64, "tie_word_embeddings": "no"}',
            'tie_word_embeddings: expected true or false, got "no" (a string)',
        ),
        (
            '{"model_type": 2, "vocab_size": 100, "hidden_size": 64}',
            "model_type: expected a string, got 2 (a whole number)",
        ),
        (
            '{"model_type": "gpt2", "vocab_size": 100, "n_embd": 64}',
            "no n_positions or max_position_embeddings field for the learned position table"
            " (pass --max-len, or --positions none)",
        ),
        (
            '{"model_type": "gpt2", "vocab_size": 100, "n_embd": 64, "n_positions": 0}',
            "n_positions: must be positive, got 0",
        ),
        (
            '{"model_type": "bert", "vocab_size": 100, "hidden_size": 64,'
            ' "max_position_embeddings": 8, "type_vocab_size": -1}',
            "type_vocab_size: must be zero or more, got -1",
        ),
    ],
)
def test_bad_config_is_one_line_error(tmp_path: Path, text: str, message: str) -> None:
    path = write_config(tmp_path, text)
    line = one_line_error(run("embed-params", "--config", path))
    assert line.startswith(f"nncalc: error: --config {path}: ")
    assert message in line


def test_missing_file_directory_and_binary(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    line = one_line_error(run("embed-params", "--config", str(missing)))
    assert line.endswith("cannot read the file (No such file or directory)")
    assert str(missing) in line
    line = one_line_error(run("embed-params", "--config", str(tmp_path)))
    assert "cannot read the file" in line
    binary = tmp_path / "weights.bin"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    assert "not UTF-8 text" in one_line_error(run("embed-params", "--config", str(binary)))


def test_unknown_preset_lists_the_known_ones() -> None:
    line = one_line_error(run("embed-params", "--preset", "gpt-2"))
    assert line.startswith("nncalc: error: --preset: 'gpt-2': unknown preset (did you mean gpt2?")
    for name in preset_names():
        assert name in line
    assert "--preset list shows them" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "gpt2", "--config", "x.json"], "pass either --config or --preset, not both"),
        (["--d-model", "768"], "--vocab-size is required (or pass --config or --preset)"),
        (["--vocab-size", "100"], "--d-model is required (or pass --config or --preset)"),
        (["-V", "100", "-D", "8", "--batch-size", "2"], "--batch-size: needs a sequence length"),
        (
            ["--preset", "t5-small", "--max-len", "0"],
            "--max-len: '0': max_len must be a whole number in [1, 10**18]",
        ),
        (
            ["--preset", "gpt2", "--pad-to-multiple", "0"],
            "--pad-to-multiple: '0': pad_to_multiple must",
        ),
        (
            ["--preset", "gpt2", "--batch-size", "0"],
            "--batch-size: '0': batch_size must be a whole number in [1, 10**18]",
        ),
        (
            ["-V", "-5", "-D", "8"],
            "--vocab-size: '-5': vocab_size must be a whole number in [1, 10**18]",
        ),
        (["--preset", "gpt2", "--dtype", "fp12"], "--dtype: 'fp12': unknown dtype"),
        (
            ["--preset", "gpt2", "--type-vocab-size", "-1"],
            "--type-vocab-size: '-1': type_vocab_size must be",
        ),
    ],
)
def test_bad_flags_are_one_line_errors(args: list[str], message: str) -> None:
    assert message in one_line_error(run("embed-params", *args))


def test_no_network_and_no_hub_libraries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("embed-params tried to use the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    for name in preset_names():
        assert run("embed-params", "--preset", name, "--format", "json").exit_code == 0
    assert record("--config", write_config(tmp_path, LLAMA))["token_embedding"] == 262_668_288
    assert "transformers" not in sys.modules
    assert "huggingface_hub" not in sys.modules
    for source in (ROOT / "nncalc").rglob("*.py"):
        text = source.read_text()
        assert not re.search(r"^\s*(import|from)\s+(transformers|huggingface_hub)", text, re.M)


@pytest.mark.parametrize("flag", ["-V", "-D", "--max-len", "--batch-size", "--pad-to-multiple"])
def test_a_size_of_thousands_of_digits_is_refused_by_name(flag: str) -> None:
    args = ["-V", "10", "-D", "4", "-L", "8", flag, "9" * 5000]
    line = one_line_error(run("embed-params", *args))
    assert "must be at most 10**18, got a whole number of 5,000 digits" in line


@pytest.mark.parametrize("spelling", ["bf16", "BFloat16", "torch.bfloat16", "BF16"])
def test_dtype_spellings_any_case(spelling: str) -> None:
    out = ok("embed-params", "-V", "10", "-D", "4", "--dtype", spelling, "-f", "plain")
    assert "dtype=bf16" in out.splitlines() and "bytes=80" in out.splitlines()


def test_a_configs_torch_dtype_is_the_default_dtype(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"vocab_size": 10, "hidden_size": 4, "torch_dtype": "float16"}')
    lines = ok("embed-params", "--config", str(config), "-f", "plain").splitlines()
    assert "dtype=fp16" in lines and "bytes=80" in lines
    flagged = ok("embed-params", "--config", str(config), "--dtype", "int8", "-f", "plain")
    assert "bytes=40" in flagged.splitlines()


def test_bytes_have_units_in_tables_and_raw_integers_elsewhere() -> None:
    args = ["embed-params", "--preset", "llama-3-8b", "--dtype", "bf16"]
    table = ok(*args, "-f", "table")
    assert "1.96 GiB (2.10 GB)" in table
    assert "bytes=2101346304" in ok(*args, "-f", "plain").splitlines()
