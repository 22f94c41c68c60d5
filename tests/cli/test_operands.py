"""SPEC §2: operand forms, batches, headers, broadcasting, stdin."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import one_line_error, run

SEED = "0.5108256237659907\n"


@pytest.mark.parametrize(
    "q",
    [
        "0.1,0.2,0.6,0.1",
        "0.1 0.2 0.6 0.1",
        "[0.1, 0.2, 0.6, 0.1]",
        " 0.1 ,0.2, 0.6 ,0.1 ",
        "0.1, 0.2 0.6,0.1",
    ],
)
def test_literal_vector_forms(q: str) -> None:
    result = run("kl", "0,0,1,0", q)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SEED


def test_negative_literal_needs_no_double_dash() -> None:
    result = run("softmax", "-1,0,1", "--digits", "4")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "0.09003,0.2447,0.6652\n"


@pytest.mark.parametrize(
    ("literal", "exit_code"),
    [
        pytest.param("-1,-2", 0, id="-1,-2"),
        pytest.param("-inf,0", 0, id="-inf,0"),
        pytest.param("-.5,1", 0, id="-.5,1"),
        pytest.param("-1e3,0", 0, id="-1e3,0"),
        pytest.param("-nan,1", 2, id="-nan,1"),  # read, then refused: NaN is not a logit
    ],
)
def test_negative_literals_reach_the_operand_parser(literal: str, exit_code: int) -> None:
    result = run("softmax", literal)
    assert "No such option" not in result.stderr
    assert result.exit_code == exit_code, result.stderr
    if exit_code == 2:
        assert result.stderr == "nncalc: error: LOGITS column 1: 'nan': NaN is not a logit\n"


def test_negative_temperature_value_is_read_as_a_number() -> None:
    line = one_line_error(run("softmax", "1,2", "--temperature", "-1"))
    assert line == "nncalc: error: --temperature: '-1': must be a finite number > 0"


def test_unknown_option_is_still_reported() -> None:
    line = one_line_error(run("softmax", "1,2", "--tempreature", "2"))
    assert "No such option: --tempreature" in line
    assert "--temperature" in line


def test_stdin_dash_batch_mean() -> None:
    result = run("kl", "-", "0.5,0.5", input="0.5,0.5\n0.9,0.1\n")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(0.3680642071684971 / 2, rel=1e-15)


def test_omitted_operand_reads_piped_stdin() -> None:
    result = run("softmax", input="0,0\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "0.5,0.5\n"


def test_second_omitted_operand_reads_stdin() -> None:
    result = run("kl", "0,0,1,0", input="0.1,0.2,0.6,0.1\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SEED


def test_only_one_operand_can_read_stdin() -> None:
    line = one_line_error(run("kl", "-", "-", input="0.5,0.5\n"))
    assert "standard input" in line


def test_file_operand(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("0,0,1,0\n")
    (tmp_path / "q.csv").write_text("0.1,0.2,0.6,0.1\n")
    result = run("kl", f"@{tmp_path / 'p.csv'}", f"@{tmp_path / 'q.csv'}")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SEED


@pytest.mark.parametrize(
    "text",
    [
        "1,2,3\n4,5,6\n",
        "1\t2\t3\n4\t5\t6\n",
        "1;2;3\n4;5;6\n",
        "1 2   3\n 4 5 6 \n",
        "1,2,3\r\n4,5,6\r\n",
        "\ufeff1,2,3\n4,5,6\n",
        "# logits\n\n1,2,3\n\n# more\n4,5,6\n",
    ],
    ids=["comma", "tab", "semicolon", "spaces", "crlf", "bom", "comments-blank"],
)
def test_batch_separators_and_line_endings(text: str) -> None:
    result = run("softmax", "-", "--digits", "3", input=text)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "0.09,0.245,0.665\n0.09,0.245,0.665\n"


def test_header_row_labels_csv_columns() -> None:
    result = run("softmax", "-f", "csv", "--digits", "2", input="cat,dog\n0,0\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "cat,dog\n0.5,0.5\n"


def test_header_labels_json() -> None:
    result = run("softmax", "-f", "json", input="cat,dog\n0,0\n")
    assert result.stdout == '{"labels": ["cat", "dog"], "probabilities": [[0.5, 0.5]], "rows": 1}\n'


def test_mixed_line_is_an_error_not_a_header() -> None:
    line = one_line_error(run("softmax", input="cat,1\n0,0\n"))
    assert "LOGITS row 1, column 1" in line and "'cat'" in line


def test_broadcast_single_row_against_batch() -> None:
    result = run("kl", "0.5,0.5", "-", "-r", "none", input="0.5,0.5\n0.9,0.1\n")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "0.0"
    assert float(lines[1]) == pytest.approx(0.5108256237659907, rel=1e-15)


def test_two_batches_pair_row_by_row(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("0.5,0.5\n0,1\n")
    (tmp_path / "q.csv").write_text("0.5,0.5\n0.5,0.5\n")
    result = run("kl", f"@{tmp_path}/p.csv", f"@{tmp_path}/q.csv", "-r", "none")
    assert result.stdout == "0.0\n0.6931471805599453\n"


def test_batches_with_different_row_counts(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("0.5,0.5\n0,1\n")
    (tmp_path / "q.csv").write_text("0.5,0.5\n")
    line = one_line_error(run("kl", f"@{tmp_path}/p.csv", f"@{tmp_path}/q.csv"))
    assert "same number of rows" in line


def test_batches_where_second_is_longer(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("0.5,0.5\n")
    (tmp_path / "q.csv").write_text("0.5,0.5\n0.5,0.5\n")
    line = one_line_error(run("kl", f"@{tmp_path}/p.csv", f"@{tmp_path}/q.csv"))
    assert line.startswith("nncalc: error: Q row 2") and "same number of rows" in line


def test_class_index_target() -> None:
    result = run("xent", "2", "0.1,0.2,0.6,0.1")
    assert result.stdout == SEED


def test_inf_and_nan_spellings_parse() -> None:
    result = run("softmax", "INF,-Infinity,1")
    assert result.exit_code == 0
    assert result.stdout == "1.0,0.0,0.0\n"
    line = one_line_error(run("softmax", "NaN,1"))
    assert "column 1" in line and "NaN" in line
