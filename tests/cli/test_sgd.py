"""``sgd``: GD against mini-batch SGD on least squares, and ``--online``, through the CLI.

The math, against 50-digit references: tests/core/test_sgd.py.
"""

from __future__ import annotations

import json
import os
import pty
import selectors
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nncalc.core.sgd import (
    SCHEDULES,
    OnlineLearner,
    compare,
    problem_from_rows,
)
from nncalc.output.reports import sgd as reports
from tests.conftest import BIN, nncalc_path, one_line_error, run, run_process

RECORD_KEYS = [
    "data",
    "samples",
    "features",
    "noise",
    "seed",
    "seeds",
    "batch_size",
    "lr",
    "schedule",
    "epochs",
    "optimal_loss",
    "gd_stable_lr",
    "equal_compute_gradients",
    "gd_updates",
    "gd_gradients",
    "gd_final_loss_mean",
    "gd_final_loss_std",
    "gd_loss_at_equal_compute",
    "sgd_updates",
    "sgd_gradients",
    "sgd_final_loss_mean",
    "sgd_final_loss_std",
    "sgd_loss_at_equal_compute",
]
SMALL = ["--samples", "30", "--features", "3", "--epochs", "6", "--seeds", "3"]
ROWS = "0.5,1.0,2.1\n1.5,-0.5,1.4\n-1.0,2.0,-0.1\n2.0,0.5,3.2\n0.0,-1.5,-1.6\n"


def plain_record(text: str) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in text.splitlines()]
    return {name: value for name, value in pairs}


def sgd_json(*args: str, input: str | None = None) -> dict[str, object]:
    result = run("sgd", *args, "--format", "json", input=input)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    document: dict[str, object] = json.loads(result.stdout)
    return document


# --- the command -----------------------------------------------------------------------


def test_default_run_plain_record() -> None:
    result = run("sgd")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    record = plain_record(result.stdout)
    assert list(record) == RECORD_KEYS
    assert record["data"] == "synthetic"
    assert (record["samples"], record["features"], record["batch_size"]) == ("200", "5", "10")
    assert (record["gd_updates"], record["gd_gradients"]) == ("20", "4000")
    assert (record["sgd_updates"], record["sgd_gradients"]) == ("400", "4000")
    assert record["gd_final_loss_std"] == "0.0"
    # SGD is ahead at equal compute and at the end; both stay above the optimum.
    sgd_final, gd_final = float(record["sgd_final_loss_mean"]), float(record["gd_final_loss_mean"])
    assert float(record["optimal_loss"]) <= sgd_final < gd_final
    assert float(record["sgd_loss_at_equal_compute"]) < float(record["gd_loss_at_equal_compute"])


def test_same_seed_same_output_twice() -> None:
    for fmt in ("plain", "json", "table"):
        first = run("sgd", *SMALL, "--seed", "3", "--format", fmt)
        second = run("sgd", *SMALL, "--seed", "3", "--format", fmt)
        assert first.exit_code == second.exit_code == 0
        assert first.stdout == second.stdout
    assert run("sgd", *SMALL, "--seed", "4").stdout != run("sgd", *SMALL, "--seed", "3").stdout


def test_formats_agree() -> None:
    plain = plain_record(run("sgd", *SMALL, "--format", "plain").stdout)
    csv_lines = run("sgd", *SMALL, "--format", "csv").stdout.splitlines()
    assert len(csv_lines) == 2
    assert csv_lines[0].split(",") == RECORD_KEYS
    assert dict(zip(RECORD_KEYS, csv_lines[1].split(","), strict=True)) == plain
    document = sgd_json(*SMALL)
    assert list(document) == [*RECORD_KEYS, "sgd_final_losses", "gd_loss_curve", "sgd_loss_curve"]
    for key in RECORD_KEYS:
        value = document[key]
        assert (str(value) if isinstance(value, (str, int)) else repr(value)) == plain[key]
    finals = document["sgd_final_losses"]
    assert isinstance(finals, list) and len(finals) == 3
    assert document["sgd_final_loss_mean"] == pytest.approx(float(np.mean(finals)), rel=1e-12)
    assert document["sgd_final_loss_std"] == pytest.approx(float(np.std(finals)), rel=1e-9)
    gd_curve, sgd_curve = document["gd_loss_curve"], document["sgd_loss_curve"]
    assert isinstance(gd_curve, list) and isinstance(sgd_curve, list)
    assert len(gd_curve) == len(sgd_curve) == 7
    assert gd_curve[0] == sgd_curve[0]  # both start from w = 0
    assert gd_curve[1] == document["gd_loss_at_equal_compute"]
    assert sgd_curve[-1] == document["sgd_final_loss_mean"]


