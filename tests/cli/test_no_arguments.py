"""`nncalc` alone prints the help `nncalc --help` prints, on a pipe as on a terminal, exit 2."""

from __future__ import annotations

import re

import pytest

from nncalc.cli.app import COMMANDS
from tests.cli.test_terminal import ANSI, run_on_terminal
from tests.conftest import run, run_process

pytestmark = pytest.mark.slow


def test_on_a_pipe_the_help_is_the_full_help_wrapped_at_80_columns() -> None:
    bare = run_process("nncalc")
    helped = run_process("nncalc --help")
    assert (bare.returncode, helped.returncode) == (2, 0)
    assert bare.stderr == b""
    assert bare.stdout == helped.stdout
    lines = bare.stdout.decode().splitlines()
    assert lines[0] == "Usage: nncalc [OPTIONS] COMMAND [ARGS]..."
    assert max(len(line) for line in lines) <= 80
    for name in COMMANDS:
        assert any(re.match(rf"  {re.escape(name)} ", line) for line in lines), name


def test_on_a_terminal_the_same_help_and_the_same_exit_status() -> None:
    bare = run_on_terminal(columns=80)
    helped = run_on_terminal("--help", columns=80)
    assert (bare.returncode, helped.returncode) == (2, 0)
    assert bare.stderr == b""  # no error line besides the help
    assert ANSI.sub("", bare.terminal).rstrip("\n") == ANSI.sub("", helped.terminal).rstrip("\n")
    assert "Usage: nncalc [OPTIONS] COMMAND [ARGS]..." in ANSI.sub("", bare.terminal)
    for name in COMMANDS:
        assert name in bare.terminal


def test_in_process_too() -> None:
    result = run()
    assert (result.exit_code, result.stderr) == (2, "")
    assert result.stdout == run("--help").stdout
