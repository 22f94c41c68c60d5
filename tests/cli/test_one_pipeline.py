"""Literal vectors and one-row @files take one path: the same result for every reduction.

A literal row is a batch of one row; only the output's shape tells them apart
(plain text is the same either way).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ok

REDUCTIONS = ["mean", "sum", "max", "none"]

# (command, operands, options): every operand is also written to a one-row file.
CASES = [
    ("xent", ["1", "0.1,0.7,0.2"], []),
    ("xent", ["1", "0.1,0.7,0.2"], ["--weight", "1,2,3"]),
    ("xent", ["1", "0.1,0.7,0.2"], ["--label-smoothing", "0.1"]),
    ("xent", ["1", "0.1,0.7,0.2"], ["--weight", "1,2,3", "--label-smoothing", "0.1"]),
    ("xent", ["1", "0.1,0.7,0.2"], ["--weight", "1,2,3", "--ignore-index", "0"]),
    ("xent", ["1", "0.1,0.7,0.2"], ["--weight", "1,2,3", "--ignore-index", "1"]),
    ("xent", ["0,1,0", "0.1,0.7,0.2"], ["--weight", "1,2,3", "--label-smoothing", "0.2"]),
    ("xent", ["2", "2,1,0.1"], ["--logits", "-t", "2"]),
    ("kl", ["0.2,0.3,0.5", "0.1,0.6,0.3"], []),
    ("kl", ["2,1,0", "0,1,2"], ["--logits", "--base", "2"]),
    ("js", ["1,0", "0,1"], ["--base", "2"]),
    ("entropy", ["0.5,0.25,0.25"], []),
    ("entropy", ["1,1,2"], ["--normalize"]),
    ("distill", ["2,1,0.1", "1.5,1.2,0.3"], ["-t", "2"]),
    ("distill", ["2,1,0.1", "1.5,1.2,0.3", "--label", "0"], ["-t", "2", "--alpha", "0.7"]),
    ("kl-approx", ["-1.2,-0.7,-2.3", "-1.0,-0.9,-2.0"], []),
    ("kl-approx", ["-1.2,-0.7,-2.3", "-1.0,-0.9,-2.0"], ["-k", "k1"]),
    ("kl-normal", ["0.5,-1", "0.1,-0.2"], []),
    ("kl-normal", ["0.5,-1", "0.1,-0.2", "--mu2", "1,1", "--logvar2", "0.5,0.5"], []),
    ("kl-normal", ["0.5,-1", "0.5,2"], ["--std"]),
]


def as_files(operands: list[str], folder: Path) -> list[str]:
    """The operands with every value (not option names) moved to a one-row @file."""
    result = []
    for index, text in enumerate(operands):
        if text.startswith("--"):
            result.append(text)
            continue
        path = folder / f"operand{index}.csv"
        path.write_text(text + "\n")
        result.append(f"@{path}")
    return result


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("command", "operands", "options"), CASES)
def test_a_literal_row_and_a_one_row_file_give_the_same_result(
    command: str, operands: list[str], options: list[str], reduction: str, tmp_path: Path
) -> None:
    tail = [*options, "--reduction", reduction, "-f", "plain"]
    literal = ok(command, *operands, *tail)
    from_file = ok(command, *as_files(operands, tmp_path), *tail)
    assert literal == from_file
    assert len(literal.splitlines()) == 1


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("command", "operands", "options"), CASES[:8])
def test_json_values_agree_and_keep_their_shapes(
    command: str, operands: list[str], options: list[str], reduction: str, tmp_path: Path
) -> None:
    tail = [*options, "--reduction", reduction, "-f", "json"]
    literal = json.loads(ok(command, *operands, *tail))
    from_file = json.loads(ok(command, *as_files(operands, tmp_path), *tail))
    # A literal row prints one value and names no reduction; a batch says what it did.
    assert literal["reduction"] is None and "rows" not in literal
    assert from_file["reduction"] == reduction and from_file["rows"] == 1
    batch_value = from_file["values"][0] if reduction == "none" else from_file["value"]
    assert literal["value"] == batch_value


@pytest.mark.parametrize(
    ("reduction", "expected"),
    [
        ("mean", "0.35667494393873245"),  # sum of w[y] * nll / sum of w[y]
        ("sum", "0.7133498878774649"),  # w[y] * nll, as torch.nn.functional.cross_entropy
        ("max", "0.7133498878774649"),
        ("none", "0.7133498878774649"),
    ],
)
def test_weighted_xent_of_a_literal_row_is_pytorchs(reduction: str, expected: str) -> None:
    # -log 0.7 = 0.35667494393873245; the weight of class 1 is 2.
    assert ok("xent", "1", "0.1,0.7,0.2", "--weight", "1,2,3", "-r", reduction) == expected + "\n"


def test_an_ignored_literal_target_counts_nothing() -> None:
    options = ["--weight", "1,2,3", "--ignore-index", "1"]
    assert ok("xent", "1", "0.1,0.7,0.2", *options) == "nan\n"  # 0 / 0 rows, as PyTorch
    assert ok("xent", "1", "0.1,0.7,0.2", *options, "-r", "sum") == "0.0\n"


def test_a_literal_target_pairs_with_every_row_of_a_batch(tmp_path: Path) -> None:
    batch = tmp_path / "pred.csv"
    batch.write_text("0.1,0.7,0.2\n0.3,0.3,0.4\n")
    options = ["--weight", "1,2,3", "-r", "none", "-f", "plain"]
    rows = ok("xent", "1", f"@{batch}", *options).splitlines()
    assert rows == ["0.7133498878774649", "2.4079456086518722"]  # 2 * -log 0.7, 2 * -log 0.3


def test_softmax_keeps_a_1d_array_for_a_literal_and_2d_for_a_batch(tmp_path: Path) -> None:
    row = tmp_path / "row.csv"
    row.write_text("1,2,3\n")
    literal = json.loads(ok("softmax", "1,2,3", "-f", "json"))
    batch = json.loads(ok("softmax", f"@{row}", "-f", "json"))
    assert [literal["probabilities"]] == batch["probabilities"]
    assert "rows" not in literal and batch["rows"] == 1
