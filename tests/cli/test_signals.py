"""Pipes and signals with real processes (SPEC §4): quiet, with the documented codes.

- the reader of stdout goes away (``| head -1``): no traceback, no message,
  exit 141 (README, "Exit codes");
- Ctrl-C (SIGINT, by ``kill`` or typed on a terminal) while reading stdin:
  exit 130, nothing on stderr;
- SIGTERM: nncalc ends at once by the signal (status 143 in a shell), silent.

Signals are sent once nncalc is blocked reading its stdin (seen in
/proc/PID/syscall), so the test does not race its start-up; Ctrl-C during
start-up is sent once NumPy's extension modules show in /proc/PID/maps. No
fixed sleeps: the tests pass on a loaded machine.
"""

from __future__ import annotations

import fcntl
import os
import platform
import pty
import re
import signal
import subprocess
import termios
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import nncalc_path, run_process

pytestmark = pytest.mark.slow  # real processes, pipes and signals

READ_SYSCALL = {"x86_64": 0, "aarch64": 63}.get(platform.machine())
ROW = b"0.2689414213699951,0.7310585786300049\n"


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200,000 rows of logits: far more output than a pipe buffer holds."""
    path = tmp_path_factory.mktemp("signals") / "big.csv"
    logits = np.random.default_rng(7).standard_normal((200_000, 4))
    np.savetxt(path, logits, fmt="%.6f", delimiter=",")
    return path


@pytest.mark.parametrize(
    ("command", "first_line"),
    [
        ("softmax -", rb"^[0-9.e-]+(,[0-9.e-]+){3}$"),
        ("softmax - --log --digits 5", rb"^-[0-9.e-]+(,-[0-9.e-]+){3}$"),
        ("kl - 0.25,0.25,0.25,0.25 --logits --reduction none", rb"^[0-9.e-]+$"),
        ("softmax - --format csv", rb"^p0,p1,p2,p3$"),
    ],
)
def test_head_closing_the_pipe_is_quiet(big_csv: Path, command: str, first_line: bytes) -> None:
    nncalc_path()
    err = big_csv.parent / "err.txt"
    result = run_process(
        f"nncalc {command} < {big_csv} 2> {err} | head -1; "
        f'echo "status=${{PIPESTATUS[0]}}"; cat {err} >&2'
    )
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert re.match(first_line, lines[0]), lines[0]
    assert lines[1] == b"status=141"
    assert result.stderr == b""


def test_an_endless_producer_stops_when_the_reader_goes_away() -> None:
    """`yes | nncalc | head -1` ends: nncalc stops reading once nobody reads it."""
    nncalc_path()
    result = run_process(
        'yes 1,2 | nncalc softmax | head -1; echo "status=${PIPESTATUS[1]}"', timeout=120
    )
    assert result.stdout == ROW + b"status=141\n"
    assert result.stderr == b""


def wait_until_reading_stdin(pid: int) -> None:
    """Block until process ``pid`` sits in read(0, ...): start-up is over."""
    if READ_SYSCALL is None:
        pytest.skip(f"no read(2) syscall number known for {platform.machine()}")
    path = Path(f"/proc/{pid}/syscall")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            fields = path.read_text().split()
        except FileNotFoundError:
            pytest.fail("nncalc exited before it read its stdin")
        except PermissionError:
            pytest.skip("/proc/PID/syscall is not readable here")
        if fields[:2] == [str(READ_SYSCALL), "0x0"]:
            return
        time.sleep(0.02)
    pytest.fail("nncalc never waited on its stdin")


def start_reading_a_pipe(*args: str, first: bytes = b"1,2\n") -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [nncalc_path(), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None
    process.stdin.write(first)
    process.stdin.flush()
    wait_until_reading_stdin(process.pid)
    return process


def finish(process: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    stdout, stderr = process.communicate(timeout=60)
    return stdout, stderr


def test_sigint_while_reading_stdin_exits_130_quietly() -> None:
    process = start_reading_a_pipe("softmax", "-")
    process.send_signal(signal.SIGINT)
    stdout, stderr = finish(process)
    assert process.returncode == 130
    assert stderr == b""
    # The row that was complete may have been written already; nothing else.
    assert stdout in (b"", ROW)


def test_sigterm_while_reading_stdin_ends_at_once_and_silently() -> None:
    process = start_reading_a_pipe("kl", "-", "0.5,0.5", first=b"0.5,0.5\n")
    process.send_signal(signal.SIGTERM)
    stdout, stderr = finish(process)
    assert process.returncode == -signal.SIGTERM
    assert stderr == b""
    assert stdout in (b"", b"0.0\n")


def test_sigterm_status_in_a_shell_is_143(tmp_path: Path) -> None:
    nncalc_path()
    if READ_SYSCALL is None:
        pytest.skip(f"no read(2) syscall number known for {platform.machine()}")
    # stdin is a FIFO that this shell holds open: nncalc waits on it.
    result = run_process(
        f"cd {tmp_path} && mkfifo in && exec 3<>in && "
        "{ nncalc softmax - <&3 & pid=$!; } && "
        f"until grep -q '^{READ_SYSCALL} 0x0 ' /proc/$pid/syscall; do sleep 0.05; done; "
        'kill -TERM $pid; wait $pid; echo "status=$?"',
        timeout=120,
    )
    assert result.stdout == b"status=143\n"
    assert result.stderr == b""


def test_ctrl_c_typed_on_a_terminal_exits_130_quietly() -> None:
    """^C through a real terminal's line discipline, while `softmax -` reads it."""
    program = nncalc_path()
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            [program, "softmax", "-"],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # the controlling tty
        )
        os.close(slave)
        wait_until_reading_stdin(process.pid)
        os.write(master, b"\x03")  # what Ctrl-C sends; the terminal turns it into SIGINT
        stdout, stderr = finish(process)
    finally:
        os.close(master)
    assert process.returncode == 130
    assert (stdout, stderr) == (b"", b"")


