"""The model-comparison case of bench.py: two float32 .npy logits tensors, N x 128,256.

Contenders, each in a fresh process (see bench.py), all printing the mean
KL(base || new) of the rows, which must agree:

- ``nncalc kl --logits @a.npy @b.npy``, ``nncalc compare @a.npy @b.npy`` and
  ``nncalc kl --logits @a.npy @b.npy -r none -o out.npy`` (every row's KL to a
  file; its mean is checked);
- the whole-array NumPy/SciPy float64 script a user would write first
  (``np.load``, ``scipy.special.log_softmax``, sum): left out where its
  arrays would not fit in memory;
- the chunked NumPy float64 loop: log-softmax KL over 32-row chunks of the
  memory maps on 2 threads, the near-limit reference;
- PyTorch float32 and float64, 64-row chunks on 2 threads, when torch is
  installed.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
from runner import NNCALC, PYTHON, Contender, race, run_once, show

CLASSES = 128_256

WHOLE_ARRAY = """
import sys
import numpy as np
import scipy.special
p = scipy.special.log_softmax(np.load(sys.argv[1]).astype(np.float64), axis=-1)
q = scipy.special.log_softmax(np.load(sys.argv[2]).astype(np.float64), axis=-1)
print(repr(float(np.sum(np.exp(p) * (p - q)) / len(p))))
"""

CHUNKED = """
import sys
from concurrent.futures import ThreadPoolExecutor
import numpy as np
a = np.load(sys.argv[1], mmap_mode="r")
b = np.load(sys.argv[2], mmap_mode="r")

def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

def kl(start):
    p = log_softmax(np.asarray(a[start : start + 32], dtype=np.float64))
    q = log_softmax(np.asarray(b[start : start + 32], dtype=np.float64))
    return float(np.sum(np.exp(p) * (p - q)))

with ThreadPoolExecutor(2) as pool:
    total = sum(pool.map(kl, range(0, len(a), 32)))
print(repr(total / len(a)))
"""

TORCH = """
import sys
import numpy as np
import torch
torch.set_num_threads(2)
dtype = getattr(torch, sys.argv[3])
a = np.load(sys.argv[1], mmap_mode="r")
b = np.load(sys.argv[2], mmap_mode="r")
total = 0.0
for start in range(0, len(a), 64):
    p = torch.log_softmax(torch.from_numpy(np.array(a[start : start + 64])).to(dtype), -1)
    q = torch.log_softmax(torch.from_numpy(np.array(b[start : start + 64])).to(dtype), -1)
    total += float(torch.sum(torch.exp(p) * (p - q)))
