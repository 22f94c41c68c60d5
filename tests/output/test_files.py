"""-o/--output writers: each format written in chunks and read back."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from nncalc.errors import NncalcError
from nncalc.io.tensors import open_tensor
from nncalc.output.files import open_output

RNG = np.random.default_rng(5)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def write_in_chunks(path: str, values: np.ndarray, size: int = 4, **options: object) -> None:
    with open_output(path, **options) as writer:  # type: ignore[arg-type]
        for start in range(0, len(values), size):
            writer.write(values[start : start + size])


def only_files() -> list[str]:
    return sorted(os.listdir("."))


def test_npy_keeps_the_leading_shape_of_vectors_and_values() -> None:
    probs = RNG.random((2, 3, 5))
    write_in_chunks("p.npy", probs.reshape(6, 5), name="p", columns=5, leading_shape=(2, 3))
    loaded = np.load("p.npy")
    assert loaded.dtype == np.float64 and np.array_equal(loaded, probs)
    kl = RNG.random(6)
    write_in_chunks("kl.npy", kl, size=5, name="kl", leading_shape=(2, 3))
    assert np.array_equal(np.load("kl.npy"), kl.reshape(2, 3))
    assert only_files() == ["kl.npy", "p.npy"]


def test_npy_without_a_known_shape_counts_rows_and_is_aligned() -> None:
    values = RNG.random((13, 4))
    values[3, 1] = math.nan
    write_in_chunks("x.npy", values, size=5, name="p", columns=4)
    assert np.array_equal(np.load("x.npy"), values, equal_nan=True)
    data = Path("x.npy").read_bytes()
    assert (len(data) - values.nbytes) % 64 == 0  # the data starts on a 64-byte boundary
    write_in_chunks("one.npy", np.array([0.5]), name="kl", leading_shape=())
    assert np.load("one.npy").shape == () and float(np.load("one.npy")) == 0.5


def test_npy_output_reads_back_as_a_tensor_operand() -> None:
    values = RNG.standard_normal((4, 2, 3))
    write_in_chunks("r.npy", values.reshape(8, 3), name="p", columns=3, leading_shape=(4, 2))
    with open_tensor("@r.npy", "P") as reader:
        chunk = reader.read_chunk()
        assert reader.leading_shape == (4, 2)
        assert chunk is not None and np.array_equal(chunk.values, values.reshape(8, 3))


def test_csv_has_a_header_row_and_exact_numbers() -> None:
    values = RNG.standard_normal((7, 3))
    values[2, 2] = math.inf
    write_in_chunks("p.csv", values, name="p", columns=["cat", 'a "b", c', "dog"])
    with open("p.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["cat", 'a "b", c', "dog"]
    assert np.array_equal(np.array(rows[1:], dtype=float), values)
    write_in_chunks("kl.csv", np.array([0.1, 1e-300, 2.0]), name="kl")
    assert Path("kl.csv").read_text() == "kl\n0.1\n1e-300\n2.0\n"
    write_in_chunks("n.csv", np.zeros((1, 3)), name="p", columns=3)
    assert Path("n.csv").read_text().splitlines()[0] == "p0,p1,p2"


def test_jsonl_is_one_value_or_array_per_row() -> None:
    values = RNG.standard_normal((6, 2))
    values[1, 0] = math.nan
    write_in_chunks("p.jsonl", values, name="p", columns=2)
    lines = [json.loads(line) for line in Path("p.jsonl").read_text().splitlines()]
    assert lines[1][0] == "nan" and lines[1][1] == values[1, 1]
    assert [row for i, row in enumerate(lines) if i != 1] == np.delete(values, 1, 0).tolist()
    write_in_chunks("kl.jsonl", np.array([0.25, -math.inf]), name="kl")
    assert Path("kl.jsonl").read_text() == '0.25\n"-inf"\n'


def test_jsonl_output_reads_back_as_an_operand() -> None:
    values = RNG.standard_normal((5, 3))
    values[0, 0] = math.inf
    write_in_chunks("b.jsonl", values, name="p", columns=3)
    with open_tensor("@b.jsonl", "P") as reader:
        chunk = reader.read_chunk()
        assert chunk is not None and np.array_equal(chunk.values, values)


def test_json_nests_rows_in_the_leading_shape() -> None:
    values = RNG.standard_normal((2, 3, 2))
    write_in_chunks(
        "p.json", values.reshape(6, 2), size=4, name="p", columns=2, leading_shape=(2, 3)
    )
    assert json.loads(Path("p.json").read_text()) == values.tolist()
    kl = RNG.random((2, 2, 2))
    write_in_chunks("kl.json", kl.reshape(-1), size=3, name="kl", leading_shape=(2, 2, 2))
    assert json.loads(Path("kl.json").read_text()) == kl.tolist()
    write_in_chunks("flat.json", kl.reshape(-1), size=3, name="kl")
    assert json.loads(Path("flat.json").read_text()) == kl.reshape(-1).tolist()
    write_in_chunks("one.json", np.array([[0.5, 0.5]]), name="p", columns=2, leading_shape=())
    assert json.loads(Path("one.json").read_text()) == [0.5, 0.5]


@pytest.mark.parametrize(("shape", "expected"), [((0,), []), ((2, 0), [[], []]), (None, [])])
def test_json_with_no_rows(shape: tuple[int, ...] | None, expected: list[object]) -> None:
    write_in_chunks("e.json", np.zeros(0), name="kl", leading_shape=shape)
    assert json.loads(Path("e.json").read_text()) == expected


def test_digits_apply_to_text_formats_only() -> None:
    values = np.array([1 / 3, 2 / 3])
    write_in_chunks("d.csv", values, name="kl", digits=3)
    assert Path("d.csv").read_text() == "kl\n0.333\n0.667\n"
    write_in_chunks("d.npy", values, name="kl", digits=3)
    assert np.array_equal(np.load("d.npy"), values)


def test_an_unknown_extension_lists_the_known_ones() -> None:
    with pytest.raises(NncalcError) as caught:
        open_output("out.parquet", name="kl")
    assert str(caught.value) == (
        "--output: 'out.parquet': cannot tell the output format from '.parquet' "
        "(nncalc writes .npy, .csv, .jsonl, .ndjson, .json)"
    )
    with pytest.raises(NncalcError, match="from no extension"):
        open_output("out", name="kl")
    assert only_files() == []


def test_a_failed_run_leaves_no_file_and_the_old_one_untouched() -> None:
    Path("kl.csv").write_text("old\n")
    with pytest.raises(RuntimeError), open_output("kl.csv", name="kl") as writer:
        writer.write(np.array([1.0]))
        raise RuntimeError("the computation failed")
    assert Path("kl.csv").read_text() == "old\n"
    assert only_files() == ["kl.csv"]


def test_rows_must_fill_the_declared_shape() -> None:
    writer = open_output("s.npy", name="kl", leading_shape=(2, 2))
    writer.write(np.zeros(3))
    with pytest.raises(NncalcError, match="3 rows written of the 4 of the output's shape"):
        writer.close()
    writer = open_output("s.npy", name="kl", rows=2)
    with pytest.raises(NncalcError, match="more than the 2 rows"):
        writer.write(np.zeros(3))
    writer.abort()
    with pytest.raises(NncalcError, match="5 rows cannot fill the shape"):
        open_output("s.npy", name="kl", rows=5, leading_shape=(2, 2))
    assert only_files() == []


def test_rows_of_the_wrong_width_are_refused() -> None:
    with open_output("w.csv", name="p", columns=3) as writer:
        with pytest.raises(NncalcError, match="rows of 3 values expected"):
            writer.write(np.zeros((2, 4)))
        writer.write(np.zeros(3))  # one row of a vector
    with open_output("k.csv", name="kl") as writer:
        with pytest.raises(NncalcError, match="one value per row expected"):
            writer.write(np.zeros((2, 2)))
        writer.write(np.zeros((2, 1)))
    assert Path("k.csv").read_text() == "kl\n0.0\n0.0\n"


def test_unwritable_paths_are_errors() -> None:
    with pytest.raises(NncalcError) as caught:
        open_output("missing/kl.csv", name="kl")
    assert (
        str(caught.value) == "--output: 'missing/kl.csv': cannot write: No such file or directory"
    )
    os.mkdir("d.csv")
    with pytest.raises(NncalcError, match="is a directory"):
        open_output("d.csv", name="kl")


def test_a_special_file_is_written_in_place(tmp_path: Path) -> None:
    os.symlink(os.devnull, "null.jsonl")
    write_in_chunks("null.jsonl", np.zeros(3), name="kl")
    assert os.path.islink("null.jsonl") and only_files() == ["null.jsonl"]
