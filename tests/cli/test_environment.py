"""One Environment per run decides table or plain, colour, width and usage: tests build one."""

from __future__ import annotations

import re

from typer.testing import CliRunner, Result

from nncalc.cli import environment
from nncalc.cli.app import app
from nncalc.io import progress
from nncalc.output.environment import Environment

KL = ["kl", "0,0,1,0", "0.1,0.2,0.6,0.1"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_in(env: Environment, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input, environment=env)


def test_auto_format_is_plain_on_a_pipe_and_a_table_on_a_terminal() -> None:
    assert run_in(Environment(), *KL).stdout == "0.5108256237659907\n"
    table = run_in(Environment(stdout_isatty=True), *KL).stdout
    assert "╭" in table and "KL(Q||P)" in table


def test_colour_unless_no_color() -> None:
    coloured = run_in(Environment(stdout_isatty=True), *KL).stdout
    plain = run_in(Environment(stdout_isatty=True, no_color=True), *KL).stdout
    assert ANSI.search(coloured)
    assert not re.search(r"\x1b\[(?:[0-9;]*;)?3[0-9]", plain)  # no colour codes
    assert ANSI.sub("", coloured) == ANSI.sub("", plain)


def test_tables_fit_the_width_of_the_environment() -> None:
    narrow = run_in(Environment(stdout_isatty=True, width=40), *KL).stdout
    lines = ANSI.sub("", narrow).splitlines()
    assert lines and max(len(line) for line in lines) <= 40


def test_an_omitted_operand_with_stdin_on_a_terminal_prints_usage() -> None:
    result = run_in(Environment(stdin_isatty=True), "kl", "0.5,0.5")
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: nncalc kl")
    assert "missing operand Q" in result.stderr


def test_an_omitted_operand_on_a_pipe_reads_stdin() -> None:
    result = run_in(Environment(), "kl", "0.5,0.5", input="0.5,0.5\n")
    assert (result.exit_code, result.stdout) == (0, "0.0\n")


def test_help_is_rich_on_a_terminal_and_plain_on_a_pipe() -> None:
    assert run_in(Environment(), "kl", "--help").stdout.startswith("Usage: nncalc kl")
    assert "╭─ Options" in run_in(Environment(stdout_isatty=True), "kl", "--help").stdout


def test_the_run_sees_the_environment_it_was_given() -> None:
    given = Environment(stderr_isatty=True, width=33)
    with environment.running(given):
        assert environment.current() is given
    assert environment.current() is not given


def test_no_progress_bar_without_a_terminal_on_stderr() -> None:
    with open(__file__, "rb") as stream:
        assert progress.tracker("@file", stream, None) is None
        assert progress.tracker("@file", stream, Environment(stdout_isatty=True)) is None
