"""Streaming batches: flat memory, output before the input ends, wide rows, progress.

No timing assertions: memory is compared at two sizes with generous margins,
and "output before EOF" is checked with a producer that keeps stdin open.

The reader alone: tests/io/test_reader.py; the polars writer and the writer
thread: tests/output/test_fastcsv.py.
"""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from nncalc.io import progress
from nncalc.io.reader import CHUNK_ROWS
from tests.conftest import BIN, nncalc_path, one_line_error, polars_or_skip, run

HAS_PROC = Path("/proc/self/status").exists()

# Runs nncalc in this interpreter and reports its peak resident set (VmHWM;
# ru_maxrss would also count the memory of the test process that spawned it).
RSS_PROBE = """
import atexit, sys
def report():
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM:"))
    sys.stderr.write("\\nVmHWM " + peak.split()[1] + "\\n")
atexit.register(report)
sys.argv = ["nncalc", *sys.argv[1:]]
from nncalc.cli.app import app
app()
"""


def env(**extra: str) -> dict[str, str]:
    full = dict(os.environ)
    full["PATH"] = f"{BIN}{os.pathsep}{full.get('PATH', '')}"
    full.update(extra)
    return full


def csv_text(values: np.ndarray, spec: str = "%.4f") -> str:
    line = ",".join([spec] * values.shape[1]) + "\n"
    return (line * len(values)) % tuple(values.ravel().tolist())


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Logits and probabilities, 4 columns, at 200k and 2M rows (10x).

    Peak memory climbs to a plateau as the writer's buffers and the
    allocator's arenas fill (reached at a few hundred thousand rows, flat
    from there to 4M rows here), so the smaller size is past the start:
    at 50k rows the per-row commands' output would not even use the writer
    thread.
    """
    folder = tmp_path_factory.mktemp("batches")
    rng = np.random.default_rng(7)
    files = {}
    for rows in (200_000, 2_000_000):
        logits = rng.normal(0.0, 2.0, size=(rows, 4))
        files[f"logits{rows}"] = folder / f"logits{rows}.csv"
        files[f"logits{rows}"].write_text(csv_text(logits))
        p = rng.random((rows, 4)) + 0.01
        files[f"p{rows}"] = folder / f"p{rows}.csv"
        files[f"p{rows}"].write_text(csv_text(p / p.sum(axis=1, keepdims=True), "%r"))
    return files


def peak_rss_kb(args: list[str], stdin: Path, **extra: str) -> int:
    with open(stdin, "rb") as source:
        done = subprocess.run(
            [sys.executable, "-c", RSS_PROBE, *args],
            stdin=source,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env(**extra),
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode()
    last = done.stderr.decode().strip().splitlines()[-1]
    assert last.startswith("VmHWM ")
    return int(last.split()[1])


# polars, once imported (outputs over 150k numbers), adds ~50 MB of its own:
# the same at both sizes when both import it, so most cases leave it out.
NUMPY_ONLY = {"NNCALC_NO_POLARS": "1"}


@pytest.mark.slow
@pytest.mark.skipif(not HAS_PROC, reason="peak RSS is read from /proc")
@pytest.mark.parametrize(
    ("name", "args", "extra"),
    [
        ("softmax, NumPy formatting", ["softmax"], NUMPY_ONLY),
        ("softmax, polars if installed", ["softmax", "--log"], {}),
        ("kl, a line per row", ["kl", "-", "0.25,0.25,0.25,0.25", "-r", "none"], NUMPY_ONLY),
        ("kl, reduced to a mean", ["kl", "-", "0.25,0.25,0.25,0.25"], NUMPY_ONLY),
        ("entropy, csv rows", ["entropy", "-", "-r", "none", "-f", "csv"], NUMPY_ONLY),
        ("xent, max", ["xent", "-", "0.1,0.2,0.3,0.4", "-r", "max"], NUMPY_ONLY),
    ],
)
def test_memory_stays_flat_with_ten_times_the_rows(
    batches: dict[str, Path], name: str, args: list[str], extra: dict[str, str]
) -> None:
    kind = "logits" if args[0] == "softmax" else "p"
    small = peak_rss_kb(args, batches[f"{kind}200000"], **extra)
    large = peak_rss_kb(args, batches[f"{kind}2000000"], **extra)
    # Holding the rows would add 14 MB or more of floats (and more of text).
    assert large <= small * 1.25, (name, small, large)


def read_a_line(stream: io.BufferedReader, timeout: float) -> bytes:
    """Read from a pipe until a whole line is in (all that was read), or b"" on time-out."""
    data = b""
    while b"\n" not in data:
        ready, _, _ = select.select([stream], [], [], timeout)
        if not ready:
            return b""
        chunk = os.read(stream.fileno(), 1 << 16)
        if not chunk:
            return data
        data += chunk
    return data


def output_while_input_open(args: list[str], rows: bytes) -> tuple[bytes, bool, bytes, int]:
    """Write ``rows`` and keep stdin open: the output up to a first whole line,
    whether the process still waited for input then, the rest of stdout, the exit code."""
    process = subprocess.Popen(
        [nncalc_path(), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(),
    )
    stdin, stdout, stderr = process.stdin, process.stdout, process.stderr
    assert stdin is not None and stdout is not None and stderr is not None
    writer = threading.Thread(target=lambda: (stdin.write(rows), stdin.flush()))
    writer.start()
    rest: list[bytes] = []
    try:
        first = read_a_line(stdout, timeout=60)
        waiting = process.poll() is None
    finally:
        drain = threading.Thread(target=lambda: rest.append(stdout.read()))
        drain.start()
        writer.join(timeout=120)
        stdin.close()
        drain.join(timeout=120)
    errors = stderr.read()
    code = process.wait(timeout=120)
    stdout.close()
    stderr.close()
    assert errors == b""
    return first, waiting, b"".join(rest), code


P_ROWS = b"0.5,0.25,0.25\n0.2,0.3,0.5\n"
STREAMING = [
    (["softmax"], b"1,2,3\n4,5,6\n"),
    (["softmax", "--log", "-f", "csv"], b"1,2,3\n4,5,6\n"),
    (["xent", "-", "0.2,0.3,0.5", "-r", "none"], b"0\n2\n"),
    (["xent", "-", "0.2,0.3,0.5", "-r", "none", "-f", "csv"], b"0\n2\n"),
    (["kl", "-", "0.2,0.3,0.5", "-r", "none"], P_ROWS),
    (["entropy", "-", "-r", "none"], P_ROWS),
    (["js", "-", "0.2,0.3,0.5", "-r", "none"], P_ROWS),
    (["kl-normal", "-", "0,0,0", "-r", "none"], b"0.5,-1,2\n0,0,0\n"),
    (["distill", "-", "1,2,3", "-r", "none"], b"3,2,1\n1,2,3\n"),
    (["kl-approx", "-", "-1,-2,-3", "-r", "none"], b"-1.5,-2,-2.5\n-1,-2,-3\n"),
    (["sgd", "--online"], b"0.5,1.0,2.1\n1.5,-0.5,1.4\n"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "rows"), STREAMING, ids=[" ".join(a) for a, _ in STREAMING])
def test_results_appear_while_stdin_is_still_open(args: list[str], rows: bytes) -> None:
    first, waiting, rest, code = output_while_input_open(args, rows)
    assert first.strip(), "no output while the input was still open"
    assert waiting, "the process ended before its input did"
    assert code == 0
    lines = (first + rest).decode().splitlines()
    assert len(lines) == 2 + ("-f" in args)  # a line per row (and a csv header)


@pytest.mark.slow
def test_a_paused_producer_of_100k_rows_sees_every_row_computed() -> None:
    rows = b"0.1,0.2,0.3,0.4\n" * 100_000
    first, waiting, rest, code = output_while_input_open(["softmax", "--digits", "6"], rows)
    assert first.startswith(b"0.213838,0.236328,0.261183,0.288651\n")
    assert waiting
    assert code == 0
    assert (first + rest).count(b"\n") == 100_000


@pytest.mark.slow
def test_wide_rows_of_an_llm_vocabulary_stay_within_a_few_rows(tmp_path: Path) -> None:
    """xent --logits @labels.txt @logits.csv: 32 rows x 128256 classes."""
    if not HAS_PROC:
        pytest.skip("peak RSS is read from /proc")
    rng = np.random.default_rng(3)
    classes = 128_256
    labels = rng.integers(0, classes, size=32)
    (tmp_path / "labels.txt").write_text("".join(f"{c}\n" for c in labels))
    logits = np.round(rng.normal(0.0, 3.0, size=(32, classes)), 2)
    with open(tmp_path / "logits.csv", "w") as handle:
        for row in logits:
            handle.write(",".join(map(str, row.tolist())) + "\n")
    with open(tmp_path / "logits4.csv", "w") as handle:
        for row in logits[:4]:
            handle.write(",".join(map(str, row.tolist())) + "\n")
    (tmp_path / "labels4.txt").write_text("".join(f"{c}\n" for c in labels[:4]))

    args = ["xent", f"@{tmp_path}/labels.txt", f"@{tmp_path}/logits.csv", "--logits"]
    done = subprocess.run(
        [nncalc_path(), *args, "-r", "none"], capture_output=True, env=env(), timeout=120
    )
    assert done.returncode == 0, done.stderr
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1))
    expected = log_z - shifted[np.arange(32), labels]
    got = np.array([float(line) for line in done.stdout.decode().split()])
    np.testing.assert_allclose(got, expected, rtol=1e-12)

    empty = tmp_path / "empty"
    empty.write_text("")
    four = peak_rss_kb(
        ["xent", f"@{tmp_path}/labels4.txt", f"@{tmp_path}/logits4.csv", "--logits"], empty
    )
    all_32 = peak_rss_kb(args, empty)
    # All 32 rows as float64 alone would be 33 MB (their text 23 MB).
    assert all_32 - four < 20_000, (four, all_32)


def test_a_bad_row_deep_in_a_stream_names_its_row_and_prints_no_part_of_it() -> None:
    rows = ["1,2,3"] * 40_000
    rows[33_333] = "1,x,3"
    result = run("softmax", input="\n".join(rows) + "\n")
    assert result.exit_code == 2
    assert result.stderr == "nncalc: error: LOGITS row 33334, column 2: 'x': not a number\n"
    printed = result.stdout.splitlines()
    assert 0 < len(printed) < 33_333 and len(printed) % CHUNK_ROWS == 0
    assert all(line.count(",") == 2 for line in printed)


def test_row_count_mismatch_far_into_two_files(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("0.5,0.5\n" * 40_001)
    (tmp_path / "q.csv").write_text("0.5,0.5\n" * 40_000)
    line = one_line_error(run("kl", f"@{tmp_path}/p.csv", f"@{tmp_path}/q.csv"))
    assert line == (
        "nncalc: error: P row 40001: P has more rows than Q (Q ends after 40,000 rows); "
        "batches pair row by row and must have the same number of rows"
    )


def test_a_header_only_input_has_no_data_rows() -> None:
    line = one_line_error(run("softmax", input="a,b,c\n# nothing else\n\n"))
    assert line == "nncalc: error: LOGITS: input has no data rows"


# Output text: identical with and without polars.


@pytest.mark.slow
def test_large_outputs_are_the_same_with_and_without_polars(batches: dict[str, Path]) -> None:
    polars_or_skip()
    outputs = []
    for extra in ({}, {"NNCALC_NO_POLARS": "1"}):
        with open(batches["logits200000"], "rb") as source:
            done = subprocess.run(
                [nncalc_path(), "softmax"],
                stdin=source,
                capture_output=True,
                env=env(**extra),
                timeout=120,
            )
        assert done.returncode == 0 and done.stderr == b""
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    logits = np.loadtxt(batches["logits200000"], delimiter=",")
    from nncalc import softmax

    assert np.array_equal(np.loadtxt(io.BytesIO(outputs[0]), delimiter=","), softmax(logits))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "rows", "used"),
    [
        (["softmax"], 20, False),  # small: repr, no import
        (["softmax"], 100_000, True),
        (["softmax", "--digits", "5"], 40_000, False),  # %g formatting
        (["kl", "-", "0.5,0.5", "-r", "none"], 40_000, False),  # 40k numbers
    ],
)
def test_polars_is_imported_only_for_large_outputs(args: list[str], rows: int, used: bool) -> None:
    polars_or_skip()
    probe = (
        "import sys; sys.argv = ['nncalc', *sys.argv[1:]]\n"
        "from nncalc.cli.app import app\n"
        "try:\n    app()\n"
        "finally:\n    sys.stderr.write(str('polars' in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        input=b"0.3,0.7\n" * rows,
        capture_output=True,
        env=env(),
        timeout=120,
    )
    assert done.returncode == 0
    assert done.stdout.count(b"\n") == rows
    assert done.stderr.decode() == str(used)


# Progress bar: stderr a terminal, stdout not, the input a file.


@pytest.fixture(scope="module")
def big_logits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.csv"
    rows = np.random.default_rng(5).normal(size=(110_000, 10))
    path.write_text(csv_text(rows, "%.5f"))
    assert path.stat().st_size >= progress.MIN_BYTES
    return path


def run_with_stderr(args: list[str], stderr: int) -> tuple[bytes, int]:
    with subprocess.Popen(
        [nncalc_path(), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=env(TERM="xterm-256color", COLUMNS="100"),
    ) as process:
        out, _ = process.communicate(timeout=120)
    return out, process.returncode


def read_terminal(master: int, into: list[bytes]) -> None:
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # the other side closed
            return
        if not data:
            return
        into.append(data)


@pytest.mark.slow
def test_progress_bar_on_a_terminal_stderr_and_never_in_stdout(big_logits: Path) -> None:
    master, slave = pty.openpty()
    screen: list[bytes] = []
    reader = threading.Thread(target=read_terminal, args=(master, screen))
    reader.start()
    try:
        out, code = run_with_stderr(["softmax", f"@{big_logits}", "--digits", "4"], slave)
    finally:
        os.close(slave)
        reader.join(timeout=30)
        os.close(master)
    drawn = b"".join(screen).decode(errors="replace")
    assert code == 0
    assert "big.csv" in drawn and "━" in drawn
    plain, code = run_with_stderr(["softmax", f"@{big_logits}", "--digits", "4"], subprocess.PIPE)
    assert code == 0
    assert out == plain  # the bar never reaches stdout
    assert b"\x1b" not in out and out.count(b"\n") == 110_000


@pytest.mark.slow
def test_no_bar_when_stderr_is_not_a_terminal(big_logits: Path) -> None:
    done = subprocess.run(
        [nncalc_path(), "softmax", f"@{big_logits}", "-f", "csv", "--digits", "3"],
        capture_output=True,
        env=env(TERM="xterm-256color"),
        timeout=120,
    )
    assert done.returncode == 0
    assert done.stderr == b""
    assert done.stdout.startswith(b"p0,p1,")


# Large chunks are formatted and written on a second thread: order, errors, pipes.

WIDE_ROW = ",".join(str(i % 7 - 3) for i in range(10))


def test_threaded_output_keeps_the_header_first_and_every_row_in_order() -> None:
    rows = [f"{i % 5},{i % 3},{-(i % 11)}" for i in range(60_000)]
    fast = run("softmax", "-f", "csv", input="\n".join(rows) + "\n")
    slow = run("softmax", "-f", "csv", input="\n".join(rows) + "\n", env=NUMPY_ONLY)
    assert fast.exit_code == slow.exit_code == 0
    assert fast.stdout == slow.stdout
    lines = fast.stdout.splitlines()
    assert lines[0] == "p0,p1,p2" and len(lines) == 60_001


def test_a_bad_row_after_threaded_chunks_still_prints_whole_rows_only() -> None:
    rows = [WIDE_ROW] * 40_000
    rows[33_333] = WIDE_ROW.replace("-3", "oops", 1)
    result = run("softmax", input="\n".join(rows) + "\n")
    assert result.exit_code == 2
    assert result.stderr == "nncalc: error: LOGITS row 33334, column 1: 'oops': not a number\n"
    printed = result.stdout.splitlines()
    assert 0 < len(printed) < 33_333 and len(printed) % CHUNK_ROWS == 0
    assert all(line.count(",") == 9 for line in printed)


@pytest.mark.slow
def test_a_closed_pipe_during_threaded_output_ends_quietly(big_logits: Path) -> None:
    done = subprocess.run(
        ["bash", "-c", f'nncalc softmax < "{big_logits}" | head -1; echo "${{PIPESTATUS[0]}}"'],
        capture_output=True,
        env=env(),
        timeout=120,
    )
    first, status = done.stdout.decode().splitlines()
    assert first.count(",") == 9
    assert status == "141"
    assert done.stderr == b""
