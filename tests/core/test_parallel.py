"""Row tasks on several threads: the same results bit for bit as on one, errors located."""

from __future__ import annotations

import threading
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from nncalc.core import parallel
from nncalc.core.compare import CompareAccumulator, compare
from nncalc.core.from_logits import entropy_logits_rows, js_logits_rows, kl_logits_rows
from nncalc.errors import NncalcError
from tests.conftest import ok, one_line_error, run


@pytest.fixture(scope="module")
def logits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(14)
    base = rng.normal(0.0, 3.0, (37, 50))
    new = base + rng.normal(0.0, 0.05, base.shape)
    new[5] = base[5]  # KL exactly 0
    new[9] = base[9] + 1e-13  # nearly equal: the careful form
    new[11, 3] = -np.inf  # Q masks a class P has: KL inf
    base[12, :10] -= 800.0  # entries below the normal range
    return base, new, rng.integers(0, 50, 37)


def test_split_does_not_depend_on_threads() -> None:
    seen: list[list[slice]] = []
    for threads in (1, 2, 5):
        with parallel.settings(threads=threads, task_values=20):
            seen.append(parallel.map_rows(lambda part: part, 11, 7))
    assert seen[0] == seen[1] == seen[2]
    assert seen[0] == [
        slice(0, 2),
        slice(2, 4),
        slice(4, 6),
        slice(6, 8),
        slice(8, 10),
        slice(10, 11),
    ]


def test_tasks_run_on_several_threads() -> None:
    names: set[str] = set()
    barrier = threading.Barrier(2, timeout=10)

    def task(part: slice) -> int:
        names.add(threading.current_thread().name)
        if part.start < 2:
            barrier.wait()  # the first two tasks must run at the same time
        return part.start

    with parallel.settings(threads=2, task_values=1):
        assert parallel.map_rows(task, 6, 1) == [0, 1, 2, 3, 4, 5]
    assert len(names) == 2


@pytest.mark.parametrize("function", [kl_logits_rows, js_logits_rows])
def test_divergences_bit_identical(function, logits) -> None:  # type: ignore[no-untyped-def]
    base, new, _ = logits

    def each(part: slice) -> np.ndarray:
        return function(base[part], new[part])

    results = []
    for threads in (1, 2, 3):
        with parallel.settings(threads=threads, task_values=3 * 50):
            results.append(np.concatenate(parallel.map_rows(each, len(base), 50)))
    assert results[0].tobytes() == results[1].tobytes() == results[2].tobytes()
    assert len(results[0]) == len(base)


def test_compare_report_bit_identical(logits) -> None:  # type: ignore[no-untyped-def]
    base, new, target = logits
    new = new.copy()
    new[11, 3] = 0.0  # finite KL: every statistic is a number
    reports = []
    for threads in (1, 2):
        with parallel.settings(threads=threads, task_values=4 * 50):
            reports.append(asdict(compare(base, new, target=target)))
    one, two = reports
    assert one.keys() == two.keys()
    for key, value in one.items():
        assert repr(value) == repr(two[key]), key
    with parallel.settings(threads=1, task_values=1 << 30):  # one task: the same per-row math
        whole = asdict(compare(base, new, target=target))
    assert whole["rows"] == one["rows"] == 37
    assert whole["kl_mean"] == pytest.approx(one["kl_mean"], rel=1e-14)


def test_accumulator_rows_in_order(logits) -> None:  # type: ignore[no-untyped-def]
    base, new, _ = logits
    with parallel.settings(threads=2, task_values=50):
        rows = CompareAccumulator().add(base, new)
    expected = kl_logits_rows(base, new)
    assert np.array_equal(rows.kl, expected)  # one row a task: each row alone, in order


def test_error_names_the_row_of_the_whole(logits) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = logits
    bad = base.copy()
    bad[7, 2] = np.nan
    bad[30, 1] = np.nan
    with parallel.settings(threads=2, task_values=2 * 50), pytest.raises(NncalcError) as caught:
        parallel.map_rows(lambda part: entropy_logits_rows(bad[part]), len(bad), 50)
    assert caught.value.where.row == 8  # the first failing task's, 1-based in the whole
    assert caught.value.where.column == 3


def test_settings_checked_and_restored() -> None:
    before = (parallel.threads(), parallel.task_rows(100))
    with pytest.raises(ValueError), parallel.settings(threads=0):
        pass
    with pytest.raises(ValueError), parallel.settings(task_values=0):
        pass
    with parallel.settings(threads=3, task_values=250):
        assert (parallel.threads(), parallel.task_rows(100)) == (3, 2)
    assert (parallel.threads(), parallel.task_rows(100)) == before
    assert parallel.task_rows(10**9) == 1


@pytest.mark.parametrize("command", [["kl", "--logits"], ["js", "--logits"], ["compare"]])
def test_cli_same_output_on_one_thread_and_two(command: list[str], tmp_path: Path, logits) -> None:  # type: ignore[no-untyped-def]
    base, new, _ = logits
    new = new.copy()
    new[11, 3] = 0.0
    np.save(tmp_path / "a.npy", base.astype(np.float32))
    np.save(tmp_path / "b.npy", new.astype(np.float32))
    args = [*command, f"@{tmp_path / 'a.npy'}", f"@{tmp_path / 'b.npy'}", "-f", "json"]
    outputs = []
    for threads in (1, 2):
        with parallel.settings(threads=threads, task_values=3 * 50):
            outputs.append(ok(*args))
    assert outputs[0] == outputs[1]
    assert outputs[0].strip()


def test_cli_nan_row_located_across_tasks(tmp_path: Path, logits) -> None:  # type: ignore[no-untyped-def]
    base, new, _ = logits
    bad = new.copy()
    bad[20, 4] = np.nan
    np.save(tmp_path / "a.npy", base)
    np.save(tmp_path / "b.npy", bad)
    with parallel.settings(threads=2, task_values=50):
        line = one_line_error(run("compare", f"@{tmp_path / 'a.npy'}", f"@{tmp_path / 'b.npy'}"))
    assert "NEW" in line and "row 21" in line and "column 5" in line


def test_reuse_freed_memory_is_harmless() -> None:
    parallel.reuse_freed_memory(10)  # small: nothing happens
    parallel.reuse_freed_memory()  # glibc: tuned once; elsewhere a no-op
    parallel.reuse_freed_memory()
    assert np.sum(np.ones(1 << 20)) == 1 << 20  # large arrays still allocate and free
