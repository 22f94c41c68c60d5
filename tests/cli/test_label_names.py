"""Class names must name one class each: no empty or repeated label (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import one_line_error, run


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("a,b,", "--labels: label 3 of 3 is empty (name every class: a,b,c)"),
        (",b,c", "--labels: label 1 of 3 is empty (name every class: a,b,c)"),
        ('a,"",c', "--labels: label 2 of 3 is empty (name every class: a,b,c)"),
        ("a, ,c", "--labels: label 2 of 3 is empty (name every class: a,b,c)"),
        ("a,a,b", "--labels: 'a': label 2 repeats label 1 (class names must differ)"),
        ("x,y, x", "--labels: 'x': label 3 repeats label 1 (class names must differ)"),
    ],
)
def test_an_empty_or_repeated_label_is_an_error_naming_its_position(
    labels: str, expected: str
) -> None:
    line = one_line_error(run("softmax", "1,2,3", "--labels", labels))
    assert line == f"nncalc: error: {expected}"


def test_a_repeated_label_in_a_file_names_both_lines(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("cat\n\ndog\ncat\n")  # blank lines are skipped
    line = one_line_error(run("softmax", "1,2,3", "--labels", f"@{vocab}"))
    assert line == (
        f"nncalc: error: --labels {vocab}:4: 'cat': label 3 repeats label 1, from line 1 "
        "(class names must differ)"
    )


def test_a_hostile_repeated_label_is_shown_escaped(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\x1b[31mred\nblue\n\x1b[31mred\n")
    line = one_line_error(run("softmax", "1,2,3", "--labels", f"@{vocab}"))
    assert "\x1b" not in line
    assert "'\\x1b[31mred': label 3 repeats label 1, from line 1" in line


def test_distinct_labels_still_work() -> None:
    result = run("softmax", "1,2,3", "--labels", 'a,"b, c",d', "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["labels"] == ["a", "b, c", "d"]


def test_quoted_header_names_lose_their_quotes(tmp_path: Path) -> None:
    path = tmp_path / "logits.csv"
    path.write_text('"cat","dog ""big""","a,b"\n1,2,3\n')
    result = run("softmax", f"@{path}", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["labels"] == ["cat", 'dog "big"', "a,b"]
    top = run("softmax", f"@{path}", "-f", "json", "--top", "2")
    assert top.exit_code == 0, top.stderr
    assert [entry["class"] for entry in json.loads(top.stdout)["probabilities"][0]] == [
        "a,b",
        'dog "big"',
    ]
    csv = run("softmax", f"@{path}", "-f", "csv")
    assert csv.stdout.splitlines()[0] == 'cat,"dog ""big""","a,b"'


@pytest.mark.parametrize(
    ("argv", "fix"),
    [
        (
            ["xent", "@names.txt", "@pred.csv"],
            "give PRED's file a column of them and pass --target-col",
        ),
        (
            ["distill", "@pred.csv", "@pred.csv", "--label", "@names.txt"],
            "name one class with --label NAME, or write the classes' indices",
        ),
    ],
)
def test_a_file_of_class_names_where_indices_are_read_says_where_names_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], fix: str
) -> None:
    """The first name is taken for a header, the second is not a number: exit 2,
    with a hint; a misspelt number in a file of indices gets no such hint."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pred.csv").write_text("cat,dog,bird\n0.2,0.3,0.5\n0.6,0.2,0.2\n")
    (tmp_path / "names.txt").write_text("dog\ncat\n")
    result = run(*argv)
    assert result.exit_code == 2
    operand = "TARGET" if argv[0] == "xent" else "--label"
    assert one_line_error(result) == (
        f"nncalc: error: {operand}: names.txt:2:1: 'cat': not a number "
        f"(a file of class names is not read as class indices: {fix})"
    )
    (tmp_path / "names.txt").write_text("1\n1..5\n")
    assert one_line_error(run(*argv)).endswith("names.txt:2:1: '1..5': not a number")
    (tmp_path / "names.txt").write_text("1\n2\nNA\n")
    assert one_line_error(run(*argv)).endswith("names.txt:3:1: 'NA': not a number")


def test_a_word_further_into_a_file_of_targets_gets_no_names_hint(tmp_path: Path) -> None:
    """Soft targets with a header and a bad cell later: an ordinary bad number."""
    (tmp_path / "pred.csv").write_text("cat,dog,bird\n0.2,0.3,0.5\n0.6,0.2,0.2\n")
    (tmp_path / "soft.csv").write_text("cat,dog,bird\n0.2,0.3,0.5\n0.1,oops,0.9\n")
    line = one_line_error(run("xent", f"@{tmp_path / 'soft.csv'}", f"@{tmp_path / 'pred.csv'}"))
    assert line.endswith("soft.csv:3:2: 'oops': not a number")
