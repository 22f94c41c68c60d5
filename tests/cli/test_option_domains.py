"""Numeric options are checked against their domain at parse time, by the core's checks."""

from __future__ import annotations

import pytest

from tests.conftest import one_line_error, run


@pytest.mark.parametrize("value", ["-1", "1", "inf", "nan", "2.5"])
@pytest.mark.parametrize("command", [["kl", "0,1", "0.5,0.5"], ["xent", "1", "0.2,0.8"]])
def test_tol_outside_0_1_is_a_usage_error(command: list[str], value: str) -> None:
    line = one_line_error(run(*command, "--tol", value))
    assert line.startswith("nncalc: error: --tol: ")
    assert "must be a number in [0, 1)" in line


def test_tol_is_checked_before_any_input_is_read() -> None:
    line = one_line_error(run("kl", "-", "0.5,0.5", "--tol", "inf", input=""))
    assert "--tol" in line and "[0, 1)" in line


@pytest.mark.parametrize("value", ["-0.1", "0.5", "inf", "nan"])
def test_eps_outside_0_half_is_a_usage_error(value: str) -> None:
    line = one_line_error(run("xent", "1", "0.2,0.8", "--eps", value))
    assert line.startswith("nncalc: error: --eps: ")
    assert "must be a number in [0, 0.5)" in line


def test_tol_in_the_domain_is_accepted() -> None:
    result = run("kl", "0,1", "0.5,0.5", "--tol", "0.5")
    assert result.exit_code == 0, result.stderr
