"""float16/float32 logits files handed to the kernels as stored: the output of widened files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nncalc.core import parallel, processes
from nncalc.io import tensor_rows
from tests.conftest import ok, run

COMMANDS = [
    ("kl", "--logits", "-r", "none"),
    ("js", "--logits", "-r", "none"),
    ("kl", "--logits", "-t", "0.7"),
    ("compare", "-f", "json"),
]


def files(tmp_path: Path, dtype: str) -> tuple[list[str], list[str]]:
    """The same logits as ``dtype`` and as float64: (as stored, widened) operands."""
    rng = np.random.default_rng(11)
    base = rng.normal(0.0, 3.0, (3, 5, 40)).astype(dtype)
    new = (base + rng.normal(0.0, 0.05, base.shape)).astype(dtype)
    new[1, 2] = base[1, 2]  # KL exactly 0
    base[2, 1, :7] = -np.inf  # masked classes
    stored, wide = [], []
    for name, array in (("base", base), ("new", new)):
        np.save(tmp_path / f"{name}_{dtype}.npy", array)
        np.save(tmp_path / f"{name}_f8.npy", array.astype(np.float64))
        stored.append(f"@{tmp_path / f'{name}_{dtype}.npy'}")
        wide.append(f"@{tmp_path / f'{name}_f8.npy'}")
    return stored, wide


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tensor_rows, "CHUNK_VALUES", 4 * 40)  # chunks of 4 rows
    monkeypatch.setattr(tensor_rows, "READ_AHEAD_VALUES", 1)  # every file read ahead


@pytest.mark.parametrize("dtype", ["float16", "float32"])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("processes_on", [False, True])
def test_same_output_as_the_widened_file(
    dtype: str, command: tuple[str, ...], processes_on: bool, tmp_path: Path
) -> None:
    stored, wide = files(tmp_path, dtype)
    name, *options = command
    expected = ok(name, *wide, *options)
    with parallel.settings(threads=2, task_values=40, process_values=1 if processes_on else 0):
        assert ok(name, *stored, *options) == expected
        assert ok("entropy", stored[0], "--logits", "-r", "none") == ok(
            "entropy", wide[0], "--logits", "-r", "none"
        )
    processes._shutdown()


def test_the_reader_hands_out_float32_only_when_asked(tmp_path: Path) -> None:
    stored, _ = files(tmp_path, "float32")
    with tensor_rows_of(stored[0]) as reader:
        chunk = reader.read_chunk()
        assert chunk is not None and chunk.values.dtype == np.float64
    with tensor_rows_of(stored[0]) as reader:
        reader.keep_stored_floats()
        chunk = reader.read_chunk()
        assert chunk is not None and chunk.values.dtype == np.float32


def tensor_rows_of(text: str) -> tensor_rows.TensorReader:
    from nncalc.io.tensors import open_tensor

    return open_tensor(text, "P")


def test_probabilities_are_widened_first(tmp_path: Path) -> None:
    """Without --logits the rows are probabilities, checked in float64 as before."""
    p = np.full((6, 8), 0.125, dtype=np.float32)
    q = np.random.default_rng(2).dirichlet(np.ones(8), 6).astype(np.float32)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)
    np.save(tmp_path / "q8.npy", q.astype(np.float64))
    stored = ok(
        "kl", f"@{tmp_path / 'p.npy'}", f"@{tmp_path / 'q.npy'}", "--normalize", "-r", "none"
    )
    wide = ok(
        "kl", f"@{tmp_path / 'p.npy'}", f"@{tmp_path / 'q8.npy'}", "--normalize", "-r", "none"
    )
    assert stored == wide


@pytest.mark.parametrize("processes_on", [False, True])
def test_bad_float32_logits_name_the_same_place(processes_on: bool, tmp_path: Path) -> None:
    stored, wide = files(tmp_path, "float32")
    for text in (stored[1], wide[1]):
        path = Path(text[1:])
        values = np.load(path)
        values[2, 3, 5] = np.nan
        np.save(path, values)
    with parallel.settings(threads=2, task_values=40, process_values=1 if processes_on else 0):
        errors = [run("kl", "--logits", stored[0], q).stderr for q in (stored[1], wide[1])]
    processes._shutdown()
    assert errors[0] == errors[1]
    assert "Q row 14, column 6: 'nan': NaN is not a logit" in errors[0]


@pytest.mark.parametrize("command", [("kl", "--logits", "-r", "p90"), ("compare", "-f", "json")])
def test_masked_rows_as_widened(command: tuple[str, ...], tmp_path: Path) -> None:
    stored, wide = files(tmp_path, "float32")
    mask = np.ones((3, 5), dtype=np.int64)
    mask[0, 1:3] = 0
    mask[2, 4] = 0
    np.save(tmp_path / "mask.npy", mask)
    name, *options = command
    given = [*options, "--mask", f"@{tmp_path / 'mask.npy'}"]
    with parallel.settings(threads=2, task_values=40, process_values=1):
        assert ok(name, *stored, *given) == ok(name, *wide, *given)
    processes._shutdown()
