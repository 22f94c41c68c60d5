"""Large tensor files are read a chunk ahead: the same rows, the same errors, at the same fill."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import nncalc.io.tensor_rows as tensor_rows
from nncalc.errors import NncalcError
from nncalc.io.tensors import open_tensor
from tests.io.tensor_helpers import bf16_bits, safetensors_bytes

RNG = np.random.default_rng(1414)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tensor_rows, "CHUNK_VALUES", 3 * 7)  # chunks of 3 rows
    monkeypatch.setattr(tensor_rows, "READ_AHEAD_VALUES", 1)  # every file read ahead


def chunks(text: str, limits: list[int | None]) -> tuple[list[np.ndarray], list[int]]:
    """The chunks' rows (copied) and the bytes reported, asking ``limits`` in turn."""
    told: list[int] = []
    reader = open_tensor(text, "P", on_read=told.append)
    got = []
    turn = 0
    while (chunk := reader.read_chunk(limits[turn % len(limits)])) is not None:
        assert chunk.first_row == sum(len(rows) for rows in got) + 1
        got.append(chunk.values.copy())
        turn += 1
    assert reader.done
    return got, told


@pytest.mark.parametrize("limits", [[None], [2], [4, 1, None, 5], [1, 1, 2]])
def test_same_rows_whatever_the_chunk_sizes(tmp_path: Path, limits: list[int | None]) -> None:
    array = RNG.standard_normal((4, 5, 7)).astype(np.float32)
    np.save(tmp_path / "x.npy", array)
    got, told = chunks(f"@{tmp_path / 'x.npy'}", limits)
    assert np.array_equal(np.concatenate(got), array.reshape(-1, 7).astype(np.float64))
    assert sum(told) == array.nbytes  # progress counts every byte once
    assert len(got) > 1


def test_values_of_a_chunk_hold_until_the_next_fill(tmp_path: Path) -> None:
    array = np.arange(12 * 7, dtype=np.float64).reshape(12, 7)
    np.save(tmp_path / "x.npy", array)
    reader = open_tensor(f"@{tmp_path / 'x.npy'}", "P")
    first = reader.read_chunk()
    assert first is not None
    seen = first.values.copy()
    reader.fill()  # nothing: rows are pending
    assert np.array_equal(first.values, seen)
    reader.close()


def test_bf16_safetensors_read_ahead(tmp_path: Path) -> None:
    bits = bf16_bits(RNG.standard_normal((10, 7)))
    exact = (bits.astype(np.uint32) << 16).view(np.float32)
    path = tmp_path / "x.safetensors"
    path.write_bytes(safetensors_bytes({"logits": ("BF16", bits.shape, bits.tobytes())}))
    got, _ = chunks(f"@{path}", [None])
    assert np.array_equal(np.concatenate(got), exact.astype(np.float64))


def test_a_file_cut_short_fails_at_the_chunk_it_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tensor_rows, "CHUNK_VALUES", 3 * 2000)  # larger than read buffering
    array = RNG.standard_normal((12, 2000))
    np.save(tmp_path / "x.npy", array)
    path = tmp_path / "x.npy"
    reader = open_tensor(f"@{path}", "P")
    first = reader.read_chunk()  # rows 1-3; rows 4-6 are being read ahead
    assert first is not None and len(first) == 3
    os.truncate(path, path.stat().st_size - 8 * 2000 * 5)  # rows 8-12 gone
    read = [first]
    with pytest.raises(NncalcError) as caught:
        while (chunk := reader.read_chunk()) is not None:
            read.append(chunk)
    assert sum(len(c) for c in read) in (3, 6)  # the chunk in flight may have been read
    assert "truncated" in str(caught.value)
    assert "P" in str(caught.value)
    reader.close()
    reader.close()  # idempotent
