"""`compare -o PATH`: every compared row's results in a file, the report still on stdout."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from nncalc.core import parallel
from nncalc.core.from_logits import js_logits_rows, kl_logits_rows
from nncalc.core.softmax import log_softmax
from tests.cli.test_compare import Data
from tests.conftest import ok, one_line_error, run

COLUMNS = ["kl", "kl_reverse", "js", "top1_agree"]
TARGET_COLUMNS = [*COLUMNS, "ln_p_base", "ln_p_new", "dp"]


@pytest.fixture
def data(tmp_path: Path) -> Data:
    return Data(tmp_path)


def expected(data: Data, target: bool = False) -> np.ndarray:
    base, new = data.base.reshape(-1, 7), data.new.reshape(-1, 7)
    columns = [
        kl_logits_rows(base, new),
        kl_logits_rows(new, base),
        js_logits_rows(base, new),
        (base.argmax(axis=1) == new.argmax(axis=1)).astype(np.float64),
    ]
    if target:
        each, t = np.arange(len(base)), data.target.reshape(-1)
        ln_p = np.asarray(log_softmax(base))[each, t]
        ln_q = np.asarray(log_softmax(new))[each, t]
        columns += [ln_p, ln_q, np.exp(ln_q) - np.exp(ln_p)]
    return np.column_stack(columns)


def test_npy_keeps_the_leading_shape(data: Data, tmp_path: Path) -> None:
    path = tmp_path / "rows.npy"
    report = ok(*data.args("-f", "json", "-o", str(path)))
    assert json.loads(report)["rows"] == 40  # stdout still gets the report
    rows = np.load(path)
    assert rows.shape == (4, 10, 4)
    assert rows.dtype == np.float64
    want = expected(data).reshape(4, 10, 4)
    np.testing.assert_allclose(rows, want, rtol=1e-14, atol=0)
    assert rows[1, 3, 0] == 0.0  # the unchanged row
    assert json.loads(report)["kl.mean"] == pytest.approx(rows[..., 0].mean(), rel=1e-15)


def test_csv_with_targets_has_named_columns(data: Data, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    ok(*data.args("--target", data.path("target"), "-o", str(path)))
    lines = list(csv.reader(path.open()))
    assert lines[0] == TARGET_COLUMNS
    values = np.array(lines[1:], dtype=np.float64)
    np.testing.assert_allclose(values, expected(data, target=True), rtol=1e-13, atol=1e-300)


def test_jsonl_of_masked_rows(data: Data, tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    ok(*data.args("--mask", data.path("mask"), "-o", str(path)))
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    kept = data.mask.reshape(-1) == 1
    assert len(rows) == int(kept.sum())
    np.testing.assert_allclose(np.array(rows), expected(data)[kept], rtol=1e-14, atol=0)


def test_same_file_on_one_thread_two_and_two_processes(data: Data, tmp_path: Path) -> None:
    files = []
    for threads, processes in ((1, 0), (2, 0), (2, 1)):
        path = tmp_path / f"rows{threads}{processes}.npy"
        with parallel.settings(threads=threads, task_values=2 * 7, process_values=processes):
            ok(
                *data.args(
                    "--target", data.path("target"), "--mask", data.path("mask"), "-o", str(path)
                )
            )
        files.append(path.read_bytes())
    assert files[0] == files[1] == files[2]


def test_failed_gate_still_writes_the_file(data: Data, tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    result = run(*data.args("--gate", "kl.max<=1e-9", "-o", str(path)))
    assert result.exit_code == 1
    assert "check failed: kl.max" in result.stderr
    assert np.array(json.loads(path.read_text())).shape == (4, 10, 4)


def test_bad_input_leaves_no_file(data: Data, tmp_path: Path) -> None:
    bad = data.new.copy()
    bad[3, 9, 2] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    path = tmp_path / "rows.npy"
    line = one_line_error(
        run("compare", data.path("base"), f"@{tmp_path / 'bad.npy'}", "-o", str(path))
    )
    assert "NaN" in line
    assert not path.exists()
    assert list(tmp_path.glob("rows*")) == []


def test_unknown_extension(data: Data, tmp_path: Path) -> None:
    line = one_line_error(run(*data.args("-o", str(tmp_path / "rows.txt"))))
    assert "--output" in line and "'.txt'" in line
