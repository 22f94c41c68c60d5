"""`-o/--output PATH`: per-row results and softmax matrices written by extension.

The writers themselves (streamed .npy header, nested JSON, atomic rename) are
tested in tests/output/test_files.py; here they are reached through the
commands, and each file is read back with NumPy, the csv module or json.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ok, one_line_error, run

P_ROWS = "0.5,0.5\n0.9,0.1\n0.2,0.8\n1,0\n"
LOGITS = "cat,dog,fish\n2,1,0.1\n0,0,5\n1,1,1\n"
EXTENSIONS = [".npy", ".csv", ".jsonl", ".json"]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "p.csv").write_text(P_ROWS)
    (tmp_path / "logits.csv").write_text(LOGITS)
    return tmp_path


def numbers(document: object) -> object:
    """JSON numbers as floats; the strings "inf", "-inf", "nan" as those floats."""
    if isinstance(document, list):
        return [numbers(item) for item in document]
    assert isinstance(document, (int, float, str)), document
    return float(document)


def read_back(path: Path) -> tuple[np.ndarray, list[str] | None]:
    """The numbers of an output file, and its CSV header (None for other formats)."""
    if path.suffix == ".npy":
        return np.load(path), None
    if path.suffix == ".csv":
        with path.open(newline="") as handle:
            header, *rows = list(csv.reader(handle))
        table = np.array([[float(v) for v in row] for row in rows])
        return (table[:, 0] if len(header) == 1 else table), header
    if path.suffix == ".jsonl":
        lines = path.read_text().splitlines()
        return np.array([numbers(json.loads(line)) for line in lines]), None
    return np.array(numbers(json.loads(path.read_text()))), None


def printed_rows(*args: str) -> np.ndarray:
    return np.array([float(v) for v in ok(*args, "-r", "none", "-f", "plain").split()])


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_per_row_values_round_trip(extension: str, files: Path) -> None:
    args = ["kl", f"@{files / 'p.csv'}", "0.5,0.5"]
    path = files / f"kl{extension}"
    assert ok(*args, "-r", "none", "-o", str(path)) == ""  # the rows go to the file alone
    values, header = read_back(path)
    assert values.tolist() == printed_rows(*args).tolist()  # every bit
    assert values.shape == (4,)
    if extension == ".csv":
        assert header == ["kl"]


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_stdout_keeps_the_reduced_value(extension: str, files: Path) -> None:
    args = ["xent", "1", f"@{files / 'p.csv'}"]
    path = files / f"xent{extension}"
    assert ok(*args, "-r", "max", "-o", str(path)) == ok(*args, "-r", "max")
    assert read_back(path)[0].tolist() == printed_rows(*args).tolist()


@pytest.mark.parametrize("extension", EXTENSIONS)
@pytest.mark.parametrize("log", [False, True])
def test_softmax_writes_the_whole_matrix(extension: str, log: bool, files: Path) -> None:
    args = ["softmax", f"@{files / 'logits.csv'}", *(["--log"] if log else [])]
    path = files / f"softmax{extension}"
    assert ok(*args, "-o", str(path)) == ""
    values, header = read_back(path)
    printed = ok(*args, "-f", "csv").splitlines()
    assert values.tolist() == [[float(v) for v in line.split(",")] for line in printed[1:]]
    assert values.shape == (3, 3)
    if extension == ".csv":
        assert header == ["cat", "dog", "fish"]  # the labels, as on stdout


def test_softmax_csv_without_labels_names_columns_as_stdout_does(files: Path) -> None:
    path = files / "log.csv"
    ok("softmax", "1,2,3", "--log", "-o", str(path))
    assert path.read_text().splitlines()[0] == "l0,l1,l2"
    ok("softmax", "1,2,3", "--labels", "a,b,c", "-o", str(path))
    assert path.read_text().splitlines()[0] == "a,b,c"


def test_a_literal_is_one_row(files: Path) -> None:
    path = files / "one.json"
    assert ok("kl", "0,0,1,0", "0.1,0.2,0.6,0.1", "-o", str(path)) == "0.5108256237659907\n"
    assert json.loads(path.read_text()) == [0.5108256237659907]


def test_the_mask_applies_to_the_file(files: Path) -> None:
    path = files / "masked.npy"
    args = ["kl", f"@{files / 'p.csv'}", "0.5,0.5"]
    ok(*args, "-r", "none", "--mask", "0,1,0,1", "-o", str(path))
    assert np.load(path).tolist() == printed_rows(*args)[[1, 3]].tolist()


def test_digits_round_the_text_formats_only(files: Path) -> None:
    args = ["kl", f"@{files / 'p.csv'}", "0.5,0.5", "-r", "none", "--digits", "3"]
    ok(*args, "-o", str(files / "r.csv"))
    ok(*args, "-o", str(files / "r.npy"))
    assert (files / "r.csv").read_text() == "kl\n" + ok(*args, "-f", "plain")
    assert (files / "r.csv").read_text() == "kl\n0\n0.368\n0.193\n0.693\n"
    assert np.load(files / "r.npy").tolist() == printed_rows(*args[:3]).tolist()


def test_a_failed_gate_still_writes_the_file(files: Path) -> None:
    path = files / "gated.jsonl"
    result = run(
        "kl", f"@{files / 'p.csv'}", "0.5,0.5", "-r", "none", "--max", "0.5", "-o", str(path)
    )
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("nncalc: check failed: row 4: kl = 0.693")
    assert len(path.read_text().splitlines()) == 4


def test_bad_input_leaves_no_file_and_an_old_one_as_it_was(files: Path) -> None:
    path = files / "out.npy"
    bad = "0.5,0.5\n0.5,x\n"
    one_line_error(run("kl", "-", "0.5,0.5", "-o", str(path), input=bad))
    assert not path.exists()
    path.write_bytes(b"old")
    one_line_error(run("softmax", "-", "-o", str(path), input="1,2\n1,y\n"))
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in files.iterdir()) == ["logits.csv", "out.npy", "p.csv"]


@pytest.mark.parametrize("command", [["kl", "0.5,0.5", "0.9,0.1"], ["softmax", "1,2"]])
@pytest.mark.parametrize("name", ["out.txt", "out", "out.NPZ", "out.parquet"])
def test_an_unknown_extension_lists_the_known_ones(
    command: list[str], name: str, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(files)
    line = one_line_error(run(*command, "-o", name))
    assert line.startswith(f"nncalc: error: --output: '{name}': cannot tell the output format")
    assert line.endswith("(nncalc writes .npy, .csv, .jsonl, .ndjson, .json)")
    assert not (files / name).exists()


def test_a_missing_folder_is_one_line(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(files)
    line = one_line_error(run("kl", "0.5,0.5", "0.9,0.1", "-o", "no/such.npy"))
    assert line == "nncalc: error: --output: 'no/such.npy': cannot write: No such file or directory"


def test_softmax_top_is_for_printed_output(files: Path) -> None:
    line = one_line_error(run("softmax", "1,2,3", "--top", "2", "-o", str(files / "t.csv")))
    assert line == "nncalc: error: --top: applies to printed output; --output writes whole rows"


@pytest.mark.parametrize(
    "args",
    [
        ["entropy", "0.5,0.5"],
        ["js", "1,0", "0,1"],
        ["kl-approx", "-1,-2", "-1.5,-1"],
        ["distill", "1,2", "2,1"],
        ["kl-normal", "0.5,-1", "0.1,-0.2"],
    ],
)
def test_every_per_row_command_writes_its_rows(args: list[str], files: Path) -> None:
    path = files / "row.json"
    printed = ok(*args, "-o", str(path))
    assert json.loads(path.read_text()) == [float(printed)]
