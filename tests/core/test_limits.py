"""Size limits: config files read with one bounded read, sizes at most 10**18."""

from __future__ import annotations

import io
import json
import os
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from nncalc import embedding_params
from nncalc.cli.errors import for_cli
from nncalc.core import model_configs as models
from nncalc.core.config_files import json_kind, parse_config, read_config
from nncalc.core.limits import (
    MAX_CONFIG_BYTES,
    MAX_JSON_INT_DIGITS,
    MAX_SIZE,
    LongNumber,
    check_size,
    int_text,
    parse_json_int,
)
from nncalc.errors import NncalcError


def test_the_limits_are_the_documented_ones() -> None:
    assert MAX_CONFIG_BYTES == 16 * 2**20
    assert MAX_SIZE == 10**18
    assert MAX_JSON_INT_DIGITS == 19


# -- config files ---------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_config_stops_at_the_limit_in_flat_memory() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(NncalcError) as caught:
            read_config("/dev/zero")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    error = caught.value
    assert error.param == "config" and error.where.operand == "/dev/zero"
    assert str(error) == (
        "/dev/zero: larger than 16 MiB, the limit for a config: expected a JSON config"
    )
    assert peak < 3 * MAX_CONFIG_BYTES


def test_a_config_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    body = b'{"vocab_size": 8, "hidden_size": 4}'
    path = tmp_path / "config.json"
    path.write_bytes(body + b" " * (MAX_CONFIG_BYTES - len(body)))
    assert read_config(str(path)).data == {"vocab_size": 8, "hidden_size": 4}
    with path.open("ab") as handle:
        handle.write(b" ")
    with pytest.raises(NncalcError, match="larger than 16 MiB"):
        read_config(str(path))


def test_stdin_is_read_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.TextIOWrapper(io.BytesIO(b'\xef\xbb\xbf{"vocab_size": 8}'), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stream)
    assert read_config("-").data == {"vocab_size": 8}
    big = io.TextIOWrapper(io.BytesIO(b" " * (MAX_CONFIG_BYTES + 10)), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", big)
    with pytest.raises(NncalcError, match="larger than 16 MiB"):
        read_config("-")


def test_a_closed_stdin_is_an_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(NncalcError) as caught:
        read_config("-")
    assert str(caught.value) == "-: cannot read stdin: it is closed"
    assert caught.value.param == "config"


def test_a_text_only_stdin_is_read_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"vocab_size": 8}'))
    assert read_config("-").data == {"vocab_size": 8}


# -- long JSON integers -----------------------------------------------------------


def test_long_json_integers_are_not_converted() -> None:
    digits = "7" * 1_000_000
    data = parse_config('{"vocab_size": ' + digits + ', "x": -' + digits + "}", "c.json")
    long = data["vocab_size"]
    assert isinstance(long, LongNumber) and long.digits == 1_000_000 and not long.negative
    assert data["x"].negative
    assert json_kind(long) == "a whole number of 1,000,000 digits"
    assert parse_json_int("9" * 19) == 10**19 - 1
    assert isinstance(parse_json_int("1" + "0" * 19), LongNumber)
    assert parse_json_int("-" + "9" * 19) == -(10**19 - 1)


def config(data: str, **flags: Any) -> models.Model:
    source = models.ConfigText(parse_config(data, "c.json"), "c.json", "config")
    return models.resolve(source, models.Flags(**flags))


HUGE_CONFIG_SIZES = [
    ("9" * 5000, "must be at most 10**18, got a whole number of 5,000 digits"),
    ("-" + "9" * 5000, "must be positive, got a negative whole number of 5,000 digits"),
    (str(10**18 + 1), "must be at most 10**18, got 1000000000000000001"),
    ("1" + "0" * 19, "must be at most 10**18, got a whole number of 20 digits"),
]


@pytest.mark.parametrize(("vocab", "why"), HUGE_CONFIG_SIZES)
def test_a_huge_size_in_a_config_is_a_one_line_error(vocab: str, why: str) -> None:
    with pytest.raises(NncalcError) as caught:
        config('{"vocab_size": ' + vocab + ', "hidden_size": 8}')
    assert str(caught.value) == f"c.json: vocab_size: {why}"
    assert caught.value.param == "config"


