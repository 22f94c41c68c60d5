"""nncalc on a real (pseudo-)terminal (SPEC §2, §3).

Each test starts the installed ``nncalc`` with a pty from Python's ``pty``
module as its controlling terminal (stdin, stdout or both), with a real
window size, rather than mocking ``isatty``:

- an omitted operand with stdin on a terminal prints usage and exits 2 at once;
- tables on a terminal, plain text on a pipe, ``--format`` overriding both;
- ``NO_COLOR`` removes colour;
- a 40-column terminal still gets readable tables: no line wider than the
  terminal, no number cut or folded, for every command's own example.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import shlex
import struct
import subprocess
import termios
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.commands import COMMANDS, WITH_OPERANDS, arguments
from tests.conftest import BIN, nncalc_path

pytestmark = pytest.mark.slow  # real pseudo-terminals

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# SGR colour parameters: 30-37, 39, 40-47, 49, 90-97, 100-107, 38;..., 48;...
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")
BOX = set("╭╮╰╯│─┬┴┼├┤")
KL = ["kl", "0,0,1,0", "0.1,0.2,0.6,0.1"]


@dataclass
class Run:
    returncode: int
    terminal: str  # what was written to the terminal (stdout and/or stderr)
    stdout: bytes
    stderr: bytes


def run_on_terminal(
    *args: str,
    stdin_tty: bool = False,
    stdout_tty: bool = True,
    columns: int = 100,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Run:
    """Run ``nncalc ARGS`` with a pty as controlling terminal (stdin and/or stdout)."""
    program = nncalc_path()
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    full_env.update({"TERM": "xterm-256color", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"})
    full_env.update(env or {})
    process = subprocess.Popen(
        [program, *args],
        stdin=slave if stdin_tty else subprocess.DEVNULL,
        stdout=slave if stdout_tty else subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=full_env,
        start_new_session=True,
        preexec_fn=(lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0)) if stdin_tty else None,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"nncalc {shlex.join(args)} was still running after {timeout} s")
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every process closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None and not stdout_tty:
                break
        stdout = b"" if stdout_tty else process.stdout.read()  # type: ignore[union-attr]
        stderr = process.stderr.read()  # type: ignore[union-attr]
        returncode = process.wait(timeout=timeout)
    finally:
        os.close(master)
        process.kill()
        process.wait()
    terminal = b"".join(chunks).decode().replace("\r\n", "\n")
    return Run(returncode, terminal, stdout, stderr)


# --- omitted operands ------------------------------------------------------------


@pytest.mark.parametrize("name", WITH_OPERANDS)
def test_an_omitted_operand_on_a_terminal_prints_usage_and_exits_2(name: str) -> None:
    operands = [p.name.upper() for p in arguments(COMMANDS[name])]
    result = run_on_terminal(name, stdin_tty=True, stdout_tty=False)
    assert result.returncode == 2
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert lines[0].startswith(f"Usage: nncalc {name} [OPTIONS]"), lines
    assert lines[-1] == (
        f"nncalc: error: missing operand {operands[0]} (give it, or pipe rows on stdin)"
    )


@pytest.mark.parametrize("name", [n for n in WITH_OPERANDS if len(arguments(COMMANDS[n])) > 1])
def test_an_omitted_second_operand_on_a_terminal_prints_usage_too(name: str) -> None:
    _, second, *_ = [p.name.upper() for p in arguments(COMMANDS[name])]
    result = run_on_terminal(name, "0.5,0.5", stdin_tty=True, stdout_tty=False)
    assert result.returncode == 2
    lines = result.stderr.decode().splitlines()
    assert lines[0].startswith(f"Usage: nncalc {name} [OPTIONS]"), lines
    assert lines[-1] == f"nncalc: error: missing operand {second} (give it, or pipe rows on stdin)"


def test_an_explicit_dash_on_a_terminal_reads_what_is_typed() -> None:
    """`-` means stdin even on a terminal: nncalc reads the typed rows (then ^D)."""
    program = nncalc_path()
    master, slave = os.openpty()
    process = subprocess.Popen(
        [program, "softmax", "-", "--format", "plain"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(slave)
    os.write(master, b"1,2\n\x04")  # a row, then Ctrl-D (end of input)
    stdout, stderr = process.communicate(timeout=60)
    os.close(master)
    assert (process.returncode, stdout, stderr) == (
        0,
        b"0.2689414213699951,0.7310585786300049\n",
        b"",
    )


# --- formats ---------------------------------------------------------------------


def test_a_table_on_a_terminal_and_plain_text_on_a_pipe() -> None:
    on_terminal = run_on_terminal(*KL)
    assert on_terminal.returncode == 0
    assert BOX & set(on_terminal.terminal), on_terminal.terminal
    assert "KL divergence" in on_terminal.terminal
    assert "0.5108" in ANSI.sub("", on_terminal.terminal)
    on_pipe = run_on_terminal(*KL, stdout_tty=False)
    assert (on_pipe.returncode, on_pipe.stdout, on_pipe.stderr) == (0, b"0.5108256237659907\n", b"")


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("plain", "0.5108256237659907\n"),
        ("csv", "kl\n0.5108256237659907\n"),
        ("json", None),
    ],
)
def test_format_overrides_the_terminal(fmt: str, expected: str | None) -> None:
    result = run_on_terminal(*KL, "--format", fmt)
    assert result.returncode == 0
    assert "\x1b" not in result.terminal
    if expected is None:
        assert json.loads(result.terminal)["value"] == 0.5108256237659907
    else:
        assert result.terminal == expected


def test_format_table_on_a_pipe_is_ascii_without_colour() -> None:
    result = run_on_terminal(*KL, "--format", "table", stdout_tty=False)
    assert result.returncode == 0
    text = result.stdout.decode()
    assert "KL divergence" in text and "0.5108" in text
    assert text.isascii() and "\x1b" not in text
    assert re.search(r"^\+-+", text, re.MULTILINE), text


# --- colour ----------------------------------------------------------------------


def test_tables_have_colour_and_no_color_removes_it() -> None:
    coloured = run_on_terminal("softmax", "2,1,0.1")
    assert COLOUR.search(coloured.terminal), repr(coloured.terminal)
    for value in ("1", "yes"):
        plain = run_on_terminal("softmax", "2,1,0.1", env={"NO_COLOR": value})
        assert plain.returncode == 0
        assert not COLOUR.search(plain.terminal), repr(plain.terminal)
        # Still a table for people, only without colour.
        assert BOX & set(plain.terminal)
        assert ANSI.sub("", plain.terminal).count("█") == ANSI.sub("", coloured.terminal).count("█")


# --- narrow terminals --------------------------------------------------------------


def example(name: str) -> list[str]:
    """The command line of a command's own example (its docstring's Example: line)."""
    help_text = COMMANDS[name].help or ""
    match = re.search(r"Example: nncalc (.+)", help_text)
    assert match, f"{name} has no 'Example: nncalc ...' line in its help"
    return shlex.split(match.group(1))


def numbers(text: str) -> list[str]:
    return re.findall(r"-?(?:\d+\.?\d*(?:e[+-]?\d+)?|inf|nan)", text)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_tables_stay_readable_on_a_40_column_terminal(name: str, tmp_path: Path) -> None:
    args = example(name)
    wide = run_on_terminal(*args, columns=200)
    narrow = run_on_terminal(*args, columns=40)
    assert (wide.returncode, narrow.returncode) == (0, 0), (narrow.stderr, narrow.terminal)
    text = ANSI.sub("", narrow.terminal)
    too_wide = [line for line in text.splitlines() if cell_len(line) > 40]
    assert too_wide == [], text
    assert "…" not in text, text
    # Every number of the wide table is in the narrow one, whole (none folded).
    wide_numbers = numbers(ANSI.sub("", wide.terminal))
    assert wide_numbers
    narrow_numbers = numbers(text)
    for number in wide_numbers:
        assert number in narrow_numbers, (number, text)
