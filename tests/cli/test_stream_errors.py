"""Closed or full standard streams: exit 74 with one line, a closed pipe 141, usage errors 2."""

from __future__ import annotations

import pytest

from tests.conftest import run_process

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("nncalc softmax 1,2 >&-", "stdout is closed"),
        ("nncalc softmax 1,2 -f table >&-", "stdout is closed"),
        ("nncalc softmax - <&-", "stdin is closed"),
        ("nncalc softmax 1,2 > /dev/full", "cannot write to stdout: No space left on device"),
        ("nncalc softmax 1,2 -f json > /dev/full", "cannot write to stdout"),
        ("nncalc softmax 1,2 -f table > /dev/full", "cannot write to stdout"),
        ("nncalc softmax --help > /dev/full", "cannot write to stdout"),
    ],
)
def test_an_unusable_standard_stream_exits_74_with_one_line(command: str, message: str) -> None:
    result = run_process(command)
    assert result.returncode == 74, result.stderr
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nncalc: error: "), lines
    assert message in lines[0]


@pytest.mark.parametrize("stderr", ["2>/dev/full", "2>&-"])
def test_stdout_full_and_stderr_unwritable_still_exits_74(stderr: str) -> None:
    assert run_process(f"nncalc softmax 1,2 > /dev/full {stderr}").returncode == 74


@pytest.mark.parametrize("stderr", ["2>/dev/full", "2>&-"])
@pytest.mark.parametrize("args", ["softmax 1,2 --bogus", "kl 0,0 0.5,0.5", "softmax 1,x"])
def test_usage_errors_exit_2_whatever_stderr_is(args: str, stderr: str) -> None:
    result = run_process(f"nncalc {args} {stderr}")
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr


def test_a_closed_pipe_stays_141_and_quiet() -> None:
    command = (
        "yes 1,2 | head -200000 | nncalc softmax - | head -1 >/dev/null; echo ${PIPESTATUS[2]}"
    )
    result = run_process(command, timeout=120)
    assert result.stdout.decode().strip() == "141"
    assert result.stderr == b""