def test_the_largest_size_is_accepted_from_a_config() -> None:
    model = config('{"vocab_size": 1000000000000000000, "hidden_size": 8}')
    assert model.vocab_size == MAX_SIZE
    record = embedding_params(model.vocab_size, model.d_model)
    assert record["total"] == 8 * 10**18


@pytest.mark.parametrize("field", ["hidden_size", "max_position_embeddings", "type_vocab_size"])
def test_every_size_field_is_bounded(field: str) -> None:
    data: dict[str, Any] = {"model_type": "bert", "vocab_size": 8, "hidden_size": 8}
    data["max_position_embeddings"] = 512
    data[field] = 10**30
    text = json.dumps(data)
    with pytest.raises(NncalcError, match=f"{field}: must be at most 10\\*\\*18"):
        config(text)


# -- sizes given by the caller ----------------------------------------------------

SIZE_ARGUMENTS = ["vocab_size", "d_model", "max_len", "batch_size", "pad_to_multiple"]


def call_with(name: str, value: int) -> None:
    arguments: dict[str, Any] = {"vocab_size": 8, "d_model": 8, "max_len": 4}
    arguments[name] = value
    embedding_params(**arguments)


@pytest.mark.parametrize("name", [*SIZE_ARGUMENTS, "type_vocab_size", "position_offset"])
@pytest.mark.parametrize("value", [10**18 + 1, 10**5000], ids=["limit+1", "5001-digits"])
def test_embedding_params_refuses_sizes_over_the_limit(name: str, value: int) -> None:
    with pytest.raises(NncalcError) as caught:
        call_with(name, value)
    error = caught.value
    assert error.param == name
    assert f"{name} must be at most 10**18" in str(error)
    assert "--" not in str(error) and len(str(error)) < 200


def test_the_command_line_names_the_size_option() -> None:
    with pytest.raises(NncalcError) as caught:
        embedding_params(10**19, 8)
    assert str(for_cli(caught.value)) == (
        "--vocab-size: '10000000000000000000': vocab_size must be at most 10**18"
    )
    with pytest.raises(NncalcError) as caught:
        config('{"vocab_size": ' + "9" * 5000 + ', "hidden_size": 8}')
    assert str(for_cli(caught.value)) == (
        "--config c.json: vocab_size: must be at most 10**18, got a whole number of 5,000 digits"
    )


@pytest.mark.parametrize("name", SIZE_ARGUMENTS)
def test_embedding_params_accepts_the_limit(name: str) -> None:
    call_with(name, 10**18)


def test_a_huge_negative_size_is_described_not_printed() -> None:
    with pytest.raises(NncalcError) as caught:
        embedding_params(-(10**5000), 8)
    assert str(caught.value) == (
        "vocab_size must be a positive whole number, got a negative whole number of about "
        "5,001 digits"
    )


@pytest.mark.parametrize("name", ["vocab_size", "d_model", "max_len", "type_vocab_size"])
def test_resolve_refuses_a_huge_given_size_before_printing_it(name: str) -> None:
    flags: dict[str, Any] = {name: 10**5000}
    with pytest.raises(NncalcError) as caught:
        config('{"vocab_size": 8, "hidden_size": 8}', **flags)
    assert caught.value.param == name
    with pytest.raises(NncalcError):
        models.resolve(None, models.Flags(**{"vocab_size": 8, "d_model": 8, **flags}))


def test_int_text_never_converts_a_long_int() -> None:
    assert int_text(10**39) == str(10**39)
    assert int_text(10**40) == "a whole number of about 41 digits"
    assert int_text(-(10**100000)) == "a negative whole number of about 100,001 digits"


def test_check_size() -> None:
    assert check_size("n", 1) == 1 and check_size("n", 0, minimum=0) == 0
    for bad in (0, True, 1.0, "3"):
        with pytest.raises(NncalcError) as caught:
            check_size("n", bad)  # type: ignore[arg-type]
        assert caught.value.param == "n"
