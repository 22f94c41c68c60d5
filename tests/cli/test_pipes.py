"""The installed ``nncalc`` in real pipes: CSV in on stdin, plain values out."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import nncalc_path, run_process


def test_seed_one_liner_through_a_pipe() -> None:
    nncalc_path()
    result = run_process('nncalc kl "0,0,1,0" "0.1,0.2,0.6,0.1" | cat')
    assert result.returncode == 0
    assert result.stdout == b"0.5108256237659907\n"
    assert result.stderr == b""


def test_csv_on_stdin_plain_out() -> None:
    nncalc_path()
    result = run_process("printf '0,0\\n1000,-1000\\n' | nncalc softmax | cat")
    assert result.stdout == b"0.5,0.5\n1.0,0.0\n"
    assert result.stderr == b""


def test_omitted_operand_reads_the_pipe() -> None:
    nncalc_path()
    result = run_process("printf '0.1,0.2,0.6,0.1\\n' | nncalc xent 2")
    assert result.stdout == b"0.5108256237659907\n"


def test_reduction_value_in_command_substitution() -> None:
    nncalc_path()
    result = run_process(
        'v=$(printf "0.5,0.5\\n0.9,0.1\\n" | nncalc kl - "0.5,0.5" --reduction max); echo "got $v"'
    )
    assert result.stdout == b"got 0.3680642071684971\n"


def test_ci_gate_exit_status_in_shell() -> None:
    nncalc_path()
    result = run_process(
        'nncalc kl "0,0,1,0" "0.1,0.2,0.6,0.1" --max 1e-4 >/dev/null; echo "status $?"'
    )
    assert result.stdout == b"status 1\n"
    assert b"check failed" in result.stderr


def test_error_goes_to_stderr_only() -> None:
    nncalc_path()
    result = run_process("printf '1,x\\n' | nncalc softmax 2>/dev/null; echo \"status $?\"")
    assert result.stdout == b"status 2\n"


def test_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nncalc", "kl", "0,0,1,0", "0.1,0.2,0.6,0.1"],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == b"0.5108256237659907\n"


def test_python_dash_m_error_exit_code() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nncalc", "kl", "1,2", "x"], capture_output=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.decode().count("\n") == 1