print(repr(total / len(a)))
"""


def make_logits(workdir: Path, rows: int) -> tuple[Path, Path]:
    """Base logits and a perturbed copy (a quantized model's, say), seeded, written in chunks."""
    a, b = workdir / f"base_{rows}.npy", workdir / f"new_{rows}.npy"
    if a.exists() and b.exists():
        return a, b
    rng = np.random.default_rng(rows)
    base = np.lib.format.open_memmap(a, mode="w+", dtype=np.float32, shape=(rows, CLASSES))
    new = np.lib.format.open_memmap(b, mode="w+", dtype=np.float32, shape=(rows, CLASSES))
    for start in range(0, rows, 64):
        block = rng.normal(0.0, 3.0, (min(64, rows - start), CLASSES)).astype(np.float32)
        base[start : start + len(block)] = block
        noise = rng.normal(0.0, 0.05, block.shape).astype(np.float32)
        new[start : start + len(block)] = block + noise
    base.flush()
    new.flush()
    del base, new
    return a, b


def whole_array_fits(rows: int) -> bool:
    """Whether the whole-array script's float64 copies (about 6 of them) fit in memory."""
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return rows <= 1024
    return 6 * rows * CLASSES * 8 < 0.8 * available


def contenders(a: Path, b: Path, rows: int) -> list[Contender]:
    files = [str(a), str(b)]
    rows_file = a.parent / "kl_rows.npy"
    found = [
        Contender("nncalc kl --logits", [NNCALC, "kl", "--logits", f"@{a}", f"@{b}"]),
        Contender("nncalc compare", [NNCALC, "compare", f"@{a}", f"@{b}", "-f", "json"]),
        Contender(
            "nncalc kl --logits -r none -o out.npy",
            [NNCALC, "kl", "--logits", f"@{a}", f"@{b}", "-r", "none", "-o", str(rows_file)],
        ),
        Contender("chunked NumPy float64, 2 threads", [PYTHON, "-c", CHUNKED, *files]),
    ]
    if whole_array_fits(rows):
        found.append(
            Contender("whole-array NumPy/SciPy script", [PYTHON, "-c", WHOLE_ARRAY, *files])
        )
    if importlib.util.find_spec("torch") is not None:
        for dtype in ("float32", "float64"):
            argv = [PYTHON, "-c", TORCH, *files, dtype]
            found.append(Contender(f"PyTorch {dtype}, 2 threads", argv))
    return found


def kl_mean(contender: Contender, out: Path) -> float:
    """The mean KL a contender prints (compare: its kl.mean)."""
    run_once(contender, out)
    text = out.read_text()
    if "-o" in contender.argv:  # the rows went to the file, nothing to stdout
        rows = np.load(contender.argv[contender.argv.index("-o") + 1])
        return float(np.mean(rows))
    if contender.name == "nncalc compare":
        import json

        return float(json.loads(text)["kl.mean"])
    return float(text)


def tensor_case(rows: int, repeat: int, workdir: Path) -> dict[str, float]:
    """Race the contenders on N = ``rows``; print times, ratios and peak RSS."""
    a, b = make_logits(workdir, rows)
    racers = contenders(a, b, rows)
    out = workdir / "out.txt"
    race(racers, repeat, out)
    answers = {c.name: kl_mean(c, out) for c in racers}
    exact = answers["nncalc kl --logits"]
    worst = max(abs(value - exact) / exact for name, value in answers.items())
    size = a.stat().st_size / 1e6
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nKL of two {rows:,} x {CLASSES:,} float32 .npy logits ({size:.0f} MB each)")
    print(f"  (load average after the runs: {load}; {os.cpu_count()} CPUs)")
    show(racers)
    by_name = {c.name: c for c in racers}
    kl, compare = by_name["nncalc kl --logits"], by_name["nncalc compare"]
    chunked = by_name["chunked NumPy float64, 2 threads"]
    print(f"  nncalc kl / chunked NumPy:       {kl.median / chunked.median:.2f}x   (aim <= 1.5)")
    print(f"  nncalc compare / chunked NumPy:  {compare.median / chunked.median:.2f}x")
    rows_out = by_name["nncalc kl --logits -r none -o out.npy"]
    print(f"  nncalc kl -o out.npy / chunked:  {rows_out.median / chunked.median:.2f}x")
    whole = by_name.get("whole-array NumPy/SciPy script")
    if whole is not None:
        print(f"  whole-array script / nncalc kl:  {whole.median / kl.median:.2f}x   (aim >= 5)")
    else:
        print("  whole-array script: left out (its float64 arrays would not fit in memory)")
    print(f"  answers agree to {worst:.1g} (relative, against nncalc kl)")
    return {c.name: max(c.rss_kb) / 1024 for c in racers}


def run_tensor_cases(rows: list[int], repeat: int, workdir: Path) -> None:
    """Every N in ``rows``, then peak RSS from the smallest N to the largest."""
    rss = {}
    for n in rows:
        rss[n] = tensor_case(n, repeat, workdir)
        for path in [*workdir.glob(f"*_{n}.npy"), workdir / "kl_rows.npy"]:
            path.unlink(missing_ok=True)  # 0.5 GB per 1,024 rows and file
    if len(rss) > 1:
        small, large = min(rss), max(rss)
        print(f"\nPeak RSS, {large:,} rows / {small:,} rows (aim <= 1.2, under 600 MB):")
        for name in rss[small]:
            if name in rss[large]:
                ratio = rss[large][name] / rss[small][name]
                print(f"  {name:<40} {ratio:.2f}   ({rss[large][name]:.0f} MiB at {large:,} rows)")
