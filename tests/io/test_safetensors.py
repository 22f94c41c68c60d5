""".safetensors operands: the documented layout, checked against the reference package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

from nncalc.errors import NncalcError
from nncalc.io.tensors import is_tensor_operand
from tests.io.tensor_helpers import (
    bf16_bits,
    bf16_reference,
    raw_safetensors,
    read_all,
    safetensors_bytes,
    save_arrays,
)

RNG = np.random.default_rng(9)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # short relative names in the error messages


def error_text(text: str) -> str:
    with pytest.raises(NncalcError) as caught:
        read_all(text)
    return str(caught.value)


def write(name: str, data: bytes) -> str:
    Path(name).write_bytes(data)
    return "@" + name


ARRAYS = {
    "f16": RNG.standard_normal((2, 3, 4)).astype(np.float16),
    "f32": RNG.standard_normal((6, 4)).astype(np.float32),
    "f64": RNG.standard_normal((4,)),
    "i64": np.array([[3, -1], [0, 7]], np.int64),
    "i32": np.array([5, 6, 7], np.int32),
    "u8": np.array([[0, 255]], np.uint8),
    "mask": np.array([True, False, True]),
}


def test_our_layout_is_the_reference_packages(tmp_path: Path) -> None:
    save_arrays(tmp_path / "ours.safetensors", ARRAYS)
    loaded = safetensors.numpy.load_file(tmp_path / "ours.safetensors")
    assert sorted(loaded) == sorted(ARRAYS)
    for name, array in ARRAYS.items():
        assert loaded[name].dtype == array.dtype and np.array_equal(loaded[name], array)


@pytest.mark.parametrize("name", list(ARRAYS))
@pytest.mark.parametrize("writer", ["reference", "layout"])
def test_every_dtype_reads_as_the_reference_writes_it(
    tmp_path: Path, name: str, writer: str
) -> None:
    if writer == "reference":
        safetensors.numpy.save_file(ARRAYS, tmp_path / "m.safetensors", metadata={"by": "test"})
    else:
        save_arrays(tmp_path / "m.safetensors", ARRAYS)
    array = ARRAYS[name]
    reader, rows = read_all(f"@m.safetensors:{name}", limit=2)
    assert reader.shape == array.shape
    width = array.shape[-1] if array.ndim else 1
    assert np.array_equal(rows, array.astype(np.float64).reshape(-1, width))


def test_bf16_widens_exactly_by_the_bit_shift() -> None:
    bits = np.concatenate(
        [
            RNG.integers(0, 1 << 16, 5000).astype("<u2"),
            bf16_bits(np.array([0.0, -0.0, 1.0, -2.5, 3.0e38, 1e-40, np.inf, -np.inf], np.float32)),
        ]
    )
    bits = bits[: len(bits) // 8 * 8].reshape(-1, 8)
    write("b.safetensors", safetensors_bytes({"logits": ("BF16", bits.shape, bits.tobytes())}))
    reader, rows = read_all("@b.safetensors", limit=100)
    assert reader.shape == bits.shape
    expected = bf16_reference(bits)
    assert np.array_equal(rows, expected, equal_nan=True)
    assert rows[-1].tolist()[:4] == [0.0, -0.0, 1.0, -2.5]


def test_one_tensor_needs_no_name_and_several_do() -> None:
    one = np.arange(6, dtype=np.float32).reshape(2, 3)
    save_arrays(Path("one.safetensors"), {"logits": one})
    _, rows = read_all("@one.safetensors")
    assert rows.tolist() == one.tolist()
    save_arrays(Path("two.safetensors"), {"base": one, "new": one + 1})
    assert error_text("@two.safetensors") == (
        "P: '@two.safetensors': holds 2 tensors: name one as @file:NAME ('base', 'new')"
    )
    assert error_text("@two.safetensors:old") == (
        "P: '@two.safetensors:old': holds no tensor 'old' (it holds 'base', 'new')"
    )
    _, rows = read_all("@two.safetensors:new")
    assert rows.tolist() == (one + 1).tolist()


def test_names_may_hold_colons_and_metadata_is_no_tensor() -> None:
    raw = np.array([1.5, 2.5], "<f4").tobytes()
    write("c.safetensors", safetensors_bytes({"layer:0": ("F32", (2,), raw)}, metadata={"a": "b"}))
    _, rows = read_all("@c.safetensors:layer:0")
    assert rows.tolist() == [[1.5, 2.5]]
    _, rows = read_all("@c.safetensors")
    assert rows.tolist() == [[1.5, 2.5]]


def test_gaps_between_tensors_are_allowed_and_empty_tensors_overlap_nothing() -> None:
    raw = np.array([1.0, 2.0], "<f4").tobytes()
    header = {
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]},
        "empty": {"dtype": "F32", "shape": [0, 3], "data_offsets": [10, 10]},
    }
    write("g.safetensors", raw_safetensors(header, b"\0" * 8 + raw))
    _, rows = read_all("@g.safetensors:a")
    assert rows.tolist() == [[1.0, 2.0]]
    reader, rows = read_all("@g.safetensors:empty")
    assert reader.rows == 0 and rows.shape == (0, 3)


def test_detected_by_first_bytes_whatever_the_name() -> None:
    write("logits.bin", safetensors_bytes({"x": ("F64", (1,), np.float64(4).tobytes())}))
    assert is_tensor_operand("logits.bin")
    _, rows = read_all("@logits.bin")
    assert rows.tolist() == [[4.0]]


F32x2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x10\0\0", "truncated: shorter than the 8-byte header size"),
        (
            raw_safetensors({"x": F32x2}, b"\0" * 8, length=500),
            "truncated: the header size says 500 bytes",
        ),
        (
            raw_safetensors({"x": F32x2}, b"\0" * 6),
            "truncated: tensor 'x' ends at byte 8 of the data, which holds 6",
        ),
        (
            raw_safetensors(b"{}", length=100_000_001),
            "header of 100,000,001 bytes is over the 100 MB limit",
        ),
        (raw_safetensors(b'{"x": {"dtype": "F32",', b"\0" * 8), "header is not valid JSON"),
        (raw_safetensors(b"{" + b"[" * 100_000, b""), "header is not valid JSON"),
        (raw_safetensors(b'{"x": 1, "x": 2}'), "header names 'x' more than once"),
        (raw_safetensors(b'{"x": ' + b"1" * 5000 + b"}"), "a number with too many digits"),
        (raw_safetensors(b"\xff{}"), "header is not UTF-8 text"),
        (raw_safetensors(["x"]), "header is not a JSON object"),
        (raw_safetensors({"__metadata__": {}}), "holds no tensors"),
        (raw_safetensors({"x": [1]}), "tensor 'x': its header entry is not a JSON object"),
        (
            raw_safetensors({"x": {**F32x2, "dtype": "F17"}}, b"\0" * 8),
            "tensor 'x': unknown dtype 'F17' (nncalc reads F16, BF16, F32, F64",
        ),
        (
            raw_safetensors({"x": {**F32x2, "dtype": None}}, b"\0" * 8),
            "tensor 'x': unknown dtype None",
        ),
        (
            raw_safetensors({"x": {**F32x2, "shape": [-2]}}, b"\0" * 8),
            "tensor 'x': shape is not a list of non-negative integers",
        ),
        (
            raw_safetensors({"x": {**F32x2, "shape": [True, 2]}}, b"\0" * 8),
            "shape is not a list of non-negative integers",
        ),
        (
            raw_safetensors({"x": {**F32x2, "data_offsets": [8, 0]}}, b"\0" * 8),
            "data_offsets is not [begin, end] with begin <= end",
        ),
        (
            raw_safetensors({"x": {**F32x2, "data_offsets": [0]}}, b"\0" * 8),
            "data_offsets is not [begin, end]",
        ),
        (
            raw_safetensors({"x": {**F32x2, "shape": [3]}}, b"\0" * 8),
            "tensor 'x': data_offsets span 8 bytes, but F32 of shape (3,) takes 12",
        ),
        (
            raw_safetensors({"x": {**F32x2, "shape": [10**30, 10**30]}}, b"\0" * 8),
            "takes 4,000,000,000",
        ),
        (
            raw_safetensors({"a": F32x2, "b": {**F32x2, "data_offsets": [4, 12]}}, b"\0" * 12),
            "tensors 'a' (bytes 0-8) and 'b' (bytes 4-12) overlap",
        ),
    ],
)
def test_hostile_headers_are_errors_naming_the_file(data: bytes, message: str) -> None:
    text = error_text(write("h.safetensors", data))
    assert text.startswith("P: '@h.safetensors': ")
    assert message in text
    assert "\n" not in text


def test_a_known_dtype_not_read_here_is_named_only_when_chosen() -> None:
    header = {
        "fp8": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]},
        "f32": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
    }
    write("q.safetensors", raw_safetensors(header, b"\0" * 4 + np.float32(2).tobytes()))
    _, rows = read_all("@q.safetensors:f32")
    assert rows.tolist() == [[2.0]]
    assert "tensor 'fp8' has dtype F8_E4M3, which is not read here" in error_text(
        "@q.safetensors:fp8"
    )


def test_long_hostile_names_are_shortened_in_messages() -> None:
    name = "n" * 5000
    data = raw_safetensors({name: {**F32x2, "shape": [3]}}, b"\0" * 8)
    text = error_text(write("long.safetensors", data))
    assert len(text) < 300 and "nnn...'" in text
