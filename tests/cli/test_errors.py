"""SPEC §4: every error class gives one line, the right exit code, no stdout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nncalc.errors import ExitCode
from tests.conftest import one_line_error, run


def test_exit_codes_are_named() -> None:
    assert [int(code) for code in ExitCode][:3] == [0, 1, 2]
    assert ExitCode.INTERRUPTED == 130


def test_bad_number_names_operand_row_column_token() -> None:
    line = one_line_error(run("softmax", "-", input="1,2,3\n4,5,x\n"))
    assert line == "nncalc: error: LOGITS row 2, column 3: 'x': not a number"


def test_bad_number_in_literal() -> None:
    line = one_line_error(run("kl", "0.5,abc", "0.5,0.5"))
    assert line == "nncalc: error: P column 2: 'abc': not a number"


def test_line_number_shown_when_it_differs_from_row() -> None:
    line = one_line_error(run("softmax", "-", input="# c\na,b\n1,2\n1,zz\n"))
    assert "row 2 (line 4), column 2" in line


def test_empty_value() -> None:
    line = one_line_error(run("softmax", "-", input="1,,2\n"))
    assert "column 2" in line and "empty value" in line


def test_ragged_rows() -> None:
    line = one_line_error(run("softmax", "-", input="1,2,3\n4,5\n"))
    assert "row 2" in line and "ragged" in line


def test_mismatched_lengths() -> None:
    line = one_line_error(run("kl", "0.5,0.5", "0.2,0.3,0.5"))
    assert "Q" in line and "same length" in line


def test_invalid_distribution_suggests_normalize_and_logits() -> None:
    line = one_line_error(run("kl", "0.5,0.6", "0.5,0.5"))
    assert "P" in line and "--normalize" in line and "--logits" in line


def test_negative_probability() -> None:
    line = one_line_error(run("kl", "0.5,0.5", "1.5,-0.5"))
    assert "Q column 2" in line and "'-0.5'" in line and ">= 0" in line


def test_infinite_probability() -> None:
    line = one_line_error(run("xent", "0", "inf,0"))
    assert "PRED column 1" in line and "infinity" in line


def test_missing_file() -> None:
    line = one_line_error(run("kl", "@/nonexistent/p.csv", "0.5,0.5"))
    assert line == "nncalc: error: P: '@/nonexistent/p.csv': no such file"


def test_directory_operand(tmp_path: Path) -> None:
    line = one_line_error(run("softmax", f"@{tmp_path}"))
    assert "is a directory" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.csv"
    path.write_text("1,2\n")
    path.chmod(0)
    line = one_line_error(run("softmax", f"@{path}"))
    assert "permission denied" in line


def test_no_data_rows() -> None:
    for text in ["", "\n\n# only a comment\n", "cat,dog\n"]:
        line = one_line_error(run("softmax", "-", input=text))
        assert "no data rows" in line


def test_all_minus_inf_row() -> None:
    line = one_line_error(run("softmax", "-", input="0,1\n-inf,-inf\n"))
    assert "row 2" in line and "-inf" in line


def test_nan_input_everywhere() -> None:
    for args in (["softmax", "1,nan"], ["kl", "nan,1", "0.5,0.5"], ["xent", "0", "nan,1"]):
        line = one_line_error(run(*args))
        assert "NaN" in line


def test_class_index_out_of_range() -> None:
    line = one_line_error(run("xent", "4", "0.1,0.2,0.6,0.1"))
    assert "'4'" in line and "out of range" in line


def test_fractional_class_index_in_batch() -> None:
    line = one_line_error(run("xent", "-", "0.5,0.5", input="0\n1.5\n"))
    assert "TARGET row 2" in line and "whole number" in line


def test_bad_enum_option_is_usage_error() -> None:
    line = one_line_error(run("kl", "1,0", "1,0", "--format", "yaml"))
    assert "--format" in line


def test_bad_temperature() -> None:
    for value in ("0", "-2", "nan", "inf"):
        line = one_line_error(run("softmax", "1,2", "-t", value))
        assert "temperature" in line


def test_bad_eps() -> None:
    line = one_line_error(run("xent", "0", "0.5,0.5", "--eps", "0.7"))
    assert "eps" in line


def test_labels_count_mismatch() -> None:
    line = one_line_error(run("softmax", "1,2,3", "--labels", "a,b"))
    assert "--labels" in line


def test_embed_params_missing_and_non_positive() -> None:
    assert "--vocab-size" in one_line_error(run("embed-params", "--d-model", "8"))
    assert "--vocab-size" in one_line_error(run("embed-params", "-V", "0", "-D", "8"))


def test_no_stdout_for_failed_chunk() -> None:
    result = run("softmax", "-", input="1,2\n3,4\n5,x\n")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_check_failure_exits_1_after_printing() -> None:
    result = run("kl", "0,0,1,0", "0.1,0.2,0.6,0.1", "--max", "1e-4")
    assert result.exit_code == 1
    assert result.stdout == "0.5108256237659907\n"
    assert result.stderr == "nncalc: check failed: kl = 0.5108256237659907 exceeds --max 0.0001\n"


def test_check_min() -> None:
    result = run("kl", "0.5,0.5", "0.5,0.5", "--min", "0.1")
    assert result.exit_code == 1
    assert "is below --min 0.1" in result.stderr


def test_check_passes() -> None:
    result = run("kl", "0,0,1,0", "0.1,0.2,0.6,0.1", "--max", "1", "--min", "0.5")
    assert result.exit_code == 0
    assert result.stderr == ""


def test_check_every_row_with_reduction_none() -> None:
    result = run(
        "kl", "-", "0.5,0.5", "-r", "none", "--max", "0.1", input="0.5,0.5\n0.9,0.1\n0.5,0.5\n"
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "0.0"
    assert result.stderr.splitlines() == [
        "nncalc: check failed: row 2: kl = 0.3680642071684971 exceeds --max 0.1"
    ]


def test_no_arguments_prints_help_and_exits_2() -> None:
    result = run()
    assert result.exit_code == 2
    assert "Usage" in result.stdout + result.stderr


def test_version() -> None:
    from nncalc import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"nncalc {__version__}\n"


def test_sgd_problem_size_is_bounded() -> None:
    line = one_line_error(run("sgd", "--samples", "100000", "--features", "99999"))
    assert "50,000,000 values" in line
    assert "--features" in one_line_error(run("sgd", "--features", "9" * 600))


def test_usage_errors_name_the_real_program() -> None:
    line = one_line_error(run("kl", "--nope"))
    assert "'nncalc kl --help'" in line


def test_sgd_run_length_is_bounded() -> None:
    line = one_line_error(run("sgd", "--epochs", "99999999999999999999"))
    assert "--epochs" in line and "updates" in line and "limits" in line


def test_distill_alpha_note_is_not_printed_when_input_fails() -> None:
    line = one_line_error(run("distill", "1,2", "1,x", "--alpha", "0.3"))
    assert "STUDENT column 2" in line
