"""Running contenders: each a fresh process, timed, interleaved, its peak RSS sampled.

Shared by bench.py, text_cases.py and tensors.py.
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PYTHON = sys.executable
NNCALC = str(Path(sys.executable).parent / "nncalc")


@dataclass
class Contender:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    stdin: Path | None = None
    times: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # CPU seconds of each timed run
    last_cpu: float = 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")
    }
    env.update(extra)
    return env


def peak_rss_kb(pid: int) -> int:
    """The peak resident sets so far of the process and of its child processes, summed.

    Linux, 0 when unknown. Read from /proc because ``ru_maxrss`` of a child
    also counts the memory of the parent that spawned it. nncalc forks
    worker processes for wide rows: their peaks are added (pages they share
    with the parent count in each, so the sum is an upper bound).
    """
    total = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    total = int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += peak_rss_kb(int(child))
    except (OSError, ValueError):
        pass
    return total


def run_once(contender: Contender, out: Path | None, *, memory: bool = False) -> float:
    """Wall time of one run (stdout to ``out``, or a pipe); records peak RSS if asked."""
    with contextlib.ExitStack() as stack:
        stdin: Any = subprocess.DEVNULL
        if contender.stdin:
            stdin = stack.enter_context(open(contender.stdin, "rb"))
        stdout: Any = stack.enter_context(open(out, "wb")) if out else subprocess.PIPE
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        process = subprocess.Popen(
            contender.argv, stdin=stdin, stdout=stdout, env=child_env(contender.env)
        )
        if process.stdout is not None:
            process.stdout.read()
        peak = 0
        while memory and process.poll() is None:
            peak = max(peak, peak_rss_kb(process.pid))
            time.sleep(0.005)
        process.wait()
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    contender.last_cpu = cpu
    if process.returncode != 0:
        raise SystemExit(f"{contender.name} failed with exit {process.returncode}")
    if memory:
        contender.rss_kb.append(peak)
    return elapsed


def race(contenders: list[Contender], repeat: int, out: Path | None) -> None:
    for contender in contenders:  # warm-up: byte code, page cache
        run_once(contender, out)
    for round_ in range(repeat):
        shift = round_ % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            contender.times.append(run_once(contender, out, memory=out is not None))
            contender.cpu.append(contender.last_cpu)


def show(contenders: list[Contender]) -> None:
    """Median wall time, median CPU use (100% = one core busy) and peak RSS."""
    for c in contenders:
        rss = f"   peak RSS {max(c.rss_kb) / 1024:6.1f} MiB" if c.rss_kb else ""
        cpu = statistics.median(u / t for t, u in zip(c.times, c.cpu, strict=True)) * 100
        seconds = statistics.median(c.cpu)
        print(f"  {c.name:<48} {c.median * 1000:8.1f} ms  CPU {cpu:4.0f}% {seconds:6.2f} s{rss}")