def test_sgd_varies_across_seeds_gd_does_not() -> None:
    document = sgd_json("--samples", "60", "--seeds", "4", "--lr", "0.2", "--batch-size", "3")
    finals = document["sgd_final_losses"]
    assert isinstance(finals, list) and len(set(finals)) == 4
    assert document["sgd_final_loss_std"] > 0  # type: ignore[operator]
    assert document["gd_final_loss_std"] == 0.0


@pytest.mark.parametrize(("samples", "batch", "updates"), [(10, 3, 16), (10, 5, 8), (10, 10, 4)])
def test_command_counts(samples: int, batch: int, updates: int) -> None:
    document = sgd_json("--samples", str(samples), "--batch-size", str(batch), "--epochs", "4")
    assert document["gd_updates"] == 4
    assert document["sgd_updates"] == updates
    assert document["gd_gradients"] == document["sgd_gradients"] == 40
    assert document["equal_compute_gradients"] == samples


def test_schedules_and_digits() -> None:
    for schedule in SCHEDULES:
        document = sgd_json(*SMALL, "--schedule", schedule, "--digits", "3")
        assert document["schedule"] == schedule
        assert len(repr(document["gd_final_loss_mean"]).replace(".", "").lstrip("0")) <= 3
    constant = sgd_json(*SMALL, "--schedule", "constant")
    cosine = sgd_json(*SMALL, "--schedule", "cosine")
    assert constant["gd_loss_curve"] != cosine["gd_loss_curve"]


def test_table_shows_both_methods_and_sparklines() -> None:
    result = run("sgd", *SMALL, "--format", "table")
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout  # no colour on a pipe
    lines = result.stdout.splitlines()
    gd_rows = [line for line in lines if line.startswith("| GD ")]
    sgd_rows = [line for line in lines if line.startswith("| SGD ")]
    assert len(gd_rows) == len(sgd_rows) == 2  # the numbers, and the curve
    curve = sgd_rows[1].split("|")[2].strip()
    assert len(curve) == 7 and set(curve) <= set(reports.SPARK_CHARS)
    assert curve[0] == "█"  # the start is the highest loss
    assert "loss at equal compute" in result.stdout


