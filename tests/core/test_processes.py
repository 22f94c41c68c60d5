"""Row tasks on forked worker processes: the same bits as on threads, errors and deaths handled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from nncalc.core import parallel, processes, shared
from nncalc.core.compare import compare
from nncalc.core.from_logits import kl_logits_rows
from nncalc.errors import NncalcError
from tests.conftest import ok

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux only")

PARENT = os.getpid()


# [this process's pid, a worker's pid]: shared, so that a task can wait for the other.
SLOTS = processes.shared_empty((2,), np.int64)


@pytest.fixture
def on_processes() -> Iterator[None]:
    """Every call of a few rows on processes (a worker and this process), a row a task."""
    processes._shutdown()
    processes._State.pools = 0  # a test may make several pools: none falls back to threads
    SLOTS[:] = 0
    with parallel.settings(threads=2, task_values=1, process_values=1):
        yield
    processes._shutdown()


@pytest.fixture(scope="module")
def logits() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    base = rng.normal(0.0, 3.0, (24, 40))
    new = base + rng.normal(0.0, 0.05, base.shape)
    new[5] = base[5] + 1e-13  # nearly equal: the careful form
    new[7, 3] = -np.inf  # Q masks a class P has
    base[9, :10] -= 800.0  # entries below the normal range
    return base, new


def both_take_tasks() -> bool:
    """Register this process's pid and wait (60 s at most) until the other's is there too.

    True in a worker. No timing: whoever claims a task first waits, and the
    other claims one of the tasks left (each call has more tasks than two).
    """
    worker = os.getpid() != PARENT
    SLOTS[int(worker)] = os.getpid()
    deadline = time.monotonic() + 60.0
    while not SLOTS.all() and time.monotonic() < deadline:
        time.sleep(0.001)
    return worker


def pids(rows: np.ndarray) -> np.ndarray:
    """The process that computed each row, once both processes have taken a task."""
    both_take_tasks()
    return np.full(len(rows), os.getpid())


def dies_in_a_worker(rows: np.ndarray) -> np.ndarray:
    if both_take_tasks():
        os._exit(1)
    return rows[:, 0] * 2.0


def fails_in_a_worker(rows: np.ndarray) -> np.ndarray:
    if both_take_tasks():
        raise RuntimeError("only in a worker")
    return rows[:, 0] + 1.0


def interrupted_here(rows: np.ndarray) -> np.ndarray:
    if not both_take_tasks():
        raise KeyboardInterrupt
    time.sleep(0.01)
    return rows[:, 0]


def test_the_rows_are_computed_by_a_worker_and_by_this_process(on_processes: None) -> None:
    seen = np.concatenate(processes.map_kernel(pids, [np.zeros((8, 3))]))
    assert PARENT in seen
    assert len(set(seen.tolist())) == 2


def test_the_same_bits_as_on_one_thread(
    on_processes: None, logits: tuple[np.ndarray, np.ndarray]
) -> None:
    base, new = logits
    on_both = np.concatenate(processes.map_kernel(kl_logits_rows, [base, new], (0.7,)))
    with parallel.settings(threads=1, process_values=0):
        alone = np.concatenate(processes.map_kernel(kl_logits_rows, [base, new], (0.7,)))
    assert on_both.tobytes() == alone.tobytes()
    assert np.isinf(on_both[7])


def test_compare_report_the_same_on_processes(logits: tuple[np.ndarray, np.ndarray]) -> None:
    base, new = logits
    new = np.where(np.isinf(new), 0.0, new)
    target = np.arange(len(base)) % base.shape[1]
    with parallel.settings(threads=1):
        alone = compare(base, new, target=target)
    with parallel.settings(threads=2, task_values=1, process_values=1):
        on_both = compare(base, new, target=target)
    processes._shutdown()
    assert on_both == alone


def test_an_error_in_a_worker_is_raised_here_at_its_row(on_processes: None) -> None:
    base = np.zeros((10, 4))
    new = np.zeros((10, 4))
    base[6, 2] = np.nan  # a task of its own: whoever computes it finds it
    with pytest.raises(NncalcError) as error:
        processes.map_kernel(kl_logits_rows, [base, new])
    assert error.value.where.row == 7


def test_a_task_that_fails_in_a_worker_is_computed_here(on_processes: None) -> None:
    rows = np.arange(16.0).reshape(8, 2)
    result = np.concatenate(processes.map_kernel(fails_in_a_worker, [rows]))
    assert result.tolist() == (rows[:, 0] + 1.0).tolist()


def test_a_worker_that_dies_leaves_its_tasks_to_this_process(on_processes: None) -> None:
    rows = np.arange(16.0).reshape(8, 2)
    result = np.concatenate(processes.map_kernel(dies_in_a_worker, [rows]))
    assert result.tolist() == (rows[:, 0] * 2.0).tolist()
    assert processes._State.pool is None  # given up, and made again when next needed
    SLOTS[:] = 0
    seen = np.concatenate(processes.map_kernel(pids, [np.zeros((8, 1))]))
    assert len(set(seen.tolist())) == 2


def test_a_worker_that_died_between_chunks(on_processes: None) -> None:
    seen = np.concatenate(processes.map_kernel(pids, [np.zeros((8, 1))]))
    pool = processes._State.pool
    assert pool is not None
    (worker,) = pool.pids
    assert worker in seen
    os.kill(worker, signal.SIGKILL)
    while Path(f"/proc/{worker}/stat").read_text().split(")")[1].split()[0] != "Z":
        time.sleep(0.001)  # dead, not yet reaped
    rows = np.arange(16.0).reshape(8, 2)
    assert (
        np.concatenate(processes.map_kernel(fails_in_a_worker, [rows])).tolist()
        == (rows[:, 0] + 1.0).tolist()
    )
    assert processes._State.pool is None


def test_ctrl_c_here_ends_the_workers(on_processes: None) -> None:
    rows = np.zeros((8, 2))
    processes.map_kernel(pids, [rows])
    pool = processes._State.pool
    assert pool is not None
    (worker,) = pool.pids
    SLOTS[:] = 0
    with pytest.raises(KeyboardInterrupt):
        processes.map_kernel(interrupted_here, [rows])
    assert processes._State.pool is None
    with pytest.raises(ChildProcessError):  # reaped
        os.waitpid(worker, os.WNOHANG)
    pool.close()  # again: nothing left to close


def test_shared_buffers_are_read_in_place(
    on_processes: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = processes.shared_empty((8, 5))
    rows[:] = np.arange(40.0).reshape(8, 5)
    processes.map_kernel(pids, [rows])
    pool = processes._State.pool
    assert pool is not None
    assert pool.view(rows[2:]) is not None  # made before the workers: no copy
    assert pool.view(np.zeros((8, 5))) is None  # elsewhere: copied into the staging area
    later = processes.shared_empty((8, 5))  # made after, in the same arena: theirs too
    assert pool.view(later) is not None
    arena = shared._Arena.array
    assert arena is not None
    monkeypatch.setattr(shared._Arena, "used", len(arena))  # full
    elsewhere = processes.shared_empty((8, 5))  # a new arena: the workers are forked again
    elsewhere[:] = rows
    SLOTS[:] = 0
    seen = np.concatenate(processes.map_kernel(pids, [elsewhere]))
    assert processes._State.pool is not pool
    assert len(set(seen.tolist())) == 2


def test_inputs_larger_than_the_staging_area(
    on_processes: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processes, "_STAGING_BYTES", 64)
    processes._shutdown()
    rows = np.random.default_rng(1).normal(size=(8, 300))
    first = processes.map_kernel(kl_logits_rows, [rows, rows[::-1].copy()])
    staged = processes._State.pool
    assert staged is not None
    assert len(staged.staging) >= 2 * rows.nbytes
    again = processes.map_kernel(kl_logits_rows, [rows, rows[::-1].copy()])
    assert np.concatenate(first).tobytes() == np.concatenate(again).tobytes()


def test_a_library_never_forks_and_the_command_line_does() -> None:
    code = "from nncalc.core import parallel; print(parallel.process_values())"
    assert subprocess.check_output([sys.executable, "-c", code], text=True) == "None\n"


@pytest.mark.parametrize("command", ["kl", "js", "entropy", "compare"])
def test_command_line_on_tensor_files_matches_one_thread(command: str, tmp_path: Path) -> None:
    """Chunks of 8 x 65,536 float32 values: past the size where the command forks workers."""
    rng = np.random.default_rng(8)
    base = rng.normal(0.0, 3.0, (12, 65_536)).astype(np.float32)
    np.save(tmp_path / "base.npy", base)
    np.save(tmp_path / "new.npy", base + rng.normal(0.0, 0.05, base.shape).astype(np.float32))
    operands = [f"@{tmp_path / 'base.npy'}"] + (
        [] if command == "entropy" else [f"@{tmp_path / 'new.npy'}"]
    )
    options = ["-f", "json"] if command == "compare" else ["--logits", "-r", "none"]
    forked = subprocess.run(
        [sys.executable, "-m", "nncalc", command, *operands, *options],
        capture_output=True,
        text=True,
        check=True,
    )
    with parallel.settings(threads=1):
        assert forked.stdout == ok(command, *operands, *options)


@pytest.fixture(scope="module")
def read_ahead_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Two 64 x 65,536 float32 files: 4M values each, so that they are read ahead."""
    folder = tmp_path_factory.mktemp("wide")
    rng = np.random.default_rng(9)
    base = rng.normal(0.0, 3.0, (64, 65_536)).astype(np.float32)
    np.save(folder / "base.npy", base)
    np.save(folder / "new.npy", base + rng.normal(0.0, 0.05, base.shape).astype(np.float32))
    return [f"@{folder / 'base.npy'}", f"@{folder / 'new.npy'}"]


