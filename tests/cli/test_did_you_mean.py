"""A path given without its '@' gets "did you mean @path?" (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import one_line_error, run


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str = "a,b,c\n0.2,0.3,0.5\n") -> Path:
    path.write_text(text)
    return path


def test_an_existing_file_without_at_gets_the_hint(in_tmp: Path) -> None:
    write(in_tmp / "p.csv")
    write(in_tmp / "q.csv")
    line = one_line_error(run("kl", "p.csv", "q.csv"))
    assert line == "nncalc: error: P: 'p.csv': not a number (did you mean @p.csv?)"


def test_the_hint_names_the_operand_at_fault(in_tmp: Path) -> None:
    write(in_tmp / "q.csv")
    line = one_line_error(run("kl", "0.2,0.3,0.5", "q.csv"))
    assert line == "nncalc: error: Q: 'q.csv': not a number (did you mean @q.csv?)"


def test_a_path_with_a_directory_and_a_tensor_name(in_tmp: Path) -> None:
    (in_tmp / "runs").mkdir()
    write(in_tmp / "runs" / "logits.npz", "not really a zip")
    line = one_line_error(run("softmax", "runs/logits.npz:z"))
    assert line.endswith("'runs/logits.npz:z': not a number (did you mean @runs/logits.npz:z?)")


def test_a_path_the_shell_must_quote_is_suggested_quoted(in_tmp: Path) -> None:
    write(in_tmp / "my preds.csv")
    line = one_line_error(run("entropy", "my preds.csv"))
    assert line.endswith("(did you mean '@my preds.csv'?)")


def test_control_characters_in_the_path_are_escaped(in_tmp: Path) -> None:
    name = "e\x1b[31m.csv"
    write(in_tmp / name)
    line = one_line_error(run("entropy", name))
    assert "\x1b" not in line
    assert line.endswith("(did you mean '@e\\x1b[31m.csv'?)")


@pytest.mark.parametrize("operand", ["missing.csv", "sub", "1,x"])
def test_no_hint_without_an_existing_file(in_tmp: Path, operand: str) -> None:
    (in_tmp / "sub").mkdir()
    line = one_line_error(run("entropy", operand))
    assert "did you mean" not in line
    assert line.endswith(": not a number")


def test_a_number_that_names_a_file_is_still_a_number(in_tmp: Path) -> None:
    write(in_tmp / "0.5,0.5")
    result = run("entropy", "0.5,0.5")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "0.6931471805599453\n"


def test_other_operands_that_read_files_get_it_too(in_tmp: Path) -> None:
    write(in_tmp / "pred.csv", "0.5,0.5\n")
    write(in_tmp / "mask.txt", "1\n")
    write(in_tmp / "t.txt", "0\n")
    line = one_line_error(run("entropy", "@pred.csv", "--mask", "mask.txt"))
    assert line == "nncalc: error: --mask: 'mask.txt': not a number (did you mean @mask.txt?)"
    line = one_line_error(run("xent", "t.txt", "@pred.csv"))
    assert line == "nncalc: error: TARGET: 't.txt': not a number (did you mean @t.txt?)"