def test_data_file_with_header_matches_the_api(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("x1,x2,y\n" + ROWS)
    document = sgd_json(
        "--data", f"@{tmp_path / 'train.csv'}", "--batch-size", "2", "--epochs", "7", "--seeds", "2"
    )
    rows = np.array([[float(v) for v in line.split(",")] for line in ROWS.splitlines()])
    expected = compare(problem_from_rows(rows), batch_size=2, lr=0.05, epochs=7, seeds=2)
    assert document["samples"] == 5 and document["features"] == 2
    assert document["noise"] is None
    assert document["gd_loss_curve"] == expected.gd.losses
    assert document["sgd_final_losses"] == [r.final_loss for r in expected.sgd]
    from_stdin = sgd_json(
        "--data", "-", "--batch-size", "2", "--epochs", "7", "--seeds", "2", input=ROWS
    )
    assert from_stdin["data"] == "stdin"
    assert from_stdin["gd_loss_curve"] == document["gd_loss_curve"]


def test_default_batch_is_capped_by_a_small_data_set() -> None:
    document = sgd_json("--data", "-", input=ROWS)
    assert document["batch_size"] == 5
    assert document["sgd_updates"] == document["gd_updates"] == 20


def test_synthetic_data_ignores_a_piped_stdin() -> None:
    assert run("sgd", *SMALL, input="not,data\n").stdout == run("sgd", *SMALL).stdout


def test_divergence_warns_on_stderr_and_still_prints() -> None:
    result = run("sgd", *SMALL, "--lr", "5")
    assert result.exit_code == 0
    assert list(plain_record(result.stdout)) == RECORD_KEYS
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("nncalc: warning: GD and SGD diverged")
    assert "lower --lr" in lines[0]
    assert run("sgd", *SMALL).stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "0"], "--lr: '0': must be a finite number > 0"),
        (["--lr", "-0.1"], "--lr: '-0.1': must be a finite number > 0"),
        (["--lr", "nan"], "--lr: 'nan': must be a finite number > 0"),
        (["--lr", "inf"], "--lr: 'inf': must be a finite number > 0"),
        (["--lr", "fast"], "--lr: 'fast': must be a finite number > 0"),
        (["--batch-size", "0"], "--batch-size: '0': must be a whole number >= 1"),
        (["--batch-size", "-3"], "--batch-size: '-3': must be a whole number >= 1"),
        (
            ["--batch-size", "201"],
            "--batch-size: '201': larger than the 200 samples (use at most 200)",
        ),
        (["--samples", "0"], "--samples: '0': must be a whole number in [1, 10**8]"),
        (["--samples", "-5"], "--samples: '-5': must be a whole number in [1, 10**8]"),
        (["--features", "0"], "--features: '0': must be a whole number in [1, 100000]"),
        (["--epochs", "0"], "--epochs: '0': must be a whole number >= 1"),
        (["--seeds", "0"], "--seeds: '0': must be a whole number in [1, 10000]"),
        (["--seed", "-1"], "--seed: '-1': must be a whole number >= 0"),
        (["--noise", "-1"], "--noise: '-1': must be a finite number >= 0"),
        (
            ["--schedule", "linear"],
            "--schedule: 'linear': must be one of constant, step, inverse-sqrt, cosine",
        ),
        (["--data", "@missing.csv"], "--data: '@missing.csv': no such file"),
        (["--data", "1,2", "--samples", "4"], "--samples: does not apply with --data"),
        (["--data", "1,2", "--noise", "1"], "--noise: does not apply with --data"),
        (["--online", "--epochs", "3"], "--epochs: does not apply with --online"),
        (["--online", "--seeds", "3"], "--seeds: does not apply with --online"),
        (["--online", "--batch-size", "3"], "--batch-size: does not apply with --online"),
        (
            ["--online", "--schedule", "cosine"],
            "--schedule: schedule 'cosine' needs a known run length "
            "(with --online use constant or inverse-sqrt)",
        ),
    ],
)
def test_bad_options(args: list[str], message: str) -> None:
    line = one_line_error(run("sgd", *args, input=ROWS))
    assert message in line


@pytest.mark.parametrize("online", [False, True])
@pytest.mark.parametrize(
    ("data", "message", "answered_online"),
    [
        ("1,2\n3,x\n", "--data row 2, column 2: 'x': not a number", 1),
        ("1\n2\n", "--data: rows have 1 value; need at least 2 (the features, then the target", 0),
        ("1,2\n3,nan\n", "--data row 2, column 2: 'nan': data must be finite", 1),
        ("1,2\n-inf,3\n", "--data row 2, column 1: '-inf': data must be finite", 1),
        (
            "1,2\n3,4,5\n",
            "--data row 2: ragged rows: this row has 3 values, earlier rows have 2",
            1,
        ),
        ("", "--data: input has no data rows", 0),
        ("x,y\n", "--data: input has no data rows", 0),
    ],
)
def test_bad_data(data: str, message: str, answered_online: int, online: bool) -> None:
    args = ["--online"] if online else ["--data", "-"]
    result = run("sgd", *args, input=data)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"nncalc: error: {message}")
    # The batch comparison prints nothing; online rows before the bad one
    # were already answered, one line each.
    assert len(result.stdout.splitlines()) == (answered_online if online else 0)


# --- --online ----------------------------------------------------------------------------


def test_online_prints_the_running_loss_per_row() -> None:
    result = run("sgd", "--online", "--lr", "0.1", input=ROWS)
    assert result.exit_code == 0 and result.stderr == ""
    learner = OnlineLearner(2, lr=0.1)
    expected = []
    for line in ROWS.splitlines():
        *x, y = (float(v) for v in line.split(","))
        expected.append(learner.update(np.array(x), y)[1])
    assert [float(v) for v in result.stdout.splitlines()] == expected