@pytest.mark.parametrize("command", ["kl", "compare"])
def test_files_read_ahead_fork_the_workers_once(command: str, read_ahead_files: list[str]) -> None:
    """The workers are forked before the read-ahead threads start, and know both files' buffers."""
    options = ["-f", "json"] if command == "compare" else ["--logits", "-r", "none"]
    with parallel.settings(threads=1):
        alone = ok(command, *read_ahead_files, *options)
    processes._shutdown()
    processes._State.pools = 0
    with parallel.settings(threads=2, process_values=parallel.PROCESS_VALUES):
        assert ok(command, *read_ahead_files, *options) == alone
    assert processes._State.pools == 1
    processes._shutdown()


def tuned_pids(rows: np.ndarray) -> np.ndarray:
    """The pid, negative where malloc was not tuned for reuse in this process."""
    both_take_tasks()
    return np.full(len(rows), os.getpid() if parallel._TUNED else -os.getpid())


def test_workers_tune_malloc_even_when_forked_before_the_caller_did(
    on_processes: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Else every task's temporaries are mapped afresh: about 10x the page faults."""
    monkeypatch.setattr(parallel, "_TUNED", [])
    seen = np.concatenate(processes.map_kernel(tuned_pids, [np.zeros((8, 1))]))
    assert -PARENT in seen
    workers = seen[np.abs(seen) != PARENT]
    assert len(workers)
    assert (workers > 0).all()


def test_text_formatted_on_processes_is_repr(on_processes: None) -> None:
    """Large outputs are formatted by the workers too; the text is still repr's, in order."""
    from nncalc.output import text

    rng = np.random.default_rng(4)
    values = rng.normal(size=(7_000, 10)) * np.exp(rng.normal(0.0, 30.0, (7_000, 10)))
    values[3, 4], values[5000, 1] = np.nan, -np.inf
    formatted = text.format_rows(values, None)
    assert processes._State.pool is not None  # the pool ran the tasks
    assert formatted == "".join(",".join(map(repr, row)) + "\n" for row in values.tolist())


def test_wide_tiny_rows_are_formatted_by_numpy_on_the_workers(on_processes: None) -> None:
    """Where the workers format, rows mostly below 1e-4 skip polars (slower there)."""
    from nncalc.output import text

    tiny = np.full((3, 40_000), 1e-6)
    assert text.numpy_first(tiny)
    assert not text.numpy_first(np.full((7_000, 10), 0.1))  # polars' plain layout is faster
    assert not text.numpy_first(tiny, first_row=1)
    assert not text.numpy_first(tiny[:1])  # one row is one task: polars
    assert not text.numpy_first(np.full((3, 300_000), 1e-6))  # wider than a task's rows
    with parallel.settings(process_values=0):
        assert not text.numpy_first(tiny)  # no workers: polars


def nested(rows: np.ndarray) -> np.ndarray:
    """A kernel that calls map_kernel itself: in this process it must not wait for the pool."""
    inner = processes.map_kernel(pids, [np.zeros((len(rows) * 4, 1))])
    return np.concatenate(inner)[: len(rows)]


def test_a_call_from_inside_a_task_runs_in_its_own_process(on_processes: None) -> None:
    SLOTS[:] = os.getpid()  # both "taken": pids() does not wait
    parallel.map_rows(lambda part: part, 4, 1)  # this process's thread pool exists at the fork
    seen = np.concatenate(processes.map_kernel(nested, [np.zeros((8, 1))]))
    assert len(seen) == 8