def reading_stdin(pid: int) -> bool:
    """Whether process ``pid`` sits in read(0, ...) (False where that cannot be seen)."""
    try:
        fields = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return False
    return READ_SYSCALL is not None and fields[:2] == [str(READ_SYSCALL), "0x0"]


def wait_until_importing(process: subprocess.Popen[bytes], library: str) -> None:
    """Block until ``process`` has loaded the extension module ``library``.

    NumPy and Typer are imported only inside the console entry point's
    Ctrl-C guard (``import nncalc`` imports nothing heavy), so once one of
    their extension modules shows in /proc/PID/maps the rest of start-up runs
    under the guard, however slowly the machine runs it. Should ``library``
    never load (a Typer that no longer needs it), start-up ends in read(0)
    and the Ctrl-C comes then.
    """
    maps = Path(f"/proc/{process.pid}/maps")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nncalc exited during start-up: {process.communicate()}")
        try:
            text = maps.read_text()
        except FileNotFoundError:
            pytest.skip("/proc/PID/maps is not available here")
        except PermissionError:
            pytest.skip("/proc/PID/maps is not readable here")
        if library in text or reading_stdin(process.pid):
            return
        time.sleep(0.005)
    pytest.fail(f"nncalc never loaded {library}")


# While NumPy's core C module initialises (a Ctrl-C there comes out of
# `import numpy` as an ImportError, which the entry point recognises as the
# interrupt), late in NumPy's import, and in Typer's (its subprocess import).
@pytest.mark.parametrize("library", ["_multiarray_umath", "_umath_linalg", "_posixsubprocess"])
def test_ctrl_c_during_start_up_is_quiet(library: str) -> None:
    """SIGINT while NumPy and Typer are still importing: exit 130, no traceback."""
    process = subprocess.Popen(
        [nncalc_path(), "softmax", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wait_until_importing(process, library)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert b"Traceback" not in stderr
    assert process.returncode == 130
    assert stdout == b""