def test_online_formats(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("a,b,y\n" + ROWS)
    data = ["--data", f"@{tmp_path / 'rows.csv'}", "--lr", "0.1"]
    plain = run("sgd", "--online", *data).stdout.splitlines()
    csv = run("sgd", "--online", *data, "--format", "csv").stdout.splitlines()
    assert csv[0] == "row,running_loss"
    assert csv[1:] == [f"{i},{v}" for i, v in enumerate(plain, start=1)]
    document = json.loads(run("sgd", "--online", *data, "--format", "json").stdout)
    assert document["quantity"] == "running_loss"
    assert document["rows"] == 5
    assert [repr(v) for v in document["values"]] == plain
    table = run("sgd", "--online", *data, "--format", "table", "--schedule", "inverse-sqrt")
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    # The running losses stream as plain lines first, then the summary table.
    streamed = run("sgd", "--online", *data, "--schedule", "inverse-sqrt").stdout.splitlines()
    assert lines[:5] == streamed and lines[5] != streamed[-1]
    assert "online least squares" in table.stdout and "inverse-sqrt" in table.stdout


def test_online_streams_before_end_of_input() -> None:
    """A reader sees each running loss while stdin is still open."""
    process = subprocess.Popen(
        [nncalc_path(), "sgd", "--online", "--lr", "0.1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    try:
        got = []
        for row in ROWS.splitlines()[:3]:
            process.stdin.write(row + "\n")
            process.stdin.flush()
            # A guard against hanging forever, not a timing assertion.
            assert selector.select(timeout=60), "no output while stdin was open"
            got.append(process.stdout.readline())
            assert process.poll() is None  # still running, waiting for rows
        learner = OnlineLearner(2, lr=0.1)
        for line, row in zip(got, ROWS.splitlines(), strict=False):
            *x, y = (float(v) for v in row.split(","))
            assert float(line) == learner.update(np.array(x), y)[1]
        process.stdin.close()
        assert process.wait(timeout=60) == 0
        assert process.stdout.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        selector.close()


def test_online_literal_row_and_a_pipe() -> None:
    literal = run("sgd", "--online", "--data", "1,2,3", "--lr", "0.5")
    assert literal.stdout == "4.5\n"  # (0 - 3)^2 / 2, before the first step
    piped = run_process("printf '1,2,3\\n1,2,3\\n' | nncalc sgd --online --lr 0.1")
    assert piped.returncode == 0
    assert piped.stdout.decode().splitlines()[0] == "4.5"


# --- progress bar ------------------------------------------------------------------------

LONG = [
    "nncalc",
    "sgd",
    "--samples",
    "1000",
    "--batch-size",
    "1",
    "--seeds",
    "5",
    "--format",
    "plain",
]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("NO_COLOR", None)
    return env


def _run_with_terminal_stderr(args: list[str]) -> tuple[bytes, bytes]:
    """Run nncalc with stdout a pipe and stderr a pseudo-terminal."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [nncalc_path(), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
            env=_env(),
        )
    finally:
        os.close(follower)
    assert process.stdout is not None
    out = process.stdout.read()
    assert process.wait(timeout=120) == 0
    err = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        err += chunk
    os.close(leader)
    return out, err


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_only_for_long_runs() -> None:
    out, err = _run_with_terminal_stderr(LONG[1:])
    assert b"training" in err  # the bar, on stderr
    assert b"training" not in out and b"\x1b" not in out
    piped = run_process(" ".join(LONG))
    assert piped.returncode == 0
    assert piped.stderr == b""  # never on a pipe
    assert piped.stdout == out  # the bar changes nothing on stdout
    short_out, short_err = _run_with_terminal_stderr(["sgd", "--format", "plain"])
    assert short_err == b""
    assert short_out.startswith(b"data=synthetic")


def test_rich_is_not_imported_without_a_bar_or_table() -> None:
    code = (
        "import sys\n"
        "from nncalc.cli.app import app\n"
        "sys.argv = ['nncalc', 'sgd', '--format', 'plain']\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(str(sorted(m for m in sys.modules if m.split('.')[0] == 'rich')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.startswith("data=synthetic")
    assert result.stderr == "[]"
