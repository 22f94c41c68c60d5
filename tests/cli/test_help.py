"""Help that teaches (SPEC §8): every command registered on the app, new ones too.

Each command's ``--help`` has a one-line summary, documents every argument
and option, and shows at least one example, which runs and succeeds. A
command that lacks any of them fails here.
"""

from __future__ import annotations

import re
import shlex
import sys

import pytest

from nncalc import __version__
from tests.commands import COMMANDS, arguments, options
from tests.conftest import nncalc_path, run, run_process

EXAMPLE = re.compile(r"^\s*Example: (nncalc .+)$", re.MULTILINE)


def flat(text: str) -> str:
    return " ".join(text.split())


def squeezed(text: str) -> str:
    """Without any whitespace: help text wraps lines at spaces and after hyphens."""
    return "".join(text.split())


def command_help(name: str) -> str:
    result = run(name, "--help")
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    # (CliRunner names the program 'root'; the real name is checked below.)
    assert re.match(rf"Usage: \S+ {name} ", result.stdout), result.stdout
    return result.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_opens_with_a_one_line_summary(name: str) -> None:
    docstring = COMMANDS[name].help or ""
    summary = docstring.strip().split("\n\n")[0]
    assert summary, f"{name} has no summary"
    assert "\n" not in summary, f"{name}: the summary is more than one line: {summary!r}"
    assert len(summary) <= 100, f"{name}: the summary is longer than a line: {summary!r}"
    assert summary.endswith((".", ")")), f"{name}: the summary is not a sentence: {summary!r}"
    assert squeezed(summary) in squeezed(command_help(name))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_documents_every_argument_and_option(name: str) -> None:
    text = flat(command_help(name))
    command = COMMANDS[name]
    for argument in arguments(command):
        label = argument.name.upper()
        assert argument.help, f"{name}: argument {label} has no help"
        assert f"{label} " in text, f"{name}: {label} is not in --help"
        assert squeezed(argument.help) in squeezed(text), f"{name}: {label}'s help is not shown"
    for option in options(command):
        flags = "/".join(option.opts + option.secondary_opts)
        assert option.help, f"{name}: option {flags} has no help"
        for flag in option.opts + option.secondary_opts:
            assert re.search(rf"(^|[ ,/]){re.escape(flag)}\b", text), (
                f"{name}: {flag} not in --help"
            )
        assert squeezed(option.help) in squeezed(text), f"{name}: {flags}'s help is not shown"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_shows_an_example_that_works(name: str) -> None:
    examples = EXAMPLE.findall(command_help(name))
    assert examples, f"{name}: --help has no 'Example: nncalc {name} ...' line"
    for example in examples:
        args = shlex.split(example)[1:]
        assert args[0] == name, f"{name}: the example runs another command: {example}"
        result = run(*args, "--format", "plain")
        assert result.exit_code == 0, (example, result.stderr)
        assert result.stdout.strip(), f"{name}: the example prints nothing: {example}"


def test_top_level_help_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    listed = re.findall(r"^  ([a-z][a-z0-9-]*) ", result.stdout, re.MULTILINE)
    assert set(COMMANDS) <= set(listed), result.stdout
    for name in COMMANDS:
        assert COMMANDS[name].get_short_help_str(limit=200), name


def test_no_arguments_prints_help_and_version_is_plain() -> None:
    bare = run()
    assert bare.exit_code == 2
    assert "Usage: " in bare.stdout + bare.stderr
    version = run("--version")
    assert (version.exit_code, version.stdout) == (0, f"nncalc {__version__}\n")


def test_python_dash_m_and_the_console_script_agree() -> None:
    nncalc_path()
    script = run_process("nncalc kl --help")
    module = run_process(f"{shlex.quote(sys.executable)} -m nncalc kl --help")
    assert script.returncode == module.returncode == 0
    assert script.stdout == module.stdout
    assert script.stdout.startswith(b"Usage: nncalc kl ")
